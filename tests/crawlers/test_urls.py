from __future__ import annotations

from crawlers.urls import apply_outlet_rules, canonical_url, choose_document_url, url_key


def test_amp_mobile_tracking_and_slash_variants_share_a_key() -> None:
    base = "https://jabarekspres.com/berita/2024/09/19/rakor-pilkada/"
    variants = [
        base,
        base + "amp/",
        base + "?utm_source=rss&utm_medium=rss",
        "http://m.jabarekspres.com/berita/2024/09/19/rakor-pilkada",
        base + "?amp",
    ]
    assert len({url_key(v) for v in variants}) == 1


def test_outlet_rules() -> None:
    assert apply_outlet_rules("https://news.detik.com/berita/d-7551234/judul?single=1") == (
        "https://news.detik.com/berita/d-7551234/judul"
    )
    assert canonical_url("https://wartakota.tribunnews.com/amp/2024/11/04/judul") == (
        canonical_url("https://wartakota.tribunnews.com/2024/11/04/judul")
    )
    assert canonical_url("https://www.cnnindonesia.com/nasional/20240919-32-1/judul-amp") == (
        canonical_url("https://www.cnnindonesia.com/nasional/20240919-32-1/judul")
    )
    # A real second page of a Tribun article is another page.
    assert url_key("https://wartakota.tribunnews.com/2024/11/04/judul?page=2") != url_key(
        "https://wartakota.tribunnews.com/2024/11/04/judul"
    )


def test_document_url_follows_same_site_canonical_only() -> None:
    amp = "https://jabarekspres.com/berita/2024/09/19/x/amp/"
    assert choose_document_url(amp, "https://jabarekspres.com/berita/2024/09/19/x/") == (
        "https://jabarekspres.com/berita/2024/09/19/x/"
    )
    copy = "https://wartakota.tribunnews.com/2024/09/20/dpt"
    assert choose_document_url(copy, "https://www.antaranews.com/berita/1/dpt") == copy
    assert choose_document_url("http://127.0.0.1:8000/a", "/b") == "http://127.0.0.1:8000/b"
