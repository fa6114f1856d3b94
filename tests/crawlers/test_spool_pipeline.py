"""The durable hand-off: nothing is lost when the store or the process dies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawlers.spool import Spool
from index.contract import DocumentFilters, SearchQuery
from index.engine_client import EngineClient
from index.engine_store import SearchEngineStore
from index.sqlite_store import SqliteStore
from pantau.pipeline import apply_annotation, parse_spooled, process_spool
from pantau.schemas import Document, Kind, Severity, Topic
from pantau.settings import Settings


def make_doc(n: int, body: str | None = None) -> Document:
    return Document(
        url=f"https://contoh.id/berita/{n}",
        source="Contoh",
        title=f"Judul {n}",
        body=body or f"Isi berita nomor {n} tentang pengawasan Pilkada di Jakarta Pusat.",
        fetched_at=datetime(2024, 11, 20, 3, 0, tzinfo=UTC),
    )


def spool_docs(spool: Spool, docs: list[Document]) -> None:
    for doc in docs:
        spool.put({"document": doc.model_dump(mode="json")}, doc.id, "test")


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_spooled_documents_reach_the_store_once(settings: Settings, tmp_path: Path) -> None:
    spool = Spool(settings.resolved_spool_dir())
    docs = [make_doc(i) for i in range(5)]
    spool_docs(spool, [*docs, docs[0]])  # a re-crawl spooled the same page twice
    store = SqliteStore(tmp_path / "s.sqlite3")
    store.init()
    report = process_spool(settings, store, batch_size=2)
    assert report.claimed == 6 and report.stored == 6 and not report.parked  # upserts, idempotent
    assert spool.pending_count() == 0
    assert store.search_documents(SearchQuery()).total == 5
    assert store.get_document(docs[3].id) == docs[3]
    assert store.get_document(docs[3].id).classification is None  # type: ignore[union-attr]
    store.close()


def test_bad_items_are_parked_with_reasons(settings: Settings, tmp_path: Path) -> None:
    spool = Spool(settings.resolved_spool_dir())
    spool_docs(spool, [make_doc(1), make_doc(2, body="kata " * 200)])
    (spool.pending / "00000000000000000001-rusak.json").write_text("{not json")
    store = SqliteStore(tmp_path / "s.sqlite3", max_document_bytes=500)
    store.init()
    report = process_spool(settings, store)
    assert report.stored == 1
    reasons = dict(report.parked)
    assert len(reasons) == 2
    assert any("not JSON" in r for r in reasons.values())
    assert any("limit" in r for r in reasons.values())
    parked = list(spool.parked_items())
    assert len(parked) == 2 and all(reason for _, reason in parked)
    store.close()


def test_unreachable_store_keeps_everything_in_the_spool(settings: Settings) -> None:
    spool = Spool(settings.resolved_spool_dir())
    spool_docs(spool, [make_doc(i) for i in range(3)])
    store = SearchEngineStore(
        EngineClient("http://127.0.0.1:9", "opensearch", timeout=1),
        prefix="t",
        max_retries=0,
        initial_backoff=0.01,
    )
    report = process_spool(settings, store)
    assert report.store_unavailable and report.stored == 0
    assert report.pending_after == 3 and spool.pending_count() == 3
    assert not any(spool.claims.iterdir())


def test_claims_of_a_dead_process_are_recovered(settings: Settings, tmp_path: Path) -> None:
    spool = Spool(settings.resolved_spool_dir())
    spool_docs(spool, [make_doc(i) for i in range(4)])
    # A real process claims two items and dies without acking them.
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]); from pathlib import Path;"
        "from crawlers.spool import Spool; s = Spool(Path(sys.argv[1])); s.claim(2);"
        "import os; os._exit(1)"
    )
    root = str(Path(__file__).resolve().parents[2])
    subprocess.run(
        [sys.executable, "-c", code, str(settings.resolved_spool_dir()), root], check=False
    )
    assert spool.pending_count() == 2
    store = SqliteStore(tmp_path / "s.sqlite3")
    store.init()
    report = process_spool(settings, store)
    assert report.recovered_claims == 2 and report.stored == 4
    store.close()


def test_atomic_writes_leave_no_partial_files(settings: Settings) -> None:
    spool = Spool(settings.resolved_spool_dir())
    path = spool.put({"document": make_doc(1).model_dump(mode="json")}, "u1", "test")
    assert json.loads(path.read_text())["origin"] == "test"
    assert not list(spool.tmp.iterdir())
    assert parse_spooled(path.read_text()) == make_doc(1)


class RecordingAnnotator:
    """Speaks the annotator contract of nlp/ (records in, labels out)."""

    model_version = "uji-1"

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def annotate(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.seen.extend(records)
        out: list[dict[str, Any]] = []
        for record in records:
            if "nomor 2" in record["text"]:
                out.append({"id": record["id"], "error": "text too short"})
            else:
                out.append(
                    {
                        "id": record["id"],
                        "topics": ["netralitas_asn"],
                        "kind": "pencegahan",
                        "places": ["31.71"],
                        "language": "id",
                        "scores": {"topics": {"netralitas_asn": 0.91}, "kind": {"pencegahan": 0.8}},
                    }
                )
        return out


def test_annotations_become_classifications(settings: Settings, tmp_path: Path) -> None:
    spool = Spool(settings.resolved_spool_dir())
    spool_docs(spool, [make_doc(1), make_doc(2)])
    store = SqliteStore(tmp_path / "s.sqlite3")
    store.init()
    annotator = RecordingAnnotator()
    report = process_spool(settings, store, annotator)
    assert report.stored == 2 and report.classified == 1 and len(report.annotate_errors) == 1
    assert set(annotator.seen[0]) == {"id", "title", "text"}
    classified = store.get_document(make_doc(1).id)
    assert classified is not None and classified.classification is not None
    assert classified.classification.topics == [Topic.NETRALITAS_ASN]
    assert classified.classification.kind is Kind.PENCEGAHAN
    assert classified.classification.model_version == "uji-1"
    assert classified.places == ["31.71"]
    page = store.search_documents(
        SearchQuery(filters=DocumentFilters(topics=(Topic.NETRALITAS_ASN,)))
    )
    assert page.total == 1
    unclassified = store.get_document(make_doc(2).id)
    assert unclassified is not None and unclassified.classification is None
    store.close()


def test_labels_outside_the_guide_are_refused() -> None:
    with pytest.raises(ValueError, match="annotation guide"):
        apply_annotation(make_doc(1), {"id": "x", "topics": ["cuaca"], "kind": "lainnya"}, None)
    with pytest.raises(ValueError, match="annotation guide"):
        apply_annotation(make_doc(1), {"id": "x", "kind": "lainnya", "severity": "parah"}, None)


def test_annotation_carries_place_names_and_severity() -> None:
    annotation = {
        "id": "x",
        "topics": ["politik_uang"],
        "kind": "dugaan_pelanggaran",
        "places": ["31.71"],
        "place_names": ["Kota Administrasi Jakarta Pusat"],
        "severity": "kritis",
    }
    doc = apply_annotation(make_doc(1), annotation, "m-1")
    assert doc.place_names == ["Kota Administrasi Jakarta Pusat"]
    assert doc.severity is Severity.KRITIS
    assert doc.classification is not None and doc.classification.model_version == "m-1"


def test_stored_classification_says_whose_scores_it_carries() -> None:
    from index.records import document_from_record, document_record
    from pantau.schemas import ScoresFrom

    base = {"id": "x", "topics": [], "kind": "lainnya"}
    full = apply_annotation(make_doc(1), base, "m-1")
    settled = apply_annotation(make_doc(2), {**base, "scores_from": "ngram"}, "m-1")
    assert full.classification is not None and settled.classification is not None
    assert full.classification.scores_from is ScoresFrom.MODEL
    assert settled.classification.scores_from is ScoresFrom.NGRAM
    assert full.classification.truncated is False
    cut = apply_annotation(make_doc(3), {**base, "truncated": True}, "m-1").classification
    assert cut is not None and cut.truncated is True
    with pytest.raises(ValueError, match="scores_from"):
        apply_annotation(make_doc(1), {**base, "scores_from": "tebakan"}, "m-1")
    record = document_record(settled)
    again = document_from_record(record).classification
    assert again is not None and again.scores_from is ScoresFrom.NGRAM
    # Documents stored before the field existed read back as unknown, not as "model".
    del record["classification"]["scores_from"]
    old = document_from_record(record).classification
    assert old is not None and old.scores_from is None
    del record["classification"]["truncated"]
    older = document_from_record(record).classification
    assert older is not None and older.truncated is None


def test_the_annotators_language_replaces_a_crawlers_unless_undetermined() -> None:
    stored = make_doc(1).model_copy(update={"language": "ms"})
    annotation = {"id": "x", "topics": [], "kind": "lainnya", "language": "id"}
    assert apply_annotation(stored, annotation, None).language == "id"
    unsure = {**annotation, "language": "und"}
    assert apply_annotation(stored, unsure, None).language == "ms"


def test_spool_survives_a_pid_that_is_still_alive(settings: Settings) -> None:
    spool = Spool(settings.resolved_spool_dir())
    spool_docs(spool, [make_doc(1)])
    other = Spool(settings.resolved_spool_dir())
    other._claim_dir = other.claims / f"{os.getppid()}-live"  # a live process's claim folder
    other._claim_dir.mkdir()
    assert len(other.claim(1)) == 1
    assert spool.recover_stale_claims() == 0  # never steal from a running processor


def labelled(
    doc: Document, version: str | None, kind: Kind = Kind.LAINNYA, topics: tuple[Topic, ...] = ()
) -> Document:
    from pantau.schemas import Classification

    cls = Classification(kind=kind, topics=list(topics), model_version=version)
    return doc.model_copy(update={"classification": cls})


def test_reclassify_relabels_what_another_model_labelled(tmp_path: Path) -> None:
    from pantau.pipeline import reclassify

    store = SqliteStore(tmp_path / "s.sqlite3")
    store.init()
    docs = [
        labelled(make_doc(1), "lama-1"),
        labelled(make_doc(2), "lama-1", Kind.DUGAAN_PELANGGARAN),  # the annotator fails on it
        labelled(make_doc(3), "uji-1"),  # already labelled by the current model
        make_doc(4),  # never labelled
        labelled(make_doc(5), "lama-0", Kind.PENCEGAHAN, (Topic.NETRALITAS_ASN,)),
    ]
    store.upsert_documents(docs)
    store.refresh()
    annotator = RecordingAnnotator()
    seen: list[int] = []
    report = reclassify(store, annotator, batch_size=2, progress=lambda r: seen.append(r.scanned))
    assert seen == [2, 4, 5]  # three pages of at most two
    assert (report.scanned, report.current, report.reclassified) == (5, 1, 3)
    assert report.changed == 2  # docs 1 and 4 changed labels; doc 5 had these already
    assert [doc_id for doc_id, _ in report.annotate_errors] == [docs[1].id]
    assert sorted(r["text"][-40:] for r in annotator.seen) == sorted(
        d.body[-40:] for d in (docs[0], docs[1], docs[3], docs[4])
    )
    for doc in (docs[0], docs[3], docs[4]):
        stored = store.get_document(doc.id)
        assert stored is not None and stored.classification is not None
        assert stored.classification.model_version == "uji-1"
        assert stored.classification.kind is Kind.PENCEGAHAN
    kept = store.get_document(docs[1].id)  # the failure keeps its old labels
    assert kept is not None and kept.classification == docs[1].classification
    assert store.get_document(docs[2].id) == docs[2]
    again = reclassify(store, RecordingAnnotator())
    assert (again.reclassified, again.current, len(again.annotate_errors)) == (0, 4, 1)
    forced = reclassify(store, RecordingAnnotator(), force=True)
    assert forced.reclassified == 4 and forced.changed == 1  # doc 3, stored as lainnya
    store.close()


class ScreeningAnnotator(RecordingAnnotator):
    """The contract of an annotator with the relevance screen on: texts about football
    come back screened (n-gram labels only) and are stored under their own version."""

    screened_version = "uji-1+screen0.8-0.15"

    def annotate(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = super().annotate(records)
        for record, line in zip(records, out, strict=True):
            if "sepak bola" in record["text"]:
                line.update(topics=[], kind="lainnya", screened=True)
        return out


def test_screened_documents_carry_their_own_version_for_reclassify(tmp_path: Path) -> None:
    from pantau.pipeline import needs_classifying, reclassify

    store = SqliteStore(tmp_path / "s.sqlite3")
    store.init()
    football = make_doc(1, body="Hasil pertandingan sepak bola antarkecamatan di Jakarta Pusat.")
    docs = [football, make_doc(4), labelled(make_doc(5), "lama-1")]
    store.upsert_documents(docs)
    store.refresh()
    first = reclassify(store, ScreeningAnnotator())
    assert first.reclassified == 3
    stored = store.get_document(football.id)
    assert stored is not None and stored.classification is not None
    assert stored.classification.model_version == "uji-1+screen0.8-0.15"
    other = store.get_document(docs[1].id)
    assert other is not None and other.classification is not None
    assert other.classification.model_version == "uji-1"
    # With the screen still on, both versions are current: nothing to do.
    again = reclassify(store, ScreeningAnnotator())
    assert (again.reclassified, again.current) == (0, 3)
    # With the screen off, exactly the screened document goes through the full model.
    plain = RecordingAnnotator()
    assert needs_classifying(stored, plain.model_version)
    assert not needs_classifying(stored, "uji-1", screened_version="uji-1+screen0.8-0.15")
    full = reclassify(store, plain)
    assert full.reclassified == 1 and [r["text"] for r in plain.seen] == [football.body]
    relabelled = store.get_document(football.id)
    assert relabelled is not None and relabelled.classification is not None
    assert relabelled.classification.model_version == "uji-1"
    store.close()


def test_reclassify_stops_when_the_store_goes_away(tmp_path: Path) -> None:
    from index.errors import StoreUnavailable
    from pantau.pipeline import reclassify

    store = SqliteStore(tmp_path / "s.sqlite3")
    store.init()
    store.upsert_documents([labelled(make_doc(i), "lama-1") for i in range(3)])
    store.refresh()

    class Failing:
        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def upsert_documents(self, docs: Any) -> Any:
            raise StoreUnavailable("sqlite", "connection refused")

    report = reclassify(Failing(), RecordingAnnotator())  # type: ignore[arg-type]
    assert "connection refused" in str(report.store_unavailable) and report.reclassified == 0
    stored = store.get_document(make_doc(0).id)
    assert stored is not None and stored.classification is not None
    assert stored.classification.model_version == "lama-1"
    store.close()
