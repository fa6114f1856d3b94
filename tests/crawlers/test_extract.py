"""Extraction on the fixture outlets' pages: body paragraphs only, metadata right."""
# ruff: noqa: RUF001 - Indonesian typography (dashes, curly quotes) is the data here

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crawlers.boilerplate import normalise_quotes
from crawlers.extract import (
    NotAnArticle,
    declared_charset,
    decode_html,
    extract_article,
    extract_bytes,
    looks_binary,
)
from crawlers.urls import url_key

FETCHED = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)


def expected_body(article: dict[str, Any]) -> str:
    return "\n\n".join(normalise_quotes(p) for p in article["paragraphs"] if isinstance(p, str))


def good_articles(content: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in content["articles"] if "expected" in a]


def test_every_fixture_article_extracts_cleanly(fixture_site: Any, content: dict[str, Any]) -> None:
    checked = 0
    for article in good_articles(content):
        page = fixture_site.pages[article["path"]]
        got, _ = extract_bytes(
            page.body,
            fixture_site.base + article["path"],
            page.content_type,
            FETCHED,
            outlet=content["outlets"][article["outlet"]]["name"],
        )
        expected = article["expected"]
        assert got.body == expected_body(article), article["id"]
        assert "BACA JUGA" not in got.body.upper(), article["id"]
        for trailer in ("Pewarta:", "Editor:", "Copyright", "Simak berita", "cookie", "Bagikan"):
            assert trailer not in got.body, (article["id"], trailer)
        assert got.title == article["title"]
        assert got.dateline == expected["dateline"]
        assert got.language == "id"
        assert got.author == article["author"]
        if "published_utc" in expected:
            assert got.published_at == datetime.fromisoformat(expected["published_utc"]), article[
                "id"
            ]
        else:
            hours = expected["published_relative_hours"]
            assert got.published_at == FETCHED - timedelta(hours=hours)
        checked += 1
    assert checked >= 10


def test_worked_example_from_the_label_guide(fixture_site: Any, content: dict[str, Any]) -> None:
    article = next(a for a in content["articles"] if a["id"] == "je-rakor-jakpus")
    page = fixture_site.pages[article["path"]]
    got = extract_article(page.body.decode(), fixture_site.base + article["path"], FETCHED)
    assert got.body.startswith("Pemerintah Kota Administrasi Jakarta Pusat menggelar rapat")
    assert "Persib" not in got.body and "Truk Boks" not in got.body
    assert got.dateline == "JABAR EKSPRES" and "JABAR EKSPRES" not in got.body
    assert got.editor == "Dewi Lestari"
    assert got.outlet == "Jabar Ekspres"
    assert sum(1 for line in got.removed_lines if line.startswith("BACA JUGA")) == 2


def test_amp_copy_maps_to_the_original_document(fixture_site: Any, content: dict[str, Any]) -> None:
    article = next(a for a in content["articles"] if a.get("amp"))
    amp_path = article["path"].rstrip("/") + "/amp/"
    amp = extract_article(
        fixture_site.pages[amp_path].body.decode(), fixture_site.base + amp_path, FETCHED
    )
    original_url = fixture_site.base + article["path"]
    assert amp.url == original_url
    assert url_key(amp.url) == url_key(original_url)
    assert amp.body == expected_body(article)


def test_windows_1252_and_mislabelled_pages_decode(
    fixture_site: Any, content: dict[str, Any]
) -> None:
    for article in content["articles"]:
        if article.get("bad") not in ("cp1252", "wrong_charset"):
            continue
        page = fixture_site.pages[article["path"]]
        got, decoded = extract_bytes(
            page.body, fixture_site.base + article["path"], page.content_type, FETCHED
        )
        assert "“" in got.body and "â€" not in got.body and "\ufffd" not in got.body
        assert decoded.repaired is (article["bad"] == "wrong_charset")


def test_decode_html_cases() -> None:
    text = "“Netral” – Pilkada"
    assert (
        decode_html(text.encode("utf-8"), "iso-8859-1").text == text
    )  # UTF-8 under a Latin-1 label
    assert decode_html(text.encode("cp1252"), "utf-8").repaired
    assert decode_html(text.encode("cp1252"), "utf-8").text == text
    assert decode_html(text.encode("cp1252"), "windows-1252").text == text
    assert decode_html(b"plain", "x-unknown-charset").text == "plain"
    assert declared_charset("text/html; charset=Windows-1252", b"") == "Windows-1252"
    assert declared_charset(None, b'<meta charset="utf-8">') == "utf-8"


def test_binary_and_empty_pages_are_refused_with_reasons() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    assert looks_binary(png)
    assert not looks_binary("<html><p>Halo “dunia”</p></html>".encode())
    with pytest.raises(NotAnArticle) as binary:
        extract_bytes(png, "http://x/a", "text/html")
    assert binary.value.reason == "binary_content"
    with pytest.raises(NotAnArticle) as empty:
        extract_bytes(b"  \n", "http://x/a", "text/html")
    assert empty.value.reason == "empty_body"
    with pytest.raises(NotAnArticle) as nothing:
        extract_bytes(b"<html><body><nav><a href='/'>Beranda</a></nav></body></html>", "http://x/a")
    assert nothing.value.reason == "no_article_text"
