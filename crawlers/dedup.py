"""Near-duplicate grouping of bodies with MinHash LSH, persisted across runs.

Syndicated copies keep their own document (each outlet's provenance) but share
a ``story_id``: the ID of the first copy seen. Signatures live in SQLite and
the LSH index is rebuilt from them on open, so grouping is incremental.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE_WORDS = 4
# Fewer shingles than this (very short posts) say too little to group on.
MIN_SHINGLES = 8
_SCHEME = "affine64"
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Word n-grams of the case- and punctuation-folded text (pure)."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if len(words) < size:
        return set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def signature(grams: set[str], num_perm: int = NUM_PERM) -> MinHash:
    sig = MinHash(num_perm=num_perm, scheme=_SCHEME)
    sig.update_batch(g.encode("utf-8") for g in grams)
    return sig


class StoryIndex:
    """Assigns story IDs; ``assign`` is idempotent per document ID."""

    def __init__(self, path: Path, threshold: float = 0.6, num_perm: int = NUM_PERM) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.threshold = threshold
        self.num_perm = num_perm
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS signatures (doc_id TEXT PRIMARY KEY,"
            " story_id TEXT NOT NULL, sig BLOB, added_at TEXT NOT NULL)"
        )
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._sigs: dict[str, MinHash] = {}
        self._stories: dict[str, str] = {}
        for doc_id, story_id, blob in self._db.execute(
            "SELECT doc_id, story_id, sig FROM signatures ORDER BY rowid"
        ):
            self._stories[doc_id] = story_id
            if blob is not None:
                sig = MinHash(
                    hashvalues=np.frombuffer(blob, dtype=np.uint64).copy(), scheme=_SCHEME
                )
                self._sigs[doc_id] = sig
                self._lsh.insert(doc_id, sig)

    def __len__(self) -> int:
        return len(self._stories)

    def story_of(self, doc_id: str) -> str | None:
        return self._stories.get(doc_id)

    def assign(self, doc_id: str, text: str) -> str:
        """Return the story of ``doc_id``: an earlier near-duplicate's, else its own ID."""
        known = self._stories.get(doc_id)
        if known is not None:
            return known
        grams = shingles(text)
        story_id = doc_id
        blob: bytes | None = None
        if len(grams) >= MIN_SHINGLES:
            sig = signature(grams, self.num_perm)
            best: tuple[float, str] | None = None
            for candidate in self._lsh.query(sig):
                similarity = sig.jaccard(self._sigs[candidate])
                if similarity >= self.threshold and (best is None or similarity > best[0]):
                    best = (similarity, candidate)
            if best is not None:
                story_id = self._stories[best[1]]
            blob = np.asarray(sig.hashvalues, dtype=np.uint64).tobytes()
            self._sigs[doc_id] = sig
            self._lsh.insert(doc_id, sig)
        self._db.execute(
            "INSERT OR IGNORE INTO signatures (doc_id, story_id, sig, added_at) VALUES (?,?,?,?)",
            (doc_id, story_id, blob, datetime.now(UTC).isoformat()),
        )
        self._stories[doc_id] = story_id
        return story_id

    def close(self) -> None:
        self._db.close()
