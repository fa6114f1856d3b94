"""Elasticsearch (>= 8) and OpenSearch (2.x) behind one store, through one code path."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from index.contract import (
    AlertFilters,
    BulkError,
    BulkResult,
    DigestAggregates,
    DocumentFilters,
    IncidentFilters,
    Page,
    RetentionResult,
    SearchPage,
    SearchQuery,
    Store,
    StoreStats,
    WeekTopicCount,
)
from index.engine_client import (
    ELASTICSEARCH,
    OPENSEARCH,
    EngineClient,
    bulk_with_retry,
    detect_flavor,
)
from index.engine_query import (
    bool_query,
    bucket_counts,
    digest_body,
    entity_filters,
    search_body,
    top_incidents_body,
)
from index.errors import Conflict, EngineRequestError, NotFound
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
from pantau.settings import Settings, StoreBackend

log = logging.getLogger(__name__)

ENTITIES = ("documents", "incidents", "alerts", "audit")
INDONESIAN = {"analyzer": {"pantau_text": {"type": "indonesian"}}}
FALLBACK = {"analyzer": {"pantau_text": {"type": "standard"}}}


@cache
def mapping_versions(entity: str) -> dict[int, dict[str, Any]]:
    """All versioned mapping files of an entity: {version: {settings, mappings}}."""
    out: dict[int, dict[str, Any]] = {}
    for item in resources.files("index").joinpath("mappings").iterdir():
        name = item.name
        if name.startswith(f"{entity}.v") and name.endswith(".json"):
            version = int(name[len(entity) + 2 : -5])
            out[version] = json.loads(item.read_text(encoding="utf-8"))
    if not out:
        raise FileNotFoundError(f"no mapping files for {entity!r} in index/mappings")
    return out


def index_body(spec: dict[str, Any], analysis: dict[str, Any], replicas: int) -> dict[str, Any]:
    """Index-creation body from a mapping file plus the analysis this engine supports (pure)."""
    settings = dict(spec.get("settings", {}))
    settings["number_of_replicas"] = replicas
    settings["analysis"] = analysis
    return {"settings": {"index": settings}, "mappings": spec["mappings"]}


class SearchEngineStore(Store):
    def __init__(
        self,
        client: EngineClient,
        prefix: str = "pantau",
        replicas: int = 0,
        max_document_bytes: int = 2_000_000,
        chunk_size: int = 500,
        max_retries: int = 5,
        initial_backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        self.client = client
        self.backend = client.flavor
        self.prefix = prefix
        self.replicas = replicas
        self.max_document_bytes = max_document_bytes
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.analyzer = "unknown"
        self.server_version: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchEngineStore:
        if not settings.search_url:
            raise ValueError(
                f"PANTAU_STORE={settings.store.value} needs PANTAU_SEARCH_URL "
                "(e.g. http://127.0.0.1:9200)"
            )
        auth = (
            (settings.search_username, settings.search_password or "")
            if settings.search_username
            else None
        )
        flavor = {
            StoreBackend.ELASTICSEARCH: ELASTICSEARCH,
            StoreBackend.OPENSEARCH: OPENSEARCH,
        }.get(settings.store) or detect_flavor(settings.search_url, settings.search_timeout_s, auth)
        client = EngineClient(
            settings.search_url,
            flavor,
            timeout=settings.search_timeout_s,
            auth=auth,
            verify_certs=settings.search_verify_certs,
            ca_certs=str(settings.search_ca_certs) if settings.search_ca_certs else None,
        )
        return cls(
            client,
            prefix=settings.search_index_prefix,
            replicas=settings.search_replicas,
            max_document_bytes=settings.max_document_bytes,
            chunk_size=settings.bulk_chunk_size,
            max_retries=settings.search_max_retries,
            initial_backoff=settings.search_initial_backoff_s,
            max_backoff=settings.search_max_backoff_s,
        )

    def alias(self, entity: str) -> str:
        return f"{self.prefix}-{entity}"

    # -- lifecycle ---------------------------------------------------------
    def _has_indonesian(self) -> bool:
        try:
            self.client.request(
                "POST", "/_analyze", {"analyzer": "indonesian", "text": "pemilihan"}
            )
        except EngineRequestError as exc:
            if exc.status == 400:
                return False
            raise
        return True

    def init(self) -> None:
        nodes = self.client.request(
            "GET", "/_nodes/_local", params={"filter_path": "nodes.*.version"}
        )
        versions = [n.get("version") for n in nodes.get("nodes", {}).values()]
        self.server_version = f"{self.backend} {versions[0]}" if versions else self.backend
        if self._has_indonesian():
            analysis, self.analyzer = INDONESIAN, "indonesian"
        else:
            log.warning(
                "%s at %s has no 'indonesian' analyzer (analysis-common module missing); "
                "falling back to the 'standard' analyzer: no Indonesian stemming or stop words",
                self.backend,
                self.client.url,
            )
            analysis, self.analyzer = FALLBACK, "standard (fallback: no analysis-common)"
        for entity in ENTITIES:
            self._ensure_index(entity, analysis)

    def _ensure_index(self, entity: str, analysis: dict[str, Any]) -> None:
        versions = mapping_versions(entity)
        latest = max(versions)
        alias = self.alias(entity)
        target = f"{alias}-v{latest}"
        current = self._alias_targets(alias)
        if target in current:
            return
        if not self._exists(target):
            self.client.request(
                "PUT", f"/{target}", index_body(versions[latest], analysis, self.replicas)
            )
            log.info("created index %s", target)
        if not current:
            self.client.request(
                "POST", "/_aliases", {"actions": [{"add": {"index": target, "alias": alias}}]}
            )
            return
        # A newer mapping: copy everything across, then move the alias in one atomic step.
        # Copying through the client keeps this working on engines without the reindex module.
        for old in current:
            self._copy_index(old, target)
        self.client.request("POST", f"/{target}/_refresh")
        actions: list[dict[str, Any]] = [{"remove": {"index": i, "alias": alias}} for i in current]
        actions.append({"add": {"index": target, "alias": alias}})
        self.client.request("POST", "/_aliases", {"actions": actions})
        log.warning("moved alias %s from %s to %s; old indices kept", alias, current, target)

    def _exists(self, index: str) -> bool:
        # GET, not HEAD: opensearch-py answers HEAD with a bool instead of raising on 404.
        try:
            self.client.request("GET", f"/{index}", params={"filter_path": "*.settings.index.uuid"})
        except EngineRequestError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _alias_targets(self, alias: str) -> list[str]:
        try:
            found = self.client.request("GET", f"/_alias/{alias}")
        except EngineRequestError as exc:
            if exc.status == 404:
                return []
            raise
        return sorted(found)

    def _copy_index(self, source: str, target: str) -> None:
        batch: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
        for hit in self._scan(source, {"match_all": {}}):
            batch.append(({"index": {"_index": target, "_id": hit["_id"]}}, hit["_source"]))
            if len(batch) >= self.chunk_size:
                self._bulk(batch)
                batch = []
        if batch:
            self._bulk(batch)

    def close(self) -> None:
        self.client.close()

    def drop_indices(self) -> list[str]:
        """Delete every index under this store's prefix (tests, benchmarks, teardown).

        Indices are named explicitly: Elasticsearch refuses wildcard deletes by default.
        """
        found = self.client.request(
            "GET", f"/{self.prefix}-*/_settings", params={"filter_path": "*.settings.index.uuid"}
        )
        names = sorted(found or {})
        if names:
            self.client.request("DELETE", "/" + ",".join(names))
        return names

    def refresh(self) -> None:
        self.client.request("POST", f"/{self.prefix}-*/_refresh")

    # -- helpers -----------------------------------------------------------
    def _bulk(
        self, ops: list[tuple[dict[str, Any], dict[str, Any] | None]]
    ) -> tuple[list[str], list[tuple[str, str, bool]]]:
        return bulk_with_retry(
            self.client, ops, self.max_retries, self.initial_backoff, self.max_backoff
        )

    def _scan(
        self, index: str, query: dict[str, Any], source: bool | list[str] = True
    ) -> Iterator[dict[str, Any]]:
        """Every hit of ``query``, in ID order, through search_after (no deep offsets)."""
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {
                "query": query,
                "sort": [{"id": "asc"}],
                "size": 1000,
                "_source": source,
            }
            if after is not None:
                body["search_after"] = after
            hits = self.client.request("POST", f"/{index}/_search", body)["hits"]["hits"]
            yield from hits
            if len(hits) < 1000:
                return
            after = hits[-1]["sort"]

    def _get(self, entity: str, doc_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.client.request("GET", f"/{self.alias(entity)}/_doc/{doc_id}"))
        except EngineRequestError as exc:
            if exc.status == 404:
                return None
            raise

    def _put(
        self,
        entity: str,
        record: dict[str, Any],
        *,
        seq: tuple[int, int] | None = None,
        create: bool = False,
    ) -> None:
        # Triage writes are few and an analyst must see them at once: refresh now
        # rather than wait up to a refresh interval.
        params: dict[str, Any] = {"refresh": "true"}
        if seq is not None:
            params["if_seq_no"], params["if_primary_term"] = seq
        if create:
            params["op_type"] = "create"
        try:
            self.client.request(
                "PUT", f"/{self.alias(entity)}/_doc/{record['id']}", record, params=params
            )
        except EngineRequestError as exc:
            if exc.status == 409:
                raise Conflict(
                    f"{entity} {record['id']} changed meanwhile; reload and try again"
                ) from exc
            raise

    def _audit(
        self,
        entity_type: str,
        entity_id: str,
        action: str,
        actor: str,
        from_status: str | None = None,
        to_status: str | None = None,
        note: str | None = None,
    ) -> None:
        entry = audit_entry(entity_type, entity_id, action, actor, from_status, to_status, note)
        # op_type=create: an audit record is never overwritten.
        self._put("audit", audit_record(entry), create=True)

    # -- documents ---------------------------------------------------------
    def upsert_documents(self, docs: Iterable[Document]) -> BulkResult:
        result = BulkResult()
        batch: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
        index = self.alias("documents")

        def flush() -> None:
            done, errors = self._bulk(batch)
            result.indexed += len(done)
            result.errors.extend(BulkError(id=i, reason=r, retryable=t) for i, r, t in errors)
            batch.clear()

        for doc in docs:
            size = doc.size_bytes()
            if size > self.max_document_bytes:
                result.errors.append(BulkError.too_large(doc.id, size, self.max_document_bytes))
                continue
            batch.append(({"index": {"_index": index, "_id": doc.id}}, document_record(doc)))
            if len(batch) >= self.chunk_size:
                flush()
        if batch:
            flush()
        return result

    def get_document(self, doc_id: str) -> Document | None:
        found = self._get("documents", doc_id)
        return document_from_record(found["_source"]) if found else None

    def search_documents(self, query: SearchQuery) -> SearchPage:
        after = decode_cursor(query.cursor, 2) if query.cursor else None
        resp = self.client.request(
            "POST", f"/{self.alias('documents')}/_search", search_body(query, after)
        )
        hits = resp["hits"]["hits"]
        has_more = len(hits) > query.limit
        hits = hits[: query.limit]
        return SearchPage(
            items=[document_from_record(h["_source"]) for h in hits],
            next_cursor=encode_cursor(hits[-1]["sort"]) if has_more and hits else None,
            total=int(resp["hits"]["total"]["value"]),
            facets={
                f.value: bucket_counts(resp.get("aggregations", {}).get(f.value, {}))
                for f in query.facets
            },
        )

    def _evidence_ids(self) -> set[str]:
        ids: set[str] = set()
        for hit in self._scan(self.alias("incidents"), {"match_all": {}}, ["document_ids"]):
            ids.update(hit["_source"].get("document_ids", []))
        return ids

    def delete_older_than(self, days: int, now: datetime | None = None) -> RetentionResult:
        if days < 0:
            raise ValueError("retention days must be >= 0")
        cutoff = (now or utcnow()) - timedelta(days=days)
        self.refresh()
        evidence = sorted(self._evidence_ids())
        old = {"range": {"fetched_at": {"lt": format_ts(cutoff)}}}
        index = self.alias("documents")
        kept = 0
        if evidence:
            kept = int(
                self.client.request(
                    "POST",
                    f"/{index}/_count",
                    {"query": bool_query([], [old, {"terms": {"id": evidence}}], [])},
                )["count"]
            )
        doomed = bool_query([], [old], [{"terms": {"id": evidence}}] if evidence else [])
        # Collect first, delete after: deleting while paging would shift the pages.
        ids = [h["_id"] for h in self._scan(index, doomed, False)]
        deleted = 0
        for start in range(0, len(ids), self.chunk_size):
            chunk = ids[start : start + self.chunk_size]
            done, errors = self._bulk(
                [({"delete": {"_index": index, "_id": i}}, None) for i in chunk]
            )
            deleted += len(done)
            if errors:
                log.error("retention: %d deletions failed: %s", len(errors), errors[:3])
        self.refresh()
        return RetentionResult(cutoff=cutoff, deleted=deleted, kept_as_evidence=kept)

    # -- incidents ---------------------------------------------------------
    def upsert_incident(self, incident: Incident, actor: str = "system") -> Incident:
        found = self._get("incidents", incident.id)
        if found is None:
            self._put("incidents", incident_record(incident), create=True)
            self._audit("incident", incident.id, "created", actor, to_status=incident.status.value)
            return incident
        stored = incident_from_record(found["_source"])
        merged = merged_incident(stored, incident)
        if merged is None:
            return stored
        self._put(
            "incidents", incident_record(merged), seq=(found["_seq_no"], found["_primary_term"])
        )
        self._audit("incident", incident.id, "updated", actor)
        return merged

    def get_incident(self, incident_id: str) -> Incident:
        found = self._get("incidents", incident_id)
        if found is None:
            raise NotFound(f"incident {incident_id!r} does not exist")
        return incident_from_record(found["_source"])

    def _list(
        self,
        entity: str,
        time_field: str,
        filters: list[dict[str, Any]],
        limit: int,
        cursor: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        body: dict[str, Any] = {
            "query": bool_query([], filters, []),
            "sort": [{time_field: "desc"}, {"id": "desc"}],
            "size": limit + 1,
        }
        if cursor:
            body["search_after"] = decode_cursor(cursor, 2)
        hits = self.client.request("POST", f"/{self.alias(entity)}/_search", body)["hits"]["hits"]
        nxt = encode_cursor(hits[limit - 1]["sort"]) if len(hits) > limit else None
        return [h["_source"] for h in hits[:limit]], nxt

    def list_incidents(
        self, filters: IncidentFilters | None = None, limit: int = 50, cursor: str | None = None
    ) -> Page[Incident]:
        recs, nxt = self._list(
            "incidents", "last_seen", entity_filters(filters or IncidentFilters()), limit, cursor
        )
        return Page[Incident](items=[incident_from_record(r) for r in recs], next_cursor=nxt)

    def set_incident_status(
        self, incident_id: str, status: IncidentStatus, actor: str, note: str | None = None
    ) -> Incident:
        found = self._get("incidents", incident_id)
        if found is None:
            raise NotFound(f"incident {incident_id!r} does not exist")
        stored = incident_from_record(found["_source"])
        updated = incident_with_status(stored, status)
        self._put(
            "incidents", incident_record(updated), seq=(found["_seq_no"], found["_primary_term"])
        )
        self._audit(
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
    def create_alert(self, alert: Alert, actor: str = "system") -> Alert:
        found = self._get("alerts", alert.id)
        if found is not None:
            return alert_from_record(found["_source"])
        try:
            self._put("alerts", alert_record(alert), create=True)
        except Conflict:
            # Raised concurrently by another worker: theirs is the stored one.
            return self.get_alert(alert.id)
        self._audit("alert", alert.id, "created", actor, to_status=alert.status.value)
        return alert

    def get_alert(self, alert_id: str) -> Alert:
        found = self._get("alerts", alert_id)
        if found is None:
            raise NotFound(f"alert {alert_id!r} does not exist")
        return alert_from_record(found["_source"])

    def list_alerts(
        self, filters: AlertFilters | None = None, limit: int = 50, cursor: str | None = None
    ) -> Page[Alert]:
        recs, nxt = self._list(
            "alerts", "created_at", entity_filters(filters or AlertFilters()), limit, cursor
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
        found = self._get("alerts", alert_id)
        if found is None:
            raise NotFound(f"alert {alert_id!r} does not exist")
        stored = alert_from_record(found["_source"])
        updated = alert_with_status(stored, status, assignee)
        self._put("alerts", alert_record(updated), seq=(found["_seq_no"], found["_primary_term"]))
        self._audit(
            "alert", alert_id, "status_changed", actor, stored.status.value, status.value, note
        )
        return updated

    def audit_trail(self, entity_type: str, entity_id: str) -> list[AuditEntry]:
        query = bool_query(
            [], [{"term": {"entity_type": entity_type}}, {"term": {"entity_id": entity_id}}], []
        )
        body = {"query": query, "sort": [{"at": "asc"}, {"id": "asc"}], "size": 1000}
        hits = self.client.request("POST", f"/{self.alias('audit')}/_search", body)["hits"]["hits"]
        return [audit_from_record(h["_source"]) for h in hits]

    # -- aggregations ------------------------------------------------------
    def digest_aggregates(
        self,
        start: datetime,
        end: datetime,
        filters: DocumentFilters | None = None,
        top_incidents: int = 10,
    ) -> DigestAggregates:
        f = filters or DocumentFilters()
        resp = self.client.request(
            "POST", f"/{self.alias('documents')}/_search", digest_body(start, end, f)
        )
        aggs = resp["aggregations"]
        weeks = [
            WeekTopicCount(week=str(w["key"]), topic=Topic(t["key"]), count=int(t["doc_count"]))
            for w in aggs["weeks"]["buckets"]
            for t in sorted(w["topics"]["buckets"], key=lambda b: b["key"])
        ]
        incidents = self.client.request(
            "POST",
            f"/{self.alias('incidents')}/_search",
            top_incidents_body(start, end, f, top_incidents),
        )["hits"]["hits"]
        return DigestAggregates(
            start=start,
            end=end,
            total_documents=int(resp["hits"]["total"]["value"]),
            by_week_topic=weeks,
            by_topic=bucket_counts(aggs["topics"]),
            by_place=bucket_counts(aggs["places"]),
            by_kind=bucket_counts(aggs["kinds"]),
            top_incidents=[incident_from_record(h["_source"]) for h in incidents],
        )

    def stats(self) -> StoreStats:
        def count(entity: str) -> int:
            return int(self.client.request("POST", f"/{self.alias(entity)}/_count")["count"])

        self.refresh()
        resp = self.client.request(
            "POST",
            f"/{self.alias('documents')}/_search",
            {
                "size": 0,
                "aggs": {
                    "kinds": {"terms": {"field": "kind", "size": 10, "missing": "unclassified"}},
                    "sources": {"terms": {"field": "source", "size": 20}},
                    "newest": {"max": {"field": "fetched_at"}},
                },
            },
        )
        aggs = resp["aggregations"]
        newest = aggs["newest"].get("value_as_string")
        return StoreStats(
            backend=self.backend,
            location=f"{self.client.url} ({self.prefix}-*)",
            server_version=self.server_version,
            text_analyzer=self.analyzer,
            documents=count("documents"),
            incidents=count("incidents"),
            alerts=count("alerts"),
            audit_entries=count("audit"),
            documents_by_kind=bucket_counts(aggs["kinds"]),
            documents_by_source=bucket_counts(aggs["sources"]),
            newest_document=parse_ts(newest) if newest else None,
        )
