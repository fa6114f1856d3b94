"""Public Telegram channel previews (``https://t.me/s/<channel>``), parsed (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import lxml.html

from crawlers.dates import parse_iso

_CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"


@dataclass(frozen=True)
class TelegramPost:
    post_id: str  # "<channel>/<number>", as in data-post
    number: int
    url: str
    text: str
    published_at: datetime | None
    author: str | None


@dataclass(frozen=True)
class ChannelPage:
    channel_title: str | None
    posts: list[TelegramPost]
    # ?before= value of the next (older) page, if the page offers one.
    before: int | None


def _has_class(name: str) -> str:
    return _CLASS.format(name)


def _text_of(element: lxml.html.HtmlElement) -> str:
    for br in element.xpath(".//br"):
        br.tail = "\n" + (br.tail or "")
    text = element.text_content()
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


def parse_channel_page(html: str, page_url: str) -> ChannelPage:
    tree = lxml.html.fromstring(html)
    title = (
        " ".join(tree.xpath(f"string(//*[{_has_class('tgme_channel_info_header_title')}])").split())
        or None
    )
    posts: list[TelegramPost] = []
    for message in tree.xpath(f"//div[{_has_class('tgme_widget_message')}][@data-post]"):
        post_id = message.get("data-post", "")
        match = re.fullmatch(r"([\w]+)/(\d+)", post_id)
        if not match:
            continue
        text_nodes = message.xpath(f".//div[{_has_class('tgme_widget_message_text')}]")
        text = _text_of(text_nodes[0]) if text_nodes else ""
        date_links = message.xpath(f".//a[{_has_class('tgme_widget_message_date')}]")
        url = (
            urljoin(page_url, date_links[0].get("href"))
            if date_links
            else (f"https://t.me/{post_id}")
        )
        stamp = message.xpath("string(.//time/@datetime)")
        author = (
            " ".join(
                message.xpath(
                    f"string(.//*[{_has_class('tgme_widget_message_owner_name')}])"
                ).split()
            )
            or None
        )
        posts.append(
            TelegramPost(
                post_id=post_id,
                number=int(match.group(2)),
                url=url,
                text=text,
                published_at=parse_iso(stamp) if stamp else None,
                author=author,
            )
        )
    before: int | None = None
    more = tree.xpath(f"//a[{_has_class('tme_messages_more')}]/@data-before")
    if more and str(more[0]).isdigit():
        before = int(more[0])
    elif posts:
        before = min(p.number for p in posts)
    if before is not None and posts and before > min(p.number for p in posts):
        before = min(p.number for p in posts)
    return ChannelPage(channel_title=title, posts=posts, before=before)
