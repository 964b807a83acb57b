"""The adapter between the operational record and the optimizer (``ops → optimizer``, never back).

:func:`build_state` turns the database at ``now`` into an :class:`optimizer.dispatch_types.DispatchState`
following the optimizer's conventions for current work (see that module's docstring):

- a crew **on site** sits at its job, busy until arrival + the expected service time (past that, a
  realistic expected finish, :mod:`ops.expected_finish`), and cannot be interrupted; its ticket is
  not in the pool (it is carried by ``busy_until``);
- R7.6: a crew's **queued** orders are committed to it: locked on its route in queue order, behind
  its current job (locked too when there is a queue), so new work goes after them;
- a crew **dispatched, acknowledged or en route** to class-2/3 work is where its last GPS ping puts it,
  free now, *interruptible*; its ticket goes back into the pool (``assigned_crew`` set), so a class 1
  can take the crew (R7.1 preemption) and the displaced job is planned again;
- a crew on its way to a **class 1** is not interruptible: that ticket is ``locked`` first on its route.

So "busy until the ETA" of an en-route crew is not a number we store: the drive to its current job
is part of its route in the plan, which is what keeps the displaced-work estimate honest.

Deadlines are the ones stored on the ticket at intake (``ops.rules`` computed them, R6), passed as
epoch seconds. :func:`rank_crews` runs :func:`optimizer.dispatch.recommend` for one ticket and
:func:`plan_whole_queue` plans every open ticket; both only compute. Storing what was recommended
(R13.1) and replacing the plan in force belong to :mod:`ops.services.dispatching`, which checks who
asks and audits it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops import rules
from ops.clock import epoch
from ops.errors import NotFoundError
from ops.expected_finish import (  # noqa: F401 (the service times are read from here too)
    CLASS1_MIN_SERVICE_MINUTES,
    SERVICE_MINUTES,
    onsite_finishes,
    service_seconds,
)
from ops.models import Crew, Depot, Ticket, WorkOrder
from ops.plan_in_force import load_plan
from ops.queries import order_is_current, order_is_queued
from ops.recommendations import Displaced, Option, StoredRecommendation
from ops.shifts import shift_in_force
from ops.vocabulary import CrewStatus, Skill, Symptom, TicketClass, TicketStatus, WorkOrderStatus
from optimizer.dispatch import recommend
from optimizer.dispatch_types import (
    CrewOption,
    CrewState,
    DispatchState,
    NetworkTravel,
    Plan,
    TicketState,
    TravelTimes,
    slack_of,
)
from optimizer.dispatch_types import Recommendation as OptRecommendation
from optimizer.explain import english, nearest_reason
from optimizer.network import RoadNetwork

__all__ = [
    "OPTIMIZER_SKILLS",
    "SERVICE_MINUTES",
    "Draft",
    "Proposal",
    "QueuePlan",
    "QueueResult",
    "Ranking",
    "build_state",
    "missing_skill",
    "needed_skill",
    "plan_whole_queue",
    "rank_crews",
    "required_skill",
    "service_seconds",
    "shift_end",
    "stored_recommendation",
]

#: ops skills → the optimizer's skill strings (``optimizer.snapshots.SKILLS`` names the first three).
OPTIMIZER_SKILLS: Mapping[Skill, str] = MappingProxyType({
    Skill.LEAK_REPAIR: "emergency",
    Skill.METER: "meter",
    Skill.INSTALLATION: "install",
    Skill.APPLIANCE: "appliance",
    Skill.PIPEWORK: "pipework",
})

_ON_SHIFT = (CrewStatus.AVAILABLE, CrewStatus.DISPATCHED, CrewStatus.EN_ROUTE, CrewStatus.ON_SITE)
_PLANNED_TICKET_STATUSES = (TicketStatus.NEW, TicketStatus.DISPATCHED, TicketStatus.ACKNOWLEDGED,
                            TicketStatus.EN_ROUTE)
_SKILL_VALUES = frozenset(s.value for s in Skill)


def needed_skill(ticket_class: TicketClass | int, symptom: Symptom | str) -> Skill | None:
    """The skill a ticket needs: leak repair for every class 1, else by the work asked for.

    One rule for the optimizer (which only ranks crews that have it) and for a dispatcher's override,
    which may send a crew without it but is told so and has it recorded on the order.
    """
    if TicketClass(ticket_class) is TicketClass.EMERGENCY:
        return Skill.LEAK_REPAIR
    work = Symptom(symptom)
    if work is Symptom.METER_FAULT:
        return Skill.METER
    if work in (Symptom.INSTALLATION, Symptom.MODIFICATION):
        return Skill.INSTALLATION
    return None


def missing_skill(ticket_class: TicketClass | int, symptom: Symptom | str, crew_skills: Iterable[str]) -> Skill | None:
    """The skill the ticket needs that a crew with ``crew_skills`` lacks, or ``None`` if it has it."""
    needed = needed_skill(ticket_class, symptom)
    return needed if needed is not None and needed.value not in set(crew_skills) else None


def required_skill(ticket: Ticket) -> str | None:
    """The optimizer's name of the skill a ticket needs (:func:`needed_skill`)."""
    needed = needed_skill(ticket.ticket_class, ticket.symptom)
    return OPTIMIZER_SKILLS[needed] if needed is not None else None


def shift_end(crew: Crew, now: datetime) -> datetime:
    """When the crew's shift in force ends (:func:`ops.shifts.shift_in_force`; ``now`` once it is over)."""
    return shift_in_force(crew, now)[1]


def _position(db: Session, crew: Crew) -> tuple[float, float] | None:
    if crew.last_lon is not None and crew.last_lat is not None:
        return crew.last_lon, crew.last_lat
    if crew.depot_id is not None:
        depot = db.get(Depot, crew.depot_id)
        if depot is not None:
            return depot.lon, depot.lat
    return None


def _ticket_state(t: Ticket, node: int, *, assigned_crew: int | None = None, locked: bool = False,
                  lock_rank: int = 0) -> TicketState:
    def s(value: datetime | None) -> int | None:
        return epoch(value) if value is not None else None

    d = rules.Deadlines.from_ticket(t)
    return TicketState(
        id=t.id, ticket_class=int(t.ticket_class), node=node, reported_s=epoch(t.received_at),
        service_s=service_seconds(t), depart_by_s=s(d.depart_by), onsite_target_s=s(d.onsite_target),
        onsite_limit_s=s(d.onsite_limit), slot_start_s=s(d.slot_start), slot_end_s=s(d.slot_end),
        required_skill=required_skill(t), assigned_crew=assigned_crew, locked=locked, lock_rank=lock_rank,
        kind=Symptom(t.symptom).value.replace("_", " "),
    )


def build_state(db: Session, now: datetime, network: RoadNetwork, *,
                travel: TravelTimes | None = None) -> DispatchState:
    """The dispatch state at ``now``: crews on shift with a known position, and every ticket to plan.

    R7.6: a crew's queued orders are committed to it (locked, in queue order) and its current job
    before site is locked ahead of them; a queued order of a crew not in the state (off shift, no
    position) is left out rather than offered to another crew. A crew on site past its job's
    expected end is busy until a realistic expected finish (:mod:`ops.expected_finish`).
    """
    crews = db.scalars(sa.select(Crew).where(Crew.active.is_(True), Crew.status.in_(_ON_SHIFT))
                       .order_by(Crew.id)).all()
    orders = {o.crew_id: o for o in db.scalars(sa.select(WorkOrder).where(order_is_current()))}
    queues: dict[int, list[WorkOrder]] = {}
    for o in db.scalars(sa.select(WorkOrder).where(order_is_queued())
                        .order_by(WorkOrder.crew_id, WorkOrder.queue_rank, WorkOrder.id)):
        queues.setdefault(o.crew_id, []).append(o)
    tickets = db.scalars(sa.select(Ticket).where(Ticket.status.in_(_PLANNED_TICKET_STATUSES))
                         .order_by(Ticket.id)).all()
    now_s = epoch(now)

    placed = [(c, _position(db, c)) for c in crews]
    placed = [(c, p) for c, p in placed if p is not None]
    in_state = {c.id for c, _ in placed}
    orphans = {o.ticket_id for cid, q in queues.items() if cid not in in_state for o in q}
    tickets = [t for t in tickets if t.id not in orphans]
    points = [p for _, p in placed] + [(t.lon, t.lat) for t in tickets]
    nodes = network.snap([p[0] for p in points], [p[1] for p in points])[0].tolist() if points else []
    crew_nodes = dict(zip((c.id for c, _ in placed), nodes[:len(placed)], strict=True))
    ticket_nodes = dict(zip((t.id for t in tickets), nodes[len(placed):], strict=True))
    by_ticket = {t.id: t for t in tickets}
    finishes = onsite_finishes(db, ((o.id, o.arrived_at, o.ticket) for o in orders.values()
                                    if o.status is WorkOrderStatus.ON_SITE and o.arrived_at is not None), now)

    crew_states: list[CrewState] = []
    assigned: dict[int, tuple[int, bool, int]] = {}  # ticket id → (crew id, locked, lock rank)
    for crew, _ in placed:
        node, busy, interruptible, current, overrun = crew_nodes[crew.id], now_s, False, None, 0
        order = orders.get(crew.id)
        queue = queues.get(crew.id, [])
        if order is not None:
            current = order.ticket_id
            ticket = order.ticket
            if order.status is WorkOrderStatus.ON_SITE:
                node = int(network.snap(ticket.lon, ticket.lat)[0][0])
                arrived = epoch(order.arrived_at or now)
                expected = service_seconds(ticket)
                overrun = max(0, now_s - (arrived + expected))
                busy = epoch(finishes[order.id])
            elif ticket.id in by_ticket:
                class1 = TicketClass(ticket.ticket_class) is TicketClass.EMERGENCY
                interruptible = not class1
                assigned[ticket.id] = (crew.id, class1 or bool(queue), 0)
        for rank, queued in enumerate(queue, start=1):
            if queued.ticket_id in by_ticket:
                assigned[queued.ticket_id] = (crew.id, True, rank)
        crew_states.append(CrewState(
            id=crew.id, node=int(node), busy_until_s=int(busy), shift_end_s=epoch(shift_end(crew, now)),
            skills=frozenset(OPTIMIZER_SKILLS[Skill(s)] for s in crew.skills if s in _SKILL_VALUES),
            interruptible=interruptible, current_ticket_id=current, code=crew.code, overrun_s=int(overrun),
        ))
    ticket_states = []
    for t in tickets:
        crew_id, locked, rank = assigned.get(t.id, (None, False, 0))
        ticket_states.append(_ticket_state(t, int(ticket_nodes[t.id]), assigned_crew=crew_id, locked=locked,
                                           lock_rank=rank))
    return DispatchState(now_s=now_s, hour=rules.to_local(now).hour, crews=tuple(crew_states),
                         tickets=tuple(ticket_states), travel=travel or NetworkTravel(network))


# ----------------------------------------------------------------------------- recommendations
def _option(rank: int, o: CrewOption, codes: Mapping[int, str], busy: frozenset[int]) -> Option:
    return Option(
        rank=rank, crew_id=o.crew_id, crew_code=codes.get(o.crew_id, o.crew_label),
        eta_s=int(o.eta_s), departure_s=int(o.depart_s), slack_s={k: int(v) for k, v in o.slack.items()},
        displaces=tuple(Displaced(d.ticket_id, d.ticket_class, int(d.delay_s), d.kind) for d in o.displaced),
        explanation=o.explanation, cost=int(o.cost), cost_delta=int(o.cost_delta), diverted=bool(o.diverted),
        reason=o.reason,  # what the panel translates
        # On another order it keeps: confirming it queues this ticket behind that order (R7.6).
        busy=o.crew_id in busy and not o.diverted, overrun_s=int(o.overrun_s),
    )


def _nearest_fallback(ticket: TicketState, state: DispatchState, k: int) -> OptRecommendation:
    """Skilled crews by drive time alone: what the dispatcher sees if the insertion ranking fails."""
    skilled = [c for c in state.crews if ticket.required_skill is None or ticket.required_skill in c.skills]
    if not skilled:
        return OptRecommendation(ticket.id, (), note=f"no crew has skill {ticket.required_skill!r}")
    drive = np.asarray(state.travel.matrix([c.node for c in skilled], [ticket.node], state.hour))[:, 0]
    options = []
    ranked = sorted(zip(skilled, drive.tolist(), strict=True),
                    key=lambda x: (max(state.now_s, x[0].busy_until_s) + x[1], x[0].id))[:k]
    for crew, secs in ranked:
        depart = max(state.now_s, crew.busy_until_s)
        eta = depart + int(secs)
        why = nearest_reason(crew.label, int(secs))
        options.append(CrewOption(crew.id, crew.label, eta, depart, slack_of(ticket, depart, eta), (), 0, 0,
                                  english(why), reason=why))
    return OptRecommendation(ticket.id, tuple(options), note="fallback: nearest skilled crew")


@dataclass(frozen=True)
class Ranking:
    """The top crews for one ticket as computed, before anyone decides whether to store them."""

    ticket: Ticket
    options: tuple[Option, ...]
    used_fallback: bool
    note: str
    #: The plan in force the ticket was inserted into (its note), or ``None`` for a greedy plan.
    plan_in_force: str | None

    def recommendation(self, now: datetime, k: int) -> StoredRecommendation:
        """The ranking as it is shown and stored (not stored yet: no ``recommendation_id``)."""
        return stored_recommendation(self.ticket, now, self.options, used_fallback=self.used_fallback,
                                     note=self.note, k=k, plan_in_force=self.plan_in_force)


def rank_crews(db: Session, ticket_id: int, now: datetime, network: RoadNetwork, k: int = 3, *,
               travel: TravelTimes | None = None, state: DispatchState | None = None) -> Ranking:
    """Rank the top-``k`` crews for one ticket (R7.1); reads only.

    If the optimizer's insertion ranking fails for any reason, the nearest skilled crews are given
    instead with ``used_fallback`` set: the dispatcher is never left without an answer (no silent
    failure), and the flag says which one they saw.
    """
    ticket = db.get(Ticket, ticket_id) if isinstance(ticket_id, int) and not isinstance(ticket_id, bool) else None
    if ticket is None:
        raise NotFoundError("ticket.not_found", "ticket_id")
    current = None
    if state is None:  # a click or an API call: insert into the scheduler's plan in force
        state = build_state(db, now, network, travel=travel)
        current = load_plan(db, state, now)
    target = next((t for t in state.tickets if t.id == ticket_id), None)
    if target is None:  # e.g. on site already: still rank, so the page can show who else is near
        target = _ticket_state(ticket, int(network.snap(ticket.lon, ticket.lat)[0][0]))
    used_fallback = False
    try:
        result = recommend(target, state, k=k, current=current)
    except Exception as exc:  # the fallback exists for optimizer failures of any kind
        result = _nearest_fallback(target, state, k)
        result = OptRecommendation(result.ticket_id, result.options,
                                   note=f"{result.note} ({type(exc).__name__}: {exc})")
        used_fallback = True
    codes = dict(db.execute(sa.select(Crew.id, Crew.code)).tuples().all())
    busy = frozenset(c.id for c in state.crews if c.current_ticket_id is not None or c.busy_until_s > state.now_s)
    return Ranking(ticket=ticket, options=tuple(_option(i + 1, o, codes, busy) for i, o in enumerate(result.options)),
                   used_fallback=used_fallback, note=result.note,
                   plan_in_force=current.note if current is not None else None)


def stored_recommendation(ticket: Ticket, now: datetime, options: tuple[Option, ...], *, used_fallback: bool,
                          note: str, k: int, source: str | None = None,
                          plan_in_force: str | None = None) -> StoredRecommendation:
    """A recommendation for ``ticket`` at ``now`` as the pages and the API show it and as it is stored."""
    return StoredRecommendation(
        ticket_id=ticket.id, ticket_no=ticket.ticket_no, ticket_class=int(ticket.ticket_class), created_at=now,
        now_s=epoch(now), options=options, k=k, used_fallback=used_fallback, note=note, source=source,
        plan_in_force=plan_in_force,
    )


# ----------------------------------------------------------------------------- plan all
@dataclass(frozen=True)
class Proposal:
    """One ticket of the queue and the crew the plan sends to it now.

    ``recommendation_id`` is the stored recommendation it answers, or ``None`` for a preview (an
    actor who may not store one sees the proposals but cannot confirm them).
    """

    ticket_id: int
    ticket_no: str
    ticket_class: int
    crew_id: int
    crew_code: str
    recommendation_id: int | None
    eta: datetime
    departure: datetime
    slack_s: dict[str, int]


@dataclass(frozen=True)
class QueuePlan:
    proposals: list[Proposal]
    #: Unassigned tickets the plan puts behind a crew's current or first job: not dispatchable yet.
    queued: int
    #: (ticket number, class, why) of tickets the plan leaves out: a dropped class 1 is an alarm; a
    #: class 3 whose slot lies beyond every shift in force is simply for a later plan.
    dropped: list[tuple[str, int, str]]
    used_fallback: bool
    note: str


@dataclass(frozen=True)
class Draft:
    """A proposal before it is stored: the ticket and the one option the plan gives it."""

    ticket: Ticket
    option: Option


@dataclass(frozen=True)
class QueueResult:
    """What one plan of the whole queue proposes, before anything is stored."""

    state: DispatchState
    plan: Plan
    drafts: list[Draft]
    queued: int
    dropped: list[tuple[str, int, str]]


def plan_whole_queue(db: Session, now: datetime, network: RoadNetwork, budget_s: float = 4.0, *,
                     travel: TravelTimes | None = None) -> QueueResult:
    """"Plan all": one OR-Tools plan for every open ticket, proposing a crew for each unassigned one.

    Only the first stop of a crew's route can be dispatched now (a crew holds one active order), so
    a proposal is made for an unassigned ticket that is first on a free crew's route, or a class 1
    first on the route of a crew it may divert (R7.1 preemption); the rest are counted as queued.
    Reads only: the service stores the plan and each proposal as the recommendation it answers.
    """
    from optimizer.dispatch import plan

    state = build_state(db, now, network, travel=travel)
    result = plan(state, budget_s)
    crews = {c.id: c for c in state.crews}
    tickets = {t.id: t for t in state.tickets}
    unassigned = {t.id for t in state.tickets if t.assigned_crew is None}
    rows = {t.id: t for t in db.scalars(sa.select(Ticket).where(Ticket.id.in_(unassigned)))} if unassigned else {}
    codes = dict(db.execute(sa.select(Crew.id, Crew.code)).tuples().all())
    drafts: list[Draft] = []
    planned = 0
    for crew_id, jobs in sorted(result.routes.items()):
        waiting = [j for j in jobs if j.ticket_id in unassigned]
        planned += len(waiting)
        if not jobs or jobs[0].ticket_id not in unassigned:
            continue
        first, crew, target = jobs[0], crews[crew_id], tickets[jobs[0].ticket_id]
        if crew.current_ticket_id is not None and not (target.ticket_class == 1 and crew.interruptible):
            continue
        option = _option(1, CrewOption(
            crew_id, crew.label, int(first.eta_s), int(first.depart_s), first.slack, (), 0, 0,
            f"planned with the whole queue ({result.status or 'plan'}, {len(jobs)} job(s) on this crew's route)",
            diverted=crew.current_ticket_id is not None), codes, frozenset())
        drafts.append(Draft(ticket=rows[first.ticket_id], option=option))
    numbers = dict(db.execute(sa.select(Ticket.id, Ticket.ticket_no).where(
        Ticket.id.in_([d.ticket_id for d in result.dropped] or [-1]))).tuples().all())
    dropped = [(numbers.get(d.ticket_id, str(d.ticket_id)), int(d.ticket_class), d.reason) for d in result.dropped
               if d.ticket_id in unassigned]
    return QueueResult(state=state, plan=result, drafts=drafts, queued=planned - len(drafts), dropped=dropped)
