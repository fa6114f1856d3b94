"""Crawl state that survives runs: which article URLs were already handled."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

# Outcomes that will not change on a refetch; transient failures (5xx, timeouts)
# are not recorded, so the next run tries again.
FINAL_OUTCOMES = frozenset(
    {
        "spooled",
        "empty_body",
        "binary_content",
        "no_article_text",
        "too_large",
        "not_html",
        "unparseable_html",
        "redirect_loop",
        "robots_forbidden",
        "http_404",
        "http_410",
    }
)


class SeenUrls:
    """URL keys (document IDs) of articles that need no new fetch."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS seen_urls (key TEXT PRIMARY KEY, url TEXT NOT NULL, "
            "outcome TEXT NOT NULL, first_seen TEXT NOT NULL)"
        )

    def contains(self, key: str) -> bool:
        row = self._db.execute("SELECT 1 FROM seen_urls WHERE key = ?", (key,)).fetchone()
        return row is not None

    def mark(self, key: str, url: str, outcome: str) -> None:
        if outcome not in FINAL_OUTCOMES:
            return
        self._db.execute(
            "INSERT OR IGNORE INTO seen_urls (key, url, outcome, first_seen) VALUES (?, ?, ?, ?)",
            (key, url, outcome, datetime.now(UTC).isoformat()),
        )

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM seen_urls").fetchone()[0])

    def close(self) -> None:
        self._db.close()
