from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.archive import WarcArchive, read_archived


def test_records_read_back_by_reference(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, prefix="uji")
    body = "<html><p>“Netral”</p></html>".encode()
    first = archive.write_response(
        "http://a/1",
        200,
        [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
        body,
        datetime(2024, 9, 19, tzinfo=UTC),
    )
    second = archive.write_response("http://a/2", 500, [], b"galat", datetime.now(UTC))
    archive.close()
    got = read_archived(tmp_path, first)
    assert (got.url, got.status, got.body) == ("http://a/1", 200, body)
    assert ("Content-Encoding", "gzip") not in got.headers
    assert got.fetched_at == "2024-09-19T00:00:00Z"
    assert read_archived(tmp_path, second).status == 500
    assert first.split("#")[0].endswith(".warc.gz")


def test_bad_references_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        read_archived(tmp_path, "no-offset")
    with pytest.raises(ValueError):
        read_archived(tmp_path, "../../etc/passwd#0")
