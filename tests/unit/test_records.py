from __future__ import annotations

from datetime import UTC, datetime

import pytest

from index.errors import InvalidCursor
from index.records import (
    decode_cursor,
    document_from_record,
    document_record,
    encode_cursor,
    format_ts,
    iso_week,
    parse_ts,
    place_ancestry,
)
from pantau.schemas import Classification, Document, Kind, Topic


def test_timestamps_are_fixed_width_and_round_trip() -> None:
    t = datetime(2024, 9, 1, 2, 3, 4, 567891, tzinfo=UTC)
    assert format_ts(t) == "2024-09-01T02:03:04.567Z"
    assert parse_ts(format_ts(t)) == t.replace(microsecond=567000)


def test_iso_week_uses_jakarta_time() -> None:
    # Sunday 17:00 UTC is Monday 00:00 WIB.
    assert iso_week(datetime(2024, 9, 15, 16, 59, tzinfo=UTC)) == "2024-W37"
    assert iso_week(datetime(2024, 9, 15, 17, 0, tzinfo=UTC)) == "2024-W38"
    assert iso_week(datetime(2024, 12, 30, 0, 0, tzinfo=UTC)) == "2025-W01"


def test_place_ancestry() -> None:
    assert place_ancestry(["31.71.01.1001", "32.73"]) == [
        "31",
        "31.71",
        "31.71.01",
        "31.71.01.1001",
        "32",
        "32.73",
    ]
    assert place_ancestry([]) == []


def test_document_record_round_trip_and_derived_fields() -> None:
    doc = Document(
        url="https://x.id/a",
        source="X",
        title="Judul",
        body="Isi",
        published_at=datetime(2024, 9, 16, 3, tzinfo=UTC),
        fetched_at=datetime(2024, 9, 16, 4, tzinfo=UTC),
        places=["31.71.01"],
        classification=Classification(topics=[Topic.APK], kind=Kind.PENCEGAHAN),
    )
    rec = document_record(doc)
    assert rec["date"] == "2024-09-16T03:00:00.000Z"
    assert rec["iso_week"] == "2024-W38"
    assert rec["place_paths"] == ["31", "31.71", "31.71.01"]
    assert rec["topics"] == ["apk"] and rec["kind"] == "pencegahan"
    assert document_from_record(rec) == doc


def test_unpublished_documents_sort_by_fetch_time() -> None:
    doc = Document(source="X", body="b", fetched_at=datetime(2024, 1, 2, tzinfo=UTC))
    assert document_record(doc)["date"] == "2024-01-02T00:00:00.000Z"
    assert document_record(doc)["kind"] is None


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        Document(source="X", body="b", fetched_at=datetime(2024, 1, 2))


def test_cursor_round_trip_and_rejection() -> None:
    assert decode_cursor(encode_cursor([1.5, "abc"]), 2) == [1.5, "abc"]
    with pytest.raises(InvalidCursor):
        decode_cursor("%%%", 2)
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor([1, 2, 3]), 2)
