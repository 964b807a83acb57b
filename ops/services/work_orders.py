"""The work-order loop (R7–R10): confirm a dispatch, then acknowledge, depart, arrive, read, complete.

Every step is one service call that checks the actor (``require``), validates, writes the change with
its timestamp and an audit event, and leaves the ticket's and the crew's status in step with the
order, so the map, the KPIs (R14.1) and a later dispute (R13.1) read one consistent story: each step's
statuses, time stamp and who may take it are one row of :data:`ops.lifecycle.TRANSITIONS`, which
:func:`ops.lifecycle.apply` carries out. Callers wrap each call in ``ops.db.transaction``.

Errors are :class:`ops.errors.ServiceError` with a code from :mod:`ops.messages`: invalid input names
the offending field(s); an illegal step (``status``) or a stale ``version`` is a
:class:`~ops.errors.ConflictError`; a crew member acting on another crew's order a
:class:`~ops.errors.ForbiddenError`. A late acknowledgement is *recorded* as late, never refused
(R7.2): the crew still has to go.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops import lifecycle, rules
from ops.audit import record, snapshot
from ops.dispatching import missing_skill
from ops.errors import ConflictError, NotFoundError, Problems, ServiceError, check_aware, is_id
from ops.lifecycle import TRANSITIONS, Step, order_state
from ops.models import (
    Alert,
    AlertKind,
    Crew,
    FollowUp,
    GasReading,
    Recommendation,
    RepairRecord,
    Ticket,
    WorkOrder,
)
from ops.parts import PARTS
from ops.permissions import Actor
from ops.plan_in_force import plan_queue_position
from ops.queries import order_is_current
from ops.queue_ranks import head_rank, queued_orders, rank_at
from ops.recommendations import StoredRecommendation
from ops.services.replan import ReplanReason, request_replan
from ops.services.standby import clear_for_order
from ops.vocabulary import (
    CrewStatus,
    RepairResult,
    TicketClass,
    TicketStatus,
)

__all__ = [
    "RepairIn",
    "acknowledge",
    "arrive",
    "cancel",
    "complete",
    "confirm_dispatch",
    "depart",
    "not_fixed",
    "reassign",
    "record_reading",
]


# ----------------------------------------------------------------------------- helpers
def _order(db: Session, order_id: int, version: int | None) -> WorkOrder:
    order = db.get(WorkOrder, order_id) if is_id(order_id) else None
    if order is None:
        raise NotFoundError("order.not_found", "work_order_id")
    if version is not None and version != order.version_id:
        raise ConflictError("order.stale", "version", {"version": order.version_id})
    return order


def _reason(value: str | None, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ServiceError("reason_required", name)
    if len(value) > 2000:
        raise ServiceError("too_long", name)
    return value.strip()


def _audit(db: Session, actor: Actor, action: str, order: WorkOrder, now: datetime, *,
           before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None,
           recommendation: Mapping[str, Any] | None = None, note: str | None = None) -> None:
    record(db, actor_id=actor.user_id, actor_label=actor.label, action=action, entity="work_order",
           entity_id=order.id, before=before, after=after, recommendation=recommendation, note=note, at=now)


# ----------------------------------------------------------------------------- dispatch
def _top_crew(rec: StoredRecommendation | None) -> int | None:
    top = rec.top if rec is not None else None
    return top.crew_id if top is not None else None


def _preempt(db: Session, actor: Actor, previous: WorkOrder, by: Ticket, now: datetime) -> None:
    """R7.6: a crew not yet on site at class-2/3 work is diverted to a class 1; its order goes back to
    the head of the same crew's queue (its visit's stamps cleared, the audit event keeps them).

    The step flushes, which frees the crew's one current-order slot before the new order is inserted.
    """
    before = lifecycle.apply(db, actor, previous, Step.PREEMPT, now, rank=head_rank(db, previous.crew_id))
    _audit(db, actor, "order.preempt", previous, now, before=before,
           after={**order_state(previous), "preempted_by": by.ticket_no})


def _emergency(ticket: Ticket) -> bool:
    return TicketClass(ticket.ticket_class) is TicketClass.EMERGENCY


def _queue_index(db: Session, ticket: Ticket, crew_id: int, position: int | None, now: datetime) -> int:
    """Where a confirmed order waits in a busy crew's queue (0 = next), R7.6.

    A class 1 goes first (behind any class 1 already queued there: they were confirmed first). Any
    other goes at ``position`` (1 = next) if given, else where the plan in force puts it, else last.
    """
    queue = queued_orders(db, crew_id)
    if _emergency(ticket):
        return sum(1 for o in queue if _emergency(o.ticket))
    if position is None:
        position = plan_queue_position(db, crew_id, ticket.id, [o.ticket_id for o in queue], now)
    return len(queue) if position is None else position - 1


def _position(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise ServiceError("queue.position", "position")
    return value


def confirm_dispatch(
    db: Session,
    actor: Actor,
    ticket_id: int,
    crew_id: int,
    recommendation_id: int | None,
    now: datetime,
    override_reason: str | None = None,
    *,
    position: int | None = None,
    auto: bool = False,
    _action: str = "dispatch.confirm",
) -> WorkOrder:
    """R7.1: send ``crew_id`` to the ticket; choosing other than the top recommendation needs a reason.

    The order keeps the recommended crew and the whole recommendation as it was shown (R13.1), and the
    decision ("followed", "override" or "auto" for R7.3), with ``missing_skill`` when the crew lacks
    the skill the ticket needs (an override the panel warned about; the order still goes). R7.6: a free crew gets the order as its
    current one; a busy crew gets it queued (status ``queued``, dispatched at this confirmation) at
    ``position`` (1 = next), else where the plan in force puts it, else last. A class 1 never waits
    behind work not started: a crew on its way to class-2/3 work is diverted and that order goes
    back to the head of the crew's queue; a crew on site (or on another class 1) is never pulled
    off, and the class 1 comes first in its queue. A double dispatch (two orders for a ticket, two
    current orders or one queue rank for a crew) is refused by the database's partial unique
    indexes (``IntegrityError``, a ``ConflictError`` at the edge), whatever the application checked.
    """
    lifecycle.authorize(actor, Step.DISPATCH)
    check_aware(now, "now")
    position = _position(position)
    ticket = db.get(Ticket, ticket_id) if is_id(ticket_id) else None
    if ticket is None:
        raise NotFoundError("ticket.not_found", "ticket_id")
    crew = db.get(Crew, crew_id) if is_id(crew_id) else None
    if crew is None:
        raise NotFoundError("crew.not_found", "crew_id")
    rec = None
    if recommendation_id is not None:
        row = db.get(Recommendation, recommendation_id) if is_id(recommendation_id) else None
        if row is None or row.ticket_id != ticket.id:
            raise NotFoundError("recommendation.not_found", "recommendation_id")
        rec = StoredRecommendation.from_row(row)
    if ticket.status is not TicketStatus.NEW:
        raise ConflictError("ticket.not_waiting", "status", {"status": ticket.status.value})
    if not crew.active or crew.status in (CrewStatus.OFF_SHIFT, CrewStatus.UNAVAILABLE):
        raise ConflictError("crew.off_shift", "crew_id")
    top = _top_crew(rec)
    reason = override_reason.strip() if isinstance(override_reason, str) and override_reason.strip() else None
    if top != crew.id and reason is None:
        raise ServiceError("dispatch.override_reason", "override_reason")

    current = db.scalar(sa.select(WorkOrder).where(WorkOrder.crew_id == crew.id, order_is_current()))
    if current is None:  # a queue without a current order: its head goes first (R7.6)
        current = lifecycle.promote_next(db, actor, crew.id, now)
    rank = None
    if current is not None:
        divertible = (_emergency(ticket) and not _emergency(current.ticket)
                      and TRANSITIONS[Step.PREEMPT].allows(current.status))
        if divertible:
            _preempt(db, actor, current, ticket, now)
        else:
            rank = rank_at(db, crew.id, _queue_index(db, ticket, crew.id, position, now))

    option = rec.option_for(crew.id) if rec is not None else None
    shown = None if rec is None else rec.to_record()
    decision = "auto" if auto else ("followed" if top == crew.id else "override")
    # An override may send a crew without the skill the ticket needs: allowed (the dispatcher was
    # warned before confirming), but the decision keeps it, so a later review sees it (R13.1).
    lacking = missing_skill(ticket.ticket_class, ticket.symptom, crew.skills or ())
    kept = {"decision": decision, **({"missing_skill": lacking.value} if lacking is not None else {})}
    pre_alert = db.scalar(sa.select(Alert.created_at).where(
        Alert.ticket_id == ticket.id, Alert.kind == AlertKind.PRE_ALERT, Alert.crew_id == crew.id)
        .order_by(Alert.id))
    order = WorkOrder(
        ticket_id=ticket.id, crew_id=crew.id,
        recommended_crew_id=top,
        recommendation=None if shown is None and lacking is None else {**(shown or {}), **kept},
        override_reason=reason if decision == "override" else None, auto_dispatched=auto,
        pre_alerted_at=pre_alert, dispatched_by_id=actor.user_id,
        eta_seconds_at_dispatch=max(0, option.eta_s - rec.now_s) if option is not None and rec is not None else None,
    )
    lifecycle.apply(db, actor, order, Step.DISPATCH if rank is None else Step.QUEUE, now, rank=rank)
    clear_for_order(db, actor, crew, order.id, now)  # work to do: no more waiting where the office said
    note = reason
    if auto:
        note = ("auto-dispatched by the system: nobody confirmed a crew within "
                f"{rules.get_rule_settings().class1_auto_dispatch_minutes} min of the report (R7.3)")
    _audit(db, actor, _action, order, now, after={**order_state(order), **kept, "recommended_crew_id": top},
           recommendation=shown, note=note)
    request_replan(db, now, ReplanReason.REASSIGN if _action in ("order.reassign", "order.move")
                   else ReplanReason.CONFIRM)
    return order


# ----------------------------------------------------------------------------- crew steps
def _open(db: Session, actor: Actor, step: Step, order_id: int, now: datetime, version: int | None) -> WorkOrder:
    """The checks every crew step starts with: the right, the time, the order and version, the crew, the status."""
    lifecycle.authorize(actor, step)
    check_aware(now, "now")
    order = _order(db, order_id, version)
    lifecycle.authorize_order(db, actor, order, step)
    lifecycle.expect(order, step)
    return order


def _step(db: Session, actor: Actor, step: Step, order_id: int, now: datetime,
          version: int | None) -> tuple[WorkOrder, dict[str, Any] | None]:
    """Open the order and take ``step``; returns the order and its state before, for the audit event."""
    order = _open(db, actor, step, order_id, now, version)
    return order, lifecycle.apply(db, actor, order, step, now)


def acknowledge(db: Session, actor: Actor, order_id: int, now: datetime, *, version: int | None = None) -> WorkOrder:
    """R7.2: the crew has the order and is preparing; a late acknowledgement is recorded as such."""
    order, before = _step(db, actor, Step.ACKNOWLEDGE, order_id, now, version)
    ack_by = rules.escalation_times(order.ticket.ticket_class, order.ticket.received_at, order.current_since).ack_by
    late = ack_by is not None and now > ack_by
    _audit(db, actor, "order.acknowledge", order, now, before=before,
           after={**order_state(order), "late": late,
                  "seconds_after_dispatch": int((now - order.dispatched_at).total_seconds())})
    return order


def depart(db: Session, actor: Actor, order_id: int, now: datetime, *, version: int | None = None) -> WorkOrder:
    """The crew leaves for the site (R8.1 re-check done): the R6.1 departure for a class 1."""
    order, before = _step(db, actor, Step.DEPART, order_id, now, version)
    ticket = order.ticket
    late = ticket.depart_deadline is not None and now > ticket.depart_deadline
    _audit(db, actor, "order.depart", order, now, before=before, after={**order_state(order), "late": late})
    return order


def arrive(db: Session, actor: Actor, order_id: int, now: datetime, *, version: int | None = None) -> WorkOrder:
    """R8.2: the crew is on site and confirms the fault with the customer."""
    order, before = _step(db, actor, Step.ARRIVE, order_id, now, version)
    _audit(db, actor, "order.arrive", order, now, before=before, after=order_state(order))
    return order


def record_reading(db: Session, actor: Actor, order_id: int, ppm: float, measured_at: datetime, now: datetime, *,
                   version: int | None = None) -> GasReading:
    """R8.3: a gas detector reading on site, with the time it was taken (before any other work)."""
    order = _open(db, actor, Step.RECORD_READING, order_id, now, version)
    problems = Problems()
    if isinstance(ppm, bool) or not isinstance(ppm, int | float) or not math.isfinite(ppm) or ppm < 0:
        problems.add("reading.ppm", "ppm")
    if not isinstance(measured_at, datetime) or measured_at.tzinfo is None:
        problems.add("aware_time_required", "measured_at")
    elif measured_at > now + timedelta(minutes=1) or (order.arrived_at and measured_at < order.arrived_at):
        problems.add("reading.window", "measured_at")
    problems.raise_if_any()
    reading = GasReading(work_order_id=order.id, ppm=float(ppm), measured_at=measured_at, recorded_at=now,
                         recorded_by_id=actor.user_id)
    db.add(reading)
    db.flush()
    _audit(db, actor, "order.reading", order, now, after={"ppm": float(ppm), "measured_at": measured_at,
                                                          "reading_id": reading.id})
    return reading


# ----------------------------------------------------------------------------- the repair record
@dataclass(frozen=True)
class RepairIn:
    """R9.1 as the crew page and the API send it; ``parts`` items are ``{"code": ..., "qty": n}``."""

    cause: str | None = None
    measures: str | None = None
    parts: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    result: RepairResult | str = RepairResult.FIXED
    customer_name: str | None = None
    customer_confirmed: bool = False
    customer_confirmed_at: datetime | None = None
    safety_advice_given: bool = False
    gas_restored_after_check: bool = False


def _parts(items: Any, problems: Problems) -> list[dict[str, Any]]:
    """R8.4: every part from the parts list, meeting the standard, with a positive quantity."""
    if not isinstance(items, list | tuple):
        problems.add("parts.list_required", "parts")
        return []
    out = []
    for i, item in enumerate(items):
        name = f"parts[{i}]"
        code = item.get("code") if isinstance(item, Mapping) else None
        qty = item.get("qty", 1) if isinstance(item, Mapping) else None
        part = PARTS.get(code) if isinstance(code, str) else None
        if part is None:
            problems.add("parts.unknown", name)
        elif not part.meets_standard:
            problems.add("parts.not_standard", name)
        elif isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
            problems.add("parts.quantity", name)
        else:
            out.append({"code": part.code, "name": part.name, "standard": part.standard, "qty": qty})
    return out


def _first_reading(db: Session, order: WorkOrder) -> GasReading | None:
    return db.scalar(sa.select(GasReading).where(GasReading.work_order_id == order.id)
                     .order_by(GasReading.measured_at, GasReading.id))


def _text(value: Any, name: str, problems: Problems) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.add("required", name)
        return None
    if len(value) > 4000:
        problems.add("too_long", name)
        return None
    return value.strip()


def _callbacks(db: Session, order: WorkOrder, now: datetime) -> list[FollowUp]:
    """R10.1/R10.2: one callback per reporter of the ticket (R5.6), due 48 h (class 1) or 24 h after."""
    ticket = order.ticket
    due = rules.callback_due(ticket.ticket_class, now)
    first = rules.callback_order_key(ticket.ticket_class, due)[0]
    reporters = [r.id for r in ticket.reporters] or [None]
    tasks = [FollowUp(work_order_id=order.id, ticket_id=ticket.id, reporter_id=rid, due_at=due, priority=first,
                      created_at=now) for rid in reporters]
    db.add_all(tasks)
    return tasks


def _close_order(db: Session, actor: Actor, order: WorkOrder, rec: RepairRecord, now: datetime, step: Step,
                 action: str, note: str | None) -> WorkOrder:
    """File the record and close the order; the ticket's status follows the result (``TICKET_AFTER_REPAIR``)."""
    db.add(rec)
    tasks = _callbacks(db, order, now)  # R10.1: every completed order, whatever its result
    before = lifecycle.apply(db, actor, order, step, now, result=rec.result)
    _audit(db, actor, action, order, now, before=before,
           after={**order_state(order), "repair_record": snapshot(rec), "ticket_status": order.ticket.status,
                  "callback_ids": [t.id for t in tasks]}, note=note)
    request_replan(db, now, ReplanReason.CREW_FREE)
    return order


def complete(db: Session, actor: Actor, order_id: int, repair: RepairIn, now: datetime, *,
             version: int | None = None) -> WorkOrder:
    """R9: finish the order with its full repair record; refused without one (every missing field named).

    A class 1 is refused without a detector reading (R8.3, field ``gas_reading``), and ``fixed``
    without the gas restored after the safety check (R8.6, ``gas_restored_after_check``). With result
    ``fixed`` the ticket leaves the open queue; "not fixed" or "needs follow-up" put it back in the
    queue for another visit. Either way the order gets its R10 callbacks (R10.1: every completed order).
    """
    order = _open(db, actor, Step.COMPLETE, order_id, now, version)
    problems = Problems()
    cause = _text(repair.cause, "cause", problems)
    measures = _text(repair.measures, "measures", problems)
    parts = _parts(repair.parts, problems)
    try:
        result = RepairResult(repair.result)
    except ValueError:
        problems.add("repair.result", "result")
        result = RepairResult.FIXED
    name = _text(repair.customer_name, "customer_name", problems)
    if repair.customer_confirmed is not True:
        problems.add("repair.customer_confirmation", "customer_confirmed")
    confirmed_at = repair.customer_confirmed_at or now
    if not isinstance(confirmed_at, datetime) or confirmed_at.tzinfo is None:
        problems.add("aware_time_required", "customer_confirmed_at")
    if repair.safety_advice_given is not True:
        problems.add("repair.safety_advice", "safety_advice_given")
    if result is RepairResult.FIXED and "result" not in problems and repair.gas_restored_after_check is not True:
        problems.add("repair.gas_not_restored", "gas_restored_after_check")
    reading = _first_reading(db, order)
    if TicketClass(order.ticket.ticket_class) is TicketClass.EMERGENCY and reading is None:
        problems.add("reading.required_to_complete", "gas_reading")
    problems.raise_if_any()
    rec = RepairRecord(
        work_order_id=order.id, cause=cause, measures=measures, parts_replaced=parts, result=result,
        customer_confirmation=f"{name}; confirmed {confirmed_at.isoformat()}",
        gas_reading_ppm=reading.ppm if reading else None, gas_reading_at=reading.measured_at if reading else None,
        safety_advice_given=True, gas_restored_after_check=bool(repair.gas_restored_after_check),
        completed_at=now, filed_by_id=actor.user_id,
    )
    return _close_order(db, actor, order, rec, now, Step.COMPLETE, "order.complete", None)


def not_fixed(db: Session, actor: Actor, order_id: int, reason: str, now: datetime, *,
              measures: str | None = None, version: int | None = None) -> WorkOrder:
    """The crew leaves without fixing it (parts, access, another trade): follow-up work is needed.

    The visit is closed with a repair record of result ``needs_follow_up`` naming the reason, and the
    ticket goes back to the dispatch queue; a class 1 still needs its R8.3 reading first.
    """
    order = _open(db, actor, Step.NOT_FIXED, order_id, now, version)
    text = _reason(reason, "reason")
    reading = _first_reading(db, order)
    if TicketClass(order.ticket.ticket_class) is TicketClass.EMERGENCY and reading is None:
        raise ServiceError("reading.required_first", "gas_reading")
    rec = RepairRecord(
        work_order_id=order.id, cause=text, measures=(measures or "").strip(), parts_replaced=[],
        result=RepairResult.NEEDS_FOLLOW_UP, customer_confirmation="",
        gas_reading_ppm=reading.ppm if reading else None, gas_reading_at=reading.measured_at if reading else None,
        completed_at=now, filed_by_id=actor.user_id,
    )
    return _close_order(db, actor, order, rec, now, Step.NOT_FIXED, "order.not_fixed", text)


# ----------------------------------------------------------------------------- office steps
def cancel(db: Session, actor: Actor, order_id: int, reason: str, now: datetime, *,
           version: int | None = None) -> WorkOrder:
    """Withdraw a crew from an order (dispatcher or supervisor, with a reason); the ticket is re-queued."""
    lifecycle.authorize(actor, Step.CANCEL)
    check_aware(now, "now")
    order = _order(db, order_id, version)
    text = _reason(reason, "reason")
    lifecycle.expect(order, Step.CANCEL)
    _withdraw(db, actor, order, Step.CANCEL, text, now)
    request_replan(db, now, ReplanReason.CANCEL)
    return order


def _withdraw(db: Session, actor: Actor, order: WorkOrder, step: Step, text: str, now: datetime) -> WorkOrder:
    """Cancel the order and free its crew; audited as ``order.cancel`` whether it is a cancel or a reassign."""
    before = lifecycle.apply(db, actor, order, step, now, reason=text)
    _audit(db, actor, "order.cancel", order, now, before=before, after=order_state(order), note=text)
    return order


def reassign(db: Session, actor: Actor, order_id: int, crew_id: int, reason: str, now: datetime, *,
             recommendation_id: int | None = None, version: int | None = None) -> WorkOrder:
    """Move an order to another crew (R7.3: the supervisor can still reassign), with a reason.

    The old order is cancelled with the reason and a new one confirmed for ``crew_id`` in the same
    transaction; the reason doubles as the override reason when the crew is not the recommended one.
    """
    lifecycle.authorize(actor, Step.REASSIGN)
    check_aware(now, "now")
    order = _order(db, order_id, version)
    text = _reason(reason, "reason")
    lifecycle.expect(order, Step.REASSIGN)
    if crew_id == order.crew_id:
        raise ConflictError("order.same_crew", "crew_id")
    if not is_id(crew_id) or db.get(Crew, crew_id) is None:
        raise NotFoundError("crew.not_found", "crew_id")
    ticket_id = order.ticket_id
    _withdraw(db, actor, order, Step.REASSIGN, f"reassigned: {text}", now)
    return confirm_dispatch(db, actor, ticket_id, crew_id, recommendation_id, now, override_reason=text,
                            _action="order.reassign")
