"""End-to-end: `pantau crawl` against the fixture sites on a real local HTTP server."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from crawlers.archive import read_archived
from crawlers.boilerplate import normalise_quotes
from index.contract import DocumentFilters, SearchQuery
from index.sqlite_store import SqliteStore
from pantau.schemas import SourceType

pytestmark = pytest.mark.slow

PANTAU = Path(os.environ.get("VIRTUAL_ENV", Path.home() / ".cache/pantau/venv")) / "bin" / "pantau"
ROOT = Path(__file__).resolve().parents[2]
# Fast but still polite-shaped: no delays against 127.0.0.1, short timeouts, no retries.
TEST_SETTINGS = [
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=false",
    "DOWNLOAD_TIMEOUT=3",
    "RETRY_TIMES=0",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
]
BAD_REASONS = {"empty_body", "too_large", "binary_content", "redirect_loop", "http_5xx", "timeout"}


def crawl(
    data_dir: Path, base_url: str, report: Path, only: str | None = None
) -> subprocess.CompletedProcess[str]:
    args = [
        str(PANTAU),
        "crawl",
        "--sources",
        str(ROOT / "tests/fixtures/sites/sources.yaml"),
        "--var",
        f"FIXTURE_BASE={base_url}",
        "--no-classify",
        "--report-json",
        str(report),
    ]
    for setting in TEST_SETTINGS:
        args += ["-s", setting]
    if only:
        args += ["--only", only]
    env = {**os.environ, "PANTAU_DATA_DIR": str(data_dir)}
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)


def articles_requested(server: Any) -> list[str]:
    entry = (
        "/robots.txt",
        "/jabarekspres/feed/",
        "/antara/news-sitemap.xml",
        "/wartakota/news",
        "/antara-megapolitan/rss",
        "/beritajakarta/sitemap",
        "/portalrusak/indeks",
        "/s/",
    )
    return [p for p, _ in server.requested() if not p.startswith(entry)]


def test_crawl_into_the_store_then_nothing_new(
    live_server: Any, content: dict[str, Any], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = crawl(data, live_server.base_url, tmp_path / "r1.json")
    assert first.returncode == 0, first.stderr[-3000:]
    report = json.loads((tmp_path / "r1.json").read_text())
    news, telegram = report["crawl"]
    assert news["spider"] == "news" and telegram["spider"] == "telegram"

    # Every bad page is counted once with its reason; robots.txt was obeyed.
    reasons = news["problem_counts"]
    assert reasons == {**{r: 1 for r in BAD_REASONS}, "robots_forbidden": 1}
    assert news["notes"] == {"charset_repaired": 1}
    assert not any("/internal/" in p for p, _ in live_server.requested())
    # The AMP copy in the feed is the same document: never fetched.
    assert not any(p.rstrip("/").endswith("/amp") for p, _ in live_server.requested())

    good = [a for a in content["articles"] if "expected" in a]
    assert news["items_spooled"] == len(good)
    assert telegram["items_spooled"] == 5 and telegram["pages"] == {"telegram": 3}
    assert report["store"]["stored"] == len(good) + 5 and report["store"]["pending_after"] == 0

    store = SqliteStore(data / "pantau.sqlite3")
    store.init()
    try:
        assert store.stats().documents == len(good) + 5
        worked = next(a for a in good if a["id"] == "je-rakor-jakpus")
        page = store.search_documents(SearchQuery(text='"rapat koordinasi"', limit=50))
        doc = next(d for d in page.items if d.title == worked["title"])
        assert doc.source == "Jabar Ekspres" and doc.source_type is SourceType.NEWS
        assert doc.dateline == "JABAR EKSPRES"
        assert doc.body == "\n\n".join(
            normalise_quotes(p) for p in worked["paragraphs"] if isinstance(p, str)
        )
        assert doc.published_at is not None
        assert doc.published_at.isoformat() == worked["expected"]["published_utc"]
        assert doc.url == live_server.base_url + worked["path"]
        # Provenance: what was asked, what answered, the hash, and the archived bytes.
        served = live_server.site.pages[worked["path"]].body
        prov = doc.provenance
        assert prov.http_status == 200 and prov.final_url is not None
        assert prov.source_url is not None and "utm_source=rss" in prov.source_url
        assert prov.raw_sha256 == hashlib.sha256(served).hexdigest()
        assert prov.archive_ref is not None
        assert read_archived(data / "archive", prov.archive_ref).body == served

        # Syndicated copies: three outlets, one story.
        dpt = store.search_documents(SearchQuery(text="DPT Pilkada Jakarta", limit=50))
        copies = [d for d in dpt.items if d.title.lower().startswith("kpu dki tetapkan dpt")]
        assert len(copies) == 3
        story_ids = {d.story_id for d in copies}
        assert len(story_ids) == 1
        story_id = story_ids.pop()
        assert story_id in {d.id for d in copies}
        grouped = store.search_documents(
            SearchQuery(filters=DocumentFilters(story_ids=(story_id,)), limit=50)
        )
        assert {d.source for d in grouped.items} == {
            "ANTARA News",
            "ANTARA Megapolitan",
            "Warta Kota",
        }
        others = {
            d.story_id
            for d in store.search_documents(SearchQuery(limit=50)).items
            if d.id not in {c.id for c in copies}
        }
        assert story_id not in others

        posts = store.search_documents(
            SearchQuery(filters=DocumentFilters(source_types=(SourceType.TELEGRAM,)), limit=50)
        )
        assert sorted(d.url or "" for d in posts.items) == [
            f"https://t.me/pantauwargajkt/{n}" for n in (115, 116, 118, 119, 120)
        ]
    finally:
        store.close()

    # Second run: entry points are revalidated (304), no article is fetched again,
    # only the transient failures (500, timeout) are retried.
    live_server.clear_log()
    second = crawl(data, live_server.base_url, tmp_path / "r2.json")
    assert second.returncode == 0, second.stderr[-3000:]
    report2 = json.loads((tmp_path / "r2.json").read_text())
    news2, telegram2 = report2["crawl"]
    assert news2["items_spooled"] == 0 and telegram2["items_spooled"] == 0
    assert report2["store"]["stored"] == 0
    assert sorted(articles_requested(live_server)) == sorted(
        e["path"] for e in content["bad_endpoints"] if e["reason"] in ("http_5xx", "timeout")
    )
    assert set(news2["problem_counts"]) == {"http_5xx", "timeout"}
    assert news2["not_modified"] == sum(news2["pages"].values())
    assert telegram2["pages"] == {"telegram": 1} and telegram2["not_modified"] == 1
    assert "/jabarekspres/feed/" in live_server.conditional_requests
    store = SqliteStore(data / "pantau.sqlite3")
    store.init()
    assert store.stats().documents == len(good) + 5
    store.close()


def test_problems_name_the_requested_url(live_server: Any, tmp_path: Path) -> None:
    done = crawl(tmp_path / "data", live_server.base_url, tmp_path / "r.json", only="portalrusak")
    assert done.returncode == 0, done.stderr[-3000:]
    problems = json.loads((tmp_path / "r.json").read_text())["crawl"][0]["problems"]
    urls = {p["reason"]: p["url"] for p in problems}
    assert urls["redirect_loop"] == live_server.base_url + "/portalrusak/berita/putar-putar"
    assert urls["too_large"].endswith("/halaman-raksasa")
