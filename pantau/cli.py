"""The ``pantau`` command. Each architectural part registers its own commands."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from index.contract import DocumentFilters, Facet, SearchQuery, SortOrder, Store
from index.errors import StoreError
from pantau.settings import Settings, get_settings

app = typer.Typer(
    help="Pantau: watches Indonesian election discourse and tells supervisors what matters.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
index_app = typer.Typer(help="Inspect and maintain the configured store.", no_args_is_help=True)
app.add_typer(index_app, name="index")

console = Console(stderr=True)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@contextmanager
def opened_store(settings: Settings | None = None) -> Iterator[Store]:
    """Open the configured store for one command; errors become a clear message and exit 1."""
    from index.factory import open_store

    try:
        store = open_store(settings or get_settings())
    except (StoreError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    try:
        yield store
    finally:
        store.close()


@index_app.command("init")
def index_init() -> None:
    """Create or migrate the store's tables / indices (safe to repeat)."""
    with opened_store() as store:
        stats = store.stats()
    console.print(f"store ready: {stats.backend} at {stats.location}")


@index_app.command("stats")
def index_stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show what the configured store holds."""
    with opened_store() as store:
        stats = store.stats()
    if as_json:
        typer.echo(stats.model_dump_json(indent=2))
        return
    table = Table(title=f"Pantau store: {stats.backend}", show_header=False)
    table.add_row("location", stats.location)
    table.add_row("server", stats.server_version or "-")
    table.add_row("text analyzer", stats.text_analyzer)
    table.add_row("documents", str(stats.documents))
    table.add_row("incidents", str(stats.incidents))
    table.add_row("alerts", str(stats.alerts))
    table.add_row("audit entries", str(stats.audit_entries))
    table.add_row("newest document", str(stats.newest_document or "-"))
    for kind, n in stats.documents_by_kind.items():
        table.add_row(f"  kind {kind}", str(n))
    for source, n in stats.documents_by_source.items():
        table.add_row(f"  source {source}", str(n))
    Console().print(table)


@index_app.command("search")
def index_search(
    text: Annotated[str, typer.Argument(help='Words must all match; "phrases"; -exclude.')] = "",
    topic: Annotated[list[str] | None, typer.Option(help="Topic label (repeatable).")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Kind label (repeatable).")] = None,
    place: Annotated[list[str] | None, typer.Option(help="Kemendagri place code.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Outlet name.")] = None,
    date_from: Annotated[datetime | None, typer.Option(help="ISO date, UTC if no zone.")] = None,
    date_to: Annotated[datetime | None, typer.Option(help="ISO date, UTC if no zone.")] = None,
    relevance: Annotated[bool, typer.Option(help="Sort by relevance, not newest.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 10,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of a previous page.")] = None,
) -> None:
    """Full-text search with filters; prints one JSON object (items, total, facets, cursor)."""
    from datetime import UTC

    def aware(value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value

    try:
        query = SearchQuery(
            text=text,
            filters=DocumentFilters.model_validate(
                {
                    "topics": topic or [],
                    "kinds": kind or [],
                    "places": place or [],
                    "sources": source or [],
                    "date_from": aware(date_from),
                    "date_to": aware(date_to),
                }
            ),
            sort=SortOrder.RELEVANCE if relevance else SortOrder.NEWEST,
            limit=limit,
            cursor=cursor,
            facets=(Facet.TOPIC, Facet.KIND, Facet.PLACE, Facet.SOURCE),
        )
    except ValidationError as exc:
        console.print(f"[red]invalid query:[/] {exc}")
        raise typer.Exit(2) from exc
    with opened_store() as store:
        page = store.search_documents(query)
    out = {
        "total": page.total,
        "next_cursor": page.next_cursor,
        "facets": page.facets,
        "items": [
            {
                "id": d.id,
                "title": d.title,
                "source": d.source,
                "url": d.url,
                "date": (d.published_at or d.fetched_at).isoformat(),
                "kind": d.kind.value if d.kind else None,
                "topics": [t.value for t in d.topics],
            }
            for d in page.items
        ],
    }
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))


@index_app.command("retention")
def index_retention(
    days: Annotated[
        int, typer.Option(min=0, help="Delete documents fetched more than N days ago.")
    ],
) -> None:
    """Delete old documents, keeping those that incidents cite as evidence."""
    with opened_store() as store, console.status("applying retention…"):
        result = store.delete_older_than(days)
    console.print(
        f"deleted {result.deleted} documents fetched before {result.cutoff:%Y-%m-%d %H:%M} UTC; "
        f"kept {result.kept_as_evidence} that incidents cite"
    )


@index_app.command("reclassify")
def index_reclassify(
    force: Annotated[
        bool, typer.Option("--all", help="Label every document again, current ones too.")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=500, help="Documents per batch.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Label again the stored documents that an older (or no) classifier labelled.

    Run after the model or its classifier.json changes. Exit 1 when the store or
    the model is unavailable (what was done stays done; run again), 2 when some
    documents could not be labelled (they keep their old labels; listed).
    """
    from pantau.pipeline import ReclassifyReport, reclassify

    settings = get_settings()
    try:
        from nlp.service import load_annotator

        with console.status("loading the classifier…"):
            annotator = load_annotator(settings)
    except Exception as exc:
        console.print(f"[red]error:[/] the classifier did not load: {exc}")
        raise typer.Exit(1) from exc
    with opened_store(settings) as store, console.status("reclassifying…") as status:

        def progress(report: ReclassifyReport) -> None:
            status.update(
                f"reclassifying… {report.scanned} scanned, {report.reclassified} relabelled"
            )

        report = reclassify(store, annotator, batch_size=batch_size, force=force, progress=progress)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        console.print(
            f"{report.scanned} documents scanned, {report.current} already labelled by "
            f"{annotator.model_version}, {report.reclassified} labelled again "
            f"({report.changed} changed kind or topics)"
        )
        for doc_id, error in [*report.annotate_errors, *report.store_errors]:
            console.print(f"[yellow]not relabelled:[/] {doc_id}: {error}")
    if report.store_unavailable:
        console.print(
            f"[red]error:[/] store unavailable: {report.store_unavailable}; run again to finish"
        )
        raise typer.Exit(1)
    if report.annotate_errors or report.store_errors:
        raise typer.Exit(2)


def _register_parts() -> None:
    # Each part adds its own commands; importing them is cheap (heavy work happens in commands).
    from crawlers.cli import register as register_crawlers
    from nlp.cli import register as register_nlp

    register_crawlers(app)
    register_nlp(app)


_register_parts()
