"""The one OR-Tools routing model builder, shared by live dispatch and the Solomon benchmark.

Why one builder: the benchmark must measure the code that dispatches crews, not a solver written only
for the benchmark. Dispatch switches on what it needs (per-crew start nodes, open routes, soft
lateness tiers, skills, drop penalties, locks, warm starts); Solomon switches on hard windows,
capacity and a shared depot. Everything is plain integers: OR-Tools works in int64, so the caller
picks the unit (seconds for dispatch, tenths of a distance unit for Solomon).

Pinned to ortools 9.15: the iterated-local-search field names below changed across 9.x releases,
and ILS only runs through ``RoutingModel.SolveWithIteratedLocalSearch`` (``SolveWithParameters``
silently ignores ``iterated_local_search_parameters``).

Int64 headroom: OR-Tools sums arc costs, soft-bound costs, drop penalties and fixed costs in int64 and
saturates on overflow, after which different plans score the same. :func:`cost_upper_bound` bounds
the largest objective any solution of a problem can reach; :func:`solve` refuses (``ValueError``)
any problem where that bound reaches ``COST_LIMIT`` = 2**62, which leaves a factor-2 margin for the
solver's internal sums (e.g. a candidate's cost plus a delta).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, get_args

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_ils_pb2
from ortools.util import optional_boolean_pb2

COST_LIMIT = 2**62

#: The two searches :func:`solve` offers (see :func:`_params`); anything else is refused up front.
Strategy = Literal["ils", "gls"]
STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)


class SolveStatus(StrEnum):
    """How a search ended: OR-Tools' ``RoutingSearchStatus`` folded to what a caller acts on.

    A ``StrEnum``, so the value is also the plain string kept in plans and benchmark JSON.
    """

    OPTIMAL = "optimal"  # ROUTING_OPTIMAL
    FEASIBLE = "feasible"  # an assignment came back (success, partial success, or stopped by a limit)
    NO_SOLUTION = "no_solution"  # ROUTING_NOT_SOLVED, ROUTING_FAIL, ROUTING_INFEASIBLE
    TIMEOUT = "timeout"  # ROUTING_FAIL_TIMEOUT: the limit came before any solution
    INVALID = "invalid"  # ROUTING_INVALID: OR-Tools rejected the model or the parameters

    @property
    def has_solution(self) -> bool:
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


_STATUS = {
    routing_enums_pb2.RoutingSearchStatus.ROUTING_NOT_SOLVED: SolveStatus.NO_SOLUTION,
    routing_enums_pb2.RoutingSearchStatus.ROUTING_SUCCESS: SolveStatus.FEASIBLE,
    routing_enums_pb2.RoutingSearchStatus.ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED: SolveStatus.FEASIBLE,
    routing_enums_pb2.RoutingSearchStatus.ROUTING_FAIL: SolveStatus.NO_SOLUTION,
    routing_enums_pb2.RoutingSearchStatus.ROUTING_FAIL_TIMEOUT: SolveStatus.TIMEOUT,
    routing_enums_pb2.RoutingSearchStatus.ROUTING_INVALID: SolveStatus.INVALID,
    routing_enums_pb2.RoutingSearchStatus.ROUTING_INFEASIBLE: SolveStatus.NO_SOLUTION,
    routing_enums_pb2.RoutingSearchStatus.ROUTING_OPTIMAL: SolveStatus.OPTIMAL,
}


@dataclass(frozen=True)
class IlsTuning:
    """The knobs of ``strategy="ils"``; the defaults were tuned on Solomon (see bench/solomon.py).

    Measured on 11 hard Solomon instances at 3 s: SISR 15/15 with a start temperature of 8.5 mean arcs
    gave a 3.0% mean gap there, against 4.3% for 10/10 at OR-Tools' default temperature (100 tenths);
    switching off the local search after each recreate, or restricting operators to near neighbours,
    was worse. Frozen, so a tuning script passes ``dataclasses.replace(DEFAULT_ILS_TUNING, ...)`` to
    :func:`solve` instead of editing state that every other solve shares.
    """

    #: SISR ruin: the longest string of consecutive visits removed from one route.
    max_removed_sequence: int = 15
    #: SISR ruin: how many visits one ruin removes on average.
    avg_removed_visits: int = 15
    #: SISR ruin: the chance of keeping a visit inside a removed string (the "split string" variant).
    bypass_factor: float = 0.01
    #: Simulated annealing start temperature in mean arc costs, so it means the same in any unit.
    initial_temperature_arcs: float = 8.5
    #: Final temperature as a share of the start one (exponential cooling in between).
    final_temperature_ratio: float = 0.001
    #: Local-search operators look at this share of each node's neighbours, and at least ``min_neighbors``.
    neighbors_ratio: float = 1.0
    min_neighbors: int = 1
    #: ``local_search_operators`` fields to switch off beyond the path LNS operators and Lin-Kernighan.
    operators_off: tuple[str, ...] = ()
    #: Run the local search on every recreated solution before it is accepted or rejected.
    improve_perturbed: bool = True
    #: The recreate heuristic, by its ``FirstSolutionStrategy`` name.
    recreate: str = "LOCAL_CHEAPEST_INSERTION"


DEFAULT_ILS_TUNING = IlsTuning()


@dataclass
class RoutingProblem:
    """A vehicle routing problem over nodes ``0..n-1``, in integer units.

    Nodes named in ``starts`` or ``ends`` are depots (a shared depot, or a crew's own position node);
    every other node is a visit. Times and windows share one unit (seconds for dispatch). Arrival at a
    node means the start of service there: the vehicle may wait for ``earliest``.
    """

    travel: np.ndarray  # int64 (n x n) travel time between nodes
    service: np.ndarray  # int64 (n,) service time at each node
    starts: list[int]  # start node per vehicle
    ends: list[int] | None = None  # end node per vehicle; None = open routes (dummy end added)
    cost: np.ndarray | None = None  # int64 (n x n) arc cost; default = travel
    earliest: np.ndarray | None = None  # (n,) no service before (waiting allowed)
    latest: np.ndarray | None = None  # (n,) hard latest arrival; None = no hard upper bound
    soft_bounds: list[list[tuple[int, int]]] | None = None  # per node: [(bound, cost_per_unit_late)]
    demand: np.ndarray | None = None
    capacity: list[int] | None = None
    vehicle_start_time: list[int] | None = None  # earliest departure per vehicle (busy_until)
    vehicle_max_end: list[int] | None = None  # shift end per vehicle
    allowed_vehicles: list[list[int] | None] | None = None  # per node: allowed vehicles; None = any
    drop_penalty: list[int | None] | None = None  # per node: None = mandatory, int = droppable at cost
    vehicle_fixed_cost: int = 0
    locks: list[list[int]] | None = None  # per vehicle: nodes that must come first, in this order
    initial_routes: list[list[int]] | None = None  # warm start: visit nodes per vehicle
    horizon: int | None = None

    @property
    def n(self) -> int:
        return int(self.travel.shape[0])

    @property
    def num_vehicles(self) -> int:
        return len(self.starts)


@dataclass
class RoutingSolution:
    """Routes as visit nodes per vehicle (no start/end), with the earliest-schedule arrival times."""

    routes: list[list[int]]
    arrival: dict[int, int]
    dropped: list[int]
    objective: int
    status: SolveStatus
    wall_s: float
    strategy: Strategy | None = None  # the search that ran (ILS hands tiny problems to GLS)
    notes: list[str] = field(default_factory=list)


def _depots(p: RoutingProblem) -> set[int]:
    return set(p.starts) | set(p.ends or [])


def horizon_of(p: RoutingProblem) -> int:
    """Latest time any cumul can take.

    Why this bound: with no hard upper bound (dispatch: all deadlines soft), any route must still fit,
    so take the latest possible departure plus every visit's service and its longest incoming leg.
    """
    if p.horizon is not None:
        return int(p.horizon)
    travel = np.asarray(p.travel, dtype=np.int64)
    base = 0
    if p.vehicle_start_time:
        base = max(base, max(p.vehicle_start_time))
    if p.earliest is not None and len(p.earliest):
        base = max(base, int(np.max(p.earliest)))
    span = int(np.sum(np.asarray(p.service, dtype=np.int64))) + int(np.sum(travel.max(axis=0)))
    h = base + span
    if p.latest is not None and len(p.latest):
        h = max(h, int(np.max(p.latest)))
    if p.vehicle_max_end:
        h = max(h, max(p.vehicle_max_end))
    return int(h)


def cost_upper_bound(p: RoutingProblem) -> int:
    """An upper bound on the objective of any solution (arcs + lateness + drops + fixed costs).

    Each visit is entered by at most one arc, each vehicle leaves its start once, so the arc part is at
    most (visits + vehicles) times the largest arc cost. Lateness per tier is at most
    cost x (horizon - bound). Computed with Python ints, so it cannot itself overflow.
    """
    cost = np.asarray(p.cost if p.cost is not None else p.travel, dtype=np.int64)
    max_arc = int(cost.max()) if cost.size else 0
    h = horizon_of(p)
    total = max_arc * (p.n + p.num_vehicles)
    for tiers in p.soft_bounds or []:
        for bound, c in tiers or []:
            total += int(c) * max(0, h - int(bound))
    for pen in p.drop_penalty or []:
        if pen is not None:
            total += int(pen)
    total += int(p.vehicle_fixed_cost) * p.num_vehicles
    return total


def check_headroom(p: RoutingProblem) -> int:
    """Raise ValueError when costs could overflow int64 inside the solver; return the bound."""
    bound = cost_upper_bound(p)
    if bound >= COST_LIMIT:
        raise ValueError(
            f"cost bound {bound:.3e} reaches 2**62 ({COST_LIMIT:.3e}): lower the soft-bound or drop "
            "costs (count in minutes, cap lateness) so OR-Tools does not saturate int64"
        )
    return bound


#: From this many nodes on, transits are Python callbacks over routing indices; below it, a registered
#: matrix. Measured with ortools 9.15: on a 60-crew × 300-ticket dispatch snapshot (420 nodes) the
#: local search evaluated 6x more neighbours per second with the callback than with the matrix (or
#: the ``max_callback_cache_size`` cache, which builds the same kind of matrix); on 101-node Solomon
#: instances the matrix is cheap and the Python call per evaluation is what costs (R110/R112 at 10 s:
#: 2.51/2.61% gap with the matrix, 3.35/3.03% with callbacks).
CALLBACK_MIN_NODES = 200


class _Built:
    """The OR-Tools objects for one problem, kept together so they outlive the solve."""

    def __init__(self, p: RoutingProblem) -> None:
        self.p = p
        n, v = p.n, p.num_vehicles
        self.open = p.ends is None
        self.size = n + 1 if self.open else n  # node n = dummy end for open routes
        ends = [n] * v if self.open else list(p.ends)
        self.manager = pywrapcp.RoutingIndexManager(self.size, v, list(p.starts), ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        m, r = self.manager, self.routing
        depots = _depots(p) | ({n} if self.open else set())
        self.visits = [i for i in range(n) if i not in depots]

        use_callbacks = self.size >= CALLBACK_MIN_NODES
        # Index → node for every routing index (visits, and each vehicle's start and end copies).
        index_nodes = (np.asarray([m.IndexToNode(i) for i in range(r.Size() + v)], dtype=np.int64)
                       if use_callbacks else None)
        self._callbacks: list = []  # OR-Tools keeps only a reference: they must outlive the solve

        def register(mat: np.ndarray) -> int:
            """Transits for ``mat`` (see ``CALLBACK_MIN_NODES``); zero into and out of the dummy end."""
            a = np.asarray(mat, dtype=np.int64)
            if self.open:
                a = np.pad(a, ((0, 1), (0, 1)))
            if not use_callbacks:
                return r.RegisterTransitMatrix(a.tolist())
            rows = a[np.ix_(index_nodes, index_nodes)].tolist()  # by routing index: no IndexToNode per call

            def transit(i: int, j: int) -> int:
                return rows[i][j]

            self._callbacks.append(transit)
            return r.RegisterTransitCallback(transit)

        travel = np.asarray(p.travel, dtype=np.int64)
        service = np.asarray(p.service, dtype=np.int64)
        # Time transit = service at the origin + drive; the dummy end adds nothing.
        transit = travel + service[:, None]
        cost_idx = register(p.cost if p.cost is not None else travel)
        r.SetArcCostEvaluatorOfAllVehicles(cost_idx)
        time_idx = register(transit)
        self.horizon = horizon_of(p)
        h = self.horizon
        r.AddDimension(time_idx, h, h, False, "time")
        self.time = r.GetDimensionOrDie("time")
        # Extra soft-bound tiers: OR-Tools keeps one soft upper bound per cumul, so tier k lives in its
        # own mirror dimension. All dimensions share transits and lower bounds and carry no upper
        # bound, so each one's cheapest schedule is the same earliest-arrival schedule.
        max_tiers = max((len(t or []) for t in p.soft_bounds or []), default=0)
        self.dims = [self.time]
        for k in range(1, max_tiers):
            r.AddDimension(time_idx, h, h, False, f"time_tier{k}")
            self.dims.append(r.GetDimensionOrDie(f"time_tier{k}"))

        earliest = np.asarray(p.earliest, dtype=np.int64) if p.earliest is not None else None
        latest = np.asarray(p.latest, dtype=np.int64) if p.latest is not None else None
        for node in self.visits:
            idx = m.NodeToIndex(node)
            lo = int(earliest[node]) if earliest is not None else 0
            hi = int(latest[node]) if latest is not None else h
            for d in self.dims:
                d.CumulVar(idx).SetMin(lo)
            self.time.CumulVar(idx).SetMax(hi)
            for k, (bound, c) in enumerate((p.soft_bounds[node] or []) if p.soft_bounds else []):
                self.dims[k].SetCumulVarSoftUpperBound(idx, int(bound), int(c))
        for veh in range(v):
            s, e = r.Start(veh), r.End(veh)
            lo = p.vehicle_start_time[veh] if p.vehicle_start_time else 0
            if earliest is not None:
                lo = max(lo, int(earliest[p.starts[veh]]))
            for d in self.dims:
                d.CumulVar(s).SetMin(int(lo))
            hi_end = h
            if p.vehicle_max_end:
                hi_end = min(hi_end, int(p.vehicle_max_end[veh]))
            if latest is not None and not self.open:
                hi_end = min(hi_end, int(latest[ends[veh]]))
            self.time.CumulVar(e).SetMax(hi_end)
            # Depart as early as allowed, so the final assignment holds the earliest schedule.
            r.AddVariableMinimizedByFinalizer(self.time.CumulVar(s))

        if p.demand is not None and p.capacity is not None:
            dem = [int(x) for x in np.asarray(p.demand, dtype=np.int64)] + ([0] if self.open else [])
            dem_idx = r.RegisterUnaryTransitVector(dem)
            r.AddDimensionWithVehicleCapacity(dem_idx, 0, [int(c) for c in p.capacity], True, "load")

        if p.allowed_vehicles:
            for node, allowed in enumerate(p.allowed_vehicles):
                if allowed is not None and node in self.visits:
                    r.VehicleVar(m.NodeToIndex(node)).SetValues([-1, *[int(a) for a in allowed]])

        for node in self.visits:
            pen = p.drop_penalty[node] if p.drop_penalty else None
            if pen is not None:
                r.AddDisjunction([m.NodeToIndex(node)], int(pen))

        if p.vehicle_fixed_cost:
            r.SetFixedCostOfAllVehicles(int(p.vehicle_fixed_cost))

        # Locks as model constraints on Next/Vehicle variables rather than ApplyLocks: ApplyLocks
        # goes through the pre-assignment, which ILS (no starting solution) does not take, while a
        # domain restriction holds for every search strategy.
        for veh, chain in enumerate(p.locks or []):
            prev = r.Start(veh)
            for node in chain or []:
                idx = m.NodeToIndex(node)
                r.NextVar(prev).SetValues([idx])
                r.VehicleVar(idx).SetValues([veh])
                r.ActiveVar(idx).SetValue(1)
                prev = idx

    def routes_to_indices(self, routes: list[list[int]]) -> list[list[int]]:
        return [[self.manager.NodeToIndex(x) for x in route] for route in routes]


def _params(strategy: Strategy, time_limit_s: float, log: bool, mean_arc_cost: float = 100.0,
            tuning: IlsTuning = DEFAULT_ILS_TUNING,
            solution_limit: int | None = None) -> pywrapcp.DefaultRoutingSearchParameters:
    """Search parameters for ``strategy``.

    "gls" is the plain OR-Tools baseline: PARALLEL_CHEAPEST_INSERTION + GUIDED_LOCAL_SEARCH, every
    other parameter at its default. "ils" is OR-Tools' iterated local search with ruin-and-recreate
    (SISR string removal, local cheapest insertion): cheap rounds beat a few expensive ones, so the
    path-rebuilding LNS operators and Lin-Kernighan are switched off. The simulated-annealing
    temperatures are set relative to the mean arc cost, so they mean the same in tenths of a Solomon
    distance unit as in dispatch seconds (measured on Solomon: a start near 8 mean arcs beat both
    OR-Tools' fixed default of 100 and its automatic 0.1 x mean arc).

    One core: the routing local search is single-threaded; the only worker setting,
    ``sat_parameters.num_workers`` (used when CP-SAT schedules), is pinned to 1. ``solution_limit``
    stops the search after that many solutions, whatever the clock: the way to a reproducible run.
    """
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    params.log_search = log
    params.sat_parameters.num_workers = 1
    if solution_limit is not None:
        params.solution_limit = int(solution_limit)
    if strategy == "gls":
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        return params
    ops = params.local_search_operators
    off = optional_boolean_pb2.BOOL_FALSE
    for name in (
        "use_lin_kernighan",
        "use_global_cheapest_insertion_path_lns",
        "use_local_cheapest_insertion_path_lns",
        "use_relocate_path_global_cheapest_insertion_insert_unperformed",
        "use_global_cheapest_insertion_visit_types_lns",
        "use_local_cheapest_insertion_visit_types_lns",
    ):
        setattr(ops, name, off)
    for name in tuning.operators_off:
        setattr(ops, name, off)
    params.ls_operator_neighbors_ratio = tuning.neighbors_ratio
    params.ls_operator_min_neighbors = tuning.min_neighbors
    ils = params.iterated_local_search_parameters
    ils.perturbation_strategy = routing_ils_pb2.PerturbationStrategy.RUIN_AND_RECREATE
    rr = ils.ruin_recreate_parameters
    del rr.ruin_strategies[:]
    sisr = rr.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = tuning.max_removed_sequence
    sisr.avg_num_removed_visits = tuning.avg_removed_visits
    sisr.bypass_factor = tuning.bypass_factor
    rr.recreate_strategy.heuristic = getattr(routing_enums_pb2.FirstSolutionStrategy, tuning.recreate)
    ils.improve_perturbed_solution = tuning.improve_perturbed
    sa = ils.reference_solution_acceptance_strategy.simulated_annealing
    sa.cooling_schedule_strategy = routing_ils_pb2.CoolingScheduleStrategy.EXPONENTIAL
    sa.automatic_temperatures = False
    t0 = max(1.0, tuning.initial_temperature_arcs * mean_arc_cost)
    sa.initial_temperature = t0
    sa.final_temperature = max(0.01, t0 * tuning.final_temperature_ratio)
    ils.best_solution_acceptance_strategy.greedy_descent.SetInParent()
    return params


def _extract(b: _Built, assignment) -> tuple[list[list[int]], dict[int, int], list[int]]:
    """Routes as node lists, earliest-schedule arrivals, and dropped visits.

    Arrivals are recomputed here (leave as early as possible, wait for ``earliest``) rather than read
    from the cumul variables, which may sit anywhere within their slack when nothing prices them.
    """
    p, m, r = b.p, b.manager, b.routing
    routes: list[list[int]] = []
    arrival: dict[int, int] = {}
    travel = np.asarray(p.travel, dtype=np.int64)
    service = np.asarray(p.service, dtype=np.int64)
    for veh in range(p.num_vehicles):
        idx = r.Start(veh)
        prev = p.starts[veh]
        t = int(assignment.Value(b.time.CumulVar(idx)))
        route = []
        idx = assignment.Value(r.NextVar(idx))
        while not r.IsEnd(idx):
            node = m.IndexToNode(idx)
            t = t + int(service[prev]) + int(travel[prev, node])
            if p.earliest is not None:
                t = max(t, int(p.earliest[node]))
            arrival[node] = t
            route.append(node)
            prev = node
            idx = assignment.Value(r.NextVar(idx))
        routes.append(route)
    served = {x for route in routes for x in route}
    dropped = [x for x in b.visits if x not in served]
    return routes, arrival, dropped


def solve(problem: RoutingProblem, *, time_limit_s: float, strategy: Strategy = "ils",
          tuning: IlsTuning = DEFAULT_ILS_TUNING, solution_limit: int | None = None,
          log: bool = False) -> RoutingSolution:
    """Build the model and search; never raises for an infeasible problem (status says so).

    ``strategy="ils"`` ignores ``initial_routes`` (OR-Tools' ILS takes no starting solution);
    use ``"gls"`` for a warm re-plan from the previous routes. ``tuning`` applies to ILS only.

    There is no seed, because none can be honoured: ortools 9.15's ``RoutingSearchParameters`` have
    no random seed field (the only one, ``sat_parameters.random_seed``, belongs to the CP-SAT
    sub-solver, which this model does not use), and ILS's ruin and annealing draw from a generator
    OR-Tools seeds itself. The search is deterministic instead: with ``solution_limit`` the same
    problem gives the same routes every time; under a time limit alone the result depends on how many
    iterations the machine completes.
    Raises ValueError for an unknown strategy, a malformed problem, or one whose costs could overflow
    int64.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    t0 = time.perf_counter()
    check_headroom(problem)
    notes: list[str] = []
    visits = problem.travel.shape[0] - len(set(problem.starts) | set(problem.ends or []))
    if strategy == "ils" and visits < len(problem.starts):
        # Seen here with ortools 9.15: ILS never returns (time limit ignored) when there are fewer
        # visits than vehicles, e.g. 1 visit and 2 vehicles. Such problems are tiny: GLS solves them.
        strategy = "gls"
        notes.append(f"fewer visits ({visits}) than vehicles ({len(problem.starts)}): solved with GLS, not ILS")
    b = _Built(problem)
    cost = np.asarray(problem.cost if problem.cost is not None else problem.travel, dtype=np.float64)
    params = _params(strategy, time_limit_s, log, float(cost.mean()) if cost.size else 100.0,
                     tuning, solution_limit)
    r = b.routing
    if strategy == "ils":
        if problem.initial_routes:
            notes.append("ILS takes no starting solution: initial_routes ignored")
        assignment = r.SolveWithIteratedLocalSearch(params)
    elif problem.initial_routes:
        r.CloseModelWithParameters(params)
        start = r.ReadAssignmentFromRoutes(b.routes_to_indices(problem.initial_routes), True)
        if start is None:
            notes.append("initial_routes infeasible for the model: solved cold")
            assignment = r.SolveWithParameters(params)
        else:
            assignment = r.SolveFromAssignmentWithParameters(start, params)
    else:
        assignment = r.SolveWithParameters(params)
    wall = time.perf_counter() - t0
    status = _STATUS.get(r.status(), SolveStatus.NO_SOLUTION)
    if assignment is None:
        if status.has_solution:
            status = SolveStatus.NO_SOLUTION
        return RoutingSolution([[] for _ in problem.starts], {}, list(b.visits), 0, status, wall,
                               strategy, notes)
    if status is not SolveStatus.OPTIMAL:
        # A returned assignment is a solution whatever the status says: ILS leaves the model's status
        # at its last inner search (often "not solved"), and a time limit is the normal way to stop.
        status = SolveStatus.FEASIBLE
    routes, arrival, dropped = _extract(b, assignment)
    return RoutingSolution(routes, arrival, dropped, int(assignment.ObjectiveValue()), status, wall,
                           strategy, notes)
