"""The history importer applies the live rules: R5 vocabularies, R6 classes and deadlines, R9, R10, R13.1.

Every test runs on SQLite and (with TEST_DATABASE_URL) on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ops.db import transaction
from ops.models import (
    AuditEvent,
    ClassChange,
    Complaint,
    Customer,
    FollowUp,
    RepairRecord,
    SafetyInstruction,
    Ticket,
    WorkOrder,
)
from ops.permissions import SYSTEM_ACTOR, Actor, PermissionDenied
from ops.rules import ClassificationInput, Deadlines, callback_due, classify, deadlines_for
from ops.services import accounts, crews
from ops.services.bulk_import import (
    CallbackIn,
    ComplaintIn,
    CustomerIn,
    DistrictIn,
    HistoricalTicket,
    ImportRejected,
    RepairRecordIn,
    WorkOrderTimeline,
    import_customers,
    import_districts,
    import_history,
)
from ops.vocabulary import (
    Answer,
    Channel,
    ComplaintStatus,
    FollowUpStatus,
    Judgement,
    RepairResult,
    Role,
    ShiftPattern,
    Skill,
    Symptom,
    TicketClass,
    TicketStatus,
    WorkOrderStatus,
)

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
T = NOW - timedelta(days=2)  # when the sample report came in
AREA = (-71.40, -30.10, -71.10, -29.80)
SQUARE = {"type": "Polygon", "coordinates": [[[-71.30, -30.00], [-71.20, -30.00], [-71.20, -29.90],
                                             [-71.30, -29.90], [-71.30, -30.00]]]}
ADMIN = Actor(user_id=None, label="importer", roles=frozenset({Role.ADMIN}))


def m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


@pytest.fixture
def sf(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A database with one district, two customers, two crews and the people who act in the history."""
    with transaction(session_factory) as s:
        import_districts(s, SYSTEM_ACTOR, [DistrictIn("D1", "Centro", SQUARE, population=1000)], now=NOW)
        import_customers(s, SYSTEM_ACTOR, [
            CustomerIn("C1", "Ana Rojas", "Av. del Mar 1200", -71.25, -29.95, phone="+56 9 1111 2222"),
            CustomerIn("C2", "Luis Soto", "Balmaceda 455", -71.26, -29.96, phone="+56 9 3333 4444"),
        ], area=AREA, now=NOW)
        for username, role in (("sup", Role.SUPERVISOR), ("agent", Role.HOTLINE_AGENT),
                               ("cb", Role.CALLBACK_AGENT)):
            accounts.create_user(s, SYSTEM_ACTOR, username=username, display_name=username.title(),
                                 roles=[role], password=None, now=NOW)
        for code in ("CR1", "CR2"):
            crews.create_crew(s, SYSTEM_ACTOR, code=code, name=f"Crew {code}", depot_id=None,
                              skills=[Skill.LEAK_REPAIR, Skill.PIPEWORK], shift_pattern=ShiftPattern.DAY,
                              shift_start_hour=8, shift_end_hour=20, now=NOW)
    return session_factory


def repair(**kw: Any) -> RepairRecordIn:
    return RepairRecordIn(**{"cause": "Blocked filter.", "measures": "Cleaned filter, restored supply.",
                             "result": RepairResult.FIXED, "customer_confirmation": "Signed by Ana Rojas.",
                             "parts_replaced": ({"name": "Filter gasket", "qty": 1},), **kw})


def callback(**kw: Any) -> CallbackIn:
    return CallbackIn(**{"called_at": T + m(24 * 60 - 60), "score": 5, "arrived_on_time": Answer.YES,
                         "courteous": Answer.YES, "fully_fixed": Answer.YES, "agent": "cb", **kw})


def order(**kw: Any) -> WorkOrderTimeline:
    return WorkOrderTimeline(**{
        "crew_code": "CR1", "dispatched_at": T + m(30), "acknowledged_at": T + m(35),
        "departed_at": T + m(45), "arrived_at": T + m(70), "completed_at": T + m(130),
        "dispatched_by": "sup", "repair": repair(), "callback": callback(), **kw,
    })


def ticket(no: str = "T1", **kw: Any) -> HistoricalTicket:
    """A class-2 'no gas' report, handled and closed; override any field."""
    return HistoricalTicket(**{
        "ticket_no": no, "channel": Channel.HOTLINE, "received_at": T, "reporter_name": "Ana Rojas",
        "reporter_phone": "+56 9 1111 2222", "address": "Av. del Mar 1200", "lon": -71.25, "lat": -29.95,
        "customer_no": "C1", "symptom": Symptom.NO_GAS, "fault_started_at": T - m(90),
        "odour": Answer.NO, "abnormal_noise": Answer.NO, "people_on_site": Answer.YES,
        "ventilated": Answer.NO, "valve_closed": Answer.NO, "agent_judgement": Judgement.GENERAL,
        "created_by": "agent", "work_orders": (order(),), **kw,
    })


def leak(no: str, **kw: Any) -> HistoricalTicket:
    """A class-1 leak with the R8.3 gas reading and the R6.2 script read on the call."""
    arrived = T + m(20)
    return ticket(no, symptom=Symptom.GAS_LEAK, odour=Answer.YES, agent_judgement=Judgement.EMERGENCY,
                  safety_script_given_at=T + m(1), safety_script_given_by="agent",
                  work_orders=(order(dispatched_at=T + m(3), acknowledged_at=T + m(4), departed_at=T + m(8),
                                     arrived_at=arrived, completed_at=T + m(80), auto_dispatched=True,
                                     dispatched_by=None,
                                     repair=repair(gas_reading_ppm=850.0, gas_reading_at=arrived + m(2)),
                                     callback=callback(called_at=T + m(600))),), **kw)


def scheduled(no: str, **kw: Any) -> HistoricalTicket:
    slot = T + timedelta(days=1)
    return ticket(no, symptom=Symptom.MAINTENANCE, slot_start=slot, slot_end=slot + timedelta(hours=2),
                  work_orders=(order(dispatched_at=slot - m(40), acknowledged_at=slot - m(35),
                                     departed_at=slot - m(20), arrived_at=slot + m(10),
                                     completed_at=slot + m(70), callback=None),), **kw)


def count(sf: sessionmaker[Session], model: type) -> int:
    with sf() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def run(sf: sessionmaker[Session], records: list[HistoricalTicket], actor: Actor = SYSTEM_ACTOR, **kw: Any):
    with transaction(sf) as s:
        return import_history(s, actor, records, area=AREA, now=NOW, **kw)


# ---------------------------------------------------------------------------------------------------


def test_r6_imported_deadlines_class_and_rule_version_come_from_the_rules(sf: sessionmaker[Session]) -> None:
    summary = run(sf, [leak("T1"), ticket("T2"), scheduled("T3")])
    assert summary.count == 3
    with sf() as s:
        rows = s.scalars(sa.select(Ticket).order_by(Ticket.ticket_no)).all()
        for row in rows:
            proposal = classify(ClassificationInput(
                row.symptom, odour=row.odour, abnormal_noise=row.abnormal_noise,
                people_on_site=row.people_on_site, ventilated=row.ventilated, valve_closed=row.valve_closed,
                judgement=row.agent_judgement,
            ))
            assert (row.proposed_class, row.ticket_class, row.rule_version) == (
                proposal.ticket_class, proposal.ticket_class, proposal.rule_version)
            d = deadlines_for(row.ticket_class, row.received_at, slot_start=row.slot_start, slot_end=row.slot_end)
            assert row.depart_deadline == d.depart_by
            assert row.dispatch_deadline == d.dispatch_by
            assert row.onsite_target == d.onsite_target
            assert row.onsite_limit == d.onsite_limit  # None for class 3: its limit is slot_end
            assert Deadlines.from_ticket(row) == d
        assert [int(r.ticket_class) for r in rows] == [1, 2, 3]
        assert rows[0].depart_deadline == T + m(30)
        assert rows[1].onsite_limit == T + timedelta(hours=8)


def test_r10_follow_ups_pending_until_a_callback_is_recorded(sf: sessionmaker[Session]) -> None:
    run(sf, [leak("T1"), ticket("T2"), scheduled("T3")])
    with sf() as s:
        rows = {t.ticket_no: t for t in s.scalars(sa.select(Ticket))}
        follow = {f.ticket_id: f for f in s.scalars(sa.select(FollowUp))}
        t1, t2, t3 = rows["T1"], rows["T2"], rows["T3"]
        # class 1: 48 h; class 2/3: 24 h after completion (R10.2); priority first for class 1 (R10.1)
        assert follow[t1.id].due_at == callback_due(1, T + m(80)) == T + m(80) + timedelta(hours=48)
        assert follow[t2.id].due_at == T + m(130) + timedelta(hours=24)
        assert (follow[t1.id].priority, follow[t2.id].priority) == (0, 1)
        assert follow[t2.id].status is FollowUpStatus.DONE and follow[t2.id].score == 5
        assert follow[t3.id].status is FollowUpStatus.PENDING and follow[t3.id].called_at is None
        assert (t1.status, t2.status, t3.status) == (TicketStatus.CLOSED, TicketStatus.CLOSED, TicketStatus.COMPLETED)
        assert t2.closed_at == T + m(24 * 60 - 60)
        # R6.2 script recorded for the class-1 call, R9 repair records for every completed order
        assert {i.code for i in s.scalars(sa.select(SafetyInstruction))} >= {"close_valve", "leave_premises"}
    assert count(sf, RepairRecord) == 3


def test_in_progress_record_is_imported_open_at_its_stage(sf: sessionmaker[Session]) -> None:
    run(sf, [
        ticket("T1", work_orders=(order(departed_at=None, arrived_at=None, completed_at=None, repair=None,
                                        callback=None),)),
        ticket("T2", customer_no="C2", work_orders=(order(crew_code="CR2", completed_at=None, repair=None,
                                                          callback=None),)),
        ticket("T3", work_orders=()),
    ])
    with sf() as s:
        status = dict(s.execute(sa.select(Ticket.ticket_no, Ticket.status)).tuples().all())
        orders = dict(s.execute(sa.select(Ticket.ticket_no, WorkOrder.status).join(WorkOrder)).tuples().all())
    assert status == {"T1": TicketStatus.ACKNOWLEDGED, "T2": TicketStatus.ON_SITE, "T3": TicketStatus.NEW}
    assert orders == {"T1": WorkOrderStatus.ACKNOWLEDGED, "T2": WorkOrderStatus.ON_SITE}
    assert count(sf, FollowUp) == 0


def test_r10_3_not_fixed_reopens_and_a_second_visit_closes(sf: sessionmaker[Session]) -> None:
    first = order(repair=repair(result=RepairResult.NOT_FIXED),
                  callback=callback(called_at=T + m(300), fully_fixed=Answer.NO, score=2))
    second = order(crew_code="CR2", dispatched_at=T + m(400), acknowledged_at=T + m(405), departed_at=T + m(410),
                   arrived_at=T + m(430), completed_at=T + m(480), callback=callback(called_at=T + m(900)))
    run(sf, [ticket("T1", work_orders=(first, second)), ticket("T2", work_orders=(first,))])
    with sf() as s:
        status = dict(s.execute(sa.select(Ticket.ticket_no, Ticket.status)).tuples().all())
    assert status == {"T1": TicketStatus.CLOSED, "T2": TicketStatus.NEW}  # T2 is waiting for its next visit
    assert count(sf, FollowUp) == 3  # R10.1: every completed work order gets its callback


def test_r6_5_class_change_is_logged_and_lowering_class1_by_a_supervisor_is_accepted(
    sf: sessionmaker[Session],
) -> None:
    lowered = ticket("T1", symptom=Symptom.NO_GAS, odour=Answer.UNKNOWN, ticket_class=TicketClass.URGENT,
                     class_change_reason="Called back: no smell of gas.", class_changed_by="sup",
                     class_changed_at=T + m(5), safety_script_given_at=T + m(1))
    run(sf, [lowered])
    with sf() as s:
        change = s.scalars(sa.select(ClassChange)).one()
        row = s.scalars(sa.select(Ticket)).one()
    assert (change.from_class, change.to_class, change.at) == (TicketClass.EMERGENCY, TicketClass.URGENT, T + m(5))
    assert change.reason == "Called back: no smell of gas."
    assert (row.proposed_class, row.ticket_class) == (TicketClass.EMERGENCY, TicketClass.URGENT)
    assert row.dispatch_deadline == T + timedelta(hours=2)


def test_r13_1_audit_events_are_imported_and_commit_with_the_tickets(sf: sessionmaker[Session]) -> None:
    before = count(sf, AuditEvent)
    with pytest.raises(RuntimeError, match="caller failed"), transaction(sf) as s:
        import_history(s, SYSTEM_ACTOR, [ticket("T1")], area=AREA, now=NOW)
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.imported)) >= 1
        raise RuntimeError("caller failed after the import")
    assert (count(sf, Ticket), count(sf, AuditEvent)) == (0, before)  # rolled back together

    summary = run(sf, [ticket("T1"), leak("T2")], source="legacy CRM export")
    with sf() as s:
        events = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "ticket.import")
                           .order_by(AuditEvent.id)).all()
    assert [int(e.entity_id or 0) for e in events] == list(summary.ids)
    assert all(e.imported and e.entity == "ticket" and e.at == NOW for e in events)
    assert events[0].after["ticket_no"] == "T1" and events[0].after["status"] == "closed"
    assert "legacy CRM export" in (events[0].note or "")


def test_permission_a_hotline_agent_cannot_import_history(sf: sessionmaker[Session]) -> None:
    agent = Actor(user_id=None, label="agent Ana", roles=frozenset({Role.HOTLINE_AGENT}))
    with pytest.raises(PermissionDenied, match=r"history\.import"):
        run(sf, [ticket("T1")], actor=agent)
    assert count(sf, Ticket) == 0
    assert run(sf, [ticket("T1")], actor=ADMIN).count == 1


def _set(path: str, value: Any) -> Callable[[HistoricalTicket], HistoricalTicket]:
    """A mutation of the sample ticket: ``path`` is a field, or ``work_orders.<field>`` of its order."""

    def mutate(rec: HistoricalTicket) -> HistoricalTicket:
        parts = path.split(".")
        if parts[0] != "work_orders":
            return dataclasses.replace(rec, **{parts[0]: value})
        wo = rec.work_orders[0]
        if len(parts) == 3:
            inner = getattr(wo, parts[1])
            wo = dataclasses.replace(wo, **{parts[1]: dataclasses.replace(inner, **{parts[2]: value})})
        else:
            wo = dataclasses.replace(wo, **{parts[1]: value})
        return dataclasses.replace(rec, work_orders=(wo,))

    return mutate


INVALID = {
    "out_of_order_timestamps": (_set("work_orders.arrived_at", T + m(40)), "work_orders[0].arrived_at"),
    "dispatched_before_received": (_set("work_orders.dispatched_at", T - m(5)), "work_orders[0].dispatched_at"),
    "milestone_gap": (_set("work_orders.acknowledged_at", None), "work_orders[0].acknowledged_at"),
    "missing_dispatch": (_set("work_orders.dispatched_at", None), "work_orders[0].dispatched_at"),
    "repair_not_a_record": (_set("work_orders.repair", {"cause": "x"}), "work_orders[0].repair"),
    "unknown_crew": (_set("work_orders.crew_code", "CR99"), "work_orders[0].crew_code"),
    "r9_completed_without_repair_record": (_set("work_orders.repair", None), "work_orders[0].repair"),
    "r6_5_class_contradicts_classify_without_reason": (_set("ticket_class", 3), "class_change_reason"),
    "naive_datetime": (_set("received_at", datetime(2025, 3, 12, 12, 0)), "received_at"),
    "r10_callback_before_completion": (_set("work_orders.callback.called_at", T + m(100)),
                                       "work_orders[0].callback.called_at"),
    "r10_3_score_out_of_range": (_set("work_orders.callback.score", 6), "work_orders[0].callback.score"),
    "symptom_outside_vocabulary": (_set("symptom", "smoke"), "symptom"),
    "answer_outside_vocabulary": (_set("odour", "maybe"), "odour"),
    "outside_service_area": (_set("lon", -70.0), "lon"),
    "unknown_customer": (_set("customer_no", "C404"), "customer_no"),
    "future_milestone": (_set("work_orders.completed_at", NOW + m(5)), "work_orders[0].completed_at"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_record_rejects_the_whole_batch_and_keeps_earlier_data(
    sf: sessionmaker[Session], case: str
) -> None:
    run(sf, [ticket("A1")])
    saved = (count(sf, Ticket), count(sf, WorkOrder), count(sf, FollowUp), count(sf, AuditEvent))
    mutate, field = INVALID[case]
    batch = [ticket("B1", customer_no="C2"), mutate(ticket("B2")), ticket("B3")]
    with pytest.raises(ImportRejected) as info:
        run(sf, batch)
    assert (info.value.record_index, info.value.field) == (1, field)
    assert "B2" in str(info.value) and field in str(info.value)
    assert (count(sf, Ticket), count(sf, WorkOrder), count(sf, FollowUp), count(sf, AuditEvent)) == saved


def test_r6_rules_specific_rejections_name_the_field(sf: sessionmaker[Session]) -> None:
    cases = [
        (ticket("X1", symptom=Symptom.MAINTENANCE, work_orders=()), "slot_start"),  # R6.4
        (ticket("X2", symptom=Symptom.NO_GAS, odour=Answer.UNKNOWN, ticket_class=2,
                class_change_reason="no smell after all", class_changed_by="agent"), "class_changed_by"),
        (dataclasses.replace(leak("X3"), work_orders=(dataclasses.replace(leak("x").work_orders[0], repair=repair()),)),
         "work_orders[0].repair.gas_reading_ppm"),  # R8.3
        (ticket("X4", work_orders=(order(auto_dispatched=True),)), "work_orders[0].auto_dispatched"),  # R7.3
        (ticket("X5", safety_script_given_at=T + m(1)), "safety_script_given_at"),  # R6.2
        (ticket("X6", complaints=(ComplaintIn(T - m(5), Channel.HOTLINE, "late"),)), "complaints[0].received_at"),
    ]
    for record, field in cases:
        with pytest.raises(ImportRejected) as info:
            run(sf, [record])
        assert info.value.field == field, record.ticket_no
    assert count(sf, Ticket) == 0


def test_all_problems_of_a_batch_are_reported_at_once(sf: sessionmaker[Session]) -> None:
    with pytest.raises(ImportRejected) as info:
        run(sf, [ticket("T1", symptom="smoke"), ticket("T2"), ticket("T1"),
                 ticket("T4", work_orders=(order(crew_code="nope"),)), {"ticket_no": "T5"}])  # type: ignore[list-item]
    assert [(p.record_index, p.field) for p in info.value.problems] == [
        (0, "symptom"), (2, "ticket_no"), (3, "work_orders[0].crew_code"), (4, "record")]
    assert "and 3 more problems" in str(info.value)


def test_a_crew_holds_one_active_work_order(sf: sessionmaker[Session]) -> None:
    active = order(completed_at=None, repair=None, callback=None)
    run(sf, [ticket("T1", work_orders=(active,))])
    with pytest.raises(ImportRejected) as info:
        run(sf, [ticket("T2", work_orders=(active,))])
    assert info.value.field == "work_orders[0].crew_code" and "T1" in info.value.message
    with pytest.raises(ImportRejected) as info:
        run(sf, [ticket("T3", work_orders=(dataclasses.replace(active, crew_code="CR2"),)),
                 ticket("T4", work_orders=(dataclasses.replace(active, crew_code="CR2"),))])
    assert (info.value.record_index, info.value.field) == (1, "work_orders[0].crew_code")


def test_complaint_is_attached_to_the_ticket_customer_and_last_completed_order(sf: sessionmaker[Session]) -> None:
    complaint = ComplaintIn(T + timedelta(hours=30), Channel.WECHAT, "Crew arrived late.", handler="sup",
                            status=ComplaintStatus.RESOLVED, resolved_at=T + timedelta(hours=40),
                            resolution="Apologised.", customer_satisfied=True)
    run(sf, [ticket("T1", complaints=(complaint,))])
    with sf() as s:
        row = s.scalars(sa.select(Complaint)).one()
        t = s.scalars(sa.select(Ticket)).one()
        wo = s.scalars(sa.select(WorkOrder)).one()
        follow = s.scalars(sa.select(FollowUp)).one()
    assert (row.ticket_id, row.work_order_id, row.customer_id) == (t.id, wo.id, t.customer_id)
    assert row.complainant_name == "Ana Rojas" and row.status is ComplaintStatus.RESOLVED
    assert follow.priority == 0  # R10.1: complaint orders come first


def test_customers_get_their_district_from_the_map_and_duplicates_are_rejected(
    sf: sessionmaker[Session],
) -> None:
    with sf() as s:
        located = s.scalars(sa.select(Customer).where(Customer.customer_no == "C1")).one()
        assert located.district_id is not None  # inside the square, found from the coordinates
    with pytest.raises(ImportRejected) as info, transaction(sf) as s:
        import_customers(s, SYSTEM_ACTOR, [CustomerIn("C9", "X", "Calle 1", -71.25, -29.95),
                                           CustomerIn("C1", "Y", "Calle 2", -71.25, -29.95)], area=AREA, now=NOW)
    assert (info.value.record_index, info.value.field) == (1, "customer_no")
    assert count(sf, Customer) == 2
    with pytest.raises(ImportRejected) as info, transaction(sf) as s:
        import_districts(s, SYSTEM_ACTOR, [DistrictIn("D2", "Bad", json.dumps({"type": "Point",
                                                                                 "coordinates": [0, 0]}))], now=NOW)
    assert info.value.field == "geometry"
