"""Query building is pure: both backends' translations are checked here without a server."""

from __future__ import annotations

from datetime import UTC, datetime

from index.contract import DocumentFilters, Facet, SearchQuery, SortOrder
from index.engine_query import document_filters, search_body, text_query
from index.sqlite_sql import fts_exclusion, fts_expression, keyset_after
from index.textquery import analyze, parse_query
from pantau.schemas import Kind, Topic


def test_parse_query_terms_phrases_exclusions() -> None:
    q = parse_query('Politik  "Serangan Fajar" -sepakbola -"bola voli" e-KTP')
    assert q.terms == ("politik", "e", "ktp")
    assert q.phrases == ("serangan fajar",)
    assert q.excluded == ("sepakbola",)
    assert q.excluded_phrases == ("bola voli",)
    assert parse_query("  ").empty
    assert not parse_query("-x").positive


def test_analyze_stems_indonesian_affixes() -> None:
    assert analyze("Pelanggaran") == analyze("melanggar") == "langgar"
    assert analyze("dilaporkan") == "lapor"


def test_fts_expression_quotes_every_token() -> None:
    parsed = parse_query('pelanggaran "politik uang" OR NEAR')
    # Operators typed by a user are searched as words, never interpreted by FTS5.
    assert fts_expression(parsed) == '"langgar" AND "or" AND "near" AND "politik uang"'
    assert fts_exclusion(parse_query("a -b")) == '"b"'
    assert fts_expression(parse_query("-x")) is None


def test_keyset_after_builds_lexicographic_condition() -> None:
    sql, params = keyset_after([("date", "DESC"), ("id", "DESC")], ["2024", "z"])
    assert sql == "((date < ?) OR (date = ? AND id < ?))"
    assert params == ["2024", "2024", "z"]


def test_engine_filters_cover_every_field() -> None:
    f = DocumentFilters(
        topics=(Topic.APK,),
        kinds=(Kind.PENCEGAHAN,),
        places=("31.71",),
        sources=("A",),
        date_from=datetime(2024, 1, 1, tzinfo=UTC),
    )
    assert document_filters(f) == [
        {"terms": {"topics": ["apk"]}},
        {"terms": {"kind": ["pencegahan"]}},
        {"terms": {"place_paths": ["31.71"]}},
        {"terms": {"source": ["A"]}},
        {"range": {"date": {"gte": "2024-01-01T00:00:00.000Z"}}},
    ]


def test_engine_search_body() -> None:
    must, must_not = text_query('uang "serangan fajar" -bola')
    assert must[0]["multi_match"]["operator"] == "and"
    assert must[1]["multi_match"]["type"] == "phrase"
    assert must_not[0]["multi_match"]["query"] == "bola"
    body = search_body(
        SearchQuery(text="", sort=SortOrder.RELEVANCE, limit=5, facets=(Facet.KIND,)), ["1", "a"]
    )
    assert body["query"] == {"match_all": {}}
    assert body["size"] == 6 and body["search_after"] == ["1", "a"]
    assert body["sort"] == [{"_score": "desc"}, {"id": "asc"}]
    assert body["aggs"]["kind"]["terms"]["field"] == "kind"
