"""Acknowledging an alert: the supervisor or dispatcher says "seen, I am on it" (R7.2–R7.4).

The scheduler raises alerts and never closes them by itself: a red alert that vanished when its
condition passed would leave no trace that somebody had to act. Acknowledging takes the alert off
the board, records who did it and when, and leaves the alert row (and its audit line) for R13.1.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ops.audit import record
from ops.errors import ConflictError, NotFoundError, ServiceError, check_aware
from ops.models import Alert
from ops.permissions import Actor, require

__all__ = ["acknowledge_alert"]


def acknowledge_alert(db: Session, actor: Actor, alert_id: int, now: datetime, *, note: str | None = None) -> Alert:
    """Mark one alert seen by ``actor``; a second acknowledgement is refused so the first one stands."""
    require(actor, "alert.acknowledge")
    check_aware(now, "now")
    valid_id = isinstance(alert_id, int) and not isinstance(alert_id, bool)
    alert = db.get(Alert, alert_id) if valid_id else None
    if alert is None:
        raise NotFoundError("alert.not_found", "alert_id")
    if alert.acknowledged_at is not None:
        raise ConflictError("alert.already_acknowledged", "alert_id")
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        raise ServiceError("too_long", "note")
    alert.acknowledged_at = now
    alert.acknowledged_by_id = actor.user_id
    after: dict[str, Any] = {"acknowledged_at": now, "kind": alert.kind.value, "ticket_id": alert.ticket_id}
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="alert.acknowledge", entity="alert",
           entity_id=alert.id, before={"acknowledged_at": None}, after=after,
           note=note.strip() if note and note.strip() else None, at=now)
    db.flush()
    return alert
