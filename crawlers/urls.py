"""Outlet-specific URL rules applied before :func:`pantau.identity.normalise_url` (pure).

``pantau.identity`` knows the rules every outlet shares (tracking parameters,
AMP and mobile hosts, trailing slashes). The rules here are the quirks of single
outlets: the same article under another query parameter or path segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from pantau.identity import document_id, normalise_url


@dataclass(frozen=True)
class OutletRule:
    host_suffix: str
    drop_params: frozenset[str] = frozenset()
    path_subs: tuple[tuple[re.Pattern[str], str], ...] = ()


OUTLET_RULES: tuple[OutletRule, ...] = (
    # detik: "?single=1" shows a multi-page article on one page; "nd77…" are click IDs.
    OutletRule("detik.com", frozenset({"single", "tag_from", "utm_source"})),
    # Tribun network (incl. Warta Kota): "?page=2" is a real page, "page=all" is dropped
    # by identity; "/amp/" may also sit after the section.
    OutletRule("tribunnews.com", frozenset({"_gl"}), ((re.compile(r"/amp(?=/)"), ""),)),
    # Kompas: "/read/xml/" is the syndication view of "/read/".
    OutletRule(
        "kompas.com", frozenset({"source", "utm_source"}), ((re.compile(r"^/read/xml/"), "/read/"),)
    ),
    # CNN Indonesia and CNBC Indonesia AMP copies end the slug in "/amp" or "-amp".
    OutletRule("cnnindonesia.com", frozenset(), ((re.compile(r"-amp$"), ""),)),
    # Liputan6 AMP copies live under "/amp/" after the host.
    OutletRule("liputan6.com", frozenset(), ((re.compile(r"^/amp/"), "/"),)),
    # WordPress outlets (Jabar Ekspres, regional Bawaslu sites) add "?amp" or "/amp/".
    OutletRule("jabarekspres.com", frozenset({"amp", "noamp"})),
    OutletRule("bawaslu.go.id", frozenset({"amp", "noamp"})),
)
_ARTICLE_PARAM = re.compile(r"^nd\d{6,}")


def apply_outlet_rules(url: str) -> str:
    """Return ``url`` with the owning outlet's quirks removed (still a fetchable URL)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    path = parts.path
    query = parse_qsl(parts.query, keep_blank_values=True)
    for rule in OUTLET_RULES:
        if host == rule.host_suffix or host.endswith("." + rule.host_suffix):
            query = [
                (k, v)
                for k, v in query
                if k not in rule.drop_params and not _ARTICLE_PARAM.match(k)
            ]
            for pattern, repl in rule.path_subs:
                path = pattern.sub(repl, path)
    return urlunsplit((parts.scheme, parts.netloc, path or "/", urlencode(query), parts.fragment))


def canonical_url(url: str) -> str:
    """The identity form of ``url``: outlet rules, then the shared normalisation."""
    return normalise_url(apply_outlet_rules(url))


def url_key(url: str) -> str:
    """Key of the document a URL points at (equals its ``Document.id``)."""
    return document_id(apply_outlet_rules(url))


def choose_document_url(response_url: str, canonical: str | None) -> str:
    """The URL a document is stored under: the page's canonical link when it
    stays on the same site (AMP copies point at the original), else the
    fetched URL. A canonical on another site is a syndication credit, not us."""
    if canonical:
        absolute = urljoin(response_url, canonical.strip())
        same_site = _site(absolute) == _site(response_url)
        if same_site and absolute.startswith(("http://", "https://")):
            return apply_outlet_rules(absolute)
    return apply_outlet_rules(response_url)


def _site(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.replace(".", "").isdigit() or ":" in host or host == "localhost":
        return f"{host}:{parts.port}"
    labels = host.split(".")
    # "wartakota.tribunnews.com" and "www.tribunnews.com" are one site; so are
    # "megapolitan.antaranews.com" and "www.antaranews.com" (one newsroom).
    if len(labels) >= 3 and labels[-2] in ("co", "go", "or", "ac") and labels[-1] == "id":
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
