"""What only the search-engine store does: analysis choice and mapping migrations."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from index import engine_store
from index.contract import SearchQuery
from index.engine_client import EngineClient
from index.engine_store import SearchEngineStore, mapping_versions
from tests.conftest import engine_url
from tests.contract.test_store_contract import doc, put


@pytest.fixture(params=["opensearch", "elasticsearch"])
def engine(request: pytest.FixtureRequest) -> Any:
    store = SearchEngineStore(
        EngineClient(engine_url(request.param), request.param), prefix=f"spec-{request.param[:2]}"
    )
    store.init()
    yield store
    store.drop_indices()
    store.close()


def test_analyzer_follows_the_engines_modules(engine: SearchEngineStore) -> None:
    analysis = engine.client.request(
        "GET",
        f"/{engine.alias('documents')}/_settings",
        params={"filter_path": "*.settings.index.analysis"},
    )
    (settings,) = analysis.values()
    kind = settings["settings"]["index"]["analysis"]["analyzer"]["pantau_text"]["type"]
    if engine.backend == "opensearch":
        assert kind == "indonesian" and engine.analyzer == "indonesian"
    else:
        # The server-only Elasticsearch build lacks analysis-common.
        assert kind == "standard" and engine.analyzer.startswith("standard")


def test_new_mapping_version_moves_the_alias_and_keeps_documents(
    engine: SearchEngineStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(engine, doc(1, "kampanye di pasar"), doc(2, "kampanye di sekolah"))
    v1 = mapping_versions("documents")[1]
    v2 = copy.deepcopy(v1)
    v2["mappings"]["properties"]["reviewed"] = {"type": "boolean"}
    real = engine_store.mapping_versions

    def with_v2(entity: str) -> dict[int, dict[str, Any]]:
        return {1: v1, 2: v2} if entity == "documents" else real(entity)

    monkeypatch.setattr(engine_store, "mapping_versions", with_v2)
    engine.init()
    alias = engine.alias("documents")
    assert list(engine.client.request("GET", f"/_alias/{alias}")) == [f"{alias}-v2"]
    mapping = engine.client.request("GET", f"/{alias}/_mapping")
    assert "reviewed" in mapping[f"{alias}-v2"]["mappings"]["properties"]
    assert engine.search_documents(SearchQuery(text="kampanye")).total == 2
    engine.init()  # idempotent once migrated
    assert list(engine.client.request("GET", f"/_alias/{alias}")) == [f"{alias}-v2"]
