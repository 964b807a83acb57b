"""Crew queues (R7.6): each crew's current order and the confirmed orders waiting behind it, in order.

One read for the crew page, the schedule board and the API: one query for any number of crews (no
query per crew), plain frozen rows. ``position`` 0 is the current order, 1.. the queued ones in the
order the crew takes them (by ``queue_rank``). ``deadline`` is the ticket's next deadline (departure
for a class 1 not yet left, on-site target or limit, a class 3's slot end), so the crew sees what each
job races before it becomes current.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops import rules
from ops.models import Crew, Ticket, WorkOrder
from ops.queries import order_is_active
from ops.vocabulary import TicketClass, WorkOrderStatus

__all__ = ["CrewQueue", "QueueEntry", "crew_queues"]


@dataclass(frozen=True)
class QueueEntry:
    order_id: int
    ticket_id: int
    ticket_no: str
    ticket_class: int
    status: str
    position: int
    address: str | None
    lat: float | None
    lon: float | None
    #: The booked slot of a class 3 (R6.4), else ``None``.
    window_start: datetime | None
    window_end: datetime | None
    deadline: datetime | None
    version: int
    dispatched_at: datetime
    current_since: datetime | None


@dataclass(frozen=True)
class CrewQueue:
    crew_id: int
    crew_code: str
    current: QueueEntry | None
    queued: tuple[QueueEntry, ...] = field(default=())

    @property
    def entries(self) -> tuple[QueueEntry, ...]:
        """Every order of the crew in the order it takes them, the current one first."""
        return ((self.current,) if self.current is not None else ()) + self.queued


_COLUMNS = (
    Crew.id.label("crew_id"), Crew.code.label("crew_code"),
    WorkOrder.id.label("order_id"), WorkOrder.status, WorkOrder.queue_rank, WorkOrder.version_id,
    WorkOrder.dispatched_at, WorkOrder.current_since, WorkOrder.departed_at, WorkOrder.arrived_at,
    Ticket.id.label("ticket_id"), Ticket.ticket_no, Ticket.ticket_class, Ticket.address, Ticket.lat, Ticket.lon,
    Ticket.received_at, Ticket.depart_deadline, Ticket.dispatch_deadline, Ticket.onsite_target, Ticket.onsite_limit,
    Ticket.slot_start, Ticket.slot_end,
)


def _deadline(row: sa.Row, now: datetime | None) -> datetime | None:
    """The ticket's next deadline; without ``now``, the one of its stage (a class 2's on-site target)."""
    deadlines = rules.Deadlines.from_ticket(row)
    if now is not None:
        nxt = rules.next_deadline(deadlines, now, dispatched_at=row.dispatched_at, departed_at=row.departed_at,
                                  arrived_at=row.arrived_at)
        return nxt.at if nxt is not None else None
    if row.arrived_at is not None:
        return None
    cls = TicketClass(row.ticket_class)
    if cls is TicketClass.EMERGENCY:
        return deadlines.depart_by if row.departed_at is None else deadlines.onsite_target
    if cls is TicketClass.URGENT:
        return deadlines.onsite_target or deadlines.onsite_limit
    return deadlines.slot_end


def _entry(row: sa.Row, position: int, now: datetime | None) -> QueueEntry:
    scheduled = TicketClass(row.ticket_class) is TicketClass.SCHEDULED
    return QueueEntry(
        order_id=row.order_id, ticket_id=row.ticket_id, ticket_no=row.ticket_no, ticket_class=int(row.ticket_class),
        status=WorkOrderStatus(row.status).value, position=position, address=row.address, lat=row.lat, lon=row.lon,
        window_start=row.slot_start if scheduled else None, window_end=row.slot_end if scheduled else None,
        deadline=_deadline(row, now), version=row.version_id, dispatched_at=row.dispatched_at,
        current_since=row.current_since,
    )


def crew_queues(db: Session, crew_ids: Iterable[int] | None = None, *,
                now: datetime | None = None) -> dict[int, CrewQueue]:
    """Every active crew's queue (or those of ``crew_ids``, active or not), in one query.

    ``now`` makes ``deadline`` the one the board counts down to at that moment (a class 2 whose
    on-site target has passed shows its limit); without it, the deadline of the order's stage.
    """
    query = (sa.select(*_COLUMNS)
             .outerjoin(WorkOrder, sa.and_(WorkOrder.crew_id == Crew.id, order_is_active()))
             .outerjoin(Ticket, Ticket.id == WorkOrder.ticket_id))
    if crew_ids is None:
        query = query.where(Crew.active.is_(True))
    else:
        ids = sorted({int(i) for i in crew_ids})
        if not ids:
            return {}
        query = query.where(Crew.id.in_(ids))
    rows = db.execute(query.order_by(Crew.code, Crew.id, WorkOrder.queue_rank.is_not(None), WorkOrder.queue_rank,
                                     WorkOrder.id)).all()
    codes: dict[int, str] = {}
    current: dict[int, sa.Row] = {}
    queued: dict[int, list[sa.Row]] = {}
    for row in rows:
        codes[row.crew_id] = row.crew_code
        if row.order_id is None:
            continue
        if WorkOrderStatus(row.status) is WorkOrderStatus.QUEUED:
            queued.setdefault(row.crew_id, []).append(row)
        else:
            current[row.crew_id] = row
    return {
        crew_id: CrewQueue(
            crew_id=crew_id, crew_code=code,
            current=_entry(current[crew_id], 0, now) if crew_id in current else None,
            queued=tuple(_entry(r, i + 1, now) for i, r in enumerate(queued.get(crew_id, []))),
        )
        for crew_id, code in codes.items()
    }
