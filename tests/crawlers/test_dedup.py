from __future__ import annotations

from pathlib import Path

from crawlers.dedup import StoryIndex, shingles

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
