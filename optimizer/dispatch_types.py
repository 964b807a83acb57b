"""Input and output types of live dispatch, and the one cost function they are all judged by.

Pure data: the ops layer turns database rows into these (deadlines come from ``ops.rules`` as plain
numbers), and the planner, the greedy fallback, ``recommend`` and the benchmarks all read the same
objects, so a plan means the same thing wherever it is shown.

Times are integer seconds on one clock (for example seconds since the epoch, or since the start of a
simulation); nothing in ``optimizer/`` reads the wall clock.

Conventions for a crew's current work:
- a crew *on site* has ``node`` = the job's location, ``busy_until_s`` = when the job ends and
  ``interruptible=False``; that job is carried by ``busy_until_s`` and is not an open ticket;
- a crew *en route* to class-2/3 work has ``node`` = where it is now, ``interruptible=True`` and the
  ticket (``assigned_crew`` = the crew, ``locked=False``) goes back into the pool at every re-plan,
  so a class 1 can take the crew;
- a crew *en route* to a class 1 is not interruptible: its ticket has ``locked=True`` and stays first
  on that crew's route;
- R7.6 crew queues: a crew's queued orders are committed. Their tickets have ``assigned_crew`` = the
  crew, ``locked=True`` and ``lock_rank`` 1, 2, … in queue order, so they stay on that crew in that
  order and new work goes after them. A crew with a queue has its current en-route job locked too
  (``lock_rank`` 0), ahead of the queue; it stays ``interruptible``, which only ``recommend`` reads:
  a class 1 may still be inserted before it (the crew is diverted, its job goes back to the head of
  its queue), or, when the crew cannot be diverted, before the queued class-2/3 work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, get_args

import numpy as np

from optimizer.network import RoadNetwork

CLASS1, CLASS2, CLASS3 = 1, 2, 3


# ----------------------------------------------------------------------------- travel
class TravelTimes(Protocol):
    """Driving seconds between network nodes at a departure hour; what the planner needs of a map."""

    def matrix(self, from_nodes: Sequence[int], to_nodes: Sequence[int], hour: int | None) -> np.ndarray:
        """int64 seconds, ``len(from_nodes) × len(to_nodes)``."""
        ...


@dataclass(eq=False)
class NetworkTravel:
    """Thin adapter over :class:`RoadNetwork`: rounds to whole seconds and keeps the planner numpy-only."""

    network: RoadNetwork

    def matrix(self, from_nodes: Sequence[int], to_nodes: Sequence[int], hour: int | None) -> np.ndarray:
        m = self.network.travel_times(np.asarray(from_nodes), np.asarray(to_nodes), hour=hour)
        return np.rint(np.asarray(m, dtype=float)).astype(np.int64)


@dataclass(eq=False)
class MatrixTravel:
    """A full node × node matrix given up front (tests, small synthetic cases)."""

    seconds: np.ndarray

    def matrix(self, from_nodes: Sequence[int], to_nodes: Sequence[int], hour: int | None) -> np.ndarray:
        return np.asarray(self.seconds, dtype=np.int64)[np.ix_(list(from_nodes), list(to_nodes))]


# ----------------------------------------------------------------------------- state
@dataclass(frozen=True)
class CrewState:
    """One crew as the planner sees it: where it will next be free, when, and what it can do."""

    id: int
    node: int
    busy_until_s: int
    shift_end_s: int
    skills: frozenset[str] = frozenset()
    interruptible: bool = False
    current_ticket_id: int | None = None
    code: str = ""
    #: On site past its job's expected end by this many seconds at ``now`` (``busy_until_s`` is then a
    #: realistic expected finish, not the original estimate); 0 otherwise.
    overrun_s: int = 0

    @property
    def label(self) -> str:
        return self.code or f"Crew {self.id}"


@dataclass(frozen=True)
class TicketState:
    """An open ticket with its deadlines already computed by ``ops.rules`` (absolute seconds).

    Class 1 uses ``depart_by_s`` (R6.1, 30 min) and ``onsite_target_s`` (the 60-min reporting target);
    class 2 uses ``onsite_target_s`` (4 h) and ``onsite_limit_s`` (8 h, R6.3); class 3 uses its slot
    (R6.4): no arrival before ``slot_start_s``, soft end at ``slot_end_s``.
    """

    id: int
    ticket_class: int
    node: int
    reported_s: int
    service_s: int
    depart_by_s: int | None = None
    onsite_target_s: int | None = None
    onsite_limit_s: int | None = None
    slot_start_s: int | None = None
    slot_end_s: int | None = None
    required_skill: str | None = None
    assigned_crew: int | None = None
    locked: bool = False
    kind: str = ""  # what a dispatcher calls it: "meter job", "leak", …
    #: The place of a locked ticket in its crew's committed chain (0 the current job, 1.. its queue).
    lock_rank: int = 0

    @property
    def label(self) -> str:
        return f"class-{self.ticket_class} {self.kind or 'job'}"

    def priority_key(self) -> tuple[int, int, int]:
        """Class first, then the earliest deadline that matters for that class."""
        if self.ticket_class == CLASS1:
            due = self.depart_by_s if self.depart_by_s is not None else self.reported_s
        elif self.ticket_class == CLASS2:
            due = self.onsite_target_s if self.onsite_target_s is not None else self.reported_s
        else:
            due = self.slot_start_s if self.slot_start_s is not None else self.reported_s
        return (self.ticket_class, int(due), self.id)


@dataclass(frozen=True)
class DispatchState:
    """Everything a re-plan needs at one instant. ``_cache`` holds the node matrix once computed."""

    now_s: int
    hour: int | None
    crews: tuple[CrewState, ...]
    tickets: tuple[TicketState, ...]
    travel: TravelTimes = field(repr=False)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def crew(self, crew_id: int) -> CrewState:
        return next(c for c in self.crews if c.id == crew_id)

    def ticket(self, ticket_id: int) -> TicketState:
        return next(t for t in self.tickets if t.id == ticket_id)

    def in_progress(self) -> dict[int, int]:
        """ticket id → crew id for jobs a crew is on site at (carried by busy_until, not planned)."""
        by_id = {t.id: t for t in self.tickets}
        out = {}
        for c in self.crews:
            t = by_id.get(c.current_ticket_id) if c.current_ticket_id is not None else None
            if t is not None and not c.interruptible and not t.locked and t.node == c.node:
                out[t.id] = c.id
        return out

    def open_tickets(self) -> list[TicketState]:
        """Tickets to plan: everything but on-site jobs."""
        skip = self.in_progress()
        return [t for t in self.tickets if t.id not in skip]

    def node_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(nodes, seconds): crews' nodes then open tickets' nodes, and the full matrix between them."""
        key = "node_matrix"
        if key not in self._cache:
            nodes = np.asarray([c.node for c in self.crews] + [t.node for t in self.open_tickets()],
                               dtype=np.int64)
            uniq, inv = np.unique(nodes, return_inverse=True)
            m = self.travel.matrix(uniq, uniq, self.hour)
            self._cache[key] = (nodes, np.asarray(m, dtype=np.int64)[np.ix_(inv, inv)])
        return self._cache[key]


# ----------------------------------------------------------------------------- cost
@dataclass(frozen=True)
class Weights:
    """Objective units per second late; a higher class outweighs what is realistically at stake below it.

    One minute of class-1 arrival costs 3 000 000, i.e. 23 min of a class 2 past its 8-h limit or
    4 h 10 min of a class 2 past its 4-h target, so a class 1 never waits to spare class-2/3 work, yet
    within a class the planner still trades minutes. Lateness is capped by the horizon (cumul ≤
    horizon), which keeps the worst case far inside int64 (see ``objective_headroom``).
    """

    class1_from_report: int = 50_000       # every second until a class 1 is on site (arrive ASAP)
    class1_onsite_target: int = 200_000    # extra after the 60-min on-site reporting target
    class2_target: int = 200               # after 4 h
    class2_limit: int = 2000               # extra after 8 h
    class3_slot_end: int = 2               # arrival after the slot's end
    drive: int = 1                         # per driving second (arc cost)
    drop: tuple[int, int, int] = (10**12, 10**11, 10**10)  # never serve: class 1, 2, 3

    def soft_bounds(self, t: TicketState) -> list[tuple[int, int]]:
        """Absolute (bound_s, cost_per_s) pairs on the ticket's arrival time."""
        if t.ticket_class == CLASS1:
            out = [(t.reported_s, self.class1_from_report)]
            if t.onsite_target_s is not None:
                out.append((t.onsite_target_s, self.class1_onsite_target))
            return out
        if t.ticket_class == CLASS2:
            out = []
            if t.onsite_target_s is not None:
                out.append((t.onsite_target_s, self.class2_target))
            if t.onsite_limit_s is not None:
                out.append((t.onsite_limit_s, self.class2_limit))
            return out
        return [(t.slot_end_s, self.class3_slot_end)] if t.slot_end_s is not None else []

    def job_cost(self, t: TicketState, arrival_s: int) -> int:
        """Lateness cost of serving ``t`` on arrival at ``arrival_s`` (same formula as the model)."""
        return sum(c * max(0, int(arrival_s) - b) for b, c in self.soft_bounds(t))

    def max_cost_per_s(self, t: TicketState) -> int:
        return sum(c for _, c in self.soft_bounds(t))

    def drop_penalty(self, t: TicketState) -> int:
        return self.drop[min(max(t.ticket_class, 1), 3) - 1]


DEFAULT_WEIGHTS = Weights()


def objective_headroom(n_crews: int, tickets: Sequence[TicketState], horizon_s: int,
                       weights: Weights = DEFAULT_WEIGHTS) -> float:
    """How many times the worst possible objective fits in int64 (must stay well above 1).

    Worst case: every ticket late by the whole horizon on every tier, every drop penalty paid, and
    every crew driving the whole horizon.
    """
    worst = sum(weights.max_cost_per_s(t) * horizon_s + weights.drop_penalty(t) for t in tickets)
    worst += n_crews * horizon_s * weights.drive
    return float(np.iinfo(np.int64).max) / max(worst, 1)


# ----------------------------------------------------------------------------- output
@dataclass(frozen=True)
class PlannedJob:
    """One stop on a crew's route. ``slack`` maps deadline name → seconds to spare (negative: late)."""

    ticket_id: int
    ticket_class: int
    depart_s: int     # when the crew leaves toward this job
    eta_s: int        # arrival
    start_s: int      # service start (class 3 waits for its slot)
    end_s: int
    drive_s: int
    slack: dict[str, int] = field(default_factory=dict)
    locked: bool = False


@dataclass(frozen=True)
class DroppedTicket:
    ticket_id: int
    ticket_class: int
    reason: str


@dataclass(frozen=True)
class Class1Status:
    """R6.1 per class-1 ticket: does a crew depart by the ticket's departure deadline, and when is it on site."""

    ticket_id: int
    crew_id: int | None
    departs_in_time: bool
    depart_s: int | None
    arrival_s: int | None

    @property
    def alarm(self) -> bool:
        return self.crew_id is None or not self.departs_in_time


@dataclass
class Plan:
    routes: dict[int, list[PlannedJob]]
    dropped: list[DroppedTicket] = field(default_factory=list)
    class1: dict[int, Class1Status] = field(default_factory=dict)
    used_fallback: bool = False
    note: str = ""
    objective: int | None = None
    status: str = ""  # the solver's routing_model.SolveStatus, or "greedy" for the fallback
    wall_s: float = 0.0
    in_progress: dict[int, int] = field(default_factory=dict)  # ticket → crew on site

    @property
    def alarms(self) -> list[str]:
        """What a supervisor must see: class 1 not departing in time or not served at all."""
        out = []
        for s in self.class1.values():
            if s.crew_id is None:
                out.append(f"class-1 ticket {s.ticket_id}: no crew can be sent")
            elif not s.departs_in_time:
                out.append(f"class-1 ticket {s.ticket_id}: no crew departs by its departure deadline")
        return out

    def assignment(self) -> dict[int, int]:
        """ticket id → crew id."""
        return {j.ticket_id: cid for cid, jobs in self.routes.items() for j in jobs}

    def route_ids(self) -> dict[int, list[int]]:
        return {cid: [j.ticket_id for j in jobs] for cid, jobs in self.routes.items()}


@dataclass(frozen=True)
class DisplacedJob:
    ticket_id: int
    ticket_class: int
    delay_s: int
    kind: str = ""


#: What a :class:`Reason` says (decided in ``optimizer.explain``, where the thresholds live):
#: the top option departs now / later; another one arrives sooner but costs the plan more, about
#: when the top one does, or later; or the optimizer failed and crews are ranked by drive alone.
ReasonKind = Literal["best_leaves_now", "best_leaves_later", "sooner_but_costlier", "as_soon_as_best",
                     "later_than_best", "nearest_fallback"]
REASON_KINDS: tuple[ReasonKind, ...] = get_args(ReasonKind)


@dataclass(frozen=True)
class Reason:
    """Why an option ranks where it does: a kind and the numbers (and crew labels) its sentence needs.

    Decided once, by the optimizer, so the English ``explanation`` it keeps (R13.1, the API) and the
    sentence the dispatch panel shows in the reader's language can never disagree. Durations are
    seconds; which values a kind carries is listed in ``optimizer.explain``. Stored as plain JSON
    (``{"kind": ..., **values}``) in the recommendation payload.
    """

    kind: ReasonKind
    values: Mapping[str, int | str | bool]

    def to_json(self) -> dict[str, int | str | bool]:
        return {"kind": self.kind, **self.values}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Reason | None:
        """The reason ``to_json`` stored; None for a payload stored before reasons were, or of a kind
        this version does not know (the caller then shows the stored English sentence)."""
        if not isinstance(data, Mapping) or data.get("kind") not in REASON_KINDS:
            return None
        return cls(data["kind"], {k: v for k, v in data.items() if k != "kind"})


@dataclass(frozen=True)
class CrewOption:
    crew_id: int
    crew_label: str
    eta_s: int
    depart_s: int
    slack: dict[str, int]
    displaced: tuple[DisplacedJob, ...]
    cost: int
    cost_delta: int
    explanation: str  # ``optimizer.explain.english(reason)``, kept for the API and stored rows
    diverted: bool = False
    reason: Reason | None = None
    #: The crew is on site past its job's expected end by this much (it is sent when it finishes).
    overrun_s: int = 0


@dataclass(frozen=True)
class Recommendation:
    ticket_id: int
    options: tuple[CrewOption, ...]
    note: str = ""


# ----------------------------------------------------------------------------- timelines
def slack_of(t: TicketState, depart_s: int, eta_s: int) -> dict[str, int]:
    """Seconds to spare against each deadline of ``t`` (negative: late by that much).

    Keyed by the deadline's name, never by its default value (the numbers are settings, R6):
    ``depart_by`` and ``onsite_target`` for class 1, ``onsite_target`` and ``onsite_limit`` for
    class 2, ``slot_end`` for class 3.
    """
    if t.ticket_class == CLASS1:
        out = {}
        if t.depart_by_s is not None:
            out["depart_by"] = int(t.depart_by_s - depart_s)
        if t.onsite_target_s is not None:
            out["onsite_target"] = int(t.onsite_target_s - eta_s)
        return out
    if t.ticket_class == CLASS2:
        out = {}
        if t.onsite_target_s is not None:
            out["onsite_target"] = int(t.onsite_target_s - eta_s)
        if t.onsite_limit_s is not None:
            out["onsite_limit"] = int(t.onsite_limit_s - eta_s)
        return out
    return {"slot_end": int(t.slot_end_s - eta_s)} if t.slot_end_s is not None else {}


def crew_ready_s(state: DispatchState, crew: CrewState) -> int:
    return max(int(state.now_s), int(crew.busy_until_s))


def timeline(state: DispatchState, crew: CrewState, tickets: Sequence[TicketState],
             seconds: np.ndarray, index: dict[int, int], crew_row: int,
             locked_ids: frozenset[int] = frozenset()) -> list[PlannedJob]:
    """Times along one crew's ordered route, read off the node matrix (no waiting except for slots).

    ``index`` maps ticket id → row of ``seconds``; ``crew_row`` is the crew's own row.
    """
    jobs = []
    t_s = crew_ready_s(state, crew)
    row = crew_row
    for t in tickets:
        r = index[t.id]
        drive = int(seconds[row, r])
        eta = t_s + drive
        start = max(eta, t.slot_start_s) if t.slot_start_s is not None else eta
        end = start + int(t.service_s)
        jobs.append(PlannedJob(t.id, t.ticket_class, t_s, eta, start, end, drive,
                               slack_of(t, t_s, eta), t.id in locked_ids or t.locked))
        t_s, row = end, r
    return jobs


def plan_from_routes(state: DispatchState, routes: dict[int, list[int]],
                     dropped: Sequence[DroppedTicket] = ()) -> Plan:
    """A :class:`Plan` (times, slacks, class-1 summary) from ordered ticket ids per crew."""
    _, seconds = state.node_matrix()
    n_crews = len(state.crews)
    open_t = state.open_tickets()
    index = {t.id: n_crews + i for i, t in enumerate(open_t)}
    by_id = {t.id: t for t in open_t}
    out: dict[int, list[PlannedJob]] = {}
    for row, crew in enumerate(state.crews):
        ids = routes.get(crew.id, [])
        out[crew.id] = timeline(state, crew, [by_id[i] for i in ids], seconds, index, row)
    plan = Plan(routes=out, dropped=list(dropped), in_progress=state.in_progress())
    plan.class1 = class1_summary(plan, state)
    return plan


def class1_summary(plan: Plan, state: DispatchState) -> dict[int, Class1Status]:
    """R6.1 status of every open class 1 in ``plan``."""
    where = {j.ticket_id: (cid, j) for cid, jobs in plan.routes.items() for j in jobs}
    out = {}
    for t in state.open_tickets():
        if t.ticket_class != CLASS1:
            continue
        if t.id in where:
            cid, j = where[t.id]
            ok = t.depart_by_s is None or j.depart_s <= t.depart_by_s
            out[t.id] = Class1Status(t.id, cid, ok, j.depart_s, j.eta_s)
        else:
            out[t.id] = Class1Status(t.id, None, False, None, None)
    return out


def compliance(plan: Plan, state: DispatchState) -> dict[str, int]:
    """The counts dispatch is judged on, most urgent first (R6.1, R6.3): more is better for each."""
    where = {j.ticket_id: j for jobs in plan.routes.values() for j in jobs}
    c2 = [t for t in state.open_tickets() if t.ticket_class == CLASS2]
    return {
        "class1_served": sum(1 for s in plan.class1.values() if s.crew_id is not None),
        "class1_depart_by": sum(1 for s in plan.class1.values() if s.departs_in_time),
        "class2_onsite_limit": sum(1 for t in c2 if t.id in where and t.onsite_limit_s is not None
                                   and where[t.id].eta_s <= t.onsite_limit_s),
        "class2_onsite_target": sum(1 for t in c2 if t.id in where and t.onsite_target_s is not None
                                    and where[t.id].eta_s <= t.onsite_target_s),
    }


def plan_cost(plan: Plan, state: DispatchState, weights: Weights = DEFAULT_WEIGHTS) -> int:
    """The model's objective recomputed from a plan's times, so greedy and solver compare like for like."""
    by_id = {t.id: t for t in state.tickets}
    total = 0
    for jobs in plan.routes.values():
        for j in jobs:
            total += weights.job_cost(by_id[j.ticket_id], j.eta_s) + weights.drive * j.drive_s
    for d in plan.dropped:
        total += weights.drop_penalty(by_id[d.ticket_id])
    return total
