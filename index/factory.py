"""Builds the configured store. Called once at startup (CLI command, API lifespan)."""

from __future__ import annotations

from index.contract import Store
from pantau.settings import Settings, StoreBackend


def open_store(settings: Settings, init: bool = True) -> Store:
    """Open (and by default create or migrate) the store that ``settings`` names."""
    store: Store
    if settings.store is StoreBackend.SQLITE:
        from index.sqlite_store import SqliteStore

        store = SqliteStore(
            settings.resolved_sqlite_path(), max_document_bytes=settings.max_document_bytes
        )
    else:
        from index.engine_store import SearchEngineStore

        store = SearchEngineStore.from_settings(settings)
    if init:
        store.init()
    return store
