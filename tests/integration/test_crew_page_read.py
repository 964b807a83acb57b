"""The crew page's read model on a real database (SQLite and PostgreSQL): crew, current order, queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops.db import transaction
from ops.models import Alert, AlertKind, User
from ops.reads.crew_page import crew_page
from ops.services import work_orders as wo
from tests.integration.dispatch_world import SUPERVISOR, World

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


@pytest.fixture
def world(session_factory):
    with transaction(session_factory) as db:
        yield World(db, NOW)


def test_user_without_a_crew_gets_none(world):
    user = User(username="loner", display_name="Lone member", created_at=NOW)
    world.db.add(user)
    world.db.flush()
    assert crew_page(world.db, user.id) is None
    assert crew_page(world.db, None) is None


def test_crew_without_an_order_has_no_current_order(world):
    crew = world.crew(0)
    page = crew_page(world.db, crew.members[0].user_id)
    assert page is not None
    assert (page.crew_code, page.crew_status, page.order, page.queued) == (crew.code, "available", None, ())
    assert page.member_names == ("Member 1",)


def test_r7_2_current_order_carries_intake_facts_and_deadlines(world):
    crew = world.crew(0)
    ticket = world.ticket(14, 1, description="smell near the meter", special_requests="ring twice")
    order = wo.confirm_dispatch(world.db, SUPERVISOR, ticket.id, crew.id, None, NOW, override_reason="test")
    page = crew_page(world.db, crew.members[0].user_id)
    o = page.order
    assert o is not None and o.order_id == order.id and o.status == "dispatched"
    assert (o.ticket_no, o.ticket_class, o.symptom) == (ticket.ticket_no, 1, "gas_leak")
    assert (o.customer_name, o.phone, o.address) == ("Ana Rojas", "0512-555-0199", "Calle 1")
    assert (o.odour, o.people_on_site, o.ventilated, o.valve_closed) == ("yes", "yes", "yes", "yes")
    assert o.description == "smell near the meter" and o.special_requests == "ring twice"
    labels = {d.label: d for d in o.deadlines}
    assert list(labels) == ["ack_by", "depart_by", "onsite_target"]
    assert labels["ack_by"].at == NOW + timedelta(minutes=10) and labels["ack_by"].met_at is None
    assert labels["depart_by"].seconds_left(NOW) == 30 * 60
    assert o.needs_reading  # R8.3: class 1 without a reading


def test_each_step_is_visible_with_its_time(world):
    crew = world.crew(0)
    member = world.member(crew)
    ticket = world.ticket(14, 1)
    order = wo.confirm_dispatch(world.db, SUPERVISOR, ticket.id, crew.id, None, NOW, override_reason="test")
    t1, t2, t3 = (NOW + timedelta(minutes=m) for m in (2, 5, 15))
    wo.acknowledge(world.db, member, order.id, t1)
    wo.depart(world.db, member, order.id, t2)
    wo.arrive(world.db, member, order.id, t3)
    wo.record_reading(world.db, member, order.id, 12.5, t3, t3)
    o = crew_page(world.db, member.user_id).order
    assert (o.status, o.acknowledged_at, o.departed_at, o.arrived_at) == ("on_site", t1, t2, t3)
    assert [d.met_at for d in o.deadlines] == [t1, t2, t3]
    assert [(r.ppm, r.measured_at) for r in o.readings] == [(12.5, t3)]
    assert not o.needs_reading
    assert o.version == order.version_id


def test_completed_order_leaves_the_page(world):
    crew = world.crew(0)
    member = world.member(crew)
    ticket = world.ticket(14, 2)
    order = wo.confirm_dispatch(world.db, SUPERVISOR, ticket.id, crew.id, None, NOW, override_reason="test")
    for step in (wo.acknowledge, wo.depart, wo.arrive):
        step(world.db, member, order.id, NOW)
    wo.complete(world.db, member, order.id, wo.RepairIn(
        cause="c", measures="m", customer_name="Ana", customer_confirmed=True, safety_advice_given=True,
        gas_restored_after_check=True), NOW)
    page = crew_page(world.db, member.user_id)
    assert page.order is None and page.crew_status == "available"


def test_class_2_and_3_deadlines(world):
    crew2, crew3 = world.crew(0), world.crew(5)
    t2, t3 = world.ticket(14, 2), world.ticket(20, 3)
    wo.confirm_dispatch(world.db, SUPERVISOR, t2.id, crew2.id, None, NOW, override_reason="test")
    wo.confirm_dispatch(world.db, SUPERVISOR, t3.id, crew3.id, None, NOW, override_reason="test")
    o2 = crew_page(world.db, crew2.members[0].user_id).order
    o3 = crew_page(world.db, crew3.members[0].user_id).order
    assert [d.label for d in o2.deadlines] == ["ack_by", "onsite_target", "onsite_limit"]
    assert [d.label for d in o3.deadlines] == ["ack_by", "slot_start", "slot_end"]
    assert not o2.needs_reading and not o3.needs_reading


def test_r7_3_open_pre_alerts_are_the_queue(world):
    crew = world.crew(0)
    other = world.crew(5)
    waiting = world.ticket(14, 1)
    taken = world.ticket(20, 1)
    wo.confirm_dispatch(world.db, SUPERVISOR, taken.id, other.id, None, NOW, override_reason="test")
    world.db.add_all([
        Alert(kind=AlertKind.PRE_ALERT, ticket_id=waiting.id, crew_id=crew.id, created_at=NOW, message="pre_alert"),
        Alert(kind=AlertKind.PRE_ALERT, ticket_id=taken.id, crew_id=crew.id, created_at=NOW, message="pre_alert"),
        Alert(kind=AlertKind.PRE_ALERT, ticket_id=waiting.id, crew_id=other.id, created_at=NOW,
              message="pre_alert"),
    ])
    world.db.flush()
    page = crew_page(world.db, crew.members[0].user_id)
    assert [q.ticket_no for q in page.queued] == [waiting.ticket_no]
    assert page.queued[0].alerted_at == NOW


def test_the_crew_page_carries_the_standby_until_an_order_clears_it(world):
    from ops.services.standby import send_standby
    from tests.integration.dispatch_world import node_lonlat
    from tests.integration.test_standby import LOCATOR

    crew = world.crew(13)
    member = world.member(crew)
    assert crew_page(world.db, member.user_id).standby is None
    send_standby(world.db, SUPERVISOR, crew.id, *node_lonlat(20), note="near the hospital", now=NOW, locator=LOCATOR)
    standby = crew_page(world.db, member.user_id).standby
    assert (standby.lon, standby.lat) == node_lonlat(20) and standby.note == "near the hospital"
    assert standby.since == NOW and standby.by == "supervisor Li"
    t = world.ticket(14, 2)
    wo.confirm_dispatch(world.db, SUPERVISOR, t.id, crew.id, None, NOW + timedelta(minutes=1), override_reason="x")
    assert crew_page(world.db, member.user_id).standby is None
