"""Extraction speed: Pantau's extractor vs bare ``trafilatura.extract`` on the same pages.

Run on demand (not part of the tests)::

    python bench/extract_bench.py --rounds 20

Prints pages/s for both and the overhead ratio (ours / bare). The pages are the
fixture outlets' article and AMP pages (tests/fixtures/sites).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import trafilatura

from crawlers.extract import extract_bytes

ROOT = Path(__file__).resolve().parents[1]


def fixture_pages() -> list[tuple[str, bytes, str]]:
    spec = importlib.util.spec_from_file_location(
        "fixture_server", ROOT / "scripts/fixture_server.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fixture_server"] = module
    spec.loader.exec_module(module)
    site: Any = module.FixtureSite("http://127.0.0.1:9")
    pages = []
    for path, page in site.pages.items():
        if (
            "text/html" in page.content_type
            and page.status == 200
            and page.body.startswith((b"<!DOCTYPE", b"<!doctype"))
            and ("/berita/" in path or "/20" in path or "/read/" in path)
        ):
            pages.append((site.base + path, page.body, page.content_type))
    return pages


def measure(rounds: int) -> dict[str, float]:
    pages = fixture_pages()
    fetched = datetime.now(UTC)
    # Warm both paths (imports, language model, lxml) before timing.
    for url, body, ctype in pages:
        extract_bytes(body, url, ctype, fetched)
        trafilatura.extract(body.decode("utf-8", "replace"), url=url)
    start = time.perf_counter()
    for _ in range(rounds):
        for url, body, ctype in pages:
            extract_bytes(body, url, ctype, fetched)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(rounds):
        for url, body, _ctype in pages:
            trafilatura.extract(body.decode("utf-8", "replace"), url=url)
    bare = time.perf_counter() - start
    n = rounds * len(pages)
    return {
        "pages": len(pages),
        "rounds": rounds,
        "ours_pages_per_s": round(n / ours, 1),
        "bare_trafilatura_pages_per_s": round(n / bare, 1),
        "overhead_ratio": round(ours / bare, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(measure(args.rounds), indent=2))


if __name__ == "__main__":
    main()
