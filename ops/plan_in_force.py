"""The plan in force: the scheduler plans the whole queue in the background, clicks insert into it.

``optimizer.recommend`` ranks crews by inserting one ticket into the current routes. Without a plan
it builds a greedy one first, which at 500 open tickets and 60 crews means a 560 × 560 travel matrix:
about a second per click. The one clock (``ops.scheduler``) instead stores a plan every
:data:`REPLAN_EVERY_S`, and within seconds of an event that asked for one (``ops.services.replan``), and :func:`load_plan` hands it to the recommendation, trimmed to the
tickets and crews of the current state (a job whose ticket was dispatched or closed since is
dropped; the times of the rest are up to a minute old, a small and visible approximation that the
recommendation's explanation names).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.models import PlanInForce, ReplanRequest
from ops.recommendations import current_slack
from optimizer.dispatch_types import DispatchState, Plan, PlannedJob, TicketState, timeline

__all__ = ["MAX_AGE", "REPLAN_EVERY_S", "StoredRoutes", "answer_requests", "has_requests", "latest_plan_at",
           "load_plan", "pending_requests", "plan_queue_position", "plan_version", "store_plan", "stored_routes"]

#: How often the scheduler replans the queue.
REPLAN_EVERY_S = 60
#: An older plan is not used: the recommendation then plans greedily itself (slower, never wrong).
MAX_AGE = timedelta(minutes=5)
#: Rows kept; older ones are deleted as new ones are stored (the plan is a cache, not a record:
#: what was recommended is kept in ``recommendations``).
KEEP = 5


def _routes_json(routes: dict[int, list[PlannedJob]]) -> dict[str, Any]:
    return {str(crew_id): [dataclasses.asdict(j) for j in jobs] for crew_id, jobs in routes.items()}


def store_plan(db: Session, plan: Plan, now: datetime, source: str,
               state: DispatchState | None = None) -> PlanInForce:
    """Store ``plan`` as the one in force from ``now``; keeps only the last few.

    With the ``state`` it was planned from, every crew's route is made to start with the order the
    crew is on (the solver may put an interruptible crew's job back in the pool, but only a class 1
    can take the crew off it): done here, in the scheduler, so that a click seldom has to retime.
    """
    routes = {crew_id: list(jobs) for crew_id, jobs in plan.routes.items()}  # the caller's plan is left as it is
    if state is not None:
        _start_with_current_orders(state, routes)
    row = PlanInForce(created_at=now, source=source, used_fallback=plan.used_fallback, routes=_routes_json(routes))
    db.add(row)
    db.flush()
    stale = db.scalars(sa.select(PlanInForce.id).order_by(PlanInForce.created_at.desc(), PlanInForce.id.desc())
                       .offset(KEEP)).all()
    if stale:
        db.execute(sa.delete(PlanInForce).where(PlanInForce.id.in_(stale)))
    return row


def latest_plan_at(db: Session) -> datetime | None:
    return db.scalar(sa.select(sa.func.max(PlanInForce.created_at)))


def plan_version(db: Session) -> int | None:
    """The newest plan's id: what a board compares to notice a new plan without loading it."""
    return db.scalar(sa.select(sa.func.max(PlanInForce.id)))


def has_requests(db: Session) -> bool:
    """Whether any replan request waits: the one cheap query the scheduler makes every second."""
    return db.scalar(sa.select(ReplanRequest.id).limit(1)) is not None


def pending_requests(db: Session) -> list[int]:
    """The ids of the replan requests no plan has answered yet (``ops.services.replan``).

    Read *before* the dispatch state a plan is built from: a request visible here was committed with
    its event, so the state read after it includes the event.
    """
    return list(db.scalars(sa.select(ReplanRequest.id).order_by(ReplanRequest.id)))


def answer_requests(db: Session, ids: list[int]) -> None:
    """Delete the requests a stored plan has answered; by id, not "up to an id": a request whose
    transaction committed after the state was read (with a lower id on PostgreSQL) stays for the next plan."""
    if ids:
        db.execute(sa.delete(ReplanRequest).where(ReplanRequest.id.in_(ids)))


def _newest(db: Session, now: datetime, max_age: timedelta) -> PlanInForce | None:
    return db.scalar(sa.select(PlanInForce).where(PlanInForce.created_at >= now - max_age,
                                                  PlanInForce.created_at <= now)
                     .order_by(PlanInForce.created_at.desc(), PlanInForce.id.desc()).limit(1))


@dataclasses.dataclass(frozen=True)
class StoredRoutes:
    """The plan in force as stored: when and by whom it was made, and each crew's jobs in order."""

    plan_id: int
    created_at: datetime
    source: str
    routes: dict[int, list[PlannedJob]]


def stored_routes(db: Session, now: datetime, *, max_age: timedelta = MAX_AGE) -> StoredRoutes | None:
    """The newest plan no older than ``max_age`` as it was stored, untrimmed and not retimed.

    For readers that show the plan (the schedule board) without building a dispatch state: they
    drop the jobs whose ticket has since left the crew themselves, as :func:`load_plan` does.
    """
    row = _newest(db, now, max_age)
    if row is None:
        return None
    fields = {f.name for f in dataclasses.fields(PlannedJob)}
    routes = {int(crew_key): [_job(job, fields) for job in jobs] for crew_key, jobs in row.routes.items()}
    return StoredRoutes(plan_id=row.id, created_at=row.created_at, source=row.source, routes=routes)


def plan_queue_position(db: Session, crew_id: int, ticket_id: int, queued_ticket_ids: list[int],
                        now: datetime, *, max_age: timedelta = MAX_AGE) -> int | None:
    """R7.6: where the plan in force puts ``ticket_id`` in the crew's queue (1 = next), or ``None``.

    The position counts the crew's queued tickets (``queued_ticket_ids``) that the plan's route puts
    before it; ``None`` when no recent plan routes the ticket to this crew (the caller queues it last).
    """
    row = _newest(db, now, max_age)
    route = [job.get("ticket_id") for job in (row.routes.get(str(crew_id)) or [])] if row is not None else []
    if ticket_id not in route:
        return None
    ahead = set(route[:route.index(ticket_id)])
    return 1 + sum(1 for t in queued_ticket_ids if t in ahead)


def load_plan(db: Session, state: DispatchState, now: datetime, *, max_age: timedelta = MAX_AGE) -> Plan | None:
    """The newest stored plan no older than ``max_age``, limited to ``state``'s crews and tickets."""
    row = _newest(db, now, max_age)
    if row is None:
        return None
    crews = {c.id for c in state.crews}
    owner = {t.id: t.assigned_crew for t in state.tickets}
    fields = {f.name for f in dataclasses.fields(PlannedJob)}
    routes: dict[int, list[PlannedJob]] = {}
    for crew_key, jobs in row.routes.items():
        crew_id = int(crew_key)
        if crew_id not in crews:
            continue
        # A job stays if its ticket is still open and not since given to another crew.
        kept = [_job(job, fields) for job in jobs
                if job.get("ticket_id") in owner and owner[job["ticket_id"]] in (None, crew_id)]
        routes[crew_id] = kept
    _start_with_current_orders(state, routes)
    return Plan(routes=routes, used_fallback=row.used_fallback,
                note=f"plan in force of {row.created_at.isoformat()} ({row.source})")


def _job(stored: dict[str, Any], fields: set[str]) -> PlannedJob:
    """A stored job, its slack under the current deadline names (a plan stored before the rename)."""
    values = {k: v for k, v in stored.items() if k in fields}
    values["slack"] = current_slack(values.get("slack") or {})
    return PlannedJob(**values)


def _start_with_current_orders(state: DispatchState, routes: dict[int, list[PlannedJob]]) -> None:
    """A crew's route starts with the orders it holds: its current order, then its queue (R7.6).

    A crew dispatched (or given a queued order) since the plan was stored would otherwise look free
    and be recommended for work it cannot take. Only the crews concerned are retimed, from now: a
    few one-to-all searches, not the whole matrix.
    """
    by_id = {t.id: t for t in state.tickets}
    held: dict[int, list[TicketState]] = {}
    for t in state.tickets:
        if t.assigned_crew is not None:
            held.setdefault(t.assigned_crew, []).append(t)
    for crew in state.crews:
        committed = sorted(held.get(crew.id, []), key=lambda t: (t.lock_rank, t.id))
        route = routes.get(crew.id, [])
        ids = [t.id for t in committed]
        if not committed or [j.ticket_id for j in route[:len(ids)]] == ids:
            continue
        tickets = [*committed, *(by_id[j.ticket_id] for j in route if j.ticket_id not in set(ids))]
        nodes = [crew.node, *(t.node for t in tickets)]
        seconds = state.travel.matrix(nodes, nodes, state.hour)
        routes[crew.id] = timeline(state, crew, tickets, seconds, {t.id: i + 1 for i, t in enumerate(tickets)}, 0)
