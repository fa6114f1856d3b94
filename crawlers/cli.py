"""Commands of the crawling part (crawl, ingest, extract)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this part's commands to the ``pantau`` command."""
