"""Text cleaning for the classifier's input."""

from __future__ import annotations

from nlp.text import classifier_input, clean_text, drop_boilerplate_lines, normalise_unicode


def test_nfkc_and_invisible_characters() -> None:
    fullwidth = "\uff22\uff41\uff57\uff41\uff53\uff4c\uff55"
    assert normalise_unicode(fullwidth + "\u00a0Kota\u200b Medan") == "Bawaslu Kota Medan"
    assert normalise_unicode("a\r\nb\rc") == "a\nb\nc"


def test_boilerplate_lines_are_dropped_but_body_kept() -> None:
    text = (
        "Rapat koordinasi digelar di kantor wali kota.\n"
        "BACA JUGA: Tim tuan rumah menang telak di laga semalam\n"
        "Wali kota mengimbau ASN menjaga netralitas.\n"
        "Baca juga : Kecelakaan beruntun di jalan tol\n"
        "Editor: Seseorang\n"
        "Iklan\n"
        "Iklan kampanye di televisi dibatasi.\n"
        "Warga diminta membaca juga aturan kampanye."
    )
    out = clean_text(text)
    assert "BACA JUGA" not in out and "Kecelakaan" not in out and "Editor" not in out
    assert out.splitlines() == [
        "Rapat koordinasi digelar di kantor wali kota.",
        "Wali kota mengimbau ASN menjaga netralitas.",
        "Iklan kampanye di televisi dibatasi.",
        "Warga diminta membaca juga aturan kampanye.",
    ]


def test_urls_removed_and_whitespace_collapsed() -> None:
    text = "Lihat   videonya   di https://contoh.id/a?b=1 dan www.contoh.com/x\n\n\n\nSelesai.  "
    assert clean_text(text) == "Lihat videonya di dan\n\nSelesai."


def test_empty_inputs() -> None:
    assert clean_text(None) == ""
    assert clean_text("   \n\t ") == ""
    assert drop_boilerplate_lines("") == ""


def test_classifier_input_joins_title_once() -> None:
    assert classifier_input("Isi berita.", title="Judul Berita") == "Judul Berita\nIsi berita."
    assert (
        classifier_input("Judul Berita\nIsi berita.", title="Judul Berita")
        == "Judul Berita\nIsi berita."
    )
    assert classifier_input(None, title="Judul") == "Judul"
