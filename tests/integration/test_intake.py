"""ops.services.intake: a report becomes a classified ticket with deadlines, audit and R6.2 follow-ups."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from data.area_locator import AreaLocator
from data.service_area import ServiceArea
from ops.db import transaction
from ops.errors import ConflictError, ServiceError
from ops.models import (
    AuditEvent,
    ClassChange,
    District,
    IdempotencyKey,
    IntakeCallbackTask,
    SafetyInstruction,
    Ticket,
    TicketReporter,
)
from ops.permissions import Actor, PermissionDenied
from ops.rules import DEFAULT_TABLE, Deadlines, deadlines_for
from ops.services import intake
from ops.services.intake import ReportIn
from ops.vocabulary import Answer, Channel, FollowUpStatus, Role, TicketClass, TicketStatus
from optimizer.network import grid_network
from tests.integration.conftest import T0

ROW_STREETS = ["Avenida Francisco de Aguirre", "Calle Balmaceda", "Pasaje Las Peñas", "Los Carrera"]
NET = grid_network(4, 4)
LON, LAT = float(NET.lon[5]), float(NET.lat[5])


def grid_locator() -> AreaLocator:
    lon0, lat0, lon1, lat1 = NET.bounds
    ring = [[lon0 - 0.01, lat0 - 0.01], [lon1 + 0.01, lat0 - 0.01], [lon1 + 0.01, lat1 + 0.01],
            [lon0 - 0.01, lat1 + 0.01], [lon0 - 0.01, lat0 - 0.01]]
    districts = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "Z001"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    area = ServiceArea("grid", NET, districts, {"type": "FeatureCollection", "features": []},
                       [ROW_STREETS[i // 4] for i in range(NET.n_nodes)])
    return AreaLocator(area)


LOCATOR = grid_locator()


def actor(role: Role, user_id: int | None = None) -> Actor:
    return Actor(user_id=user_id, label=f"a {role.value}", roles=frozenset({role}))


AGENT = actor(Role.HOTLINE_AGENT)
SUPERVISOR = actor(Role.SUPERVISOR)


def report(**kw) -> ReportIn:
    """A class-2 hotline report (no gas, every safety answer given) at a map point."""
    base = dict(channel="hotline", reporter_name="Ana Rojas", phone="+56 51 255 0199", address="Sin nombre 12",
                symptom="no_gas", started_at=T0 - timedelta(minutes=40), lon=LON, lat=LAT, odour=False,
                noise=False, people_on_site=True, ventilated=True, valve_closed=True)
    return ReportIn(**{**base, **kw})


def create(session_factory, rep: ReportIn, *, who: Actor = AGENT, now=T0, **kw) -> intake.IntakeResult:
    with transaction(session_factory) as db:
        return intake.create_ticket(db, who, rep, now=now, locator=LOCATOR, **kw)


def counts(session_factory) -> dict[str, int]:
    with session_factory() as db:
        return {m.__tablename__: db.scalar(sa.select(sa.func.count()).select_from(m)) for m in
                (Ticket, TicketReporter, ClassChange, SafetyInstruction, IntakeCallbackTask, IdempotencyKey,
                 AuditEvent)}


@pytest.fixture
def district(session_factory: sessionmaker[Session]) -> int:
    with transaction(session_factory) as db:
        row = District(code="Z001", name="Centro", centroid_lon=LON, centroid_lat=LAT, source="test")
        db.add(row)
        db.flush()
        return row.id


def test_r5_r6_create_stores_every_field_class_rule_version_and_deadlines(session_factory, district):
    rep = report(door_no="3B", description="Stove will not light", special_requests="Call before coming",
                 duration_minutes=35)
    result = create(session_factory, rep)
    with session_factory() as db:
        t = db.get(Ticket, result.ticket.id)
        assert t.ticket_no == f"GD-20250314-{t.id:06d}"
        assert (t.channel, t.reporter_name, t.reporter_phone, t.address, t.door_no) == (
            Channel.HOTLINE, "Ana Rojas", "+56 51 255 0199", "Sin nombre 12", "3B")
        assert (t.lon, t.lat, t.location_approximate, t.district_id) == (LON, LAT, False, district)
        assert t.fault_started_at == T0 - timedelta(minutes=40) and t.fault_duration_minutes == 35
        assert (t.odour, t.abnormal_noise, t.people_on_site, t.ventilated, t.valve_closed) == (
            Answer.NO, Answer.NO, Answer.YES, Answer.YES, Answer.YES)
        assert (t.description, t.special_requests) == ("Stove will not light", "Call before coming")
        assert t.proposed_class == t.ticket_class == TicketClass.URGENT
        assert t.rule_version == DEFAULT_TABLE.version
        expected = deadlines_for(2, T0)
        assert (t.dispatch_deadline, t.onsite_target, t.onsite_limit) == (
            expected.dispatch_by, expected.onsite_target, expected.onsite_limit)
        assert Deadlines.from_ticket(t) == expected
        assert t.depart_deadline is None and t.status is TicketStatus.NEW and t.received_at == T0
        [reporter] = t.reporters
        assert (reporter.name, reporter.phone, reporter.channel) == ("Ana Rojas", "+56 51 255 0199", Channel.HOTLINE)
    assert [r.code for r in result.reasons] == ["fault_without_odour"]
    assert result.safety_script == () and result.callback_task is None


def test_r5_3_unknown_answers_are_the_worst_case_and_stored_as_unknown(session_factory):
    result = create(session_factory, report(odour=None, noise=None, people_on_site=None, ventilated=None,
                                            valve_closed=None))
    t = result.ticket
    assert t.ticket_class is TicketClass.EMERGENCY and "fault_with_odour" in [r.code for r in result.reasons]
    assert {t.odour, t.abnormal_noise, t.people_on_site, t.ventilated, t.valve_closed} == {Answer.UNKNOWN}
    assert t.depart_deadline == T0 + timedelta(minutes=30) and t.onsite_target == T0 + timedelta(minutes=60)


def test_r6_2_hotline_class1_returns_the_script_and_no_callback_task(session_factory):
    result = create(session_factory, report(symptom="fire"))
    assert [s.code for s in result.safety_script][-2:] == ["call_fire", "call_police"]
    assert result.callback_task is None
    assert counts(session_factory)["safety_instructions"] == 0  # the agent ticks each line as read


@pytest.mark.parametrize("channel", ["app", "wechat", "counter"])
def test_r6_2_class1_without_voice_call_gets_an_immediate_callback_task_and_guidance_shown(session_factory,
                                                                                          channel):
    result = create(session_factory, report(channel=channel, symptom="gas_leak"))
    task = result.callback_task
    assert task is not None and task.due_at == T0 and task.status is FollowUpStatus.PENDING
    assert task.phone == "+56 51 255 0199" and task.ticket_id == result.ticket.id
    assert result.safety_script
    with session_factory() as db:
        shown = db.scalars(sa.select(SafetyInstruction).where(SafetyInstruction.ticket_id == result.ticket.id)).all()
    assert [s.code for s in shown] == [s.code for s in result.safety_script]
    assert all(s.shown_on_screen and s.given_at == T0 for s in shown)


def test_r6_2_class2_from_the_app_gets_no_callback_task(session_factory):
    result = create(session_factory, report(channel="app"))
    assert result.callback_task is None and result.ticket.channel is Channel.WEB_APP


def test_r6_2_safety_ticks_are_time_stamped_and_checked_against_the_script(session_factory):
    ticket_id = create(session_factory, report(symptom="gas_leak")).ticket.id
    with transaction(session_factory) as db:
        intake.record_safety_instruction(db, AGENT, ticket_id, "close_valve", T0 + timedelta(seconds=40))
        intake.record_safety_instruction(db, AGENT, ticket_id, "call_fire", T0 + timedelta(seconds=70))
    with pytest.raises(ServiceError) as err, transaction(session_factory) as db:
        intake.record_safety_instruction(db, AGENT, ticket_id, "sing_a_song", T0)
    assert err.value.field == "code"
    with session_factory() as db:
        lines = db.scalars(sa.select(SafetyInstruction).order_by(SafetyInstruction.given_at)).all()
        assert [(s.code, s.given_at) for s in lines] == [("close_valve", T0 + timedelta(seconds=40)),
                                                         ("call_fire", T0 + timedelta(seconds=70))]
        actions = db.scalars(sa.select(AuditEvent.action).where(AuditEvent.action == "ticket.safety_instruction"))
        assert len(actions.all()) == 2
    class2 = create(session_factory, report()).ticket.id
    with pytest.raises(ServiceError, match="class-1"), transaction(session_factory) as db:
        intake.record_safety_instruction(db, AGENT, class2, "close_valve", T0)


def test_r6_2_ticks_given_at_creation_are_stored_with_their_times(session_factory):
    ticks = [("close_valve", T0 - timedelta(seconds=30)), ("leave_premises", T0 - timedelta(seconds=10))]
    result = create(session_factory, report(symptom="gas_leak", safety_given=ticks,
                                            received_at=T0 - timedelta(minutes=2)))
    with session_factory() as db:
        stored = db.execute(sa.select(SafetyInstruction.code, SafetyInstruction.given_at, SafetyInstruction.shown_on_screen)
                            .where(SafetyInstruction.ticket_id == result.ticket.id)
                            .order_by(SafetyInstruction.given_at)).all()
    assert [tuple(r) for r in stored] == [(c, at, False) for c, at in ticks]


def test_r5_5_the_time_the_call_started_is_received_at_and_starts_every_class1_clock(session_factory):
    """The hotline passes the call's start: the 30-minute departure runs from it, not from the save."""
    started_call = T0 - timedelta(minutes=7)
    result = create(session_factory, report(symptom="gas_leak", received_at=started_call))
    with session_factory() as db:
        t = db.get(Ticket, result.ticket.id)
        assert t.received_at == started_call and t.created_at == T0
        assert t.depart_deadline == started_call + timedelta(minutes=30)
        assert t.onsite_target == started_call + timedelta(minutes=60)
        assert [r.received_at for r in t.reporters] == [started_call]
        assert t.fault_started_at == T0 - timedelta(minutes=40) and t.fault_duration_minutes == 33


@pytest.mark.parametrize("open_for", [timedelta(minutes=61), timedelta(hours=5), timedelta(days=3)])
def test_r5_5_a_call_start_over_60_minutes_before_the_save_counts_as_60(session_factory, open_for):
    """A form left open does not backdate a ticket: received_at is clamped, and the save is not refused."""
    result = create(session_factory, report(symptom="gas_leak", received_at=T0 - open_for,
                                            started_at=T0 - open_for - timedelta(minutes=5)))
    earliest = T0 - timedelta(minutes=60)
    assert earliest == T0 - intake.LONGEST_CALL
    with session_factory() as db:
        t = db.get(Ticket, result.ticket.id)
        assert t.received_at == earliest and t.depart_deadline == earliest + timedelta(minutes=30)
        event = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "ticket.create")).one()
        assert event.after["received_at_as_given"] == (T0 - open_for).isoformat()
    on_time = create(session_factory, report(received_at=T0 - timedelta(minutes=60),
                                             started_at=T0 - timedelta(minutes=65))).ticket
    assert on_time.received_at == T0 - timedelta(minutes=60)


def test_r6_2_safety_ticks_are_never_stamped_before_the_report_was_received(session_factory):
    call = T0 - timedelta(minutes=4)
    ticks = [("close_valve", call - timedelta(minutes=3)), ("open_windows", call + timedelta(seconds=20))]
    result = create(session_factory, report(symptom="gas_leak", received_at=call, safety_given=ticks))
    # An app report received a little "in the future" (a phone's clock, R5.5 skew): lines shown on
    # screen at saving, and lines read later, are stamped no earlier than the report either.
    ahead = T0 + timedelta(minutes=3)
    app = create(session_factory, report(channel="app", symptom="gas_leak", received_at=ahead))
    with transaction(session_factory) as db:
        intake.record_safety_instruction(db, AGENT, app.ticket.id, "close_valve", T0 + timedelta(minutes=1))
    with session_factory() as db:
        def stamps(ticket_id, shown):
            return db.execute(sa.select(SafetyInstruction.code, SafetyInstruction.given_at)
                              .where(SafetyInstruction.ticket_id == ticket_id,
                                     SafetyInstruction.shown_on_screen.is_(shown))
                              .order_by(SafetyInstruction.id)).all()
        assert [tuple(r) for r in stamps(result.ticket.id, False)] == [
            ("close_valve", call), ("open_windows", call + timedelta(seconds=20))]
        assert stamps(app.ticket.id, True) and {at for _code, at in stamps(app.ticket.id, True)} == {ahead}
        assert [tuple(r) for r in stamps(app.ticket.id, False)] == [("close_valve", ahead)]


def test_r6_5_agent_raises_the_class_at_creation_and_the_change_is_logged(session_factory):
    result = create(session_factory, report(requested_class=1, class_reason="caller sounds panicked"))
    with session_factory() as db:
        t = db.get(Ticket, result.ticket.id)
        assert (t.proposed_class, t.ticket_class) == (TicketClass.URGENT, TicketClass.EMERGENCY)
        [change] = t.class_changes
        assert (change.from_class, change.to_class, change.reason) == (2, 1, "caller sounds panicked")
        assert t.depart_deadline == T0 + timedelta(minutes=30) and t.dispatch_deadline is None


def test_r6_5_raise_class_later_recomputes_deadlines_from_the_report_time(session_factory):
    ticket_id = create(session_factory, report(channel="app")).ticket.id
    later = T0 + timedelta(minutes=12)
    with transaction(session_factory) as db:
        t = intake.change_class(db, AGENT, ticket_id, 1, " caller now smells gas ", later)
        assert t.ticket_class is TicketClass.EMERGENCY
        assert t.depart_deadline == T0 + timedelta(minutes=30)  # from received_at, not from now
        assert t.dispatch_deadline is None and t.onsite_limit is None
    with session_factory() as db:
        [change] = db.scalars(sa.select(ClassChange)).all()
        assert (change.from_class, change.to_class, change.at, change.reason) == (2, 1, later, "caller now smells gas")
        # R6.2: raised to class 1 on a channel without a voice call: someone must ring back.
        [task] = db.scalars(sa.select(IntakeCallbackTask)).all()
        assert task.ticket_id == ticket_id and task.due_at == later
        event = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "ticket.change_class")).one()
        assert event.before["ticket_class"] == 2 and event.after["ticket_class"] == 1


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_r6_5_a_raise_without_a_reason_is_refused_at_creation_and_later(session_factory, reason):
    """R6.5: every change of class is logged with why; the service asks for it, not only the page."""
    before = counts(session_factory)
    with pytest.raises(ServiceError) as err:
        create(session_factory, report(requested_class=1, class_reason=reason))
    assert (err.value.code, err.value.field) == ("class.change_needs_reason", "class_reason")
    assert counts(session_factory) == before
    ticket_id = create(session_factory, report()).ticket.id
    before = counts(session_factory)
    with pytest.raises(ServiceError) as err, transaction(session_factory) as db:
        intake.change_class(db, AGENT, ticket_id, 1, reason, T0 + timedelta(minutes=2))
    assert (err.value.code, err.value.field) == ("class.change_needs_reason", "reason")
    assert counts(session_factory) == before
    with session_factory() as db:
        assert db.get(Ticket, ticket_id).ticket_class is TicketClass.URGENT


def test_r6_5_lowering_class1_is_refused_for_an_agent_and_allowed_for_a_supervisor_with_reason(session_factory):
    ticket_id = create(session_factory, report(symptom="gas_leak")).ticket.id
    before = counts(session_factory)
    with pytest.raises(ServiceError, match="supervisor") as err, transaction(session_factory) as db:
        intake.change_class(db, AGENT, ticket_id, 2, "smells like cooking", T0)
    assert err.value.field == "class"
    with pytest.raises(ServiceError) as err, transaction(session_factory) as db:
        intake.change_class(db, SUPERVISOR, ticket_id, 2, "  ", T0)
    assert err.value.field == "reason"
    assert counts(session_factory) == before
    with transaction(session_factory) as db:
        t = intake.change_class(db, SUPERVISOR, ticket_id, 2, "crew on site found a stove left on", T0)
        assert t.ticket_class is TicketClass.URGENT and t.dispatch_deadline == T0 + timedelta(hours=2)
    with session_factory() as db:
        [change] = db.scalars(sa.select(ClassChange)).all()
        assert change.reason == "crew on site found a stove left on"


def test_r6_5_lowering_class1_at_creation_is_refused_for_an_agent(session_factory):
    before = counts(session_factory)
    with pytest.raises(ServiceError) as err:
        create(session_factory, report(symptom="gas_leak", requested_class=2, class_reason="not really"))
    assert err.value.field == "class" and counts(session_factory) == before


def test_r6_4_lowering_to_class3_needs_an_appointment(session_factory):
    ticket_id = create(session_factory, report()).ticket.id
    with pytest.raises(ServiceError) as err, transaction(session_factory) as db:
        intake.change_class(db, AGENT, ticket_id, 3, "customer only wants a check", T0)
    assert err.value.field == "appointment"
    slot = (T0 + timedelta(days=1), T0 + timedelta(days=1, hours=2))
    with transaction(session_factory) as db:
        t = intake.change_class(db, AGENT, ticket_id, 3, "customer only wants a check", T0,
                                appointment_start=slot[0], appointment_end=slot[1])
        assert (t.slot_start, t.slot_end, t.onsite_limit, t.dispatch_deadline) == (*slot, None, None)
        assert Deadlines.from_ticket(t) == deadlines_for(3, T0, slot_start=slot[0], slot_end=slot[1])


def test_r6_4_class3_requires_an_appointment_and_stores_the_slot(session_factory):
    with pytest.raises(ServiceError) as err:
        create(session_factory, report(symptom="installation"))
    assert err.value.field == "appointment"
    slot = (T0 + timedelta(days=2), T0 + timedelta(days=2, hours=3))
    t = create(session_factory, report(symptom="installation", appointment_start=slot[0],
                                       appointment_end=slot[1])).ticket
    assert t.ticket_class is TicketClass.SCHEDULED and (t.slot_start, t.slot_end) == slot


def test_change_class_needs_the_permission(session_factory):
    ticket_id = create(session_factory, report()).ticket.id
    with pytest.raises(PermissionDenied), transaction(session_factory) as db:
        intake.change_class(db, actor(Role.MANAGER), ticket_id, 1, None, T0)
    with pytest.raises(PermissionDenied), transaction(session_factory) as db:
        intake.create_ticket(db, actor(Role.CREW_MEMBER), report(), now=T0, locator=LOCATOR)


# --------------------------------------------------------------------------------------------- location


def test_r5_1_location_order_customer_premises_first(session_factory, build):
    cust_lon, cust_lat = float(NET.lon[10]), float(NET.lat[10])
    with transaction(session_factory) as db:
        db.add(build.customer(customer_no="GD000042", lon=cust_lon, lat=cust_lat))
    # The typed street and the map point are both elsewhere: the premises win.
    t = create(session_factory, report(customer_number="GD000042", address="Calle Balmaceda 455")).ticket
    assert (t.lon, t.lat, t.location_approximate) == (cust_lon, cust_lat, False)
    assert t.customer_id is not None


def test_r5_1_location_street_match_without_a_point_and_flagged_approximate(session_factory, build):
    with transaction(session_factory) as db:
        db.add(build.customer(customer_no="GD000043", lon=None, lat=None))  # not geocoded yet
    result = create(session_factory, report(customer_number="GD000043", address="pasaje las penas 12",
                                            lon=None, lat=None))
    t = result.ticket
    assert t.location_approximate and result.location.source == "street"
    assert result.location.street == "Pasaje Las Peñas"
    assert t.lat == pytest.approx(float(NET.lat[8]))


def test_r5_1_location_map_point_without_a_known_street(session_factory):
    result = create(session_factory, report(address="Camino sin mapa 1"))
    assert result.location.source == "coordinates" and (result.ticket.lon, result.ticket.lat) == (LON, LAT)


def test_r5_1_an_explicit_point_wins_over_a_street_match(session_factory):
    """The map click or the app's GPS is where the fault is; a typed street is only approximate."""
    result = create(session_factory, report(address="Pasaje Las Peñas 12"))  # the point is on Calle Balmaceda
    assert result.location.source == "coordinates" and not result.ticket.location_approximate
    assert (result.ticket.lon, result.ticket.lat) == (LON, LAT)


def test_r5_1_an_explicit_point_outside_the_area_is_refused_whatever_the_address(session_factory):
    before = counts(session_factory)
    with pytest.raises(ServiceError, match="outside the service area") as err:
        create(session_factory, report(address="Calle Balmaceda 455", lon=-70.65, lat=-33.45))
    assert err.value.field == "location"
    with pytest.raises(ServiceError) as err:  # nor is a malformed one replaced by the street
        create(session_factory, report(address="Calle Balmaceda 455", lon=float("nan"), lat=LAT))
    assert err.value.field == "location"
    with session_factory() as db:  # the hotline's live preview says the same as saving
        with pytest.raises(ServiceError) as err:
            intake.resolve_location(db, LOCATOR, address="Calle Balmaceda 455", lon=-70.65, lat=-33.45)
        assert err.value.field == "location"
    assert counts(session_factory) == before


def test_r5_1_unresolvable_or_outside_location_is_an_error_naming_location(session_factory, build):
    before = counts(session_factory)
    with pytest.raises(ServiceError) as err:
        create(session_factory, report(address="Camino sin mapa 1", lon=None, lat=None))
    assert err.value.field == "location"
    with pytest.raises(ServiceError, match="outside the service area") as err:
        create(session_factory, report(address="Camino sin mapa 1", lon=-70.65, lat=-33.45))
    assert err.value.field == "location"
    with pytest.raises(ServiceError) as err:
        create(session_factory, report(customer_number="NOPE-1"))
    assert err.value.field == "customer_number"
    assert counts(session_factory) == before


# --------------------------------------------------------------------------------------------- duplicates


def test_r5_6_duplicates_found_and_a_second_caller_is_linked_not_a_second_ticket(session_factory):
    first = create(session_factory, report(symptom="gas_leak")).ticket
    second = report(symptom="pipe_damage", reporter_name="Luis Pérez", phone="+56 9 8765 4321",
                    lon=LON + 0.0005, lat=LAT)
    with session_factory() as db:
        hits = intake.find_duplicates(db, symptom=second.symptom, lon=second.lon, lat=second.lat,
                                      now=T0 + timedelta(minutes=5))
        assert [h.ticket.id for h in hits] == [first.id] and 40 < hits[0].distance_m < 60
        # Unrelated symptom, too far, or outside the 6-hour window: no hint.
        assert intake.find_duplicates(db, symptom="installation", lon=LON, lat=LAT, now=T0) == []
        assert intake.find_duplicates(db, symptom="gas_leak", lon=LON + 0.01, lat=LAT, now=T0) == []
        assert intake.find_duplicates(db, symptom="gas_leak", lon=LON, lat=LAT, now=T0 + timedelta(hours=7)) == []
    before = counts(session_factory)
    with transaction(session_factory) as db:
        linked = intake.link_report(db, AGENT, first.id, reporter_name=second.reporter_name, phone=second.phone,
                                    channel="hotline", now=T0 + timedelta(minutes=5), note="neighbour, same smell")
        linked_id = linked.id
    after = counts(session_factory)
    assert after["tickets"] == before["tickets"] and after["ticket_reporters"] == before["ticket_reporters"] + 1
    with session_factory() as db:
        t = db.get(Ticket, first.id)
        assert [r.name for r in t.reporters] == ["Ana Rojas", "Luis Pérez"]
        event = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "ticket.link_report")).one()
        assert event.entity_id == str(first.id) and event.after["id"] == linked_id


def test_r5_6_the_result_of_a_new_report_names_its_likely_duplicates(session_factory):
    first = create(session_factory, report(symptom="gas_leak")).ticket
    result = create(session_factory, report(symptom="gas_leak", phone="+56 9 1111 2222"),
                    now=T0 + timedelta(minutes=3))
    assert [h.ticket.id for h in result.possible_duplicates] == [first.id]


def test_r5_6_linking_to_a_closed_ticket_is_refused(session_factory):
    ticket_id = create(session_factory, report()).ticket.id
    with transaction(session_factory) as db:
        db.get(Ticket, ticket_id).status = TicketStatus.CLOSED
    with pytest.raises(ServiceError) as err, transaction(session_factory) as db:
        intake.link_report(db, AGENT, ticket_id, reporter_name="X", phone="+56 9 1111 2222", channel="hotline",
                           now=T0)
    assert err.value.field == "ticket_id"


# --------------------------------------------------------------------------------------------- audit, errors


def test_r13_1_create_writes_one_audit_event_with_the_system_proposal(session_factory):
    result = create(session_factory, report(symptom="gas_leak", urgency="emergency"))
    with session_factory() as db:
        [event] = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "ticket.create")).all()
    assert event.entity == "ticket" and event.entity_id == str(result.ticket.id) and event.at == T0
    assert event.actor_label == AGENT.label
    assert event.recommendation == {"proposed_class": 1, "rule_version": DEFAULT_TABLE.version,
                                    "reasons": ["emergency_symptom", "judged_emergency"]}
    assert event.after["ticket_no"] == result.ticket.ticket_no and event.after["location_source"] == "coordinates"
    assert event.after["safety_shown_on_screen"] == [] and event.after["safety_read"] == []
    json.dumps(event.after)


def test_validation_names_every_bad_field_and_saves_nothing(session_factory):
    before = counts(session_factory)
    bad = report(channel="fax", reporter_name=" ", phone="call me", address="", symptom="smoke",
                 started_at=T0.replace(tzinfo=None), odour="maybe", duration_minutes=-3, urgency="now")
    with pytest.raises(ServiceError) as err:
        create(session_factory, bad)
    assert set(err.value.fields) == {"channel", "reporter_name", "phone", "address", "symptom", "started_at",
                                       "odour", "duration_minutes", "urgency"}
    with pytest.raises(ServiceError) as err:
        create(session_factory, report(started_at=T0 + timedelta(hours=1)))
    assert err.value.field == "started_at"
    with pytest.raises(ServiceError) as err:
        create(session_factory, report(symptom="gas_leak", safety_given=[("dance", T0)]))
    assert err.value.field == "safety_given[0]"
    assert counts(session_factory) == before


# --------------------------------------------------------------------------------------------- idempotency


def test_idempotency_key_returns_the_same_ticket_and_refuses_a_different_report(session_factory):
    agent = actor(Role.HOTLINE_AGENT)
    first = create(session_factory, report(), who=agent, idempotency_key="abc-1")
    before = counts(session_factory)
    again = create(session_factory, report(), who=agent, idempotency_key="abc-1", now=T0 + timedelta(seconds=5))
    assert again.replayed and again.ticket.id == first.ticket.id and counts(session_factory) == before
    assert [r.code for r in again.reasons] == [r.code for r in first.reasons]
    with pytest.raises(ConflictError) as err:
        create(session_factory, report(symptom="gas_leak"), who=agent, idempotency_key="abc-1")
    assert err.value.field == "idempotency_key" and counts(session_factory) == before
    # Keys are per user: someone else's "abc-1" is a new request.
    other = create(session_factory, report(), who=replace(agent, label="another agent"), idempotency_key="abc-1")
    assert other.ticket.id != first.ticket.id


def test_idempotency_key_is_unique_in_the_database(session_factory):
    """Two concurrent retries: the second insert of the same (owner, key) fails and rolls its ticket back."""
    first = create(session_factory, report(), idempotency_key="k-1")
    before = counts(session_factory)
    with pytest.raises(sa.exc.IntegrityError), transaction(session_factory) as db:
        db.add(IdempotencyKey(owner="actor:a hotline_agent", key="k-1", fingerprint="x",
                              ticket_id=first.ticket.id, created_at=T0))
    assert counts(session_factory) == before


#: The statement of a retry that has to wait for the first request's transaction: SQLite queues
#: writers at ``BEGIN IMMEDIATE``; PostgreSQL lets the retry work until it inserts the same key.
BLOCKED_BY_THE_FIRST = ("BEGIN IMMEDIATE", "INSERT INTO intake_idempotency_keys")


def test_concurrent_retries_with_one_key_make_one_ticket(session_factory, engine, backend):
    """The second request runs while the first is still uncommitted; it ends with the first's ticket.

    A barrier holds the first request's transaction open until the retry is about to send the
    statement that must wait for it, so the two always overlap; no sleep decides whether they do.
    """
    barrier = threading.Barrier(2, timeout=10)
    outcome: dict[str, object] = {}
    retry_thread: list[threading.Thread] = []

    def meet_the_first(conn, cursor, statement, parameters, context, executemany) -> None:
        if (threading.current_thread() in retry_thread and "at_barrier" not in outcome
                and statement.lstrip().startswith(BLOCKED_BY_THE_FIRST)):
            outcome["at_barrier"] = statement.split("(")[0].strip()
            barrier.wait()

    def retry() -> None:
        try:
            with transaction(session_factory) as db:
                outcome["id"] = intake.create_ticket(db, AGENT, report(), now=T0, locator=LOCATOR,
                                                     idempotency_key="race").ticket.id
        except sa.exc.IntegrityError:  # PostgreSQL: the unique key, once the first commits
            with transaction(session_factory) as db:
                outcome["id"] = intake.replay_idempotent(db, AGENT, "race", report()).ticket.id
                outcome["lost_race"] = True
        except threading.BrokenBarrierError:
            outcome["error"] = "the first request gave up waiting"

    sa.event.listen(engine, "before_cursor_execute", meet_the_first)
    try:
        with transaction(session_factory) as db:
            first_id = intake.create_ticket(db, AGENT, report(), now=T0, locator=LOCATOR,
                                            idempotency_key="race").ticket.id
            retry_thread.append(threading.Thread(target=retry))
            retry_thread[0].start()
            barrier.wait()  # the retry is about to wait for this transaction, which commits now
        retry_thread[0].join(10)
    finally:
        sa.event.remove(engine, "before_cursor_execute", meet_the_first)
    assert not retry_thread[0].is_alive()
    assert outcome["id"] == first_id, outcome
    if backend == "postgresql":  # the retry had stored its own ticket, uncommitted, before it lost
        assert outcome["at_barrier"] == "INSERT INTO intake_idempotency_keys" and outcome["lost_race"], outcome
    else:  # SQLite: the retry queued behind the first and then replayed its ticket
        assert outcome["at_barrier"] == "BEGIN IMMEDIATE" and "lost_race" not in outcome, outcome
    assert counts(session_factory)["tickets"] == 1


def test_preview_classification_needs_no_database():
    rep = report(symptom="meter_fault", odour=None)
    assert intake.preview_classification(rep).ticket_class is TicketClass.EMERGENCY
    assert intake.preview_classification(replace(rep, odour="no")).ticket_class is TicketClass.URGENT
