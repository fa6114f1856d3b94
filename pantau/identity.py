"""Stable identities: URL normalisation and document IDs.

Re-crawling a page must land on the same ID, whatever tracking parameters,
AMP or mobile variant or trailing slash the link carried.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that identify a campaign or a click, never the content.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref",
        "ref_src",
        "ref_url",
        "source",
        "amp",
        "amp_js_v",
        "usqp",
        "outputType",
        "utm",
        "cx_testId",
        "cx_testVariant",
        "share",
        "from",
        "tb",
        "tag_from",
        "_branch_match_id",
        "page_from",
    }
)
_TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_")
# Mobile and AMP hosts that Indonesian outlets use for the same article.
_HOST_PREFIXES = ("www.", "m.", "amp.", "mobile.")
_AMP_PATH = re.compile(r"(?:/amp)+/?$|^/amp(?=/)", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_url(url: str) -> str:
    """Return the canonical form of ``url`` used for identity (pure).

    Lower-cases scheme and host, drops ``www.``/``m.``/``amp.`` host prefixes, AMP
    path suffixes, tracking parameters, fragments, default ports and trailing
    slashes, and sorts the remaining query parameters.
    """
    raw = url.strip()
    if not raw:
        raise ValueError("empty URL")
    if "://" not in raw:
        raw = "http://" + raw
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {parts.scheme!r} in {url!r}")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise ValueError(f"URL has no host: {url!r}")
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
            break
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = _AMP_PATH.sub("", parts.path) or "/"
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in _TRACKING_PARAMS
        and not k.lower().startswith(_TRACKING_PREFIXES)
        # Kompas-style "show the whole article on one page" is the same article.
        and not (k == "page" and v == "all")
    ]
    query.sort()
    # http and https serve the same article on every outlet we watch.
    return urlunsplit(("https", netloc, path, urlencode(query), ""))


def normalise_text_for_hash(text: str) -> str:
    """Whitespace- and case-insensitive form of a text, for content hashing (pure)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.split())


def sha1_hex(data: str | bytes) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def document_id(url: str | None = None, text: str | None = None) -> str:
    """ID of a document: from its normalised URL, else from its normalised text (pure)."""
    if url:
        return "u" + sha1_hex(normalise_url(url))[:32]
    if text and text.strip():
        return "c" + sha1_hex(normalise_text_for_hash(text))[:32]
    raise ValueError("a document needs a URL or a non-empty text to derive its ID")
