"""The plan in force: stored by the scheduler, trimmed to the present, and what a click inserts into."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ops.clock import epoch
from ops.db import transaction
from ops.dispatching import build_state
from ops.models import PlanInForce, Ticket
from ops.plan_in_force import KEEP, MAX_AGE, load_plan, store_plan
from ops.scheduler import replan
from ops.services import work_orders as wo
from ops.services.dispatching import recommend
from ops.vocabulary import TicketStatus
from optimizer.dispatch_types import Plan, PlannedJob
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def job(ticket_id: int, ticket_class: int = 2, *, eta_min: float = 5, end_min: float = 65) -> PlannedJob:
    now = epoch(NOW)
    return PlannedJob(ticket_id=ticket_id, ticket_class=ticket_class, depart_s=now, eta_s=now + int(eta_min * 60),
                      start_s=now + int(eta_min * 60), end_s=now + int(end_min * 60), drive_s=int(eta_min * 60),
                      slack={"onsite_target": 3600})


@pytest.fixture
def world(session_factory):
    """Crew A on node 0, crew B in the far corner (35); class-2 tickets on nodes 1 and 2."""
    with transaction(session_factory) as db:
        w = World(db, NOW)
        a, b = w.crew(0), w.crew(35)
        t1, t2 = w.ticket(1, 2), w.ticket(2, 2)
        ids = {"a": a.id, "b": b.id, "t1": t1.id, "t2": t2.id}
    return session_factory, ids


def option_of(rec, crew_id: int):
    return rec.option_for(crew_id)


def test_a_click_inserts_into_the_stored_plan_not_a_plan_of_its_own(world):
    sessions, ids = world
    with transaction(sessions) as db:  # no plan in force: the greedy plan gives t1 to the near crew A
        greedy = recommend(db, SUPERVISOR, ids["t2"], now=NOW, network=NETWORK)
        assert greedy.plan_in_force is None
        greedy_a = option_of(greedy, ids["a"])
    with transaction(sessions) as db:  # the scheduler's plan sent t1 to B instead: A is free for t2
        store_plan(db, Plan(routes={ids["a"]: [], ids["b"]: [job(ids["t1"])]}), NOW - timedelta(seconds=30),
                   "scheduler")
    with transaction(sessions) as db:
        rec = recommend(db, SUPERVISOR, ids["t2"], now=NOW, network=NETWORK)
        assert rec.plan_in_force.startswith("plan in force of")
        planned_a = option_of(rec, ids["a"])
    assert planned_a.eta_s < greedy_a.eta_s or len(planned_a.displaces) < len(greedy_a.displaces)
    assert planned_a.displaces == ()


def test_load_plan_drops_jobs_of_tickets_dispatched_elsewhere_or_closed_and_crews_gone(world):
    sessions, ids = world
    with transaction(sessions) as db:
        store_plan(db, Plan(routes={ids["a"]: [job(ids["t1"]), job(ids["t2"])], 999: [job(ids["t2"])]}),
                   NOW - timedelta(seconds=10), "scheduler")
        wo.confirm_dispatch(db, SUPERVISOR, ids["t1"], ids["b"], None, NOW, override_reason="closer by radio")
    with sessions() as db:
        plan = load_plan(db, build_state(db, NOW, NETWORK), NOW)
    assert [j.ticket_id for j in plan.routes[ids["a"]]] == [ids["t2"]]  # t1 now belongs to crew B
    assert 999 not in plan.routes
    with transaction(sessions) as db:
        db.get(Ticket, ids["t2"]).status = TicketStatus.CLOSED
    with sessions() as db:
        assert load_plan(db, build_state(db, NOW, NETWORK), NOW).routes[ids["a"]] == []


def test_a_plan_too_old_or_from_the_future_is_not_used(world):
    sessions, ids = world
    with transaction(sessions) as db:
        store_plan(db, Plan(routes={ids["a"]: [job(ids["t1"])]}), NOW - MAX_AGE - timedelta(seconds=1), "scheduler")
        store_plan(db, Plan(routes={ids["a"]: [job(ids["t1"])]}), NOW + timedelta(minutes=1), "scheduler")
    with sessions() as db:
        assert load_plan(db, build_state(db, NOW, NETWORK), NOW) is None


def test_the_scheduler_replans_once_a_minute_and_keeps_only_the_last_few(world):
    sessions, ids = world
    assert replan(sessions, NOW, NETWORK, budget_s=0.5)
    assert not replan(sessions, NOW + timedelta(seconds=30), NETWORK, budget_s=0.5)
    with sessions() as db:
        plan = load_plan(db, build_state(db, NOW, NETWORK), NOW + timedelta(seconds=30))
    assert {j.ticket_id for jobs in plan.routes.values() for j in jobs} == {ids["t1"], ids["t2"]}
    for m in range(1, KEEP + 3):
        assert replan(sessions, NOW + timedelta(minutes=m), NETWORK, budget_s=0.5)
    with sessions() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(PlanInForce)) == KEEP


def test_a_crew_dispatched_since_the_plan_is_not_shown_as_free(world):
    """Seen on the live demo: a crew sent to a class 2 a moment after the plan was stored was ranked
    first for the next ticket, "leaves now, delays no other work" (the service would refuse it)."""
    sessions, ids = world
    with transaction(sessions) as db:
        store_plan(db, Plan(routes={ids["a"]: [], ids["b"]: []}), NOW - timedelta(seconds=20), "scheduler")
        wo.confirm_dispatch(db, SUPERVISOR, ids["t1"], ids["a"], None, NOW, override_reason="by phone")
    with sessions() as db:
        plan = load_plan(db, build_state(db, NOW, NETWORK), NOW)
    [held] = plan.routes[ids["a"]]
    assert held.ticket_id == ids["t1"] and held.eta_s > epoch(NOW) and held.end_s > held.eta_s
    with transaction(sessions) as db:
        a = option_of(recommend(db, SUPERVISOR, ids["t2"], now=NOW, network=NETWORK), ids["a"])
    assert a.eta_s >= held.end_s or [d.ticket_id for d in a.displaces] == [ids["t1"]], a
    # It cannot be confirmed for t2 while on t1 (the service refuses a busy crew): the option says so.
    with transaction(sessions) as db:
        rec = recommend(db, SUPERVISOR, ids["t2"], now=NOW, network=NETWORK)
    assert option_of(rec, ids["a"]).busy and not option_of(rec, ids["b"]).busy


def test_the_stored_plan_starts_each_crew_with_the_order_it_is_on(world):
    """The solver may put an interruptible crew's job back in the pool; stored, the crew keeps it first."""
    sessions, ids = world
    with transaction(sessions) as db:
        wo.confirm_dispatch(db, SUPERVISOR, ids["t1"], ids["a"], None, NOW, override_reason="by phone")
    with transaction(sessions) as db:
        solved = Plan(routes={ids["a"]: [job(ids["t2"])], ids["b"]: [job(ids["t1"])]})
        row = store_plan(db, solved, NOW, "scheduler", build_state(db, NOW, NETWORK))
        assert [j["ticket_id"] for j in row.routes[str(ids["a"])]] == [ids["t1"], ids["t2"]]
    assert [j.ticket_id for j in solved.routes[ids["a"]]] == [ids["t2"]]  # the caller's plan is untouched
