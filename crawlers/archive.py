"""Raw responses archived as gzipped WARC records, so an alert can show what was seen.

Each record is its own gzip member, written and flushed at once: a crash
loses at most the record being written, and a reference ``<file>#<offset>``
can be read without scanning the file.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# Scrapy hands over bodies already decoded; these headers would describe other bytes.
_DROP_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass
class ArchivedResponse:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: str | None


class WarcArchive:
    """Appends response records to ``<root>/<YYYY>/<MM>/<DD>/<prefix>-<time>-<pid>.warc.gz``."""

    def __init__(self, root: Path, prefix: str = "pantau") -> None:
        self.root = root
        self.prefix = prefix
        self._handle: BinaryIO | None = None
        self._writer: WARCWriter | None = None
        self._relative: str | None = None

    def _open(self) -> None:
        now = datetime.now(UTC)
        relative = Path(f"{now:%Y/%m/%d}") / (
            f"{self.prefix}-{now:%Y%m%dT%H%M%S}-{os.getpid()}.warc.gz"
        )
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        # Held open across records (closed in close()); a with-block would close it per record.
        self._handle = open(target, "ab")  # noqa: SIM115
        self._writer = WARCWriter(self._handle, gzip=True)
        self._relative = relative.as_posix()

    def write_response(
        self,
        url: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        fetched_at: datetime,
        reason: str = "",
    ) -> str:
        """Archive one response; return its reference ``<relative file>#<offset>``."""
        if self._writer is None:
            self._open()
        assert self._writer is not None and self._handle is not None
        kept = [(k, v) for k, v in headers if k.lower() not in _DROP_HEADERS]
        kept.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(f"{status} {reason or 'OK'}", kept, protocol="HTTP/1.1")
        record = self._writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Date": fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            },
        )
        self._handle.seek(0, os.SEEK_END)
        offset = self._handle.tell()
        self._writer.write_record(record)
        self._handle.flush()
        return f"{self._relative}#{offset}"

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self._writer = None


def read_archived(root: Path, ref: str) -> ArchivedResponse:
    """Read back the response that ``ref`` (from :meth:`WarcArchive.write_response`) names."""
    relative, _, offset_text = ref.rpartition("#")
    if not relative or not offset_text.isdigit():
        raise ValueError(f"not an archive reference: {ref!r}")
    path = (root / relative).resolve()
    if root.resolve() not in path.parents:
        raise ValueError(f"archive reference points outside the archive: {ref!r}")
    with open(path, "rb") as handle:
        handle.seek(int(offset_text))
        for record in ArchiveIterator(handle):
            http = record.http_headers
            return ArchivedResponse(
                url=record.rec_headers.get_header("WARC-Target-URI"),
                status=int(http.get_statuscode()) if http else 0,
                headers=list(http.headers) if http else [],
                body=record.content_stream().read(),
                fetched_at=record.rec_headers.get_header("WARC-Date"),
            )
    raise ValueError(f"no record at {ref!r}")
