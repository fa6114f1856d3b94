"""The embedded default store: one SQLite file with FTS5 full-text search."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from index.contract import (
    AlertFilters,
    BulkError,
    BulkResult,
    DigestAggregates,
    DocumentFilters,
    Facet,
    IncidentFilters,
    Page,
    RetentionResult,
    SearchPage,
    SearchQuery,
    SortOrder,
    Store,
    StoreStats,
    WeekTopicCount,
)
from index.errors import NotFound, StoreUnavailable
from index.records import (
    alert_from_record,
    alert_record,
    audit_from_record,
    audit_record,
    decode_cursor,
    document_from_record,
    document_record,
    encode_cursor,
    format_ts,
    incident_from_record,
    incident_record,
    parse_ts,
)
from index.sqlite_sql import (
    Clause,
    document_filter_clauses,
    entity_filter_clauses,
    fts_exclusion,
    fts_expression,
    keyset_after,
    where,
)
from index.textquery import analyze, parse_query
from index.workflow import alert_with_status, audit_entry, incident_with_status, merged_incident
from pantau.schemas import (
    Alert,
    AlertStatus,
    AuditEntry,
    Document,
    Incident,
    IncidentStatus,
    Topic,
    utcnow,
)

log = logging.getLogger(__name__)

FACET_LIMIT = 50

# Each entry migrates the schema from version i to i+1 (PRAGMA user_version).
_MIGRATIONS: list[str] = [
    """
    CREATE TABLE documents (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        source_type TEXT NOT NULL,
        kind TEXT,
        severity TEXT,
        language TEXT,
        date TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        iso_week TEXT NOT NULL,
        story_id TEXT,
        record TEXT NOT NULL
    );
    CREATE INDEX documents_by_date ON documents(date DESC, id DESC);
    CREATE INDEX documents_by_fetched ON documents(fetched_at);
    CREATE INDEX documents_by_source ON documents(source);
    CREATE TABLE document_topics (
        rid INTEGER NOT NULL, topic TEXT NOT NULL, PRIMARY KEY (rid, topic)
    ) WITHOUT ROWID;
    CREATE INDEX document_topics_by_topic ON document_topics(topic, rid);
    CREATE TABLE document_places (
        rid INTEGER NOT NULL, code TEXT NOT NULL, direct INTEGER NOT NULL,
        PRIMARY KEY (rid, code)
    ) WITHOUT ROWID;
    CREATE INDEX document_places_by_code ON document_places(code, rid);
    CREATE VIRTUAL TABLE documents_fts USING fts5(
        title, body, tokenize = "unicode61 remove_diacritics 2"
    );
    CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        severity TEXT NOT NULL,
        severity_rank INTEGER NOT NULL,
        evidence_count INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX incidents_by_last_seen ON incidents(last_seen DESC, id DESC);
    CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        severity TEXT NOT NULL,
        created_at TEXT NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX alerts_by_created ON alerts(created_at DESC, id DESC);
    CREATE TABLE audit (
        id TEXT PRIMARY KEY,
        entity_type TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        at TEXT NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX audit_by_entity ON audit(entity_type, entity_id, at, id);
    -- The audit trail is evidence: the database itself refuses to rewrite it.
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
    """,
]


class SqliteStore(Store):
    backend = "sqlite"

    def __init__(self, path: Path | str, max_document_bytes: int = 2_000_000) -> None:
        self.path = Path(path)
        self.max_document_bytes = max_document_bytes
        self._lock = threading.RLock()
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # One connection shared by API threads; the lock serialises it.
            self._db = sqlite3.connect(
                str(path), check_same_thread=False, isolation_level=None, timeout=30
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(str(path), str(exc)) from exc
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")

    # -- lifecycle ---------------------------------------------------------
    def init(self) -> None:
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            for i in range(version, len(_MIGRATIONS)):
                log.info("migrating %s to schema version %d", self.path, i + 1)
                with self._tx():
                    for statement in _split_sql(_MIGRATIONS[i]):
                        self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version = {i + 1}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _all(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # -- documents ---------------------------------------------------------
    def upsert_documents(self, docs: Iterable[Document]) -> BulkResult:
        result = BulkResult()
        batch: list[Document] = []
        for doc in docs:
            size = doc.size_bytes()
            if size > self.max_document_bytes:
                result.errors.append(BulkError.too_large(doc.id, size, self.max_document_bytes))
                continue
            batch.append(doc)
            if len(batch) >= 500:
                result.indexed += self._write_batch(batch)
                batch = []
        if batch:
            result.indexed += self._write_batch(batch)
        return result

    def _write_batch(self, docs: list[Document]) -> int:
        with self._tx() as db:
            for doc in docs:
                rec = document_record(doc)
                rid = db.execute(
                    """
                    INSERT INTO documents (id, source, source_type, kind, severity, language,
                        date, fetched_at, iso_week, story_id, record)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET
                        source=excluded.source, source_type=excluded.source_type,
                        kind=excluded.kind, severity=excluded.severity,
                        language=excluded.language, date=excluded.date,
                        fetched_at=excluded.fetched_at, iso_week=excluded.iso_week,
                        story_id=excluded.story_id, record=excluded.record
                    RETURNING rid
                    """,
                    (
                        rec["id"],
                        rec["source"],
                        rec["source_type"],
                        rec["kind"],
                        rec["severity"],
                        rec["language"],
                        rec["date"],
                        rec["fetched_at"],
                        rec["iso_week"],
                        rec["story_id"],
                        json.dumps(rec, ensure_ascii=False),
                    ),
                ).fetchone()[0]
                db.execute("DELETE FROM documents_fts WHERE rowid = ?", (rid,))
                db.execute(
                    "INSERT INTO documents_fts (rowid, title, body) VALUES (?, ?, ?)",
                    (rid, analyze(rec["title"]), analyze(rec["body"])),
                )
                db.execute("DELETE FROM document_topics WHERE rid = ?", (rid,))
                db.executemany(
                    "INSERT INTO document_topics (rid, topic) VALUES (?, ?)",
                    [(rid, t) for t in rec["topics"]],
                )
                db.execute("DELETE FROM document_places WHERE rid = ?", (rid,))
                direct = set(rec["places"])
                db.executemany(
                    "INSERT INTO document_places (rid, code, direct) VALUES (?, ?, ?)",
                    [(rid, c, int(c in direct)) for c in rec["place_paths"]],
                )
        return len(docs)

    def get_document(self, doc_id: str) -> Document | None:
        rows = self._all("SELECT record FROM documents WHERE id = ?", (doc_id,))
        return document_from_record(json.loads(rows[0]["record"])) if rows else None

    def _search_base(self, query: SearchQuery) -> tuple[str, str, Clause]:
        """FROM/JOIN text, the score expression and the WHERE clause of a search."""
        parsed = parse_query(query.text)
        clauses = document_filter_clauses(query.filters)
        joins = "documents d"
        score = "0.0"
        match = fts_expression(parsed)
        if match:
            joins += " JOIN documents_fts ON documents_fts.rowid = d.rid"
            clauses.append(("documents_fts MATCH ?", [match]))
            # bm25 is lower-is-better; title matches weigh twice the body's.
            score = "bm25(documents_fts, 2.0, 1.0)"
        excluded = fts_exclusion(parsed)
        if excluded:
            clauses.append(
                (
                    "d.rid NOT IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?)",
                    [excluded],
                )
            )
        return joins, score, where(clauses)

    def search_documents(self, query: SearchQuery) -> SearchPage:
        joins, score, (cond, params) = self._search_base(query)
        if query.sort is SortOrder.RELEVANCE:
            order: list[tuple[str, str]] = [("score", "ASC"), ("d.id", "ASC")]
        else:
            order = [("d.date", "DESC"), ("d.id", "DESC")]
        page_cond, page_params = cond, list(params)
        if query.cursor:
            values = decode_cursor(query.cursor, 2)
            # The cursor's first value is compared against the computed score column,
            # which SQLite cannot reference in WHERE; wrap the query instead.
            keyset, kparams = keyset_after([(c.replace("d.", ""), d) for c, d in order], values)
        else:
            keyset, kparams = "1=1", []
        sql = f"""
            SELECT * FROM (
                SELECT d.id AS id, d.date AS date, d.record AS record, {score} AS score
                FROM {joins} WHERE {page_cond}
            ) WHERE {keyset}
            ORDER BY {", ".join(f"{c.replace('d.', '')} {d}" for c, d in order)}
            LIMIT ?
        """
        rows = self._all(sql, [*page_params, *kparams, query.limit + 1])
        has_more = len(rows) > query.limit
        rows = rows[: query.limit]
        items = [document_from_record(json.loads(r["record"])) for r in rows]
        next_cursor = None
        if has_more and rows:
            last = rows[-1]
            key = (
                [last["score"], last["id"]]
                if query.sort is SortOrder.RELEVANCE
                else [last["date"], last["id"]]
            )
            next_cursor = encode_cursor(key)
        total = self._all(f"SELECT COUNT(*) AS n FROM {joins} WHERE {cond}", params)[0]["n"]
        facets = {f.value: self._facet(f, joins, cond, params) for f in query.facets}
        return SearchPage(items=items, next_cursor=next_cursor, total=total, facets=facets)

    def _facet(self, facet: Facet, joins: str, cond: str, params: list[Any]) -> dict[str, int]:
        hits = f"SELECT d.rid FROM {joins} WHERE {cond}"
        if facet is Facet.TOPIC:
            sql = f"""SELECT topic AS k, COUNT(*) AS n FROM document_topics
                      WHERE rid IN ({hits}) GROUP BY topic"""
        elif facet is Facet.PLACE:
            sql = f"""SELECT code AS k, COUNT(*) AS n FROM document_places
                      WHERE direct = 1 AND rid IN ({hits}) GROUP BY code"""
        else:
            column = {Facet.KIND: "kind", Facet.SEVERITY: "severity", Facet.SOURCE: "source"}[facet]
            sql = f"""SELECT d.{column} AS k, COUNT(*) AS n FROM {joins}
                      WHERE {cond} AND d.{column} IS NOT NULL GROUP BY d.{column}"""
        rows = self._all(f"{sql} ORDER BY n DESC, k ASC LIMIT {FACET_LIMIT}", params)
        return {r["k"]: r["n"] for r in rows}

    def delete_older_than(self, days: int, now: datetime | None = None) -> RetentionResult:
        if days < 0:
            raise ValueError("retention days must be >= 0")
        cutoff = (now or utcnow()) - timedelta(days=days)
        evidence = """SELECT value FROM incidents, json_each(incidents.record, '$.document_ids')"""
        with self._tx() as db:
            kept = db.execute(
                f"SELECT COUNT(*) FROM documents WHERE fetched_at < ? AND id IN ({evidence})",
                (format_ts(cutoff),),
            ).fetchone()[0]
            doomed = f"""SELECT rid FROM documents
                         WHERE fetched_at < ? AND id NOT IN ({evidence})"""
            for table, column in (
                ("documents_fts", "rowid"),
                ("document_topics", "rid"),
                ("document_places", "rid"),
            ):
                db.execute(
                    f"DELETE FROM {table} WHERE {column} IN ({doomed})", (format_ts(cutoff),)
                )
            deleted = db.execute(
                f"DELETE FROM documents WHERE rid IN ({doomed})", (format_ts(cutoff),)
            ).rowcount
        return RetentionResult(cutoff=cutoff, deleted=deleted, kept_as_evidence=kept)

    # -- incidents ---------------------------------------------------------
    def _audit(
        self,
        db: sqlite3.Connection,
        entity_type: str,
        entity_id: str,
        action: str,
        actor: str,
        from_status: str | None = None,
        to_status: str | None = None,
        note: str | None = None,
    ) -> None:
        entry = audit_entry(entity_type, entity_id, action, actor, from_status, to_status, note)
        rec = audit_record(entry)
        db.execute(
            "INSERT INTO audit (id, entity_type, entity_id, at, record) VALUES (?, ?, ?, ?, ?)",
            (rec["id"], entity_type, entity_id, rec["at"], json.dumps(rec, ensure_ascii=False)),
        )

    def _write_incident(self, db: sqlite3.Connection, incident: Incident) -> None:
        rec = incident_record(incident)
        db.execute(
            """INSERT INTO incidents (id, status, severity, severity_rank, evidence_count,
                   first_seen, last_seen, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET status=excluded.status,
                   severity=excluded.severity, severity_rank=excluded.severity_rank,
                   evidence_count=excluded.evidence_count, first_seen=excluded.first_seen,
                   last_seen=excluded.last_seen, record=excluded.record""",
            (
                rec["id"],
                rec["status"],
                rec["severity"],
                rec["severity_rank"],
                rec["evidence_count"],
                rec["first_seen"],
                rec["last_seen"],
                json.dumps(rec, ensure_ascii=False),
            ),
        )

    def _incident_or_none(self, db: sqlite3.Connection, incident_id: str) -> Incident | None:
        row = db.execute("SELECT record FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return incident_from_record(json.loads(row["record"])) if row else None

    def upsert_incident(self, incident: Incident, actor: str = "system") -> Incident:
        with self._tx() as db:
            stored = self._incident_or_none(db, incident.id)
            if stored is None:
                self._write_incident(db, incident)
                self._audit(
                    db, "incident", incident.id, "created", actor, to_status=incident.status.value
                )
                return incident
            merged = merged_incident(stored, incident)
            if merged is None:
                return stored
            self._write_incident(db, merged)
            self._audit(db, "incident", incident.id, "updated", actor)
            return merged

    def get_incident(self, incident_id: str) -> Incident:
        with self._lock:
            found = self._incident_or_none(self._db, incident_id)
        if found is None:
            raise NotFound(f"incident {incident_id!r} does not exist")
        return found

    def _list(
        self,
        table: str,
        time_column: str,
        clauses: list[Clause],
        limit: int,
        cursor: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        cond, params = where(clauses)
        if cursor:
            kc, kp = keyset_after(
                [(f"t.{time_column}", "DESC"), ("t.id", "DESC")], decode_cursor(cursor, 2)
            )
            cond, params = f"{cond} AND {kc}", [*params, *kp]
        rows = self._all(
            f"""SELECT t.id AS id, t.{time_column} AS ts, t.record AS record FROM {table} t
                WHERE {cond} ORDER BY t.{time_column} DESC, t.id DESC LIMIT ?""",
            [*params, limit + 1],
        )
        nxt = (
            encode_cursor([rows[limit - 1]["ts"], rows[limit - 1]["id"]])
            if len(rows) > limit
            else None
        )
        return [json.loads(r["record"]) for r in rows[:limit]], nxt

    def list_incidents(
        self, filters: IncidentFilters | None = None, limit: int = 50, cursor: str | None = None
    ) -> Page[Incident]:
        recs, nxt = self._list(
            "incidents",
            "last_seen",
            entity_filter_clauses(filters or IncidentFilters(), "t"),
            limit,
            cursor,
        )
        return Page[Incident](items=[incident_from_record(r) for r in recs], next_cursor=nxt)

    def set_incident_status(
        self, incident_id: str, status: IncidentStatus, actor: str, note: str | None = None
    ) -> Incident:
        with self._tx() as db:
            stored = self._incident_or_none(db, incident_id)
            if stored is None:
                raise NotFound(f"incident {incident_id!r} does not exist")
            updated = incident_with_status(stored, status)
            self._write_incident(db, updated)
            self._audit(
                db,
                "incident",
                incident_id,
                "status_changed",
                actor,
                stored.status.value,
                status.value,
                note,
            )
        return updated

    # -- alerts ------------------------------------------------------------
    def _alert_or_none(self, db: sqlite3.Connection, alert_id: str) -> Alert | None:
        row = db.execute("SELECT record FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return alert_from_record(json.loads(row["record"])) if row else None

    def _write_alert(self, db: sqlite3.Connection, alert: Alert) -> None:
        rec = alert_record(alert)
        db.execute(
            """INSERT INTO alerts (id, status, severity, created_at, record)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET status=excluded.status,
                   severity=excluded.severity, record=excluded.record""",
            (
                rec["id"],
                rec["status"],
                rec["severity"],
                rec["created_at"],
                json.dumps(rec, ensure_ascii=False),
            ),
        )

    def create_alert(self, alert: Alert, actor: str = "system") -> Alert:
        with self._tx() as db:
            stored = self._alert_or_none(db, alert.id)
            if stored is not None:
                return stored
            self._write_alert(db, alert)
            self._audit(db, "alert", alert.id, "created", actor, to_status=alert.status.value)
        return alert

    def get_alert(self, alert_id: str) -> Alert:
        with self._lock:
            found = self._alert_or_none(self._db, alert_id)
        if found is None:
            raise NotFound(f"alert {alert_id!r} does not exist")
        return found

    def list_alerts(
        self, filters: AlertFilters | None = None, limit: int = 50, cursor: str | None = None
    ) -> Page[Alert]:
        recs, nxt = self._list(
            "alerts",
            "created_at",
            entity_filter_clauses(filters or AlertFilters(), "t"),
            limit,
            cursor,
        )
        return Page[Alert](items=[alert_from_record(r) for r in recs], next_cursor=nxt)

    def set_alert_status(
        self,
        alert_id: str,
        status: AlertStatus,
        actor: str,
        note: str | None = None,
        assignee: str | None = None,
    ) -> Alert:
        with self._tx() as db:
            stored = self._alert_or_none(db, alert_id)
            if stored is None:
                raise NotFound(f"alert {alert_id!r} does not exist")
            updated = alert_with_status(stored, status, assignee)
            self._write_alert(db, updated)
            self._audit(
                db,
                "alert",
                alert_id,
                "status_changed",
                actor,
                stored.status.value,
                status.value,
                note,
            )
        return updated

    def audit_trail(self, entity_type: str, entity_id: str) -> list[AuditEntry]:
        rows = self._all(
            "SELECT record FROM audit WHERE entity_type = ? AND entity_id = ? ORDER BY at, id",
            (entity_type, entity_id),
        )
        return [audit_from_record(json.loads(r["record"])) for r in rows]

    # -- aggregations ------------------------------------------------------
    def digest_aggregates(
        self,
        start: datetime,
        end: datetime,
        filters: DocumentFilters | None = None,
        top_incidents: int = 10,
    ) -> DigestAggregates:
        f = filters or DocumentFilters()
        clauses = [
            *document_filter_clauses(f),
            ("d.date >= ?", [format_ts(start)]),
            ("d.date < ?", [format_ts(end)]),
        ]
        cond, params = where(clauses)
        total = self._all(f"SELECT COUNT(*) AS n FROM documents d WHERE {cond}", params)[0]["n"]
        weeks = self._all(
            f"""SELECT d.iso_week AS week, t.topic AS topic, COUNT(*) AS n
                FROM documents d JOIN document_topics t ON t.rid = d.rid
                WHERE {cond} GROUP BY d.iso_week, t.topic ORDER BY week, topic""",
            params,
        )
        by_topic = self._all(
            f"""SELECT t.topic AS k, COUNT(*) AS n FROM documents d
                JOIN document_topics t ON t.rid = d.rid WHERE {cond}
                GROUP BY t.topic ORDER BY n DESC, k""",
            params,
        )
        by_place = self._all(
            f"""SELECT p.code AS k, COUNT(*) AS n FROM documents d
                JOIN document_places p ON p.rid = d.rid AND p.direct = 1 WHERE {cond}
                GROUP BY p.code ORDER BY n DESC, k LIMIT {FACET_LIMIT}""",
            params,
        )
        by_kind = self._all(
            f"""SELECT d.kind AS k, COUNT(*) AS n FROM documents d
                WHERE {cond} AND d.kind IS NOT NULL GROUP BY d.kind ORDER BY n DESC, k""",
            params,
        )
        inc_clauses = entity_filter_clauses(IncidentFilters(topics=f.topics, places=f.places), "t")
        inc_clauses += [
            ("t.last_seen >= ?", [format_ts(start)]),
            ("t.first_seen < ?", [format_ts(end)]),
        ]
        icond, iparams = where(inc_clauses)
        incidents = self._all(
            f"""SELECT t.record AS record FROM incidents t WHERE {icond}
                ORDER BY t.severity_rank DESC, t.evidence_count DESC, t.last_seen DESC, t.id
                LIMIT ?""",
            [*iparams, top_incidents],
        )
        return DigestAggregates(
            start=start,
            end=end,
            total_documents=total,
            by_week_topic=[
                WeekTopicCount(week=r["week"], topic=Topic(r["topic"]), count=r["n"]) for r in weeks
            ],
            by_topic={r["k"]: r["n"] for r in by_topic},
            by_place={r["k"]: r["n"] for r in by_place},
            by_kind={r["k"]: r["n"] for r in by_kind},
            top_incidents=[incident_from_record(json.loads(r["record"])) for r in incidents],
        )

    def stats(self) -> StoreStats:
        def count(table: str) -> int:
            return int(self._all(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])

        kinds = self._all(
            "SELECT COALESCE(kind, 'unclassified') AS k, COUNT(*) AS n FROM documents GROUP BY 1"
        )
        sources = self._all(
            "SELECT source AS k, COUNT(*) AS n FROM documents GROUP BY source "
            "ORDER BY n DESC, k LIMIT 20"
        )
        newest = self._all("SELECT MAX(fetched_at) AS m FROM documents")[0]["m"]
        return StoreStats(
            backend=self.backend,
            location=str(self.path),
            server_version=f"SQLite {sqlite3.sqlite_version}",
            text_analyzer="fts5 unicode61 + Snowball indonesian stemmer",
            documents=count("documents"),
            incidents=count("incidents"),
            alerts=count("alerts"),
            audit_entries=count("audit"),
            documents_by_kind={r["k"]: r["n"] for r in kinds},
            documents_by_source={r["k"]: r["n"] for r in sources},
            newest_document=parse_ts(newest) if newest else None,
        )


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements; trigger bodies keep their inner semicolons."""
    out: list[str] = []
    buf = ""
    for line in script.strip().splitlines():
        if line.strip().startswith("--"):
            continue
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
