"""optimizer.coverage against brute force and hand computations on small grids."""

from __future__ import annotations

import h3
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csgraph

from optimizer.coverage import (
    crew_times,
    expected_from_counts,
    hex_index,
    hex_median,
    hex_sum,
    nearest_minutes,
    reach_counts,
    reverse_times,
    weighted_quantile,
    weighted_share,
)
from optimizer.network import grid_network

GRID = grid_network(6, 7, one_way_rows=(2,))


def brute_nearest(net, sources):
    """Per node, the best minutes by one single-source Dijkstra per source (no shortcuts)."""
    best = np.full(net.n_nodes, np.inf)
    for s in sources:
        best = np.minimum(best, csgraph.dijkstra(net.graph, directed=True, indices=int(s)) / 60.0)
    return best


def test_crew_times_match_brute_force_dijkstra():
    sources = [0, 17, 40, 17]
    times = crew_times(GRID, sources)
    assert times.shape == (4, GRID.n_nodes)
    np.testing.assert_allclose(times.min(axis=0), brute_nearest(GRID, sources))
    # Each arc is 10 s: from node 0 to node 8 (one row up, one column right) is 20 s.
    assert times[0, 8] == pytest.approx(20 / 60)


def test_one_seeded_search_gives_the_nearest_crew_times_of_the_brute_force():
    sources = [0, 17, 40, 17]  # a crew on the node of another counts once in the nearest time
    np.testing.assert_allclose(nearest_minutes(GRID, sources), brute_nearest(GRID, sources))
    assert np.isinf(nearest_minutes(GRID, [])).all()


@pytest.mark.parametrize("minutes", [0.2, 0.5, 1.0, 5.0])
def test_reach_counts_match_the_matrix_and_give_mexclp(minutes):
    sources = [3, 20, 38, 20]  # two crews on node 20: both count
    times = crew_times(GRID, sources)
    counts = reach_counts(GRID, sources, minutes)
    np.testing.assert_array_equal(counts, (times <= minutes).sum(axis=0))
    assert counts[20] >= 2


def test_limit_leaves_far_nodes_unreached():
    times = crew_times(GRID, [0], limit_min=0.5)  # 30 s: three arcs
    assert np.isinf(times[0, GRID.n_nodes - 1])
    assert times[0, 3] == pytest.approx(0.5)


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_a_what_if_is_the_seeded_search_without_the_crew(k):
    sources = [0, 9, 33, 41]
    rest = [s for i, s in enumerate(sources) if i != k]
    np.testing.assert_allclose(nearest_minutes(GRID, rest), brute_nearest(GRID, rest))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, GRID.n_nodes - 1), min_size=1, max_size=6),
       st.integers(0, 5), st.sampled_from([0.3, 0.5, 1.0]))
def test_removing_a_crew_never_raises_any_hexs_coverage(sources, k, minutes):
    """The reader's what-if path: the seeded search and the reach counts without crew ``k``."""
    k = k % len(sources)
    rest = sources[:k] + sources[k + 1:]
    before, after = nearest_minutes(GRID, sources), nearest_minutes(GRID, rest)
    assert (after >= before).all()
    index = hex_index(GRID, 10)
    assert (hex_median(index, after) >= hex_median(index, before)).all()
    weights = np.arange(GRID.n_nodes, dtype=float)
    assert weighted_share(after, weights, minutes) <= weighted_share(before, weights, minutes)
    expected_before = expected_from_counts(reach_counts(GRID, sources, minutes), 0.3)
    expected_after = expected_from_counts(reach_counts(GRID, rest, minutes), 0.3)
    assert (expected_after <= expected_before + 1e-12).all()


def test_expected_coverage_by_hand():
    # Node 0: both crews within reach; node 1: one; node 2: none.
    got = expected_from_counts(np.array([2, 1, 0]), 0.4)
    np.testing.assert_allclose(got, [1 - 0.4 ** 2, 1 - 0.4, 0.0])
    assert got[0] == pytest.approx(0.84)


def test_expected_coverage_refuses_a_busy_fraction_of_one():
    with pytest.raises(ValueError):
        expected_from_counts(np.zeros(2, dtype=int), 1.0)


def test_weighted_shares_and_p90_by_hand():
    minutes = np.array([5.0, 12.0, 20.0, 40.0, np.inf])
    population = np.array([100.0, 300.0, 400.0, 150.0, 50.0])  # total 1000
    assert weighted_share(minutes, population, 15) == pytest.approx(0.4)
    assert weighted_share(minutes, population, 30) == pytest.approx(0.8)
    # 90% of 1000 = 900: reached at 40 min (cumulative 100, 400, 800, 950).
    assert weighted_quantile(minutes, population, 0.9) == 40.0
    assert weighted_quantile(minutes, population, 0.8) == 20.0
    assert weighted_quantile(minutes, np.array([0.0, 0, 0, 0, 1]), 0.9) == np.inf
    assert weighted_share(minutes, np.zeros(5), 30) == 0.0


def test_hexes_group_every_node_with_string_ids_and_lng_lat_rings():
    index = hex_index(GRID, 9)
    assert hex_index(GRID, 9) is index  # cached per network and resolution
    assert index.counts.sum() == GRID.n_nodes
    for i, cell in enumerate(index.hex_ids):
        assert isinstance(cell, str) and h3.is_valid_cell(cell)
        ring = index.boundaries[i]
        assert ring[0] == ring[-1]
        lat, lng = h3.cell_to_latlng(cell)
        lngs = [p[0] for p in ring]
        lats = [p[1] for p in ring]
        # GeoJSON order: longitude first (Coquimbo: lng ≈ -71, lat ≈ -30).
        assert min(lngs) <= lng <= max(lngs) and min(lats) <= lat <= max(lats)
        assert all(-72 < x < -70 for x in lngs) and all(-31 < y < -29 for y in lats)
    members = index.node_hex == 0
    assert all(h3.latlng_to_cell(la, lo, 9) == index.hex_ids[0]
               for lo, la in zip(GRID.lon[members], GRID.lat[members], strict=True))


def test_hex_median_and_sum_by_hand():
    index = hex_index(GRID, 8)
    values = np.arange(GRID.n_nodes, dtype=float)
    med = hex_median(index, values)
    sums = hex_sum(index, values)
    for h in range(len(index.hex_ids)):
        members = values[index.node_hex == h]
        assert med[h] == pytest.approx(np.median(members))
        assert sums[h] == pytest.approx(members.sum())


def test_reverse_times_follow_one_way_streets():
    # Row 2 is one-way east-bound: reaching a node from its east neighbour must detour.
    target = 2 * 7 + 3
    back = reverse_times(GRID, target)
    forward = crew_times(GRID, [target])[0]
    np.testing.assert_allclose(back, [crew_times(GRID, [s])[0, target] for s in range(GRID.n_nodes)])
    assert back[target + 1] > forward[target + 1]
