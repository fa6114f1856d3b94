"""Language identification with py3langid's real model on texts written for this test."""

from __future__ import annotations

import pytest

from nlp.language import UNDETERMINED, detect_language, looks_binary

INDONESIAN = [
    "Bawaslu Kota Medan menemukan puluhan alat peraga kampanye yang dipasang di pohon "
    "dan tiang listrik.",
    "gak bener nih, udh jelas kades bagi2 sembako buat paslon 02, bawaslu tolong cek",
    "Pemerintah kota mengimbau seluruh aparatur sipil negara menjaga netralitas "
    "selama tahapan pilkada.",
    "Warga mengeluhkan jalan rusak yang belum juga diperbaiki sejak awal tahun.",
    "Saya tidak tahu kenapa antrean di TPS begitu panjang pagi ini.",
    "wkwk paslon sebelah panik, buzzernya pada nyebar hoaks lagi 🤣 #PilkadaDamai",
]
MALAY = [
    "Kerajaan negeri akan mengadakan mesyuarat bersama pihak berkuasa tempatan minggu hadapan.",
    "Polis Diraja Malaysia sedang menyiasat kejadian itu dan orang ramai diminta bertenang.",
    "Saya tak faham kenapa kereta api lewat lagi pagi ini, memang teruk betul perkhidmatan.",
    "Pelajar universiti digalakkan mendaftar sebagai pengundi sebelum tarikh tutup.",
]
JAVANESE = [
    "Aku ora ngerti kenapa dalane isih rusak nganti saiki, pemerintah kok meneng wae.",
    "Wong-wong padha ngumpul ing balai desa kanggo ngrembug pemilihan lurah.",
    "Mangga sami njagi katentreman nalika pilkada, sampun ngantos wonten padudon.",
    "Bocah-bocah lagi dolanan bal ing plataran omah mbahku.",
]
ENGLISH = [
    "The election supervisory body found dozens of campaign banners attached to trees.",
    "I honestly don't know why the queue at the polling station is so long this morning.",
    "Voters are urged to check their registration before the deadline next week.",
    "The football match ended in a goalless draw after ninety minutes.",
]


@pytest.mark.parametrize(
    ("texts", "code"), [(INDONESIAN, "id"), (MALAY, "ms"), (JAVANESE, "jv"), (ENGLISH, "en")]
)
def test_languages(texts: list[str], code: str) -> None:
    for text in texts:
        guess = detect_language(text)
        assert guess.code == code, (text, guess)
        assert 0.5 < guess.confidence <= 1.0


def test_other_languages_keep_their_code() -> None:
    assert (
        detect_language(
            "La réunion du conseil municipal a été reportée à la semaine prochaine."
        ).code
        == "fr"
    )
    assert (
        detect_language("Die Wahlbeteiligung war in diesem Jahr deutlich höher als erwartet.").code
        == "de"
    )


@pytest.mark.parametrize("text", [None, "", "   ", "ok", "123 456 !!!", "😡😡😡", "#a @b"])
def test_empty_and_very_short_text_is_undetermined(text: str | None) -> None:
    assert detect_language(text) == (UNDETERMINED, 0.0)


def test_binary_text_is_undetermined() -> None:
    blob = bytes(range(256)).decode("latin-1") * 4
    assert looks_binary(blob)
    assert detect_language(blob) == (UNDETERMINED, 0.0)
    assert detect_language("PNG\x00\x00\x00IHDR data data data data") == (UNDETERMINED, 0.0)
    assert not looks_binary("Baris pertama.\nBaris kedua\tdengan tab.")
