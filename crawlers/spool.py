"""The durable hand-off between crawling and storing: one JSON file per item.

Writes are atomic (temp file, fsync, rename), so a crash leaves either the
whole item or nothing. A processor *claims* files by renaming them into its own
claim folder; if it dies, the next run moves its claims back to ``pending``.
Rejected items are *parked* with their reason, never deleted.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SPOOL_VERSION = 1


@dataclass(frozen=True)
class ClaimedItem:
    name: str
    path: Path

    def read_text(self) -> str:
        return self.path.read_text(encoding="utf-8")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Spool:
    """A folder-backed queue: ``pending/``, ``claims/<pid>-<token>/``, ``parked/``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pending = root / "pending"
        self.claims = root / "claims"
        self.parked = root / "parked"
        self.tmp = root / "tmp"
        for folder in (self.pending, self.claims, self.parked, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        self._claim_dir: Path | None = None
        self._sequence = 0

    # -- producing --------------------------------------------------------
    def _write_atomic(self, target: Path, data: bytes) -> None:
        tmp = self.tmp / f"{target.name}.{uuid.uuid4().hex}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)

    def put(self, payload: dict[str, Any], key: str, origin: str) -> Path:
        """Enqueue one item; names sort by enqueue time so items are processed in order."""
        envelope = {
            "spool_version": SPOOL_VERSION,
            "origin": origin,
            "spooled_at": datetime.now(UTC).isoformat(),
            "item": payload,
        }
        safe_key = "".join(c if c.isalnum() or c in "-_" else "_" for c in key)[:80]
        # Time, then a per-process sequence: names sort in enqueue order even
        # if the wall clock steps back.
        self._sequence += 1
        target = (
            self.pending
            / f"{time.time_ns():020d}-{os.getpid()}-{self._sequence:08d}-{safe_key}.json"
        )
        self._write_atomic(target, json.dumps(envelope, ensure_ascii=False).encode("utf-8"))
        return target

    # -- consuming --------------------------------------------------------
    def recover_stale_claims(self) -> int:
        """Move claims of processes that died back to ``pending``; return how many."""
        moved = 0
        for folder in self.claims.iterdir():
            pid_text = folder.name.split("-", 1)[0]
            if not folder.is_dir() or not pid_text.isdigit():
                continue
            if int(pid_text) == os.getpid() or _pid_alive(int(pid_text)):
                continue
            for item in folder.iterdir():
                os.replace(item, self.pending / item.name)
                moved += 1
            folder.rmdir()
        return moved

    def _my_claims(self) -> Path:
        if self._claim_dir is None:
            self._claim_dir = self.claims / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
            self._claim_dir.mkdir(parents=True, exist_ok=True)
        return self._claim_dir

    def claim(self, limit: int) -> list[ClaimedItem]:
        """Take up to ``limit`` pending items (oldest first) for this process."""
        claimed: list[ClaimedItem] = []
        target_dir = self._my_claims()
        for name in sorted(os.listdir(self.pending))[:limit]:
            target = target_dir / name
            try:
                os.replace(self.pending / name, target)
            except FileNotFoundError:
                continue  # another processor took it first
            claimed.append(ClaimedItem(name, target))
        return claimed

    def ack(self, item: ClaimedItem) -> None:
        item.path.unlink(missing_ok=True)

    def release(self, item: ClaimedItem) -> None:
        """Give an item back (it will be retried)."""
        if item.path.exists():
            os.replace(item.path, self.pending / item.name)

    def park(self, item: ClaimedItem, reason: str) -> Path:
        """Move an item aside with the reason; an operator can fix and re-queue it."""
        target = self.parked / item.name
        os.replace(item.path, target)
        self._write_reason(target, reason)
        return target

    def park_text(self, name: str, text: str, reason: str) -> Path:
        """Park content that never became a spool item (e.g. a bad import line)."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        target = self.parked / f"{time.time_ns():020d}-{safe}"
        self._write_atomic(target, text.encode("utf-8"))
        self._write_reason(target, reason)
        return target

    def _write_reason(self, target: Path, reason: str) -> None:
        note = {"reason": reason, "parked_at": datetime.now(UTC).isoformat()}
        self._write_atomic(
            target.with_name(target.name + ".reason.json"),
            json.dumps(note, ensure_ascii=False).encode("utf-8"),
        )

    def close(self) -> None:
        """Release what this process still holds and drop its empty claim folder."""
        if self._claim_dir is not None and self._claim_dir.exists():
            for item in self._claim_dir.iterdir():
                os.replace(item, self.pending / item.name)
            self._claim_dir.rmdir()
            self._claim_dir = None

    # -- inspection -------------------------------------------------------
    def pending_count(self) -> int:
        return sum(1 for _ in os.scandir(self.pending))

    def parked_items(self) -> Iterator[tuple[Path, str]]:
        for path in sorted(self.parked.iterdir()):
            if path.name.endswith(".reason.json"):
                continue
            note_path = path.with_name(path.name + ".reason.json")
            reason = ""
            if note_path.exists():
                reason = json.loads(note_path.read_text(encoding="utf-8")).get("reason", "")
            yield path, reason
