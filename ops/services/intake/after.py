"""What happens to a ticket during the call and after saving: R6.5 class changes, R6.2 safety
lines read out, and R5.6 further callers linked to it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops import rules
from ops.audit import record, snapshot
from ops.errors import ConflictError, NotFoundError, Problems, ServiceError, check_aware
from ops.models import ClassChange, Customer, SafetyInstruction, Ticket, TicketReporter
from ops.permissions import Actor, require
from ops.services.appointments import check_booking, grade_record
from ops.services.intake.create import _apply_deadlines, _callback_task, _deadlines, _script_codes
from ops.services.intake.report import _PHONE, MAX_TEXT, _channel, _text
from ops.services.replan import ReplanReason, request_replan
from ops.vocabulary import Channel, TicketClass
from optimizer.network import RoadNetwork


def _ticket(db: Session, ticket_id: int) -> Ticket:
    ticket = db.get(Ticket, ticket_id) if isinstance(ticket_id, int) and not isinstance(ticket_id, bool) else None
    if ticket is None:
        raise NotFoundError("ticket.not_found", "ticket_id")
    return ticket


def change_class(
    db: Session,
    actor: Actor,
    ticket_id: int,
    to_class: TicketClass | int,
    reason: str | None,
    now: datetime,
    *,
    appointment_start: datetime | None = None,
    appointment_end: datetime | None = None,
    network: RoadNetwork | None = None,
    force_slot: bool = False,
) -> Ticket:
    """R6.5: raise a class (anyone who takes calls) or lower it (class 1 only by a supervisor), with a reason.

    The deadlines are recomputed from the time the report was received, not from now: the caller
    has been waiting since then. Lowering to class 3 needs an appointment slot (R6.4), graded as at
    intake when the ``network`` is given: one no crew can keep needs a supervisor's ``force_slot``
    (the change's reason is the override's). Raising a non-voice report to class 1 creates the R6.2
    call-back task.
    """
    require(actor, "ticket.change_class")
    check_aware(now, "now")
    ticket = _ticket(db, ticket_id)
    try:
        new = TicketClass(to_class)
    except (ValueError, TypeError):
        raise ServiceError("not_allowed_value", "class") from None
    if new == ticket.ticket_class:
        raise ConflictError("ticket.same_class", "class")  # the ticket's state, not the request, says no
    if not ticket.status.is_open:
        raise ConflictError("ticket.closed", "ticket_id")
    try:
        rules.check_class_change(ticket.ticket_class, new, actor_roles=actor.roles, reason=reason)
    except rules.ClassChangeError as exc:
        raise ServiceError(exc.code, "class" if exc.field == "ticket_class" else "reason", exc.params) from None
    start = appointment_start if appointment_start is not None else ticket.slot_start
    end = appointment_end if appointment_end is not None else ticket.slot_end
    deadlines = _deadlines(new, ticket.received_at, start, end)
    booking = None
    if network is not None and new is TicketClass.SCHEDULED and appointment_start is not None:
        assert deadlines.slot_start is not None and deadlines.slot_end is not None
        graded, forced_reason = check_booking(
            db, actor, network, lon=ticket.lon, lat=ticket.lat, symptom=ticket.symptom,
            start=deadlines.slot_start, end=deadlines.slot_end, now=now, force=force_slot, reason=reason,
            reason_field="reason", exclude_ticket_id=ticket.id)
        booking = grade_record(graded, forced_reason)
    before = snapshot(ticket)
    old = ticket.ticket_class
    ticket.ticket_class = new
    _apply_deadlines(ticket, deadlines)  # a raise out of class 3 keeps the booked slot (R6.4)
    assert reason is not None  # check_class_change refuses a change without one (R6.5)
    change = ClassChange(ticket_id=ticket.id, from_class=old, to_class=new, reason=reason.strip(),
                         actor_id=actor.user_id, at=now)
    db.add(change)
    task = _callback_task(db, ticket, now)
    db.flush()
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="ticket.change_class", entity="ticket",
           entity_id=ticket.id, before=before,
           after={**snapshot(ticket), "callback_task_id": task.id if task else None}, note=change.reason,
           recommendation={"appointment": booking} if booking is not None else None, at=now)
    if new is TicketClass.EMERGENCY:  # raised to class 1: as urgent for the plan as a new one
        request_replan(db, now, ReplanReason.CLASS1)
    return ticket


def record_safety_instruction(
    db: Session,
    actor: Actor,
    ticket_id: int,
    code: str,
    now: datetime,
    *,
    shown_on_screen: bool = False,
) -> SafetyInstruction:
    """R6.2: one line of the safety script was read to the caller now; the system records it and when.

    Never stamped before the report was received (which a phone's clock may put a little ahead of
    the server's, R5.5): the script cannot have been read before the report reached us.
    """
    require(actor, "ticket.create")
    check_aware(now, "now")
    ticket = _ticket(db, ticket_id)
    allowed_codes = _script_codes(ticket)
    if not allowed_codes:
        raise ServiceError("intake.no_script", "code")
    if code not in allowed_codes:
        raise ServiceError("intake.not_script_line", "code")
    line = SafetyInstruction(ticket_id=ticket.id, code=code, given_at=max(now, ticket.received_at),
                             given_by_id=actor.user_id,
                             channel=ticket.channel, shown_on_screen=shown_on_screen)
    db.add(line)
    db.flush()
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="ticket.safety_instruction",
           entity="ticket", entity_id=ticket.id, after=snapshot(line), at=now)
    return line


def link_report(
    db: Session,
    actor: Actor,
    ticket_id: int,
    *,
    reporter_name: str,
    phone: str,
    channel: Channel | str,
    now: datetime,
    customer_number: str | None = None,
    note: str | None = None,
) -> TicketReporter:
    """R5.6: a further caller about an open ticket becomes one of its reporters, not a second ticket.

    The caller is kept (name, phone, channel, time) so that they too get the R10 callback.
    """
    require(actor, "ticket.create")
    check_aware(now, "now")
    problems = Problems()
    name = _text(reporter_name, "reporter_name", problems, required=True, limit=200)
    phone_text = _text(phone, "phone", problems, required=True, limit=40)
    if phone_text is not None and not _PHONE.match(phone_text):
        problems.add("phone_invalid", "phone")
    note_text = _text(note, "note", problems, required=False, limit=MAX_TEXT)
    number = _text(customer_number, "customer_number", problems, required=False, limit=32)
    try:
        reporter_channel = _channel(channel)
    except (ValueError, TypeError):
        problems.add("not_allowed_value", "channel")
    problems.raise_if_any()
    ticket = _ticket(db, ticket_id)
    if not ticket.status.is_open:
        raise ServiceError("ticket.closed_new_needed", "ticket_id")
    customer_id = None
    if number:
        customer_id = db.scalar(sa.select(Customer.id).where(Customer.customer_no == number))
        if customer_id is None:
            raise ServiceError("customer.not_found", "customer_number")
    reporter = TicketReporter(ticket_id=ticket.id, name=name, phone=phone_text, channel=reporter_channel,
                              received_at=now, customer_id=customer_id, linked_by_id=actor.user_id, note=note_text)
    db.add(reporter)
    db.flush()
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="ticket.link_report", entity="ticket",
           entity_id=ticket.id, after=snapshot(reporter), at=now)
    return reporter
