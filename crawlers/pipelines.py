"""Scrapy item pipeline: every document goes to the durable spool (see crawlers.context)."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from crawlers.spiders.base import PantauSpider
from pantau.schemas import Document


class SpoolPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SpoolPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        spider = self.crawler.spider
        if not isinstance(spider, PantauSpider):
            raise TypeError("SpoolPipeline serves Pantau spiders, which carry a crawl context")
        document = item["document"]
        if not isinstance(document, Document):
            raise TypeError("SpoolPipeline expects {'document': Document} items")
        context = spider.context
        stored = context.emit(document, origin=f"{spider.name}:{item['source_id']}")
        for key in item.get("also_seen", ()):
            context.seen.mark(key, document.url or "", "spooled")
        return {
            "document_id": stored.id,
            "story_id": stored.story_id,
            "source_id": item["source_id"],
        }
