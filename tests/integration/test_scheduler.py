"""The escalation clock (R7.2–R7.4), driven by a passed-in ``now``; and the one-process lease."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ops.db import transaction
from ops.models import Alert, AuditEvent, SchedulerLease, Ticket, WorkOrder
from ops.reads.open_alerts import open_alerts
from ops.scheduler import acquire_lease, run_escalations, tick
from ops.services import work_orders as wo
from ops.vocabulary import TicketStatus, WorkOrderStatus
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def minutes(m: float) -> datetime:
    return NOW + timedelta(minutes=m)


@pytest.fixture
def setup(session_factory):
    """Two crews, the near one on node 13; a class 1 reported at NOW on node 14."""
    with transaction(session_factory) as db:
        w = World(db, NOW)
        near, far = w.crew(13), w.crew(35)
        ticket = w.ticket(14, 1)
        ids = {"near": near.id, "far": far.id, "ticket": ticket.id}
    return session_factory, ids


def tick_at(sessions, at):
    with transaction(sessions) as db:
        return run_escalations(db, at, NETWORK)


def acknowledged_by_near(db, ids) -> WorkOrder:
    """The near crew dispatched (by the supervisor) at minute 1 and acknowledged at minute 2."""
    order = wo.confirm_dispatch(db, SUPERVISOR, ids["ticket"], ids["near"], None, minutes(1), override_reason="x")
    wo.acknowledge(db, World(db, NOW).member(order.crew), order.id, minutes(2))
    return order


def test_r7_3_pre_alert_at_once_then_auto_dispatch_at_3_minutes(setup):
    sessions, ids = setup
    report = tick_at(sessions, minutes(0.5))
    assert report.pre_alerted == [ids["ticket"]] and not report.auto_dispatched
    assert tick_at(sessions, minutes(1)).pre_alerted == []  # once only
    assert tick_at(sessions, minutes(2.9)).auto_dispatched == []
    report = tick_at(sessions, minutes(3))
    assert len(report.auto_dispatched) == 1
    with sessions() as db:
        order = db.get(WorkOrder, report.auto_dispatched[0])
        assert order.crew_id == ids["near"] and order.auto_dispatched
        assert order.pre_alerted_at == minutes(0.5) and order.dispatched_by_id is None
        assert order.recommendation["decision"] == "auto"
        event = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dispatch.confirm"))
        assert event.actor_label == "system" and "auto-dispatched by the system" in event.note
        assert db.get(Ticket, ids["ticket"]).status is TicketStatus.DISPATCHED
        kinds = {a.kind for a in open_alerts(db, ticket_id=ids["ticket"])}
        assert kinds == {"pre_alert", "auto_dispatched"}


def test_a_confirmed_class1_is_not_auto_dispatched(setup):
    sessions, ids = setup
    with transaction(sessions) as db:
        wo.confirm_dispatch(db, SUPERVISOR, ids["ticket"], ids["far"], None, minutes(1), override_reason="x")
    assert tick_at(sessions, minutes(3)).auto_dispatched == []


def test_r7_2_no_ack_in_10_minutes_escalates_and_proposes_the_next_best(setup):
    sessions, ids = setup
    with transaction(sessions) as db:
        from ops.services.dispatching import recommend

        rec = recommend(db, SUPERVISOR, ids["ticket"], now=minutes(1), network=NETWORK)
        order_id = wo.confirm_dispatch(db, SUPERVISOR, ids["ticket"], ids["near"], rec.recommendation_id, minutes(1)).id
    assert tick_at(sessions, minutes(10.9)).escalated == []
    report = tick_at(sessions, minutes(11))
    assert report.escalated == [order_id]
    assert tick_at(sessions, minutes(12)).escalated == []
    with sessions() as db:
        order = db.get(WorkOrder, order_id)
        assert order.escalated_at == minutes(11) and order.status is WorkOrderStatus.DISPATCHED
        alert = db.scalar(sa.select(Alert).where(Alert.kind == "no_ack"))
        assert alert.work_order_id == order_id and alert.crew_id == ids["far"]
        assert alert.details["proposed_crew_id"] == ids["far"]


def test_r7_4_red_alert_when_no_crew_departed_at_20_minutes(setup):
    sessions, ids = setup
    with transaction(sessions) as db:
        acknowledged_by_near(db, ids)
    assert tick_at(sessions, minutes(19.9)).red == []
    assert tick_at(sessions, minutes(20)).red == [ids["ticket"]]
    assert tick_at(sessions, minutes(21)).red == []
    with sessions() as db:
        assert [a.kind for a in open_alerts(db, kinds=["red"])] == ["red"]


def test_no_red_alert_once_a_crew_has_departed(setup):
    sessions, ids = setup
    with transaction(sessions) as db:
        order = acknowledged_by_near(db, ids)
        wo.depart(db, World(db, NOW).member(order.crew), order.id, minutes(3))
    assert tick_at(sessions, minutes(25)).red == []


@pytest.mark.parametrize("undo", ["reassign", "cancel"])
def test_r7_4_a_departure_undone_by_reassignment_or_cancellation_does_not_count(setup, undo):
    """Departed at minute 3, then moved to another crew (or withdrawn) at minute 5: nobody is on the way."""
    from ops.reads.open_queue import class1_awaiting_departure

    sessions, ids = setup
    with transaction(sessions) as db:
        order = acknowledged_by_near(db, ids)
        wo.depart(db, World(db, NOW).member(order.crew), order.id, minutes(3))
        if undo == "reassign":
            wo.reassign(db, SUPERVISOR, order.id, ids["far"], "stuck in traffic", minutes(5))
        else:
            wo.cancel(db, SUPERVISOR, order.id, "wrong crew", minutes(5))
    assert tick_at(sessions, minutes(19.9)).red == []
    assert tick_at(sessions, minutes(25)).red == [ids["ticket"]]
    with sessions() as db:  # the board's banner and the scheduler tell the same story
        assert [a.id for a in class1_awaiting_departure(db, minutes(25))] == [ids["ticket"]]


def test_at_risk_when_the_predicted_arrival_is_past_the_deadline(session_factory):
    with transaction(session_factory) as db:
        w = World(db, NOW)
        crew = w.crew(0)
        ticket = w.ticket(35, 1, received_at=NOW - timedelta(minutes=59, seconds=50))  # target in 10 s
        order_id = wo.confirm_dispatch(db, SUPERVISOR, ticket.id, crew.id, None, NOW, override_reason="x").id
    report = tick_at(session_factory, NOW)
    assert report.at_risk == [order_id]
    assert tick_at(session_factory, minutes(1)).at_risk == []
    with session_factory() as db:
        alert = db.scalar(sa.select(Alert).where(Alert.kind == "at_risk"))
        assert alert.details["deadline"] == "onsite_target" and alert.details["late_by_s"] > 0


def test_lease_one_holder_until_it_expires(session_factory):
    with transaction(session_factory) as db:
        assert acquire_lease(db, "a", NOW, ttl_s=30)
    with transaction(session_factory) as db:
        assert not acquire_lease(db, "b", NOW + timedelta(seconds=10), ttl_s=30)
        assert acquire_lease(db, "a", NOW + timedelta(seconds=10), ttl_s=30)  # renewal
    with transaction(session_factory) as db:
        assert not acquire_lease(db, "b", NOW + timedelta(seconds=39), ttl_s=30)
        assert acquire_lease(db, "b", NOW + timedelta(seconds=40), ttl_s=30)


def test_two_concurrent_ticks_only_one_acts(setup):
    sessions, _ids = setup
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def run(holder: str) -> None:
        barrier.wait()
        results[holder] = tick(sessions, minutes(3), NETWORK, holder)

    threads = [threading.Thread(target=run, args=(h,)) for h in ("worker-1", "worker-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    acted = [h for h, r in results.items() if r is not None]
    assert len(results) == 2 and len(acted) == 1
    with sessions() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == 1


def test_cli_scheduler_once_ticks_and_a_second_holder_stays_idle(setup, db_url, tmp_path, monkeypatch, capsys):
    from types import SimpleNamespace

    from dashboard import cli
    from ops.settings import get_settings

    sessions, _ids = setup
    monkeypatch.setenv("GASDISPATCH_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr(cli, "_load_area", lambda settings: SimpleNamespace(network=NETWORK))
    get_settings.cache_clear()
    try:
        assert cli.main(["scheduler", "--once"]) == 0
        assert "pre_alerted=[" in capsys.readouterr().out
        with transaction(sessions) as db:  # another process's live lease: this one stays idle
            db.execute(sa.update(SchedulerLease).values(holder="elsewhere",
                                                        expires_at=datetime.now(UTC) + timedelta(hours=1)))
        assert cli.main(["scheduler", "--once"]) == 0
        assert "another process holds the scheduler lease" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()


def test_an_unservable_class1_gets_one_no_crew_alert_and_is_retried_each_minute(session_factory):
    from ops.models import Recommendation

    with transaction(session_factory) as db:
        w = World(db, NOW)
        w.crew(13, skills=("meter",))  # nobody can repair a leak
        ticket_id = w.ticket(14, 1).id
    assert tick_at(session_factory, minutes(0)).no_crew == [ticket_id]
    for m in (0.1, 0.5, 3, 3.1):
        report = tick_at(session_factory, minutes(m))
        assert report.no_crew == [] and report.auto_dispatched == []
    with session_factory() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(Recommendation)) == 2  # at 0 and at 3 min
        assert [a.kind for a in open_alerts(db, ticket_id=ticket_id)] == ["no_crew"]


def test_one_tick_builds_the_dispatch_state_once_and_again_only_after_it_dispatched(setup, monkeypatch):
    from ops import scheduler

    sessions, _ids = setup
    with transaction(sessions) as db:
        World(db, NOW).ticket(20, 1)  # a second waiting class 1
    built = []
    real = scheduler.build_state
    monkeypatch.setattr(scheduler, "build_state", lambda *a, **kw: built.append(1) or real(*a, **kw))
    assert len(tick_at(sessions, minutes(0.5)).pre_alerted) == 2
    assert len(built) == 1
    built.clear()
    assert len(tick_at(sessions, minutes(3)).auto_dispatched) == 2
    assert len(built) == 2  # the second ticket is ranked without the crew the first one took


def test_r7_6_a_class1_whose_only_crew_is_on_site_is_auto_dispatched_first_in_that_crews_queue(session_factory):
    """The crew on site gives the earliest arrival: R7.3 sends it, queued first behind the job on site."""
    with transaction(session_factory) as db:
        w = World(db, NOW)
        crew = w.crew(13)
        first = w.ticket(14, 1, received_at=minutes(-30))
        order = wo.confirm_dispatch(db, SUPERVISOR, first.id, crew.id, None, minutes(-29), override_reason="x")
        member = w.member(crew)
        wo.acknowledge(db, member, order.id, minutes(-28))
        wo.depart(db, member, order.id, minutes(-27))
        wo.arrive(db, member, order.id, minutes(-20))  # on site: cannot be pulled off
        later = w.ticket(20, 2, received_at=minutes(-25))
        queued = wo.confirm_dispatch(db, SUPERVISOR, later.id, crew.id, None, minutes(-24), override_reason="x")
        ticket_id = w.ticket(20, 1).id
        order_id, queued_id = order.id, queued.id
    assert tick_at(session_factory, minutes(0)).auto_dispatched == []  # pre-alert only
    report = tick_at(session_factory, minutes(3))
    with session_factory() as db:
        [auto] = db.scalars(sa.select(WorkOrder).where(WorkOrder.ticket_id == ticket_id)).all()
        assert report.auto_dispatched == [auto.id] and auto.auto_dispatched
        assert auto.status is WorkOrderStatus.QUEUED and auto.current_since is None
        assert auto.queue_rank < db.get(WorkOrder, queued_id).queue_rank  # ahead of the class-2 job
        assert db.get(WorkOrder, order_id).status is WorkOrderStatus.ON_SITE  # never pulled off
        assert db.get(Ticket, ticket_id).status is TicketStatus.DISPATCHED
    # R7.2: the queued class 1 is not escalated, however long it waits; its clock starts at promotion.
    assert tick_at(session_factory, minutes(20)).escalated == []
