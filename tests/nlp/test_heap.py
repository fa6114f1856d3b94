"""Returning freed heap memory between model batches (glibc only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.heap import free_heap_bytes, heap_trimmer, should_trim


def test_should_trim_only_above_the_threshold() -> None:
    assert should_trim(65 << 20, 64 << 20)
    assert not should_trim(64 << 20, 64 << 20)
    assert not should_trim(0, 0)


def test_disabled_trimmer_is_none() -> None:
    assert heap_trimmer(0) is None


def test_trimmer_returns_freed_blocks_on_glibc() -> None:
    if free_heap_bytes() is None:
        pytest.skip("not glibc: the trimmer is a no-op there by design")
    assert heap_trimmer(1 << 20) is not None
    trim = heap_trimmer(1)
    assert trim is not None
    # Blocks below the mmap threshold come from the heap. Freeing every other one leaves
    # holes that glibc keeps (only free memory at the top is returned on its own).
    kept, freed = [], []
    for _ in range(400):
        freed.append(bytearray(b"x" * (64 << 10)))
        kept.append(bytearray(b"y" * (64 << 10)))
    del freed
    held = free_heap_bytes()
    assert held is not None and held > 8 << 20
    before = _rss_anon_kib()
    assert trim() is True
    if before is not None:
        after = _rss_anon_kib()
        assert after is not None and before - after > 8 << 10  # > 8 MiB given back
    assert len(kept) == 400


def _rss_anon_kib() -> int | None:
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    return None
