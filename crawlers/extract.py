"""Article extraction: trafilatura for the main text, then Indonesian cleaning.

:func:`extract_article` is pure (HTML text in, :class:`ExtractedArticle` out);
:func:`decode_html` and :func:`looks_binary` decide what the raw bytes are
before anything is parsed.
"""
# ruff: noqa: RUF001 - Indonesian typography (dashes, curly quotes) is the data here

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import lxml.html
import trafilatura
from lxml import etree

from crawlers.boilerplate import clean_text
from crawlers.dates import parse_indonesian_datetime, parse_iso
from crawlers.urls import choose_document_url

_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"ID3",
    b"OggS",
    b"\x7fELF",
)
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "published_time",
    "pubdate",
    "publishdate",
    "publish-date",
    "datePublished",
    "dtk:publishdate",
    "content_PublishedDate",
    "dc.date",
    "dc.date.issued",
    "DC.date.issued",
    "date",
    "sailthru.date",
    "parsely-pub-date",
)
_DATE_CLASS = re.compile(r"date|time|tanggal|waktu|publish|posted|meta", re.IGNORECASE)
MIN_ARTICLE_WORDS = 8
_BYLINE = re.compile(r"(?:Penulis|Reporter|Pewarta)\s*:\s*([^|]+?)(?:\s*\||$)")
_TITLE_SUFFIX = re.compile(r"\s+[|\-–—]\s+[^|\-–—]{2,40}$")


class NotAnArticle(ValueError):
    """The page holds no article text; ``reason`` is what the crawl report counts."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass
class DecodedPage:
    text: str
    encoding: str
    # True when the declared charset was wrong and another one was used.
    repaired: bool = False


@dataclass
class ExtractedArticle:
    url: str
    canonical_url: str | None
    title: str
    body: str
    outlet: str | None
    author: str | None
    editor: str | None
    dateline: str | None
    language: str | None
    published_at: datetime | None
    removed_lines: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["published_at"] = self.published_at.isoformat() if self.published_at else None
        return out


def looks_binary(body: bytes) -> bool:
    """True for images, archives, PDFs and other bytes that no HTML decoder should see."""
    head = body[:8192]
    if head.lstrip().startswith(_MAGIC) or b"\x00" in head:
        return True
    if not head:
        return False
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls / len(head) > 0.05


def _decodes(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(body: bytes, declared: str | None) -> DecodedPage:
    """Decode ``body``, distrusting a declared charset that the bytes contradict.

    Outlets mislabel pages both ways: windows-1252 bytes under "utf-8", and UTF-8
    bytes under "iso-8859-1" (which then reads as "â€œ" mojibake).
    """
    declared_norm = (declared or "").strip().lower().replace("_", "-") or None
    utf8 = _decodes(body, "utf-8")
    if declared_norm in (None, "utf-8", "utf8"):
        if utf8 is not None:
            return DecodedPage(utf8, "utf-8")
        return DecodedPage(
            body.decode("cp1252", errors="replace"), "cp1252", repaired=declared_norm is not None
        )
    if (
        declared_norm
        in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "cp1252", "windows-1252")
        and utf8 is not None
        and not body.isascii()
    ):
        # Valid multi-byte UTF-8 is almost never an accident in a Latin-1 page.
        return DecodedPage(utf8, "utf-8", repaired=True)
    if declared_norm in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
        # Browsers read these labels as windows-1252 (WHATWG); so do we.
        declared_norm = "cp1252"
    text = _decodes(body, declared_norm)
    if text is None:
        return DecodedPage(body.decode("cp1252", errors="replace"), "cp1252", repaired=True)
    return DecodedPage(text, declared_norm)


def declared_charset(content_type: str | None, body: bytes) -> str | None:
    """The charset from the Content-Type header, else from a <meta> in the first 2 KB."""
    if content_type:
        match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
        if match:
            return match.group(1)
    in_meta = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", body[:2048], re.IGNORECASE)
    return in_meta.group(1).decode("ascii", "replace") if in_meta else None


def _meta(tree: Any, *names: str) -> str | None:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            values = tree.xpath(f"//meta[@{attr}=$n]/@content", n=name)
            for value in values:
                if value and value.strip():
                    return str(value).strip()
    return None


def _json_ld(tree: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                found.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
    return found


def _published(tree: Any, fetched_at: datetime) -> datetime | None:
    for ld in _json_ld(tree):
        value = ld.get("datePublished")
        if isinstance(value, str) and (parsed := parse_iso(value)):
            return parsed
    value = _meta(tree, *_DATE_META)
    if value and (parsed := parse_iso(value) or parse_indonesian_datetime(value, fetched_at)):
        return parsed
    for stamp in tree.xpath("//time/@datetime"):
        if parsed := parse_iso(str(stamp)):
            return parsed
    for element in tree.xpath("//time|//*[@class or @id]"):
        marker = f"{element.tag} {element.get('class', '')} {element.get('id', '')}"
        if not _DATE_CLASS.search(marker) or len(element) > 6:
            continue
        text = " ".join(element.itertext()).strip()
        if 4 < len(text) < 120 and (parsed := parse_indonesian_datetime(text, fetched_at)):
            return parsed
    return None


def _author(tree: Any) -> str | None:
    for ld in _json_ld(tree):
        author = ld.get("author")
        if isinstance(author, list) and author:
            author = author[0]
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            return str(author["name"]).strip() or None
        if isinstance(author, str) and author.strip():
            return author.strip()
    by_meta = _meta(tree, "author", "article:author", "dtk:author", "content_author")
    if by_meta:
        return by_meta
    # Tribun-style credit boxes: "Penulis: <a>Nama</a> | Editor: <a>Nama</a>".
    for element in tree.xpath(
        "//*[contains(@class, 'penulis') or contains(@class, 'byline') "
        "or contains(@class, 'author')]"
    ):
        match = _BYLINE.search(" ".join(" ".join(element.itertext()).split()))
        if match:
            return match.group(1).strip()
    return None


def detect_language(text: str) -> str | None:
    """The classifier's language rule (``nlp.language``) on a page or post; None if unsure.

    One rule for both parts: the stored language comes from here, and a raw
    py3langid call read one corpus post in twenty (171 of 3,400) as Malay or Javanese.
    """
    if len(text) < 20:
        return None
    from nlp.language import UNDETERMINED
    from nlp.language import detect_language as identify

    code = identify(text[:3000]).code
    return None if code == UNDETERMINED else code


def _clean_title(title: str, outlet: str | None) -> str:
    title = " ".join(title.split())
    if outlet and title.lower().endswith(outlet.lower()):
        title = _TITLE_SUFFIX.sub("", title)
    return title


def extract_article(
    html: str,
    url: str,
    fetched_at: datetime | None = None,
    outlet: str | None = None,
) -> ExtractedArticle:
    """Extract one article page. Raises :class:`NotAnArticle` when there is no text."""
    fetched_at = fetched_at or datetime.now(UTC)
    if not html.strip():
        raise NotAnArticle("empty_body", "the page has no content")
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise NotAnArticle("unparseable_html", str(exc)) from exc
    canonical = (tree.xpath("string(//link[@rel='canonical']/@href)") or "").strip() or _meta(
        tree, "og:url"
    )
    site_name = _meta(tree, "og:site_name", "application-name")
    meta_title = _meta(tree, "og:title", "twitter:title")
    h1 = " ".join(" ".join(tree.xpath("(//h1)[1]//text()")).split())
    author = _author(tree)
    html_lang = (tree.xpath("string(/html/@lang)") or "").split("-")[0].lower() or None
    # trafilatura prunes the tree it gets, so metadata is read first.
    published = _published(tree, fetched_at)
    if published is None:
        # htmldate (trafilatura's date finder) as a last resort: often only a day, from the URL.
        from htmldate import find_date

        guessed = find_date(html, url=url, extensive_search=False, original_date=True)
        published = parse_iso(guessed) if guessed else None
    result: Any = trafilatura.bare_extraction(
        tree,
        url=url,
        # Metadata is read above, from the same tree: trafilatura's own pass is skipped.
        with_metadata=False,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        deduplicate=False,
    )
    if result is None or not (getattr(result, "text", None) or "").strip():
        raise NotAnArticle("no_article_text", "trafilatura found no main text")
    # The page's own headline wins; og:title and <title> often carry the outlet's name.
    title = (
        h1
        if len(h1) > 10
        else _clean_title(meta_title or str(tree.xpath("string(//title)")), site_name or outlet)
    )
    lines = [line for line in result.text.split("\n") if line.strip()]
    # trafilatura repeats the headline as the first line of the text.
    if lines and title and " ".join(lines[0].split()) == title:
        lines = lines[1:]
    cleaned = clean_text("\n".join(lines))
    words = len(cleaned.body.split())
    if words < MIN_ARTICLE_WORDS:
        # A menu or a caption, not reporting: storing it would only add noise.
        raise NotAnArticle("no_article_text", f"only {words} words left after cleaning")
    return ExtractedArticle(
        url=choose_document_url(url, canonical),
        canonical_url=canonical,
        title=title,
        body=cleaned.body,
        outlet=outlet or site_name,
        author=author or cleaned.author,
        editor=cleaned.editor,
        dateline=cleaned.dateline,
        language=detect_language(cleaned.body) or html_lang,
        published_at=published,
        removed_lines=cleaned.removed,
    )


def extract_bytes(
    body: bytes,
    url: str,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
    outlet: str | None = None,
) -> tuple[ExtractedArticle, DecodedPage]:
    """Decode raw bytes (refusing binary) and extract the article."""
    if not body.strip():
        raise NotAnArticle("empty_body", "the response body is empty")
    if looks_binary(body):
        raise NotAnArticle("binary_content", f"served as {content_type or 'unknown type'}")
    decoded = decode_html(body, declared_charset(content_type, body))
    return extract_article(decoded.text, url, fetched_at, outlet), decoded
