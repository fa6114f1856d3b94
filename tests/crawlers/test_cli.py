from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pantau.cli import app

runner = CliRunner()


def test_extract_prints_json_for_a_file(
    fixture_site: Any, content: dict[str, Any], tmp_path: Path
) -> None:
    article = next(a for a in content["articles"] if a["id"] == "an-politik-uang")
    page = tmp_path / "halaman.html"
    page.write_bytes(fixture_site.pages[article["path"]].body)
    result = runner.invoke(
        app,
        ["extract", str(page), "--url", "https://www.antaranews.com/x", "--source", "ANTARA News"],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["title"] == article["title"]
    assert out["dateline"] == "Jakarta (ANTARA)"
    assert out["outlet"] == "ANTARA News"
    assert out["published_at"] == "2024-11-23T09:12:00+00:00"
    assert "Baca juga" not in out["body"] and out["author"] == "Fauzi Rahman"


def test_extract_refuses_what_is_not_an_article(tmp_path: Path) -> None:
    page = tmp_path / "kosong.html"
    page.write_bytes(b"")
    result = runner.invoke(app, ["extract", str(page)])
    assert result.exit_code == 1
    missing = runner.invoke(app, ["extract", str(tmp_path / "tidak-ada.html")])
    assert missing.exit_code == 2


def test_every_command_has_help() -> None:
    for command in ("crawl", "ingest", "extract"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_crawl_refuses_a_sources_file_with_unset_placeholders(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    result = runner.invoke(
        app, ["crawl", "--sources", str(root / "tests/fixtures/sites/sources.yaml")]
    )
    assert result.exit_code == 2


def test_extract_fetches_a_url_and_obeys_robots(live_server: Any) -> None:
    page_path = (
        "/antara/berita/4312201/bawaslu-dki-ingatkan-larangan-politik-uang-selama-masa-tenang"
    )
    result = runner.invoke(app, ["extract", live_server.base_url + page_path])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dateline"] == "Jakarta (ANTARA)"
    forbidden = live_server.base_url + "/wartakota/internal/draf-berita-belum-terbit"
    refused = runner.invoke(app, ["extract", forbidden])
    assert refused.exit_code == 1
    assert not any("/internal/" in p for p, _ in live_server.requested())
