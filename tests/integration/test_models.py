"""The operational record stores and returns what services put in, the same on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ops.db import transaction
from ops.models import (
    ClassChange,
    Crew,
    CrewPosition,
    FollowUp,
    RepairRecord,
    SafetyInstruction,
    Ticket,
    TicketReporter,
    WorkOrder,
)
from ops.vocabulary import (
    Answer,
    Channel,
    FollowUpStatus,
    RepairResult,
    Skill,
    Symptom,
    TicketClass,
    TicketStatus,
    WorkOrderStatus,
)

if TYPE_CHECKING:
    from conftest import Builders


def test_ticket_round_trip_with_customer_crew_work_order_repair_record_and_follow_up(
    session_factory: sessionmaker[Session], build: Builders, t0: datetime
) -> None:
    with transaction(session_factory) as s:
        agent = build.user(username="agent1")
        customer = build.customer(
            emergency_contact_name="Luis Rojas", emergency_contact_phone="0512-555-0111",
            emergency_contact_note="son, lives nearby", lives_alone=True, vulnerable=True,
        )
        crew = build.crew(skills=[Skill.LEAK_REPAIR.value, Skill.METER.value])
        s.add_all([agent, customer, crew])
        s.flush()
        ticket = build.ticket(customer=customer, created_by_id=agent.id, description="smell in kitchen")
        s.add(ticket)
        ticket.reporters.append(TicketReporter(
            name="Neighbour", phone="0512-555-0122", channel=Channel.WECHAT,
            received_at=t0 + timedelta(minutes=4),
        ))
        ticket.class_changes.append(ClassChange(
            from_class=TicketClass.URGENT, to_class=TicketClass.EMERGENCY,
            reason="caller now smells gas", actor_id=agent.id, at=t0 + timedelta(minutes=1),
        ))
        ticket.safety_instructions.append(SafetyInstruction(
            code="close_valve", given_at=t0 + timedelta(minutes=1), given_by_id=agent.id,
            channel=Channel.HOTLINE,
        ))
        wo = build.work_order(ticket, crew, recommended_crew_id=crew.id,
                              recommendation={"top": [{"crew": crew.code, "eta_s": 540}]},
                              eta_seconds_at_dispatch=540, dispatched_by_id=agent.id,
                              acknowledged_at=t0 + timedelta(minutes=5),
                              departed_at=t0 + timedelta(minutes=8),
                              arrived_at=t0 + timedelta(minutes=17),
                              completed_at=t0 + timedelta(minutes=75),
                              status=WorkOrderStatus.COMPLETED)
        s.add(wo)
        s.flush()
        s.add(RepairRecord(
            work_order_id=wo.id, cause="corroded union", measures="replaced union, leak test",
            parts_replaced=[{"name": "union 1/2in", "standard": "GB/T 3287", "qty": 1}],
            result=RepairResult.FIXED, customer_confirmation="signed: A. Rojas",
            gas_reading_ppm=120.5, gas_reading_at=t0 + timedelta(minutes=18),
            safety_advice_given=True, gas_restored_after_check=True,
            completed_at=t0 + timedelta(minutes=75), filed_by_id=agent.id,
        ))
        s.add(FollowUp(work_order_id=wo.id, ticket_id=ticket.id, due_at=t0 + timedelta(hours=49),
                       created_at=t0 + timedelta(minutes=75), score=5, fully_fixed=Answer.YES))
        s.add(CrewPosition(crew_id=crew.id, at=t0 + timedelta(minutes=10), lon=-71.26, lat=-29.91,
                           speed_kmh=38.0, heading_deg=90.0))
        ticket.status = TicketStatus.COMPLETED
        ticket_id = ticket.id

    with session_factory() as s:
        t = s.get(Ticket, ticket_id)
        assert t is not None
        assert t.channel is Channel.HOTLINE and t.symptom is Symptom.GAS_LEAK
        assert t.ticket_class is TicketClass.EMERGENCY and t.odour is Answer.YES
        assert t.status is TicketStatus.COMPLETED
        assert t.received_at == t0 and t.received_at.tzinfo is not None
        assert t.depart_deadline == t0 + timedelta(minutes=30)
        assert t.customer is not None and t.customer.lives_alone and t.customer.emergency_contact_name == "Luis Rojas"
        assert [r.name for r in t.reporters] == ["Neighbour"]
        assert t.class_changes[0].reason == "caller now smells gas"
        assert t.safety_instructions[0].code == "close_valve"
        assert t.version_id >= 1
        [w] = t.work_orders
        assert w.crew.skills == ["leak_repair", "meter"]
        assert w.recommendation == {"top": [{"crew": w.crew.code, "eta_s": 540}]}
        assert w.arrived_at - t.received_at == timedelta(minutes=17)
        assert w.repair_record is not None
        assert w.repair_record.parts_replaced[0]["standard"] == "GB/T 3287"
        assert w.repair_record.result is RepairResult.FIXED
        fu = s.scalars(sa.select(FollowUp).where(FollowUp.ticket_id == ticket_id)).one()
        assert fu.status is FollowUpStatus.PENDING and fu.score == 5 and fu.fully_fixed is Answer.YES


def test_naive_datetime_is_rejected_with_a_clear_message(
    session_factory: sessionmaker[Session], build: Builders
) -> None:
    with pytest.raises(StatementError, match="naive datetime") as info, transaction(session_factory) as s:
        s.add(build.ticket(received_at=datetime(2025, 3, 14, 9, 30)))
    assert isinstance(info.value.orig, ValueError)


def test_aware_datetimes_in_other_zones_are_stored_as_utc_and_come_back_aware(
    session_factory: sessionmaker[Session], build: Builders
) -> None:
    santiago_summer = timezone(timedelta(hours=-3))
    local = datetime(2025, 1, 10, 23, 15, tzinfo=santiago_summer)
    with transaction(session_factory) as s:
        t = build.ticket(received_at=local)
        s.add(t)
    with session_factory() as s:
        back = s.scalars(sa.select(Ticket.received_at)).one()
        assert back == local
        assert back.utcoffset() == timedelta(0)
        assert back == datetime(2025, 1, 11, 2, 15, tzinfo=UTC)
        # Comparisons in SQL agree with Python, across zones.
        assert s.scalars(sa.select(Ticket.id).where(Ticket.received_at > local - timedelta(seconds=1))).one()


def test_a_value_outside_a_vocabulary_is_refused_by_the_database(
    session_factory: sessionmaker[Session], build: Builders
) -> None:
    with transaction(session_factory) as s:
        s.add(build.ticket(ticket_no="T-CHK"))
    with pytest.raises(IntegrityError), transaction(session_factory) as s:
        s.execute(sa.text("UPDATE tickets SET symptom = 'smells_funny' WHERE ticket_no = 'T-CHK'"))
    with pytest.raises(IntegrityError), transaction(session_factory) as s:
        s.execute(sa.text("UPDATE tickets SET ticket_class = 4 WHERE ticket_no = 'T-CHK'"))


def test_callback_score_must_be_between_1_and_5(
    session_factory: sessionmaker[Session], build: Builders, t0: datetime
) -> None:
    with transaction(session_factory) as s:
        wo = build.work_order(build.ticket(), build.crew())
        s.add(wo)
        s.flush()
        ids = (wo.id, wo.ticket_id)
    with pytest.raises(IntegrityError), transaction(session_factory) as s:
        s.add(FollowUp(work_order_id=ids[0], ticket_id=ids[1], due_at=t0, created_at=t0, score=6))


def test_crew_skills_list_changed_in_place_is_saved(
    session_factory: sessionmaker[Session], build: Builders
) -> None:
    with transaction(session_factory) as s:
        crew = build.crew(skills=["leak_repair"])
        s.add(crew)
    with transaction(session_factory) as s:
        crew = s.merge(crew)
        crew.skills.append("meter")
    with session_factory() as s:
        assert s.get(type(crew), crew.id).skills == ["leak_repair", "meter"]


class TestDoubleDispatchIsRefusedByTheDatabase:
    """One active work order per ticket and per crew, enforced by partial unique indexes (R7.1)."""

    def test_second_active_work_order_for_the_same_ticket_is_rejected(
        self, session_factory: sessionmaker[Session], build: Builders
    ) -> None:
        with transaction(session_factory) as s:
            ticket = build.ticket()
            s.add(build.work_order(ticket, build.crew()))
        with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"), transaction(session_factory) as s:
            ticket = s.merge(ticket)
            s.add(build.work_order(ticket, build.crew()))

    def test_second_active_work_order_for_the_same_crew_is_rejected(
        self, session_factory: sessionmaker[Session], build: Builders
    ) -> None:
        with transaction(session_factory) as s:
            crew = build.crew()
            s.add(build.work_order(build.ticket(), crew))
        with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"), transaction(session_factory) as s:
            crew = s.merge(crew)
            s.add(build.work_order(build.ticket(), crew))

    def test_a_new_work_order_is_allowed_once_the_first_is_cancelled(
        self, session_factory: sessionmaker[Session], build: Builders, t0: datetime
    ) -> None:
        with transaction(session_factory) as s:
            first = build.work_order(build.ticket(), build.crew())
            s.add(first)
            s.flush()
            first_id, ticket_id, crew_id = first.id, first.ticket_id, first.crew_id
        with transaction(session_factory) as s:
            first = s.get_one(WorkOrder, first_id)
            first.status = WorkOrderStatus.CANCELLED
            first.cancelled_at = t0 + timedelta(minutes=12)
            first.cancel_reason = "no acknowledgement within 10 minutes (R7.2)"
        with transaction(session_factory) as s:
            s.add(build.work_order(s.get_one(Ticket, ticket_id), s.get_one(Crew, crew_id),
                                   dispatched_at=t0 + timedelta(minutes=13)))
        with session_factory() as s:
            statuses = sorted(s.scalars(sa.select(WorkOrder.status)).all())
            assert statuses == [WorkOrderStatus.CANCELLED, WorkOrderStatus.DISPATCHED]

    def test_a_completed_work_order_frees_the_crew(
        self, session_factory: sessionmaker[Session], build: Builders, t0: datetime
    ) -> None:
        with transaction(session_factory) as s:
            crew = build.crew()
            s.add(build.work_order(build.ticket(), crew, status=WorkOrderStatus.COMPLETED,
                                   completed_at=t0 + timedelta(hours=1)))
            s.flush()
            crew_id = crew.id
        with transaction(session_factory) as s:
            s.add(build.work_order(build.ticket(), s.get_one(Crew, crew_id), dispatched_at=t0 + timedelta(hours=2)))
        with session_factory() as s:
            statuses = sorted(s.scalars(sa.select(WorkOrder.status).where(WorkOrder.crew_id == crew_id)).all())
            assert statuses == [WorkOrderStatus.COMPLETED, WorkOrderStatus.DISPATCHED]
        # Freed, not unlimited: the new order is active, so the crew still takes no second one.
        with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"), transaction(session_factory) as s:
            s.add(build.work_order(build.ticket(), s.get_one(Crew, crew_id)))


def test_concurrent_update_of_a_ticket_raises_stale_data_error(
    session_factory: sessionmaker[Session], build: Builders
) -> None:
    """Optimistic locking: the second of two people editing the same ticket is told, not overwritten."""
    with transaction(session_factory) as s:
        s.add(build.ticket(ticket_no="T-LOCK"))
    alice, bob = session_factory(), session_factory()
    try:
        with alice.begin():
            mine = alice.scalars(sa.select(Ticket).where(Ticket.ticket_no == "T-LOCK")).one()
        with bob.begin():
            theirs = bob.scalars(sa.select(Ticket).where(Ticket.ticket_no == "T-LOCK")).one()
            theirs.special_requests = "call before arriving"
        with pytest.raises(StaleDataError), alice.begin():
            mine.special_requests = "back door"
    finally:
        alice.close()
        bob.close()
    with session_factory() as s:
        t = s.scalars(sa.select(Ticket).where(Ticket.ticket_no == "T-LOCK")).one()
        assert t.special_requests == "call before arriving"
        assert t.version_id == 2


def test_concurrent_update_of_a_work_order_raises_stale_data_error(
    session_factory: sessionmaker[Session], build: Builders, t0: datetime
) -> None:
    with transaction(session_factory) as s:
        wo = build.work_order(build.ticket(), build.crew())
        s.add(wo)
    crew_page, dispatcher = session_factory(), session_factory()
    try:
        with crew_page.begin():
            a = crew_page.get(WorkOrder, wo.id)
        with dispatcher.begin():
            b = dispatcher.get(WorkOrder, wo.id)
            b.status = WorkOrderStatus.CANCELLED
            b.cancelled_at = t0 + timedelta(minutes=11)
        with pytest.raises(StaleDataError), crew_page.begin():
            a.status = WorkOrderStatus.ACKNOWLEDGED
            a.acknowledged_at = t0 + timedelta(minutes=11)
    finally:
        crew_page.close()
        dispatcher.close()
