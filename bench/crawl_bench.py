"""Crawl throughput against the local fixture server (run on demand, not in tests).

    python bench/crawl_bench.py --articles 300

Serves ``--articles`` pages behind one RSS feed on 127.0.0.1, runs
``pantau crawl`` on it with politeness delays off (the server is local), and
prints article pages/s for the crawl phase and documents/s end to end
(crawl + extraction + spool + SQLite store).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PANTAU = Path(sys.executable).with_name("pantau")


def load_server_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "fixture_server", ROOT / "scripts/fixture_server.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fixture_server"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8, help="Requests per domain.")
    args = parser.parse_args()
    module = load_server_module()
    server = module.FixtureServer("127.0.0.1", 0, bench_articles=args.articles).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sources = Path(tmp) / "sources.yaml"
            sources.write_text(
                "schema_version: 1\nsources:\n  - id: bench\n    name: Bench\n    type: news\n"
                f"    region: x\n    entry_points:\n"
                f"      - {{kind: feed, url: '{server.base_url}/bench/feed.xml'}}\n"
                f"    rules: {{max_articles: {args.articles}}}\n"
            )
            report_path = Path(tmp) / "report.json"
            env = {**os.environ, "PANTAU_DATA_DIR": str(Path(tmp) / "data")}
            command = [
                str(PANTAU),
                "crawl",
                "--sources",
                str(sources),
                "--no-classify",
                "--no-resume",
                "--report-json",
                str(report_path),
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "AUTOTHROTTLE_ENABLED=false",
                "-s",
                f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency}",
                "-s",
                "HTTPCACHE_ENABLED=false",
            ]
            start = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            total = time.perf_counter() - start
            report = json.loads(report_path.read_text())
    finally:
        server.stop()
    crawl = report["crawl"][0]
    crawl_s = (
        datetime.fromisoformat(crawl["finished_at"]) - datetime.fromisoformat(crawl["started_at"])
    ).total_seconds()
    pages = crawl["pages"].get("article", 0)
    print(
        json.dumps(
            {
                "articles": args.articles,
                "article_pages_fetched": pages,
                "documents_stored": report["store"]["stored"],
                "crawl_seconds": round(crawl_s, 2),
                "crawl_article_pages_per_s": round(pages / crawl_s, 1),
                "end_to_end_seconds_incl_startup": round(total, 2),
                "end_to_end_documents_per_s": round(report["store"]["stored"] / total, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
