"""A thin adapter over the official Elasticsearch and OpenSearch clients.

The store speaks plain REST paths and JSON bodies through :class:`EngineClient`,
so one code path serves both engines; only client construction, error types
and the bulk call differ, and they differ here.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from index.errors import EngineRequestError, StoreUnavailable

log = logging.getLogger(__name__)

ELASTICSEARCH = "elasticsearch"
OPENSEARCH = "opensearch"

# Statuses worth another try: throttling and a node that is (re)starting.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


def flavor_from_root(status: int, headers: dict[str, str], body: bytes) -> str | None:
    """Which engine answered ``GET /`` (pure). ``None`` when the answer does not say."""
    if headers.get("x-elastic-product", "").lower() == "elasticsearch":
        return ELASTICSEARCH
    if status == 200:
        try:
            info = json.loads(body)
        except ValueError:
            return None
        version = info.get("version", {}) if isinstance(info, dict) else {}
        if version.get("distribution") == OPENSEARCH:
            return OPENSEARCH
        if "number" in version:
            return ELASTICSEARCH
    return None


def detect_flavor(url: str, timeout: float, auth: tuple[str, str] | None) -> str:
    """Ask the server which engine it is. Raises :class:`StoreUnavailable` if it is down."""
    req = urllib.request.Request(url.rstrip("/") + "/", method="GET")
    if auth:
        import base64

        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, headers, body = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        status, headers, body = exc.code, dict(exc.headers), exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise StoreUnavailable(url, str(getattr(exc, "reason", exc))) from exc
    flavor = flavor_from_root(status, {k.lower(): v for k, v in headers.items()}, body)
    if flavor is None:
        raise StoreUnavailable(
            url,
            f"answered {status} without saying whether it is Elasticsearch or OpenSearch; "
            "set PANTAU_STORE=elasticsearch or opensearch",
        )
    return flavor


def backoff_delays(initial: float, maximum: float, retries: int) -> Iterator[float]:
    """Exponential backoff: initial, 2*initial, ... capped at ``maximum`` (pure)."""
    delay = initial
    for _ in range(retries):
        yield min(delay, maximum)
        delay *= 2


@dataclass(frozen=True)
class BulkItemOutcome:
    ok: list[str]
    retry: list[int]  # positions in the submitted batch
    failed: list[tuple[str, str]]  # (id, reason)


def classify_bulk_items(items: list[dict[str, Any]]) -> BulkItemOutcome:
    """Split a ``_bulk`` response's items into done, to-retry (429/5xx) and failed (pure)."""
    ok: list[str] = []
    retry: list[int] = []
    failed: list[tuple[str, str]] = []
    for pos, item in enumerate(items):
        (result,) = item.values()
        status = int(result.get("status", 500))
        doc_id = str(result.get("_id"))
        if status < 300 or (status == 404 and "delete" in item):
            ok.append(doc_id)
        elif status in RETRYABLE_STATUSES:
            retry.append(pos)
        else:
            err = result.get("error", {})
            reason = err.get("reason", str(err)) if isinstance(err, dict) else str(err)
            failed.append((doc_id, f"{status}: {reason}"))
    return BulkItemOutcome(ok, retry, failed)


class EngineClient:
    """REST calls against one engine, with connection errors mapped to StoreUnavailable."""

    def __init__(
        self,
        url: str,
        flavor: str,
        timeout: float = 30.0,
        auth: tuple[str, str] | None = None,
        verify_certs: bool = True,
        ca_certs: str | None = None,
    ) -> None:
        self.url = url
        self.flavor = flavor
        if flavor == ELASTICSEARCH:
            from elasticsearch import Elasticsearch

            tls: dict[str, Any] = {"ca_certs": ca_certs} if ca_certs else {}
            self._es = Elasticsearch(
                url,
                basic_auth=auth,
                verify_certs=verify_certs,
                request_timeout=timeout,
                # Retries are ours (with backoff), so the client must not add its own.
                max_retries=0,
                retry_on_timeout=False,
                **tls,
            )
        elif flavor == OPENSEARCH:
            from opensearchpy import OpenSearch

            self._os = OpenSearch(
                hosts=[url],
                http_auth=auth,
                verify_certs=verify_certs,
                ca_certs=ca_certs,
                timeout=timeout,
                max_retries=0,
                retry_on_timeout=False,
            )
        else:
            raise ValueError(f"unknown engine flavor {flavor!r}")

    def close(self) -> None:
        if self.flavor == ELASTICSEARCH:
            self._es.close()
        else:
            self._os.close()

    def _call(self, fn: Callable[[], Any]) -> Any:
        if self.flavor == ELASTICSEARCH:
            import elastic_transport
            from elasticsearch import ApiError

            try:
                return fn()
            except ApiError as exc:
                raise EngineRequestError(exc.meta.status, _detail(exc.body), self.url) from exc
            except elastic_transport.TransportError as exc:
                raise StoreUnavailable(self.url, str(exc)) from exc
        from opensearchpy.exceptions import ConnectionError as OsConnectionError
        from opensearchpy.exceptions import TransportError as OsTransportError

        try:
            return fn()
        except OsConnectionError as exc:
            raise StoreUnavailable(self.url, str(exc)) from exc
        except OsTransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 500
            raise EngineRequestError(status, _detail(exc.info), self.url) from exc

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        if self.flavor == ELASTICSEARCH:
            headers = {"accept": "application/json"}
            if body is not None:
                headers["content-type"] = "application/json"
            return self._call(
                lambda: (
                    self._es.perform_request(
                        method, path, params=params, headers=headers, body=body
                    ).body
                )
            )
        return self._call(
            lambda: self._os.transport.perform_request(method, path, params=params, body=body)
        )

    def bulk(self, operations: list[dict[str, Any]], refresh: str | None = None) -> Any:
        params = {"refresh": refresh} if refresh else None
        if self.flavor == ELASTICSEARCH:
            return self._call(lambda: self._es.bulk(operations=operations, refresh=refresh).body)
        return self._call(lambda: self._os.bulk(body=operations, params=params))


def bulk_with_retry(
    client: EngineClient,
    operations: list[tuple[dict[str, Any], dict[str, Any] | None]],
    retries: int,
    initial_backoff: float,
    max_backoff: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[str], list[tuple[str, str, bool]]]:
    """Send (action, source) pairs; retry throttled items and transport failures with backoff.

    Returns (done ids, [(id, reason, retryable)]). Raises StoreUnavailable when
    the engine stays unreachable after all retries: the caller keeps the batch.
    """
    pending = operations
    done: list[str] = []
    errors: list[tuple[str, str, bool]] = []
    delays = backoff_delays(initial_backoff, max_backoff, retries)
    while pending:
        lines: list[dict[str, Any]] = []
        for action, source in pending:
            lines.append(action)
            if source is not None:
                lines.append(source)
        try:
            resp = client.bulk(lines)
        except (StoreUnavailable, EngineRequestError) as exc:
            retryable = isinstance(exc, StoreUnavailable) or exc.status in RETRYABLE_STATUSES
            delay = next(delays, None)
            if not retryable or delay is None:
                raise
            log.warning("bulk request failed (%s); retrying in %.1fs", exc, delay)
            sleep(delay)
            continue
        outcome = classify_bulk_items(resp["items"])
        done.extend(outcome.ok)
        if outcome.failed:
            log.warning("bulk: %d documents failed: %s", len(outcome.failed), outcome.failed[:3])
        errors.extend((doc_id, reason, False) for doc_id, reason in outcome.failed)
        pending = [pending[i] for i in outcome.retry]
        if pending:
            delay = next(delays, None)
            if delay is None:
                errors.extend(
                    (_action_id(a), "engine still throttling (429) after all retries", True)
                    for a, _ in pending
                )
                break
            log.warning("bulk: %d throttled items; retrying in %.1fs", len(pending), delay)
            sleep(delay)
    return done, errors


def _action_id(action: dict[str, Any]) -> str:
    (meta,) = action.values()
    return str(meta.get("_id"))


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            root = err.get("root_cause") or [err]
            first = root[0] if isinstance(root, list) and root else err
            return f"{first.get('type', '')}: {first.get('reason', '')}".strip(": ")
        return str(err)
    return str(body)
