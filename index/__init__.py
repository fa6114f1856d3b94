"""The index layer: one storage contract, an embedded SQLite store and a search-engine store.

Everything that reads or writes documents, incidents, alerts or the audit
trail goes through :class:`index.contract.Store`; search queries live only here.
"""

from index.contract import Store
from index.errors import (
    DocumentRejected,
    NotFound,
    StoreError,
    StoreUnavailable,
)
from index.factory import open_store

__all__ = [
    "DocumentRejected",
    "NotFound",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "open_store",
]
