"""Runs the spiders in-process (one Twisted reactor per process) and returns their reports."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from crawlers.context import http_cache_dir, state_dir
from crawlers.report import CrawlReport
from crawlers.sources import Source, SourcesFile
from pantau.schemas import SourceType
from pantau.settings import Settings

ProgressCallback = Callable[[str], None]


def scrapy_settings(
    settings: Settings, overrides: Mapping[str, Any] | None = None, resume: bool = True
) -> ScrapySettings:
    """crawlers.settings, plus paths under Pantau's data dir, plus ``overrides``."""
    result = ScrapySettings()
    result.setmodule("crawlers.settings", priority="project")
    result.set("HTTPCACHE_DIR", str(http_cache_dir(settings)), priority="project")
    for key, value in (overrides or {}).items():
        result.set(key, value, priority="cmdline")
    return result


def split_sources(sources: SourcesFile) -> tuple[list[Source], list[Source]]:
    enabled = sources.enabled()
    telegram = [s for s in enabled if s.type is SourceType.TELEGRAM]
    news = [s for s in enabled if s.type is not SourceType.TELEGRAM]
    return news, telegram


def run_crawl(
    settings: Settings,
    sources: SourcesFile,
    overrides: Mapping[str, Any] | None = None,
    resume: bool = True,
    progress: ProgressCallback | None = None,
) -> list[CrawlReport]:
    """Crawl every enabled source once; blocks until done. Call once per process."""
    from crawlers.spiders.news import NewsSpider
    from crawlers.spiders.telegram import TelegramSpider

    base = scrapy_settings(settings, overrides)
    # Pantau's CLI owns the root log handler; Scrapy's LOG_LEVEL then has to be
    # applied to its loggers by hand, before CrawlerProcess logs its banner.
    base.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    level = logging.getLevelName(str(base.get("LOG_LEVEL", "INFO")))
    # CrawlerProcess resets Scrapy's logger levels and logs its banner at once:
    # a filter on the banner's loggers holds until the levels are set below.
    banner_filter = _MinLevel(level)
    for name in ("scrapy.utils.log", "scrapy.crawler"):
        logging.getLogger(name).addFilter(banner_filter)
    process = CrawlerProcess(base)
    for name in ("scrapy.utils.log", "scrapy.crawler"):
        logging.getLogger(name).removeFilter(banner_filter)
    for name in ("scrapy", "twisted", "protego", "py.warnings"):
        logging.getLogger(name).setLevel(level)
    crawlers: list[Crawler] = []
    news, telegram = split_sources(sources)
    for spider_cls, group in ((NewsSpider, news), (TelegramSpider, telegram)):
        if not group:
            continue
        crawler_settings = base.copy()
        if resume:
            # JOBDIR keeps the pending queue on disk, so a killed crawl resumes.
            jobdir = state_dir(settings) / "jobs" / spider_cls.name
            crawler_settings.set("JOBDIR", str(jobdir), priority="cmdline")
        crawler = process.create_crawler(spider_cls)
        crawler.settings = crawler_settings
        if progress is not None:
            _connect_progress(crawler, progress)
        process.crawl(crawler, sources=group, pantau_settings=settings)
        crawlers.append(crawler)
    if not crawlers:
        return []
    process.start()
    reports: list[CrawlReport] = []
    for crawler in crawlers:
        spider = crawler.spider
        if spider is not None and hasattr(spider, "context"):
            reports.append(spider.context.report)
    return reports


class _MinLevel(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


def _connect_progress(crawler: Crawler, progress: ProgressCallback) -> None:
    def response_received(**_: Any) -> None:
        progress("page")

    def item_scraped(**_: Any) -> None:
        progress("item")

    crawler.signals.connect(response_received, signal=signals.response_received, weak=False)
    crawler.signals.connect(item_scraped, signal=signals.item_scraped, weak=False)
