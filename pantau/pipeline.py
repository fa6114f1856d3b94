"""Hand-off from the durable spool to the store: claim, annotate, upsert, ack or park.

An item leaves the spool only once the store has it (ack) or has refused it
for good (parked, with the reason). If the store is down, items stay for the
next run; if this process dies, its claims are recovered by the next run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from crawlers.spool import ClaimedItem, Spool
from index.contract import Store
from index.errors import StoreUnavailable
from pantau.schemas import Classification, Document, Kind, ScoresFrom, Severity, Topic
from pantau.settings import Settings

log = logging.getLogger(__name__)


class Annotator(Protocol):
    def annotate(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]: ...


@dataclass
class ProcessReport:
    claimed: int = 0
    stored: int = 0
    classified: int = 0
    released: int = 0
    recovered_claims: int = 0
    parked: list[tuple[str, str]] = field(default_factory=list)
    annotate_errors: list[tuple[str, str]] = field(default_factory=list)
    store_unavailable: str | None = None
    pending_after: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed,
            "stored": self.stored,
            "classified": self.classified,
            "released": self.released,
            "recovered_claims": self.recovered_claims,
            "parked": [{"item": n, "reason": r} for n, r in self.parked],
            "annotate_errors": [{"id": i, "error": e} for i, e in self.annotate_errors],
            "store_unavailable": self.store_unavailable,
            "pending_after": self.pending_after,
        }


def parse_spooled(text: str) -> Document:
    """The document inside a spool envelope (pure); ValueError says what is wrong."""
    try:
        envelope = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(envelope, dict) or not isinstance(envelope.get("item"), dict):
        raise ValueError("not a spool envelope (no 'item' object)")
    raw = envelope["item"].get("document")
    if not isinstance(raw, dict):
        raise ValueError("spool item has no 'document' object")
    try:
        return Document.model_validate(raw)
    except ValidationError as exc:
        raise ValueError(f"invalid document: {exc}") from exc


def apply_annotation(
    doc: Document, annotation: dict[str, Any], model_version: str | None
) -> Document:
    """Document with the annotator's labels (pure); ValueError on labels outside the guide."""
    if "error" in annotation:
        raise ValueError(str(annotation["error"]))
    try:
        topics = [Topic(t) for t in annotation.get("topics", [])]
        kind = Kind(annotation.get("kind", Kind.LAINNYA.value))
    except ValueError as exc:
        raise ValueError(f"label outside the annotation guide: {exc}") from exc
    try:
        scores_from = ScoresFrom(annotation.get("scores_from", ScoresFrom.MODEL.value))
    except ValueError as exc:
        raise ValueError(f"unknown scores_from: {exc}") from exc
    scores = annotation.get("scores") or {}
    classification = Classification(
        topics=topics,
        kind=kind,
        topic_scores={str(k): float(v) for k, v in (scores.get("topics") or {}).items()},
        kind_scores={str(k): float(v) for k, v in (scores.get("kind") or {}).items()},
        model_version=model_version,
        scores_from=scores_from,
        truncated=bool(annotation.get("truncated", False)),
    )
    places = [str(p) for p in annotation.get("places", [])]
    update: dict[str, Any] = {"classification": classification, "places": places or doc.places}
    if places:
        update["place_names"] = [str(n) for n in annotation.get("place_names", [])]
    if annotation.get("severity"):
        try:
            update["severity"] = Severity(annotation["severity"])
        except ValueError as exc:
            raise ValueError(f"severity outside the annotation guide: {exc}") from exc
    # The annotator reads title and body with the current language rule; it
    # replaces what a crawler stored (older crawls used py3langid alone), except
    # when it cannot tell, where the crawler's guess or the page's lang stays.
    language = annotation.get("language")
    if language and language != "und":
        update["language"] = str(language)
    return doc.model_copy(update=update)


def _annotate(docs: list[Document], annotator: Annotator, report: ProcessReport) -> list[Document]:
    records = [{"id": d.id, "title": d.title, "text": d.body} for d in docs]
    try:
        results = annotator.annotate(records)
    except Exception as exc:
        log.warning(
            "annotator failed on %d documents; storing them unclassified: %s", len(docs), exc
        )
        report.annotate_errors.extend((d.id, f"annotator failed: {exc}") for d in docs)
        return docs
    by_id = {str(r.get("id")): r for r in results if isinstance(r, dict)}
    model_version = getattr(annotator, "model_version", None)
    screened_version = getattr(annotator, "screened_version", None)
    out: list[Document] = []
    for doc in docs:
        annotation = by_id.get(doc.id)
        if annotation is None:
            report.annotate_errors.append((doc.id, "annotator returned nothing for it"))
            out.append(doc)
            continue
        # A text the relevance screen labelled carries its own version, so that
        # reclassifying with the screen off finds exactly those documents.
        version = (
            (screened_version or model_version) if annotation.get("screened") else model_version
        )
        try:
            out.append(apply_annotation(doc, annotation, version))
            report.classified += 1
        except ValueError as exc:
            report.annotate_errors.append((doc.id, str(exc)))
            out.append(doc)
    return out


def process_spool(
    settings: Settings,
    store: Store,
    annotator: Annotator | None = None,
    batch_size: int = 100,
    progress: Callable[[int, int], None] | None = None,
) -> ProcessReport:
    """Move everything pending in the spool into ``store``; see the module docstring.

    ``progress(done, total)`` is called after each batch.
    """
    spool = Spool(settings.resolved_spool_dir())
    report = ProcessReport(recovered_claims=spool.recover_stale_claims())
    total = spool.pending_count()
    try:
        while True:
            batch = spool.claim(batch_size)
            if not batch:
                break
            report.claimed += len(batch)
            if not _process_batch(spool, store, annotator, batch, report):
                break
            if progress is not None:
                progress(report.claimed, total)
    finally:
        spool.close()
    if report.stored:
        try:
            store.refresh()
        except StoreUnavailable as exc:
            report.store_unavailable = str(exc)
    report.pending_after = spool.pending_count()
    return report


def _process_batch(
    spool: Spool,
    store: Store,
    annotator: Annotator | None,
    batch: list[ClaimedItem],
    report: ProcessReport,
) -> bool:
    """Handle one claimed batch; False when the store is unavailable (stop for now)."""
    docs: list[Document] = []
    items_by_id: dict[str, list[ClaimedItem]] = {}
    for item in batch:
        try:
            doc = parse_spooled(item.read_text())
        except (ValueError, OSError) as exc:
            spool.park(item, f"unreadable spool item: {exc}")
            report.parked.append((item.name, str(exc)))
            continue
        if doc.id not in items_by_id:
            docs.append(doc)
        items_by_id.setdefault(doc.id, []).append(item)
    if not docs:
        return True
    if annotator is not None:
        docs = _annotate(docs, annotator, report)
    try:
        result = store.upsert_documents(docs)
    except StoreUnavailable as exc:
        log.warning("store unavailable; %d items stay in the spool: %s", len(batch), exc)
        report.store_unavailable = str(exc)
        for items in items_by_id.values():
            for item in items:
                spool.release(item)
                report.released += 1
        return False
    failed: dict[str, tuple[str, bool]] = {e.id: (e.reason, e.retryable) for e in result.errors}
    for doc_id, items in items_by_id.items():
        if doc_id not in failed:
            for item in items:
                spool.ack(item)
            report.stored += 1
            continue
        reason, retryable = failed[doc_id]
        for item in items:
            if retryable:
                # Held until the run ends (Spool.close releases it), so this run
                # does not claim it again in a loop.
                report.released += 1
            else:
                spool.park(item, f"store rejected it: {reason}")
                report.parked.append((item.name, reason))
    return True


@dataclass
class ReclassifyReport:
    scanned: int = 0
    current: int = 0
    reclassified: int = 0
    changed: int = 0
    annotate_errors: list[tuple[str, str]] = field(default_factory=list)
    store_errors: list[tuple[str, str]] = field(default_factory=list)
    store_unavailable: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "current": self.current,
            "reclassified": self.reclassified,
            "changed": self.changed,
            "annotate_errors": [{"id": i, "error": e} for i, e in self.annotate_errors],
            "store_errors": [{"id": i, "error": e} for i, e in self.store_errors],
            "store_unavailable": self.store_unavailable,
        }


def needs_classifying(
    doc: Document,
    model_version: str | None,
    force: bool = False,
    screened_version: str | None = None,
) -> bool:
    """Whether ``doc`` lacks labels from this classifier (pure).

    ``screened_version`` is the version a screening classifier gives the texts its
    relevance screen labels; with the screen on those count as current too.
    """
    if force or doc.classification is None:
        return True
    version = doc.classification.model_version
    if screened_version is not None and version == screened_version:
        return False
    return version != model_version


def labels_differ(before: Document, after: Document) -> bool:
    """Whether reclassifying moved the kind or the topic set (pure); scores alone do not count."""
    old, new = before.classification, after.classification
    if old is None or new is None:
        return (old is None) != (new is None)
    return old.kind != new.kind or set(old.topics) != set(new.topics)


def reclassify(
    store: Store,
    annotator: Annotator,
    batch_size: int = 100,
    force: bool = False,
    progress: Callable[[ReclassifyReport], None] | None = None,
) -> ReclassifyReport:
    """Label again every stored document that another (or no) classifier labelled.

    Run after the model or its ``classifier.json`` changes, so old and new
    documents are judged alike. Pages through the store newest first; a
    document the annotator cannot label keeps what it had and is reported.
    Idempotent: a second run finds nothing to do. Stops (and says so) when the
    store goes away; what was written stays written, the rest waits for the
    next run.
    """
    from index.contract import SearchQuery, SortOrder

    version = getattr(annotator, "model_version", None)
    screened_version = getattr(annotator, "screened_version", None)
    report = ReclassifyReport()
    cursor: str | None = None
    while True:
        try:
            page = store.search_documents(
                SearchQuery(sort=SortOrder.NEWEST, limit=batch_size, cursor=cursor)
            )
        except StoreUnavailable as exc:
            report.store_unavailable = str(exc)
            break
        report.scanned += len(page.items)
        stale = [d for d in page.items if needs_classifying(d, version, force, screened_version)]
        report.current += len(page.items) - len(stale)
        if stale:
            batch = ProcessReport()
            labelled = _annotate(stale, annotator, batch)
            report.annotate_errors.extend(batch.annotate_errors)
            failed = {doc_id for doc_id, _ in batch.annotate_errors}
            todo = [
                (old, new) for old, new in zip(stale, labelled, strict=True) if new.id not in failed
            ]
            if todo:
                try:
                    result = store.upsert_documents(new for _, new in todo)
                except StoreUnavailable as exc:
                    report.store_unavailable = str(exc)
                    break
                refused = {e.id: e.reason for e in result.errors}
                report.store_errors.extend(refused.items())
                for old, new in todo:
                    if new.id not in refused:
                        report.reclassified += 1
                        report.changed += labels_differ(old, new)
        if progress is not None:
            progress(report)
        cursor = page.next_cursor
        if not cursor or not page.items:
            break
    if report.reclassified:
        try:
            store.refresh()
        except StoreUnavailable as exc:
            report.store_unavailable = str(exc)
    return report
