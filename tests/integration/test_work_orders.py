"""The work-order loop on a real database: dispatch, every lifecycle step, the repair record, preemption."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ops.db import transaction
from ops.dispatching import build_state
from ops.errors import ConflictError, ForbiddenError, NotFoundError, ServiceError
from ops.models import AuditEvent, Crew, FollowUp, Recommendation, RepairRecord, Ticket
from ops.permissions import PermissionDenied
from ops.recommendations import StoredRecommendation
from ops.services import work_orders as wo
from ops.services.dispatching import recommend
from ops.vocabulary import CrewStatus, RepairResult, Role, TicketStatus, WorkOrderStatus
from optimizer.dispatch_types import Reason
from optimizer.explain import english
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
FULL_REPAIR = wo.RepairIn(cause="loose union on the meter inlet", measures="tightened and resealed",
                          parts=[{"code": "SEAL-KIT", "qty": 1}], result="fixed", customer_name="Ana Rojas",
                          customer_confirmed=True, safety_advice_given=True, gas_restored_after_check=True)


def actions(db, entity: str, entity_id: int) -> list[str]:
    return list(db.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity == entity,
                                                              AuditEvent.entity_id == str(entity_id))
                           .order_by(AuditEvent.id)))


@pytest.fixture
def world(session_factory):
    with transaction(session_factory) as db:
        yield World(db, NOW)


def dispatched(world, crew, ticket_class: int):
    """A ticket on node 14 and the order that follows the stored recommendation for ``crew``."""
    t = world.ticket(14, ticket_class)
    rec = recommend(world.db, SUPERVISOR, t.id, now=NOW, network=NETWORK)
    return t, wo.confirm_dispatch(world.db, SUPERVISOR, t.id, crew.id, rec.recommendation_id, NOW)


def on_site(world, ticket_class: int):
    """A crew on node 13 dispatched to a ticket on node 14, acknowledged, departed and arrived at minute 5."""
    crew = world.crew(13)
    t, order = dispatched(world, crew, ticket_class)
    member = world.member(crew)
    for step in (wo.acknowledge, wo.depart, wo.arrive):
        step(world.db, member, order.id, NOW + timedelta(minutes=5))
    return crew, t, member, order


def test_state_maps_crews_skills_and_deadlines(world):
    crew = world.crew(0)
    world.crew(35, status=CrewStatus.OFF_SHIFT)
    t = world.ticket(14, 1)
    state = build_state(world.db, NOW, NETWORK)
    assert [c.id for c in state.crews] == [crew.id]
    assert state.crews[0].skills == {"emergency", "meter"}
    ts = state.ticket(t.id)
    assert ts.required_skill == "emergency" and ts.node == 14
    assert ts.depart_by_s == int((NOW + timedelta(minutes=30)).timestamp())


def test_r13_1_recommendation_is_stored_with_its_options(world):
    near, far = world.crew(13), world.crew(35)
    t = world.ticket(14, 1)
    rec = recommend(world.db, SUPERVISOR, t.id, now=NOW, network=NETWORK, k=3)
    assert rec.recommendation_id is not None and rec.used_fallback is False
    assert [o.crew_id for o in rec.options] == [near.id, far.id]
    top = rec.top
    assert top.eta_s - top.departure_s == 10  # one 100-m block at 36 km/h
    assert set(top.slack_s) == {"depart_by", "onsite_target"} and top.explanation
    row = world.db.get(Recommendation, rec.recommendation_id)
    assert StoredRecommendation.from_row(row) == rec  # what is stored reads back as it was shown
    # The structured reason the panel translates is stored next to the English sentence made from it.
    assert top.reason.kind == "best_leaves_now" and rec.options[1].reason.kind == "later_than_best"
    assert all(o.explanation == english(o.reason) for o in rec.options)


def test_the_nearest_crew_fallback_stores_its_reason_too(world, monkeypatch):
    import ops.dispatching

    def broken(*args, **kwargs):
        raise RuntimeError("insertion failed")

    monkeypatch.setattr(ops.dispatching, "recommend", broken)
    near = world.crew(13)
    rec = recommend(world.db, SUPERVISOR, world.ticket(14, 1).id, now=NOW, network=NETWORK, k=3)
    assert rec.used_fallback and "insertion failed" in rec.note
    [top] = rec.options
    assert top.crew_id == near.id and top.reason == Reason("nearest_fallback", {"crew": near.code, "drive_s": 10})
    assert top.explanation == f"{near.code} is the nearest free crew: on site in 0 min (fallback ranking)."
    row = world.db.get(Recommendation, rec.recommendation_id)
    assert StoredRecommendation.from_row(row).top.reason == top.reason


def test_full_lifecycle_records_every_timestamp_and_audit_event(world):
    db = world.db
    crew = world.crew(13)
    t = world.ticket(14, 1)
    rec = recommend(db, SUPERVISOR, t.id, now=NOW, network=NETWORK)
    member = world.member(crew)
    order = wo.confirm_dispatch(db, SUPERVISOR, t.id, crew.id, rec.recommendation_id, NOW + timedelta(minutes=1))
    assert order.recommended_crew_id == crew.id and order.recommendation["decision"] == "followed"
    assert order.recommendation["recommendation_id"] == rec.recommendation_id
    assert order.eta_seconds_at_dispatch == 10
    assert (t.status, crew.status) == (TicketStatus.DISPATCHED, CrewStatus.DISPATCHED)
    wo.acknowledge(db, member, order.id, NOW + timedelta(minutes=15))  # late: recorded, not refused
    wo.depart(db, member, order.id, NOW + timedelta(minutes=16))
    assert (t.status, crew.status) == (TicketStatus.EN_ROUTE, CrewStatus.EN_ROUTE)
    wo.arrive(db, member, order.id, NOW + timedelta(minutes=25))
    wo.record_reading(db, member, order.id, 120.0, NOW + timedelta(minutes=26), NOW + timedelta(minutes=27))
    wo.complete(db, member, order.id, FULL_REPAIR, NOW + timedelta(minutes=70))
    assert order.status is WorkOrderStatus.COMPLETED
    for name, minutes in [("dispatched_at", 1), ("acknowledged_at", 15), ("departed_at", 16),
                          ("arrived_at", 25), ("completed_at", 70)]:
        assert getattr(order, name) == NOW + timedelta(minutes=minutes), name
    record = db.scalar(sa.select(RepairRecord).where(RepairRecord.work_order_id == order.id))
    assert record.gas_reading_ppm == 120.0 and record.result is RepairResult.FIXED
    assert record.parts_replaced[0]["standard"] and "Ana Rojas" in record.customer_confirmation
    assert (t.status, crew.status) == (TicketStatus.COMPLETED, CrewStatus.AVAILABLE)
    callback = db.scalar(sa.select(FollowUp).where(FollowUp.work_order_id == order.id))
    assert callback.due_at == NOW + timedelta(minutes=70, hours=48)  # R10.2 class 1
    assert actions(db, "work_order", order.id) == [
        "dispatch.confirm", "order.acknowledge", "order.depart", "order.arrive", "order.reading",
        "order.complete"]
    ack = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "order.acknowledge"))
    assert ack.after["late"] is True  # a value the audit page shows in any language, not an English note
    assert actions(db, "crew", crew.id)[-4:] == ["crew.set_status"] * 4


def test_override_needs_a_reason_naming_the_field(world):
    db = world.db
    near, far = world.crew(13), world.crew(35)
    t = world.ticket(14, 1)
    rec = recommend(db, SUPERVISOR, t.id, now=NOW, network=NETWORK)
    with pytest.raises(ServiceError) as exc:
        wo.confirm_dispatch(db, SUPERVISOR, t.id, far.id, rec.recommendation_id, NOW)
    assert exc.value.field == "override_reason"
    order = wo.confirm_dispatch(db, SUPERVISOR, t.id, far.id, rec.recommendation_id, NOW,
                                override_reason="near crew has no van")
    assert order.recommended_crew_id == near.id and order.override_reason == "near crew has no van"
    assert order.recommendation["decision"] == "override"


def test_r8_3_class1_complete_is_refused_without_a_reading(world):
    db = world.db
    _crew, _t, member, order = on_site(world, 1)
    with pytest.raises(ServiceError) as exc:
        wo.complete(db, member, order.id, FULL_REPAIR, NOW + timedelta(minutes=30))
    assert "gas_reading" in exc.value.fields
    assert order.status is WorkOrderStatus.ON_SITE


def test_r9_incomplete_record_names_every_missing_field(world):
    db = world.db
    _crew, _t, member, order = on_site(world, 2)
    with pytest.raises(ServiceError) as exc:
        wo.complete(db, member, order.id, wo.RepairIn(parts=[{"code": "HOSE-OLD"}]), NOW + timedelta(minutes=30))
    assert set(exc.value.fields) == {"cause", "measures", "parts[0]", "customer_name", "customer_confirmed",
                                       "safety_advice_given", "gas_restored_after_check"}
    wo.complete(db, member, order.id, FULL_REPAIR, NOW + timedelta(minutes=30))  # class 2: no reading needed
    callback = db.scalar(sa.select(FollowUp).where(FollowUp.work_order_id == order.id))
    assert callback.due_at == NOW + timedelta(minutes=30, hours=24)


def test_r8_6_fixed_is_refused_unless_gas_was_restored_after_the_check(world):
    from dataclasses import replace

    db = world.db
    _crew, t, member, order = on_site(world, 2)
    with pytest.raises(ServiceError) as exc:
        wo.complete(db, member, order.id, replace(FULL_REPAIR, gas_restored_after_check=False),
                    NOW + timedelta(minutes=30))
    assert list(exc.value.fields) == ["gas_restored_after_check"]
    assert order.status is WorkOrderStatus.ON_SITE and t.status is TicketStatus.ON_SITE
    wo.complete(db, member, order.id, replace(FULL_REPAIR, result="needs_follow_up", gas_restored_after_check=False),
                NOW + timedelta(minutes=30))  # not fixed: the gas may well stay off
    assert order.status is WorkOrderStatus.COMPLETED and t.status is TicketStatus.NEW


def test_illegal_transitions_and_stale_versions_are_conflicts(world):
    db = world.db
    crew = world.crew(13)
    t, order = dispatched(world, crew, 2)
    member = world.member(crew)
    with pytest.raises(ConflictError) as exc:
        wo.arrive(db, member, order.id, NOW)
    assert exc.value.field == "status"
    with pytest.raises(ConflictError) as exc:
        wo.acknowledge(db, member, order.id, NOW, version=order.version_id + 1)
    assert exc.value.field == "version"
    with pytest.raises(ConflictError):  # the ticket already has a crew
        wo.confirm_dispatch(db, SUPERVISOR, t.id, crew.id, None, NOW, override_reason="again")


def test_a_crew_member_acts_only_on_its_own_crews_orders(world):
    db = world.db
    mine, other = world.crew(13), world.crew(35)
    t, order = dispatched(world, mine, 2)
    with pytest.raises(ForbiddenError):
        wo.acknowledge(db, world.member(other), order.id, NOW)
    with pytest.raises(PermissionDenied):  # R7.5: a dispatcher without the right cannot confirm
        from ops.permissions import Actor

        dispatcher = Actor(user_id=None, label="d", roles=frozenset({Role.DISPATCHER}))
        wo.confirm_dispatch(db, dispatcher, t.id, other.id, None, NOW, override_reason="x")


def test_cancel_and_reassign_need_a_reason_and_requeue(world):
    db = world.db
    a, b = world.crew(13), world.crew(20)
    t, order = dispatched(world, a, 2)
    with pytest.raises(ServiceError) as exc:
        wo.reassign(db, SUPERVISOR, order.id, b.id, "  ", NOW)
    assert exc.value.field == "reason"
    with pytest.raises(PermissionDenied):
        wo.cancel(db, world.member(a), order.id, "not me", NOW)
    new = wo.reassign(db, SUPERVISOR, order.id, b.id, "crew A's van broke down", NOW + timedelta(minutes=2))
    assert order.status is WorkOrderStatus.CANCELLED and "van" in order.cancel_reason
    assert new.crew_id == b.id and new.status is WorkOrderStatus.DISPATCHED
    assert (a.status, b.status) == (CrewStatus.AVAILABLE, CrewStatus.DISPATCHED)
    wo.cancel(db, SUPERVISOR, new.id, "customer withdrew", NOW + timedelta(minutes=3))
    assert t.status is TicketStatus.NEW
    assert "order.reassign" in actions(db, "work_order", new.id)


def test_not_fixed_requeues_the_ticket_and_still_gets_its_callback(world):
    """R10.1: every completed work order gets a callback, whatever its result."""
    db = world.db
    crew, t, member, order = on_site(world, 2)
    with pytest.raises(ServiceError):
        wo.not_fixed(db, member, order.id, "", NOW + timedelta(minutes=20))
    wo.not_fixed(db, member, order.id, "regulator out of stock", NOW + timedelta(minutes=20))
    assert t.status is TicketStatus.NEW and crew.status is CrewStatus.AVAILABLE
    callbacks = db.scalars(sa.select(FollowUp)).all()
    assert [(c.work_order_id, c.due_at) for c in callbacks] == [(order.id, NOW + timedelta(minutes=20, hours=24))]
    event = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "order.not_fixed"))
    assert event.after["callback_ids"] == [callbacks[0].id]


@pytest.mark.parametrize("result", [RepairResult.NOT_FIXED, RepairResult.NEEDS_FOLLOW_UP])
def test_r10_1_an_order_completed_unfixed_gets_one_callback_per_reporter(world, result):
    from dataclasses import replace

    from ops.models import TicketReporter
    from ops.vocabulary import Channel

    db = world.db
    _crew, t, member, order = on_site(world, 1)
    db.add(TicketReporter(ticket_id=t.id, name="Luis Pardo", phone="0512-555-0100", channel=Channel.HOTLINE,
                          received_at=NOW + timedelta(minutes=2)))  # R5.6: a linked caller
    db.flush()
    wo.record_reading(db, member, order.id, 80.0, NOW + timedelta(minutes=6), NOW + timedelta(minutes=6))
    wo.complete(db, member, order.id, replace(FULL_REPAIR, result=result, gas_restored_after_check=False),
                NOW + timedelta(minutes=50))
    assert t.status is TicketStatus.NEW and order.status is WorkOrderStatus.COMPLETED  # back in the queue
    callbacks = db.scalars(sa.select(FollowUp).where(FollowUp.work_order_id == order.id)).all()
    assert sorted(c.reporter_id for c in callbacks) == sorted(r.id for r in t.reporters)
    assert len(callbacks) == 2
    assert {c.due_at for c in callbacks} == {NOW + timedelta(minutes=50, hours=48)}  # R10.2 class 1


def test_r7_6_preemption_diverts_a_crew_en_route_to_class3_and_puts_that_job_at_the_head_of_its_queue(world):
    db = world.db
    crew = world.crew(13)
    world.crew(35, skills=("installation",))  # can do the class-3 job, cannot do a class 1
    job = world.ticket(0, 3)
    member = world.member(crew)
    order3 = wo.confirm_dispatch(db, SUPERVISOR, job.id, crew.id, None, NOW, override_reason="only crew near")
    wo.acknowledge(db, member, order3.id, NOW + timedelta(minutes=1))
    wo.depart(db, member, order3.id, NOW + timedelta(minutes=2))
    leak = world.ticket(14, 1, received_at=NOW + timedelta(minutes=3))
    rec = recommend(db, SUPERVISOR, leak.id, now=NOW + timedelta(minutes=3), network=NETWORK)
    assert rec.top.crew_id == crew.id
    order1 = wo.confirm_dispatch(db, SUPERVISOR, leak.id, crew.id, rec.recommendation_id,
                                 NOW + timedelta(minutes=3))
    # The diverted order is not cancelled: it waits first in the crew's queue, its visit forgotten.
    assert order3.status is WorkOrderStatus.QUEUED and order3.queue_rank is not None
    assert (order3.acknowledged_at, order3.departed_at, order3.current_since) == (None, None, None)
    assert order3.dispatched_at == NOW  # R7.6: it still counts as dispatched at its confirmation
    assert job.status is TicketStatus.DISPATCHED and order1.status is WorkOrderStatus.DISPATCHED
    assert order1.current_since == NOW + timedelta(minutes=3)
    preempt = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "order.preempt"))
    assert preempt.before["departed_at"] is not None  # the audit keeps the interrupted visit
    assert preempt.after["preempted_by"] == leak.ticket_no
    # When the class 1 ends, the diverted job is the crew's current order again.
    for step in (wo.acknowledge, wo.depart, wo.arrive):
        step(db, member, order1.id, NOW + timedelta(minutes=5))
    wo.record_reading(db, member, order1.id, 50.0, NOW + timedelta(minutes=6), NOW + timedelta(minutes=6))
    wo.complete(db, member, order1.id, FULL_REPAIR, NOW + timedelta(minutes=40))
    assert order3.status is WorkOrderStatus.DISPATCHED and order3.current_since == NOW + timedelta(minutes=40)
    assert order3.queue_rank is None and crew.status is CrewStatus.DISPATCHED
    assert "order.promote" in actions(db, "work_order", order3.id)


def test_r7_6_a_class1_for_a_crew_on_another_class1_is_queued_first_not_diverted(world):
    db = world.db
    crew = world.crew(13)
    first = world.ticket(0, 1)
    one = wo.confirm_dispatch(db, SUPERVISOR, first.id, crew.id, None, NOW, override_reason="x")
    later = world.ticket(20, 2)
    two = wo.confirm_dispatch(db, SUPERVISOR, later.id, crew.id, None, NOW, override_reason="x")
    second = world.ticket(14, 1)
    three = wo.confirm_dispatch(db, SUPERVISOR, second.id, crew.id, None, NOW, override_reason="x")
    assert one.status is WorkOrderStatus.DISPATCHED  # a class 1 is never diverted for another
    assert (two.status, three.status) == (WorkOrderStatus.QUEUED, WorkOrderStatus.QUEUED)
    assert three.queue_rank < two.queue_rank  # the class 1 comes first in the queue
    assert db.get(Ticket, second.id).status is TicketStatus.DISPATCHED
    assert db.get(Crew, crew.id).status is CrewStatus.DISPATCHED


def test_dispatch_board_reads_the_order_of_a_crew_and_a_ticket(world):
    from ops.reads.order_state import (
        active_order_for_crew,
        crew_of_user,
        latest_recommendation,
        orders_for_ticket,
    )

    db = world.db
    crew = world.crew(13)
    t = world.ticket(14, 1)
    rec = recommend(db, SUPERVISOR, t.id, now=NOW, network=NETWORK)
    order = wo.confirm_dispatch(db, SUPERVISOR, t.id, crew.id, rec.recommendation_id, NOW)
    row = active_order_for_crew(db, crew.id)
    assert (row.id, row.next_step, row.has_reading, row.crew_code) == (order.id, "ack", False, crew.code)
    assert [r.id for r in orders_for_ticket(db, t.id)] == [order.id]
    assert latest_recommendation(db, t.id).id == rec.recommendation_id
    assert crew_of_user(db, crew.members[0].user_id) == crew.id


def test_an_id_no_row_can_have_is_no_such_row_not_a_database_error(world):
    """Beyond the 32-bit id columns the database itself would fail (SQLite overflows); the service says 404."""
    crew = world.crew(13)
    with pytest.raises(NotFoundError) as exc:
        wo.confirm_dispatch(world.db, SUPERVISOR, 2**70, crew.id, None, NOW)
    assert exc.value.field == "ticket_id"
    with pytest.raises(NotFoundError):
        wo.arrive(world.db, SUPERVISOR, 2**40, NOW)
