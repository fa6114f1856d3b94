"""The one typed settings object. Every knob reads from ``PANTAU_*`` variables or ``.env``."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The repository (or site-packages) folder that holds the top-level packages.
_ROOT = Path(__file__).resolve().parents[1]


class StoreBackend(StrEnum):
    SQLITE = "sqlite"
    ELASTICSEARCH = "elasticsearch"
    OPENSEARCH = "opensearch"
    # Ask the server's root response (or its headers) which engine it is.
    AUTO = "auto"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PANTAU_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        default=Path.home() / ".local" / "share" / "pantau",
        description="Where the embedded store, the model and the spool live.",
    )

    store: StoreBackend = Field(
        default=StoreBackend.SQLITE,
        description="sqlite (embedded default), or a search engine when search_url is set.",
    )
    sqlite_path: Path | None = Field(
        default=None, description="Defaults to <data_dir>/pantau.sqlite3."
    )

    search_url: str | None = Field(default=None, description="e.g. http://127.0.0.1:9200")
    search_username: str | None = None
    search_password: str | None = None
    search_verify_certs: bool = True
    search_ca_certs: Path | None = Field(
        default=None, description="CA bundle that signed the engine's certificate."
    )
    search_index_prefix: str = "pantau"
    # 0 suits a single node; a cluster wants 1 or more.
    search_replicas: int = 0
    search_timeout_s: float = 30.0
    # Retries for bulk writes that the engine throttles (429) or that fail in transport.
    search_max_retries: int = 5
    search_initial_backoff_s: float = 0.5
    search_max_backoff_s: float = 30.0
    bulk_chunk_size: int = 500

    max_document_bytes: int = Field(
        default=2_000_000,
        description="Documents whose title+body exceed this many UTF-8 bytes are rejected.",
    )

    # -- crawling (Scrapy-only knobs live in crawlers/settings.py) -----------
    sources_file: Path = Field(
        default=_ROOT / "crawlers" / "sources.yaml", description="The versioned list of sources."
    )
    spool_dir: Path | None = Field(
        default=None, description="Durable hand-off queue; defaults to <data_dir>/spool."
    )
    archive_dir: Path | None = Field(
        default=None, description="Compressed raw pages (WARC); defaults to <data_dir>/archive."
    )
    story_window_days: float = Field(
        default=30.0,
        ge=0,
        description="New documents are grouped with near-duplicates seen within this many "
        "days; older signatures are cleared when a crawl starts (0 = keep all).",
    )

    # -- NLP ----------------------------------------------------------------
    model_dir: Path | None = Field(
        default=None,
        description="Base model built from packaged weights (a rebuildable cache); "
        "defaults to ~/.cache/pantau/models.",
    )
    classifier_path: Path = Field(
        default=_ROOT / "nlp" / "model",
        description="The shipped fine-tuned classifier (delta files).",
    )
    torch_threads: int = Field(default=0, description="0 = let torch decide.")
    classifier_bf16: bool | None = Field(
        default=None,
        description="For a classifier whose feed-forward block is not int8 (int8_ffn off): "
        "run that block in bf16; unset = when the CPU has native bf16 (AVX-512 BF16 or AMX).",
    )
    classifier_heap_trim_mb: int = Field(
        default=64,
        ge=0,
        description="After a classifier batch, return freed heap memory to the OS once "
        "glibc holds more than this many MiB free (0 = never; keeps peak memory down).",
    )
    classifier_cascade: bool = Field(
        default=True,
        description="Skip the transformer for texts whose labels its share of the blend "
        "could not change (the n-gram model decides them by a wide enough margin); labels "
        "are the full model's, the scores of such texts are the n-gram model's.",
    )
    classifier_screen: bool = Field(
        default=False,
        description="Relevance screen: texts the n-gram model is sure are off-topic "
        "(kind lainnya, no topic) skip the transformer and keep the n-gram labels, "
        "flagged as screened. Faster on mostly off-topic crawls; costs some recall.",
    )
    # The rule nlp.screen.choose_rule picks on dev for the shipped n-gram model
    # (tests/nlp/test_screen.py holds the two together).
    classifier_screen_lainnya: float = Field(
        default=0.7,
        ge=0.5,
        le=1.0,
        description="Screen: the n-gram model's lainnya probability a text needs at least.",
    )
    classifier_screen_topic: float = Field(
        default=0.1,
        gt=0.0,
        le=0.5,
        description="Screen: every topic's n-gram probability must stay below this.",
    )

    def resolved_spool_dir(self) -> Path:
        return self.spool_dir or self.data_dir / "spool"

    def resolved_archive_dir(self) -> Path:
        return self.archive_dir or self.data_dir / "archive"

    def resolved_model_dir(self) -> Path:
        return self.model_dir or Path.home() / ".cache" / "pantau" / "models"

    def resolved_sqlite_path(self) -> Path:
        return self.sqlite_path or self.data_dir / "pantau.sqlite3"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
