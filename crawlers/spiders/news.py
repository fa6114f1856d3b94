"""Generic news spider: feeds, sitemaps and listing pages -> article pages -> documents."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from crawlers.documents import document_from_article
from crawlers.extract import NotAnArticle, extract_bytes
from crawlers.feeds import Link, listing_links, parse_feed, parse_sitemap
from crawlers.sources import EntryKind, Source
from crawlers.spiders.base import PantauSpider, now_utc, served_from_cache
from crawlers.urls import url_key


class NewsSpider(PantauSpider):
    name = "news"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._scheduled: set[str] = set()
        self._budget: Counter[str] = Counter()

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources.values():
            for entry in source.entry_points:
                callback = {
                    EntryKind.FEED: self.parse_feed,
                    EntryKind.SITEMAP: self.parse_sitemap,
                    EntryKind.NEWS_SITEMAP: self.parse_sitemap,
                    EntryKind.LISTING: self.parse_listing,
                }.get(entry.kind)
                if callback is None:
                    continue
                # dont_filter: entry points are revisited every run (JOBDIR keeps
                # fingerprints across runs); the HTTP cache makes that a 304.
                yield Request(
                    entry.url,
                    callback=callback,
                    errback=self.on_error,
                    dont_filter=True,
                    meta={"source_id": source.id, "kind": entry.kind.value, "page_no": 1},
                )

    # -- entry points -----------------------------------------------------
    def _source(self, response: Response) -> Source:
        return self.sources[response.meta["source_id"]]

    def _fresh(self, source: Source, link: Link) -> bool:
        if source.rules.max_age_days is None or link.published_at is None:
            return True
        return link.published_at >= now_utc() - timedelta(days=source.rules.max_age_days)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        source = self._source(response)
        self.report.page("feed", cached=served_from_cache(response))
        try:
            links = parse_feed(response.body, response.url)
        except ValueError as exc:
            self.report.problem(response.url, "bad_feed", str(exc), source.id)
            return
        for link in links:
            if self._fresh(source, link):
                yield from self._article(link.url, source)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        source = self._source(response)
        self.report.page("sitemap", cached=served_from_cache(response))
        try:
            sitemap = parse_sitemap(response.body, response.url)
        except ValueError as exc:
            self.report.problem(response.url, "bad_sitemap", str(exc), source.id)
            return
        for link in sitemap.links:
            if sitemap.is_index:
                yield Request(
                    link.url,
                    callback=self.parse_sitemap,
                    errback=self.on_error,
                    dont_filter=True,
                    meta={"source_id": source.id, "kind": "sitemap"},
                )
            elif self._fresh(source, link):
                yield from self._article(link.url, source)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        source = self._source(response)
        self.report.page("listing", cached=served_from_cache(response))
        text = (
            response.text if hasattr(response, "text") else response.body.decode("utf-8", "replace")
        )
        links, nexts = listing_links(text, response.url)
        host = urlsplit(response.url).netloc
        for url in links:
            if urlsplit(url).netloc == host:
                yield from self._article(url, source)
        page_no = int(response.meta.get("page_no", 1))
        if page_no < source.rules.max_listing_pages:
            for url in nexts[:1]:
                yield Request(
                    url,
                    callback=self.parse_listing,
                    errback=self.on_error,
                    dont_filter=True,
                    meta={"source_id": source.id, "kind": "listing", "page_no": page_no + 1},
                )

    # -- articles ---------------------------------------------------------
    def _article(self, url: str, source: Source) -> Iterator[Request]:
        if not source.rules.admits(url):
            return
        try:
            key = url_key(url)
        except ValueError:
            self.report.problem(url, "bad_url", "cannot normalise", source.id)
            return
        if key in self._scheduled:
            return
        self._scheduled.add(key)
        if self.context.seen.contains(key):
            self.report.skipped_seen += 1
            return
        if self._budget[source.id] >= source.rules.max_articles:
            self.report.note("article_budget_reached", url)
            return
        self._budget[source.id] += 1
        yield Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            dont_filter=True,
            meta={"source_id": source.id, "kind": "article", "key": key, "dont_cache": True},
        )

    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        source = self._source(response)
        self.report.page("article")
        fetched_at = now_utc()
        fetch = self.archive(response, fetched_at)
        key = response.meta["key"]
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        try:
            article, decoded = extract_bytes(
                response.body, response.url, content_type, fetched_at, outlet=source.name
            )
        except NotAnArticle as exc:
            self.report.problem(response.url, exc.reason, exc.detail, source.id)
            self.context.seen.mark(key, response.url, exc.reason)
            return
        if decoded.repaired:
            self.report.note("charset_repaired", response.url)
        document = document_from_article(article, source, fetch)
        yield {"document": document, "source_id": source.id, "also_seen": [key]}
