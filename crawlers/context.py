"""The heavy resources a crawl writes to, opened once per spider and closed with it."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

from crawlers.archive import WarcArchive
from crawlers.dedup import StoryIndex
from crawlers.report import CrawlReport
from crawlers.spool import Spool
from crawlers.state import SeenUrls
from pantau.schemas import Document
from pantau.settings import Settings

log = logging.getLogger(__name__)


class _Closable(Protocol):
    def close(self) -> None: ...


_R = TypeVar("_R", bound=_Closable)


def state_dir(settings: Settings) -> Path:
    return settings.data_dir / "crawl"


def http_cache_dir(settings: Settings) -> Path:
    return state_dir(settings) / "httpcache"


class _Shared:
    """One SeenUrls and one StoryIndex per file per process, shared by the spiders
    of a run, so a story seen by one spider is known to the other at once."""

    def __init__(self) -> None:
        self._seen: dict[Path, tuple[SeenUrls, int]] = {}
        self._stories: dict[Path, tuple[StoryIndex, int]] = {}

    def seen(self, path: Path) -> SeenUrls:
        index, users = self._seen.get(path) or (SeenUrls(path), 0)
        self._seen[path] = (index, users + 1)
        return index

    def stories(self, path: Path, window_days: float) -> StoryIndex:
        index, users = self._stories.get(path) or (StoryIndex(path, window_days=window_days), 0)
        self._stories[path] = (index, users + 1)
        return index

    def release(self, seen: SeenUrls, stories: StoryIndex) -> None:
        _drop(self._seen, seen)
        _drop(self._stories, stories)


def _drop(table: dict[Path, tuple[_R, int]], resource: _R) -> None:
    for path, (held, users) in list(table.items()):
        if held is resource:
            if users <= 1:
                del table[path]
                resource.close()
            else:
                table[path] = (held, users - 1)


_shared = _Shared()


@dataclass
class CrawlContext:
    settings: Settings
    seen: SeenUrls
    stories: StoryIndex
    spool: Spool
    archive: WarcArchive
    report: CrawlReport

    @classmethod
    def open(cls, settings: Settings, name: str) -> CrawlContext:
        root = state_dir(settings)
        return cls(
            settings=settings,
            seen=_shared.seen(root / "seen.sqlite3"),
            stories=_shared.stories(root / "stories.sqlite3", settings.story_window_days),
            spool=Spool(settings.resolved_spool_dir()),
            archive=WarcArchive(settings.resolved_archive_dir(), prefix=name),
            report=CrawlReport(spider=name),
        )

    def emit(self, doc: Document, origin: str) -> Document:
        """Group ``doc`` with its near-duplicates, spool it durably, then mark its URL seen."""
        story_id = self.stories.assign(doc.id, doc.title + "\n" + doc.body)
        doc = doc.model_copy(update={"story_id": story_id})
        self.spool.put({"document": doc.model_dump(mode="json")}, doc.id, origin)
        # Marked only after the spool write: a crash in between refetches, never loses.
        self.seen.mark(doc.id, doc.url or "", "spooled")
        self.report.items_spooled += 1
        return doc

    def close(self) -> None:
        self.report.finished_at = datetime.now(UTC)
        reports = state_dir(self.settings) / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        target = reports / f"{self.report.spider}-{self.report.started_at:%Y%m%dT%H%M%S}.json"
        target.write_text(json.dumps(self.report.to_dict(), ensure_ascii=False, indent=2))
        self.archive.close()
        _shared.release(self.seen, self.stories)
