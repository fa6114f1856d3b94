"""Links out of RSS/Atom feeds, sitemaps and Telegram preview pages (pure parsers)."""
# ruff: noqa: RUF001 - Indonesian typography (dashes, curly quotes) is the data here

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from crawlers.dates import parse_iso

_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class Link:
    url: str
    published_at: datetime | None = None


@dataclass(frozen=True)
class SitemapLinks:
    is_index: bool
    links: list[Link]


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _parse_date(text: str | None) -> datetime | None:
    if not text:
        return None
    text = text.strip()
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        return parsed
    return parse_iso(text)


def parse_feed(body: bytes, base_url: str) -> list[Link]:
    """Item links of an RSS 2.0, RSS 1.0 or Atom feed, in document order."""
    root = etree.fromstring(body, _PARSER)
    if root is None:
        raise ValueError("not an XML feed")
    links: list[Link] = []
    for element in root.iter():
        name = _local(element.tag)
        if name == "item":
            url = date = None
            for child in element:
                child_name = _local(child.tag)
                text = (child.text or "").strip()
                # <guid> is a permalink only when it is a URL; <link> wins when present.
                is_link = child_name == "link" and text
                if is_link or (child_name == "guid" and not url and text.startswith("http")):
                    url = text
                elif child_name in ("pubDate", "date"):
                    date = child.text
            if url:
                links.append(Link(urljoin(base_url, url), _parse_date(date)))
        elif name == "entry":
            url = date = None
            for child in element:
                child_name = _local(child.tag)
                if child_name == "link" and child.get("rel", "alternate") == "alternate":
                    url = child.get("href")
                elif child_name in ("published", "updated") and date is None:
                    date = child.text
            if url:
                links.append(Link(urljoin(base_url, url.strip()), _parse_date(date)))
    return links


def parse_sitemap(body: bytes, base_url: str) -> SitemapLinks:
    """URLs of a sitemap (with news:publication_date or lastmod) or of a sitemap index."""
    root = etree.fromstring(body, _PARSER)
    if root is None:
        raise ValueError("not an XML sitemap")
    is_index = _local(root.tag) == "sitemapindex"
    links: list[Link] = []
    for element in root:
        if _local(element.tag) not in ("url", "sitemap"):
            continue
        url = date = None
        for child in element.iter():
            child_name = _local(child.tag)
            if child_name == "loc" and child.text:
                url = child.text.strip()
            elif child_name == "publication_date" or (child_name == "lastmod" and date is None):
                date = child.text
        if url:
            links.append(Link(urljoin(base_url, url), _parse_date(date)))
    return SitemapLinks(is_index, links)


def listing_links(html: str, base_url: str) -> tuple[list[str], list[str]]:
    """(article-ish links, next-page links) of an HTML index page, absolute, in order."""
    tree = lxml.html.fromstring(html)
    tree.make_links_absolute(base_url, resolve_base_href=True)
    # Menus, footers and sidebars link to sections, not stories.
    for chrome in tree.xpath("//nav|//footer|//header|//aside"):
        chrome.drop_tree()
    nexts = [str(h) for h in tree.xpath("//a[@rel='next']/@href|//link[@rel='next']/@href")]
    nexts += [
        str(a.get("href"))
        for a in tree.xpath("//a[@href]")
        if re.fullmatch(r"\s*(?:selanjutnya|berikutnya|next|»|›)\s*", a.text_content() or "", re.I)
    ]
    links: list[str] = []
    seen: set[str] = set()
    for href in tree.xpath("//a/@href"):
        url = str(href).split("#", 1)[0]
        if url.startswith(("http://", "https://")) and url not in seen and url not in nexts:
            seen.add(url)
            links.append(url)
    return links, list(dict.fromkeys(nexts))
