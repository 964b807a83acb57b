"""Replan on events (issue 12): each event leaves a request in its own transaction, the scheduler answers
all pending requests with one plan (debounced), and two schedulers still plan once (the lease)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ops import scheduler
from ops.db import transaction
from ops.errors import ServiceError
from ops.models import Crew, PlanInForce, ReplanRequest, SchedulerLease
from ops.plan_in_force import plan_version
from ops.scheduler import DEBOUNCE_S, EVENT_SOURCE, replan, replan_on_request, run_forever
from ops.services import crews as crew_services
from ops.services import intake
from ops.services import work_orders as wo
from ops.services.replan import ReplanReason, request_replan
from ops.vocabulary import CrewStatus
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World
from tests.integration.test_intake import AGENT, LOCATOR, report

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
REPAIR = wo.RepairIn(cause="loose union", measures="tightened", parts=[], result="fixed", customer_name="Ana Rojas",
                     customer_confirmed=True, safety_advice_given=True, gas_restored_after_check=True)


def reasons(sessions) -> list[str]:
    with sessions() as db:
        return list(db.scalars(sa.select(ReplanRequest.reason).order_by(ReplanRequest.id)))


def plans(sessions) -> list[tuple[int, str]]:
    with sessions() as db:
        return [tuple(r) for r in db.execute(sa.select(PlanInForce.id, PlanInForce.source).order_by(PlanInForce.id))]


def clear(sessions) -> None:
    with transaction(sessions) as db:
        db.execute(sa.delete(ReplanRequest))


@pytest.fixture
def world(session_factory):
    """Two crews (near: node 13, far: node 35) and a class 2 on node 14; no request yet."""
    with transaction(session_factory) as db:
        w = World(db, NOW)
        near, far = w.crew(13), w.crew(35)
        ticket = w.ticket(14, 2)
        ids = {"near": near.id, "far": far.id, "ticket": ticket.id}
    return session_factory, ids


# ----------------------------------------------------------------------------- a request with each event
def test_a_new_class1_asks_for_a_replan_and_a_class2_does_not(session_factory):
    with transaction(session_factory) as db:
        intake.create_ticket(db, AGENT, report(), now=NOW, locator=LOCATOR)
    assert reasons(session_factory) == []
    with transaction(session_factory) as db:
        result = intake.create_ticket(db, AGENT, report(symptom="fire"), now=NOW, locator=LOCATOR)
        assert result.ticket.ticket_class == 1
    assert reasons(session_factory) == ["class1"]


def test_a_class_raised_to_1_asks_for_a_replan(session_factory):
    with transaction(session_factory) as db:
        ticket_id = intake.create_ticket(db, AGENT, report(), now=NOW, locator=LOCATOR).ticket.id
    with transaction(session_factory) as db:
        intake.change_class(db, AGENT, ticket_id, 1, "caller now smells gas", NOW + timedelta(minutes=2))
    assert reasons(session_factory) == ["class1"]


def test_confirm_cancel_reassign_and_completion_each_ask_for_a_replan(world):
    sessions, ids = world
    with transaction(sessions) as db:
        order = wo.confirm_dispatch(db, SUPERVISOR, ids["ticket"], ids["near"], None, NOW, override_reason="x")
        order_id = order.id
    assert reasons(sessions) == ["confirm"]
    clear(sessions)
    with transaction(sessions) as db:
        order_id = wo.reassign(db, SUPERVISOR, order_id, ids["far"], "near crew's van broke down", NOW).id
    assert reasons(sessions) == ["reassign"]  # one request for the move, not one per half of it
    clear(sessions)
    with transaction(sessions) as db:
        wo.cancel(db, SUPERVISOR, order_id, "customer not home", NOW)
    assert reasons(sessions) == ["cancel"]
    clear(sessions)
    with transaction(sessions) as db:
        w = World(db, NOW)
        order = wo.confirm_dispatch(db, SUPERVISOR, ids["ticket"], ids["near"], None, NOW, override_reason="x")
        member = w.member(order.crew)
        for step in (wo.acknowledge, wo.depart, wo.arrive):
            step(db, member, order.id, NOW + timedelta(minutes=5))
        wo.record_reading(db, member, order.id, 0.0, NOW + timedelta(minutes=6), NOW + timedelta(minutes=6))
    assert reasons(sessions) == ["confirm"]  # the crew's own steps change nobody's availability
    clear(sessions)
    with transaction(sessions) as db:
        wo.complete(db, member, order.id, REPAIR, NOW + timedelta(minutes=40))
    assert reasons(sessions) == ["crew_free"]


def test_moving_an_order_on_the_board_asks_for_a_replan(world):
    """R7.6's move: within the crew's queue, to another crew, or back to unassigned: one request each."""
    from ops.services.queue import move_order

    sessions, ids = world
    with transaction(sessions) as db:
        second = World(db, NOW, _n=100).ticket(15, 2)
        wo.confirm_dispatch(db, SUPERVISOR, ids["ticket"], ids["near"], None, NOW, override_reason="x")
        queued = wo.confirm_dispatch(db, SUPERVISOR, second.id, ids["near"], None, NOW, override_reason="x")
        assert queued.status.value == "queued"
    clear(sessions)
    with transaction(sessions) as db:
        move_order(db, SUPERVISOR, queued.id, NOW, crew_id=ids["near"], position=1, reason=None)
    assert reasons(sessions) == ["reassign"]
    clear(sessions)
    with transaction(sessions) as db:
        moved = move_order(db, SUPERVISOR, queued.id, NOW, crew_id=ids["far"], position=None, reason="closer")
    assert reasons(sessions) == ["reassign"]
    clear(sessions)
    with transaction(sessions) as db:
        move_order(db, SUPERVISOR, moved.id, NOW, crew_id=None, position=None, reason="customer away")
    assert reasons(sessions) == ["cancel"]


def test_a_crew_changing_status_asks_for_a_replan_and_the_same_status_does_not(world):
    sessions, ids = world
    with transaction(sessions) as db:
        crew_services.set_status(db, SUPERVISOR, db.get(Crew, ids["near"]), CrewStatus.AVAILABLE, at=NOW)
    assert reasons(sessions) == []
    with transaction(sessions) as db:
        crew_services.set_status(db, SUPERVISOR, db.get(Crew, ids["near"]), CrewStatus.OFF_SHIFT, at=NOW)
    assert reasons(sessions) == ["crew_status"]


def test_a_refused_event_leaves_no_request(world):
    sessions, ids = world
    with pytest.raises(ServiceError), transaction(sessions) as db:  # another crew than the top one needs a reason
        wo.confirm_dispatch(db, SUPERVISOR, ids["ticket"], ids["near"], None, NOW)
    assert reasons(sessions) == []


def test_request_replan_takes_only_known_reasons_and_aware_times(session_factory):
    with session_factory() as db:
        with pytest.raises(ValueError):
            request_replan(db, NOW, "whim")
        with pytest.raises(ServiceError):
            request_replan(db, NOW.replace(tzinfo=None), ReplanReason.CONFIRM)


# ----------------------------------------------------------------------------- the scheduler answers
def ask(sessions, n: int = 1, at: datetime = NOW) -> None:
    with transaction(sessions) as db:
        for _ in range(n):
            request_replan(db, at, ReplanReason.CONFIRM)


def test_the_scheduler_answers_every_pending_request_with_one_plan(world):
    sessions, _ids = world
    assert replan_on_request(sessions, NOW, NETWORK, "me") is False  # nothing asked: no plan
    with sessions() as db:
        assert db.get(SchedulerLease, scheduler.LEASE_NAME) is None  # and no write (the lease is not taken)
    ask(sessions, 5)
    assert replan_on_request(sessions, NOW, NETWORK, "me") is True
    assert [source for _id, source in plans(sessions)] == [EVENT_SOURCE]
    assert reasons(sessions) == []  # all five answered by the one plan
    assert replan_on_request(sessions, NOW + timedelta(seconds=5), NETWORK, "me") is False
    assert len(plans(sessions)) == 1


def test_requests_within_the_debounce_wait_for_it_and_are_then_coalesced(world):
    sessions, _ids = world
    ask(sessions)
    assert replan_on_request(sessions, NOW, NETWORK, "me") is True
    soon = NOW + timedelta(seconds=DEBOUNCE_S / 2)
    ask(sessions, 3, soon)
    assert replan_on_request(sessions, soon, NETWORK, "me") is False  # the plan in force is too fresh
    assert len(reasons(sessions)) == 3
    assert replan_on_request(sessions, NOW + timedelta(seconds=DEBOUNCE_S), NETWORK, "me") is True
    assert len(plans(sessions)) == 2 and reasons(sessions) == []


def test_a_request_committed_during_the_search_stays_for_the_next_plan(world, monkeypatch):
    import optimizer.dispatch

    sessions, _ids = world
    ask(sessions)
    search = optimizer.dispatch.plan

    def search_while_an_event_commits(state, budget_s, *args, **kwargs):
        ask(sessions)  # another transaction commits an event after the state was read
        return search(state, budget_s, *args, **kwargs)

    monkeypatch.setattr(optimizer.dispatch, "plan", search_while_an_event_commits)
    assert replan_on_request(sessions, NOW, NETWORK, "me") is True
    assert len(reasons(sessions)) == 1  # not answered by a plan that could not have seen it


def test_the_periodic_replan_stays_and_answers_pending_requests_too(world):
    sessions, _ids = world
    assert replan(sessions, NOW, NETWORK, every_s=60) is True  # no plan yet: the timer plans
    assert replan(sessions, NOW + timedelta(seconds=30), NETWORK, every_s=60) is False
    ask(sessions)
    assert replan(sessions, NOW + timedelta(seconds=60), NETWORK, every_s=60) is True
    assert [source for _id, source in plans(sessions)] == ["scheduler", "scheduler"]
    assert reasons(sessions) == []


def test_timer_only_leaves_requests_to_the_periodic_replan(world):
    """``gasdispatch scheduler --check-interval 0``: the timer alone replans, as before events could ask."""
    sessions, _ids = world
    assert replan(sessions, NOW, NETWORK, every_s=60, on_request=False) is True
    ask(sessions)
    assert replan(sessions, NOW + timedelta(seconds=30), NETWORK, every_s=60, on_request=False) is False
    assert replan(sessions, NOW + timedelta(seconds=30), NETWORK, every_s=60) is True  # with events: at once


def test_two_schedulers_answer_a_request_once(world):
    sessions, _ids = world
    ask(sessions, 2)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def run(holder: str) -> None:
        barrier.wait()
        results[holder] = replan_on_request(sessions, NOW, NETWORK, holder)

    threads = [threading.Thread(target=run, args=(h,)) for h in ("worker-1", "worker-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(map(str, results.values())) == ["None", "True"]  # one held the lease and planned
    assert len(plans(sessions)) == 1 and reasons(sessions) == []


def test_run_forever_answers_a_request_between_its_ticks(world):
    """The loop itself: one tick at start (the periodic plan), then a request is answered long before
    the next tick (an hour away) would have replanned."""
    sessions, _ids = world
    stop = threading.Event()
    clock_at = [NOW]
    thread = threading.Thread(target=run_forever, args=(sessions, lambda: clock_at[0], NETWORK, "me"),
                              kwargs={"interval_s": 3600, "stop": stop, "check_s": 0.01, "event_plan_budget_s": 0.3},
                              daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: len(plans(sessions)) == 1)  # the first tick's periodic plan
        clock_at[0] = NOW + timedelta(seconds=DEBOUNCE_S)
        ask(sessions, at=clock_at[0])
        assert wait_for(lambda: len(plans(sessions)) == 2)
        assert plans(sessions)[-1][1] == EVENT_SOURCE and reasons(sessions) == []
    finally:
        stop.set()
        thread.join(30)


def wait_for(condition, limit_s: float = 60.0) -> bool:
    """Poll ``condition`` until it holds; the limit only bounds a hung test, it measures nothing."""
    deadline = threading.Event()
    timer = threading.Timer(limit_s, deadline.set)
    timer.start()
    try:
        while not deadline.is_set():
            if condition():
                return True
            deadline.wait(0.02)
        return condition()
    finally:
        timer.cancel()


def test_plan_version_is_the_newest_plan(world):
    sessions, _ids = world
    with sessions() as db:
        assert plan_version(db) is None
    ask(sessions)
    replan_on_request(sessions, NOW, NETWORK, "me")
    newest = plans(sessions)[-1][0]
    with sessions() as db:
        assert plan_version(db) == newest
