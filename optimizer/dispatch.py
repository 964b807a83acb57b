"""Live dispatch: ``plan`` re-plans all open work with OR-Tools; ``recommend`` ranks crews for one ticket.

How the state becomes a routing problem (``build_problem``):
- node ``v`` (0..V-1) is crew ``v``'s own start: its position, or where its current job ends, from
  ``busy_until``; node ``V + v`` is its end, reached for free from anywhere (an open route, but one
  whose last service still counts against the shift end);
- node ``2V + i`` is kept ticket ``i``; time 0 is ``state.now_s`` and every time is in seconds;
- **every deadline is soft** (a late ticket is served late, not dropped): soft upper bounds on the
  arrival cumul with the costs of :class:`~optimizer.dispatch_types.Weights`;
- class 1: R6.1 asks for a crew to *depart* within 30 min, which depends on the leg driven before it and
  so is no window on the node. We price *arrival* steeply from the report time (on site as soon as
  possible, which also makes the crew leave at once), plus a steeper tier after the 60-min on-site
  target, and we check "departs ≤ 30 min" after the solve on the plan's own times (``Plan.class1``);
- class 2: tiers at 4 h and 8 h; class 3: ``earliest`` = slot start, soft slot end;
- skills through ``allowed_vehicles``; shift end through ``vehicle_max_end``; a job under way
  (``locked``) is the first visit of its crew; an *interruptible* crew's en-route job is simply back in
  the pool, so a class 1 can take the crew and the displaced job is re-planned;
- every ticket is droppable at a penalty far above any lateness, so a solution always exists; a
  dropped class 1 is an alarm (``Plan.alarms``);
- lateness is capped by the horizon (latest shift end), and ``objective_headroom`` checks int64.

``plan`` never leaves the dispatcher without an answer: on a solver error, no solution, or a budget
too small to search, it returns the greedy plan with ``used_fallback=True`` and a note saying why.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from optimizer import routing_model
from optimizer.dispatch_types import (
    CLASS1,
    DEFAULT_WEIGHTS,
    CrewOption,
    CrewState,
    DispatchState,
    DisplacedJob,
    DroppedTicket,
    Plan,
    PlannedJob,
    Recommendation,
    TicketState,
    Weights,
    compliance,
    crew_ready_s,
    plan_cost,
    plan_from_routes,
    slack_of,
)
from optimizer.explain import english, reason_for
from optimizer.greedy import greedy_plan, greedy_routes
from optimizer.isolated import ChildFailedError, DeadlineExceededError, call_with_deadline

#: Seconds kept back from the budget for building the problem, reading the answer and a fallback.
RESERVE_S = 0.35
#: Below this solver time there is no point in starting OR-Tools.
MIN_SOLVE_S = 0.2
#: How long past the *budget* the solver process may take before it is killed: the greedy answer
#: then comes at most this much late, inside the 1 s the issue allows.
GRACE_S = 0.6
#: Share of the remaining budget given to the search itself. OR-Tools checks its limit between
#: moves, and the child must still extract and send the routes; on an overloaded 2-core machine
#: (load 7-10) searches with 0.85 s of margin missed their deadline (60 s once, 5 s once in three).
SEARCH_SHARE = 0.9


class DispatchBuild:
    """A routing problem plus the maps back to crews and tickets."""

    def __init__(self, problem: routing_model.RoutingProblem, tickets: list[TicketState],
                 pre_dropped: list[DroppedTicket]) -> None:
        self.problem = problem
        self.tickets = tickets
        self.pre_dropped = pre_dropped


def build_problem(state: DispatchState, previous: Plan | None = None,
                  weights: Weights = DEFAULT_WEIGHTS) -> DispatchBuild:
    """The :class:`routing_model.RoutingProblem` for ``state`` (see the module docstring)."""
    _, seconds = state.node_matrix()
    crews = state.crews
    n_crews = len(crews)
    now = int(state.now_s)
    open_t = state.open_tickets()
    crew_pos = {c.id: i for i, c in enumerate(crews)}
    start_rel = [max(0, c.busy_until_s - now) for c in crews]
    end_rel = [max(0, c.shift_end_s - now) for c in crews]
    horizon = max([*end_rel, *start_rel, 1])

    # Tickets nobody can serve today are dropped up front with a reason a dispatcher can act on:
    # the solver would drop them too, but could not say why.
    keep: list[TicketState] = []
    pre_dropped: list[DroppedTicket] = []
    for i, t in enumerate(open_t):
        if t.locked and t.assigned_crew in crew_pos:
            keep.append(t)
            continue
        skilled = [v for v, c in enumerate(crews) if t.required_skill is None or t.required_skill in c.skills]
        if not skilled:
            pre_dropped.append(DroppedTicket(t.id, t.ticket_class, f"no crew has skill {t.required_skill!r}"))
            continue
        slot = max(0, (t.slot_start_s or now) - now)
        reach = [max(slot, start_rel[v] + int(seconds[v, n_crews + i])) + t.service_s <= end_rel[v]
                 for v in skilled]
        if not any(reach):
            pre_dropped.append(DroppedTicket(t.id, t.ticket_class,
                                             "no skilled crew can finish it before its shift ends"))
            continue
        keep.append(t)

    # Nodes: crew starts 0..V-1, crew ends V..2V-1, tickets from 2V. The routes are open in effect
    # (every arc into an end node is free), but closed in the model so that the last job's service
    # counts against the shift end: routing_model's dummy end for ``ends=None`` adds no service.
    rows = list(range(n_crews)) + list(range(n_crews)) + [n_crews + open_t.index(t) for t in keep]
    travel = seconds[np.ix_(rows, rows)].astype(np.int64)
    travel[:, n_crews:2 * n_crews] = 0
    n = len(rows)
    base_node = 2 * n_crews
    service = np.zeros(n, dtype=np.int64)
    earliest = np.zeros(n, dtype=np.int64)
    soft: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    allowed: list[list[int] | None] = [None] * n
    drop: list[int | None] = [None] * n
    locks: list[list[int]] = [[] for _ in range(n_crews)]
    node_of = {}
    for k, t in enumerate(keep):
        node = base_node + k
        node_of[t.id] = node
        service[node] = int(t.service_s)
        if t.slot_start_s is not None:
            earliest[node] = min(horizon, max(0, t.slot_start_s - now))
        soft[node] = [(max(0, b - now), c) for b, c in weights.soft_bounds(t)]
        if t.locked and t.assigned_crew in crew_pos:
            v = crew_pos[t.assigned_crew]
            allowed[node] = [v]
            locks[v].append(node)
        else:
            if t.required_skill is not None:
                allowed[node] = [v for v, c in enumerate(crews) if t.required_skill in c.skills]
            drop[node] = weights.drop_penalty(t)
    rank_of = {node_of[t.id]: t.lock_rank for t in keep}
    for chain in locks:  # R7.6: the current job, then the crew's queue in its order
        chain.sort(key=lambda node: rank_of[node])
    # A job under way is finished even past the shift end (overtime): without this the lock would
    # make the whole model infeasible and every crew would fall back to greedy.
    for v, chain in enumerate(locks):
        t_s, prev = start_rel[v], v
        for node in chain:
            t_s = max(t_s + int(travel[prev, node]), int(earliest[node])) + int(service[node])
            prev = node
        end_rel[v] = max(end_rel[v], t_s)
    horizon = max(horizon, *end_rel)
    initial = None
    if previous is not None:
        initial = []
        for v, c in enumerate(crews):
            route = list(locks[v])
            for j in previous.routes.get(c.id, []):
                node = node_of.get(j.ticket_id)
                if node is not None and node not in route and (allowed[node] is None or v in allowed[node]):
                    route.append(node)
            initial.append(route)
        seen: set[int] = set()
        for route in initial:  # a ticket can sit on one route only
            route[:] = [x for x in route if not (x in seen or seen.add(x))]
    problem = routing_model.RoutingProblem(
        travel=travel, service=service, starts=list(range(n_crews)),
        ends=list(range(n_crews, 2 * n_crews)),
        cost=travel * weights.drive, earliest=earliest, soft_bounds=soft,
        vehicle_start_time=start_rel, vehicle_max_end=end_rel, allowed_vehicles=allowed,
        drop_penalty=drop, locks=locks if any(locks) else None, initial_routes=initial, horizon=horizon,
    )
    return DispatchBuild(problem, keep, pre_dropped)


def plan(state: DispatchState, budget_s: float, previous: Plan | None = None, *,
         weights: Weights = DEFAULT_WEIGHTS, isolate: bool = True) -> Plan:
    """A full re-plan of all open work within ``budget_s`` seconds (never raises for solver trouble).

    Warm-starts GLS from ``previous`` when given, else from the greedy routes with the class-1
    tickets matched to crews first (``greedy_routes(class1_matching=True)``). The plain greedy plan is
    always computed first (milliseconds): it is the fallback, and if the solver's plan costs more than
    greedy's under the same objective, or loses to it on any compliance count (class-1 served and
    departing ≤ 30 min, class 2 ≤ 8 h and ≤ 4 h), the greedy routes are returned (with a note), so a
    short budget can never make the answer worse than the baseline.

    With ``isolate`` (the default) the search runs in a child process killed ``GRACE_S`` after the
    budget (:mod:`optimizer.isolated`), so even a solver that never returns costs the caller
    the budget plus ``GRACE_S`` (0.6 s), and the greedy plan comes back flagged.
    """
    t0 = time.perf_counter()
    base = greedy_plan(state)
    base_cost = plan_cost(base, state, weights)

    base_counts = compliance(base, state)
    start: Plan | None = None  # the class-1-matched start, when it beats greedy on cost and no count

    def worse_on(candidate: Plan) -> list[str]:
        return [k for k, v in compliance(candidate, state).items() if v < base_counts[k]]

    def fallback(why: str) -> Plan:
        # The matched start is greedy too (no search), so it may stand in for the plain one.
        if start is not None:
            fb = start
            fb.note = f"greedy fallback (class 1 matched first): {why}"
        else:
            fb = greedy_plan(state, note=f"greedy fallback: {why}")
            fb.objective = base_cost
        fb.used_fallback, fb.status = True, "greedy"
        fb.wall_s = time.perf_counter() - t0
        return fb

    try:
        # Warm start from the previous plan, else from the greedy routes rather than ILS cold: on
        # snapshot 1 (60 × 300, 20 s) GLS from greedy reached half ILS's objective, and ILS in
        # ortools 9.15 ran past its time limit (never returned) on a one-visit problem.
        if previous is None:
            # Class 1 matched to crews for the least total arrival, then the rest as greedy: the
            # biggest term of the objective starts near its optimum, which GLS alone took a minute
            # to reach (measured: 1-3% of the controllable objective on the dispatch snapshots).
            previous = plan_from_routes(state, *greedy_routes(state, class1_matching=True))
            previous.objective = plan_cost(previous, state, weights)
            if previous.objective < base_cost and not worse_on(previous):
                start = previous
        build = build_problem(state, previous, weights)
        if not build.tickets:
            out = plan_from_routes(state, {c.id: [] for c in state.crews}, build.pre_dropped)
            out.note, out.objective = "nothing to plan", plan_cost(out, state, weights)
            out.status = routing_model.SolveStatus.OPTIMAL
            out.wall_s = time.perf_counter() - t0
            return out
        remaining = budget_s - (time.perf_counter() - t0)
        limit = min(remaining - RESERVE_S, remaining * SEARCH_SHARE)
        if limit < MIN_SOLVE_S:
            return fallback(f"budget {budget_s:.2f} s leaves no time to search")
        strategy: routing_model.Strategy = "gls"
        if isolate:
            sol = call_with_deadline(routing_model.solve, build.problem, time_limit_s=limit,
                                     strategy=strategy, deadline_s=remaining + GRACE_S)
        else:
            sol = routing_model.solve(build.problem, time_limit_s=limit, strategy=strategy)
    except DeadlineExceededError as exc:
        return fallback(f"the solver gave no plan within the budget ({exc})")
    except ChildFailedError as exc:
        return fallback(f"solver error: {str(exc).splitlines()[0]}")
    except Exception as exc:  # the fallback exists precisely for solver failures of any kind
        return fallback(f"solver error: {type(exc).__name__}: {exc}")
    if not sol.status.has_solution:
        return fallback(f"solver returned no plan (status {sol.status})")
    first = 2 * len(state.crews)
    routes = {c.id: [build.tickets[x - first].id for x in sol.routes[v]]
              for v, c in enumerate(state.crews)}
    dropped = list(build.pre_dropped) + [
        DroppedTicket(build.tickets[x - first].id, build.tickets[x - first].ticket_class,
                      "dropped by the optimizer: serving it would delay more urgent work beyond its penalty")
        for x in sol.dropped]
    out = plan_from_routes(state, routes, dropped)
    cost = plan_cost(out, state, weights)
    out.status, out.objective = sol.status, cost
    out.note = f"OR-Tools {strategy.upper()} in {sol.wall_s:.2f} s"
    if sol.notes:
        out.note += "; " + "; ".join(sol.notes)
    # Linear lateness costs can trade one class-2 4-h miss (or one R6.1 departure, which the model
    # prices only through arrival) for many minutes elsewhere; the dispatcher's promise is class by
    # class, so a plan that loses any compliance count to greedy is refused. The matched start is
    # the second candidate: in a class-1 surge the solver may give up an R6.1 departure for a
    # shorter total arrival while the start, matched for departures first, did not.
    worse = worse_on(out)
    if not worse and cost <= base_cost:
        out.wall_s = time.perf_counter() - t0
        return out
    if start is not None:
        start.status = sol.status
        why = f"worse on {', '.join(worse)}" if worse else f"cost {cost} > greedy {base_cost}"
        start.note = f"matched start kept: the solver's plan was {why}"
        start.wall_s = time.perf_counter() - t0
        return start
    base.objective, base.status = base_cost, sol.status
    if worse:
        base.note = f"greedy routes kept: the solver's plan was worse on {', '.join(worse)}"
    else:
        base.note = f"greedy routes kept: the solver's plan cost {cost} > greedy {base_cost} in the budget"
    base.wall_s = time.perf_counter() - t0
    return base


# ----------------------------------------------------------------------------- recommend
def _route_tickets(state: DispatchState, jobs: Sequence[PlannedJob]) -> list[TicketState]:
    by_id = {t.id: t for t in state.tickets}
    return [by_id[j.ticket_id] for j in jobs]


def recommend(ticket: TicketState, state: DispatchState, k: int = 3, *, current: Plan | None = None,
              weights: Weights = DEFAULT_WEIGHTS) -> Recommendation:
    """The top-``k`` crews for ``ticket``, by insertion into the current plan (no solver run).

    Why insertion: a class-1 recommendation is interactive (p50 ≤ 150 ms), and a full solve is not.
    For every skilled crew, every position after its locked work is tried; the cost is the ticket's own
    lateness and drive plus the extra lateness it causes the jobs behind it (displaced work), so a crew
    that is closer but would push a class-2 job past its 8 h shows up as such. Travel comes from two
    one-to-all searches (everything → ticket, ticket → everything), not a matrix.

    ``current`` is the plan in force (default: the greedy plan of ``state``). If ``ticket`` is already in
    it, it is taken out first (the jobs behind it keep their times: a small, safe over-estimate).
    """
    if current is None:
        current = state._cache.get("plan") or greedy_plan(state)
        state._cache["plan"] = current
    by_id = {t.id: t for t in state.tickets}
    by_id[ticket.id] = ticket
    now = int(state.now_s)
    routes = {cid: [j for j in jobs if j.ticket_id != ticket.id] for cid, jobs in current.routes.items()}
    skilled = [c for c in state.crews if ticket.required_skill is None or ticket.required_skill in c.skills]
    if not skilled:
        return Recommendation(ticket.id, (), note=f"no crew has skill {ticket.required_skill!r}")
    route_nodes = sorted({by_id[j.ticket_id].node for c in skilled for j in routes.get(c.id, [])}
                         | {c.node for c in skilled})
    to_t = dict(zip(route_nodes, state.travel.matrix(route_nodes, [ticket.node], state.hour)[:, 0].tolist(),
                    strict=True))
    from_t = dict(zip(route_nodes, state.travel.matrix([ticket.node], route_nodes, state.hour)[0].tolist(),
                      strict=True))

    cands = []
    for c in skilled:
        best = _best_insertion(c, ticket, routes.get(c.id, []), by_id, to_t, from_t, state, now, weights)
        if best is not None:
            cands.append(best)
    if not cands:
        return Recommendation(ticket.id, (), note="no skilled crew can serve it before its shift ends")
    cands.sort(key=lambda x: (x["cost"], x["eta"]))
    top = cands[:k]
    best_cost = top[0]["cost"]
    options = []
    for i, x in enumerate(top):
        opt = CrewOption(
            crew_id=x["crew"].id, crew_label=x["crew"].label, eta_s=x["eta"], depart_s=x["depart"],
            slack=slack_of(ticket, x["depart"], x["eta"]), displaced=tuple(x["displaced"]),
            cost=x["cost"], cost_delta=x["cost"] - best_cost, explanation="", diverted=x["diverted"],
            overrun_s=int(x["crew"].overrun_s))
        reason = reason_for(opt, options[0] if i else None, now)
        options.append(replace(opt, explanation=english(reason), reason=reason))
    return Recommendation(ticket.id, tuple(options))


def _best_insertion(crew: CrewState, ticket: TicketState, jobs: list[PlannedJob], by_id: dict,
                    to_t: dict, from_t: dict, state: DispatchState, now: int, weights: Weights) -> dict | None:
    """Cheapest feasible position for ``ticket`` on ``crew``'s route, with what it displaces."""
    first = 0
    if ticket.ticket_class == CLASS1:
        # R7.6: a class 1 never waits behind work not started. It may go before a crew's current job
        # (diverting it) when the crew is interruptible, and always before its queued class-2/3 work;
        # only a job it cannot interrupt (another class 1) stays ahead of it.
        diverts = crew.interruptible and bool(jobs) and jobs[0].ticket_id == crew.current_ticket_id
        while first < len(jobs) and jobs[first].locked and not (first == 0 and diverts) \
                and (by_id[jobs[first].ticket_id].ticket_class == CLASS1
                     or (jobs[first].ticket_id == crew.current_ticket_id and not crew.interruptible)):
            first += 1
    else:
        while first < len(jobs) and jobs[first].locked:
            first += 1
        if first < len(jobs) and jobs[first].ticket_id == crew.current_ticket_id:
            first += 1  # only a class 1 diverts a crew from the order it is on (R7.1; the service queues the rest)
    # A class 1 has one place, the one the service gives it: first, or right behind what it cannot interrupt.
    last = first if ticket.ticket_class == CLASS1 else len(jobs)
    best = None
    for p in range(first, last + 1):
        prev_end = jobs[p - 1].end_s if p else crew_ready_s(state, crew)
        prev_node = by_id[jobs[p - 1].ticket_id].node if p else crew.node
        drive = int(to_t[prev_node])
        eta = prev_end + drive
        start = max(eta, ticket.slot_start_s) if ticket.slot_start_s is not None else eta
        end = start + int(ticket.service_s)
        cost = weights.job_cost(ticket, eta) + weights.drive * drive
        displaced = []
        t_end, feasible = end, end <= crew.shift_end_s
        for q in range(p, len(jobs)):
            j = jobs[q]
            jt = by_id[j.ticket_id]
            leg = int(from_t[jt.node]) if q == p else j.drive_s
            if q == p:
                cost += weights.drive * (leg - j.drive_s)
            new_eta = t_end + leg
            if new_eta <= j.eta_s:
                t_end = j.end_s  # absorbed by waiting for a slot: nothing later moves
                break
            new_start = max(new_eta, jt.slot_start_s) if jt.slot_start_s is not None else new_eta
            t_end = new_start + int(jt.service_s)
            cost += weights.job_cost(jt, new_eta) - weights.job_cost(jt, j.eta_s)
            displaced.append(DisplacedJob(jt.id, jt.ticket_class, new_eta - j.eta_s, jt.kind))
        else:
            feasible = feasible and t_end <= crew.shift_end_s
        if not feasible:
            continue
        if best is None or (cost, eta) < (best["cost"], best["eta"]):
            best = {"crew": crew, "eta": eta, "depart": prev_end, "cost": cost, "displaced": displaced,
                    "diverted": p == 0 and bool(jobs) and crew.interruptible
                    and jobs[0].ticket_id == crew.current_ticket_id and ticket.ticket_class == CLASS1}
    return best
