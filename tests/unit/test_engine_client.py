"""Error paths of the engine client: throttling, outages and engine detection."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from index.engine_client import (
    ELASTICSEARCH,
    OPENSEARCH,
    EngineClient,
    backoff_delays,
    bulk_with_retry,
    classify_bulk_items,
    detect_flavor,
    flavor_from_root,
)
from index.engine_store import SearchEngineStore
from index.errors import EngineRequestError, StoreUnavailable
from pantau.schemas import Document
from pantau.settings import Settings, StoreBackend


def test_backoff_doubles_and_caps() -> None:
    assert list(backoff_delays(0.5, 3.0, 5)) == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_classify_bulk_items() -> None:
    items = [
        {"index": {"_id": "a", "status": 201}},
        {"index": {"_id": "b", "status": 429, "error": {"reason": "busy"}}},
        {"index": {"_id": "c", "status": 400, "error": {"reason": "mapper_parsing_exception"}}},
        {"delete": {"_id": "d", "status": 404}},
    ]
    out = classify_bulk_items(items)
    assert out.ok == ["a", "d"]
    assert out.retry == [1]
    assert out.failed == [("c", "400: mapper_parsing_exception")]


class FakeBulkClient:
    """Replays scripted bulk outcomes (unit test of retry paths only)."""

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.calls: list[list[dict[str, Any]]] = []

    def bulk(self, lines: list[dict[str, Any]]) -> Any:
        self.calls.append(lines)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step(lines)


def _items(statuses: dict[str, int]):  # type: ignore[no-untyped-def]
    def respond(lines: list[dict[str, Any]]) -> dict[str, Any]:
        ids = [line["index"]["_id"] for line in lines if "index" in line]
        return {"items": [{"index": {"_id": i, "status": statuses.get(i, 201)}} for i in ids]}

    return respond


def ops(*ids: str) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    return [({"index": {"_index": "x", "_id": i}}, {"id": i}) for i in ids]


def test_bulk_retries_only_throttled_items() -> None:
    client = FakeBulkClient([_items({"b": 429}), _items({})])
    sleeps: list[float] = []
    done, errors = bulk_with_retry(client, ops("a", "b"), 3, 0.1, 1.0, sleeps.append)  # type: ignore[arg-type]
    assert done == ["a", "b"] and errors == []
    assert sleeps == [0.1]
    assert [line["index"]["_id"] for line in client.calls[1] if "index" in line] == ["b"]


def test_bulk_reports_items_still_throttled_after_retries() -> None:
    client = FakeBulkClient([_items({"b": 429}), _items({"b": 429})])
    done, errors = bulk_with_retry(client, ops("a", "b"), 1, 0.1, 1.0, lambda s: None)  # type: ignore[arg-type]
    assert done == ["a"]
    assert errors == [("b", "engine still throttling (429) after all retries", True)]


def test_bulk_retries_outages_then_raises() -> None:
    down = StoreUnavailable("http://127.0.0.1:1", "connection refused")
    client = FakeBulkClient([down, _items({})])
    done, _ = bulk_with_retry(client, ops("a"), 2, 0.1, 1.0, lambda s: None)  # type: ignore[arg-type]
    assert done == ["a"]
    client = FakeBulkClient([down, down, down])
    with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1:1"):
        bulk_with_retry(client, ops("a"), 2, 0.1, 1.0, lambda s: None)  # type: ignore[arg-type]


def test_bulk_does_not_retry_client_errors() -> None:
    client = FakeBulkClient([EngineRequestError(400, "bad", "http://x")])
    with pytest.raises(EngineRequestError):
        bulk_with_retry(client, ops("a"), 5, 0.1, 1.0, lambda s: None)  # type: ignore[arg-type]
    assert len(client.calls) == 1


def test_flavor_from_root() -> None:
    os_root = json.dumps({"version": {"distribution": "opensearch", "number": "2.19.1"}}).encode()
    es_root = json.dumps({"version": {"number": "8.19.7"}}).encode()
    assert flavor_from_root(200, {}, os_root) == OPENSEARCH
    assert flavor_from_root(200, {}, es_root) == ELASTICSEARCH
    assert flavor_from_root(400, {"x-elastic-product": "Elasticsearch"}, b"") == ELASTICSEARCH
    assert flavor_from_root(404, {}, b"") is None


@pytest.fixture
def root_server() -> Iterator[tuple[str, dict[str, Any]]]:
    """A real HTTP server whose root answer each test sets."""
    answer: dict[str, Any] = {"status": 200, "headers": {}, "body": b"{}"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(answer["status"])
            for k, v in answer["headers"].items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(answer["body"])

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", answer
    server.shutdown()


def test_detect_flavor_over_http(root_server: tuple[str, dict[str, Any]]) -> None:
    url, answer = root_server
    answer["body"] = json.dumps({"version": {"distribution": "opensearch"}}).encode()
    assert detect_flavor(url, 5, None) == OPENSEARCH
    # Elasticsearch's server-only distribution has no root endpoint, but says who it is.
    answer.update(status=400, headers={"X-Elastic-Product": "Elasticsearch"}, body=b"{}")
    assert detect_flavor(url, 5, None) == ELASTICSEARCH
    answer.update(status=200, headers={}, body=b"<html>proxy</html>")
    with pytest.raises(StoreUnavailable, match="PANTAU_STORE"):
        detect_flavor(url, 5, None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_engine_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreUnavailable, match=url.replace(".", r"\.")):
        SearchEngineStore.from_settings(Settings(store=StoreBackend.AUTO, search_url=url))
    for flavor in (OPENSEARCH, ELASTICSEARCH):
        client = EngineClient(url, flavor, timeout=2)
        store = SearchEngineStore(client, max_retries=1, initial_backoff=0.01)
        with pytest.raises(StoreUnavailable, match="unreachable"):
            store.init()
        with pytest.raises(StoreUnavailable):
            store.upsert_documents([Document(source="x", body="isi")])
