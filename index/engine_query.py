"""Pure query building for Elasticsearch and OpenSearch (the same DSL subset on both)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from index.contract import (
    AlertFilters,
    DocumentFilters,
    Facet,
    IncidentFilters,
    SearchQuery,
    SortOrder,
)
from index.records import format_ts
from index.textquery import parse_query

FACET_LIMIT = 50
TEXT_FIELDS = ["title^2", "body"]
FACET_FIELDS: dict[Facet, str] = {
    Facet.TOPIC: "topics",
    Facet.KIND: "kind",
    Facet.SEVERITY: "severity",
    Facet.PLACE: "places",
    Facet.SOURCE: "source",
}


def _terms(field: str, values: tuple[Any, ...]) -> dict[str, Any]:
    return {"terms": {field: [getattr(v, "value", v) for v in values]}}


def document_filters(f: DocumentFilters) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for field, values in (
        ("topics", f.topics),
        ("kind", f.kinds),
        ("severity", f.severities),
        ("place_paths", f.places),
        ("source", f.sources),
        ("source_type", f.source_types),
        ("language", f.languages),
        ("story_id", f.story_ids),
    ):
        if values:
            out.append(_terms(field, values))
    if f.date_from or f.date_to:
        rng: dict[str, str] = {}
        if f.date_from:
            rng["gte"] = format_ts(f.date_from)
        if f.date_to:
            rng["lte"] = format_ts(f.date_to)
        out.append({"range": {"date": rng}})
    return out


def entity_filters(f: AlertFilters | IncidentFilters) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for field, values in (
        ("status", f.statuses),
        ("severity", f.severities),
        ("topics", f.topics),
        ("place_paths", f.places),
    ):
        if values:
            out.append(_terms(field, values))
    return out


def text_query(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(must, must_not) clauses for the user's search text."""
    parsed = parse_query(text)
    must: list[dict[str, Any]] = []
    must_not: list[dict[str, Any]] = []
    if parsed.terms:
        # cross_fields + and: every word must occur, in the title or in the body.
        must.append(
            {
                "multi_match": {
                    "query": " ".join(parsed.terms),
                    "fields": TEXT_FIELDS,
                    "type": "cross_fields",
                    "operator": "and",
                    "zero_terms_query": "all",
                }
            }
        )
    for phrase in parsed.phrases:
        must.append({"multi_match": {"query": phrase, "fields": TEXT_FIELDS, "type": "phrase"}})
    if parsed.excluded:
        must_not.append(
            {
                "multi_match": {
                    "query": " ".join(parsed.excluded),
                    "fields": TEXT_FIELDS,
                    "operator": "or",
                }
            }
        )
    for phrase in parsed.excluded_phrases:
        must_not.append({"multi_match": {"query": phrase, "fields": TEXT_FIELDS, "type": "phrase"}})
    return must, must_not


def bool_query(
    must: list[dict[str, Any]], filters: list[dict[str, Any]], must_not: list[dict[str, Any]]
) -> dict[str, Any]:
    if not (must or filters or must_not):
        return {"match_all": {}}
    body: dict[str, Any] = {}
    if must:
        body["must"] = must
    if filters:
        body["filter"] = filters
    if must_not:
        body["must_not"] = must_not
    return {"bool": body}


def document_sort(order: SortOrder) -> list[Any]:
    if order is SortOrder.RELEVANCE:
        return [{"_score": "desc"}, {"id": "asc"}]
    return [{"date": "desc"}, {"id": "desc"}]


def facet_aggs(facets: tuple[Facet, ...]) -> dict[str, Any]:
    return {
        f.value: {
            "terms": {
                "field": FACET_FIELDS[f],
                "size": FACET_LIMIT,
                "order": [{"_count": "desc"}, {"_key": "asc"}],
            }
        }
        for f in facets
    }


def search_body(query: SearchQuery, search_after: list[Any] | None) -> dict[str, Any]:
    """The complete search request body for a documents search (pure)."""
    must, must_not = text_query(query.text)
    body: dict[str, Any] = {
        "query": bool_query(must, document_filters(query.filters), must_not),
        "sort": document_sort(query.sort),
        "size": query.limit + 1,
        "track_total_hits": True,
    }
    if search_after is not None:
        body["search_after"] = search_after
    if query.facets:
        body["aggs"] = facet_aggs(query.facets)
    return body


def digest_body(start: datetime, end: datetime, f: DocumentFilters) -> dict[str, Any]:
    filters = [
        *document_filters(f),
        {"range": {"date": {"gte": format_ts(start), "lt": format_ts(end)}}},
    ]

    def terms(field: str, size: int = FACET_LIMIT) -> dict[str, Any]:
        return {"field": field, "size": size, "order": [{"_count": "desc"}, {"_key": "asc"}]}

    return {
        "query": bool_query([], filters, []),
        "size": 0,
        "track_total_hits": True,
        "aggs": {
            "weeks": {
                "terms": {"field": "iso_week", "size": 200, "order": {"_key": "asc"}},
                "aggs": {"topics": {"terms": {"field": "topics", "size": 20}}},
            },
            "topics": {"terms": terms("topics", 20)},
            "places": {"terms": terms("places")},
            "kinds": {"terms": terms("kind", 10)},
        },
    }


def top_incidents_body(
    start: datetime, end: datetime, f: DocumentFilters, limit: int
) -> dict[str, Any]:
    filters = [
        *entity_filters(IncidentFilters(topics=f.topics, places=f.places)),
        {"range": {"last_seen": {"gte": format_ts(start)}}},
        {"range": {"first_seen": {"lt": format_ts(end)}}},
    ]
    return {
        "query": bool_query([], filters, []),
        "size": limit,
        "sort": [
            {"severity_rank": "desc"},
            {"evidence_count": "desc"},
            {"last_seen": "desc"},
            {"id": "asc"},
        ],
    }


def bucket_counts(agg: dict[str, Any]) -> dict[str, int]:
    return {str(b["key"]): int(b["doc_count"]) for b in agg.get("buckets", [])}
