"""Commands of the crawling part (crawl, ingest, extract)."""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from crawlers.report import CrawlReport
    from pantau.pipeline import Annotator, ProcessReport
    from pantau.settings import Settings

console = Console(stderr=True)
log = logging.getLogger(__name__)


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"{what} must look like NAME=VALUE, got {value!r}")
        out[name.strip()] = rest
    return out


def _scrapy_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def load_annotator_or_warn(settings: Settings) -> Annotator | None:
    """The classifier if the NLP part is installed and its model loads; else None, said once."""
    try:
        from nlp.service import load_annotator  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        console.print(
            "[yellow]warning:[/] classifier not available (nlp.service missing); "
            "documents are stored unclassified"
        )
        return None
    try:
        annotator: Annotator = load_annotator(settings)
    except Exception as exc:
        console.print(
            f"[yellow]warning:[/] classifier did not load ({exc}); "
            "documents are stored unclassified"
        )
        return None
    return annotator


def _store_spool(settings: Settings, classify: bool) -> ProcessReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from crawlers.spool import Spool
    from index.errors import StoreError
    from index.factory import open_store
    from pantau.pipeline import process_spool

    # Loading the model takes seconds; not worth it when nothing waits in the spool.
    waiting = Spool(settings.resolved_spool_dir()).pending_count()
    annotator = load_annotator_or_warn(settings) if classify and waiting else None
    try:
        store = open_store(settings)
    except (StoreError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}\nitems stay in the spool for the next run")
        raise typer.Exit(3) from exc
    try:
        with Progress(
            TextColumn("storing"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("store", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = process_spool(settings, store, annotator, progress=progress)
    finally:
        store.close()
    return report


def _print_process_report(report: ProcessReport) -> None:
    console.print(
        f"stored {report.stored} documents ({report.classified} classified); "
        f"parked {len(report.parked)}; left in spool {report.pending_after}"
    )
    for name, reason in report.parked[:20]:
        console.print(f"  [yellow]parked[/] {name}: {reason}")
    if report.annotate_errors:
        console.print(f"  [yellow]{len(report.annotate_errors)} documents stored unclassified[/]")
    if report.store_unavailable:
        console.print(f"[red]store unavailable:[/] {report.store_unavailable}")


def _print_crawl_reports(reports: list[CrawlReport]) -> None:
    table = Table(title="Laporan crawl", show_header=True)
    table.add_column("spider")
    table.add_column("halaman")
    table.add_column("tidak berubah (304/cache)")
    table.add_column("dokumen baru")
    table.add_column("sudah pernah")
    table.add_column("masalah")
    for r in reports:
        table.add_row(
            r.spider,
            ", ".join(f"{k} {v}" for k, v in sorted(r.pages.items())) or "0",
            str(r.not_modified),
            str(r.items_spooled),
            str(r.skipped_seen),
            str(len(r.problems)),
        )
    console.print(table)
    counts: Counter[str] = Counter()
    for r in reports:
        counts.update(r.problem_counts())
    if counts:
        problems = Table(title="Masalah per alasan", show_header=True)
        problems.add_column("alasan")
        problems.add_column("jumlah")
        for reason, n in counts.most_common():
            problems.add_row(reason, str(n))
        console.print(problems)


def crawl(
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            help="Sources YAML (default: PANTAU_SOURCES_FILE / crawlers/sources.yaml).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var", help="NAME=VALUE for ${NAME} placeholders in the sources file (repeatable)."
        ),
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--setting", "-s", help="Scrapy setting override NAME=VALUE (JSON values; repeatable)."
        ),
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Crawl only these source ids (repeatable).")
    ] = None,
    classify: Annotated[
        bool, typer.Option(help="Classify with the NLP model when it is available.")
    ] = True,
    store: Annotated[
        bool, typer.Option(help="Move the spool into the store after crawling.")
    ] = True,
    resume: Annotated[
        bool,
        typer.Option(help="Keep Scrapy's queue on disk (JOBDIR) so an interrupted crawl resumes."),
    ] = True,
    report_json: Annotated[
        Path | None,
        typer.Option(
            "--report-json", help="Also write the crawl and storing reports to this JSON file."
        ),
    ] = None,
) -> None:
    """Crawl the sources' feeds, sitemaps, listings and Telegram previews into the store.

    Articles go through a durable spool: a crash loses nothing, and a second
    run fetches only what is new.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from crawlers.runner import run_crawl
    from crawlers.sources import SourcesError, load_sources
    from pantau.settings import get_settings

    settings = get_settings()
    try:
        sources_file = load_sources(sources or settings.sources_file, _pairs(var, "--var"))
    except SourcesError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    if only:
        unknown = set(only) - {s.id for s in sources_file.sources}
        if unknown:
            console.print(f"[red]error:[/] unknown source ids: {', '.join(sorted(unknown))}")
            raise typer.Exit(2)
        sources_file = sources_file.model_copy(
            update={"sources": [s for s in sources_file.sources if s.id in set(only)]}
        )
    overrides = {k: _scrapy_value(v) for k, v in _pairs(setting, "--setting").items()}
    overrides.setdefault(
        "LOG_LEVEL", "DEBUG" if logging.getLogger().level <= logging.DEBUG else "WARNING"
    )
    counts: Counter[str] = Counter()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
    ) as bar:
        task = bar.add_task("crawling…")

        def progress(event: str) -> None:
            counts[event] += 1
            bar.update(
                task,
                description=f"crawling: {counts['page']} pages, {counts['item']} new documents",
            )

        reports = run_crawl(settings, sources_file, overrides, resume=resume, progress=progress)
    _print_crawl_reports(reports)
    process = _store_spool(settings, classify) if store else None
    if process is not None:
        _print_process_report(process)
    if report_json is not None:
        report_json.write_text(
            json.dumps(
                {
                    "crawl": [r.to_dict() for r in reports],
                    "store": process.to_dict() if process else None,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    if process is not None and process.store_unavailable:
        raise typer.Exit(3)


def ingest(
    file: Annotated[
        Path,
        typer.Argument(
            help="JSONL file, one post per line (docs/crawlers.md).", exists=True, dir_okay=False
        ),
    ],
    classify: Annotated[
        bool, typer.Option(help="Classify with the NLP model if available.")
    ] = True,
    store: Annotated[bool, typer.Option(help="Move the spool into the store afterwards.")] = True,
) -> None:
    """Import posts from other platforms; bad lines are parked with their line numbers."""
    from crawlers.archive import WarcArchive
    from crawlers.context import state_dir
    from crawlers.dedup import StoryIndex
    from crawlers.ingest import ingest_file
    from crawlers.spool import Spool
    from pantau.settings import get_settings

    settings = get_settings()
    spool = Spool(settings.resolved_spool_dir())
    stories = StoryIndex(
        state_dir(settings) / "stories.sqlite3", window_days=settings.story_window_days
    )
    archive = WarcArchive(settings.resolved_archive_dir(), prefix="ingest")
    try:
        with console.status(f"reading {file}…"):
            report = ingest_file(file, spool, stories, archive)
    finally:
        archive.close()
        stories.close()
    console.print(
        f"{report.lines} lines: {report.spooled} spooled, {len(report.bad_lines)} "
        f"parked, {report.blank} blank"
    )
    for number, reason in report.bad_lines[:50]:
        console.print(f"  [yellow]line {number}:[/] {reason}")
    if store:
        process = _store_spool(settings, classify)
        _print_process_report(process)
        if process.store_unavailable:
            raise typer.Exit(3)


def extract(
    target: Annotated[str, typer.Argument(help="An HTML file or an http(s) URL.")],
    url: Annotated[
        str | None,
        typer.Option(
            help="The page's URL when TARGET is a file (for canonical links and identity)."
        ),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Outlet name to report.")] = None,
) -> None:
    """Extract one article (title, body, dateline, date, outlet…) and print it as JSON."""
    from crawlers.extract import NotAnArticle, extract_bytes
    from crawlers.settings import USER_AGENT

    fetched_at = datetime.now(UTC)
    content_type: str | None = None
    if target.startswith(("http://", "https://")):
        import urllib.request

        if not _robots_allow(target, USER_AGENT):
            console.print(f"[red]error:[/] robots.txt of {target} forbids fetching it")
            raise typer.Exit(1)
        request = urllib.request.Request(target, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read(8 * 1024 * 1024 + 1)
                content_type = response.headers.get("Content-Type")
                page_url = response.geturl()
        except OSError as exc:
            console.print(f"[red]error:[/] cannot fetch {target}: {exc}")
            raise typer.Exit(1) from exc
    else:
        path = Path(target)
        if not path.is_file():
            console.print(f"[red]error:[/] {target} is neither a file nor an http(s) URL")
            raise typer.Exit(2)
        body = path.read_bytes()
        page_url = url or path.resolve().as_uri()
    try:
        article, decoded = extract_bytes(body, page_url, content_type, fetched_at, outlet=source)
    except NotAnArticle as exc:
        console.print(f"[red]not an article:[/] {exc}")
        raise typer.Exit(1) from exc
    out = article.to_json_dict()
    out["encoding"] = decoded.encoding
    out["charset_repaired"] = decoded.repaired
    out["fetched_at"] = fetched_at.isoformat()
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
    sys.stdout.flush()


def _robots_allow(url: str, user_agent: str) -> bool:
    """Whether the site's robots.txt lets ``user_agent`` fetch ``url`` (unreachable: yes)."""
    import urllib.robotparser
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    parser = urllib.robotparser.RobotFileParser(
        urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
    )
    try:
        parser.read()
    except OSError:
        return True  # the page fetch itself will report the network problem
    return parser.can_fetch(user_agent, url)


def register(app: typer.Typer) -> None:
    """Add this part's commands to the ``pantau`` command."""
    app.command("crawl")(crawl)
    app.command("ingest")(ingest)
    app.command("extract")(extract)
