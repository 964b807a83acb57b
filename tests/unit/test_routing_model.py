"""Hand-checked instances for the shared OR-Tools model builder (optimizer/routing_model.py).

Each instance is small enough that the right answer is known by hand; time limits are tiny because
OR-Tools finds these optima at once and otherwise searches until the limit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from optimizer.routing_model import (
    COST_LIMIT,
    DEFAULT_ILS_TUNING,
    RoutingProblem,
    SolveStatus,
    _params,
    check_headroom,
    cost_upper_bound,
    solve,
)

T = 0.3  # seconds per solve


def line(xs: list[int]) -> np.ndarray:
    """Travel times between points on a line."""
    a = np.array(xs, dtype=np.int64)
    return np.abs(a[:, None] - a[None, :])


def zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.int64)


@pytest.mark.parametrize("strategy", ["ils", "gls"])
def test_line_known_optimal_order(strategy: str) -> None:
    # Depot at 0, visits at 3, 1, 2: the closed tour goes out 1, 2, 3 and back (cost 6).
    p = RoutingProblem(travel=line([0, 3, 1, 2]), service=zeros(4), starts=[0], ends=[0])
    sol = solve(p, time_limit_s=T, strategy=strategy)
    assert sol.status.has_solution and sol.strategy == strategy
    assert sol.routes[0] in ([2, 3, 1], [1, 3, 2])
    assert sol.objective == 6
    assert sol.dropped == []


def test_time_window_forces_order_and_arrivals_include_service_and_wait() -> None:
    # Visits at 1 (node 1) and 2 (node 2). Node 2 must be reached by time 5, node 1 not before 10.
    p = RoutingProblem(travel=line([0, 1, 2]), service=np.array([0, 3, 2]), starts=[0], ends=[0],
                       earliest=np.array([0, 10, 0]), latest=np.array([100, 20, 5]))
    sol = solve(p, time_limit_s=T, strategy="ils")
    assert sol.routes == [[2, 1]]
    assert sol.arrival == {2: 2, 1: 10}  # waits from 2 + 2 + 1 = 5 until 10
    assert sol.objective == 4


def test_open_route_does_not_pay_the_way_back() -> None:
    p = RoutingProblem(travel=line([0, 1, 2, 3]), service=zeros(4), starts=[0], ends=None)
    sol = solve(p, time_limit_s=T)
    assert sol.routes == [[1, 2, 3]]
    assert sol.objective == 3


def test_locked_first_job_stays_first() -> None:
    # Without the lock the order is 1, 2, 3 (cost 3); the lock forces node 3 first.
    p = RoutingProblem(travel=line([0, 1, 2, 3]), service=zeros(4), starts=[0], ends=None,
                       locks=[[3]])
    for strategy in ("ils", "gls"):
        sol = solve(p, time_limit_s=T, strategy=strategy)
        assert sol.routes[0][0] == 3, strategy
        assert sol.routes[0] == [3, 2, 1]


def test_node_allowed_only_on_vehicle_1_goes_there() -> None:
    # Crews start at their own nodes 0 (x=0) and 1 (x=10); visit node 2 sits at x=1 but needs crew 1.
    p = RoutingProblem(travel=line([0, 10, 1, 9]), service=zeros(4), starts=[0, 1], ends=None,
                       allowed_vehicles=[None, None, [1], None])
    sol = solve(p, time_limit_s=T)
    assert 2 in sol.routes[1]
    assert sol.routes[0] == []
    # Without the restriction crew 0 takes it.
    p.allowed_vehicles = None
    assert solve(p, time_limit_s=T).routes[0] == [2]


def test_vehicle_start_time_and_shift_end() -> None:
    # The crew is busy until 50; its shift ends at 60, so the visit 20 away must be dropped.
    p = RoutingProblem(travel=line([0, 20]), service=zeros(2), starts=[0], ends=None,
                       vehicle_start_time=[50], vehicle_max_end=[60], drop_penalty=[None, 1000])
    sol = solve(p, time_limit_s=T)
    assert sol.dropped == [1]
    p.vehicle_max_end = [80]
    sol = solve(p, time_limit_s=T)
    assert sol.routes == [[1]] and sol.arrival[1] == 70


def test_drop_only_when_cheaper_or_unservable() -> None:
    far = RoutingProblem(travel=line([0, 1, 100]), service=zeros(3), starts=[0], ends=None,
                         drop_penalty=[None, 1000, 50])
    sol = solve(far, time_limit_s=T)
    assert sol.dropped == [2] and sol.routes == [[1]]  # 99 to reach it > 50 penalty
    far.drop_penalty = [None, 1000, 500]
    sol = solve(far, time_limit_s=T)
    assert sol.dropped == [] and sol.routes == [[1, 2]]
    # A hard window nobody can meet: the droppable visit is dropped, never an exception.
    far.latest = np.array([1000, 1000, 10])
    sol = solve(far, time_limit_s=T)
    assert sol.dropped == [2] and sol.status is SolveStatus.FEASIBLE


def test_mandatory_unservable_reports_status_instead_of_raising() -> None:
    p = RoutingProblem(travel=line([0, 100]), service=zeros(2), starts=[0], ends=None,
                       latest=np.array([1000, 10]))
    for strategy in ("ils", "gls"):
        sol = solve(p, time_limit_s=T, strategy=strategy)
        assert isinstance(sol.status, SolveStatus) and not sol.status.has_solution
        assert sol.routes == [[]] and sol.dropped == [1]


def test_soft_bound_tiers_cost_more_later() -> None:
    # From 0: A at +5 (one cheap tier at 5), B at -5 (tiers at 5 and a steep one at 10).
    # B first: B on time, A 10 late x 1 = 10. A first: B at 15 -> 10 x 1 + 5 x 100 = 510.
    tiers = [[], [(5, 1)], [(5, 1), (10, 100)]]
    p = RoutingProblem(travel=line([0, 5, -5]), service=zeros(3), starts=[0], ends=None,
                       soft_bounds=tiers)
    sol = solve(p, time_limit_s=T)
    assert sol.routes == [[2, 1]]
    assert sol.objective == 15 + 10
    # Force A first with a lock: the second tier is paid.
    p.locks = [[1]]
    sol = solve(p, time_limit_s=T, strategy="gls")
    assert sol.routes == [[1, 2]]
    assert sol.objective == 15 + 10 + 500


def test_capacity_splits_routes() -> None:
    p = RoutingProblem(travel=line([0, 1, 2]), service=zeros(3), starts=[0, 0], ends=[0, 0],
                       demand=np.array([0, 6, 6]), capacity=[10, 10])
    sol = solve(p, time_limit_s=T)
    assert sorted(map(len, sol.routes)) == [1, 1]
    assert sol.objective == 2 + 4


def test_warm_start_from_previous_routes() -> None:
    p = RoutingProblem(travel=line([0, 1, 2, 3]), service=zeros(4), starts=[0], ends=None,
                       initial_routes=[[3, 2, 1]])
    sol = solve(p, time_limit_s=T, strategy="gls")
    assert sol.routes == [[1, 2, 3]] and sol.objective == 3 and not sol.notes
    ils = solve(p, time_limit_s=T, strategy="ils")
    assert ils.notes  # says the warm start was ignored


def test_unknown_strategy_is_an_error() -> None:
    p = RoutingProblem(travel=line([0, 1]), service=zeros(2), starts=[0])
    with pytest.raises(ValueError, match="strategy"):
        solve(p, time_limit_s=T, strategy="magic")  # type: ignore[arg-type]
    # Refused before anything else, even where "ils" would hand a tiny problem to GLS.
    tiny = RoutingProblem(travel=line([0, 1, 2]), service=zeros(3), starts=[0, 1])
    with pytest.raises(ValueError, match="strategy"):
        solve(tiny, time_limit_s=T, strategy="ILS")  # type: ignore[arg-type]


def _scattered(n_visits: int, n_vehicles: int, seed: int) -> RoutingProblem:
    """Random points with a capacity, hard enough that neither search stops at its first solution."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, size=(n_visits + 1, 2))
    travel = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    return RoutingProblem(travel=travel, service=zeros(n_visits + 1), starts=[0] * n_vehicles,
                          ends=[0] * n_vehicles, demand=np.r_[0, np.ones(n_visits, dtype=np.int64)],
                          capacity=[-(-n_visits // n_vehicles) + 2] * n_vehicles)


@pytest.mark.parametrize("strategy", ["ils", "gls"])
def test_a_solution_limit_makes_the_search_reproducible(strategy: str) -> None:
    # No seed to set (see solve's docstring): the search is deterministic, so stopping it by a
    # solution count rather than the clock gives the same routes on every run.
    p = _scattered(40, 4, seed=3)
    runs = [solve(p, time_limit_s=30, strategy=strategy, solution_limit=200) for _ in range(2)]
    assert runs[0].status.has_solution and not runs[0].dropped
    assert runs[0].routes == runs[1].routes and runs[0].objective == runs[1].objective


def test_ils_tuning_is_a_frozen_value_passed_per_solve() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_ILS_TUNING.avg_removed_visits = 3  # type: ignore[misc]
    p = RoutingProblem(travel=line([0, 3, 1, 2]), service=zeros(4), starts=[0], ends=[0])
    light = dataclasses.replace(DEFAULT_ILS_TUNING, max_removed_sequence=2, avg_removed_visits=1,
                                recreate="PARALLEL_CHEAPEST_INSERTION")
    sisr = _params("ils", T, False, tuning=light).iterated_local_search_parameters.ruin_recreate_parameters
    ruin = sisr.ruin_strategies[0].sisr
    assert (ruin.max_removed_sequence_size, ruin.avg_num_removed_visits) == (2, 1)  # the tuning reaches OR-Tools
    default = _params("ils", T, False).iterated_local_search_parameters.ruin_recreate_parameters
    assert default.ruin_strategies[0].sisr.avg_num_removed_visits == 15
    assert solve(p, time_limit_s=T, strategy="ils", tuning=light).objective == 6


def test_headroom_at_largest_dispatch_size() -> None:
    """300 tickets, 60 crews, a two-day horizon in seconds, two lateness tiers per ticket."""
    rng = np.random.default_rng(0)
    n = 60 + 300
    travel = rng.integers(0, 3600, size=(n, n), dtype=np.int64)
    minutes_day = 24 * 60
    # Per second late: 1e6 from the report and 1e8 after 30 min, every ticket at its worst.
    soft = [[] for _ in range(60)] + [[(0, 10**6), (1800, 10**8)] for _ in range(300)]
    p = RoutingProblem(travel=travel, service=np.full(n, 1800, dtype=np.int64),
                       starts=list(range(60)), soft_bounds=soft, drop_penalty=[None] * 60 + [10**12] * 300,
                       horizon=minutes_day * 60 * 2)
    bound = check_headroom(p)
    assert bound == cost_upper_bound(p) < COST_LIMIT
    # 1e11 per second late (300 x 1e11 x 1.7e5 s ≈ 5e18 > 2**62) is refused before OR-Tools saturates.
    p.soft_bounds = [[] for _ in range(60)] + [[(0, 10**6), (1800, 10**11)] for _ in range(300)]
    with pytest.raises(ValueError, match="2\\*\\*62"):
        check_headroom(p)
    with pytest.raises(ValueError):
        solve(p, time_limit_s=T)


def test_ils_with_fewer_visits_than_vehicles_returns_within_its_limit():
    """OR-Tools 9.15's ILS never returns on such problems; solve() must not hang (run in a child)."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import numpy as np
        from optimizer.routing_model import RoutingProblem, solve
        travel = np.array([[0, 5, 9, 3], [5, 0, 4, 6], [9, 4, 0, 2], [3, 6, 2, 0]], dtype=np.int64)
        p = RoutingProblem(travel=travel, service=np.zeros(4, dtype=np.int64), starts=[0, 1, 2])
        s = solve(p, time_limit_s=0.5, strategy="ils")
        assert s.routes == [[], [], [3]], s.routes
        assert any("GLS" in n for n in s.notes)
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr


@pytest.mark.parametrize("min_nodes", [0, 10**9], ids=["callback", "matrix"])
def test_transit_callback_and_matrix_give_the_same_known_answers(monkeypatch, min_nodes: int) -> None:
    # Large problems use Python transit callbacks over routing indices, small ones a registered
    # matrix (CALLBACK_MIN_NODES); both must read the same arcs, service times and open-route ends.
    from optimizer import routing_model

    monkeypatch.setattr(routing_model, "CALLBACK_MIN_NODES", min_nodes)
    p = RoutingProblem(travel=line([0, 1, 2]), service=np.array([0, 3, 2]), starts=[0], ends=[0],
                       earliest=np.array([0, 10, 0]), latest=np.array([100, 20, 5]))
    sol = solve(p, time_limit_s=T, strategy="gls")
    assert sol.routes == [[2, 1]] and sol.arrival == {2: 2, 1: 10} and sol.objective == 4
    open_route = solve(RoutingProblem(travel=line([0, 1, 2, 3]), service=zeros(4), starts=[0], ends=None),
                       time_limit_s=T)
    assert open_route.routes == [[1, 2, 3]] and open_route.objective == 3
    two = RoutingProblem(travel=line([0, 9, 1, 8, 2]), service=zeros(5), starts=[0, 4], ends=[0, 4])
    sol = solve(two, time_limit_s=T, strategy="gls")
    assert sol.objective == 16  # crew at 2 drives out to 8 and 9 and back (14), crew at 0 takes 1 (2)
