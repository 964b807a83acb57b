"""The demo feed: a live world through the real services, on the scheduler's clock and lease.

The seeded demo on a small street grid, driven one simulated minute per tick (the scheduler's own
``tick`` with the feed as its step hook), so an hour of demo runs in seconds on both databases.
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from data.demo import seed_demo
from data.demo.feed import DemoFeed, FeedConfig, FeedReport
from data.service_area import ServiceArea
from ops.db import make_engine, make_session_factory, transaction
from ops.models import (
    AuditEvent,
    Crew,
    CrewMember,
    CrewPosition,
    GasReading,
    RepairRecord,
    Ticket,
    User,
    WorkOrder,
)
from ops.parts import PARTS
from ops.rules import ClassificationInput, classify
from ops.scheduler import TickReport, tick
from ops.vocabulary import TicketClass, TicketStatus, WorkOrderStatus
from tests.integration.test_demo import SMALL, digest, grid_area, settings_for  # noqa: F401 - grid_area is a fixture

#: 12:00 in Santiago: the day crews are on shift.
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
#: Short visits, so that whole jobs finish inside the hour a test simulates.
FAST = FeedConfig(service_scale=0.3, ping_every=timedelta(seconds=20))


@pytest.fixture
def world(db_url: str, grid_area: ServiceArea):  # noqa: F811 - the imported fixture
    seed_demo(settings_for(db_url), grid_area, seed=3, now=NOW, config=SMALL)
    engine = make_engine(db_url)
    try:
        yield make_session_factory(engine), grid_area
    finally:
        engine.dispose()


def run(sessions, area: ServiceArea, feed: DemoFeed, start: int, end: int, holder: str = "A") -> list[TickReport]:
    """Tick once a simulated minute from ``start`` to ``end`` (exclusive) minutes after NOW."""
    reports = []
    for m in range(start, end):
        report = tick(sessions, NOW + timedelta(minutes=m), area.network, holder, feed=feed.step)
        assert report is not None and isinstance(report.feed, FeedReport)
        assert report.feed.errors == [] and report.feed.idle is None
        reports.append(report)
    return reports


def total(reports: list[TickReport], name: str) -> list[int]:
    return [x for r in reports for x in getattr(r.feed, name)]


def user_id(db, username: str) -> int:
    return db.scalar(sa.select(User.id).where(User.username == username))


def test_an_hour_of_demo_feed_works_the_whole_loop_through_the_services(world) -> None:
    sessions, area = world
    reports = run(sessions, area, DemoFeed(area, seed=11, config=FAST), 0, 60)
    created, confirmed = total(reports, "created"), total(reports, "confirmed")
    assert 8 <= len(created) <= 40  # a report every 3 min on average
    assert confirmed and total(reports, "acknowledged") and total(reports, "arrived")
    assert total(reports, "completed") and total(reports, "readings")

    with sessions() as db:
        hotline, supervisor = user_id(db, "hotline"), user_id(db, "supervisor")
        # New reports went through intake as the demo hotline agent: classified by the rules, audited.
        for ticket in db.scalars(sa.select(Ticket).where(Ticket.id.in_(created))):
            assert ticket.created_by_id == hotline and NOW <= ticket.received_at <= ticket.created_at
            proposal = classify(ClassificationInput(
                ticket.symptom, odour=ticket.odour, abnormal_noise=ticket.abnormal_noise,
                people_on_site=ticket.people_on_site, ventilated=ticket.ventilated,
                valve_closed=ticket.valve_closed, judgement=ticket.agent_judgement))
            assert ticket.proposed_class == proposal.ticket_class and ticket.rule_version == proposal.rule_version
            if ticket.ticket_class is TicketClass.SCHEDULED:
                assert ticket.slot_start is not None and ticket.slot_start > ticket.received_at
            event = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ticket.create",
                                                          AuditEvent.entity_id == str(ticket.id)))
            assert event.actor_id == hotline and "demo feed" in event.actor_label
        # The demo supervisor confirmed the stored recommendation for waiting class-2/3 work.
        for order in db.scalars(sa.select(WorkOrder).where(WorkOrder.id.in_(confirmed))):
            assert order.dispatched_by_id == supervisor and order.recommendation["recommendation_id"]
            assert TicketClass(order.ticket.ticket_class) is not TicketClass.EMERGENCY
            event = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dispatch.confirm",
                                                          AuditEvent.entity_id == str(order.id)))
            assert event.actor_id == supervisor and "demo feed" in event.actor_label

        # Every order the feed finished has every timestamp, in order, each step by its own crew.
        done = db.scalars(sa.select(WorkOrder).where(WorkOrder.id.in_(total(reports, "completed")))).all()
        class1 = 0
        for order in done:
            assert order.status is WorkOrderStatus.COMPLETED
            stamps = [order.dispatched_at, order.acknowledged_at, order.departed_at, order.arrived_at,
                      order.completed_at]
            assert None not in stamps and stamps == sorted(stamps)
            members = set(db.scalars(sa.select(CrewMember.user_id).where(CrewMember.crew_id == order.crew_id)))
            steps = db.scalars(sa.select(AuditEvent).where(
                AuditEvent.entity == "work_order", AuditEvent.entity_id == str(order.id),
                AuditEvent.action.in_(["order.acknowledge", "order.depart", "order.arrive", "order.reading",
                                       "order.complete"]),
                AuditEvent.actor_label.contains("demo feed"))).all()  # seeded orders: the earlier steps were imported
            assert "order.complete" in {e.action for e in steps} and all(e.actor_id in members for e in steps)
            record = db.scalar(sa.select(RepairRecord).where(RepairRecord.work_order_id == order.id))
            assert record.cause and record.measures and record.safety_advice_given  # R9.1, R8.5
            assert order.ticket.reporter_name in record.customer_confirmation
            assert all(PARTS[p["code"]].meets_standard for p in record.parts_replaced)  # R8.4
            if TicketClass(order.ticket.ticket_class) is TicketClass.EMERGENCY:  # R8.3
                class1 += 1
                reading = db.scalar(sa.select(GasReading).where(GasReading.work_order_id == order.id))
                assert reading is not None and order.arrived_at <= reading.measured_at <= order.completed_at
                assert record.gas_reading_ppm == reading.ppm
        assert class1 >= 1
        assert db.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
            Ticket.id.in_(created), Ticket.status == TicketStatus.COMPLETED)) >= 1
    check_positions_follow_the_road(sessions, area, reports)


def _segment_distance_m(area: ServiceArea, lon: float, lat: float) -> float:
    """Metres from a point to the nearest arc of the network (drawn as a straight segment)."""
    net = area.network
    x, y = net.projection.forward(net.lon, net.lat)
    px, py = net.projection.forward(np.array([lon]), np.array([lat]))
    coo = net.graph.tocoo()
    ax, ay, bx, by = x[coo.row], y[coo.row], x[coo.col], y[coo.col]
    dx, dy = bx - ax, by - ay
    t = np.clip(((px[0] - ax) * dx + (py[0] - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-9), 0, 1)
    return float(np.min(np.hypot(ax + t * dx - px[0], ay + t * dy - py[0])))


def check_positions_follow_the_road(sessions, area: ServiceArea, reports: list[TickReport]) -> None:
    """Each drive the feed made: pings on the streets, from the departure to the job, never drifting away."""
    net = area.network
    arc_s = float(net.graph.data.max())
    checked = 0
    with sessions() as db:
        for order in db.scalars(sa.select(WorkOrder).where(WorkOrder.id.in_(total(reports, "departed")),
                                                           WorkOrder.arrived_at.is_not(None))):
            pings = db.scalars(sa.select(CrewPosition).where(
                CrewPosition.crew_id == order.crew_id, CrewPosition.at >= order.departed_at,
                CrewPosition.at <= order.arrived_at).order_by(CrewPosition.at, CrewPosition.id)).all()
            assert pings[0].at == order.departed_at and pings[-1].at == order.arrived_at
            ticket = order.ticket
            assert (pings[-1].lon, pings[-1].lat) == pytest.approx((ticket.lon, ticket.lat), abs=1e-6)
            assert all(p.source == "simulation" for p in pings)
            # Every ping lies on a street, and the drive left to the job only shrinks (within one arc).
            assert max(_segment_distance_m(area, p.lon, p.lat) for p in pings) < 1.0
            nodes = net.snap([p.lon for p in pings], [p.lat for p in pings])[0]
            target = int(net.snap(ticket.lon, ticket.lat)[0][0])
            left = net.travel_times(nodes, [target])[:, 0]
            assert all(b <= a + arc_s for a, b in itertools.pairwise(left)) and left[-1] == 0
            checked += len(pings) >= 3
        assert checked >= 2
        # The audit log holds each ping, as the crew's (R13.1).
        assert db.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "crew.position", AuditEvent.actor_label.contains("demo feed"))
        ) == sum(r.feed.positions for r in reports)


def test_the_world_survives_a_scheduler_restart(world) -> None:
    sessions, area = world
    before = run(sessions, area, DemoFeed(area, seed=11, config=FAST), 0, 15)
    with sessions() as db:
        moving = dict(db.execute(sa.select(WorkOrder.id, WorkOrder.crew_id)
                                 .where(WorkOrder.status == WorkOrderStatus.EN_ROUTE)).tuples().all())
        open_orders = set(db.scalars(sa.select(WorkOrder.id).where(WorkOrder.status.in_(
            [WorkOrderStatus.DISPATCHED, WorkOrderStatus.ACKNOWLEDGED, WorkOrderStatus.ON_SITE]))))
        last = {c: db.scalar(sa.select(CrewPosition).where(CrewPosition.crew_id == c)
                             .order_by(CrewPosition.at.desc(), CrewPosition.id.desc()).limit(1))
                for c in moving.values()}
        last = {c: (p.lon, p.lat) for c, p in last.items()}
    assert moving or open_orders
    # A new process: nothing in memory but the seed.
    after = run(sessions, area, DemoFeed(area, seed=11, config=FAST), 15, 40, holder="B")
    assert total(after, "created") and set(total(after, "created")).isdisjoint(total(before, "created"))
    progressed = set(total(after, "arrived")) | set(total(after, "acknowledged")) | set(total(after, "completed"))
    assert (set(moving) | open_orders) & progressed
    with sessions() as db:
        for order_id, crew_id in moving.items():
            order = db.get(WorkOrder, order_id)
            assert order.status is not WorkOrderStatus.EN_ROUTE or order.cancelled_at is not None
            first = db.scalar(sa.select(CrewPosition).where(
                CrewPosition.crew_id == crew_id, CrewPosition.at > NOW + timedelta(minutes=14))
                .order_by(CrewPosition.at, CrewPosition.id).limit(1))
            if first is not None:  # the drive goes on from where it stood, not from the depot
                jump = _segment_distance_m(area, *last[crew_id]) + float(np.hypot(
                    *np.subtract(area.network.projection.forward(np.array([first.lon]), np.array([first.lat])),
                                 area.network.projection.forward(np.array([last[crew_id][0]]),
                                                                 np.array([last[crew_id][1]])))[:, 0]))
                assert jump < 600


def test_two_schedulers_never_feed_the_world_twice(world) -> None:
    sessions, area = world
    feeds = {"A": DemoFeed(area, seed=11, config=FAST), "B": DemoFeed(area, seed=11, config=FAST)}
    acted: list[tuple[str, TickReport]] = []
    for m in range(0, 12):
        now = NOW + timedelta(minutes=m)
        barrier = threading.Barrier(2)
        results: dict[str, TickReport | None] = {}

        def go(holder: str, now: datetime = now, barrier: threading.Barrier = barrier,
               results: dict = results) -> None:
            barrier.wait()
            results[holder] = tick(sessions, now, area.network, holder, ttl_s=3600, feed=feeds[holder].step)

        threads = [threading.Thread(target=go, args=(h,)) for h in feeds]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        winners = [(h, r) for h, r in results.items() if r is not None]
        assert len(results) == 2 and len(winners) == 1
        acted.extend(winners)
    assert len({h for h, _ in acted}) == 1  # the lease stays with its holder
    created = [t for _, r in acted for t in r.feed.created]
    with sessions() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(Ticket).where(Ticket.created_at >= NOW)) == len(created)
        acks = db.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "order.acknowledge", AuditEvent.at >= NOW - timedelta(minutes=30)))
        assert acks == sum(len(r.feed.acknowledged) for _, r in acted)


def test_an_order_a_person_has_stepped_on_is_left_to_them(world) -> None:
    """Someone trying the crew page with a crew's login is not overtaken by the simulation."""
    from ops.permissions import actor_for_user
    from ops.services import work_orders as wo

    sessions, area = world
    feed = DemoFeed(area, seed=11, config=FAST)
    minute, order_id = 0, None
    while order_id is None:
        report = run(sessions, area, feed, minute, minute + 1)[0]
        minute += 1
        with transaction(sessions) as db:
            order = db.scalar(sa.select(WorkOrder).where(WorkOrder.status == WorkOrderStatus.DISPATCHED)
                              .order_by(WorkOrder.id))
            if order is not None and order.id not in report.feed.acknowledged:
                user = db.get(User, next(m.user_id for m in order.crew.members if m.user_id))
                wo.acknowledge(db, actor_for_user(user), order.id, NOW + timedelta(minutes=minute - 0.5))
                order_id = order.id
        assert minute < 30
    reports = run(sessions, area, feed, minute, minute + 30)
    assert order_id not in total(reports, "departed") and order_id not in total(reports, "acknowledged")
    with sessions() as db:
        status = db.get(WorkOrder, order_id).status
        diverted = db.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "order.preempt",
                                                            AuditEvent.entity_id == str(order_id)))
        # It waits for its person; R7.6: unless a class 1 diverted its crew (back in the queue, its
        # acknowledgement cleared), and then the feed does not step on it either.
        assert status is WorkOrderStatus.ACKNOWLEDGED or (
            diverted is not None and status in (WorkOrderStatus.QUEUED, WorkOrderStatus.DISPATCHED)), status


def test_reports_follow_the_hour_of_day_profile(world) -> None:
    """Two hours of reports at once (a long backlog): busy mid-morning, quiet small hours."""
    sessions, area = world
    config = FeedConfig(max_backlog=timedelta(hours=2), auto_confirm_after=None)
    counts = {}
    for name, start in (("night", NOW + timedelta(hours=15)), ("morning", NOW + timedelta(hours=21))):
        feed = DemoFeed(area, seed=11, config=config)  # 03:00 and 09:00 in Santiago
        assert feed.step(sessions, start).created == []  # the first step only draws the next arrival
        report = feed.step(sessions, start + timedelta(hours=2))
        assert report.errors == []
        counts[name] = len(report.created)
    assert counts["morning"] >= 25 and counts["night"] * 4 < counts["morning"]


def test_auto_confirm_can_be_switched_off(world) -> None:
    sessions, area = world
    reports = run(sessions, area, DemoFeed(area, seed=11, config=FeedConfig(auto_confirm_after=None)), 0, 25)
    assert total(reports, "created") and not total(reports, "confirmed")
    with sessions() as db:
        supervisor = user_id(db, "supervisor")
        assert db.scalar(sa.select(sa.func.count()).select_from(WorkOrder).where(
            WorkOrder.dispatched_by_id == supervisor, WorkOrder.dispatched_at >= NOW)) == 0
        waiting = db.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
            Ticket.id.in_(total(reports, "created")), Ticket.status == TicketStatus.NEW,
            Ticket.ticket_class == TicketClass.URGENT))
        assert waiting >= 1  # class 2 waits for a person; class 1 the scheduler still dispatches (R7.3)


def test_every_crew_gets_its_own_login_once(world) -> None:
    sessions, area = world
    first = run(sessions, area, DemoFeed(area, seed=11, config=FAST), 0, 1)
    with sessions() as db:
        crews = db.scalars(sa.select(Crew)).all()
        for crew in crews:
            assert any(m.user_id is not None for m in crew.members)
        logins = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.create",
                                                        AuditEvent.actor_label.contains("demo feed"))).all()
        assert len(logins) == len(crews) - 1 and all(e.at == NOW for e in logins)
    assert first[0].feed.errors == []
    run(sessions, area, DemoFeed(area, seed=11, config=FAST), 1, 2)  # a restarted feed creates none again
    with sessions() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "user.create", AuditEvent.actor_label.contains("demo feed"))) == len(crews) - 1


def test_the_feed_is_deterministic_for_its_seed(tmp_path, grid_area) -> None:  # noqa: F811
    digests = []
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.sqlite"
        seed_demo(settings_for(url), grid_area, seed=3, now=NOW, config=SMALL)
        engine = make_engine(url)
        try:
            run(make_session_factory(engine), grid_area, DemoFeed(grid_area, seed=11, config=FAST), 0, 20)
        finally:
            engine.dispose()
        digests.append(digest(url))
    assert digests[0] == digests[1]


def test_the_feed_stays_idle_on_a_database_that_is_not_the_demo(session_factory, grid_area) -> None:  # noqa: F811
    from tests.integration.dispatch_world import World

    with transaction(session_factory) as db:
        World(db, NOW).crew(3)
    report = DemoFeed(grid_area, seed=1).step(session_factory, NOW + timedelta(hours=1))
    assert report.idle and "demo" in report.idle and not report.acted
    with session_factory() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
        assert db.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_cli_scheduler_once_with_the_demo_feed(world, db_url, tmp_path, monkeypatch, capsys) -> None:
    from dashboard import cli
    from ops.settings import get_settings

    _sessions, area = world
    monkeypatch.setenv("GASDISPATCH_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr(cli, "_load_area", lambda settings: area)
    get_settings.cache_clear()
    try:
        assert cli.main(["scheduler", "--once", "--demo-feed", "--feed-seed", "5"]) == 0
        assert "feed=feed:" in capsys.readouterr().out
        assert cli.main(["scheduler", "--once"]) == 0
        assert "feed=None" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
