from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawlers.dedup import StoryIndex, estimated_jaccard, shingles, signature, window_cutoff

STORY = (
    "Komisi Pemilihan Umum Provinsi DKI Jakarta menetapkan daftar pemilih tetap untuk Pilkada "
    "Jakarta 2024 dalam rapat pleno terbuka yang dihadiri perwakilan partai politik, Bawaslu dan "
    "pemerintah daerah. Penetapan dilakukan setelah pencocokan dan penelitian rampung di 267 "
    "kelurahan, dan data pemilih ganda telah dicoret dari daftar."
)
OTHER = (
    "Hujan deras yang mengguyur Jakarta sejak siang membuat sejumlah ruas jalan di Jakarta Barat "
    "tergenang air setinggi dua puluh hingga empat puluh sentimeter, dan petugas mengerahkan pompa."
)


def test_shingles_fold_case_and_punctuation() -> None:
    assert shingles("Satu, dua TIGA empat lima!") == shingles("satu dua tiga empat lima")
    assert shingles("terlalu pendek") == set()


def test_estimated_jaccard_matches_datasketch() -> None:
    first = signature(shingles(STORY))
    second = signature(shingles(STORY.replace("rapat pleno terbuka", "rapat pleno")))
    expected = first.jaccard(second)
    assert 0.5 < expected < 1.0
    assert estimated_jaccard(first.hashvalues, second.hashvalues) == expected


def test_syndicated_copies_share_the_first_story_id_across_runs(tmp_path: Path) -> None:
    index = StoryIndex(tmp_path / "stories.sqlite3")
    assert index.assign("doc-antara", STORY) == "doc-antara"
    edited = "Jakarta — " + STORY.replace("rapat pleno terbuka", "rapat pleno") + " Simak terus."
    assert index.assign("doc-wartakota", edited) == "doc-antara"
    assert index.assign("doc-banjir", OTHER) == "doc-banjir"
    # Idempotent: the same document keeps its story.
    assert index.assign("doc-wartakota", OTHER) == "doc-antara"
    index.close()
    reopened = StoryIndex(tmp_path / "stories.sqlite3")
    assert len(reopened) == 3
    assert reopened.assign("doc-megapolitan", STORY + " Bekasi.") == "doc-antara"
    assert reopened.assign("short-post", "Besok pencoblosan!") == "short-post"
    reopened.close()


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


def test_window_cutoff_is_a_plain_date_comparison() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert window_cutoff(now, 30) == "2026-10-29T12:00:00+00:00"
    assert window_cutoff(now, 0) is None


def test_signatures_older_than_the_window_are_retired_but_stories_are_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "stories.sqlite3"
    clock = _Clock(datetime(2026, 9, 1, 8, 0, tzinfo=UTC))
    index = StoryIndex(path, window_days=30, now=clock)
    assert index.assign("doc-antara", STORY) == "doc-antara"
    index.close()

    clock.at += timedelta(days=20)
    inside = StoryIndex(path, window_days=30, now=clock)
    assert (inside.retired, inside.active) == (0, 1)
    assert inside.assign("doc-wartakota", STORY + " Simak terus.") == "doc-antara"
    inside.close()

    # 40 days after the first copy: the first signature is out of the window, the
    # second (20 days old) still matches, so the story carries on through it.
    clock.at += timedelta(days=20)
    later = StoryIndex(path, window_days=30, now=clock)
    assert (later.retired, later.active, len(later)) == (1, 1, 2)
    assert later.assign("doc-detik", STORY + " Bekasi.") == "doc-antara"
    later.close()

    clock.at += timedelta(days=60)
    cold = StoryIndex(path, window_days=30, now=clock)
    assert (cold.retired, cold.active, len(cold)) == (2, 0, 3)
    # Stories of retired documents are still known, and assignment stays idempotent.
    assert cold.story_of("doc-wartakota") == "doc-antara"
    assert cold.assign("doc-wartakota", OTHER) == "doc-antara"
    # A copy after two quiet months starts a story of its own.
    assert cold.assign("doc-kompas", STORY + " Depok.") == "doc-kompas"
    cold.close()
    with sqlite3.connect(path) as db:
        cleared = db.execute("SELECT COUNT(*) FROM signatures WHERE sig IS NULL").fetchone()[0]
    assert cleared == 3


def test_a_zero_window_keeps_every_signature(tmp_path: Path) -> None:
    path = tmp_path / "stories.sqlite3"
    clock = _Clock(datetime(2025, 1, 1, tzinfo=UTC))
    first = StoryIndex(path, window_days=0, now=clock)
    first.assign("doc-antara", STORY)
    first.close()
    clock.at += timedelta(days=700)
    index = StoryIndex(path, window_days=0, now=clock)
    assert (index.retired, index.active) == (0, 1)
    assert index.assign("doc-detik", STORY + " Bekasi.") == "doc-antara"
    index.close()
