"""The greedy nearest-crew policy: the baseline in every benchmark and the fallback of ``plan``.

Why it exists twice over: it is what a dispatcher does by hand (the most urgent ticket to whichever
skilled crew gets there first), so beating it is the optimizer's whole case; and it answers in
milliseconds with no solver, so when OR-Tools errs or runs out of time the dispatcher still gets a
plan (flagged as a fallback) instead of nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from optimizer.dispatch_types import CLASS1, DispatchState, DroppedTicket, Plan, plan_from_routes


def greedy_routes(state: DispatchState, *, class1_matching: bool = False,
                  ) -> tuple[dict[int, list[int]], list[DroppedTicket]]:
    """Ordered ticket ids per crew, and the tickets no crew can take.

    Tickets go in priority order (class, then earliest deadline); each goes to the end of the queue of
    the skilled crew that can start it earliest and still finish before its shift ends. Locked tickets
    (under way) stay first on their crew. Vectorised over crews, so 60 × 300 takes a few ms.
    """
    _, seconds = state.node_matrix()
    crews = state.crews
    n_crews = len(crews)
    open_t = state.open_tickets()
    row_of = {t.id: n_crews + i for i, t in enumerate(open_t)}
    now = int(state.now_s)
    ready = np.asarray([max(0, c.busy_until_s - now) for c in crews], dtype=np.int64)
    last = np.arange(n_crews, dtype=np.int64)
    shift_end = np.asarray([c.shift_end_s - now for c in crews], dtype=np.int64)
    crew_pos = {c.id: i for i, c in enumerate(crews)}
    skill_masks: dict[str | None, np.ndarray] = {None: np.ones(n_crews, dtype=bool)}
    routes: dict[int, list[int]] = {c.id: [] for c in crews}
    dropped: list[DroppedTicket] = []

    def place(t, i: int) -> None:
        r = row_of[t.id]
        eta = ready[i] + seconds[last[i], r]
        start = max(eta, t.slot_start_s - now) if t.slot_start_s is not None else eta
        ready[i] = start + t.service_s
        last[i] = r
        routes[crews[i].id].append(t.id)

    locked = sorted((t for t in open_t if t.locked and t.assigned_crew in crew_pos),
                    key=lambda t: (t.lock_rank, t.priority_key()))  # R7.6: a crew's queue in its order
    for t in locked:
        place(t, crew_pos[t.assigned_crew])
    locked_ids = {t.id for t in locked}

    def skilled(skill: str | None) -> np.ndarray:
        if skill not in skill_masks:
            skill_masks[skill] = np.asarray([skill in c.skills for c in crews], dtype=bool)
        return skill_masks[skill]

    if class1_matching:
        for t, i in _match_class1(state, [t for t in open_t if t.id not in locked_ids], ready, last,
                                  shift_end, row_of, seconds, skilled):
            place(t, i)
            locked_ids.add(t.id)
    for t in sorted((t for t in open_t if t.id not in locked_ids), key=lambda t: t.priority_key()):
        mask = skilled(t.required_skill)
        if not mask.any():
            dropped.append(DroppedTicket(t.id, t.ticket_class, f"no crew has skill {t.required_skill!r}"))
            continue
        eta = ready + seconds[last, row_of[t.id]]
        start = np.maximum(eta, t.slot_start_s - now) if t.slot_start_s is not None else eta
        ok = mask & (start + t.service_s <= shift_end)
        if not ok.any():
            dropped.append(DroppedTicket(t.id, t.ticket_class,
                                         "no skilled crew can finish it before its shift ends"))
            continue
        # Earliest start, ties broken by earliest arrival (less waiting for a class-3 slot).
        key = np.where(ok, start, np.iinfo(np.int64).max // 4)
        best = np.flatnonzero(key == key.min())
        i = int(best[np.argmin(eta[best])])
        place(t, i)
    return routes, dropped


def greedy_plan(state: DispatchState, *, note: str = "greedy nearest-crew plan") -> Plan:
    """The greedy answer as a full :class:`Plan` (times, slack, class-1 summary)."""
    t0 = time.perf_counter()
    routes, dropped = greedy_routes(state)
    plan = plan_from_routes(state, routes, dropped)
    plan.note = note
    plan.status = "greedy"
    plan.wall_s = time.perf_counter() - t0
    return plan


#: Matching cost of a class 1 whose crew cannot leave by its R6.1 deadline (≈ 31 years of arrival).
LATE_DEPARTURE = 10**9


def _match_class1(state: DispatchState, tickets: list, ready: np.ndarray, last: np.ndarray,
                  shift_end: np.ndarray, row_of: dict[int, int], seconds: np.ndarray,
                  skilled: Callable[[str | None], np.ndarray]) -> list[tuple]:
    """Class-1 tickets matched to crews: most departures within 30 min, then least total arrival.

    Why: taking class 1 one at a time, each to its nearest crew, can hand the second emergency a
    crew 10 minutes farther because the first took the only crew near both; a min-cost matching
    (Hungarian, milliseconds for tens of tickets) never does, and the optimizer then starts from it.
    A crew still busy past a ticket's R6.1 departure deadline costs ``LATE_DEPARTURE`` on top of its
    arrival, more than any sum of arrivals, so the matching first maximises the R6.1 count (as the
    dispatcher is judged) and only then minimises arrival (one class 1 per crew).
    """
    from scipy.optimize import linear_sum_assignment

    class1 = [t for t in tickets if t.ticket_class == CLASS1]
    if not class1:
        return []
    now = int(state.now_s)
    big = np.iinfo(np.int64).max // 8
    cost = np.full((len(class1), len(ready)), big, dtype=np.int64)
    for k, t in enumerate(class1):
        eta = ready + seconds[last, row_of[t.id]]
        ok = skilled(t.required_skill) & (eta + t.service_s <= shift_end)
        late = ready > (t.depart_by_s - now if t.depart_by_s is not None else big)
        cost[k] = np.where(ok, eta + np.where(late, LATE_DEPARTURE, 0), big)
    rows, cols = linear_sum_assignment(cost)
    return sorted(((class1[r], int(c)) for r, c in zip(rows, cols, strict=True) if cost[r, c] < big),
                  key=lambda x: x[0].priority_key())
