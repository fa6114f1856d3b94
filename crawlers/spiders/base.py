"""What every Pantau spider shares: injected resources, failure reasons, archiving."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawlers.context import CrawlContext
from crawlers.documents import FetchInfo, sha256_hex
from crawlers.sources import Source
from pantau.settings import Settings


def classify_failure(failure: Failure) -> tuple[str, str]:
    """(reason, detail) for a failed request; reasons are what the crawl report counts."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return ("http_5xx" if status >= 500 else f"http_{status}"), f"HTTP {status}"
    if isinstance(exc, DownloadTimeoutError | TimeoutError | TCPTimedOutError):
        return "timeout", str(exc) or "no answer in time"
    if isinstance(exc, DownloadCancelledError):
        return "too_large", str(exc)
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        if "redirection" in message:
            return "redirect_loop", message
        if "robots.txt" in message:
            return "robots_forbidden", message
        return "ignored", message
    if isinstance(exc, DNSLookupError | CannotResolveHostError):
        return "dns_error", str(exc)
    if isinstance(exc, ResponseDataLossError):
        return "data_loss", str(exc)
    if isinstance(
        exc,
        ConnectionRefusedError
        | DownloadConnectionRefusedError
        | ConnectionLost
        | DownloadFailedError,
    ):
        return "connection_error", str(exc)
    return "download_error", f"{type(exc).__name__}: {exc}"


class PantauSpider(Spider):
    """Base spider: gets the Pantau settings and its sources injected by the runner."""

    context: CrawlContext
    sources: dict[str, Source]

    def __init__(self, *args: Any, sources: list[Source] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sources = {s.id: s for s in (sources or [])}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PantauSpider:
        pantau_settings: Settings = kwargs.pop("pantau_settings")
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, PantauSpider)
        spider.context = CrawlContext.open(pantau_settings, spider.name)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    def _closed(self, spider: Spider) -> None:
        self.context.close()

    @property
    def report(self) -> Any:
        return self.context.report

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        reason, detail = classify_failure(failure)
        # Report the URL the crawler asked for, not where a redirect chain ended.
        asked = (request.meta.get("redirect_urls") or [request.url])[0]
        if asked != request.url:
            detail = f"{detail}; last URL {request.url}"
        self.report.problem(asked, reason, detail, request.meta.get("source_id"))
        key = request.meta.get("key")
        if key:
            self.context.seen.mark(key, asked, reason)

    def archive(self, response: Response, fetched_at: datetime) -> FetchInfo:
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in response.headers.items()
            for v in values
        ]
        ref = self.context.archive.write_response(
            response.url, response.status, headers, response.body, fetched_at
        )
        requested = response.meta.get(
            "redirect_urls", [response.request.url if response.request else response.url]
        )[0]
        return FetchInfo(
            requested_url=requested,
            final_url=response.url,
            status=response.status,
            raw_sha256=sha256_hex(response.body),
            archive_ref=ref,
            fetched_at=fetched_at,
        )


def served_from_cache(response: Response) -> bool:
    """True when the HTTP cache answered: still fresh, or revalidated with a 304."""
    # HttpCacheMiddleware flags the stored response it hands back, including after a 304.
    return "cached" in response.flags


def now_utc() -> datetime:
    return datetime.now(UTC)
