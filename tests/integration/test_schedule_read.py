"""The schedule board's read model: crews on shift, committed orders and the plan in force's proposals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops.clock import epoch
from ops.db import transaction
from ops.expected_finish import OVERRUN_FLOOR_MINUTES
from ops.models import Crew, WorkOrder
from ops.plan_in_force import store_plan
from ops.reads.schedule import COMMITTED, PROPOSED, schedule_board
from ops.services import work_orders as wo
from ops.shifts import shift_in_force
from ops.vocabulary import CrewStatus
from optimizer.dispatch_types import Plan, PlannedJob
from tests.integration.dispatch_world import SUPERVISOR, World

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def job(ticket_id: int, ticket_class: int, *, depart_min: float, eta_min: float, end_min: float,
        slack: dict[str, int] | None = None) -> PlannedJob:
    now = epoch(NOW)
    return PlannedJob(ticket_id=ticket_id, ticket_class=ticket_class, depart_s=now + int(depart_min * 60),
                      eta_s=now + int(eta_min * 60), start_s=now + int(eta_min * 60), end_s=now + int(end_min * 60),
                      drive_s=int((eta_min - depart_min) * 60), slack=slack or {"onsite_target": 600})


@pytest.fixture
def world(session_factory):
    """Crew A (busy with t1), crew B free, crew C off shift; t2 (class 2) and t3 (class 3) unassigned."""
    with transaction(session_factory) as db:
        w = World(db, NOW)
        a, b, c = w.crew(0), w.crew(35), w.crew(20, status=CrewStatus.OFF_SHIFT)
        w.ticket(4, 2, status="closed")  # so that no ticket's id is also an order's
        t1, t2, t3 = w.ticket(1, 2), w.ticket(2, 2), w.ticket(3, 3)
        order = wo.confirm_dispatch(db, SUPERVISOR, t1.id, a.id, None, NOW - timedelta(minutes=5),
                                    override_reason="nearest")
        order.eta_seconds_at_dispatch = 600
        ids = {"a": a.id, "b": b.id, "c": c.id, "t1": t1.id, "t2": t2.id, "t3": t3.id, "order": order.id}
    return session_factory, ids


def test_without_a_plan_the_current_order_is_estimated_and_nothing_is_proposed(world):
    sessions, ids = world
    with transaction(sessions) as db:
        board = schedule_board(db, NOW)
    assert board.plan_at is None
    codes = [c.crew_id for c in board.crews]
    assert ids["c"] not in codes and set(codes) == {ids["a"], ids["b"]}  # off shift: not on the board
    a = next(c for c in board.crews if c.crew_id == ids["a"])
    (bar,) = a.bars
    assert bar.kind == COMMITTED and bar.order_id == ids["order"] and bar.position == 0 and not bar.planned
    assert bar.ticket_id == ids["t1"] != ids["order"]
    # ETA stored at dispatch (5 min ago + 10 min), then the symptom's service time (no gas: 40 min).
    assert bar.eta == NOW + timedelta(minutes=5)
    assert bar.end - bar.start == timedelta(minutes=40)
    assert bar.deadline is not None and bar.deadline_label == "onsite_target" and not bar.late
    assert next(c for c in board.crews if c.crew_id == ids["b"]).bars == ()


def test_the_plan_in_force_gives_times_and_proposals_and_drops_what_left_the_crew(world):
    sessions, ids = world
    with transaction(sessions) as db:
        store_plan(db, Plan(routes={
            ids["a"]: [job(ids["t1"], 2, depart_min=0, eta_min=4, end_min=44),
                       job(ids["t2"], 2, depart_min=44, eta_min=50, end_min=90, slack={"onsite_limit": -300})],
            ids["b"]: [job(ids["t3"], 3, depart_min=0, eta_min=60, end_min=120, slack={"slot_end": 3600}),
                       job(ids["t1"], 2, depart_min=120, eta_min=130, end_min=170)],  # t1 is A's now
        }), NOW - timedelta(seconds=30), "scheduler")
    with transaction(sessions) as db:
        board = schedule_board(db, NOW)
    assert board.plan_at == NOW - timedelta(seconds=30) and board.plan_source == "scheduler"
    a = next(c for c in board.crews if c.crew_id == ids["a"])
    assert [(b.ticket_id, b.kind, b.position) for b in a.bars] == [(ids["t1"], COMMITTED, 0),
                                                                  (ids["t2"], PROPOSED, 1)]
    current, proposal = a.bars
    assert current.planned and current.eta == NOW + timedelta(minutes=4) and current.end == NOW + timedelta(minutes=44)
    assert proposal.depart == NOW + timedelta(minutes=44) and proposal.order_id is None
    assert proposal.late and not current.late  # the plan's slack says so
    b = next(c for c in board.crews if c.crew_id == ids["b"])
    assert [x.ticket_id for x in b.bars] == [ids["t3"]]  # t1 was given to A since: not B's proposal
    (slot,) = b.bars
    assert slot.window_start is not None and slot.window_end - slot.window_start == timedelta(hours=2)
    assert slot.deadline == slot.window_end


def test_a_crew_on_site_works_until_the_planners_expected_finish_even_when_it_overran(world):
    sessions, ids = world
    with transaction(sessions) as db:
        order = db.get(WorkOrder, ids["order"])
        order.acknowledged_at = NOW - timedelta(minutes=58)
        order.departed_at = NOW - timedelta(minutes=55)
        order.arrived_at = NOW - timedelta(minutes=50)
        order.status = "on_site"
    with transaction(sessions) as db:
        (bar,) = schedule_board(db, NOW, [ids["a"]]).crews[0].bars
    assert bar.eta == NOW - timedelta(minutes=50) and bar.depart == NOW - timedelta(minutes=55)
    # 40 min expected, 50 on site: the overrun's expected finish (the planner's), never "free now"
    assert bar.end == NOW + timedelta(minutes=OVERRUN_FLOOR_MINUTES)
    assert bar.slack_s == {} and not bar.late  # arrived: no deadline left to miss


def test_the_shift_in_force_contains_now_for_a_day_crew(world):
    sessions, ids = world
    with transaction(sessions) as db:
        crew = db.get(Crew, ids["b"])
        crew.shift_start_hour, crew.shift_end_hour = 8, 20
        start, end = shift_in_force(crew, NOW)
        assert start <= NOW <= end and end - start == timedelta(hours=12)
        off = schedule_board(db, NOW, [ids["c"]]).crews[0]  # asked for by id: shown though off shift, with nothing proposed
        assert off is not None and off.status == "off_shift" and off.bars == ()
        assert schedule_board(db, NOW, [999_999]).crews == ()


def test_a_queued_order_follows_the_current_one_in_queue_order(world):
    """R7.6: confirming t2 for busy crew A queues it behind t1; without a plan its times follow t1's end."""
    sessions, ids = world
    with transaction(sessions) as db:
        queued = wo.confirm_dispatch(db, SUPERVISOR, ids["t2"], ids["a"], None, NOW, override_reason="queue it")
        assert queued.status == "queued"
    with transaction(sessions) as db:
        current, second = schedule_board(db, NOW, [ids["a"]]).crews[0].bars
    assert (current.ticket_id, current.position) == (ids["t1"], 0)
    assert (second.ticket_id, second.position, second.kind, second.status) == (ids["t2"], 1, COMMITTED, "queued")
    assert second.depart == current.end and not second.planned
    with transaction(sessions) as db:  # the plan in force times both, in its order
        store_plan(db, Plan(routes={ids["a"]: [
            job(ids["t1"], 2, depart_min=0, eta_min=4, end_min=44),
            job(ids["t2"], 2, depart_min=44, eta_min=50, end_min=90)]}), NOW - timedelta(seconds=10), "scheduler")
    with transaction(sessions) as db:
        current, second = schedule_board(db, NOW, [ids["a"]]).crews[0].bars
    assert second.planned and second.eta == NOW + timedelta(minutes=50) and second.order_id is not None
