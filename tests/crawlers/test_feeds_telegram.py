from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crawlers.feeds import listing_links, parse_feed, parse_sitemap
from crawlers.spiders.telegram import older_page_url
from crawlers.telegram import parse_channel_page


def test_rss_and_atom_items() -> None:
    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>A</title>'
        b"<link>https://a.id/berita/1</link><pubDate>Thu, 19 Sep 2024 07:05:00 +0700</pubDate>"
        b"</item><item><guid>https://a.id/berita/2</guid></item></channel></rss>"
    )
    links = parse_feed(rss, "https://a.id/feed")
    assert [link.url for link in links] == ["https://a.id/berita/1", "https://a.id/berita/2"]
    assert links[0].published_at == datetime(2024, 9, 19, 0, 5, tzinfo=UTC)
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="alternate" '
        b'href="/b/1"/><published>2024-09-19T07:05:00Z</published></entry></feed>'
    )
    assert parse_feed(atom, "https://b.id/atom")[0].url == "https://b.id/b/1"


def test_sitemap_index_and_news_sitemap(fixture_site: Any) -> None:
    index = parse_sitemap(fixture_site.pages["/beritajakarta/sitemap.xml"].body, fixture_site.base)
    assert index.is_index and index.links[0].url.endswith("sitemap-berita-2024-09.xml")
    news = parse_sitemap(fixture_site.pages["/antara/news-sitemap.xml"].body, fixture_site.base)
    assert not news.is_index and len(news.links) == 2
    assert all(link.published_at is not None for link in news.links)


def test_listing_links_skip_menus_and_find_the_next_page(fixture_site: Any) -> None:
    html = fixture_site.pages["/wartakota/news"].body.decode()
    links, nexts = listing_links(html, fixture_site.base + "/wartakota/news")
    assert nexts == [fixture_site.base + "/wartakota/news?page=2"]
    assert all(
        "/wartakota/jakarta" not in u and "/tag/" not in u and "/about" not in u for u in links
    )
    assert any("/internal/" in u for u in links)
    assert len(links) == 3


def test_telegram_preview_page(fixture_site: Any) -> None:
    page = fixture_site.resolve("/s/pantauwargajkt")
    parsed = parse_channel_page(page.body.decode(), fixture_site.base + "/s/pantauwargajkt")
    assert parsed.channel_title == "Pantau Warga Jakarta"
    assert [p.number for p in parsed.posts] == [118, 119, 120]
    assert parsed.before == 118
    first = parsed.posts[0]
    assert first.url == "https://t.me/pantauwargajkt/118"
    assert first.published_at == datetime(2024, 11, 24, 14, 5, tzinfo=UTC)
    assert first.text.startswith("Laporan warga Kemayoran")
    older = fixture_site.resolve("/s/pantauwargajkt?before=118")
    parsed_older = parse_channel_page(older.body.decode(), fixture_site.base)
    assert [p.number for p in parsed_older.posts] == [115, 116, 117]
    assert parsed_older.posts[2].text == ""  # a photo without a caption
    assert older_page_url("https://t.me/s/kanal", 115) == "https://t.me/s/kanal?before=115"
