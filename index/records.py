"""Pure conversions between domain objects and the flat records both backends store.

One record shape for SQLite and the search engines keeps their behaviour
identical: the same derived fields (sort date, ISO week, place ancestry,
severity rank) are computed here, once.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from index.errors import InvalidCursor
from pantau.schemas import (
    SEVERITY_RANK,
    Alert,
    AuditEntry,
    Classification,
    Document,
    Incident,
    Provenance,
)

# Weeks and days are counted the way the city's meetings count them.
REPORTING_TZ = ZoneInfo("Asia/Jakarta")


def to_millis(value: datetime) -> datetime:
    """Truncate to milliseconds: the engines sort dates at that precision."""
    return value.astimezone(UTC).replace(microsecond=value.microsecond // 1000 * 1000)


def format_ts(value: datetime) -> str:
    """Fixed-width UTC timestamp: sorts as text the way it sorts as time."""
    return to_millis(value).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def iso_week(value: datetime) -> str:
    year, week, _ = value.astimezone(REPORTING_TZ).isocalendar()
    return f"{year}-W{week:02d}"


def place_ancestry(codes: list[str]) -> list[str]:
    """Every code and each of its parents: ["31.71.01"] -> ["31", "31.71", "31.71.01"]."""
    out: set[str] = set()
    for code in codes:
        parts = code.split(".")
        for i in range(1, len(parts) + 1):
            out.add(".".join(parts[:i]))
    return sorted(out)


def document_record(doc: Document) -> dict[str, Any]:
    """Flatten a document into the stored record (pure)."""
    cls = doc.classification
    date = doc.published_at or doc.fetched_at
    return {
        "id": doc.id,
        "url": doc.url,
        "source": doc.source,
        "source_type": doc.source_type.value,
        "title": doc.title,
        "body": doc.body,
        "author": doc.author,
        "dateline": doc.dateline,
        "language": doc.language,
        "published_at": format_ts(doc.published_at) if doc.published_at else None,
        "fetched_at": format_ts(doc.fetched_at),
        "date": format_ts(date),
        "iso_week": iso_week(date),
        "places": list(doc.places),
        "place_paths": place_ancestry(doc.places),
        "place_names": list(doc.place_names),
        "topics": [t.value for t in cls.topics] if cls else [],
        "kind": cls.kind.value if cls else None,
        "severity": doc.severity.value if doc.severity else None,
        "story_id": doc.story_id,
        "classification": cls.model_dump(mode="json") if cls else None,
        "provenance": doc.provenance.model_dump(mode="json"),
    }


def document_from_record(rec: dict[str, Any]) -> Document:
    """Rebuild a document from its stored record (pure)."""
    return Document(
        id=rec["id"],
        url=rec.get("url"),
        source=rec["source"],
        source_type=rec["source_type"],
        title=rec.get("title") or "",
        body=rec["body"],
        author=rec.get("author"),
        dateline=rec.get("dateline"),
        language=rec.get("language"),
        published_at=parse_ts(rec["published_at"]) if rec.get("published_at") else None,
        fetched_at=parse_ts(rec["fetched_at"]),
        places=rec.get("places") or [],
        place_names=rec.get("place_names") or [],
        classification=Classification.model_validate(rec["classification"])
        if rec.get("classification")
        else None,
        severity=rec.get("severity"),
        story_id=rec.get("story_id"),
        provenance=Provenance.model_validate(rec.get("provenance") or {}),
    )


def incident_record(incident: Incident) -> dict[str, Any]:
    data = incident.model_dump(mode="json")
    for key in ("first_seen", "last_seen", "created_at", "updated_at"):
        data[key] = format_ts(getattr(incident, key))
    data["severity_rank"] = SEVERITY_RANK[incident.severity]
    data["evidence_count"] = len(incident.document_ids)
    data["place_paths"] = place_ancestry(incident.places)
    return data


def incident_from_record(rec: dict[str, Any]) -> Incident:
    data = {k: v for k, v in rec.items() if k in Incident.model_fields}
    return Incident.model_validate(data)


def alert_record(alert: Alert) -> dict[str, Any]:
    data = alert.model_dump(mode="json")
    data["created_at"] = format_ts(alert.created_at)
    data["updated_at"] = format_ts(alert.updated_at)
    data["severity_rank"] = SEVERITY_RANK[alert.severity]
    data["place_paths"] = place_ancestry(alert.places)
    return data


def alert_from_record(rec: dict[str, Any]) -> Alert:
    return Alert.model_validate({k: v for k, v in rec.items() if k in Alert.model_fields})


def audit_record(entry: AuditEntry) -> dict[str, Any]:
    data = entry.model_dump(mode="json")
    data["at"] = format_ts(entry.at)
    return data


def audit_from_record(rec: dict[str, Any]) -> AuditEntry:
    return AuditEntry.model_validate({k: v for k, v in rec.items() if k in AuditEntry.model_fields})


_audit_seq = itertools.count()


def new_audit_id(at: datetime) -> str:
    """Audit IDs sort by time, then by this process's write order (changes made in one
    millisecond keep their order), then by a random tail unique across processes."""
    return f"{format_ts(at)}-{next(_audit_seq):010d}-{uuid.uuid4().hex[:8]}"


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor(f"malformed cursor: {exc}") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidCursor("cursor does not belong to this kind of listing")
    return values
