"""Pure SQL building for the embedded store: filters, full-text match, keyset cursors."""

from __future__ import annotations

from typing import Any

from index.contract import AlertFilters, DocumentFilters, IncidentFilters
from index.records import format_ts
from index.textquery import ParsedQuery, analyze

Clause = tuple[str, list[Any]]


def _in(column: str, values: tuple[Any, ...]) -> Clause:
    marks = ",".join("?" for _ in values)
    return f"{column} IN ({marks})", [getattr(v, "value", v) for v in values]


def fts_expression(parsed: ParsedQuery) -> str | None:
    """FTS5 MATCH text for the positive part of a query; ``None`` when there is none.

    Tokens are analysed the same way as the indexed text and quoted, so no
    user input reaches FTS5's query syntax unescaped.
    """
    parts: list[str] = []
    for term in parsed.terms:
        stem = analyze(term)
        if stem:
            parts.append(f'"{stem}"')
    for phrase in parsed.phrases:
        stems = analyze(phrase)
        if stems:
            parts.append(f'"{stems}"')
    return " AND ".join(parts) if parts else None


def fts_exclusion(parsed: ParsedQuery) -> str | None:
    parts = [f'"{analyze(t)}"' for t in parsed.excluded if analyze(t)]
    parts += [f'"{analyze(p)}"' for p in parsed.excluded_phrases if analyze(p)]
    return " OR ".join(parts) if parts else None


def document_filter_clauses(f: DocumentFilters, alias: str = "d") -> list[Clause]:
    out: list[Clause] = []
    if f.topics:
        sql, params = _in("topic", f.topics)
        out.append((f"{alias}.rid IN (SELECT rid FROM document_topics WHERE {sql})", params))
    if f.places:
        sql, params = _in("code", f.places)
        out.append((f"{alias}.rid IN (SELECT rid FROM document_places WHERE {sql})", params))
    for column, values in (
        ("kind", f.kinds),
        ("severity", f.severities),
        ("source", f.sources),
        ("source_type", f.source_types),
        ("language", f.languages),
        ("story_id", f.story_ids),
    ):
        if values:
            out.append(_in(f"{alias}.{column}", values))
    if f.date_from:
        out.append((f"{alias}.date >= ?", [format_ts(f.date_from)]))
    if f.date_to:
        out.append((f"{alias}.date <= ?", [format_ts(f.date_to)]))
    return out


def _json_any(alias: str, path: str, values: tuple[Any, ...]) -> Clause:
    sql, params = _in("value", values)
    return (f"EXISTS (SELECT 1 FROM json_each({alias}.record, '{path}') WHERE {sql})", params)


def entity_filter_clauses(f: AlertFilters | IncidentFilters, alias: str) -> list[Clause]:
    out: list[Clause] = []
    if f.statuses:
        out.append(_in(f"{alias}.status", f.statuses))
    if f.severities:
        out.append(_in(f"{alias}.severity", f.severities))
    if f.topics:
        out.append(_json_any(alias, "$.topics", f.topics))
    if f.places:
        out.append(_json_any(alias, "$.place_paths", f.places))
    return out


def keyset_after(columns: list[tuple[str, str]], values: list[Any]) -> Clause:
    """Rows strictly after ``values`` in the order of ``columns`` ((expr, "ASC"|"DESC"))."""
    ors: list[str] = []
    params: list[Any] = []
    for i, (expr, direction) in enumerate(columns):
        eqs = [f"{c} = ?" for c, _ in columns[:i]]
        op = "<" if direction == "DESC" else ">"
        ors.append("(" + " AND ".join([*eqs, f"{expr} {op} ?"]) + ")")
        params.extend(values[:i])
        params.append(values[i])
    return "(" + " OR ".join(ors) + ")", params


def where(clauses: list[Clause]) -> Clause:
    if not clauses:
        return "1=1", []
    return " AND ".join(c for c, _ in clauses), [p for _, ps in clauses for p in ps]
