"""The storage contract shared by every backend, and the value types it speaks.

Both :class:`index.sqlite_store.SqliteStore` and
:class:`index.engine_store.SearchEngineStore` implement :class:`Store`, and one
test suite (``tests/contract``) holds them to the same behaviour.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pantau.schemas import (
    Alert,
    AlertStatus,
    AuditEntry,
    Document,
    Incident,
    IncidentStatus,
    Kind,
    Severity,
    SourceType,
    Topic,
)

T = TypeVar("T")

MAX_PAGE_SIZE = 500


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DocumentFilters(_Value):
    """Filters on documents. Lists mean "any of"; different fields combine with AND."""

    topics: tuple[Topic, ...] = ()
    kinds: tuple[Kind, ...] = ()
    severities: tuple[Severity, ...] = ()
    # A place code matches itself and everything inside it ("31" = all of DKI Jakarta).
    places: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    source_types: tuple[SourceType, ...] = ()
    languages: tuple[str, ...] = ()
    # Syndicated copies share a story ID: filter on it to list every outlet of one story.
    story_ids: tuple[str, ...] = ()
    date_from: datetime | None = None
    date_to: datetime | None = None

    @field_validator("places")
    @classmethod
    def _place_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            parts = code.split(".")
            if not code or not all(p.isdigit() for p in parts) or len(parts) > 4:
                raise ValueError(
                    f"invalid place code {code!r}: "
                    "expected Kemendagri codes like '31' or '31.71.01'"
                )
        return value

    @field_validator("date_from", "date_to")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("date filters must carry a time zone")
        return value

    @model_validator(mode="after")
    def _range(self) -> DocumentFilters:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        return self


class SortOrder(StrEnum):
    NEWEST = "newest"
    RELEVANCE = "relevance"


class Facet(StrEnum):
    TOPIC = "topic"
    KIND = "kind"
    SEVERITY = "severity"
    PLACE = "place"
    SOURCE = "source"


class SearchQuery(_Value):
    """A full-text search: words must all match (title or body); "quoted phrases"
    match in order; a leading ``-`` excludes a word."""

    text: str = ""
    filters: DocumentFilters = Field(default_factory=DocumentFilters)
    sort: SortOrder = SortOrder.NEWEST
    limit: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = None
    facets: tuple[Facet, ...] = ()

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if len(value) > 1000:
            raise ValueError("search text is longer than 1000 characters")
        return value.strip()


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    total: int | None = None


class SearchPage(Page[Document]):
    facets: dict[str, dict[str, int]] = Field(default_factory=dict)


class BulkError(_Value):
    id: str
    reason: str
    retryable: bool = False

    @classmethod
    def too_large(cls, doc_id: str, size: int, limit: int) -> BulkError:
        return cls(
            id=doc_id,
            reason=f"document is {size} bytes, over the {limit}-byte limit; "
            "rejected, not truncated",
        )


class BulkResult(BaseModel):
    indexed: int = 0
    errors: list[BulkError] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def merge(self, other: BulkResult) -> BulkResult:
        return BulkResult(indexed=self.indexed + other.indexed, errors=self.errors + other.errors)


class AlertFilters(_Value):
    statuses: tuple[AlertStatus, ...] = ()
    severities: tuple[Severity, ...] = ()
    topics: tuple[Topic, ...] = ()
    places: tuple[str, ...] = ()


class IncidentFilters(_Value):
    statuses: tuple[IncidentStatus, ...] = ()
    severities: tuple[Severity, ...] = ()
    topics: tuple[Topic, ...] = ()
    places: tuple[str, ...] = ()


class WeekTopicCount(_Value):
    week: str  # ISO week in Asia/Jakarta, e.g. "2024-W38"
    topic: Topic
    count: int


class DigestAggregates(BaseModel):
    """What the weekly digest needs, for documents dated in [start, end)."""

    start: datetime
    end: datetime
    total_documents: int
    by_week_topic: list[WeekTopicCount]
    by_topic: dict[str, int]
    by_place: dict[str, int]
    by_kind: dict[str, int]
    top_incidents: list[Incident]


class RetentionResult(_Value):
    cutoff: datetime
    deleted: int
    kept_as_evidence: int


class StoreStats(BaseModel):
    backend: str
    location: str
    server_version: str | None = None
    text_analyzer: str
    documents: int
    incidents: int
    alerts: int
    audit_entries: int
    documents_by_kind: dict[str, int]
    documents_by_source: dict[str, int]
    newest_document: datetime | None = None


class Store(abc.ABC):
    """Storage for documents, incidents, alerts and their audit trail.

    Writes are idempotent: upserting the same document (same ID) twice stores
    it once. Reads after a write see it (each backend makes writes visible
    before returning, except ``upsert_documents``, which is visible after
    :meth:`refresh`).
    """

    backend: str

    # -- lifecycle ---------------------------------------------------------
    @abc.abstractmethod
    def init(self) -> None:
        """Create or migrate tables / indices. Safe to call on every start."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def refresh(self) -> None:  # noqa: B027 - backends without a refresh cycle need nothing
        """Make bulk writes visible to searches."""

    # -- documents ---------------------------------------------------------
    @abc.abstractmethod
    def upsert_documents(self, docs: Iterable[Document]) -> BulkResult:
        """Insert or replace documents by ID. Oversized documents are rejected
        (reported in the result), never truncated."""

    @abc.abstractmethod
    def get_document(self, doc_id: str) -> Document | None: ...

    @abc.abstractmethod
    def search_documents(self, query: SearchQuery) -> SearchPage: ...

    @abc.abstractmethod
    def delete_older_than(self, days: int, now: datetime | None = None) -> RetentionResult:
        """Delete documents fetched more than ``days`` ago, except those that an
        incident cites as evidence."""

    # -- incidents ---------------------------------------------------------
    @abc.abstractmethod
    def upsert_incident(self, incident: Incident, actor: str = "system") -> Incident: ...

    @abc.abstractmethod
    def get_incident(self, incident_id: str) -> Incident: ...

    @abc.abstractmethod
    def list_incidents(
        self, filters: IncidentFilters | None = None, limit: int = 50, cursor: str | None = None
    ) -> Page[Incident]: ...

    @abc.abstractmethod
    def set_incident_status(
        self, incident_id: str, status: IncidentStatus, actor: str, note: str | None = None
    ) -> Incident: ...

    # -- alerts ------------------------------------------------------------
    @abc.abstractmethod
    def create_alert(self, alert: Alert, actor: str = "system") -> Alert:
        """Store a new alert; raising the same alert ID again returns the stored one."""

    @abc.abstractmethod
    def get_alert(self, alert_id: str) -> Alert: ...

    @abc.abstractmethod
    def list_alerts(
        self, filters: AlertFilters | None = None, limit: int = 50, cursor: str | None = None
    ) -> Page[Alert]: ...

    @abc.abstractmethod
    def set_alert_status(
        self,
        alert_id: str,
        status: AlertStatus,
        actor: str,
        note: str | None = None,
        assignee: str | None = None,
    ) -> Alert: ...

    @abc.abstractmethod
    def audit_trail(self, entity_type: str, entity_id: str) -> list[AuditEntry]: ...

    # -- aggregations ------------------------------------------------------
    @abc.abstractmethod
    def digest_aggregates(
        self,
        start: datetime,
        end: datetime,
        filters: DocumentFilters | None = None,
        top_incidents: int = 10,
    ) -> DigestAggregates: ...

    @abc.abstractmethod
    def stats(self) -> StoreStats: ...
