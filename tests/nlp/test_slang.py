"""Slang normalisation with indoNLP's lexicon (and our few overrides)."""

from __future__ import annotations

from nlp.slang import build_lexicon, default_lexicon, normalise_slang


def test_lexicon_entries_we_rely_on() -> None:
    lex = default_lexicon()
    assert len(lex) > 4000
    assert lex["udh"] == "sudah"
    assert lex["yg"] == "yang"
    assert lex["dgn"] == "dengan"
    assert lex["gak"] == "tidak"  # indoNLP says "enggak"; we go one step more formal
    assert "in" not in lex and "to" not in lex  # English words in mixed posts


def test_social_post() -> None:
    post = "gak bener nih, udh jelas kades bagi2 sembako buat paslon 02 😡 #CekPaslon @bawaslu_ri"
    assert normalise_slang(post) == (
        "tidak benar nih, sudah jelas kades bagi-bagi sembako buat paslon 02 😡 "
        "#CekPaslon @bawaslu_ri"
    )


def test_case_urls_and_elongation() -> None:
    assert normalise_slang("Klo GAK ada yg lapor") == "Kalau TIDAK ada yang lapor"
    assert normalise_slang("cek https://t.co/udh?yg=1") == "cek https://t.co/udh?yg=1"
    assert normalise_slang("mantappp") == "mantap"
    assert normalise_slang("I went to the TPS in Menteng") == "I went to the TPS in Menteng"
    assert normalise_slang("") == ""


def test_injected_lexicon_and_chained_overrides() -> None:
    lex = build_lexicon({"klo": "kalo", "brp": "berapa", "to": "tapi"})
    assert lex["klo"] == "kalau" and lex["brp"] == "berapa" and "to" not in lex
    assert normalise_slang("brp klo", lexicon=lex) == "berapa kalau"


def test_election_acronyms_are_not_slang() -> None:
    # indoNLP reads these as "dapat", "bukan" and "kakak".
    post = "nama emak gw gak ada di DPT, udh lapor BKN sama bawa KK"
    assert normalise_slang(post) == "nama emak saya tidak ada di DPT, sudah lapor BKN sama bawa KK"
