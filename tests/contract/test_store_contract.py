"""One contract, three stores: SQLite, OpenSearch and Elasticsearch must behave alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from index.contract import (
    AlertFilters,
    DocumentFilters,
    Facet,
    IncidentFilters,
    SearchQuery,
    SortOrder,
    Store,
)
from index.errors import InvalidCursor, NotFound
from pantau.schemas import (
    Alert,
    AlertStatus,
    Classification,
    Document,
    Incident,
    IncidentStatus,
    InvalidTransition,
    Kind,
    Provenance,
    Severity,
    SourceType,
    Topic,
)
from tests.conftest import drop_store, make_store

T0 = datetime(2024, 9, 16, 3, 0, tzinfo=UTC)  # Monday 10:00 WIB, ISO week 2024-W38


def doc(
    n: int,
    body: str = "Berita biasa tentang kota.",
    *,
    title: str | None = None,
    topics: tuple[Topic, ...] = (),
    kind: Kind = Kind.LAINNYA,
    places: tuple[str, ...] = (),
    source: str = "Warta Contoh",
    severity: Severity | None = None,
    published: datetime | None = None,
    fetched: datetime | None = None,
    story: str | None = None,
) -> Document:
    return Document(
        url=f"https://warta.example.id/berita/{n}",
        source=source,
        source_type=SourceType.NEWS,
        title=title if title is not None else f"Judul berita {n}",
        body=body,
        published_at=published or T0 + timedelta(hours=n),
        fetched_at=fetched or T0 + timedelta(hours=n, minutes=5),
        places=list(places),
        classification=Classification(
            topics=list(topics),
            kind=kind,
            topic_scores={t.value: 0.9 for t in topics},
            kind_scores={kind.value: 0.8},
            model_version="test",
        ),
        severity=severity,
        story_id=story,
        provenance=Provenance(
            source_url=f"https://warta.example.id/berita/{n}", http_status=200, raw_sha256="ab" * 32
        ),
    )


def put(store: Store, *docs: Document) -> None:
    result = store.upsert_documents(docs)
    assert result.ok, result.errors
    store.refresh()


def ids(page_items: list[Document]) -> list[str]:
    return [d.id for d in page_items]


# -- documents -------------------------------------------------------------


def test_upsert_is_idempotent_and_round_trips(store: Store) -> None:
    original = doc(
        1,
        "Bawaslu menemukan dugaan pelanggaran netralitas ASN.",
        topics=(Topic.NETRALITAS_ASN,),
        kind=Kind.DUGAAN_PELANGGARAN,
        places=("31.71.01",),
        severity=Severity.TINGGI,
    )
    put(store, original)
    put(store, original)
    # The same article reached through a tracking link and the AMP copy.
    variant = original.model_copy(
        update={"id": "", "url": "https://m.warta.example.id/berita/1/amp?utm_source=wa"}
    )
    variant = Document.model_validate(variant.model_dump())
    assert variant.id == original.id
    put(store, variant)
    assert store.stats().documents == 1
    got = store.get_document(original.id)
    assert got is not None
    assert got.model_dump(exclude={"url"}) == original.model_dump(exclude={"url"})
    assert store.get_document("missing") is None


def test_reindex_replaces_content(store: Store) -> None:
    put(store, doc(1, "Versi pertama berita kampanye."))
    put(store, doc(1, "Versi kedua menyebut serangan fajar."))
    assert store.search_documents(SearchQuery(text="pertama")).total == 0
    page = store.search_documents(SearchQuery(text="fajar"))
    assert page.total == 1 and page.items[0].body.startswith("Versi kedua")


def test_full_text_words_phrases_and_exclusions(store: Store) -> None:
    put(
        store,
        doc(1, "Warga melaporkan politik uang berupa sembako menjelang pencoblosan."),
        doc(2, "Uang kas RT dipakai untuk lomba; tidak ada politik di sini."),
        doc(3, "Bawaslu memeriksa alat peraga kampanye di jembatan.", title="APK di Jembatan"),
    )
    assert set(ids(store.search_documents(SearchQuery(text="politik uang")).items)) == {
        doc(1).id,
        doc(2).id,
    }
    assert ids(store.search_documents(SearchQuery(text='"politik uang"')).items) == [doc(1).id]
    assert ids(store.search_documents(SearchQuery(text="politik -sembako")).items) == [doc(2).id]
    # Case-insensitive, and a title match counts.
    assert ids(store.search_documents(SearchQuery(text="jembatan APK")).items) == [doc(3).id]
    assert store.search_documents(SearchQuery(text="tidakadakatasepertiini")).total == 0


def test_indonesian_stemming_or_logged_fallback(store: Store) -> None:
    put(store, doc(1, "Kepala desa itu diduga melanggar aturan kampanye."))
    hits = store.search_documents(SearchQuery(text="pelanggaran")).total
    if "standard" in store.stats().text_analyzer:
        assert hits == 0  # fallback analyzer: exact words only, as stats() says
    else:
        assert hits == 1  # "pelanggaran" and "melanggar" share the stem "langgar"


def test_filters(store: Store) -> None:
    put(
        store,
        doc(1, "a", topics=(Topic.APK,), kind=Kind.PENCEGAHAN, places=("31.71.01",)),
        doc(
            2,
            "b",
            topics=(Topic.APK, Topic.POLITIK_UANG),
            kind=Kind.DUGAAN_PELANGGARAN,
            places=("32.73",),
            severity=Severity.KRITIS,
            source="Jabar Contoh",
            story="story-b",
        ),
        doc(3, "c", kind=Kind.LAINNYA, places=("31.74.02.1001",)),
    )

    def find(**kw: object) -> set[str]:
        return set(
            ids(
                store.search_documents(
                    SearchQuery(filters=DocumentFilters.model_validate(kw))
                ).items
            )
        )

    assert find(topics=["apk"]) == {doc(1).id, doc(2).id}
    assert find(topics=["politik_uang"], kinds=["dugaan_pelanggaran"]) == {doc(2).id}
    assert find(kinds=["lainnya", "pencegahan"]) == {doc(1).id, doc(3).id}
    assert find(severities=["kritis"]) == {doc(2).id}
    assert find(places=["31"]) == {doc(1).id, doc(3).id}  # all of DKI Jakarta
    assert find(places=["31.74"]) == {doc(3).id}
    assert find(sources=["Jabar Contoh"]) == {doc(2).id}
    assert find(story_ids=["story-b"]) == {doc(2).id}
    assert find(date_from=T0 + timedelta(hours=2), date_to=T0 + timedelta(hours=3)) == {
        doc(2).id,
        doc(3).id,
    }


def test_invalid_filters_are_rejected() -> None:
    with pytest.raises(ValidationError):
        DocumentFilters.model_validate({"topics": ["bukan_topik"]})
    with pytest.raises(ValidationError):
        DocumentFilters.model_validate({"places": ["Jakarta"]})
    with pytest.raises(ValidationError):
        DocumentFilters(date_from=T0, date_to=T0 - timedelta(days=1))
    with pytest.raises(ValidationError):
        SearchQuery(limit=0)


def test_facets(store: Store) -> None:
    put(
        store,
        doc(1, "kampanye", topics=(Topic.APK,), kind=Kind.PENCEGAHAN, places=("31.71",)),
        doc(
            2,
            "kampanye",
            topics=(Topic.APK, Topic.HOAKS),
            kind=Kind.DUGAAN_PELANGGARAN,
            places=("31.71",),
            source="Lain",
        ),
        doc(3, "sepak bola", kind=Kind.LAINNYA),
    )
    page = store.search_documents(
        SearchQuery(text="kampanye", facets=(Facet.TOPIC, Facet.KIND, Facet.PLACE, Facet.SOURCE))
    )
    assert page.total == 2
    assert page.facets["topic"] == {"apk": 2, "hoaks": 1}
    assert page.facets["kind"] == {"dugaan_pelanggaran": 1, "pencegahan": 1}
    assert page.facets["place"] == {"31.71": 2}
    assert page.facets["source"] == {"Lain": 1, "Warta Contoh": 1}


@pytest.mark.parametrize("sort", [SortOrder.NEWEST, SortOrder.RELEVANCE])
def test_cursor_pagination_is_complete_and_stable(store: Store, sort: SortOrder) -> None:
    # Several documents share a timestamp so that the ID tie-breaker matters.
    docs = [
        doc(n, "pemilu " * (1 + n % 4), published=T0 + timedelta(hours=n // 3)) for n in range(47)
    ]
    put(store, *docs)
    seen: list[str] = []
    cursor = None
    while True:
        page = store.search_documents(
            SearchQuery(text="pemilu", sort=sort, limit=10, cursor=cursor)
        )
        assert page.total == 47
        seen.extend(ids(page.items))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 47
    if sort is SortOrder.NEWEST:
        expected = sorted(docs, key=lambda d: (d.published_at, d.id), reverse=True)
        assert seen == ids(expected)


def test_bad_cursor_is_a_clear_error(store: Store) -> None:
    with pytest.raises(InvalidCursor):
        store.search_documents(SearchQuery(cursor="not-a-cursor"))


def test_oversized_document_is_rejected_not_truncated(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    for kind in ("sqlite", "opensearch", "elasticsearch"):
        try:
            small = make_store(kind, tmp_path / kind, max_document_bytes=1000)
        except pytest.skip.Exception:
            continue
        try:
            result = small.upsert_documents([doc(1, "x" * 2000), doc(2, "pendek")])
            small.refresh()
            assert result.indexed == 1
            assert [e.id for e in result.errors] == [doc(1).id]
            assert "limit" in result.errors[0].reason and not result.errors[0].retryable
            assert small.get_document(doc(1).id) is None
            assert small.get_document(doc(2).id) is not None
        finally:
            drop_store(small)


def test_retention_keeps_incident_evidence(store: Store) -> None:
    now = T0 + timedelta(days=100)
    old_a = doc(1, "arsip", fetched=T0)
    old_b = doc(2, "arsip bukti", fetched=T0)
    fresh = doc(3, "baru", fetched=now - timedelta(days=1))
    put(store, old_a, old_b, fresh)
    store.upsert_incident(Incident(id="inc-1", title="Bukti", document_ids=[old_b.id]))
    result = store.delete_older_than(30, now=now)
    store.refresh()
    assert (result.deleted, result.kept_as_evidence) == (1, 1)
    assert store.get_document(old_a.id) is None
    assert store.get_document(old_b.id) is not None
    assert store.get_document(fresh.id) is not None
    # ("lama" would be a poor probe: it is an Indonesian stop word.)
    assert store.search_documents(SearchQuery(text="arsip")).total == 1


# -- incidents and alerts ----------------------------------------------------


def incident(
    n: int,
    severity: Severity = Severity.SEDANG,
    evidence: int = 1,
    last_seen: datetime | None = None,
    topics: tuple[Topic, ...] = (Topic.APK,),
    places: tuple[str, ...] = ("31.71",),
) -> Incident:
    seen = last_seen or T0 + timedelta(hours=n)
    return Incident(
        id=f"inc-{n}",
        title=f"Insiden {n}",
        topics=list(topics),
        severity=severity,
        places=list(places),
        document_ids=[f"d{n}-{i}" for i in range(evidence)],
        first_seen=seen - timedelta(hours=1),
        last_seen=seen,
    )


def test_incident_lifecycle_and_audit(store: Store) -> None:
    created = store.upsert_incident(incident(1), actor="pipeline")
    assert store.get_incident("inc-1") == created
    # Re-sending the same incident changes nothing and writes no audit record.
    store.upsert_incident(incident(1), actor="pipeline")
    store.set_incident_status(
        "inc-1", IncidentStatus.INVESTIGATING, actor="analis-1", note="cek lapangan"
    )
    # The pipeline adds evidence; the analyst's status survives.
    more = incident(1, evidence=3)
    merged = store.upsert_incident(more, actor="pipeline")
    assert merged.status is IncidentStatus.INVESTIGATING
    assert store.get_incident("inc-1").document_ids == more.document_ids
    with pytest.raises(InvalidTransition):
        store.set_incident_status("inc-1", IncidentStatus.OPEN, actor="analis-1")
    with pytest.raises(NotFound):
        store.set_incident_status("nope", IncidentStatus.CLOSED, actor="analis-1")
    with pytest.raises(NotFound):
        store.get_incident("nope")
    trail = store.audit_trail("incident", "inc-1")
    assert [(e.action, e.actor, e.from_status, e.to_status) for e in trail] == [
        ("created", "pipeline", None, "open"),
        ("status_changed", "analis-1", "open", "investigating"),
        ("updated", "pipeline", None, None),
    ]
    assert trail[1].note == "cek lapangan"


def test_incident_listing_filters_and_pages(store: Store) -> None:
    for n in range(7):
        store.upsert_incident(
            incident(
                n,
                topics=(Topic.HOAKS,) if n % 2 else (Topic.APK,),
                places=("32.73",) if n == 6 else ("31.71",),
            )
        )
    store.set_incident_status("inc-3", IncidentStatus.CLOSED, actor="a")
    page1 = store.list_incidents(limit=4)
    page2 = store.list_incidents(limit=4, cursor=page1.next_cursor)
    assert [i.id for i in page1.items + page2.items] == [f"inc-{n}" for n in range(6, -1, -1)]
    assert page2.next_cursor is None
    hoaks = store.list_incidents(IncidentFilters(topics=(Topic.HOAKS,)))
    assert {i.id for i in hoaks.items} == {"inc-1", "inc-3", "inc-5"}
    assert [i.id for i in store.list_incidents(IncidentFilters(places=("32",))).items] == ["inc-6"]
    closed = store.list_incidents(IncidentFilters(statuses=(IncidentStatus.CLOSED,)))
    assert [i.id for i in closed.items] == ["inc-3"]


def alert(n: int, severity: Severity = Severity.TINGGI) -> Alert:
    return Alert(
        id=f"al-{n}",
        title=f"Dugaan politik uang {n}",
        message="Perlu ditinjau.",
        severity=severity,
        incident_id=f"inc-{n}",
        topics=[Topic.POLITIK_UANG],
        places=["31.71.01"],
        created_at=T0 + timedelta(minutes=n),
        updated_at=T0 + timedelta(minutes=n),
    )


def test_alert_lifecycle_and_audit(store: Store) -> None:
    first = store.create_alert(alert(1))
    again = store.create_alert(alert(1).model_copy(update={"title": "lain"}))
    assert again == first  # raising the same alert twice stores it once
    ack = store.set_alert_status(
        "al-1", AlertStatus.ACKNOWLEDGED, actor="analis-2", assignee="analis-2"
    )
    assert ack.assignee == "analis-2" and ack.status is AlertStatus.ACKNOWLEDGED
    store.set_alert_status("al-1", AlertStatus.ESCALATED, actor="analis-2", note="ke Gakkumdu")
    with pytest.raises(InvalidTransition):
        store.set_alert_status("al-1", AlertStatus.ESCALATED, actor="analis-2")
    assert store.get_alert("al-1").status is AlertStatus.ESCALATED
    trail = store.audit_trail("alert", "al-1")
    assert [(e.action, e.to_status) for e in trail] == [
        ("created", "new"),
        ("status_changed", "acknowledged"),
        ("status_changed", "escalated"),
    ]
    assert store.audit_trail("alert", "al-404") == []
    with pytest.raises(NotFound):
        store.get_alert("al-404")


def test_alert_listing(store: Store) -> None:
    for n in range(5):
        store.create_alert(alert(n, Severity.KRITIS if n == 2 else Severity.SEDANG))
    store.set_alert_status("al-4", AlertStatus.DISMISSED, actor="a")
    new = store.list_alerts(AlertFilters(statuses=(AlertStatus.NEW,)), limit=2)
    rest = store.list_alerts(
        AlertFilters(statuses=(AlertStatus.NEW,)), limit=2, cursor=new.next_cursor
    )
    assert [a.id for a in new.items + rest.items] == ["al-3", "al-2", "al-1", "al-0"]
    assert [a.id for a in store.list_alerts(AlertFilters(severities=(Severity.KRITIS,))).items] == [
        "al-2"
    ]
    assert len(store.list_alerts(AlertFilters(places=("31.71",))).items) == 5
    assert store.list_alerts(AlertFilters(places=("32",))).items == []


# -- aggregations --------------------------------------------------------------


def test_digest_aggregates(store: Store) -> None:
    # Sunday 2024-09-15 20:00 UTC is Monday 03:00 WIB: it belongs to W38, not W37.
    sunday_night = datetime(2024, 9, 15, 20, 0, tzinfo=UTC)
    put(
        store,
        doc(
            1,
            "a",
            topics=(Topic.APK,),
            kind=Kind.PENCEGAHAN,
            places=("31.71",),
            published=sunday_night,
        ),
        doc(
            2,
            "b",
            topics=(Topic.APK, Topic.HOAKS),
            kind=Kind.DUGAAN_PELANGGARAN,
            places=("31.71",),
            published=T0 + timedelta(days=1),
        ),
        doc(
            3,
            "c",
            topics=(Topic.HOAKS,),
            kind=Kind.DUGAAN_PELANGGARAN,
            places=("31.74",),
            published=T0 + timedelta(days=8),
        ),
        doc(4, "d", kind=Kind.LAINNYA, published=T0 - timedelta(days=30)),
    )
    store.upsert_incident(
        incident(1, Severity.SEDANG, evidence=5, last_seen=T0 + timedelta(days=2))
    )
    store.upsert_incident(
        incident(2, Severity.KRITIS, evidence=1, last_seen=T0 + timedelta(days=3))
    )
    store.upsert_incident(
        incident(3, Severity.SEDANG, evidence=2, last_seen=T0 + timedelta(days=4))
    )
    store.upsert_incident(incident(4, Severity.KRITIS, last_seen=T0 - timedelta(days=40)))
    start, end = T0 - timedelta(days=7), T0 + timedelta(days=14)
    agg = store.digest_aggregates(start, end)
    assert agg.total_documents == 3
    assert [(w.week, w.topic.value, w.count) for w in agg.by_week_topic] == [
        ("2024-W38", "apk", 2),
        ("2024-W38", "hoaks", 1),
        ("2024-W39", "hoaks", 1),
    ]
    assert agg.by_topic == {"apk": 2, "hoaks": 2}
    assert agg.by_place == {"31.71": 2, "31.74": 1}
    assert agg.by_kind == {"dugaan_pelanggaran": 2, "pencegahan": 1}
    assert [i.id for i in agg.top_incidents] == ["inc-2", "inc-1", "inc-3"]
    only_jakpus = store.digest_aggregates(start, end, DocumentFilters(places=("31.71",)))
    assert only_jakpus.total_documents == 2


def test_stats(store: Store) -> None:
    put(
        store,
        doc(1, "a", kind=Kind.PENCEGAHAN),
        doc(2, "b", kind=Kind.PENCEGAHAN),
        doc(3, "c", source="Lain"),
    )
    store.create_alert(alert(1))
    stats = store.stats()
    assert (stats.documents, stats.alerts, stats.incidents) == (3, 1, 0)
    assert stats.audit_entries == 1
    assert stats.documents_by_kind == {"pencegahan": 2, "lainnya": 1}
    assert stats.documents_by_source == {"Warta Contoh": 2, "Lain": 1}
    assert stats.newest_document == doc(3).fetched_at
    assert stats.backend in ("sqlite", "opensearch", "elasticsearch")
