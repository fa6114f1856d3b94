"""Errors of the index layer. Each message says what happens next."""

from __future__ import annotations


class StoreError(Exception):
    """Base class: something went wrong talking to the store."""


class StoreUnavailable(StoreError):
    """The store cannot be reached. Callers retry later or park their work; nothing is lost."""

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        self.reason = reason
        super().__init__(
            f"store at {location} is unreachable ({reason}); "
            "work is kept for a retry — check PANTAU_SEARCH_URL or start the engine "
            "(scripts/engines/opensearch.sh start)"
        )


class NotFound(StoreError):
    """The requested incident, alert or document does not exist (API: 404)."""


class DocumentRejected(StoreError):
    """A document was refused as a whole (too large, invalid); it is not truncated."""

    def __init__(self, doc_id: str, reason: str) -> None:
        self.doc_id = doc_id
        self.reason = reason
        super().__init__(f"document {doc_id} rejected: {reason}")


class InvalidCursor(ValueError):
    """A pagination cursor that this store did not issue (API: 400)."""


class Conflict(StoreError):
    """Someone else changed the record between read and write (API: 409); reload and retry."""


class EngineRequestError(StoreError):
    """The search engine answered with an error status."""

    def __init__(self, status: int, detail: str, location: str) -> None:
        self.status = status
        self.detail = detail
        super().__init__(f"search engine at {location} answered {status}: {detail}")
