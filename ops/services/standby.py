"""Standby positions (issue 13): the office asks an idle crew to wait somewhere else.

The coverage page suggests places from which the idle crews reach more people in time
(:func:`optimizer.covering.suggest_positions`); a dispatcher sends one to a crew as its standby. A
standby is advice, not a work order: it has no ticket, no callback and counts in no KPI. It lives on
the crew row, one at a time, and any order confirmed or queued for the crew clears it in the same
transaction (:func:`clear_for_order`, called by the confirmation), because a crew with work has no
reason to keep waiting anywhere. Every send and clear is an audit event on the crew.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.audit import record
from ops.errors import ConflictError, NotFoundError, ServiceError, check_aware, is_id
from ops.locator import Locator
from ops.models import Crew, WorkOrder
from ops.permissions import Actor, require
from ops.queries import order_is_active
from ops.services.intake.location import valid_lon_lat

__all__ = ["MAX_NOTE", "clear_for_order", "clear_standby", "send_standby", "standby_state"]

#: The longest note kept with a standby (the column's width).
MAX_NOTE = 500


def standby_state(crew: Crew) -> dict | None:
    """The crew's standby as the audit log keeps it; ``None`` when it has none."""
    if crew.standby_since is None:
        return None
    return {"lon": crew.standby_lon, "lat": crew.standby_lat, "note": crew.standby_note,
            "since": crew.standby_since, "by": crew.standby_by}


def _crew(db: Session, crew_id: int) -> Crew:
    crew = db.get(Crew, crew_id) if is_id(crew_id) else None
    if crew is None:
        raise NotFoundError("crew.not_found", "crew_id")
    if not crew.active:
        raise ServiceError("crew.inactive", "crew_id")
    return crew


def _clear(db: Session, actor: Actor, crew: Crew, now: datetime, *, note: str | None = None,
           order_id: int | None = None) -> bool:
    before = standby_state(crew)
    if before is None:
        return False
    crew.standby_lon = crew.standby_lat = crew.standby_note = crew.standby_since = crew.standby_by = None
    after = {"cleared_by_order": order_id} if order_id is not None else None
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="crew.standby_clear", entity="crew",
           entity_id=crew.id, before=before, after=after, note=note, at=now)
    return True


def send_standby(db: Session, actor: Actor, crew_id: int, lon: float, lat: float, *, note: str | None = None,
                 now: datetime, locator: Locator) -> Crew:
    """Ask ``crew_id`` to wait at (``lon``, ``lat``), replacing any standby it had; audited.

    The point must lie in the service area (as a reported leak must), since a crew cannot be routed
    to a place off the network; the crew must exist, be active and hold no order, current or queued
    (a crew with work has nowhere to wait, and its next order would clear the standby anyway).
    """
    require(actor, "crew.standby")
    check_aware(now, "now")
    if not valid_lon_lat(lon, lat):
        raise ServiceError("location.invalid", "location")
    if not locator.inside(float(lon), float(lat)):
        raise ServiceError("location.outside", "location")
    if note is not None and not isinstance(note, str):
        raise ServiceError("text_required", "note")
    text = note.strip() if note else None
    if text and len(text) > MAX_NOTE:
        raise ServiceError("text.max_length", "note", {"max": MAX_NOTE})
    crew = _crew(db, crew_id)
    if db.scalar(sa.select(WorkOrder.id).where(WorkOrder.crew_id == crew.id, order_is_active()).limit(1)):
        raise ConflictError("crew.busy", "crew_id")
    before = standby_state(crew)
    crew.standby_lon, crew.standby_lat = float(lon), float(lat)
    crew.standby_note, crew.standby_since, crew.standby_by = text or None, now, actor.label
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="crew.standby", entity="crew",
           entity_id=crew.id, before=before, after=standby_state(crew), at=now)
    return crew


def clear_standby(db: Session, actor: Actor, crew_id: int, *, now: datetime, note: str | None = None) -> Crew:
    """Withdraw the crew's standby (nothing happens, and nothing is audited, if it has none)."""
    require(actor, "crew.standby")
    check_aware(now, "now")
    crew = _crew(db, crew_id)
    _clear(db, actor, crew, now, note=note.strip() if isinstance(note, str) and note.strip() else None)
    return crew


def clear_for_order(db: Session, actor: Actor, crew: Crew, order_id: int, now: datetime) -> bool:
    """Clear the standby of a crew that was just given an order, inside that order's transaction.

    No permission of its own: the confirmation that calls it has checked its actor, and a token
    scoped to dispatching need not hold ``crew.standby`` to end advice its order overrides.
    """
    return _clear(db, actor, crew, now, order_id=order_id)
