"""JSONL import of posts from other platforms (X, Facebook, Instagram, TikTok, …).

One JSON object per line (schema in docs/crawlers.md). Good lines become
documents in the spool; bad lines are parked with their line number and the
reason, never dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crawlers.archive import WarcArchive
from crawlers.dedup import StoryIndex
from crawlers.documents import sha256_hex
from crawlers.extract import detect_language
from crawlers.spool import Spool
from pantau.schemas import Document, Provenance, SourceType

INGEST_SCHEMA_VERSION = 1


class IngestRecord(BaseModel):
    """One imported post; see docs/crawlers.md ("Import schema")."""

    model_config = ConfigDict(extra="forbid")

    platform: str = Field(min_length=1, max_length=40)
    account: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1)
    url: str | None = None
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    collected_at: datetime | None = None
    language: str | None = None
    source_type: SourceType = SourceType.SOCIAL
    collector: str | None = Field(default=None, description="Tool or person that collected it.")

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is blank")
        return value.strip()

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("url must be absolute http(s)")
        return value

    @field_validator("published_at", "collected_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps need a time zone, e.g. 2024-09-19T10:15:00+07:00")
        return value


class IngestLineError(ValueError):
    pass


def parse_ingest_line(line: str) -> IngestRecord:
    """Validate one JSONL line (pure); IngestLineError says what is wrong."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise IngestLineError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise IngestLineError("a line must be a JSON object")
    try:
        return IngestRecord.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'line'}: {err['msg']}"
            for err in exc.errors()
        )
        raise IngestLineError(problems) from exc


def document_from_record(
    record: IngestRecord, raw_sha256: str, archive_ref: str | None, now: datetime
) -> Document:
    """Pure mapping of a validated record to a document."""
    first_line = record.text.split("\n", 1)[0]
    title = record.title or (first_line if len(first_line) <= 140 else first_line[:137] + "…")
    return Document(
        url=record.url,
        source=f"{record.account} ({record.platform})",
        source_type=record.source_type,
        title=title,
        body=record.text,
        author=record.author or record.account,
        language=record.language or detect_language(record.text),
        published_at=record.published_at,
        fetched_at=record.collected_at or now,
        provenance=Provenance(
            source_url=record.url,
            final_url=record.url,
            raw_sha256=raw_sha256,
            archive_ref=archive_ref,
        ),
    )


@dataclass
class IngestReport:
    lines: int = 0
    spooled: int = 0
    blank: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)


def ingest_file(
    path: Path, spool: Spool, stories: StoryIndex, archive: WarcArchive
) -> IngestReport:
    """Spool every good line of ``path``; park every bad one with its line number."""
    report = IngestReport()
    now = datetime.now(UTC)
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        for number, raw_line in enumerate(handle, start=1):
            report.lines += 1
            line = raw_line.rstrip("\n")
            if not line.strip():
                report.blank += 1
                continue
            try:
                line.encode("utf-8")
                record = parse_ingest_line(line)
            except (IngestLineError, UnicodeEncodeError) as exc:
                reason = f"{path.name} line {number}: {exc}"
                safe = line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                spool.park_text(f"{path.name}.line{number}.jsonl", safe, reason)
                report.bad_lines.append((number, str(exc)))
                continue
            raw = line.encode("utf-8")
            ref = archive.write_response(
                record.url or f"urn:pantau:ingest:{path.name}:{number}",
                200,
                [("Content-Type", "application/json; charset=utf-8")],
                raw,
                now,
            )
            doc = document_from_record(record, sha256_hex(raw), ref, now)
            doc = doc.model_copy(
                update={"story_id": stories.assign(doc.id, doc.title + "\n" + doc.body)}
            )
            spool.put({"document": doc.model_dump(mode="json")}, doc.id, f"ingest:{path.name}")
            report.spooled += 1
    return report
