"""Moving a confirmed order on the board (R7.6): to another place in its crew's queue, to another
crew, or back to unassigned.

One service for the three moves, so the board, the API and today's ``reassign`` share one set of
checks: the office only (``dispatch.confirm``, as reassign), a crew on site is never pulled off its
job, and a reason wherever the rules ask for one (moving a crew's current order off it, unassigning,
or sending it to a crew other than the one recommended, R7.1). Every move is one audit event
``order.move``; the crew left behind goes on to its next queued order in the same transaction
(:func:`ops.lifecycle.promote_next`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ops import lifecycle
from ops.audit import record
from ops.errors import ConflictError, NotFoundError, ServiceError, check_aware, is_id
from ops.lifecycle import Step, order_state
from ops.models import Crew, WorkOrder
from ops.permissions import Actor
from ops.queue_ranks import queued_orders, rank_at
from ops.services.work_orders import confirm_dispatch
from ops.vocabulary import WorkOrderStatus

__all__ = ["move_order"]


def _order(db: Session, order_id: int, version: int | None) -> WorkOrder:
    order = db.get(WorkOrder, order_id) if is_id(order_id) else None
    if order is None:
        raise NotFoundError("order.not_found", "work_order_id")
    if version is not None and version != order.version_id:
        raise ConflictError("order.stale", "version", {"version": order.version_id})
    return order


def _text(reason: str | None) -> str | None:
    if reason is None:
        return None
    if not isinstance(reason, str):
        raise ServiceError("text_required", "reason")
    if len(reason) > 2000:
        raise ServiceError("too_long", "reason")
    return reason.strip() or None


def _position(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise ServiceError("queue.position", "position")
    return value


def _audit(db: Session, actor: Actor, order: WorkOrder, now: datetime, before: dict, note: str | None,
           **extra: object) -> None:
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="order.move", entity="work_order",
           entity_id=order.id, before=before, after={**order_state(order), **extra}, note=note, at=now)


def move_order(db: Session, actor: Actor, order_id: int, now: datetime, *, crew_id: int | None,
               position: int | None, reason: str | None, version: int | None = None) -> WorkOrder | None:
    """Move a confirmed order; returns the order that holds the ticket afterwards (``None``: unassigned).

    - ``crew_id`` = the order's crew: to ``position`` (1 = next) of its queue. A current order not
      yet on site goes back into the queue and the crew's next order becomes current (with a reason).
    - another crew: the order is withdrawn and confirmed for that crew at ``position`` (default: the
      end of its queue; a free crew takes it at once; a class 1 diverts as R7.6 says).
    - ``None``: back to unassigned (the order is cancelled, the ticket waits for a crew again).
    """
    lifecycle.authorize(actor, Step.REASSIGN)
    check_aware(now, "now")
    order = _order(db, order_id, version)
    text = _text(reason)
    position = _position(position)
    if crew_id is not None and (not is_id(crew_id) or db.get(Crew, crew_id) is None):
        raise NotFoundError("crew.not_found", "crew_id")
    current = order.status.is_current
    if crew_id is None:
        lifecycle.expect(order, Step.CANCEL)
        if text is None:
            raise ServiceError("reason_required", "reason")
        before = lifecycle.apply(db, actor, order, Step.CANCEL, now, reason=f"unassigned: {text}")
        _audit(db, actor, order, now, before, text, to_crew_id=None)
        return None
    lifecycle.expect(order, Step.REASSIGN)  # a crew on site is never pulled off its job (R7.6)
    if crew_id == order.crew_id:
        return _within(db, actor, order, now, position, text, current)
    if text is None and (current or crew_id != order.recommended_crew_id):
        raise ServiceError("reason_required", "reason")
    ticket_id = order.ticket_id
    before = lifecycle.apply(db, actor, order, Step.REASSIGN, now, reason=f"moved: {text or 'to another crew'}")
    _audit(db, actor, order, now, before, text, to_crew_id=crew_id)
    return confirm_dispatch(db, actor, ticket_id, crew_id, None, now, override_reason=text,
                            position=position if position is not None else 10_000, _action="order.move",
                            _reason_checked=True)


def _within(db: Session, actor: Actor, order: WorkOrder, now: datetime, position: int | None, text: str | None,
            current: bool) -> WorkOrder:
    """Another place in the same crew's queue."""
    if position is None:
        raise ServiceError("queue.position", "position")
    if current:
        if text is None:
            raise ServiceError("reason_required", "reason")
        if not queued_orders(db, order.crew_id):
            raise ConflictError("queue.nothing_behind", "position")
        before = lifecycle.apply(db, actor, order, Step.PREEMPT, now,
                                 rank=rank_at(db, order.crew_id, position, exclude=order.id))
        promoted = lifecycle.promote_next(db, actor, order.crew_id, now)
        _audit(db, actor, order, now, before, text, to_crew_id=order.crew_id, position=position,
               promoted_order_id=promoted.id if promoted is not None else None)
        return order
    if order.status is not WorkOrderStatus.QUEUED:  # pragma: no cover - expect() above allows no other
        raise ConflictError("order.wrong_step", "status")
    before = order_state(order)
    order.queue_rank = rank_at(db, order.crew_id, position - 1, exclude=order.id)
    db.flush()
    _audit(db, actor, order, now, before, text, to_crew_id=order.crew_id, position=position)
    return order
