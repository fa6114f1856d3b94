"""The sources file: which outlets and channels to watch, and how (data, not code)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pantau.schemas import SourceType

SCHEMA_VERSION = 1
_VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


class SourcesError(ValueError):
    """The sources file is missing, malformed or fails validation."""


class EntryKind(StrEnum):
    FEED = "feed"  # RSS 2.0 or Atom
    SITEMAP = "sitemap"  # sitemap or sitemap index
    NEWS_SITEMAP = "news_sitemap"  # Google News sitemap (news:publication_date)
    LISTING = "listing"  # an HTML index page that links to articles
    TELEGRAM = "telegram"  # a public channel preview, https://t.me/s/<channel>


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntryPoint(_Model):
    kind: EntryKind
    url: str

    @field_validator("url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"entry point URL must be absolute http(s): {value!r}")
        return value


class CrawlRules(_Model):
    allow: list[str] = Field(
        default_factory=list, description="Article URLs must match one of these regexes (if any)."
    )
    deny: list[str] = Field(
        default_factory=list, description="Article URLs matching these are skipped."
    )
    max_listing_pages: int = Field(default=3, ge=1, description="Listing pages followed per run.")
    max_telegram_pages: int = Field(
        default=5, ge=1, description="Preview pages paged back per run."
    )
    max_articles: int = Field(default=500, ge=1, description="Article requests per source per run.")
    max_age_days: int | None = Field(
        default=None, ge=1, description="Skip sitemap/feed entries older than this (when dated)."
    )

    @field_validator("allow", "deny")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regex {pattern!r}: {exc}") from exc
        return value

    def admits(self, url: str) -> bool:
        if any(re.search(p, url) for p in self.deny):
            return False
        return not self.allow or any(re.search(p, url) for p in self.allow)


class Source(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(description="Outlet or channel name as analysts know it.")
    type: SourceType
    region: str = Field(description="What the source covers: 'nasional', 'DKI Jakarta', …")
    places: list[str] = Field(default_factory=list, description="Kemendagri codes it covers.")
    homepage: str | None = None
    entry_points: list[EntryPoint] = Field(min_length=1)
    rules: CrawlRules = Field(default_factory=CrawlRules)
    enabled: bool = True
    notes: str | None = None

    @model_validator(mode="after")
    def _kinds(self) -> Source:
        telegram = [e for e in self.entry_points if e.kind is EntryKind.TELEGRAM]
        if self.type is SourceType.TELEGRAM and len(telegram) != len(self.entry_points):
            raise ValueError(
                f"source {self.id}: a telegram source takes only telegram entry points"
            )
        if telegram and self.type is not SourceType.TELEGRAM:
            raise ValueError(f"source {self.id}: telegram entry points need type: telegram")
        return self


class SourcesFile(_Model):
    schema_version: int
    updated: str | None = None
    sources: list[Source]

    @field_validator("schema_version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"schema_version {value} is not supported (expected {SCHEMA_VERSION})")
        return value

    @model_validator(mode="after")
    def _unique(self) -> SourcesFile:
        seen: set[str] = set()
        for source in self.sources:
            if source.id in seen:
                raise ValueError(f"duplicate source id {source.id!r}")
            seen.add(source.id)
        return self

    def enabled(self) -> list[Source]:
        return [s for s in self.sources if s.enabled]


def expand_variables(text: str, variables: Mapping[str, str]) -> str:
    """Replace ``${NAME}`` with ``variables[NAME]`` (pure); an unknown name is an error."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise SourcesError(f"the sources file uses ${{{name}}} but it is not set")
        return variables[name]

    return _VARIABLE.sub(repl, text)


def parse_sources(text: str, variables: Mapping[str, str] | None = None) -> SourcesFile:
    """Parse and validate sources YAML (pure)."""
    try:
        data: Any = yaml.safe_load(expand_variables(text, variables or {}))
    except yaml.YAMLError as exc:
        raise SourcesError(f"sources file is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SourcesError("sources file must be a mapping with schema_version and sources")
    try:
        return SourcesFile.model_validate(data)
    except ValidationError as exc:
        raise SourcesError(f"sources file is invalid: {exc}") from exc


def load_sources(path: Path, variables: Mapping[str, str] | None = None) -> SourcesFile:
    """Read a sources file; ``${NAME}`` comes from ``variables``, else the environment."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourcesError(f"cannot read sources file {path}: {exc}") from exc
    merged = {**os.environ, **(variables or {})}
    return parse_sources(text, merged)
