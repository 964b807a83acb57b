"""Road network: snapping, travel-time matrices, direction handling and the disk cache."""

from __future__ import annotations

import heapq
import itertools

import numpy as np
import pytest

from optimizer.network import NetworkError, RoadNetwork, SpeedProfile, grid_network


def brute_force_dijkstra(net: RoadNetwork, source: int) -> np.ndarray:
    """A textbook heap Dijkstra over the CSR arrays, independent of scipy."""
    g = net.graph
    dist = np.full(net.n_nodes, np.inf)
    dist[source] = 0.0
    heap = [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for k in range(g.indptr[u], g.indptr[u + 1]):
            v, w = g.indices[k], g.data[k]
            if d + w < dist[v]:
                dist[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return dist


@pytest.fixture(scope="module")
def grid() -> RoadNetwork:
    # Row 2 is one-way eastbound.
    return grid_network(5, 6, one_way_rows=[2])


def test_grid_arc_times_are_length_over_speed(grid):
    assert grid.n_nodes == 30
    assert np.allclose(grid.graph.data, 10.0)  # 100 m at 36 km/h


def test_matrix_matches_brute_force_dijkstra(grid):
    rng = np.random.default_rng(7)
    sources = rng.integers(0, grid.n_nodes, 6)
    targets = rng.integers(0, grid.n_nodes, 11)
    matrix = grid.travel_times(sources, targets)
    for i, s in enumerate(sources):
        expected = brute_force_dijkstra(grid, int(s))[targets]
        assert np.allclose(matrix[i], expected)


def test_matrix_from_the_smaller_side_gives_the_same_directed_times(grid):
    # More sources than targets makes travel_times search backward on the transpose.
    sources = np.arange(grid.n_nodes)
    targets = np.array([3, 17])
    backward = grid.travel_times(sources, targets)
    forward = np.vstack([grid.one_to_all(int(s))[targets] for s in sources])
    assert np.allclose(backward, forward)


def test_one_way_street_is_only_driven_one_way(grid):
    # Nodes 12..17 form row 2 (one-way eastbound): 12 -> 13 is one block, 13 -> 12 must detour.
    assert grid.travel_times([12], [13])[0, 0] == pytest.approx(10.0)
    assert grid.travel_times([13], [12])[0, 0] == pytest.approx(30.0)
    assert grid.graph[12, 13] > 0
    assert grid.graph[13, 12] == 0


def test_reverse_one_to_all_is_time_to_reach_the_node(grid):
    to_12 = grid.one_to_all(12, reverse=True)
    assert to_12[13] == pytest.approx(30.0)
    assert grid.one_to_all(13)[12] == pytest.approx(30.0)


def test_path_follows_drivable_arcs(grid):
    path = grid.path(13, 12)
    assert path[0] == 13 and path[-1] == 12
    for a, b in itertools.pairwise(path):
        assert grid.graph[a, b] > 0
    assert len(grid.path_coordinates(13, 12)) == len(path)


def test_snap_returns_the_nearest_node_and_its_distance(grid):
    lon, lat = grid.lon[8], grid.lat[8]
    idx, dist = grid.snap([lon + 0.0001, lon], [lat, lat])
    assert idx.tolist() == [8, 8]
    assert 5.0 < dist[0] < 15.0  # 0.0001° of longitude at 30°S is about 9.6 m
    assert dist[1] == pytest.approx(0.0, abs=1e-6)


def test_largest_strongly_connected_component_is_kept():
    # A 2×2 two-way square plus node 9 reachable only one way: 9 cannot be left, so it is dropped.
    net = RoadNetwork.from_arcs(
        node_ids=[1, 2, 3, 4, 9], lon=[0, 0.001, 0, 0.001, 0.002], lat=[0, 0, 0.001, 0.001, 0],
        arc_from=[1, 2, 1, 3, 2, 4, 3, 4, 2], arc_to=[2, 1, 3, 1, 4, 2, 4, 3, 9],
        length_m=[100] * 9, speed_kmh=[36] * 9,
    )
    assert sorted(net.node_ids.tolist()) == [1, 2, 3, 4]
    assert np.isfinite(net.travel_times(np.arange(4), np.arange(4))).all()


def test_parallel_arcs_keep_the_fastest():
    net = RoadNetwork.from_arcs(
        node_ids=[1, 2], lon=[0, 0.001], lat=[0, 0], arc_from=[1, 1, 2], arc_to=[2, 2, 1],
        length_m=[100, 100, 100], speed_kmh=[36, 72, 36],
    )
    assert net.travel_times([0], [1])[0, 0] == pytest.approx(5.0)


def test_hourly_speed_factors_slow_arterials_more_than_local_streets():
    profile = SpeedProfile(arterial=tuple([1.0] * 8 + [0.5] + [1.0] * 15), local=(1.0,) * 24)
    # Two routes 1→2: a direct arterial (100 s free flow) and a local detour via 3 (150 s).
    net = RoadNetwork.from_arcs(
        node_ids=[1, 2, 3], lon=[0, 0.01, 0.005], lat=[0, 0, 0.005],
        arc_from=[1, 2, 1, 3, 3, 2], arc_to=[2, 1, 3, 1, 2, 3],
        length_m=[1000, 1000, 750, 750, 750, 750], speed_kmh=[36] * 6,
        arterial=[True, True, False, False, False, False], speed_profile=profile,
    )
    assert net.travel_times([0], [1], hour=3)[0, 0] == pytest.approx(100.0)
    # At 08:00 the arterial takes 200 s, so the local detour (150 s) becomes the fastest route.
    assert net.travel_times([0], [1], hour=8)[0, 0] == pytest.approx(150.0)
    assert net.path(0, 1, hour=8).tolist() == [0, 2, 1]
    with pytest.raises(ValueError, match="hour"):
        net.graph_at(24)


def test_cache_round_trip(tmp_path, grid):
    grid.save(tmp_path / "g.npz", meta={"key": "abc"})
    loaded, meta = RoadNetwork.load(tmp_path / "g.npz")
    assert meta["key"] == "abc"
    assert (loaded.graph != grid.graph).nnz == 0
    assert np.array_equal(loaded.node_ids, grid.node_ids)
    assert not list(tmp_path.glob("*.tmp"))


def test_corrupt_cache_is_reported_not_trusted(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a numpy archive")
    with pytest.raises(NetworkError, match="not a readable network cache"):
        RoadNetwork.load(bad)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"speed_kmh": [0, 36]}, "speeds"),
        ({"length_m": [-1, 100]}, "lengths"),
        ({"node_ids": [1, 1]}, "unique"),
        ({"arc_from": [], "arc_to": [], "length_m": [], "speed_kmh": []}, "no nodes or no drivable arcs"),
    ],
)
def test_bad_network_input_names_the_problem(kwargs, message):
    base = dict(node_ids=[1, 2], lon=[0, 0.001], lat=[0, 0], arc_from=[1, 2], arc_to=[2, 1],
                length_m=[100, 100], speed_kmh=[36, 36])
    with pytest.raises(NetworkError, match=message):
        RoadNetwork.from_arcs(**{**base, **kwargs})
