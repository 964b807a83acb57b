"""The demo scenario: realistic, deterministic, written through the services, and safe to re-run.

Most tests use a small synthetic grid so they stay fast on both databases; one test seeds the real
Coquimbo–La Serena area on SQLite, as ``gasdispatch demo`` does.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from shapely import contains_xy
from shapely.geometry import Point, shape
from werkzeug.security import check_password_hash

from data.demo import DEMO_PASSWORD, DemoConfig, DemoError, demo_logins, seed_demo
from data.demo.scenario import build_scenario
from data.service_area import ServiceArea
from ops.db import make_engine, make_session_factory, transaction, upgrade
from ops.models import (
    AuditEvent,
    Crew,
    CrewMember,
    CrewPosition,
    Customer,
    Depot,
    District,
    FollowUp,
    RepairRecord,
    Ticket,
    User,
    WorkOrder,
)
from ops.permissions import SYSTEM_ACTOR
from ops.rules import ClassificationInput, RuleSettings, callback_due, classify, deadlines_for
from ops.services import accounts
from ops.settings import Settings
from ops.vocabulary import CrewStatus, Role, ShiftPattern, Skill, TicketStatus, WorkOrderStatus
from optimizer.network import grid_network

#: 12:00 in Santiago (summer time): day crews on shift, so every lifecycle stage can be placed.
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
SMALL = DemoConfig(customers=400, history_days=12)

STAGE_CREW_STATUS = {
    WorkOrderStatus.DISPATCHED: CrewStatus.DISPATCHED,
    WorkOrderStatus.ACKNOWLEDGED: CrewStatus.DISPATCHED,
    WorkOrderStatus.EN_ROUTE: CrewStatus.EN_ROUTE,
    WorkOrderStatus.ON_SITE: CrewStatus.ON_SITE,
}


def _rect(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


@pytest.fixture(scope="module")
def grid_area() -> ServiceArea:
    """A 3.5 km street grid: a populous west district, a smaller east one, and one with no streets."""
    net = grid_network(24, 24, spacing_m=150.0)
    lo_x, lo_y, hi_x, hi_y = net.bounds
    mid, e = (lo_x + hi_x) / 2, 1e-4
    features = [
        {"type": "Feature", "properties": {"code": "W", "name": "Poniente", "population": 30000},
         "geometry": _rect(lo_x - e, lo_y - e, mid, hi_y + e)},
        {"type": "Feature", "properties": {"code": "E", "name": "Oriente", "population": 10000},
         "geometry": _rect(mid, lo_y - e, hi_x + e, hi_y + e)},
        {"type": "Feature", "properties": {"code": "X", "name": "Sin calles", "population": 5000},
         "geometry": _rect(hi_x + 0.01, lo_y, hi_x + 0.02, hi_y)},
    ]
    streets = ["" if i % 7 == 0 else f"Calle {i // 24 + 1}" for i in range(net.n_nodes)]
    return ServiceArea("grid", net, {"type": "FeatureCollection", "features": features},
                       {"type": "FeatureCollection", "features": []}, streets)


def settings_for(url: str) -> Settings:
    return Settings(database_url=url)


def digest(url: str) -> str:
    """A fingerprint of the rows that make the scenario: tickets, work orders, crew states."""
    engine = make_engine(url)
    h = hashlib.sha256()
    try:
        with engine.connect() as conn:
            for stmt in (
                sa.select(Ticket.ticket_no, Ticket.received_at, Ticket.channel, Ticket.symptom, Ticket.odour,
                          Ticket.ticket_class, Ticket.status, Ticket.lon, Ticket.lat, Ticket.customer_id,
                          Ticket.slot_start, Ticket.onsite_target).order_by(Ticket.id),
                sa.select(WorkOrder.ticket_id, WorkOrder.crew_id, WorkOrder.status, WorkOrder.dispatched_at,
                          WorkOrder.acknowledged_at, WorkOrder.departed_at, WorkOrder.arrived_at,
                          WorkOrder.completed_at).order_by(WorkOrder.id),
                sa.select(Customer.customer_no, Customer.name, Customer.address, Customer.lon).order_by(Customer.id),
                sa.select(Crew.code, Crew.status, Crew.last_lon, Crew.last_lat).order_by(Crew.id),
            ):
                for row in conn.execute(stmt):
                    h.update(repr(tuple(row)).encode())
    finally:
        engine.dispose()
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------


def test_demo_on_a_small_area_is_consistent_and_written_through_the_services(
    db_url: str, grid_area: ServiceArea
) -> None:
    summary = seed_demo(settings_for(db_url), grid_area, seed=3, now=NOW, config=SMALL)
    assert "400 customers" in summary and "12 crews in 3 depots" in summary and "9 users" in summary

    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as s:
            # Customers on the streets, in proportion to population; none where there are no streets.
            per_district = dict(s.execute(
                sa.select(District.code, sa.func.count(Customer.id)).outerjoin(Customer).group_by(District.code)
            ).tuples().all())
            assert per_district == {"W": 300, "E": 100, "X": 0}
            customers = s.scalars(sa.select(Customer)).all()
            node_points = set(zip(grid_area.network.lon.tolist(), grid_area.network.lat.tolist(), strict=True))
            assert all((c.lon, c.lat) in node_points for c in customers)
            assert any(c.address.startswith("Calle sin nombre ") for c in customers)
            assert all(c.emergency_contact_phone for c in customers if c.lives_alone)  # R4.2

            # One login per role; the crew login is crew 1's first member.
            users = s.scalars(sa.select(User).order_by(User.id)).all()
            assert sorted(r for u in users for r in u.role_set) == sorted(set(Role) - {Role.SYSTEM})
            assert all(check_password_hash(u.password_hash or "", DEMO_PASSWORD) for u in users)
            crew_user = next(u for u in users if Role.CREW_MEMBER in u.role_set)
            first = s.scalars(sa.select(CrewMember).join(Crew).where(Crew.code == "CR01")
                              .order_by(CrewMember.id)).first()
            assert first is not None and first.user_id == crew_user.id and first.name == crew_user.display_name
            dispatcher = next(u for u in users if Role.DISPATCHER in u.role_set)
            assert "dispatch.confirm" in dispatcher.right_set  # R7.5

            # Three depots, four crews each, leak repair on both shifts everywhere.
            crews = s.scalars(sa.select(Crew).order_by(Crew.id)).all()
            depots = {d.id: d for d in s.scalars(sa.select(Depot))}
            assert len(depots) == 3 and Counter(c.depot_id for c in crews) == dict.fromkeys(depots, 4)
            for depot_id in depots:
                for pattern in ShiftPattern:
                    assert any(c.depot_id == depot_id and c.shift_pattern is pattern
                               and Skill.LEAK_REPAIR.value in c.skills for c in crews)
            assert all(2 <= len(c.members) <= 3 for c in crews)

            # Every ticket obeys the rules it was imported through (R6, R9, R10).
            tickets = s.scalars(sa.select(Ticket)).all()
            for t in tickets:
                proposal = classify(ClassificationInput(
                    t.symptom, odour=t.odour, abnormal_noise=t.abnormal_noise, people_on_site=t.people_on_site,
                    ventilated=t.ventilated, valve_closed=t.valve_closed, judgement=t.agent_judgement))
                assert t.proposed_class == proposal.ticket_class and t.rule_version == proposal.rule_version
                d = deadlines_for(t.ticket_class, t.received_at, slot_start=t.slot_start, slot_end=t.slot_end)
                assert (t.depart_deadline, t.dispatch_deadline, t.onsite_target) == (
                    d.depart_by, d.dispatch_by, d.onsite_target)
                assert t.received_at <= NOW
            orders = s.scalars(sa.select(WorkOrder)).all()
            completed = [o for o in orders if o.status is WorkOrderStatus.COMPLETED]
            records = {r.work_order_id for r in s.scalars(sa.select(RepairRecord))}
            assert records == {o.id for o in completed}  # R9
            follow = {f.work_order_id: f for f in s.scalars(sa.select(FollowUp))}
            assert set(follow) == {o.id for o in completed}  # R10.1
            classes = {t.id: t.ticket_class for t in tickets}
            assert all(follow[o.id].due_at == callback_due(classes[o.ticket_id], o.completed_at) for o in completed)
            assert all(max(filter(None, (o.dispatched_at, o.acknowledged_at, o.departed_at, o.arrived_at,
                                         o.completed_at))) <= NOW for o in orders)

            # Everything imported is audited as imported; the seed leaves its marker.
            imported = Counter(s.execute(sa.select(AuditEvent.entity).where(AuditEvent.imported)).scalars())
            assert imported == {"ticket": len(tickets), "customer": 400, "district": 3}
            assert s.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "demo.seed")) == 1

            # Crews are where their work says: the status follows the active order, off-shift at the depot.
            active = {o.crew_id: o for o in orders if o.status.is_current}
            assert active, "some crews are busy at the scenario's now"
            # R7.6: some busy crews carry a queue of 1-3 confirmed orders behind their current one.
            queues = Counter(o.crew_id for o in orders if o.status is WorkOrderStatus.QUEUED)
            assert queues and set(queues) <= set(active) and all(1 <= n <= 3 for n in queues.values())
            assert all(s.get(Ticket, o.ticket_id).status is TicketStatus.DISPATCHED
                       for o in orders if o.status is WorkOrderStatus.QUEUED)
            for crew in crews:
                pings = s.scalars(sa.select(CrewPosition).where(CrewPosition.crew_id == crew.id)
                                  .order_by(CrewPosition.at)).all()
                assert pings and (pings[-1].lon, pings[-1].lat, pings[-1].at) == (
                    crew.last_lon, crew.last_lat, crew.last_position_at)
                if crew.id in active:
                    assert crew.status is STAGE_CREW_STATUS[active[crew.id].status]
                else:
                    assert crew.status in (CrewStatus.AVAILABLE, CrewStatus.OFF_SHIFT)
                if crew.status is CrewStatus.OFF_SHIFT:
                    depot = depots[crew.depot_id]
                    assert (crew.last_lon, crew.last_lat) == (depot.lon, depot.lat)
                if crew.status is CrewStatus.ON_SITE:
                    site = s.get(Ticket, active[crew.id].ticket_id)
                    assert (crew.last_lon, crew.last_lat) == (site.lon, site.lat)
            open_statuses = {t.status for t in tickets if t.status.is_open}
            assert {TicketStatus.NEW, TicketStatus.EN_ROUTE, TicketStatus.ON_SITE} <= open_statuses
    finally:
        engine.dispose()


def test_demo_is_deterministic_and_re_runs_only_with_reset(tmp_path: Path, grid_area: ServiceArea) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    settings = settings_for(url)
    assert demo_logins(settings) == []
    seed_demo(settings, grid_area, seed=5, now=NOW, config=SMALL)
    first = digest(url)
    assert [u for u, _ in demo_logins(settings)][:3] == ["hotline", "dispatcher", "supervisor"]
    assert dict(demo_logins(settings))["crew"] == ["crew_member"]

    with pytest.raises(DemoError, match="--reset"):
        seed_demo(settings, grid_area, seed=5, now=NOW, config=SMALL)
    assert "nothing seeded" in seed_demo(settings, grid_area, seed=9, now=NOW, config=SMALL, if_empty=True)
    assert digest(url) == first

    seed_demo(settings, grid_area, seed=5, now=NOW, config=SMALL, reset=True)
    assert digest(url) == first  # same (seed, now): identical rows
    seed_demo(settings, grid_area, seed=6, now=NOW, config=SMALL, reset=True)
    assert digest(url) != first


def test_demo_never_touches_a_database_with_other_data(db_url: str, grid_area: ServiceArea) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with transaction(make_session_factory(engine)) as s:
            accounts.create_user(s, SYSTEM_ACTOR, username="realuser", display_name="Real User",
                                 roles=[Role.ADMIN], password=None, now=NOW)
    finally:
        engine.dispose()
    settings = settings_for(db_url)
    for reset in (False, True):
        with pytest.raises(DemoError, match="did not create"):
            seed_demo(settings, grid_area, seed=1, now=NOW, config=SMALL, reset=reset)
    assert "nothing seeded" in seed_demo(settings, grid_area, seed=1, now=NOW, config=SMALL, if_empty=True)
    assert demo_logins(settings) == []  # real users are not demo logins
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(User)).scalar() == 1
    finally:
        engine.dispose()


def test_demo_logins_is_empty_and_quiet_without_a_reachable_demo(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.sqlite"
    assert demo_logins(settings_for(f"sqlite:///{missing}")) == []
    assert not missing.exists()  # looking did not create a database
    assert demo_logins(settings_for("postgresql+psycopg://nobody@127.0.0.1:1/none")) == []
    assert demo_logins(settings_for("not a url")) == []


def test_demo_requires_an_aware_now(tmp_path: Path, grid_area: ServiceArea) -> None:
    with pytest.raises(DemoError, match="timezone-aware"):
        seed_demo(settings_for(f"sqlite:///{tmp_path / 'd.sqlite'}"), grid_area, seed=1,
                  now=datetime(2026, 11, 26, 12, 0), config=SMALL)


def test_demo_follows_the_rule_settings(grid_area: ServiceArea) -> None:
    """An operator's rule values move the demo's clocks: the R7.3 auto-dispatch and R7.2 acknowledgement."""

    def clocks(rules: RuleSettings) -> tuple[list[float], list[float]]:
        scenario = build_scenario(grid_area, seed=7, now=NOW, timezone="America/Santiago", config=SMALL,
                                  rules=rules)
        auto = [(o.dispatched_at - t.received_at).total_seconds() / 60 for t in scenario.tickets
                for o in t.work_orders if o.auto_dispatched]
        waiting = [(NOW - o.dispatched_at).total_seconds() / 60 for t in scenario.tickets
                   for o in t.work_orders if o.completed_at is None and o.acknowledged_at is None]
        return auto, waiting

    for auto_minutes, ack_minutes in ((3, 10), (6, 15)):
        auto, waiting = clocks(RuleSettings(class1_auto_dispatch_minutes=auto_minutes, ack_minutes=ack_minutes))
        assert auto and all(auto_minutes <= m < auto_minutes + 1 / 3 for m in auto)
        # The present moment holds one order on time for its acknowledgement and one overdue (R7.2).
        assert any(m < ack_minutes for m in waiting) and any(ack_minutes < m <= ack_minutes + 5 for m in waiting)


@pytest.mark.slow
def test_demo_on_the_real_coquimbo_area(tmp_path_factory: pytest.TempPathFactory) -> None:
    from data.coquimbo import load_coquimbo

    area = load_coquimbo(tmp_path_factory.mktemp("network-cache"))
    url = f"sqlite:///{tmp_path_factory.mktemp('coquimbo-demo') / 'demo.sqlite'}"
    settings = settings_for(url)
    summary = seed_demo(settings, area, seed=7, now=NOW)
    assert "5000 customers" in summary

    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(Customer)) == 5000
            crews = s.scalars(sa.select(Crew)).all()
            assert len(crews) == 12 and len({c.depot_id for c in crews}) == 3
            depots = s.scalars(sa.select(Depot).order_by(Depot.id)).all()
            assert [d.name for d in depots] == ["Base Norte", "Base Centro", "Base Sur"]
            assert depots[0].lat > depots[1].lat > depots[2].lat  # La Serena north, Coquimbo south

            tickets = s.scalars(sa.select(Ticket)).all()
            open_tickets = [t for t in tickets if t.status.is_open]
            assert 15 <= len(open_tickets) <= 40
            assert len({t.status for t in open_tickets}) >= 4  # new, dispatched, acknowledged, en route, on site
            assert any(t.ticket_class == 1 and t.status is TicketStatus.NEW for t in open_tickets)
            history = [t for t in tickets if not t.status.is_open]
            assert 1800 <= len(history) <= 2700  # ~25 a day over 90 days
            share = Counter(int(t.ticket_class) for t in tickets)
            assert 0.05 <= share[1] / len(tickets) <= 0.11
            assert 0.40 <= share[2] / len(tickets) <= 0.51
            assert 0.41 <= share[3] / len(tickets) <= 0.53
            channels = Counter(t.channel.value for t in tickets)
            assert 0.55 <= channels["hotline"] / len(tickets) <= 0.65

            # Customers per district follow the population. Customers live on street nodes, and a few
            # outlying zones of the model have no drivable street at all (about 3% of the people):
            # those get none, and the proportionality holds over the zones with streets.
            districts = s.scalars(sa.select(District).order_by(District.code)).all()
            counts = dict(s.execute(sa.select(Customer.district_id, sa.func.count()).group_by(Customer.district_id))
                          .tuples().all())
            pop = np.array([d.population or 0 for d in districts], dtype=float)
            got = np.array([counts.get(d.id, 0) for d in districts], dtype=float)
            polygons = {d.id: shape(json.loads(d.geometry_geojson or "null")) for d in districts}
            net = area.network
            has_streets = np.array([bool(contains_xy(polygons[d.id], net.lon, net.lat).any()) for d in districts])
            assert pop[~has_streets].sum() / pop.sum() < 0.05
            assert np.corrcoef(pop[has_streets], got[has_streets])[0, 1] > 0.9
            assert got[~has_streets].sum() == 0
            sample = s.scalars(sa.select(Customer).order_by(Customer.id).limit(50)).all()
            assert all(polygons[c.district_id].covers(Point(c.lon, c.lat)) for c in sample)
            callbacks = Counter(f.status.value for f in s.scalars(sa.select(FollowUp)))
            assert callbacks["done"] / sum(callbacks.values()) > 0.9
    finally:
        engine.dispose()
    first = digest(url)

    assert "nothing seeded" in seed_demo(settings, area, seed=7, now=NOW, if_empty=True)
    with pytest.raises(DemoError, match="--reset"):
        seed_demo(settings, area, seed=7, now=NOW)
    seed_demo(settings, area, seed=7, now=NOW, reset=True)
    assert digest(url) == first
    seed_demo(settings, area, seed=8, now=NOW, reset=True)
    assert digest(url) != first
