"""The work-order lifecycle (R7–R10) as one table that every step of :mod:`ops.services.work_orders` goes through.

A step moves an order from one of its ``sources`` to its ``target`` status, stamps the step's time
column, and leaves the ticket and the crew in the status that step implies. Kept by hand in each
service function, the three statuses could drift apart one step at a time; with one table, the map,
the board, the KPIs (R14.1) and a later dispute (R13.1) read one consistent story, and a test can
walk the whole lifecycle (``tests/unit/test_lifecycle.py``).

The table also says who may take each step: the action :func:`ops.permissions.require` checks,
whether only the office may take it (cancel, reassign), and whether a crew member may take it only
on its own crew's order. The services still validate their own input and write their own audit
event (its payload differs per step); :func:`apply` returns the order's state before, for that event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.audit import record, snapshot
from ops.errors import ConflictError, ForbiddenError
from ops.models import Crew, CrewMember, Ticket, WorkOrder
from ops.permissions import Actor, PermissionDenied, require
from ops.queries import ACTIVE_ORDER_STATUSES, order_is_current
from ops.queue_ranks import queued_orders
from ops.vocabulary import CrewStatus, RepairResult, Role, TicketStatus, WorkOrderStatus

__all__ = [
    "TICKET_AFTER_REPAIR",
    "TRANSITIONS",
    "Step",
    "Transition",
    "apply",
    "authorize",
    "authorize_order",
    "expect",
    "order_state",
    "promote_next",
]


class Step(StrEnum):
    """The steps of an order's life; a refused step is named by its key in ``ops.messages.WORDS``."""

    DISPATCH = "dispatch"              # R7.1/R7.3: a crew is confirmed for a waiting ticket
    QUEUE = "queue"                    # R7.6: confirmed for a busy crew, behind its current order
    PROMOTE = "promote"                # R7.6: the crew's current order ended; the next queued one is current
    ACKNOWLEDGE = "acknowledge"        # R7.2
    DEPART = "depart"                  # R6.1: the class-1 departure clock stops here
    ARRIVE = "arrive"                  # R8.2
    RECORD_READING = "record_reading"  # R8.3: on site, the order stays where it is
    COMPLETE = "complete"              # R9: the repair record filed, whatever its result
    NOT_FIXED = "not_fixed"            # the crew leaves it for a follow-up visit
    CANCEL = "cancel"                  # the office withdraws the crew
    REASSIGN = "reassign"              # the office withdraws the crew to dispatch another (R7.3)
    PREEMPT = "preempt"                # a class 1 takes the crew from class-2/3 work (R7.6: back to its queue's head)


#: R9.1: a fixed fault leaves the open queue (awaiting its R10 callback); anything else goes back
#: to the dispatch queue for another visit.
TICKET_AFTER_REPAIR: Mapping[RepairResult, TicketStatus] = MappingProxyType({
    RepairResult.FIXED: TicketStatus.COMPLETED,
    RepairResult.NOT_FIXED: TicketStatus.NEW,
    RepairResult.NEEDS_FOLLOW_UP: TicketStatus.NEW,
})

#: Roles that act on any crew's order; a crew member only on its own crew's.
_OFFICE = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})
#: Roles that may take the office-only steps.
_DISPATCHING = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM})


@dataclass(frozen=True)
class Transition:
    """One row of the lifecycle.

    ``sources`` holds ``None`` for an order not stored yet (dispatch creates it). ``target`` is
    ``None`` for a step that leaves the status as it is; ``ticket``/``crew`` ``None`` leave the
    ticket's or the crew's status alone (a preempted crew keeps going, to its new class 1).
    """

    step: Step
    sources: frozenset[WorkOrderStatus | None]
    target: WorkOrderStatus | None
    action: str
    stamp: str | None = None
    ticket: TicketStatus | None = None
    #: For the closing steps: the ticket's status by the repair result (replaces ``ticket``).
    ticket_by_result: Mapping[RepairResult, TicketStatus] | None = None
    crew: CrewStatus | None = None
    #: Only dispatchers, supervisors and the system may take it.
    office_only: bool = False
    #: A crew member may take it only on its own crew's order (the office on any).
    own_crew: bool = False
    #: Time columns the step clears: R7.6, a diverted order goes back to the queue as if not begun
    #: (the audit event keeps the interrupted visit's stamps).
    clears: tuple[str, ...] = ()

    @property
    def allowed(self) -> tuple[WorkOrderStatus, ...]:
        """The stored statuses it starts from, in declared order, so a refusal lists them the same way every time."""
        return tuple(s for s in WorkOrderStatus if s in self.sources)

    def allows(self, status: WorkOrderStatus | None) -> bool:
        return status in self.sources

    def ticket_after(self, result: RepairResult | str | None = None) -> TicketStatus | None:
        """The ticket's status after the step; a closing step needs the repair result to say it."""
        if self.ticket_by_result is None:
            return self.ticket
        if result is None:
            raise ValueError(f"the {self.step} step needs the repair result")
        return self.ticket_by_result[RepairResult(result)]


_ACTIVE = frozenset(ACTIVE_ORDER_STATUSES)
_QUEUED = frozenset({WorkOrderStatus.QUEUED})
_BEFORE_SITE = frozenset({WorkOrderStatus.DISPATCHED, WorkOrderStatus.ACKNOWLEDGED, WorkOrderStatus.EN_ROUTE})
_ON_SITE = frozenset({WorkOrderStatus.ON_SITE})
#: What a diverted order forgets: it is no longer begun, so neither is its R7.2 clock.
_VISIT_STAMPS = ("current_since", "acknowledged_at", "departed_at", "arrived_at", "escalated_at")

TRANSITIONS: Mapping[Step, Transition] = MappingProxyType({t.step: t for t in (
    Transition(Step.DISPATCH, frozenset({None}), WorkOrderStatus.DISPATCHED, "dispatch.confirm",
               stamp="dispatched_at", ticket=TicketStatus.DISPATCHED,
               crew=CrewStatus.DISPATCHED),
    # R7.6: a queued order counts as dispatched at its confirmation (its ticket says so too); its crew
    # keeps doing what it does.
    Transition(Step.QUEUE, frozenset({None}), WorkOrderStatus.QUEUED, "dispatch.confirm",
               stamp="dispatched_at", ticket=TicketStatus.DISPATCHED),
    # Never authorized on its own: it runs inside the step that ended the crew's current order
    # (whoever took that step), see :func:`promote_next`.
    Transition(Step.PROMOTE, _QUEUED, WorkOrderStatus.DISPATCHED, "dispatch.confirm",
               stamp="current_since", ticket=TicketStatus.DISPATCHED, crew=CrewStatus.DISPATCHED),
    Transition(Step.ACKNOWLEDGE, frozenset({WorkOrderStatus.DISPATCHED}), WorkOrderStatus.ACKNOWLEDGED,
               "order.acknowledge", stamp="acknowledged_at", ticket=TicketStatus.ACKNOWLEDGED, own_crew=True),
    Transition(Step.DEPART, frozenset({WorkOrderStatus.ACKNOWLEDGED}), WorkOrderStatus.EN_ROUTE,
               "order.update_status", stamp="departed_at", ticket=TicketStatus.EN_ROUTE,
               crew=CrewStatus.EN_ROUTE, own_crew=True),
    Transition(Step.ARRIVE, frozenset({WorkOrderStatus.EN_ROUTE}), WorkOrderStatus.ON_SITE,
               "order.update_status", stamp="arrived_at", ticket=TicketStatus.ON_SITE,
               crew=CrewStatus.ON_SITE, own_crew=True),
    Transition(Step.RECORD_READING, _ON_SITE, None, "repair.file", own_crew=True),
    Transition(Step.COMPLETE, _ON_SITE, WorkOrderStatus.COMPLETED, "repair.file", stamp="completed_at",
               ticket_by_result=TICKET_AFTER_REPAIR,
               crew=CrewStatus.AVAILABLE, own_crew=True),
    Transition(Step.NOT_FIXED, _ON_SITE, WorkOrderStatus.COMPLETED, "repair.file", stamp="completed_at",
               ticket_by_result=TICKET_AFTER_REPAIR,
               crew=CrewStatus.AVAILABLE, own_crew=True),
    Transition(Step.CANCEL, _ACTIVE, WorkOrderStatus.CANCELLED, "order.update_status", stamp="cancelled_at",
               ticket=TicketStatus.NEW, crew=CrewStatus.AVAILABLE,
               office_only=True),
    Transition(Step.REASSIGN, _BEFORE_SITE | _QUEUED, WorkOrderStatus.CANCELLED, "dispatch.confirm",
               stamp="cancelled_at", ticket=TicketStatus.NEW, crew=CrewStatus.AVAILABLE,
               office_only=True),
    # R7.6: the diverted order goes back to the head of the same crew's queue, not back to the open queue.
    Transition(Step.PREEMPT, _BEFORE_SITE, WorkOrderStatus.QUEUED, "dispatch.confirm",
               ticket=TicketStatus.DISPATCHED, clears=_VISIT_STAMPS),
)})


# ----------------------------------------------------------------------------- who may
def authorize(actor: Actor, step: Step) -> None:
    """The step's right (``require``) and, for an office-only step, the office role; before the order is read."""
    t = TRANSITIONS[step]
    require(actor, t.action)
    if t.office_only and not actor.roles & _DISPATCHING:
        raise PermissionDenied(actor, f"order.{step.value}", "order.office_only", {"step": step.value})


def authorize_order(db: Session, actor: Actor, order: WorkOrder, step: Step) -> None:
    """A crew member may take a crew step only on its own crew's order; the office and the system on any."""
    if not TRANSITIONS[step].own_crew or actor.roles & _OFFICE:
        return
    member = actor.user_id is not None and db.scalar(sa.select(CrewMember.id).where(
        CrewMember.user_id == actor.user_id, CrewMember.crew_id == order.crew_id)) is not None
    if not member:
        raise ForbiddenError("order.other_crew", "work_order_id")


def expect(order: WorkOrder, step: Step) -> None:
    """Refuse a step the order's status does not allow (``order.wrong_step``, 409)."""
    t = TRANSITIONS[step]
    if not t.allows(order.status):
        raise ConflictError("order.wrong_step", "status", {
            "step": step.value, "status": None if order.status is None else order.status.value,
            "allowed": [s.value for s in t.allowed]})


# ----------------------------------------------------------------------------- the move
def order_state(order: WorkOrder) -> dict[str, Any]:
    """The columns a lifecycle audit event records before and after a step."""
    return snapshot(order, ["status", "crew_id", "ticket_id", "queue_rank", "current_since", "acknowledged_at",
                            "departed_at", "arrived_at", "completed_at", "cancelled_at", "escalated_at",
                            "version_id"])


def apply(db: Session, actor: Actor, order: WorkOrder, step: Step, now: datetime, *,
          result: RepairResult | str | None = None, reason: str | None = None,
          rank: int | None = None) -> dict[str, Any] | None:
    """Take ``step`` on ``order``: its status and time stamp, its ticket's status and its crew's.

    A new order (dispatch) is added to the session. ``result`` is the repair result of a closing
    step; ``reason`` the cancel reason an order that ends cancelled must carry; ``rank`` the queue
    rank of a step that puts the order in its crew's queue (R7.6). The changes are flushed before
    the crew's status moves, so that a freed current-order slot is free for the order that follows.

    The crew's status follows only its *current* order: an order entering or leaving the queue
    leaves it alone. When the crew's current order ends (completed, cancelled, reassigned), its next
    queued order is promoted in the same transaction (:func:`promote_next`) and the crew goes on to
    it. Returns the order's state before (``None`` for a new order).
    """
    t = TRANSITIONS[step]
    expect(order, step)
    if t.target is WorkOrderStatus.CANCELLED and not reason:
        raise ValueError(f"the {step} step needs a cancel reason")
    if (t.target is WorkOrderStatus.QUEUED) != (rank is not None):
        raise ValueError(f"the {step} step {'needs' if rank is None else 'takes no'} queue rank")
    ticket_status = t.ticket_after(result)
    new = order.status is None
    was_current = not new and order.status.is_current
    before = None if new else order_state(order)
    if t.target is not None:
        order.status = t.target
        order.queue_rank = rank
        if t.target.is_current and not was_current:
            order.current_since = now
    if t.stamp is not None:
        setattr(order, t.stamp, now)
    for column in t.clears:
        setattr(order, column, None)
    if t.target is WorkOrderStatus.CANCELLED:
        order.cancel_reason = reason
    if new:
        db.add(order)
    ticket = order.ticket if order.ticket is not None else db.get(Ticket, order.ticket_id)
    if ticket_status is not None:
        ticket.status = ticket_status
    db.flush()
    ended = was_current and t.target is not None and not t.target.is_active
    if ended and promote_next(db, actor, order.crew_id, now) is not None:
        return before  # the crew goes on to its next order (the promotion set its status)
    follows = t.target is not None and (t.target.is_current or ended)
    if t.crew is not None and follows:
        crew = order.crew if order.crew is not None else db.get(Crew, order.crew_id)
        _crew_status(db, actor, crew, t.crew, now, ticket.ticket_no)
    return before


def promote_next(db: Session, actor: Actor, crew_id: int, now: datetime) -> WorkOrder | None:
    """R7.6: the crew's next queued order becomes its current one (``current_since = now``), audited
    as ``order.promote``; ``None`` when the queue is empty or the crew still has a current order.

    Called in the transaction of the step that ended the current order, after its flush, so the
    crew's one current-order slot is free; a concurrent promotion of the same order is refused by
    that unique index (and the version column).
    """
    if db.scalar(sa.select(WorkOrder.id).where(WorkOrder.crew_id == crew_id, order_is_current())) is not None:
        return None
    queue = queued_orders(db, crew_id)
    if not queue:
        return None
    head = queue[0]
    before = apply(db, actor, head, Step.PROMOTE, now)
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="order.promote", entity="work_order",
           entity_id=head.id, before=before, after=order_state(head), at=now)
    return head


def _crew_status(db: Session, actor: Actor, crew: Crew, status: CrewStatus, now: datetime,
                 ticket_no: str) -> None:
    """The crew's map status follows its order; written here (not via crews.set_status) because an
    API token scoped to one action may not hold ``crew.set_status``, and the order step is what the
    actor is entitled to. The event names the ticket as a value, not in an English note, so the
    audit page can show it in the reader's language."""
    if crew.status is status:
        return
    before = crew.status
    crew.status = status
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="crew.set_status", entity="crew",
           entity_id=crew.id, before={"status": before}, after={"status": status, "ticket_no": ticket_no}, at=now)
