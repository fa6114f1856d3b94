"""Commands of the NLP part (classify, model build/train/evaluate)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this part's commands to the ``pantau`` command."""
