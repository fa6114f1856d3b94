from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.sources import EntryKind, SourcesError, load_sources, parse_sources
from pantau.schemas import SourceType

ROOT = Path(__file__).resolve().parents[2]


def test_starter_list_is_valid_and_covers_the_required_outlets() -> None:
    sources = load_sources(ROOT / "crawlers" / "sources.yaml")
    assert len(sources.sources) >= 30
    ids = {s.id for s in sources.sources}
    for required in (
        "antara",
        "antara-megapolitan",
        "antara-jabar",
        "kompas",
        "detik",
        "tempo",
        "tribunnews",
        "liputan6",
        "cnnindonesia",
        "republika",
        "jabarekspres",
        "wartakota",
        "beritajakarta",
        "bawaslu-ri",
        "bawaslu-dki",
        "kpu-ri",
        "kpu-dki",
        "pemprov-dki",
    ):
        assert required in ids
    assert {s.type for s in sources.sources} >= {SourceType.NEWS, SourceType.OFFICIAL}
    for source in sources.sources:
        for entry in source.entry_points:
            assert entry.url.startswith("https://")


def test_fixture_sources_need_their_base_url() -> None:
    path = ROOT / "tests" / "fixtures" / "sites" / "sources.yaml"
    with pytest.raises(SourcesError, match="FIXTURE_BASE"):
        parse_sources(path.read_text())
    sources = load_sources(path, {"FIXTURE_BASE": "http://127.0.0.1:8000"})
    kinds = {e.kind for s in sources.sources for e in s.entry_points}
    assert kinds == {
        EntryKind.FEED,
        EntryKind.NEWS_SITEMAP,
        EntryKind.SITEMAP,
        EntryKind.LISTING,
        EntryKind.TELEGRAM,
    }


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("schema_version: 2\nsources: []", "schema_version"),
        ("[1, 2]", "mapping"),
        (
            "schema_version: 1\nsources:\n - {id: a, name: A, type: news, region: x, entry_points: "
            "[{kind: feed, url: 'https://a/rss'}]}\n - {id: a, name: B, type: news, region: x, "
            "entry_points: [{kind: feed, url: 'https://b/rss'}]}",
            "duplicate",
        ),
        (
            "schema_version: 1\nsources:\n - {id: a, name: A, type: news, region: x, entry_points: "
            "[{kind: feed, url: 'https://a/rss'}], rules: {allow: ['(']}}",
            "invalid regex",
        ),
        (
            "schema_version: 1\nsources:\n - {id: a, name: A, type: news, region: x, entry_points: "
            "[{kind: telegram, url: 'https://t.me/s/a'}]}",
            "telegram",
        ),
        (
            "schema_version: 1\nsources:\n - {id: a, name: A, type: news, region: x, entry_points: "
            "[{kind: feed, url: 'ftp://a/rss'}]}",
            "absolute",
        ),
        ("schema_version: 1\nsources: [", "YAML"),
    ],
)
def test_invalid_sources_files_are_refused(yaml_text: str, message: str) -> None:
    with pytest.raises(SourcesError, match=message):
        parse_sources(yaml_text)


def test_rules_allow_and_deny() -> None:
    sources = parse_sources(
        "schema_version: 1\nsources:\n - {id: a, name: A, type: news, region: x, entry_points: "
        "[{kind: feed, url: 'https://a/rss'}], rules: {allow: ['/berita/'], deny: ['/foto/']}}"
    )
    rules = sources.sources[0].rules
    assert rules.admits("https://a/berita/1")
    assert not rules.admits("https://a/berita/foto/1")
    assert not rules.admits("https://a/video/1")
