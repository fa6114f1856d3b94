"""Shared fixtures. Engine-backed stores come from URLs that scripts/engines/*.sh print.

Without a URL an engine-backed test is skipped, unless PANTAU_REQUIRE_ENGINES=1
(set by .ci/run) turns the missing engine into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.contract import Store
from index.engine_client import EngineClient
from index.engine_store import SearchEngineStore
from index.sqlite_store import SqliteStore

ENGINE_URLS = {
    "opensearch": "PANTAU_TEST_OPENSEARCH_URL",
    "elasticsearch": "PANTAU_TEST_ELASTICSEARCH_URL",
}


def engine_url(flavor: str) -> str:
    var = ENGINE_URLS[flavor]
    url = os.environ.get(var)
    if not url:
        message = f"{var} is not set: start it with scripts/engines/{flavor}.sh start"
        if os.environ.get("PANTAU_REQUIRE_ENGINES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


def make_store(kind: str, tmp_path: Path, **kwargs: int) -> Store:
    if kind == "sqlite":
        store: Store = SqliteStore(tmp_path / "pantau.sqlite3", **kwargs)
    else:
        client = EngineClient(engine_url(kind), kind, timeout=60)
        store = SearchEngineStore(
            client, prefix=f"t{uuid.uuid4().hex[:10]}", initial_backoff=0.05, **kwargs
        )
    store.init()
    return store


def drop_store(store: Store) -> None:
    if isinstance(store, SearchEngineStore):
        store.drop_indices()
    store.close()


@pytest.fixture(params=["sqlite", "opensearch", "elasticsearch"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = make_store(request.param, tmp_path)
    yield s
    drop_store(s)
