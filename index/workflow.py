"""Pure workflow rules shared by every store: what an update or a status change produces."""

from __future__ import annotations

from index.records import new_audit_id
from pantau.schemas import (
    ALERT_TRANSITIONS,
    INCIDENT_TRANSITIONS,
    Alert,
    AlertStatus,
    AuditEntry,
    Incident,
    IncidentStatus,
    check_transition,
    utcnow,
)


def merged_incident(stored: Incident, incoming: Incident) -> Incident | None:
    """The pipeline's new version of a stored incident, or ``None`` if nothing changed.

    The analyst owns the status and the creation time; the pipeline owns the rest.
    """
    merged = incoming.model_copy(
        update={"status": stored.status, "created_at": stored.created_at, "updated_at": utcnow()}
    )
    if merged.model_dump(exclude={"updated_at"}) == stored.model_dump(exclude={"updated_at"}):
        return None
    return merged


def incident_with_status(stored: Incident, status: IncidentStatus) -> Incident:
    """Raises :class:`pantau.schemas.InvalidTransition` for a move the workflow forbids."""
    check_transition(INCIDENT_TRANSITIONS, stored.status, status)
    return stored.model_copy(update={"status": status, "updated_at": utcnow()})


def alert_with_status(stored: Alert, status: AlertStatus, assignee: str | None) -> Alert:
    check_transition(ALERT_TRANSITIONS, stored.status, status)
    update: dict[str, object] = {"status": status, "updated_at": utcnow()}
    if assignee is not None:
        update["assignee"] = assignee
    return stored.model_copy(update=update)


def audit_entry(
    entity_type: str,
    entity_id: str,
    action: str,
    actor: str,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
) -> AuditEntry:
    at = utcnow()
    return AuditEntry(
        id=new_audit_id(at),
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note,
        at=at,
    )
