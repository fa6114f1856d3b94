"""Near-duplicate grouping of bodies with MinHash LSH, persisted across runs.

Syndicated copies keep their own document (each outlet's provenance) but share
a ``story_id``: the ID of the first copy seen. Signatures live in SQLite and
the LSH index is rebuilt from them on open, so grouping is incremental.

Only signatures younger than a window (``PANTAU_STORY_WINDOW_DAYS``) are
matched against: outlets copy a story within days, and an index that keeps
every signature forever grows by about 8 KiB of memory per document (mostly
the LSH band tables) and rebuilds ever more slowly when a crawl starts.
Older signatures are cleared on open; their rows keep the document's story,
so assignment stays idempotent.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE_WORDS = 4
# Fewer shingles than this (very short posts) say too little to group on.
MIN_SHINGLES = 8
_SCHEME = "affine64"
_WORD = re.compile(r"\w+", re.UNICODE)
STORY_WINDOW_DAYS = 30.0

log = logging.getLogger(__name__)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Word n-grams of the case- and punctuation-folded text (pure)."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if len(words) < size:
        return set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def signature(grams: set[str], num_perm: int = NUM_PERM, permutations: Any = None) -> MinHash:
    sig = MinHash(num_perm=num_perm, permutations=permutations, scheme=_SCHEME)
    sig.update_batch(g.encode("utf-8") for g in grams)
    return sig


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The share of equal MinHash values, as ``MinHash.jaccard`` computes it (pure)."""
    return float(np.count_nonzero(a == b)) / float(len(a))


def _utc_now() -> datetime:
    return datetime.now(UTC)


def window_cutoff(now: datetime, window_days: float) -> str | None:
    """The ``added_at`` below which a signature is retired; None keeps all (pure)."""
    if window_days <= 0:
        return None
    return (now - timedelta(days=window_days)).astimezone(UTC).isoformat()


class StoryIndex:
    """Assigns story IDs; ``assign`` is idempotent per document ID.

    ``window_days`` <= 0 keeps every signature. ``now`` is injectable for tests.
    """

    def __init__(
        self,
        path: Path,
        threshold: float = 0.6,
        num_perm: int = NUM_PERM,
        window_days: float = STORY_WINDOW_DAYS,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.threshold = threshold
        self.num_perm = num_perm
        self._now = now
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS signatures (doc_id TEXT PRIMARY KEY,"
            " story_id TEXT NOT NULL, sig BLOB, added_at TEXT NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS signatures_added_at ON signatures (added_at)")
        self.retired = self._retire(window_cutoff(now(), window_days))
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        # Plain hash values, not MinHash objects: each MinHash built from stored values
        # would draw its own permutation tables (2 KiB) and take three times as long
        # to load; one shared table serves them all.
        self._permutations = MinHash(num_perm=num_perm, scheme=_SCHEME).permutations
        self._sigs: dict[str, np.ndarray] = {}
        # Story IDs of the documents whose signatures are in the LSH index; older
        # documents' stories are looked up in SQLite.
        self._stories: dict[str, str] = {}
        for doc_id, story_id, blob in self._db.execute(
            "SELECT doc_id, story_id, sig FROM signatures WHERE sig IS NOT NULL ORDER BY rowid"
        ):
            values = np.frombuffer(blob, dtype=np.uint64).copy()
            self._stories[doc_id] = story_id
            self._sigs[doc_id] = values
            self._lsh.insert(doc_id, self._minhash(values))

    def _retire(self, cutoff: str | None) -> int:
        if cutoff is None:
            return 0
        cursor = self._db.execute(
            "UPDATE signatures SET sig = NULL WHERE sig IS NOT NULL AND added_at < ?", (cutoff,)
        )
        if cursor.rowcount:
            log.info("story index: retired %d signatures added before %s", cursor.rowcount, cutoff)
        return int(cursor.rowcount)

    def __len__(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM signatures").fetchone()
        return int(row[0])

    @property
    def active(self) -> int:
        """Signatures new documents are matched against (those inside the window)."""
        return len(self._sigs)

    def story_of(self, doc_id: str) -> str | None:
        known = self._stories.get(doc_id)
        if known is not None:
            return known
        row = self._db.execute(
            "SELECT story_id FROM signatures WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def assign(self, doc_id: str, text: str) -> str:
        """Return the story of ``doc_id``: an earlier near-duplicate's, else its own ID."""
        known = self.story_of(doc_id)
        if known is not None:
            return known
        grams = shingles(text)
        story_id = doc_id
        blob: bytes | None = None
        if len(grams) >= MIN_SHINGLES:
            sig = signature(grams, self.num_perm, self._permutations)
            best: tuple[float, str] | None = None
            for candidate in self._lsh.query(sig):
                similarity = estimated_jaccard(sig.hashvalues, self._sigs[candidate])
                if similarity >= self.threshold and (best is None or similarity > best[0]):
                    best = (similarity, candidate)
            if best is not None:
                story_id = self._stories[best[1]]
            blob = np.asarray(sig.hashvalues, dtype=np.uint64).tobytes()
            self._sigs[doc_id] = np.asarray(sig.hashvalues, dtype=np.uint64)
            self._lsh.insert(doc_id, sig)
            self._stories[doc_id] = story_id
        self._db.execute(
            "INSERT OR IGNORE INTO signatures (doc_id, story_id, sig, added_at) VALUES (?,?,?,?)",
            (doc_id, story_id, blob, self._now().astimezone(UTC).isoformat()),
        )
        return story_id

    def _minhash(self, values: np.ndarray) -> MinHash:
        return MinHash(hashvalues=values, permutations=self._permutations, scheme=_SCHEME)

    def close(self) -> None:
        self._db.close()
