"""Booking and moving class-3 appointments (R6.4): only slots a crew can keep, unless a supervisor says so.

The grade of a slot (:mod:`ops.reads.appointment_slots`) decides: a *feasible* or *tight* slot may
be booked by anyone who books; a *not possible* one only when a supervisor forces it with a reason,
and the audit event keeps the grade and the reason. Intake (:func:`ops.services.intake.create_ticket`)
calls :func:`check_booking` for a new class-3 ticket; :func:`reschedule_appointment` moves a booked
slot with the customer's agreement, through :meth:`ops.rules.Deadlines` like every other deadline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ops import rules
from ops.audit import record
from ops.clock import as_utc
from ops.errors import ConflictError, NotFoundError, ServiceError, check_aware, is_id
from ops.models import Ticket
from ops.permissions import Actor, require
from ops.reads.appointment_slots import GradedSlot, grade_one_slot
from ops.vocabulary import TicketClass, TicketStatus
from optimizer.dispatch_types import TravelTimes
from optimizer.network import RoadNetwork

__all__ = ["MAX_REASON_LENGTH", "check_booking", "grade_record", "reschedule_appointment"]

MAX_REASON_LENGTH = 500
#: A booked slot can move until the crew has set off for it.
_MOVABLE = (TicketStatus.NEW, TicketStatus.DISPATCHED, TicketStatus.ACKNOWLEDGED)


def _clean_reason(reason: str | None, field: str) -> str | None:
    if reason is not None and not isinstance(reason, str):
        raise ServiceError("text_required", field)
    text = (reason or "").strip()
    if len(text) > MAX_REASON_LENGTH:
        raise ServiceError("too_long", field)
    return text or None


def grade_record(graded: GradedSlot, forced_reason: str | None) -> dict[str, Any]:
    """What the audit event keeps of a booking's grade (R13.1: what the system advised, and who overrode it)."""
    return {"grade": graded.grade.value, "crew_id": graded.crew_id, "extra_drive_s": graded.extra_drive_s,
            "slack_s": graded.slack_s, "forced_reason": forced_reason}


def check_booking(db: Session, actor: Actor, network: RoadNetwork, *, lon: float, lat: float, symptom: str,
                  start: datetime, end: datetime, now: datetime, force: bool = False, reason: str | None = None,
                  reason_field: str = "appointment_reason", exclude_ticket_id: int | None = None,
                  travel: TravelTimes | None = None) -> tuple[GradedSlot, str | None]:
    """The slot's grade and the override reason, or a refusal: a slot no crew can keep needs a supervisor.

    ``force`` is a supervisor's (``appointment.force``) whatever the grade, so that the right is
    never exercised by accident; it then needs a reason, which is returned for the audit event.
    """
    if force:
        require(actor, "appointment.force")
    graded = grade_one_slot(db, network, lon=lon, lat=lat, symptom=symptom, start=start, end=end, now=now,
                            travel=travel, exclude_ticket_id=exclude_ticket_id)
    if graded.bookable:
        return graded, None
    if not force:
        raise ServiceError("appointment.not_possible", "appointment")
    text = _clean_reason(reason, reason_field)
    if text is None:
        raise ServiceError("appointment.force_reason", reason_field)
    return graded, text


def reschedule_appointment(db: Session, actor: Actor, ticket_id: int, slot_start: datetime, now: datetime, *,
                           reason: str | None, network: RoadNetwork, force: bool = False,
                           travel: TravelTimes | None = None) -> Ticket:
    """Move a booked class-3 appointment to the offered slot starting at ``slot_start`` (R6.4).

    The customer agreed to the move, so ``reason`` (what they asked, who agreed) is required. The
    new slot is graded without the ticket's own booking; a slot no crew can keep needs a supervisor
    and ``force``. Refused once a crew has set off: the office calls the crew instead.
    """
    require(actor, "ticket.reschedule")
    if force:
        require(actor, "appointment.force")
    check_aware(now, "now")
    ticket = db.get(Ticket, ticket_id) if is_id(ticket_id) else None
    if ticket is None:
        raise NotFoundError("ticket.not_found", "ticket_id")
    if TicketClass(ticket.ticket_class) is not TicketClass.SCHEDULED:
        raise ConflictError("appointment.not_scheduled", "ticket_id")  # the ticket's state, not the request
    if ticket.status not in _MOVABLE:
        raise ConflictError("appointment.not_movable", "ticket_id", {"status": ticket.status.value})
    text = _clean_reason(reason, "reason")
    if text is None:
        raise ServiceError("reason_required", "reason")
    check_aware(slot_start, "slot_start")
    if not rules.slot_is_offered(slot_start):
        raise ServiceError("appointment.not_offered", "slot_start")
    if as_utc(rules.slot_end_for(slot_start)) <= as_utc(now):
        raise ServiceError("appointment.past", "slot_start")
    if ticket.slot_start is not None and as_utc(ticket.slot_start) == as_utc(slot_start):
        raise ServiceError("appointment.same_slot", "slot_start")
    local = rules.to_local(slot_start)
    start = next(s for s, _ in rules.day_slots(local.date()) if as_utc(s) == as_utc(slot_start))
    end = next(e for s, e in rules.day_slots(local.date()) if as_utc(s) == as_utc(slot_start))
    graded, forced_reason = check_booking(
        db, actor, network, lon=ticket.lon, lat=ticket.lat, symptom=ticket.symptom, start=start, end=end, now=now,
        force=force, reason=text, reason_field="reason", exclude_ticket_id=ticket.id, travel=travel)
    before = {"slot_start": ticket.slot_start, "slot_end": ticket.slot_end}
    deadlines = rules.deadlines_for(TicketClass.SCHEDULED, ticket.received_at, slot_start=start, slot_end=end)
    for column, value in deadlines.to_columns().items():
        setattr(ticket, column, value)
    db.flush()
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="ticket.reschedule", entity="ticket",
           entity_id=ticket.id, before=before,
           after={"slot_start": ticket.slot_start, "slot_end": ticket.slot_end, "reason": text},
           recommendation=grade_record(graded, forced_reason), at=now)
    return ticket
