"""Public Telegram channels through their web previews, paging back with ``?before=``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from scrapy import Request
from scrapy.http import Response

from crawlers.documents import document_from_post
from crawlers.extract import declared_charset, decode_html, detect_language
from crawlers.sources import EntryKind
from crawlers.spiders.base import PantauSpider, now_utc, served_from_cache
from crawlers.telegram import parse_channel_page
from crawlers.urls import url_key


def older_page_url(entry_url: str, before: int) -> str:
    parts = urlsplit(entry_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode({"before": before}), ""))


class TelegramSpider(PantauSpider):
    name = "telegram"

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources.values():
            for entry in source.entry_points:
                if entry.kind is EntryKind.TELEGRAM:
                    yield Request(
                        entry.url,
                        callback=self.parse_channel,
                        errback=self.on_error,
                        dont_filter=True,
                        meta={"source_id": source.id, "entry_url": entry.url, "page_no": 1},
                    )

    def parse_channel(self, response: Response) -> Iterator[Any]:
        source = self.sources[response.meta["source_id"]]
        self.report.page("telegram", cached=served_from_cache(response))
        fetched_at = now_utc()
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        html = decode_html(response.body, declared_charset(content_type, response.body)).text
        try:
            page = parse_channel_page(html, response.url)
        except ValueError as exc:
            self.report.problem(response.url, "bad_preview_page", str(exc), source.id)
            return
        fetch = self.archive(response, fetched_at)
        new = 0
        for post in page.posts:
            key = url_key(post.url)
            if self.context.seen.contains(key):
                self.report.skipped_seen += 1
                continue
            if not post.text:
                self.report.note("post_without_text", post.url)
                continue
            new += 1
            document = document_from_post(
                url=post.url,
                text=post.text,
                source=source,
                fetch=fetch,
                published_at=post.published_at,
                author=post.author or page.channel_title,
                language=detect_language(post.text),
            )
            yield {"document": document, "source_id": source.id, "also_seen": [key]}
        page_no = int(response.meta["page_no"])
        # Paging back stops where the last run left off: a page with nothing new.
        if new and page.before and page.before > 1 and page_no < source.rules.max_telegram_pages:
            yield Request(
                older_page_url(response.meta["entry_url"], page.before),
                callback=self.parse_channel,
                errback=self.on_error,
                dont_filter=True,
                meta={
                    **{k: response.meta[k] for k in ("source_id", "entry_url")},
                    "page_no": page_no + 1,
                },
            )
