"""The dispatch page's read queries and "Plan all" on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops.db import transaction
from ops.dispatching import SERVICE_MINUTES, build_state
from ops.models import Recommendation
from ops.plan_in_force import load_plan
from ops.reads.order_state import crew_board, crews_on_shift, ticket_brief
from ops.recommendations import StoredRecommendation
from ops.services import work_orders as wo
from ops.services.dispatching import replan
from ops.vocabulary import CrewStatus, Symptom
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


@pytest.fixture
def world(session_factory):
    with transaction(session_factory) as db:
        yield World(db, NOW)


def test_ticket_brief_finds_the_ticket_by_number_with_its_active_order(world):
    crew = world.crew(0)
    ticket = world.ticket(14, 1)
    assert ticket_brief(world.db, "no-such-ticket") is None
    brief = ticket_brief(world.db, ticket.ticket_no)
    assert (brief.id, brief.ticket_class, brief.status, brief.order) == (ticket.id, 1, "new", None)
    wo.confirm_dispatch(world.db, SUPERVISOR, ticket.id, crew.id, None, NOW, override_reason="test")
    brief = ticket_brief(world.db, ticket.ticket_no)
    assert brief.status == "dispatched"
    assert (brief.order.crew_code, brief.order.status) == (crew.code, "dispatched")


def test_crews_on_shift_leave_out_off_shift_crews(world):
    on = world.crew(0)
    world.crew(5, status=CrewStatus.OFF_SHIFT)
    assert [c.code for c in crews_on_shift(world.db)] == [on.code]


def test_crew_list_says_when_each_crew_is_free(world):
    free = world.crew(0)
    busy = world.crew(5)
    off = world.crew(10, status=CrewStatus.OFF_SHIFT)
    ticket = world.ticket(14, 1)
    order = wo.confirm_dispatch(world.db, SUPERVISOR, ticket.id, busy.id, None, NOW, override_reason="test")
    member = world.member(busy)
    arrived = NOW + timedelta(minutes=12)
    for step, at in ((wo.acknowledge, NOW), (wo.depart, NOW), (wo.arrive, arrived)):
        step(world.db, member, order.id, at)
    rows = {r.code: r for r in crew_board(world.db, arrived)}
    assert (rows[free.code].status, rows[free.code].free_now, rows[free.code].free_at) == ("available", True, None)
    service = timedelta(minutes=SERVICE_MINUTES[Symptom.GAS_LEAK])
    assert (rows[busy.code].status, rows[busy.code].ticket_no) == ("on_site", ticket.ticket_no)
    assert rows[busy.code].free_at == arrived + service
    assert (rows[off.code].status, rows[off.code].free_now, rows[off.code].free_at) == ("off_shift", False, None)
    # A job 20 min over its expected time is not "free now" (R7.6): the planner's expected finish,
    # half the overrun again, 10 min here (no history of such jobs in this world).
    late = arrived + service + timedelta(minutes=20)
    assert {r.code: r for r in crew_board(world.db, late)}[busy.code].free_at == late + timedelta(minutes=10)


def test_plan_all_proposes_a_crew_per_dispatchable_ticket_and_stores_each_r13_1(world):
    crews = [world.crew(0), world.crew(35)]
    near0, near35 = world.ticket(1, 1), world.ticket(34, 2)
    result = replan(world.db, SUPERVISOR, 1.0, now=NOW, network=NETWORK)
    by_ticket = {p.ticket_no: p for p in result.proposals}
    assert set(by_ticket) == {near0.ticket_no, near35.ticket_no}
    assert by_ticket[near0.ticket_no].crew_id == crews[0].id
    assert by_ticket[near35.ticket_no].crew_id == crews[1].id
    assert result.proposals[0].ticket_class == 1  # class 1 on top
    assert "depart_by" in by_ticket[near0.ticket_no].slack_s
    rec = StoredRecommendation.from_row(world.db.get(Recommendation, by_ticket[near0.ticket_no].recommendation_id))
    assert rec.source == "plan_all" and rec.top.crew_id == crews[0].id
    # The plan becomes the plan in force that later clicks insert into.
    assert load_plan(world.db, build_state(world.db, NOW, NETWORK), NOW).note.endswith("(plan_all)")
    # Confirming the proposal follows the recommendation: no override reason needed.
    order = wo.confirm_dispatch(world.db, SUPERVISOR, near0.id, crews[0].id, rec.recommendation_id, NOW)
    assert order.recommendation["decision"] == "followed"


def test_plan_all_counts_work_queued_behind_a_crews_first_job(world):
    world.crew(0)
    world.ticket(1, 2)
    world.ticket(2, 2)
    world.ticket(3, 2)
    result = replan(world.db, SUPERVISOR, 1.0, now=NOW, network=NETWORK)
    assert len(result.proposals) == 1  # one crew, one order at a time
    assert result.queued == 2
    assert result.dropped == []
