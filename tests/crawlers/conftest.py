"""Fixtures for crawler tests: the fixture sites, on a real HTTP server when needed."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_fixture_server() -> ModuleType:
    name = "pantau_fixture_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "fixture_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


fixture_server_module = _load_fixture_server()


@pytest.fixture(scope="session")
def fixture_site() -> Any:
    """All fixture pages rendered in memory (no server) for pure extraction tests."""
    return fixture_server_module.FixtureSite("http://127.0.0.1:9")


@pytest.fixture(scope="session")
def content() -> dict[str, Any]:
    data: dict[str, Any] = fixture_server_module.load_content()
    return data


@pytest.fixture()
def live_server() -> Iterator[Any]:
    """The fixture sites on a free 127.0.0.1 port."""
    server = fixture_server_module.FixtureServer("127.0.0.1", 0, slow_seconds=6.0).start()
    try:
        yield server
    finally:
        server.stop()
