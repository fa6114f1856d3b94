"""Shared domain schemas: what every part of Pantau passes around.

Labels follow ``shared/annotation-guide.md``; their identifiers are the
guide's own (Indonesian) so that an analyst reading raw data sees the words of
the contract.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pantau.identity import document_id


class Topic(StrEnum):
    NETRALITAS_ASN = "netralitas_asn"
    NETRALITAS_TNI_POLRI = "netralitas_tni_polri"
    APK = "apk"
    POLITIK_UANG = "politik_uang"
    PELANGGARAN_KAMPANYE = "pelanggaran_kampanye"
    HOAKS = "hoaks"
    SARA_KEBENCIAN = "sara_kebencian"
    INTIMIDASI_KEKERASAN = "intimidasi_kekerasan"
    DATA_PEMILIH = "data_pemilih"
    INTEGRITAS_PENYELENGGARA = "integritas_penyelenggara"


class Kind(StrEnum):
    DUGAAN_PELANGGARAN = "dugaan_pelanggaran"
    PENCEGAHAN = "pencegahan"
    LAINNYA = "lainnya"


class Severity(StrEnum):
    KRITIS = "kritis"
    TINGGI = "tinggi"
    SEDANG = "sedang"
    RENDAH = "rendah"


SEVERITY_RANK: dict[Severity, int] = {
    Severity.KRITIS: 4,
    Severity.TINGGI: 3,
    Severity.SEDANG: 2,
    Severity.RENDAH: 1,
}


class ScoresFrom(StrEnum):
    """Which model's probabilities a stored classification carries."""

    # The full classifier (transformer, blended with the n-gram model where it has one).
    MODEL = "model"
    # The n-gram model alone: the cascade found the transformer could not change the
    # labels, or the relevance screen judged the text off-topic. Labels are still the
    # classifier's; the scores are the n-gram model's.
    NGRAM = "ngram"


class SourceType(StrEnum):
    NEWS = "news"
    OFFICIAL = "official"
    TELEGRAM = "telegram"
    SOCIAL = "social"
    OTHER = "other"


class IncidentStatus(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    REFERRED = "referred"
    CLOSED = "closed"


class AlertStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    DISMISSED = "dismissed"
    RESOLVED = "resolved"


# Allowed status moves. Terminal states can be reopened so that a wrong
# dismissal is fixable; every move lands in the audit trail either way.
ALERT_TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.NEW: frozenset(
        {AlertStatus.ACKNOWLEDGED, AlertStatus.ESCALATED, AlertStatus.DISMISSED}
    ),
    AlertStatus.ACKNOWLEDGED: frozenset(
        {AlertStatus.ESCALATED, AlertStatus.DISMISSED, AlertStatus.RESOLVED}
    ),
    AlertStatus.ESCALATED: frozenset({AlertStatus.RESOLVED, AlertStatus.DISMISSED}),
    AlertStatus.DISMISSED: frozenset({AlertStatus.NEW}),
    AlertStatus.RESOLVED: frozenset({AlertStatus.NEW}),
}
INCIDENT_TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    IncidentStatus.OPEN: frozenset({IncidentStatus.INVESTIGATING, IncidentStatus.CLOSED}),
    IncidentStatus.INVESTIGATING: frozenset({IncidentStatus.REFERRED, IncidentStatus.CLOSED}),
    IncidentStatus.REFERRED: frozenset({IncidentStatus.CLOSED}),
    IncidentStatus.CLOSED: frozenset({IncidentStatus.OPEN}),
}


class InvalidTransition(ValueError):
    """A status change the workflow does not allow; API callers get a 409."""


def check_transition(table: dict[Any, frozenset[Any]], current: StrEnum, target: StrEnum) -> None:
    if target == current:
        raise InvalidTransition(f"status is already {current.value!r}")
    if target not in table[current]:
        allowed = ", ".join(sorted(s.value for s in table[current]))
        raise InvalidTransition(
            f"cannot move from {current.value!r} to {target.value!r}; allowed: {allowed}"
        )


def utcnow() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("datetimes must carry a time zone (naive datetimes are ambiguous)")
    # Millisecond precision: what the search engines keep, so every store round-trips exactly.
    return value.astimezone(UTC).replace(microsecond=value.microsecond // 1000 * 1000)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False, validate_assignment=True)


class Classification(_Model):
    """What the classifier said about one text (see the annotation guide)."""

    topics: list[Topic] = Field(default_factory=list)
    kind: Kind = Kind.LAINNYA
    topic_scores: dict[str, float] = Field(default_factory=dict)
    kind_scores: dict[str, float] = Field(default_factory=dict)
    model_version: str | None = None
    # None: stored before this was recorded.
    scores_from: ScoresFrom | None = None
    # True: the classifier read only the text's first characters (nlp.service.MAX_TEXT_CHARS).
    truncated: bool | None = None


class Provenance(_Model):
    """How a document was obtained, so an alert can show exactly what was seen."""

    source_url: str | None = None
    final_url: str | None = None
    http_status: int | None = None
    raw_sha256: str | None = None
    archive_ref: str | None = Field(
        default=None, description="Where the raw response is archived (WARC file + record)."
    )


class Document(_Model):
    """One news article or social post, as stored in the index."""

    id: str = ""
    url: str | None = None
    source: str = Field(description="Outlet or channel name, e.g. 'Antara Megapolitan'.")
    source_type: SourceType = SourceType.NEWS
    title: str = ""
    body: str
    author: str | None = None
    dateline: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    fetched_at: datetime = Field(default_factory=utcnow)
    places: list[str] = Field(
        default_factory=list, description="Gazetteer codes (Kemendagri), most specific first."
    )
    place_names: list[str] = Field(default_factory=list)
    classification: Classification | None = None
    severity: Severity | None = None
    story_id: str | None = Field(
        default=None, description="Groups syndicated near-duplicates under one story."
    )
    provenance: Provenance = Field(default_factory=Provenance)

    @field_validator("published_at", "fetched_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value)

    @model_validator(mode="after")
    def _derive_id(self) -> Document:
        if not self.id:
            # Bypass validate_assignment recursion: the ID is derived, not user data.
            object.__setattr__(self, "id", document_id(self.url, self.title + "\n" + self.body))
        return self

    @property
    def topics(self) -> list[Topic]:
        return self.classification.topics if self.classification else []

    @property
    def kind(self) -> Kind | None:
        return self.classification.kind if self.classification else None

    def size_bytes(self) -> int:
        return len(self.title.encode("utf-8")) + len(self.body.encode("utf-8"))


class Incident(_Model):
    """One real-world event, evidenced by one or more documents from many outlets."""

    id: str
    title: str
    summary: str = ""
    topics: list[Topic] = Field(default_factory=list)
    severity: Severity = Severity.SEDANG
    status: IncidentStatus = IncidentStatus.OPEN
    places: list[str] = Field(default_factory=list)
    document_ids: list[str] = Field(default_factory=list)
    legal_basis: list[str] = Field(default_factory=list)
    handling_route: str | None = Field(
        default=None, description="BKN, Gakkumdu, DKPP, KPU or takedown."
    )
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @field_validator("first_seen", "last_seen", "created_at", "updated_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        out = _as_utc(value)
        assert out is not None
        return out


class Alert(_Model):
    """Something an analyst must look at; the text fields are in Bahasa Indonesia."""

    id: str
    title: str
    message: str = ""
    severity: Severity
    status: AlertStatus = AlertStatus.NEW
    incident_id: str | None = None
    document_ids: list[str] = Field(default_factory=list)
    topics: list[Topic] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    assignee: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @field_validator("created_at", "updated_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        out = _as_utc(value)
        assert out is not None
        return out


class AuditEntry(_Model):
    """One append-only record of a change to an incident or alert."""

    id: str
    entity_type: str = Field(pattern="^(incident|alert)$")
    entity_id: str
    action: str
    from_status: str | None = None
    to_status: str | None = None
    actor: str
    note: str | None = None
    at: datetime = Field(default_factory=utcnow)

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        out = _as_utc(value)
        assert out is not None
        return out
