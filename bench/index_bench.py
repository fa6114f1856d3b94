"""Index benchmark: bulk indexing and filtered full-text search latency per store.

Run on demand (not part of the tests):

    python -m bench.index_bench --docs 100000 \
        [--opensearch http://127.0.0.1:9250] [--elasticsearch http://127.0.0.1:9270]

For each store it prints documents/s through the store next to the raw
baseline measured in the same run on the same corpus (plain sqlite3 inserts
into an FTS5 table; the official client's ``helpers.bulk``), their ratio, and
p50/p95 latency of filtered full-text queries once all documents are in.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.corpus import PLACES, WORDS, synthetic_documents
from index.contract import DocumentFilters, SearchQuery, Store
from index.engine_client import EngineClient
from index.engine_store import SearchEngineStore
from index.records import document_record
from index.sqlite_store import SqliteStore
from pantau.schemas import Document, Kind, Topic


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def raw_sqlite(docs: list[Document], path: Path) -> None:
    """Baseline: what bare sqlite3 does with the same records (a table + FTS5, no analysis)."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE d (id TEXT PRIMARY KEY, record TEXT)")
    db.execute("CREATE VIRTUAL TABLE f USING fts5(title, body)")
    with db:
        for i in range(0, len(docs), 500):
            chunk = [document_record(d) for d in docs[i : i + 500]]
            db.executemany("INSERT INTO d VALUES (?, ?)", [(r["id"], json.dumps(r)) for r in chunk])
            db.executemany(
                "INSERT INTO f (title, body) VALUES (?, ?)",
                [(r["title"], r["body"]) for r in chunk],
            )
    db.close()


def raw_engine_bulk(url: str, flavor: str, docs: list[Document]) -> None:
    """Baseline: the official client's bulk helper into a fresh index with the same mapping."""
    index = f"bench-raw-{uuid.uuid4().hex[:8]}"
    actions = ({"_index": index, "_id": d.id, "_source": document_record(d)} for d in docs)
    client = EngineClient(url, flavor, timeout=120)
    store = SearchEngineStore(client, prefix=f"bench-tmp-{uuid.uuid4().hex[:6]}")
    store.init()  # borrow the versioned mapping so both sides index the same fields
    mapping = client.request("GET", f"/{store.alias('documents')}/_mapping")
    (spec,) = mapping.values()
    settings = client.request("GET", f"/{store.alias('documents')}/_settings")
    (idx_settings,) = settings.values()
    analysis = idx_settings["settings"]["index"]["analysis"]
    client.request(
        "PUT",
        f"/{index}",
        {
            "settings": {"index": {"number_of_replicas": 0, "analysis": analysis}},
            "mappings": spec["mappings"],
        },
    )
    try:
        if flavor == "elasticsearch":
            from elasticsearch import Elasticsearch, helpers

            es = Elasticsearch(url, request_timeout=120)
            helpers.bulk(es, actions, chunk_size=500)
        else:
            from opensearchpy import OpenSearch
            from opensearchpy import helpers as os_helpers

            osc = OpenSearch(hosts=[url], timeout=120)
            os_helpers.bulk(osc, actions, chunk_size=500)
    finally:
        client.request("DELETE", f"/{index}")
        store.drop_indices()


def search_latencies(store: Store, queries: int, seed: int = 11) -> tuple[float, float]:
    rng = random.Random(seed)
    samples: list[float] = []
    for _ in range(queries):
        text = " ".join(rng.sample(WORDS, 2))
        filters = DocumentFilters(
            topics=(rng.choice(list(Topic)),),
            kinds=(rng.choice(list(Kind)),),
            places=(rng.choice(PLACES)[:2],),
        )
        query = SearchQuery(text=text, filters=filters, limit=20)
        samples.append(timed(lambda q=query: store.search_documents(q)) * 1000)  # type: ignore[misc]
    qs = statistics.quantiles(samples, n=20)
    return statistics.median(samples), qs[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--opensearch")
    parser.add_argument("--elasticsearch")
    args = parser.parse_args()

    print(f"generating {args.docs} synthetic documents…", flush=True)
    docs = list(synthetic_documents(args.docs))
    rows: list[tuple[str, float, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = timed(lambda: raw_sqlite(docs, Path(tmp) / "raw.sqlite3"))
        store = SqliteStore(Path(tmp) / "pantau.sqlite3")
        store.init()
        ours = timed(lambda: store.upsert_documents(docs))
        p50, p95 = search_latencies(store, args.queries)
        rows.append(("sqlite", len(docs) / ours, len(docs) / base, p50, p95))
        store.close()
    for flavor, url in (("opensearch", args.opensearch), ("elasticsearch", args.elasticsearch)):
        if not url:
            continue
        base = timed(lambda f=flavor, u=url: raw_engine_bulk(u, f, docs))  # type: ignore[misc]
        engine = SearchEngineStore(
            EngineClient(url, flavor, timeout=120), prefix=f"bench-{uuid.uuid4().hex[:6]}"
        )
        engine.init()
        ours = timed(lambda e=engine: (e.upsert_documents(docs), e.refresh()))  # type: ignore[misc]
        p50, p95 = search_latencies(engine, args.queries)
        rows.append(
            (
                f"{flavor} ({engine.server_version}, {engine.analyzer})",
                len(docs) / ours,
                len(docs) / base,
                p50,
                p95,
            )
        )
        engine.drop_indices()
        engine.close()

    print(f"\n{args.docs} documents, {args.queries} filtered full-text queries")
    print(
        f"{'store':<58} {'docs/s':>9} {'raw docs/s':>11} {'ratio':>6} {'p50 ms':>8} {'p95 ms':>8}"
    )
    for name, ours_rate, base_rate, p50, p95 in rows:
        print(
            f"{name:<58} {ours_rate:>9.0f} {base_rate:>11.0f} {ours_rate / base_rate:>6.2f} "
            f"{p50:>8.1f} {p95:>8.1f}"
        )


if __name__ == "__main__":
    main()
