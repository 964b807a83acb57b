"""Ranks inside a crew's queue (R7.6): where a confirmed order waits behind the crew's current one.

Queued orders are ordered by ``queue_rank`` with gaps of :data:`ops.models.QUEUE_RANK_GAP`, so an
insertion takes the middle of its neighbours and seldom touches another row. SQLite has no deferrable
unique constraint, so when two neighbours have no room left between them the queue is renumbered
through ranks above every final one (each row flushed on its own), never through a collision. Two
dispatchers inserting into one crew's queue at once compute the same rank: the partial unique index
on (crew_id, queue_rank) refuses the second, which the caller sees as a ``ConflictError``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.models import QUEUE_RANK_GAP, WorkOrder
from ops.vocabulary import WorkOrderStatus

__all__ = ["head_rank", "queued_orders", "rank_at"]


def queued_orders(db: Session, crew_id: int) -> list[WorkOrder]:
    """The crew's queued orders, next first."""
    return list(db.scalars(sa.select(WorkOrder).where(WorkOrder.crew_id == crew_id,
                                                      WorkOrder.status == WorkOrderStatus.QUEUED)
                           .order_by(WorkOrder.queue_rank, WorkOrder.id)))


def head_rank(db: Session, crew_id: int) -> int:
    """A rank before every queued order of the crew (the head of its queue)."""
    return rank_at(db, crew_id, 0)


def rank_at(db: Session, crew_id: int, index: int, *, exclude: int | None = None) -> int:
    """The rank that puts an order at ``index`` (0 = next) of the crew's queue; past the end = at the end.

    ``exclude`` is an order already in that queue that is being moved (its own rank does not count).
    """
    everyone = queued_orders(db, crew_id)
    queue = [o for o in everyone if o.id != exclude]
    index = max(0, min(index, len(queue)))
    before = queue[index - 1].queue_rank if index > 0 else None
    after = queue[index].queue_rank if index < len(queue) else None
    if before is None and after is None:
        return 0
    if after is None:
        assert before is not None
        return before + QUEUE_RANK_GAP
    if before is None:
        return after - QUEUE_RANK_GAP
    if after - before > 1:
        return (before + after) // 2
    parked = [o for o in everyone if o.id == exclude]
    _renumber(db, queue, parked, max(o.queue_rank or 0 for o in everyone))
    return (index - 1) * QUEUE_RANK_GAP + QUEUE_RANK_GAP // 2


def _renumber(db: Session, queue: list[WorkOrder], parked: list[WorkOrder], highest: int) -> None:
    """Spread the queue out again (ranks ``i * GAP``) without two rows ever sharing a rank: first
    above every rank in use (``highest``) and every final one, then down to the final ones. An order
    being moved (``parked``) stays above them all until its caller gives it its new rank."""
    top = max(highest, len(queue) * QUEUE_RANK_GAP) + QUEUE_RANK_GAP
    for i, order in enumerate(parked):
        order.queue_rank = top + len(queue) + i
        db.flush()
    for ranks in ([top + i for i in range(len(queue))], [i * QUEUE_RANK_GAP for i in range(len(queue))]):
        for order, rank in zip(queue, ranks, strict=True):
            order.queue_rank = rank
            db.flush()
