"""Where idle crews should wait: maximal covering (MCLP) and maximum expected covering (MEXCLP).

A crew waiting at the depot is often far from where the next class-1 report will come from. The
emergency-services answer is to place the idle vehicles where they cover the most demand within the
response time: Church & ReVelle's MCLP (1974) counts a demand point once it has *one* crew within
``T``; Daskin's MEXCLP (1983) rewards a second and third crew too, because with a system-wide busy
fraction ``q`` a point covered by ``k`` crews is served in time with probability ``1 - q**k``.

Both are solved exactly (up to the time limit) as mixed-integer programs with the MIP solver bundled
in OR-Tools (SCIP through ``pywraplp``). Two reductions keep the model small without changing its
optimum:

- demand points covered by exactly the same candidates are merged and their weights added (on the
  road network many neighbouring nodes share a pattern), and points no candidate covers are dropped;
- for MEXCLP the ``k``-th covering crew of a point is only modelled while ``q**(k-1)`` is above
  ``tail``: the ignored tail is worth at most ``tail`` of the total weight, and the result says so.

The models take any cover matrix. :func:`suggest_positions` gives them demand grouped into the
coverage map's H3 cells (:func:`optimizer.coverage.hex_index`), each cell standing at one node: on
Coquimbo the nodes' cover patterns are nearly all distinct, and 15,000 demand points take SCIP tens
of seconds where 1,300 cells take under one. It then judges the answer on the nodes themselves.
The MEXCLP measure is the coverage map's (:func:`optimizer.coverage.expected_from_counts`).

Pure numbers on a :class:`optimizer.network.RoadNetwork`; the ops layer supplies the crews and weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import linear_solver_pb2, pywraplp
from scipy.optimize import linear_sum_assignment

from optimizer.coverage import (
    crew_times,
    expected_from_counts,
    hex_index,
    nearest_minutes,
    reach_counts,
)
from optimizer.network import RoadNetwork

__all__ = [
    "CoveringResult",
    "Move",
    "PositionPlan",
    "candidate_nodes",
    "cover_matrix",
    "covered_weight",
    "expected_covered_weight",
    "greedy_mclp",
    "hex_anchors",
    "mclp",
    "mexclp",
    "suggest_positions",
]

#: The bundled MIP solver; HiGHS and CBC are in the same wheel and may be named instead.
DEFAULT_SOLVER = "SCIP"


@dataclass(frozen=True)
class CoveringResult:
    """Chosen candidates (row indices of the cover matrix; repeated when a site holds several crews),
    the (expected) covered weight, its share of the total weight, and how the solver ended."""

    chosen: tuple[int, ...]
    covered_weight: float
    share: float
    status: str
    #: MEXCLP only: the weight the ``tail`` cut could at most have left uncounted.
    tail_bound: float = 0.0


@dataclass(frozen=True)
class Move:
    """Send crew ``crew`` (its index in the caller's list) from node ``from_node`` to ``to_node``."""

    crew: int
    from_node: int
    to_node: int
    minutes: float


@dataclass(frozen=True)
class PositionPlan:
    """Suggested waiting places and what they gain over standing still (same measure both sides)."""

    moves: list[Move]
    positions: tuple[int, ...]
    covered_before: float
    covered_after: float
    share_before: float
    share_after: float
    model: str
    status: str


# ------------------------------------------------------------------------------------ inputs
def _validate(cover: np.ndarray, weights: np.ndarray, p: int, fixed: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    cover = np.asarray(cover, dtype=bool)
    weights = np.asarray(weights, dtype=float)
    if cover.ndim != 2:
        raise ValueError("cover must be a 2-D matrix (candidates × demand points)")
    if weights.shape != (cover.shape[1],):
        raise ValueError(f"weights needs one value per demand point ({cover.shape[1]}), got {weights.shape}")
    if (weights < 0).any() or not np.isfinite(weights).all():
        raise ValueError("weights must be finite and non-negative")
    if p < 0:
        raise ValueError(f"p must be non-negative, got {p}")
    bad = [i for i in fixed if not 0 <= i < cover.shape[0]]
    if bad:
        raise ValueError(f"fixed candidates out of range: {bad}")
    return cover, weights


def _merge_patterns(cover: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns with the same cover pattern merged (weights added); uncoverable and weightless dropped."""
    keep = cover.any(axis=0) & (weights > 0)
    cover, weights = cover[:, keep], weights[keep]
    if cover.shape[1] == 0:
        return cover, weights
    packed = np.packbits(cover, axis=0)  # candidates packed 8 to a byte: one short row per column
    _, first, inverse = np.unique(packed.T, axis=0, return_index=True, return_inverse=True)
    merged = np.zeros(len(first))
    np.add.at(merged, inverse.ravel(), weights)
    return cover[:, first], merged


def covered_weight(cover: np.ndarray, weights: np.ndarray, chosen: Sequence[int]) -> float:
    """Weight of the demand points that some chosen candidate covers (the MCLP objective)."""
    chosen = list(chosen)
    if not chosen:
        return 0.0
    return float(np.asarray(weights, dtype=float)[np.asarray(cover, dtype=bool)[chosen].any(axis=0)].sum())


def expected_covered_weight(cover: np.ndarray, weights: np.ndarray, chosen: Sequence[int], busy_q: float) -> float:
    """Σ_j h_j (1 - q**n_j), n_j the chosen crews covering j (the MEXCLP objective, no tail cut)."""
    chosen = list(chosen)
    if not chosen:
        return 0.0
    counts = np.asarray(cover, dtype=bool)[chosen].sum(axis=0)
    return float((np.asarray(weights, dtype=float) * expected_from_counts(counts, busy_q)).sum())


def greedy_mclp(cover: np.ndarray, weights: np.ndarray, p: int, *, fixed: Sequence[int] = ()) -> tuple[int, ...]:
    """Add the candidate that covers the most still-uncovered weight, ``p`` times (the baseline,
    and the solver's starting point)."""
    cover, weights = _validate(cover, weights, p, fixed)
    chosen = list(dict.fromkeys(int(i) for i in fixed))
    left = weights.copy()
    if chosen:
        left[cover[chosen].any(axis=0)] = 0.0
    cover_f = cover.astype(float)
    while len(chosen) < min(p, cover.shape[0]):
        gain = cover_f @ left
        gain[chosen] = -1.0
        best = int(np.argmax(gain))
        chosen.append(best)
        left[cover[best]] = 0.0
    return tuple(chosen)


# ------------------------------------------------------------------------------------ solvers
def _model(n: int, p: int, x_lower: np.ndarray, x_upper: int, hint: Sequence[int]) -> linear_solver_pb2.MPModelProto:
    """The site variables and Σ x_i = p, as a protocol buffer.

    The model is written as a proto rather than through ``pywraplp``'s expression objects: a cover
    constraint per demand point with hundreds of candidates in it is a million Python calls that
    way (seconds), against a tenth of a second for extending repeated fields.
    """
    proto = linear_solver_pb2.MPModelProto(maximize=True)
    for i in range(n):
        proto.variable.add(lower_bound=float(x_lower[i]), upper_bound=float(x_upper), is_integer=True)
    proto.constraint.add(lower_bound=p, upper_bound=p, var_index=range(n), coefficient=[1.0] * n)
    counts = np.bincount(np.asarray(list(hint), dtype=np.int64), minlength=n)
    proto.solution_hint.var_index.extend(range(n))
    proto.solution_hint.var_value.extend(counts.astype(float).tolist())
    return proto


def _add_cover(proto: linear_solver_pb2.MPModelProto, rows: list[int], values: Sequence[float]) -> None:
    """Variables y_k (objective ``values``) with Σ_k y_k ≤ Σ_{i in rows} x_i."""
    first = len(proto.variable)
    for v in values:
        proto.variable.add(lower_bound=0.0, upper_bound=1.0, objective_coefficient=float(v))
    ys = list(range(first, first + len(values)))
    proto.constraint.add(lower_bound=-np.inf, upper_bound=0.0, var_index=ys + rows,
                         coefficient=[1.0] * len(ys) + [-1.0] * len(rows))


def _solve(proto: linear_solver_pb2.MPModelProto, n: int, solver: str, time_limit_s: float) -> tuple[str, np.ndarray]:
    """Status and the site variables' values (rounded) of the solved model."""
    model = pywraplp.Solver.CreateSolver(solver)
    if model is None:
        raise RuntimeError(f"OR-Tools has no {solver} solver in this build")
    model.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    error = model.LoadModelFromProto(proto)
    if error:
        raise RuntimeError(f"covering model rejected by {solver}: {error}")
    code = model.Solve()
    status = {pywraplp.Solver.OPTIMAL: "optimal", pywraplp.Solver.FEASIBLE: "feasible"}.get(code, "not_solved")
    if status == "not_solved":
        return status, np.zeros(n, dtype=np.int64)
    variables = model.variables()
    return status, np.asarray([round(variables[i].solution_value()) for i in range(n)], dtype=np.int64)


def _counts_to_chosen(counts: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.repeat(np.arange(len(counts)), counts))


def mclp(
    cover: np.ndarray, weights: np.ndarray, p: int, *, fixed: Sequence[int] = (),
    time_limit_s: float = 10.0, solver: str = DEFAULT_SOLVER,
) -> CoveringResult:
    """Choose ``p`` candidates (rows of ``cover``) maximising the weight of covered demand points.

    ``fixed`` candidates are chosen whatever the optimum says (a crew that cannot move). The model:
    x_i binary, Σ x_i = p, y_j ≤ Σ_{i covers j} x_i, 0 ≤ y_j ≤ 1, maximise Σ w_j y_j. When the greedy
    start already covers every coverable point it is optimal and no solver runs; if the solver ends
    without a solution the greedy choice is returned (status ``greedy``).
    """
    cover, weights = _validate(cover, weights, p, fixed)
    total = float(weights.sum())
    n = cover.shape[0]
    p = min(p, n)
    if len(set(fixed)) > p:
        raise ValueError(f"{len(set(fixed))} fixed candidates exceed p = {p}")
    start = greedy_mclp(cover, weights, p, fixed=fixed)
    reduced, w = _merge_patterns(cover, weights)
    value = covered_weight(cover, weights, start)
    coverable = float(w.sum())
    if p == 0 or value >= coverable - 1e-9 * max(1.0, coverable):  # greedy reached every coverable point
        return CoveringResult(start, value, value / total if total else 0.0, "optimal")
    lower = np.zeros(n)
    lower[list(set(fixed))] = 1.0
    proto = _model(n, p, lower, 1, start)
    for j in range(reduced.shape[1]):
        _add_cover(proto, np.flatnonzero(reduced[:, j]).tolist(), [w[j]])
    status, counts = _solve(proto, n, solver, time_limit_s)
    chosen = start if status == "not_solved" else _counts_to_chosen(counts)
    status = "greedy" if status == "not_solved" else status
    value = covered_weight(cover, weights, chosen)
    return CoveringResult(chosen, value, value / total if total else 0.0, status)


def mexclp(
    cover: np.ndarray, weights: np.ndarray, p: int, busy_q: float, *, max_per_site: int = 1,
    fixed: Sequence[int] = (), tail: float = 1e-3, time_limit_s: float = 10.0, solver: str = DEFAULT_SOLVER,
) -> CoveringResult:
    """Place ``p`` crews maximising Σ_j h_j Σ_k (1−q) q^(k−1) y_jk (Daskin 1983).

    ``y_jk`` (continuous in [0, 1]) says demand point j has at least k crews within reach; since the
    coefficients fall with k, the optimum fills them in order and the objective is Σ h_j (1 − q^n_j).
    ``max_per_site`` is how many crews one candidate may hold (Daskin allows several: at a depot
    several crews do wait together); the default 1 spreads crews over distinct places. Levels k with
    q^(k−1) ≤ ``tail`` are left out (``tail_bound`` in the result is the weight they could add).
    ``covered_weight`` is recomputed exactly (no tail cut) from the choice.
    """
    cover, weights = _validate(cover, weights, p, fixed)
    if not 0.0 <= busy_q < 1.0:
        raise ValueError(f"busy_q must lie in [0, 1), got {busy_q}")
    if max_per_site < 1:
        raise ValueError(f"max_per_site must be at least 1, got {max_per_site}")
    total = float(weights.sum())
    n = cover.shape[0]
    p = min(p, n * max_per_site)
    fixed_counts = np.bincount(np.asarray(list(fixed), dtype=np.int64), minlength=n)
    if (fixed_counts > max_per_site).any() or fixed_counts.sum() > p:
        raise ValueError("fixed candidates exceed p or max_per_site")
    reduced, w = _merge_patterns(cover, weights)
    levels = 1
    while levels < p and busy_q ** levels > tail:
        levels += 1
    tail_bound = float(w.sum()) * busy_q ** levels if levels < p else 0.0
    # Greedy start: the fixed crews, then the best new sites; beyond one crew per site (p > n) the
    # extra crews double up on the first site. Only a hint and a fallback, never the answer's measure.
    start = list(greedy_mclp(cover, weights, min(p, n), fixed=[i for i in range(n) if fixed_counts[i]]))
    for i in range(n):
        start += [i] * max(0, int(fixed_counts[i]) - 1)
    start = tuple(sorted(start[:p] + [start[0]] * max(0, p - len(start)) if start else []))
    if p == 0 or reduced.shape[1] == 0:
        chosen = start if p else ()
        value = expected_covered_weight(cover, weights, chosen, busy_q)
        return CoveringResult(chosen, value, value / total if total else 0.0, "optimal", tail_bound)
    proto = _model(n, p, fixed_counts, max_per_site, start)
    coef = [(1.0 - busy_q) * busy_q ** (k - 1) for k in range(1, levels + 1)]
    for j in range(reduced.shape[1]):
        rows = np.flatnonzero(reduced[:, j]).tolist()
        depth = min(levels, len(rows) * max_per_site)
        _add_cover(proto, rows, [w[j] * c for c in coef[:depth]])
    status, counts = _solve(proto, n, solver, time_limit_s)
    chosen = start if status == "not_solved" else _counts_to_chosen(counts)
    status = "greedy" if status == "not_solved" else status
    value = expected_covered_weight(cover, weights, chosen, busy_q)
    return CoveringResult(chosen, value, value / total if total else 0.0, status, tail_bound)


# ------------------------------------------------------------------------------------ the network
def _arterial_nodes(network: RoadNetwork) -> np.ndarray:
    """Nodes at either end of an arterial arc (arc arrays are aligned with the CSR data)."""
    graph = network.graph
    tails = np.repeat(np.arange(network.n_nodes), np.diff(graph.indptr))
    art = np.asarray(network.arc_arterial, dtype=bool)
    return np.unique(np.concatenate([tails[art], graph.indices[art]]))


def candidate_nodes(network: RoadNetwork, depot_nodes: Sequence[int] = (), n: int = 500) -> np.ndarray:
    """Depot nodes, then nodes on main roads spread out by farthest-point sampling, ``n`` in all.

    Main roads because a crew waits where it can leave fast in every direction; spread out because
    neighbouring candidates cover almost the same demand and only slow the solver down. A network
    without arterials (a test grid, a village extract) samples every node. Deterministic: the first
    pick without depots is the node nearest the network's centre; ties go to the lower index.
    """
    x, y = network.projection.forward(network.lon, network.lat)
    pool = _arterial_nodes(network)
    if len(pool) == 0:
        pool = np.arange(network.n_nodes)
    chosen = list(dict.fromkeys(int(d) for d in depot_nodes))
    if not chosen:
        chosen = [int(pool[np.argmin((x[pool] - x.mean()) ** 2 + (y[pool] - y.mean()) ** 2)])]
    px, py = x[pool], y[pool]
    dist = np.full(len(pool), np.inf)
    for c in chosen:
        dist = np.minimum(dist, (px - x[c]) ** 2 + (py - y[c]) ** 2)
    while len(chosen) < n:
        k = int(np.argmax(dist))
        if dist[k] <= 0.0:
            break  # every pool node already chosen
        chosen.append(int(pool[k]))
        dist = np.minimum(dist, (px - px[k]) ** 2 + (py - py[k]) ** 2)
    return np.asarray(chosen[:max(n, len(set(depot_nodes)))], dtype=np.int64)


def cover_matrix(
    network: RoadNetwork, candidates: Sequence[int] | np.ndarray, demand_nodes: Sequence[int] | np.ndarray,
    minutes: float, *, hour: int | None = None,
) -> np.ndarray:
    """Whether each candidate reaches each demand node within ``minutes`` (candidates × demand).

    One multi-source Dijkstra, limited to ``minutes``, on the graph at ``hour``: the coverage map's
    :func:`optimizer.coverage.crew_times`, compared in minutes as the map compares them, so a place
    counts as covered here exactly when the map paints it so.
    """
    demand = np.asarray(demand_nodes, dtype=np.int64)
    if len(candidates) == 0:
        return np.zeros((0, len(demand)), dtype=bool)
    # The search runs a hair past the threshold, as reach_counts' does, so a time of exactly T is in.
    times = crew_times(network, np.asarray(candidates, dtype=np.int64), hour=hour,
                       limit_min=float(minutes) * (1 + 1e-9))
    return times[:, demand] <= minutes


def hex_anchors(network: RoadNetwork, nodes: np.ndarray, weights: np.ndarray,
                 resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Demand nodes grouped into the coverage map's H3 cells: each cell's weight, and its anchor node
    (the cell's demand node nearest the cell's weighted centre), which stands for the cell in the
    cover matrix."""
    cells = hex_index(network, resolution).node_hex[nodes]
    _, inverse = np.unique(cells, return_inverse=True)
    inverse = inverse.ravel()
    cell_w = np.bincount(inverse, weights)
    x, y = network.projection.forward(network.lon[nodes], network.lat[nodes])
    cx, cy = np.bincount(inverse, weights * x) / cell_w, np.bincount(inverse, weights * y) / cell_w
    off = (x - cx[inverse]) ** 2 + (y - cy[inverse]) ** 2
    order = np.lexsort((off, inverse))
    first = np.ones(len(order), dtype=bool)
    first[1:] = inverse[order][1:] != inverse[order][:-1]
    return nodes[order[first]], cell_w


def suggest_positions(
    network: RoadNetwork, crew_nodes: Sequence[int], weights: np.ndarray, minutes: float, *,
    hour: int | None = None, candidates: Sequence[int] | None = None, busy: float | None = None,
    hex_resolution: int | None = 9, time_limit_s: float = 5.0, fixed_nodes: Sequence[int] = (),
) -> PositionPlan:
    """Waiting places for the idle crews at ``crew_nodes`` and which crew drives where.

    ``weights`` has one value per network node (population, customers or class-1 reports). With
    ``busy`` (the fitted busy fraction) the measure is MEXCLP's expected covered weight, several crews
    allowed per place; else MCLP's covered weight.

    The model sees demand grouped into H3 cells of ``hex_resolution`` (None: every node), each cell
    standing at one anchor node: at resolution 9 Coquimbo's 15,000 nodes become 1,300 cells, which
    takes the MIP from tens of seconds to about one. The verdict is then taken on the nodes
    themselves, with the same measure for both sides: the crews' own nodes are always candidates,
    and a choice that covers less node weight than standing still (cell anchors err at the edges, or
    the time limit stopped the solver) is dropped for standing still. So a plan never loses
    coverage. The crews are matched to the chosen places minimising total drive (linear assignment).

    ``fixed_nodes`` are crews that stay where they are (busy on a job, or not asked to move): their
    coverage counts on both sides and shapes where the others go, but they never get a move. The
    plan's figures (``covered_*``, ``share_*``) include them; ``positions`` and ``moves`` are the
    movable crews' only.
    """
    crew_nodes = np.asarray(crew_nodes, dtype=np.int64)
    fixed_nodes = np.asarray(fixed_nodes, dtype=np.int64).reshape(-1)
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (network.n_nodes,):
        raise ValueError(f"weights needs one value per network node ({network.n_nodes})")
    if minutes <= 0:
        raise ValueError(f"minutes must be positive, got {minutes}")
    if busy is not None and not 0.0 <= busy < 1.0:
        raise ValueError(f"busy must lie in [0, 1), got {busy}")
    base = candidate_nodes(network) if candidates is None else np.asarray(candidates, dtype=np.int64)
    cand = np.asarray(list(dict.fromkeys([*fixed_nodes.tolist(), *crew_nodes.tolist(), *base.tolist()])),
                      dtype=np.int64)
    at = {int(c): i for i, c in enumerate(cand)}
    fixed_rows = [at[int(f)] for f in fixed_nodes]
    demand = np.flatnonzero(weights > 0)
    if hex_resolution is None or len(demand) == 0:
        anchors, anchor_w = demand, weights[demand]
    else:
        anchors, anchor_w = hex_anchors(network, demand, weights[demand], hex_resolution)
    p = len(crew_nodes)
    cover = cover_matrix(network, cand, anchors, minutes, hour=hour)
    if busy is None:
        model = "mclp"
        # Two crews at one place cover no more than one: MCLP holds each place once.
        held = list(dict.fromkeys(fixed_rows))
        result = mclp(cover, anchor_w, p + len(held), fixed=held, time_limit_s=time_limit_s)
    else:
        model = "mexclp"
        held = fixed_rows
        total_p = p + len(held)
        result = mexclp(cover, anchor_w, total_p, busy, max_per_site=max(total_p, 1), fixed=held,
                        time_limit_s=time_limit_s)
    free = list(result.chosen)
    for r in held:  # what is left once the fixed crews' places are taken out is where the movable go
        if r in free:
            free.remove(r)
    proposed = cand[free] if len(free) == p and len(result.chosen) == p + len(held) else crew_nodes

    w = weights[demand]

    def measure(nodes: np.ndarray) -> float:
        """The verdict on the road nodes, as the coverage map computes it: one seeded search for MCLP's
        covered weight, searches stopped at the threshold for MEXCLP's crews within reach."""
        held = np.concatenate([nodes, fixed_nodes])
        if len(held) == 0:
            return 0.0
        if busy is None:
            return float(w[nearest_minutes(network, held, hour=hour)[demand] <= minutes].sum())
        counts = reach_counts(network, held, minutes, hour=hour)[demand]
        return float((w * expected_from_counts(counts, busy)).sum())

    before, after = measure(crew_nodes), measure(proposed)
    targets, status = proposed, result.status
    if after <= before:
        targets, after = crew_nodes, before
    moves: list[Move] = []
    if p:
        times = network.travel_times(crew_nodes, targets, hour=hour)
        crews, slots = linear_sum_assignment(times)
        for r, c in zip(crews, slots, strict=True):
            if int(targets[c]) != int(crew_nodes[r]):
                moves.append(Move(int(r), int(crew_nodes[r]), int(targets[c]), float(times[r, c]) / 60.0))
    total = float(w.sum())
    return PositionPlan(
        moves=sorted(moves, key=lambda m: m.crew), positions=tuple(int(t) for t in targets),
        covered_before=before, covered_after=after, share_before=before / total if total else 0.0,
        share_after=after / total if total else 0.0, model=model, status=status,
    )
