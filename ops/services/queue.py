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
from ops.errors import ConflictError, NotFoundError, ServiceError, check_aware, is_id
from ops.lifecycle import Step, order_state
from ops.models import Crew, WorkOrder
from ops.permissions import Actor
from ops.queue_ranks import queued_orders, rank_at
from ops.services.replan import ReplanReason, request_replan
from ops.services.work_orders import _audit, _order, _position, _reason, confirm_dispatch
from ops.vocabulary import WorkOrderStatus

__all__ = ["move_order"]


def _text(reason: str | None) -> str | None:
    """The reason if one was given: a move asks for one only in some cases (see :func:`move_order`)."""
    return None if reason is None or (isinstance(reason, str) and not reason.strip()) else _reason(reason, "reason")


def _audit_move(db: Session, actor: Actor, order: WorkOrder, now: datetime, before: dict | None, note: str | None,
                **extra: object) -> None:
    _audit(db, actor, "order.move", order, now, before=before, after={**order_state(order), **extra}, note=note)


def move_order(db: Session, actor: Actor, order_id: int, now: datetime, *, crew_id: int | None,
               position: int | None, reason: str | None, version: int | None = None) -> WorkOrder | None:
    """Move a confirmed order; returns the order that holds the ticket afterwards (``None``: unassigned).

    - ``crew_id`` = the order's crew: to ``position`` (1 = next) of its queue. A current order not
      yet on site goes back into the queue and the crew's next order becomes current (with a reason).
    - another crew: the order is withdrawn and confirmed for that crew at ``position`` (default: where
      the plan in force puts it, else last; a free crew takes it at once; a class 1 diverts as R7.6
      says), against the recommendation the order kept, so the new order keeps it too (R13.1).
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
        _audit_move(db, actor, order, now, before, text, to_crew_id=None)
        request_replan(db, now, ReplanReason.CANCEL)
        return None
    lifecycle.expect(order, Step.REASSIGN)  # a crew on site is never pulled off its job (R7.6)
    if crew_id == order.crew_id:
        moved = _within(db, actor, order, now, position, text, current)
        request_replan(db, now, ReplanReason.REASSIGN)
        return moved
    if text is None and (current or crew_id != order.recommended_crew_id):
        raise ServiceError("reason_required", "reason")
    ticket_id = order.ticket_id
    before = lifecycle.apply(db, actor, order, Step.REASSIGN, now, reason=f"moved: {text or 'to another crew'}")
    _audit_move(db, actor, order, now, before, text, to_crew_id=crew_id)
    shown = (order.recommendation or {}).get("recommendation_id")
    return confirm_dispatch(db, actor, ticket_id, crew_id, shown, now, override_reason=text, position=position,
                            _action="order.move")


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
        _audit_move(db, actor, order, now, before, text, to_crew_id=order.crew_id, position=position,
               promoted_order_id=promoted.id if promoted is not None else None)
        return order
    if order.status is not WorkOrderStatus.QUEUED:  # pragma: no cover - expect() above allows no other
        raise ConflictError("order.wrong_step", "status")
    before = order_state(order)
    order.queue_rank = rank_at(db, order.crew_id, position - 1, exclude=order.id)
    db.flush()
    _audit_move(db, actor, order, now, before, text, to_crew_id=order.crew_id, position=position)
    return order
