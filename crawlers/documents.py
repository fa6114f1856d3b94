"""Mapping crawled and imported material to :class:`pantau.schemas.Document` (pure)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from crawlers.extract import ExtractedArticle
from crawlers.sources import Source
from pantau.schemas import Document, Provenance, SourceType


@dataclass(frozen=True)
class FetchInfo:
    """What the crawler knows about one response, for provenance."""

    requested_url: str
    final_url: str
    status: int
    raw_sha256: str
    archive_ref: str | None
    fetched_at: datetime


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def provenance(fetch: FetchInfo) -> Provenance:
    return Provenance(
        source_url=fetch.requested_url,
        final_url=fetch.final_url,
        http_status=fetch.status,
        raw_sha256=fetch.raw_sha256,
        archive_ref=fetch.archive_ref,
    )


def document_from_article(article: ExtractedArticle, source: Source, fetch: FetchInfo) -> Document:
    # The outlet is the one in the sources file: analysts filter on those names,
    # whatever og:site_name a page claims.
    return Document(
        url=article.url,
        source=source.name,
        source_type=source.type,
        title=article.title,
        body=article.body,
        author=article.author,
        dateline=article.dateline,
        language=article.language,
        published_at=article.published_at,
        fetched_at=fetch.fetched_at,
        provenance=provenance(fetch),
    )


def document_from_post(
    *,
    url: str,
    text: str,
    source: Source,
    fetch: FetchInfo,
    published_at: datetime | None,
    author: str | None,
    language: str | None,
) -> Document:
    first_line = text.strip().split("\n", 1)[0]
    title = first_line if len(first_line) <= 140 else first_line[:137].rstrip() + "…"
    return Document(
        url=url,
        source=source.name,
        source_type=SourceType.TELEGRAM,
        title=title,
        body=text.strip(),
        author=author,
        language=language,
        published_at=published_at,
        fetched_at=fetch.fetched_at,
        provenance=provenance(fetch),
    )
