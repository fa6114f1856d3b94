# ruff: noqa: RUF001 - Indonesian typography (dashes, curly quotes) is the data here
from __future__ import annotations

import pytest

from crawlers.boilerplate import clean_paragraphs, is_cross_link, normalise_quotes, split_dateline


@pytest.mark.parametrize(
    ("paragraph", "dateline", "rest"),
    [
        (
            "JABAR EKSPRES – Wali Kota meminta ASN netral.",
            "JABAR EKSPRES",
            "Wali Kota meminta ASN netral.",
        ),
        (
            "Jakarta (ANTARA) - Bawaslu DKI mengingatkan warga.",
            "Jakarta (ANTARA)",
            "Bawaslu DKI mengingatkan warga.",
        ),
        (
            "WARTAKOTALIVE.COM, JAKARTA — Sebuah video viral.",
            "WARTAKOTALIVE.COM, JAKARTA",
            "Sebuah video viral.",
        ),
        (
            "Liputan6.com, Jakarta - KPU menetapkan DPT.",
            "Liputan6.com, Jakarta",
            "KPU menetapkan DPT.",
        ),
        ("Jakarta, CNN Indonesia -- Polisi berjaga.", "Jakarta, CNN Indonesia", "Polisi berjaga."),
        (
            "TEMPO.CO, Jakarta - “Kami siap,” kata dia.",
            "TEMPO.CO, Jakarta",
            "“Kami siap,” kata dia.",
        ),
    ],
)
def test_datelines_are_split_off(paragraph: str, dateline: str, rest: str) -> None:
    assert split_dateline(paragraph) == (dateline, rest)


@pytest.mark.parametrize(
    "paragraph",
    [
        "Menurut dia, warga - terutama pemilih pemula - perlu mengecek DPT.",
        "Ketua Bawaslu Kota Jakarta Timur Bapak Ahmad Suryadi - yang baru dilantik - hadir.",
        "Rapat dimulai pukul 09.00 - 12.00 WIB di kantor wali kota.",
    ],
)
def test_ordinary_sentences_keep_their_dashes(paragraph: str) -> None:
    assert split_dateline(paragraph) == (None, paragraph)


@pytest.mark.parametrize(
    "line",
    [
        "BACA JUGA: Persib menang",
        "Baca juga: Timnas berlatih",
        "Baca Juga : Harga cabai turun",
        "[Baca juga: Jalan rusak diperbaiki]",
        "Simak juga: Video banjir",
        "Artikel terkait: KPU",
    ],
)
def test_cross_links_are_recognised(line: str) -> None:
    assert is_cross_link(line)


def test_clean_keeps_body_and_moves_bylines_to_metadata() -> None:
    cleaned = clean_paragraphs(
        [
            "JABAR EKSPRES – Pemkot menggelar rapat koordinasi.",
            "BACA JUGA: Persib Tahan Imbang",
            "Wali kota meminta ASN netral.",
            "Bagikan: Facebook Twitter WhatsApp",
            "Kami menggunakan cookie untuk meningkatkan pengalaman Anda.",
            "Simak berita lainnya di Google News",
            "Artikel ini telah tayang di Antaranews.com dengan judul X",
            "Pewarta: Fauzi Rahman",
            "Editor: Sri Wahyuni",
            "Copyright © ANTARA 2024",
        ]
    )
    assert cleaned.body == "Pemkot menggelar rapat koordinasi.\n\nWali kota meminta ASN netral."
    assert cleaned.dateline == "JABAR EKSPRES"
    assert cleaned.author == "Fauzi Rahman"
    assert cleaned.editor == "Sri Wahyuni"
    assert len(cleaned.removed) == 8


def test_newsroom_initials_are_dropped_from_the_last_paragraph() -> None:
    cleaned = clean_paragraphs(["Rapat berlangsung tertib. (ant/dal)"])
    assert cleaned.body == "Rapat berlangsung tertib."


def test_doubled_quotes_collapse() -> None:
    assert normalise_quotes("''Kami siap,'' ujarnya") == '"Kami siap," ujarnya'
    assert normalise_quotes('""Tolak,"" katanya') == '"Tolak," katanya'
    assert normalise_quotes("“Satu” dan “dua”") == "“Satu” dan “dua”"
