"""The schedule board's read model: every crew on shift, its shift, and its shift as a timeline.

A crew's row holds its committed orders (the current one, then the queued ones in order) and the
plan in force's proposals for it (tickets nobody has confirmed yet that the plan puts on this crew).
Each bar is split into the drive and the work, with its ETA, its deadline (or class-3 slot) and
whether the plan has it late.

The times are the plan in force's (``ops.plan_in_force``): the scheduler replans every minute and
each click inserts into that plan, so the board shows what the recommendation works from instead of
computing a second, possibly different, timeline. Where the plan says nothing about a committed
order (no plan yet, or the order was confirmed after the plan was stored) its times are estimated
the way the crew list estimates them (``ops.reads.order_state.crew_board``): the ETA stored at
dispatch, then the symptom's expected service time. A crew on site works until its arrival plus
the expected service time, or until now when it has overrun.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.clock import from_epoch
from ops.expected_finish import onsite_finishes, service_seconds
from ops.models import Crew, Ticket, WorkOrder
from ops.plan_in_force import stored_routes
from ops.reads.crew_queue import CrewQueue, QueueEntry, crew_queues
from ops.rules import Deadlines, arrival_deadline
from ops.shifts import shift_in_force
from ops.vocabulary import CrewStatus, TicketClass, TicketStatus
from optimizer.dispatch_types import PlannedJob

__all__ = ["COMMITTED", "PROPOSED", "Bar", "CrewRoster", "CrewSchedule", "ScheduleBoard",
           "crew_roster", "schedule_board"]

COMMITTED = "committed"
PROPOSED = "proposed"

#: Crews shown on the board: those on shift (the same set the optimizer plans for).
ON_SHIFT = (CrewStatus.AVAILABLE, CrewStatus.DISPATCHED, CrewStatus.EN_ROUTE, CrewStatus.ON_SITE)
#: The drive assumed for a committed order the plan does not know, when no ETA was stored at dispatch.
FALLBACK_DRIVE = timedelta(minutes=15)

_TICKET_COLUMNS = (
    Ticket.id, Ticket.ticket_no, Ticket.ticket_class, Ticket.status, Ticket.symptom, Ticket.address, Ticket.lon,
    Ticket.lat, Ticket.received_at, Ticket.depart_deadline, Ticket.dispatch_deadline, Ticket.onsite_target,
    Ticket.onsite_limit, Ticket.slot_start, Ticket.slot_end,
)


@dataclass(frozen=True)
class Bar:
    """One job on a crew's timeline: drive from ``depart`` to ``eta``, work from ``start`` to ``end``.

    ``kind`` is :data:`COMMITTED` (a confirmed order; ``order_id`` set) or :data:`PROPOSED` (the plan
    in force's proposal; no order yet). ``position`` is 0 for the current order, 1.. for queued
    ones, and for a proposal its place on the plan's route. ``deadline`` is the one the arrival is
    judged against (R6.1 on-site target, R6.3, R6.4 slot end); ``window_*`` the class-3 slot.
    """

    kind: str
    crew_id: int
    ticket_id: int
    ticket_no: str
    ticket_class: int
    symptom: str
    address: str
    lon: float
    lat: float
    status: str
    position: int
    order_id: int | None
    order_version: int | None
    depart: datetime
    eta: datetime
    start: datetime
    end: datetime
    deadline: datetime | None
    deadline_label: str | None
    window_start: datetime | None
    window_end: datetime | None
    #: Seconds to spare per deadline name (negative: late), as ``optimizer.dispatch_types.slack_of``.
    slack_s: dict[str, int] = field(default_factory=dict)
    #: From the plan in force (``True``) or estimated from the order's stored facts (``False``).
    planned: bool = True

    @property
    def late(self) -> bool:
        return any(v < 0 for v in self.slack_s.values())

    @property
    def committed(self) -> bool:
        return self.kind == COMMITTED


@dataclass(frozen=True)
class CrewSchedule:
    crew_id: int
    code: str
    name: str
    status: str
    shift_start: datetime
    shift_end: datetime
    bars: tuple[Bar, ...]

    @property
    def committed(self) -> tuple[Bar, ...]:
        return tuple(b for b in self.bars if b.committed)

    @property
    def proposals(self) -> tuple[Bar, ...]:
        return tuple(b for b in self.bars if not b.committed)


@dataclass(frozen=True)
class ScheduleBoard:
    now: datetime
    #: When the plan in force was made and by whom (``None``: no plan younger than its maximum age).
    plan_at: datetime | None
    plan_source: str | None
    crews: tuple[CrewSchedule, ...]

    def bar_of(self, ticket_no: str) -> Bar | None:
        return next((b for c in self.crews for b in c.bars if b.ticket_no == ticket_no), None)


# ----------------------------------------------------------------------------- reads
def _committed_orders(db: Session, crew_ids: Sequence[int]) -> dict[int, list[tuple[Any, Any, int]]]:
    """Each crew's confirmed orders with their tickets, in queue order: (order row, ticket row, position).

    The order and the positions are the crew queues' (:func:`ops.reads.crew_queue.crew_queues`); one
    more query fetches what the timeline needs besides (the symptom, the ETA stored at dispatch).
    """
    if not crew_ids:
        return {}
    placed = {e.order_id: (crew_id, e.position) for crew_id, queue in crew_queues(db, crew_ids).items()
              for e in queue.entries}
    if not placed:
        return {}
    rows = db.execute(
        sa.select(WorkOrder.id.label("order_id"), WorkOrder.version_id, WorkOrder.crew_id, WorkOrder.status,
                  WorkOrder.dispatched_at,
                  WorkOrder.departed_at, WorkOrder.arrived_at, WorkOrder.eta_seconds_at_dispatch,
                  *_TICKET_COLUMNS)
        .join(Ticket, Ticket.id == WorkOrder.ticket_id)
        .where(WorkOrder.id.in_(list(placed)))
    ).all()
    out: dict[int, list[tuple[Any, Any, int]]] = {}
    for row in sorted(rows, key=lambda r: placed[r.order_id][1]):
        crew_id, position = placed[row.order_id]
        out.setdefault(crew_id, []).append((row, row, position))
    return out


def _slack(deadlines: Deadlines, depart: datetime, eta: datetime) -> dict[str, int]:
    """Seconds to spare per deadline, named as the optimizer names them (``slack_of``)."""
    out: dict[str, int] = {}

    def left(at: datetime | None, when: datetime, name: str) -> None:
        if at is not None:
            out[name] = int((at - when).total_seconds())

    if deadlines.ticket_class is TicketClass.EMERGENCY:
        left(deadlines.depart_by, depart, "depart_by")
        left(deadlines.onsite_target, eta, "onsite_target")
    elif deadlines.ticket_class is TicketClass.URGENT:
        left(deadlines.onsite_target, eta, "onsite_target")
        left(deadlines.onsite_limit, eta, "onsite_limit")
    else:
        left(deadlines.slot_end, eta, "slot_end")
    return out


def _bar(kind: str, crew_id: int, ticket: Any, position: int, *, order: Any | None, depart: datetime,
         eta: datetime, start: datetime, end: datetime, slack: dict[str, int] | None, now: datetime,
         planned: bool, status: str) -> Bar:
    deadlines = Deadlines.from_ticket(ticket)
    judged = arrival_deadline(deadlines, now)
    if slack is None:
        slack = {} if order is not None and order.arrived_at is not None else _slack(deadlines, depart, eta)
    return Bar(
        kind=kind, crew_id=crew_id, ticket_id=ticket.id, ticket_no=ticket.ticket_no,
        ticket_class=int(ticket.ticket_class), symptom=str(ticket.symptom), address=ticket.address,
        lon=ticket.lon, lat=ticket.lat, status=status, position=position,
        order_id=order.order_id if order is not None else None,
        order_version=order.version_id if order is not None else None,
        depart=depart, eta=eta, start=start, end=end,
        deadline=judged.at if judged is not None else None, deadline_label=judged.label if judged else None,
        window_start=deadlines.slot_start, window_end=deadlines.slot_end, slack_s=dict(slack), planned=planned,
    )


def _planned(kind: str, crew_id: int, ticket: Any, position: int, job: PlannedJob, *, order: Any | None,
             now: datetime, status: str) -> Bar:
    return _bar(kind, crew_id, ticket, position, order=order, depart=from_epoch(job.depart_s),
                eta=from_epoch(job.eta_s), start=from_epoch(job.start_s), end=from_epoch(job.end_s),
                slack=dict(job.slack), now=now, planned=True, status=status)


def _estimated(crew_id: int, order: Any, ticket: Any, position: int, ready: datetime, now: datetime,
               finish: datetime | None) -> Bar:
    """A committed order the plan does not know: the crew list's estimate (see the module docstring);
    ``finish`` is when a job on site is expected to be done (:func:`ops.expected_finish.onsite_finishes`)."""
    service = timedelta(seconds=service_seconds(ticket))
    status = str(order.status)
    if order.arrived_at is not None:
        depart = order.departed_at or order.arrived_at
        return _bar(COMMITTED, crew_id, ticket, position, order=order, depart=depart, eta=order.arrived_at,
                    start=order.arrived_at, end=finish or max(order.arrived_at + service, now), slack=None,
                    now=now, planned=False, status=status)
    depart = max(ready, order.departed_at or ready)
    if position == 0 and order.eta_seconds_at_dispatch is not None:
        eta = max(order.dispatched_at + timedelta(seconds=order.eta_seconds_at_dispatch), depart)
    else:
        eta = depart + FALLBACK_DRIVE
    start = max(eta, ticket.slot_start) if ticket.slot_start is not None else eta
    return _bar(COMMITTED, crew_id, ticket, position, order=order, depart=depart, eta=eta, start=start,
                end=start + service, slack=None, now=now, planned=False, status=status)


def schedule_board(db: Session, now: datetime, crew_ids: Iterable[int] | None = None) -> ScheduleBoard:
    """Every active crew on shift with its timeline at ``now``; four queries.

    With ``crew_ids``, those active crews whatever their status (an off-shift crew's row shows what it
    still holds, and the plan proposes nothing for it).
    """
    query = sa.select(Crew).where(Crew.active.is_(True)).order_by(Crew.code)
    if crew_ids is None:
        query = query.where(Crew.status.in_(ON_SHIFT))
    else:
        query = query.where(Crew.id.in_(list(crew_ids)))
    crews = db.scalars(query).all()
    committed = _committed_orders(db, [c.id for c in crews])
    plan = stored_routes(db, now)
    routes = plan.routes if plan is not None else {}
    committed_tickets = {t.id: crew_id for crew_id, entries in committed.items() for _o, t, _p in entries}
    wanted = {j.ticket_id for c in crews for j in routes.get(c.id, ())} - set(committed_tickets)
    waiting = {t.id: t for t in db.execute(sa.select(*_TICKET_COLUMNS).where(
        Ticket.id.in_(wanted), Ticket.status == TicketStatus.NEW))} if wanted else {}
    finishes = onsite_finishes(db, ((o.order_id, o.arrived_at, t) for entries in committed.values()
                                    for o, t, _p in entries if o.arrived_at is not None), now)

    rows = []
    for crew in crews:
        jobs = {j.ticket_id: j for j in routes.get(crew.id, ())}
        bars: list[Bar] = []
        ready = now
        for order, ticket, position in committed.get(crew.id, ()):
            job = jobs.get(ticket.id)
            if job is not None and order.arrived_at is None:
                bar = _planned(COMMITTED, crew.id, ticket, position, job, order=order, now=now,
                               status=str(order.status))
            else:
                bar = _estimated(crew.id, order, ticket, position, ready, now, finishes.get(order.order_id))
            bars.append(bar)
            ready = max(ready, bar.end)
        proposals = [j for j in routes.get(crew.id, ()) if j.ticket_id in waiting]
        for i, job in enumerate(proposals, start=1):
            bars.append(_planned(PROPOSED, crew.id, waiting[job.ticket_id], i, job, order=None, now=now,
                                 status=PROPOSED))
        start, end = shift_in_force(crew, now)
        rows.append(CrewSchedule(crew_id=crew.id, code=crew.code, name=crew.name, status=str(crew.status),
                                 shift_start=start, shift_end=end, bars=tuple(bars)))
    return ScheduleBoard(now=now, plan_at=plan.created_at if plan is not None else None,
                         plan_source=plan.source if plan is not None else None, crews=tuple(rows))


# ----------------------------------------------------------------------------- the crew list (API)
@dataclass(frozen=True)
class CrewRoster:
    """A crew as the API lists it: where it is, its shift, its current order and its queue."""

    id: int
    code: str
    name: str
    status: str
    lon: float | None
    lat: float | None
    position_at: datetime | None
    shift_start: datetime
    shift_end: datetime
    current: QueueEntry | None
    queue: tuple[QueueEntry, ...]


def crew_roster(db: Session, now: datetime) -> list[CrewRoster]:
    """Every active crew, on shift or not, with its current order and its queue; two queries."""
    crews = db.scalars(sa.select(Crew).where(Crew.active.is_(True)).order_by(Crew.code)).all()
    queues = crew_queues(db, [c.id for c in crews], now=now)
    out = []
    for crew in crews:
        queue = queues.get(crew.id) or CrewQueue(crew_id=crew.id, crew_code=crew.code, current=None)
        start, end = shift_in_force(crew, now)
        out.append(CrewRoster(
            id=crew.id, code=crew.code, name=crew.name, status=str(crew.status), lon=crew.last_lon,
            lat=crew.last_lat, position_at=crew.last_position_at, shift_start=start, shift_end=end,
            current=queue.current, queue=queue.queued))
    return out
