"""Covering models against exhaustive enumeration and hand computations; the standing plan's guarantee."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from optimizer.covering import (
    candidate_nodes,
    cover_matrix,
    covered_weight,
    expected_covered_weight,
    greedy_mclp,
    mclp,
    mexclp,
    suggest_positions,
)
from optimizer.network import grid_network


def _instance(seed: int, n: int = 9, m: int = 25) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cover = rng.random((n, m)) < 0.25
    weights = rng.integers(1, 100, m).astype(float)
    return cover, weights


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [1, 2, 3, 4])
def test_mclp_matches_exhaustive_enumeration(seed: int, p: int) -> None:
    cover, weights = _instance(seed)
    best = max(covered_weight(cover, weights, c) for c in itertools.combinations(range(len(cover)), p))
    result = mclp(cover, weights, p)
    assert result.status == "optimal"
    assert len(set(result.chosen)) == p
    assert result.covered_weight == pytest.approx(best)
    assert covered_weight(cover, weights, result.chosen) == pytest.approx(best)
    assert result.share == pytest.approx(best / weights.sum())


@pytest.mark.parametrize("seed", range(4))
def test_mclp_honours_fixed_candidates(seed: int) -> None:
    cover, weights = _instance(seed)
    best = max(covered_weight(cover, weights, c) for c in itertools.combinations(range(len(cover)), 3) if 0 in c)
    result = mclp(cover, weights, 3, fixed=[0])
    assert 0 in result.chosen
    assert result.covered_weight == pytest.approx(best)


def test_greedy_can_be_beaten_and_mclp_beats_it() -> None:
    # Greedy takes the big site 0 (points 0..3, weight 40), then one side site adds only 5: 45 of 50;
    # the two side sites together cover all six points (50).
    cover = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 1, 0], [0, 0, 1, 1, 0, 1]], dtype=bool)
    weights = np.array([10, 10, 10, 10, 5, 5], dtype=float)
    assert covered_weight(cover, weights, greedy_mclp(cover, weights, 2)) == 45.0
    assert mclp(cover, weights, 2).covered_weight == 50.0


def test_mexclp_hand_computed_case() -> None:
    # a covers points 0, 1; b covers 1, 2; weights 10, 20, 30; q = 0.5.
    cover = np.array([[1, 1, 0], [0, 1, 1]], dtype=bool)
    weights = np.array([10.0, 20.0, 30.0])
    # One crew at each: 10·0.5 + 20·(1 − 0.25) + 30·0.5 = 5 + 15 + 15 = 35.
    spread = mexclp(cover, weights, 2, 0.5, max_per_site=1)
    assert sorted(spread.chosen) == [0, 1]
    assert spread.covered_weight == pytest.approx(35.0)
    # Both at b: 20·0.75 + 30·0.75 = 37.5 beats spreading.
    stacked = mexclp(cover, weights, 2, 0.5, max_per_site=2)
    assert stacked.chosen == (1, 1)
    assert stacked.covered_weight == pytest.approx(37.5)
    assert expected_covered_weight(cover, weights, [0, 1], 0.5) == pytest.approx(35.0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("max_per_site", [1, 3])
def test_mexclp_matches_enumeration(seed: int, max_per_site: int) -> None:
    cover, weights = _instance(seed, n=6, m=20)
    q, p = 0.4, 3
    combos = (itertools.combinations(range(6), p) if max_per_site == 1
              else itertools.combinations_with_replacement(range(6), p))
    best = max(expected_covered_weight(cover, weights, c, q) for c in combos)
    result = mexclp(cover, weights, p, q, max_per_site=max_per_site, tail=0.0)
    assert result.covered_weight == pytest.approx(best)
    assert result.tail_bound == 0.0


def test_mexclp_tail_cut_is_bounded() -> None:
    cover, weights = _instance(1, n=6, m=20)
    exact = mexclp(cover, weights, 4, 0.5, max_per_site=4, tail=0.0)
    cut = mexclp(cover, weights, 4, 0.5, max_per_site=4, tail=0.2)  # only k = 1..3 modelled
    assert cut.tail_bound > 0
    assert exact.covered_weight - cut.covered_weight <= cut.tail_bound + 1e-9


def test_cover_matrix_matches_one_dijkstra_per_candidate() -> None:
    net = grid_network(6, 7)
    cand = [0, 10, 41, 23]
    demand = np.arange(net.n_nodes)
    got = cover_matrix(net, cand, demand, 0.75)  # 45 s: four and a half 10-s blocks
    for r, c in enumerate(cand):
        assert (got[r] == (net.one_to_all(c) <= 45.0)).all()
    assert got.sum(axis=1)[0] == 15  # corner: 1 + 2 + 3 + 4 + 5 nodes within 4 blocks


def test_candidate_nodes_keeps_depots_spreads_and_is_deterministic() -> None:
    net = grid_network(10, 10)
    a = candidate_nodes(net, [55, 55, 3], n=6)
    assert list(a[:2]) == [55, 3]
    assert len(set(a.tolist())) == 6
    assert list(candidate_nodes(net, [55, 3], n=6)) == list(a)
    # Farthest-point: after 55 and 3 the next pick is a far corner, not a neighbour.
    assert int(a[2]) in {90, 99}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("busy", [None, 0.3])
def test_suggest_positions_never_covers_less_than_standing_still(seed: int, busy: float | None) -> None:
    net = grid_network(12, 12)
    rng = np.random.default_rng(seed)
    crews = rng.choice(net.n_nodes, 3, replace=False)
    crews[1] = crews[0]  # two crews at one place, like a depot
    weights = rng.integers(0, 5, net.n_nodes).astype(float)
    plan = suggest_positions(net, crews, weights, 0.5, busy=busy, hex_resolution=None,
                             candidates=np.arange(net.n_nodes))
    assert plan.covered_after >= plan.covered_before - 1e-9
    assert len(plan.positions) == 3
    # The reported figures are the positions' own coverage, measured independently.
    demand = np.flatnonzero(weights > 0)
    cov = cover_matrix(net, plan.positions, demand, 0.5)
    measure = (covered_weight(cov, weights[demand], range(3)) if busy is None
               else expected_covered_weight(cov, weights[demand], range(3), busy))
    assert plan.covered_after == pytest.approx(measure)
    for move in plan.moves:
        assert move.from_node == int(crews[move.crew])
        assert move.minutes * 60 == pytest.approx(net.travel_times([move.from_node], [move.to_node])[0, 0])
    # Three crews within 3 blocks on a 12 × 12 grid never cover everything: a gain was there to find.
    assert plan.covered_after > plan.covered_before


def test_suggest_positions_assignment_minimises_drive() -> None:
    net = grid_network(1, 30)  # a single street, nodes 0..29
    weights = np.zeros(net.n_nodes)
    weights[[2, 27]] = 1.0
    plan = suggest_positions(net, [25, 4], weights, 0.2, hex_resolution=None, candidates=[2, 27])
    # Crew 0 (at 25) goes to 27, crew 1 (at 4) to 2: crossing would drive 2 × 23 blocks more.
    assert {(m.crew, m.to_node) for m in plan.moves} == {(0, 27), (1, 2)}
    assert plan.share_before == 0.0 and plan.share_after == 1.0


def test_suggest_positions_with_hexes_on_a_grid() -> None:
    net = grid_network(15, 15)
    weights = np.ones(net.n_nodes)
    plan = suggest_positions(net, [0, 1], weights, 0.5, hex_resolution=10)
    assert plan.covered_after >= plan.covered_before
    assert plan.share_after > plan.share_before


def test_where_to_stand_on_a_user_osm_pbf_extract(tmp_path):
    """The small extract the loader tests use: main roads exist there, and the plan keeps its guarantee."""
    import pyrosm

    from data.osm_pbf import load_osm_pbf

    net = load_osm_pbf(Path(pyrosm.get_data("test_pbf")), tmp_path).network
    cand = candidate_nodes(net, [0], n=40)
    assert cand[0] == 0 and len(set(cand.tolist())) == len(cand)
    arterial_ends = set(np.repeat(np.arange(net.n_nodes), np.diff(net.graph.indptr))[net.arc_arterial].tolist())
    arterial_ends |= set(net.graph.indices[net.arc_arterial].tolist())
    assert arterial_ends and set(cand[1:].tolist()) <= arterial_ends  # all but the depot on main roads
    weights = np.ones(net.n_nodes)  # no population in an extract: road nodes
    crews = [0, 0, 1]
    plan = suggest_positions(net, crews, weights, 1.0, hour=8, candidates=cand)
    assert plan.covered_after >= plan.covered_before and plan.share_after <= 1.0


@pytest.mark.parametrize("busy", [None, 0.4])
def test_fixed_crews_stay_put_count_and_the_rest_go_to_the_enumerated_optimum(busy: float | None) -> None:
    """Two movable crews and one fixed one on a 6 × 6 grid: every pair of places tried by hand."""
    net = grid_network(6, 6)
    rng = np.random.default_rng(7)
    weights = rng.integers(0, 4, net.n_nodes).astype(float)
    fixed, movable, minutes = [35], [0, 1], 0.3
    plan = suggest_positions(net, movable, weights, minutes, busy=busy, hex_resolution=None,
                             candidates=np.arange(net.n_nodes), fixed_nodes=fixed)
    demand = np.flatnonzero(weights > 0)
    cov = cover_matrix(net, np.arange(net.n_nodes), demand, minutes)
    w = weights[demand]

    def value(places: tuple[int, ...]) -> float:
        rows = [*places, *fixed]
        return covered_weight(cov, w, rows) if busy is None else expected_covered_weight(cov, w, rows, busy)

    pairs = (itertools.combinations(range(net.n_nodes), 2) if busy is None
             else itertools.combinations_with_replacement(range(net.n_nodes), 2))
    best = max(value(pair) for pair in pairs)
    assert plan.covered_before == pytest.approx(value(tuple(movable)))
    assert plan.covered_after == pytest.approx(best)
    assert plan.covered_after == pytest.approx(value(plan.positions))
    assert len(plan.positions) == 2 and {m.crew for m in plan.moves} <= {0, 1}
    # Without the fixed crew the same crews would be judged on less: its coverage is in both figures.
    alone = suggest_positions(net, movable, weights, minutes, busy=busy, hex_resolution=None,
                              candidates=np.arange(net.n_nodes))
    assert alone.covered_before < plan.covered_before


def test_only_fixed_crews_means_no_moves() -> None:
    net = grid_network(4, 4)
    plan = suggest_positions(net, [], np.ones(net.n_nodes), 0.2, hex_resolution=None, fixed_nodes=[0, 15])
    assert plan.moves == [] and plan.positions == ()
    assert plan.covered_before == plan.covered_after > 0
