"""What a crawl did: pages by kind, items spooled, and every problem with its reason."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("crawlers.report")

# Reasons that are worth a retry next run; the rest are final for that URL.
TRANSIENT_REASONS = frozenset({"timeout", "connection_error", "http_5xx", "dns_error", "data_loss"})


@dataclass
class Problem:
    url: str
    reason: str
    detail: str
    source: str | None


@dataclass
class CrawlReport:
    spider: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    pages: Counter[str] = field(default_factory=Counter)
    not_modified: int = 0
    items_spooled: int = 0
    skipped_seen: int = 0
    notes: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    def page(self, kind: str, cached: bool = False) -> None:
        self.pages[kind] += 1
        if cached:
            self.not_modified += 1

    def problem(self, url: str, reason: str, detail: str = "", source: str | None = None) -> None:
        # Every problem is logged with its reason and counted; the crawl goes on.
        log.warning("skipped %s: %s%s", url, reason, f" ({detail})" if detail else "")
        self.problems.append(Problem(url, reason, detail[:300], source))

    def note(self, what: str, url: str) -> None:
        log.info("%s: %s", what, url)
        self.notes[what] += 1

    def problem_counts(self) -> Counter[str]:
        return Counter(p.reason for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "spider": self.spider,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "pages": dict(self.pages),
            "not_modified": self.not_modified,
            "items_spooled": self.items_spooled,
            "skipped_seen": self.skipped_seen,
            "notes": dict(self.notes),
            "problem_counts": dict(self.problem_counts()),
            "problems": [p.__dict__ for p in self.problems],
        }
