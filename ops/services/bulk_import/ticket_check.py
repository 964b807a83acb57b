"""Validating one historical ticket: the report (R5), its class (R6.5), deadlines (R6) and safety
script (R6.2), then its work orders and complaints, and the status all of that leaves it in.

What the file says about the class is checked against :func:`ops.rules.classify`, and the
deadlines and statuses are computed here, so an imported ticket is one the live rules would
have produced.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ops.errors import english
from ops.rules import (
    ClassChangeError,
    Classification,
    ClassificationInput,
    RuleSettings,
    RuleTable,
    check_class_change,
    classify,
    deadlines_for,
    safety_script,
)
from ops.services.bulk_import.complaint_check import check_complaints
from ops.services.bulk_import.fields import (
    aware,
    between,
    coordinates,
    enum,
    is_whole,
    known,
    new_key,
    not_after,
    text,
)
from ops.services.bulk_import.history_context import HistoryContext
from ops.services.bulk_import.history_plans import OrderPlan, TicketPlan
from ops.services.bulk_import.problems import FieldError
from ops.services.bulk_import.records import HistoricalTicket
from ops.services.bulk_import.work_order_check import check_work_orders
from ops.vocabulary import (
    Answer,
    Channel,
    Judgement,
    Symptom,
    TicketClass,
    TicketStatus,
    WorkOrderStatus,
)

__all__ = ["check_ticket"]

_ANSWERS = ("odour", "abnormal_noise", "people_on_site", "ventilated", "valve_closed")
_TICKET_STATUS_FOR_ORDER = {
    WorkOrderStatus.DISPATCHED: TicketStatus.DISPATCHED,
    WorkOrderStatus.ACKNOWLEDGED: TicketStatus.ACKNOWLEDGED,
    WorkOrderStatus.EN_ROUTE: TicketStatus.EN_ROUTE,
    WorkOrderStatus.ON_SITE: TicketStatus.ON_SITE,
}


def _place(rec: HistoricalTicket, lon: float, lat: float, ctx: HistoryContext) -> tuple[int | None, int | None]:
    """The customer's id and the district's: given, else the map's, else the customer's."""
    customer_id = customer_district = None
    if rec.customer_no is not None:
        customer_id, customer_district = known(ctx.customers, rec.customer_no, "customer_no", "customer")
    if rec.district_code is not None:
        return customer_id, known(ctx.districts, rec.district_code, "district_code", "district")
    return customer_id, ctx.locate(lon, lat) or customer_district


def _class_change(
    rec: HistoricalTicket, classification: Classification, final: TicketClass, received: datetime,
    now: datetime, ctx: HistoryContext,
) -> dict[str, Any] | None:
    """R6.5: a class other than the proposed one is a change, explained and made by someone allowed."""
    proposed = classification.ticket_class
    if final is proposed:
        if rec.class_change_reason is not None or rec.class_changed_by is not None:
            raise FieldError("class_change_reason", "the class equals the proposed one; there is no change to explain")
        return None
    reason = text(rec.class_change_reason, "class_change_reason", required=False)
    if reason is None:
        raise FieldError("class_change_reason",
                         f"the ticket is class {int(final)} but the rules propose class {int(proposed)} "
                         f"({', '.join(classification.reason_codes)}); give the reason for the change (R6.5)")
    changed_by = ctx.user(rec.class_changed_by, "class_changed_by")
    roles = ctx.roles.get(changed_by, set()) if changed_by is not None else set()
    try:
        check_class_change(proposed, final, actor_roles=roles, reason=reason)
    except ClassChangeError as exc:
        raise FieldError("class_changed_by" if exc.field == "ticket_class" else "class_change_reason",
                         english(exc.problems[0])) from None
    changed_at = aware(rec.class_changed_at, "class_changed_at", required=False) or received
    between(changed_at, "class_changed_at", received, "received_at", now, "now")
    return {"from_class": proposed, "to_class": final, "reason": reason, "actor_id": changed_by, "at": changed_at}


def _slot(rec: HistoricalTicket, final: TicketClass) -> tuple[datetime | None, datetime | None]:
    """R6.4: the appointment a class-3 customer chose (optional for the other classes)."""
    slot_start = aware(rec.slot_start, "slot_start", required=False)
    slot_end = aware(rec.slot_end, "slot_end", required=False)
    if (slot_start is None) != (slot_end is None):
        raise FieldError("slot_end" if slot_end is None else "slot_start", "a slot needs both a start and an end")
    if final is TicketClass.SCHEDULED and slot_start is None:
        raise FieldError("slot_start", "a class-3 ticket needs the appointment slot the customer chose (R6.4)")
    if slot_start is not None and slot_end is not None and slot_end <= slot_start:
        raise FieldError("slot_end", "the appointment slot must end after it starts (R6.4)")
    return slot_start, slot_end


def _safety_codes(
    rec: HistoricalTicket, symptom: Symptom, proposed: TicketClass, final: TicketClass,
    received: datetime, now: datetime, rules: RuleSettings | None,
) -> tuple[str, ...]:
    """R6.2: the script applies while the ticket is (or was proposed as) class 1."""
    given_at = aware(rec.safety_script_given_at, "safety_script_given_at", required=False)
    if given_at is None:
        return ()
    script_class = min(proposed, final)
    if script_class is not TicketClass.EMERGENCY:
        raise FieldError("safety_script_given_at", "the safety script is read for class-1 tickets only (R6.2)")
    between(given_at, "safety_script_given_at", received, "received_at", now, "now")
    return tuple(s.code for s in safety_script(symptom, script_class, major_leak=rec.major_leak, rules=rules))


def _status(orders: list[OrderPlan]) -> tuple[TicketStatus, datetime | None]:
    """The ticket's status and closing time, from how far the last work order got (R1.4: open until closed)."""
    last = orders[-1] if orders else None
    if last is None or last.status is WorkOrderStatus.CANCELLED:
        return TicketStatus.NEW, None
    if last.status.is_active:
        return _TICKET_STATUS_FOR_ORDER[last.status], None
    if last.reopened:
        return TicketStatus.NEW, None
    if last.callback_status is not None:
        return TicketStatus.CLOSED, last.source.callback.called_at if last.source.callback else None
    return TicketStatus.COMPLETED, None


def check_ticket(
    i: int, rec: HistoricalTicket, *, now: datetime, ctx: HistoryContext,
    inside: Callable[[float, float], bool], table: RuleTable, rules: RuleSettings | None,
    batch_ticket_nos: set[str], batch_busy: dict[int, str],
) -> TicketPlan:
    """The plan to write record ``i``; ``batch_ticket_nos`` and ``batch_busy`` carry what the
    records before it in the batch claimed (ticket numbers, crews on an active work order).
    """
    if not isinstance(rec, HistoricalTicket):
        raise FieldError("record", f"expected a HistoricalTicket, got {type(rec).__name__}")
    ticket_no = new_key(rec.ticket_no, "ticket_no", "ticket", ctx.existing_ticket_nos, batch_ticket_nos)
    channel = enum(Channel, rec.channel, "channel")
    received = aware(rec.received_at, "received_at")
    assert received is not None
    not_after(received, now, "received_at", "now")
    started = aware(rec.fault_started_at, "fault_started_at")
    assert started is not None
    not_after(started, received, "fault_started_at", "received_at")
    if rec.fault_duration_minutes is not None and not is_whole(rec.fault_duration_minutes):
        raise FieldError("fault_duration_minutes", "must be a non-negative whole number of minutes")
    symptom = enum(Symptom, rec.symptom, "symptom")
    answers = {name: enum(Answer, getattr(rec, name), name) for name in _ANSWERS}
    judgement = enum(Judgement, rec.agent_judgement, "agent_judgement")
    reporter_name = text(rec.reporter_name, "reporter_name", limit=200)
    reporter_phone = text(rec.reporter_phone, "reporter_phone", limit=40)
    address = text(rec.address, "address", limit=500)
    lon, lat = coordinates(rec.lon, rec.lat, inside)
    customer_id, district_id = _place(rec, lon, lat, ctx)

    # R6.5: the class is proposed by the rule table; a different class must be explained.
    classification = classify(ClassificationInput(symptom, judgement=judgement, **answers), table)
    proposed = classification.ticket_class
    final = proposed if rec.ticket_class is None else enum(TicketClass, rec.ticket_class, "ticket_class")
    class_change = _class_change(rec, classification, final, received, now, ctx)
    slot_start, slot_end = _slot(rec, final)
    deadlines = deadlines_for(final, received, slot_start=slot_start, slot_end=slot_end, rules=rules)
    safety_codes = _safety_codes(rec, symptom, proposed, final, received, now, rules)
    safety_by = ctx.user(rec.safety_script_given_by, "safety_script_given_by")

    # Work orders, in dispatch order; only the last may still be active.
    if not isinstance(rec.work_orders, list | tuple):
        raise FieldError("work_orders", f"must be a list of WorkOrderTimeline, got {type(rec.work_orders).__name__}")
    if not isinstance(rec.complaints, list | tuple):
        raise FieldError("complaints", f"must be a list of ComplaintIn, got {type(rec.complaints).__name__}")
    orders = check_work_orders(rec.work_orders, final, received, now, ctx, batch_busy)
    status, closed_at = _status(orders)
    complaints = check_complaints(rec.complaints, received_at=received, now=now, orders=orders,
                                  reporter_name=reporter_name, reporter_phone=reporter_phone, ctx=ctx)

    values = {
        "ticket_no": ticket_no, "channel": channel, "received_at": received, "created_at": received,
        "reporter_name": reporter_name, "reporter_phone": reporter_phone, "customer_id": customer_id,
        "address": address, "door_no": text(rec.door_no, "door_no", required=False, limit=50),
        "lon": lon, "lat": lat, "district_id": district_id, "symptom": symptom,
        "fault_started_at": started,
        "fault_duration_minutes": rec.fault_duration_minutes,
        "description": text(rec.description, "description", required=False),
        "agent_judgement": judgement,
        "special_requests": text(rec.special_requests, "special_requests", required=False),
        "proposed_class": proposed, "ticket_class": final, "rule_version": classification.rule_version,
        "slot_start": slot_start, "slot_end": slot_end, **deadlines.to_columns(),
        "status": status, "created_by_id": ctx.user(rec.created_by, "created_by"), "closed_at": closed_at,
        **answers,
    }
    return TicketPlan(i, rec, values, orders, class_change, safety_codes, safety_by, complaints)
