"""Where to stand, the reader, on a real database (SQLite and PostgreSQL), against enumeration.

The world is test_coverage_read's 8 × 8 grid of 1 km blocks at 36 km/h (5/3 min an arc), with a
West district of 4,000 people (columns 0-3) and an East one of 1,000 (columns 4-7). At H3
resolution 10 every node is its own cell, so the solver's answer is exact on the nodes and can be
checked against every placement.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import numpy as np
import pytest

from ops.db import transaction
from ops.errors import ServiceError
from ops.models import Depot, District, WorkOrder
from ops.reads.coverage import DEFAULT_BUSY_FRACTION, CoverageQuery, coverage
from ops.reads.standing import suggest_standing
from ops.vocabulary import CrewStatus, ShiftPattern, WorkOrderStatus
from optimizer.covering import cover_matrix
from tests.integration.dispatch_world import World
from tests.integration.test_coverage_read import (
    NET,
    NOW,
    box,
    crew,
    lonlat,
    node,
    per_node_population,
)

EXACT = 10  # one node per H3 cell on this grid


@pytest.fixture
def db(session_factory):
    with transaction(session_factory) as session:
        yield session


@pytest.fixture
def districts(db):
    for code, people, cols, centre in (("W", 4000, (0, 3), node(3, 1)), ("E", 1000, (4, 7), node(3, 6))):
        db.add(District(code=code, name=code, population=people, centroid_lon=lonlat(centre)[0],
                        centroid_lat=lonlat(centre)[1], geometry_geojson=box(*cols), source="test"))
    db.flush()


def covered(places: list[int], minutes: float) -> float:
    people = per_node_population()
    reach = cover_matrix(NET, places, np.arange(NET.n_nodes), minutes)
    return float(people[reach.any(axis=0)].sum())


def queued_order(db, crew_row) -> None:
    ticket = World(db, NOW).ticket(3, 1)
    db.add(WorkOrder(ticket_id=ticket.id, crew_id=crew_row.id, status=WorkOrderStatus.QUEUED, queue_rank=1,
                     dispatched_at=NOW - timedelta(minutes=5)))
    db.flush()


def test_the_suggestion_is_the_enumerated_optimum_and_never_below_standing_still(db, districts):
    crew(db, node(0, 0), "A")
    crew(db, node(0, 1), "B")
    crew(db, node(7, 7), "C", CrewStatus.ON_SITE)  # busy: fixed, but it covers its corner
    query = CoverageQuery(minutes=5, scope="on_shift", resolution=EXACT)
    plan = suggest_standing(db, NET, NOW, query)
    assert plan.weight_kind == "population" and plan.model == "mclp"
    assert [s.code for s in plan.movable] == ["A", "B"] and [s.code for s in plan.fixed] == ["C"]
    # Standing still is what the coverage map shows for the same query.
    assert plan.share_before == pytest.approx(coverage(db, NET, NOW, query).share)
    assert plan.covered_before == pytest.approx(covered([node(0, 0), node(0, 1), node(7, 7)], 5))
    best = max(covered([a, b, node(7, 7)], 5) for a, b in itertools.combinations(range(NET.n_nodes), 2))
    assert plan.covered_after == pytest.approx(best) and best > plan.covered_before
    assert plan.share_after == pytest.approx(best / 5000)
    assert {m.code for m in plan.moves} <= {"A", "B"} and plan.moves
    for m in plan.moves:
        assert (m.to_lon, m.to_lat) == lonlat(m.to_node)
        assert m.district == ("W" if m.to_node % 8 <= 3 else "E") and m.street is None
        assert m.minutes == pytest.approx(
            NET.travel_times([NET.snap(m.from_lon, m.from_lat)[0][0]], [m.to_node], hour=plan.hour)[0, 0] / 60, abs=0.01)
    after = [m.to_node for m in plan.moves] + [s.node for s in plan.movable
                                               if s.code not in {m.code for m in plan.moves}]
    assert covered([*after, node(7, 7)], 5) == pytest.approx(plan.covered_after)


def test_busy_crews_and_crews_with_a_queued_order_are_not_moved(db, districts):
    crew(db, node(0, 0), "A")
    queued = crew(db, node(0, 1), "Q")  # available, but its next job is waiting: a standby would be refused
    queued_order(db, queued)
    crew(db, node(1, 0), "S", CrewStatus.ON_SITE)
    crew(db, node(2, 0), "E", CrewStatus.EN_ROUTE)
    plan = suggest_standing(db, NET, NOW, CoverageQuery(minutes=5, scope="on_shift", resolution=EXACT),
                            streets=[f"street {i}" for i in range(NET.n_nodes)])
    assert [s.code for s in plan.movable] == ["A"]
    assert {s.code for s in plan.fixed} == {"Q", "S", "E"}
    assert [m.code for m in plan.moves] == ["A"]  # four crews in one corner: A has better places to be
    assert plan.moves[0].street == f"street {plan.moves[0].to_node}"
    assert plan.moves[0].from_street == f"street {node(0, 0)}" and plan.moves[0].from_district == "W"
    fixed = [node(0, 1), node(1, 0), node(2, 0)]
    best = max(covered([a, *fixed], 5) for a in range(NET.n_nodes))
    assert plan.covered_after == pytest.approx(best) and plan.covered_after >= plan.covered_before
    # Scope "available": only the available crews count; the one with a queued order stays fixed.
    only = suggest_standing(db, NET, NOW, CoverageQuery(minutes=5, resolution=EXACT))
    assert [s.code for s in only.movable] == ["A"] and [s.code for s in only.fixed] == ["Q"]


def test_crews_n_moves_at_most_n_and_picks_the_least_needed(db, districts):
    crew(db, node(0, 0), "A")
    crew(db, node(0, 0), "B")  # A and B stand together: either alone loses nothing
    crew(db, node(7, 7), "C")
    crew(db, node(7, 0), "D")
    with_one = suggest_standing(db, NET, NOW, CoverageQuery(minutes=5, resolution=EXACT), crews=1)
    assert [s.code for s in with_one.movable] == ["A"]  # loss 0, ties by code
    assert {s.code for s in with_one.fixed} == {"B", "C", "D"}
    assert len(with_one.moves) <= 1 and {m.code for m in with_one.moves} <= {"A"}
    assert with_one.covered_after > with_one.covered_before  # A leaving B's corner gains
    for n in (2, 3, 4):
        plan = suggest_standing(db, NET, NOW, CoverageQuery(minutes=5, resolution=EXACT), crews=n)
        assert len(plan.movable) == n and len(plan.moves) <= n
        assert plan.covered_after >= with_one.covered_after - 1e-9  # more freedom never covers less
    everyone = suggest_standing(db, NET, NOW, CoverageQuery(minutes=5, resolution=EXACT))
    assert len(everyone.movable) == 4


def test_mexclp_uses_the_busy_fraction_and_the_maps_expected_coverage(db, districts):
    crew(db, node(0, 0), "A")
    crew(db, node(0, 0), "B")
    crew(db, node(7, 7), "C", CrewStatus.ON_SITE)
    query = CoverageQuery(minutes=5, scope="on_shift", resolution=EXACT)
    plan = suggest_standing(db, NET, NOW, query, model="mexclp")
    assert plan.model == "mexclp" and plan.busy_fraction == DEFAULT_BUSY_FRACTION and plan.busy_fitted is False
    report = coverage(db, NET, NOW, query)
    assert plan.share_before == pytest.approx(report.expected_share)
    q = DEFAULT_BUSY_FRACTION
    people = per_node_population()
    reach = cover_matrix(NET, np.arange(NET.n_nodes), np.arange(NET.n_nodes), 5)

    def expected(places: list[int]) -> float:
        return float((people * (1 - q ** reach[places].sum(axis=0))).sum())

    best = max(expected([a, b, node(7, 7)])
               for a, b in itertools.combinations_with_replacement(range(NET.n_nodes), 2))
    assert plan.covered_after == pytest.approx(best) and best > plan.covered_before
    assert {m.code for m in plan.moves} <= {"A", "B"}


def test_plan_mode_moves_the_planned_crews_from_their_depot(db, districts):
    lon, lat = lonlat(node(0, 0))
    depot = Depot(name="Base", lon=lon, lat=lat)
    db.add(depot)
    db.flush()
    for code in ("P1", "P2"):
        crew(db, node(0, 0), code, CrewStatus.OFF_SHIFT, depot=depot, pattern=ShiftPattern.DAY, hours=(8, 20))
    plan = suggest_standing(db, NET, NOW, CoverageQuery(mode="plan", shift="day", minutes=5, resolution=EXACT))
    assert {s.code for s in plan.movable} == {"P1", "P2"} and plan.fixed == []
    assert plan.moves and plan.covered_after > plan.covered_before


def test_bad_parameters_are_each_named(db, districts):
    a = crew(db, node(0, 0), "A")
    with pytest.raises(ServiceError) as caught:
        suggest_standing(db, NET, NOW, CoverageQuery(minutes=0, hour=24), crews=0, model="pmedian")
    assert {p.field for p in caught.value.problems} == {"minutes", "hour", "crews", "model"}
    with pytest.raises(ServiceError) as caught:
        suggest_standing(db, NET, NOW, CoverageQuery(minutes=30), crews=True)
    assert caught.value.field == "crews" and caught.value.code == "coverage.crews"
    with pytest.raises(ServiceError) as caught:
        suggest_standing(db, NET, NOW, CoverageQuery(minutes=30), crews=2)
    assert (caught.value.code, caught.value.field, dict(caught.value.params)) == ("coverage.crews_idle", "crews",
                                                                                 {"max": 1})
    # The crew excluded by the what-if is not there to move.
    with pytest.raises(ServiceError) as caught:
        suggest_standing(db, NET, NOW, CoverageQuery(minutes=30, exclude_crew=a.id), crews=1)
    assert dict(caught.value.params) == {"max": 0}
    empty = suggest_standing(db, NET, NOW, CoverageQuery(minutes=30, exclude_crew=a.id))
    assert empty.moves == [] and empty.covered_before == empty.covered_after == 0.0
