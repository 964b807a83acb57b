"""Grading appointment slots for a new class-3 job by cheapest insertion into one day's routes (R6.4).

A customer is offered only slots a crew can keep. For each candidate slot the job is inserted, at
every position, into the committed route of every crew on that day's roster; the slot's grade is:

- **feasible**: some insertion is *valid* and leaves at least ``margin_s`` of slack;
- **tight**: some insertion is valid, but every valid one leaves less than ``margin_s`` of slack;
- **not possible**: no insertion is valid (or no crew has the skill).

An insertion is *valid* when

1. the crew arrives at the new job no later than the slot's end (arriving before the slot opens,
   it waits: service starts at the slot's start, R6.4 "the crew arrives inside that slot");
2. no committed job becomes late: each arrives no later than ``max(its deadline, its arrival
   without the new job)`` (a job already late may not get later; an on-time job may not become late);
3. the route still ends within the shift: the end of the last service is no later than
   ``max(shift end, the end without the new job)``.

The *slack* of an insertion is the least time to spare on what it can delay: the new job's slot
end minus its arrival; each committed job from the insertion point on that was on time, its
deadline minus its new arrival; and, when the route ended within the shift before, the shift end
minus the route's new end. The grade's crew and extra drive are those of the cheapest insertion
(least extra driving, then most slack, then lowest crew id, then earliest position) among the valid
ones that leave the margin (feasible), or among all valid ones (tight).

Extra drive is ``d(prev, job) + d(job, next) - d(prev, next)`` (no ``next``: ``d(prev, job)``).

Pure numbers: seconds on one clock, nodes of a road network; the ops layer builds the roster from
the database and the shift rules. The suffix of a route after the insertion is walked only while the
delay has not been absorbed by waiting; after that the precomputed suffix minimum stands in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from optimizer.dispatch_types import TravelTimes

#: (product) A valid insertion that leaves less than this to spare makes the slot "tight".
DEFAULT_MARGIN_S = 15 * 60

_INF = 1 << 62


class Grade(StrEnum):
    FEASIBLE = "feasible"
    TIGHT = "tight"
    NOT_POSSIBLE = "not_possible"


@dataclass(frozen=True)
class Stop:
    """A committed job on a crew's route: no service before ``earliest_s``, arrival by ``latest_s``."""

    id: int
    node: int
    service_s: int
    earliest_s: int | None = None
    latest_s: int | None = None


@dataclass(frozen=True)
class CrewDay:
    """One crew's day: free from ``start_s`` at ``node``, its committed stops in order, shift end ``end_s``."""

    crew_id: int
    node: int
    start_s: int
    end_s: int
    stops: tuple[Stop, ...] = ()
    skills: frozenset[str] = frozenset()
    label: str = ""


@dataclass(frozen=True)
class NewJob:
    node: int
    service_s: int
    required_skill: str | None = None


@dataclass(frozen=True)
class Slot:
    start_s: int
    end_s: int


@dataclass(frozen=True)
class Insertion:
    """One valid insertion: the job goes before stop ``position`` of crew ``crew_id``."""

    crew_id: int
    position: int
    arrival_s: int
    extra_drive_s: int
    slack_s: int


@dataclass(frozen=True)
class SlotGrade:
    slot: Slot
    grade: Grade
    best: Insertion | None = None

    @property
    def crew_id(self) -> int | None:
        return self.best.crew_id if self.best else None

    @property
    def extra_drive_s(self) -> int | None:
        return self.best.extra_drive_s if self.best else None


def _key(ins: Insertion) -> tuple[int, int, int, int]:
    return (ins.extra_drive_s, -ins.slack_s, ins.crew_id, ins.position)


def grade_from(slot: Slot, valid: Sequence[Insertion], margin_s: int = DEFAULT_MARGIN_S) -> SlotGrade:
    """The grade the module docstring defines, from every valid insertion of one slot."""
    roomy = [i for i in valid if i.slack_s >= margin_s]
    if roomy:
        return SlotGrade(slot, Grade.FEASIBLE, min(roomy, key=_key))
    if valid:
        return SlotGrade(slot, Grade.TIGHT, min(valid, key=_key))
    return SlotGrade(slot, Grade.NOT_POSSIBLE)


# ----------------------------------------------------------------------------- one crew's base route
@dataclass(frozen=True)
class _Route:
    """A crew's route without the new job, and what insertion needs of it."""

    crew: CrewDay
    ends: np.ndarray       # ends[p]: when the crew leaves the node before stop p (p=0: start_s)
    arrivals: np.ndarray   # base arrival at each stop
    early: np.ndarray      # earliest service start - base arrival at each stop (very negative: none)
    caps: np.ndarray       # how much later each stop may be reached (>= 0); the route end last
    on_time: np.ndarray    # bool: counts in the slack (on time before); the route end last
    suffix_slack: np.ndarray  # min cap over on-time items from p on (len n+2, last = INF)
    prev_nodes: np.ndarray  # node before stop p
    legs: np.ndarray       # legs[p]: d(prev of p, stop p)


def _route(crew: CrewDay, leg_of) -> _Route:
    n = len(crew.stops)
    ends = np.zeros(n + 1, dtype=np.int64)
    arrivals = np.zeros(n, dtype=np.int64)
    early = np.full(n, -_INF, dtype=np.int64)
    caps = np.zeros(n + 1, dtype=np.int64)
    on_time = np.zeros(n + 1, dtype=bool)
    prev_nodes = np.zeros(n + 1, dtype=np.int64)
    legs = np.zeros(n, dtype=np.int64)
    t, node = int(crew.start_s), int(crew.node)
    ends[0] = t
    for i, s in enumerate(crew.stops):
        prev_nodes[i] = node
        legs[i] = leg_of(node, s.node)
        a = t + int(legs[i])
        start = max(a, s.earliest_s) if s.earliest_s is not None else a
        arrivals[i] = a
        if s.earliest_s is not None:
            early[i] = int(s.earliest_s) - a
        if s.latest_s is None:
            caps[i], on_time[i] = _INF, False
        else:
            caps[i], on_time[i] = max(int(s.latest_s) - a, 0), a <= s.latest_s
        t, node = start + int(s.service_s), int(s.node)
        ends[i + 1] = t
    prev_nodes[n] = node
    caps[n] = max(int(crew.end_s) - t, 0)
    on_time[n] = t <= crew.end_s
    suffix = np.full(n + 2, _INF, dtype=np.int64)
    for i in range(n, -1, -1):
        suffix[i] = min(suffix[i + 1], caps[i]) if on_time[i] else suffix[i + 1]
    return _Route(crew, ends, arrivals, early, caps, on_time, suffix, prev_nodes, legs)


def _insert(r: _Route, p: int, slot: Slot, job: NewJob, to_job: int, from_job: int) -> Insertion | None:
    """The insertion before stop ``p`` if valid (the docstring's three conditions), else ``None``."""
    n = len(r.crew.stops)
    arrival = int(r.ends[p]) + to_job
    if arrival > slot.end_s:
        return None
    slack = slot.end_s - arrival
    job_end = max(arrival, slot.start_s) + job.service_s
    # the delay pushed onto stop p (or onto the route's end when p == n)
    if p < n:
        delay = job_end + from_job - int(r.arrivals[p])
        extra = to_job + from_job - int(r.legs[p])
    else:
        delay = job_end - int(r.ends[n])
        extra = to_job
    i = p
    while delay != 0 and i <= n:
        if delay > r.caps[i]:
            return None
        if r.on_time[i]:
            slack = min(slack, int(r.caps[i]) - delay)
        if i == n:
            return Insertion(r.crew.crew_id, p, arrival, int(extra), int(slack))
        # service start moves by max(arrival + delay, earliest) - max(arrival, earliest)
        early = int(r.early[i])
        delay = max(delay, early) - max(0, early)
        i += 1
    slack = min(slack, int(r.suffix_slack[i]))
    return Insertion(r.crew.crew_id, p, arrival, int(extra), int(slack))


# ----------------------------------------------------------------------------- travel for one day
class DayTravel:
    """The driving times one day's grading needs: the legs of every route, and to and from the job.

    The legs of the committed routes do not depend on the job, so a caller grading many jobs on one
    roster (the slot picker while the agent types) may keep this object and call :meth:`for_job`.
    """

    def __init__(self, crews: Sequence[CrewDay], travel: TravelTimes, hour: int | None) -> None:
        self.travel, self.hour = travel, hour
        pairs = {(c.node if i == 0 else c.stops[i - 1].node, s.node)
                 for c in crews for i, s in enumerate(c.stops)}
        self._legs: dict[tuple[int, int], int] = {}
        if pairs:
            frm = sorted({a for a, _ in pairs})
            to = sorted({b for _, b in pairs})
            m = np.asarray(travel.matrix(frm, to, hour), dtype=np.int64)
            fi = {n: k for k, n in enumerate(frm)}
            ti = {n: k for k, n in enumerate(to)}
            self._legs = {(a, b): int(m[fi[a], ti[b]]) for a, b in pairs}
        self.nodes = sorted({c.node for c in crews} | {s.node for c in crews for s in c.stops})
        self._routes: dict[CrewDay, _Route] = {}

    def route(self, crew: CrewDay) -> _Route:
        """The crew's base route, kept: placing one booked job changes one crew's route, not the others'."""
        if crew not in self._routes:
            self._routes[crew] = _route(crew, self.leg)
        return self._routes[crew]

    def leg(self, a: int, b: int) -> int:
        if (a, b) not in self._legs:  # a leg made by placing a job (see :func:`place`)
            self._legs[(a, b)] = int(np.asarray(self.travel.matrix([a], [b], self.hour), dtype=np.int64)[0, 0])
        return self._legs[(a, b)]

    def for_job(self, node: int) -> tuple[dict[int, int], dict[int, int]]:
        """(node → seconds to the job, node → seconds from the job) for every route node."""
        if not self.nodes:
            return {}, {}
        to = np.asarray(self.travel.matrix(self.nodes, [node], self.hour), dtype=np.int64)[:, 0]
        frm = np.asarray(self.travel.matrix([node], self.nodes, self.hour), dtype=np.int64)[0]
        return dict(zip(self.nodes, to.tolist(), strict=True)), dict(zip(self.nodes, frm.tolist(), strict=True))


def _valid_insertions(routes: Sequence[_Route], job: NewJob, slot: Slot, to_job: dict[int, int],
                      from_job: dict[int, int]) -> list[Insertion]:
    valid = []
    for r in routes:
        n = len(r.crew.stops)
        for p in range(n + 1):
            ins = _insert(r, p, slot, job, to_job[int(r.prev_nodes[p])],
                          from_job[r.crew.stops[p].node] if p < n else 0)
            if ins is not None:
                valid.append(ins)
    return valid


def place(crews: Sequence[CrewDay], stop: Stop, day: DayTravel, *, required_skill: str | None = None,
          margin_s: int = 0) -> tuple[list[CrewDay], Insertion | None]:
    """Commit a booked job to the day's plan at its cheapest valid insertion (``None``: none is valid).

    Booked class-3 work that no crew holds yet is part of the day's plan before a new job is graded
    against it: each is placed where it costs least, in the order the caller gives (slot start).
    """
    assert stop.earliest_s is not None and stop.latest_s is not None, "a booked job has a slot"
    job = NewJob(stop.node, stop.service_s, required_skill)
    slot = Slot(stop.earliest_s, stop.latest_s)
    skilled = [c for c in crews if required_skill is None or required_skill in c.skills]
    to_job, from_job = day.for_job(stop.node)
    valid = _valid_insertions([day.route(c) for c in skilled], job, slot, to_job, from_job)
    best = grade_from(slot, valid, margin_s).best
    if best is None:
        return list(crews), None
    out = []
    for c in crews:
        if c.crew_id == best.crew_id:
            c = replace(c, stops=(*c.stops[:best.position], stop, *c.stops[best.position:]))
        out.append(c)
    day.nodes = sorted(set(day.nodes) | {stop.node})
    return out, best


def grade_slots(crews: Sequence[CrewDay], job: NewJob, slots: Sequence[Slot], travel: TravelTimes | DayTravel,
                *, hour: int | None = None, margin_s: int = DEFAULT_MARGIN_S) -> list[SlotGrade]:
    """Grade each slot for ``job`` on one day's roster (see the module docstring for the definitions)."""
    day = travel if isinstance(travel, DayTravel) else DayTravel(crews, travel, hour)
    skilled = [c for c in crews if job.required_skill is None or job.required_skill in c.skills]
    to_job, from_job = day.for_job(job.node)
    routes = [day.route(c) for c in skilled]
    return [grade_from(slot, _valid_insertions(routes, job, slot, to_job, from_job), margin_s) for slot in slots]


# ----------------------------------------------------------------------------- travel, kept between calls
class RowCacheTravel:
    """Network travel times that keep each source's one-to-all row (float32) for later calls.

    Grading one caller's slots needs the legs of every committed route and the way to and from
    every booked job: hundreds of Dijkstra runs on a city network (about 10 ms each), yet none of
    them depend on the caller. Kept here, a later call runs one Dijkstra (from the new job) and reads
    the rest; ``max_rows`` bounds the memory (a row is 4 bytes per network node), oldest out first.
    """

    def __init__(self, network, max_rows: int = 1024) -> None:
        import threading
        from collections import OrderedDict

        self.network, self.max_rows = network, max_rows
        self._rows: OrderedDict[tuple[int | None, int], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # pages grade in several threads

    def _ensure(self, nodes: Sequence[int], hour: int | None) -> None:
        missing = sorted({int(n) for n in nodes if (hour, int(n)) not in self._rows})
        if missing:
            from scipy.sparse import csgraph

            dist = csgraph.dijkstra(self.network.graph_at(hour), directed=True, indices=missing)
            for n, row in zip(missing, np.atleast_2d(dist), strict=True):
                self._rows[(hour, n)] = np.rint(row).astype(np.float32)
        for n in nodes:
            self._rows.move_to_end((hour, int(n)))
        while len(self._rows) > max(self.max_rows, len(set(nodes))):
            self._rows.popitem(last=False)

    def matrix(self, from_nodes: Sequence[int], to_nodes: Sequence[int], hour: int | None) -> np.ndarray:
        frm = [int(n) for n in from_nodes]
        to = np.asarray(list(to_nodes), dtype=np.int64)
        if not frm:
            return np.zeros((0, len(to)), dtype=np.int64)
        with self._lock:
            self._ensure(frm, hour)
            return np.stack([self._rows[(hour, n)][to] for n in frm]).astype(np.int64)
