"""An interrupted crawl resumes: what was stored is not fetched again, the rest is."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from index.sqlite_store import SqliteStore

from .conftest import fixture_server_module

pytestmark = pytest.mark.slow

PANTAU = Path(os.environ.get("VIRTUAL_ENV", Path.home() / ".cache/pantau/venv")) / "bin" / "pantau"
ARTICLES = 24


@pytest.fixture()
def bench_server() -> Any:
    server = fixture_server_module.FixtureServer("127.0.0.1", 0, bench_articles=ARTICLES).start()
    yield server
    server.stop()


def run(data: Path, sources: Path, report: Path, *settings: str) -> dict[str, Any]:
    args = [
        str(PANTAU),
        "crawl",
        "--sources",
        str(sources),
        "--no-classify",
        "--report-json",
        str(report),
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=false",
        "-s",
        "CONCURRENT_REQUESTS=1",
    ]
    for setting in settings:
        args += ["-s", setting]
    env = {**os.environ, "PANTAU_DATA_DIR": str(data)}
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(report.read_text())
    return result


def test_interrupted_crawl_resumes(bench_server: Any, tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "schema_version: 1\nsources:\n  - id: bench\n    name: Bench\n    type: news\n"
        "    region: x\n    entry_points:\n"
        f"      - {{kind: feed, url: '{bench_server.base_url}/bench/feed.xml'}}\n"
    )
    data = tmp_path / "data"
    # The spider is closed after a few items, as if the crawl had been stopped.
    first = run(data, sources, tmp_path / "r1.json", "CLOSESPIDER_ITEMCOUNT=4")
    stored_first = first["store"]["stored"]
    assert 4 <= stored_first < ARTICLES
    queue = data / "crawl" / "jobs" / "news"
    assert queue.is_dir() and any(queue.iterdir())
    fetched_first = {p for p, _ in bench_server.requested("/bench/berita/")}

    bench_server.clear_log()
    second = run(data, sources, tmp_path / "r2.json")
    assert first["store"]["stored"] + second["store"]["stored"] == ARTICLES
    fetched_second = Counter(p for p, _ in bench_server.requested("/bench/berita/"))
    completed_first = fetched_first - set(fetched_second)
    assert len(completed_first) >= stored_first - 1  # at most one was in flight at the stop
    store = SqliteStore(data / "pantau.sqlite3")
    store.init()
    assert store.stats().documents == ARTICLES
    store.close()
