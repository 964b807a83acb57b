"""R6.4 appointment booking: slots graded against each day's roster, intake refusing a slot no crew can
keep (unless a supervisor forces it with a reason), and moving a booked slot with the customer's agreement.

The grid is 6 × 6 at 10 s a block, so driving is a minute or two: what decides a slot here is the
shift and the work already committed, which the tests set up hour by hour (America/Santiago, UTC-3
in December).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from ops import rules
from ops.db import transaction
from ops.errors import ServiceError
from ops.models import AuditEvent
from ops.permissions import Actor, PermissionDenied
from ops.reads.appointment_slots import slot_grades
from ops.services import intake
from ops.services.appointments import reschedule_appointment
from ops.services.work_orders import confirm_dispatch
from ops.vocabulary import Role, Skill, Symptom
from optimizer.slots import Grade
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World, node_lonlat

ZONE = ZoneInfo("America/Santiago")
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=ZONE).astimezone(UTC)  # 08:00 local, a Wednesday
TODAY = date(2026, 12, 2)
AGENT = Actor(user_id=None, label="agent Ana", roles=frozenset({Role.HOTLINE_AGENT}))
INSTALL = (Skill.INSTALLATION.value, Skill.METER.value)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


@pytest.fixture
def world(session_factory):
    with transaction(session_factory) as db:
        yield World(db, NOW)


def day_crew(world: World, node: int = 0, start: int = 8, end: int = 16, skills=INSTALL):
    crew = world.crew(node, skills=skills, with_user=False)
    crew.shift_start_hour, crew.shift_end_hour = start, end
    world.db.flush()
    return crew


def booked(world: World, node: int, day: date, hour: int, symptom=Symptom.INSTALLATION):
    return world.ticket(node, 3, symptom=symptom, slot_start=local(day, hour), slot_end=local(day, hour + 2),
                        received_at=NOW - timedelta(days=1))


def grades(world: World, node: int = 35, symptom: str = "installation", day: date | None = TODAY, **kw):
    lon, lat = node_lonlat(node)
    offer = slot_grades(world.db, NETWORK, lon=lon, lat=lat, symptom=symptom, now=NOW, day=day, **kw)
    return {rules.to_local(s.start).hour: s for s in offer.slots}


def test_no_crew_no_slot(world):
    assert {g.grade for g in grades(world).values()} == {Grade.NOT_POSSIBLE}


def test_the_shift_bounds_the_slots_and_the_margin_makes_one_tight(world):
    crew = day_crew(world)  # 08:00-16:00
    g = grades(world)  # a 90-minute installation
    assert sorted(g) == [8, 10, 12, 14, 16, 18]
    assert [g[h].grade for h in (8, 10, 12, 14)] == [Grade.FEASIBLE] * 4
    assert g[16].grade is Grade.NOT_POSSIBLE and g[18].grade is Grade.NOT_POSSIBLE
    assert g[14].crew_id == crew.id and g[14].crew_code == crew.code and g[14].extra_drive_s > 0
    assert g[14].slack_s == 30 * 60  # starts at 14:00, ends 15:30, shift ends 16:00
    strict = grades(world, rule_settings=rules.RuleSettings(appointment_tight_minutes=45))
    assert strict[14].grade is Grade.TIGHT and strict[12].grade is Grade.FEASIBLE


def test_a_crew_without_the_skill_is_not_offered(world):
    day_crew(world, skills=(Skill.LEAK_REPAIR.value,))
    assert {g.grade for g in grades(world).values()} == {Grade.NOT_POSSIBLE}
    assert grades(world, symptom="consultation")[10].grade is Grade.FEASIBLE  # needs no skill


def test_booked_work_fills_a_slot_and_tomorrow_is_a_day_of_its_own(world):
    day_crew(world)
    booked(world, 10, TODAY, 10)
    booked(world, 20, TODAY, 10)  # two 90-minute installations, 10:00-11:30 and 11:31-13:01
    g = grades(world)
    assert g[10].grade is Grade.NOT_POSSIBLE  # before them would make one late; after them is past 12:00
    assert g[12].grade is Grade.FEASIBLE
    assert grades(world, day=TODAY + timedelta(days=1))[10].grade is Grade.FEASIBLE
    every = grades(world, day=None)
    assert len(every) == 6  # keyed by hour: the five days' slots share hours
    lon, lat = node_lonlat(35)
    offer = slot_grades(world.db, NETWORK, lon=lon, lat=lat, symptom="installation", now=NOW)
    assert len(offer.slots) == 5 * 6 and offer.service_minutes == 90 and offer.unplaced == 0


def test_a_current_order_is_committed_work(world):
    crew = day_crew(world)
    # a class 2 whose on-site target falls 2 minutes from now, 50 s from the crew
    urgent = world.ticket(30, 2, received_at=NOW - timedelta(hours=3, minutes=58))
    confirm_dispatch(world.db, SUPERVISOR, urgent.id, crew.id, None, NOW, override_reason="test")
    g = grades(world, symptom="installation")
    # the installation cannot go first (the urgent job would be late): it follows the 40-minute job
    assert g[8].grade is Grade.FEASIBLE and g[8].arrival >= NOW + timedelta(minutes=40)
    world.db.delete(urgent.work_orders[0])
    urgent.status = "new"
    world.db.flush()
    assert grades(world, symptom="installation")[8].arrival < NOW + timedelta(minutes=5)


def test_a_day_outside_the_offer_and_a_bad_symptom_are_refused(world):
    for kw, field in ((dict(day=TODAY + timedelta(days=5)), "date"), (dict(symptom="pizza"), "symptom")):
        with pytest.raises(ServiceError) as refused:
            grades(world, **kw)
        assert refused.value.field == field


# ------------------------------------------------------------------------------ intake
def report(node: int, start: datetime, **kw) -> intake.ReportIn:
    lon, lat = node_lonlat(node)
    return intake.ReportIn(channel="hotline", reporter_name="Ana", phone="+56 9 5555 0100", address="Calle 1",
                           symptom="installation", started_at=NOW, lon=lon, lat=lat, odour=False,
                           appointment_start=start, appointment_end=start + timedelta(hours=2), **kw)


class _Locator:
    """Everything is inside the service area; no streets or districts (the report gives a point)."""

    def inside(self, lon: float, lat: float) -> bool:
        return True

    def match_street(self, text: str):
        return None

    def district_code(self, lon: float, lat: float):
        return None


LOCATOR = _Locator()


def test_intake_refuses_a_slot_no_crew_can_keep_unless_a_supervisor_forces_it(world):
    day_crew(world)
    evening = local(TODAY, 18)
    with pytest.raises(ServiceError) as refused:
        intake.create_ticket(world.db, AGENT, report(35, evening), now=NOW, locator=LOCATOR, network=NETWORK)
    assert (refused.value.code, refused.value.field) == ("appointment.not_possible", "appointment")
    with pytest.raises(PermissionDenied):
        intake.create_ticket(world.db, AGENT, report(35, evening, appointment_forced=True,
                                                     appointment_reason="customer insists"),
                             now=NOW, locator=LOCATOR, network=NETWORK)
    with pytest.raises(ServiceError) as refused:
        intake.create_ticket(world.db, SUPERVISOR, report(35, evening, appointment_forced=True),
                             now=NOW, locator=LOCATOR, network=NETWORK)
    assert (refused.value.code, refused.value.field) == ("appointment.force_reason", "appointment_reason")
    forced = intake.create_ticket(world.db, SUPERVISOR, report(35, evening, appointment_forced=True,
                                                               appointment_reason="overtime agreed"),
                                  now=NOW, locator=LOCATOR, network=NETWORK).ticket
    event = world.db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ticket.create",
                                                        AuditEvent.entity_id == str(forced.id)))
    assert event.recommendation["appointment"]["grade"] == "not_possible"
    assert event.recommendation["appointment"]["forced_reason"] == "overtime agreed"
    fine = intake.create_ticket(world.db, AGENT, report(35, local(TODAY, 10)), now=NOW, locator=LOCATOR,
                                network=NETWORK).ticket
    event = world.db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ticket.create",
                                                        AuditEvent.entity_id == str(fine.id)))
    assert event.recommendation["appointment"]["grade"] == "feasible"


# ------------------------------------------------------------------------------ rescheduling
def test_a_booked_slot_moves_with_a_reason_and_is_audited(world):
    day_crew(world)
    t = booked(world, 35, TODAY, 10)
    moved = reschedule_appointment(world.db, AGENT, t.id, local(TODAY, 12), NOW, reason="customer asked",
                                   network=NETWORK)
    assert rules.to_local(moved.slot_start) == local(TODAY, 12) and rules.to_local(moved.slot_end) == local(TODAY, 14)
    d = rules.Deadlines.from_ticket(moved)
    assert (d.slot_start, d.slot_end) == (moved.slot_start, moved.slot_end)
    event = world.db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ticket.reschedule"))
    assert event.after["reason"] == "customer asked" and event.recommendation["grade"] == "feasible"
    assert event.before["slot_start"] == local(TODAY, 10).astimezone(UTC).isoformat()


def test_its_own_booking_does_not_stand_in_the_way(world):
    """One crew on 09:00-12:00 with one 90-minute booking at 10-12: there is no room for a second one at
    08-10, but the booking itself may move there (graded without its old place)."""
    day_crew(world, start=9, end=12)
    t = booked(world, 35, TODAY, 10)
    assert grades(world)[8].grade is Grade.NOT_POSSIBLE
    reschedule_appointment(world.db, AGENT, t.id, local(TODAY, 8), NOW, reason="customer asked", network=NETWORK)


@pytest.mark.parametrize("case", ["reason", "offered", "same", "class", "impossible", "past"])
def test_rescheduling_refusals(world, case):
    day_crew(world)
    t = booked(world, 35, TODAY, 10)
    kw = dict(reason="customer asked", network=NETWORK)
    slot, ticket_id, expected = local(TODAY, 12), t.id, None
    if case == "reason":
        kw["reason"], expected = "  ", ("reason_required", "reason")
    elif case == "offered":
        slot, expected = local(TODAY, 11), ("appointment.not_offered", "slot_start")
    elif case == "same":
        slot, expected = local(TODAY, 10), ("appointment.same_slot", "slot_start")
    elif case == "class":
        ticket_id, expected = world.ticket(3, 2).id, ("appointment.not_scheduled", "ticket_id")
    elif case == "impossible":
        slot, expected = local(TODAY, 18), ("appointment.not_possible", "appointment")
    else:
        slot, expected = local(TODAY, 4), ("appointment.not_offered", "slot_start")
    with pytest.raises(ServiceError) as refused:
        reschedule_appointment(world.db, AGENT, ticket_id, slot, NOW, **kw)
    assert (refused.value.code, refused.value.field) == expected
    if case == "impossible":
        with pytest.raises(PermissionDenied):
            reschedule_appointment(world.db, AGENT, t.id, slot, NOW, force=True, **kw)
        reschedule_appointment(world.db, SUPERVISOR, t.id, slot, NOW, force=True, **kw)
        event = world.db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ticket.reschedule"))
        assert event.recommendation["forced_reason"] == "customer asked"


def test_a_slot_that_is_over_cannot_be_booked_by_moving(world):
    day_crew(world)
    t = booked(world, 35, TODAY, 10)
    later = NOW + timedelta(hours=4)  # 12:00 local: the 08:00-10:00 slot is over
    with pytest.raises(ServiceError) as refused:
        reschedule_appointment(world.db, AGENT, t.id, local(TODAY, 8), later, reason="x", network=NETWORK)
    assert refused.value.code == "appointment.past"



def test_a_crews_queue_is_committed_work_in_its_order(world):
    """R7.6: a class 2 queued behind the current one is on the crew's route too, second."""
    crew = day_crew(world)
    first = world.ticket(30, 2, received_at=NOW - timedelta(hours=3, minutes=58))  # due on site in 2 min
    second = world.ticket(5, 2, received_at=NOW - timedelta(hours=3, minutes=15))  # due in 45 min
    confirm_dispatch(world.db, SUPERVISOR, first.id, crew.id, None, NOW, override_reason="test")
    queued = confirm_dispatch(world.db, SUPERVISOR, second.id, crew.id, None, NOW, override_reason="test")
    assert queued.status.value == "queued"
    # the installation can only follow both 40-minute jobs: before the second it would make it late
    g = grades(world, symptom="installation")
    assert g[8].grade is Grade.FEASIBLE and g[8].arrival >= NOW + timedelta(minutes=80)


def test_lowering_to_class_3_grades_the_slot_as_intake_does(world):
    """R6.5 + R6.4: a class change that books a slot no crew can keep is refused like a booking at
    intake; a supervisor may force it, and the change's reason is the override's."""
    day_crew(world)  # 08:00-16:00
    ticket = world.ticket(35, 2, symptom=Symptom.INSTALLATION)
    late = dict(appointment_start=local(TODAY, 18), appointment_end=local(TODAY, 20), network=NETWORK)
    with pytest.raises(ServiceError) as refused:
        intake.change_class(world.db, AGENT, ticket.id, 3, "the customer asked for a visit", NOW, **late)
    assert (refused.value.code, refused.value.field) == ("appointment.not_possible", "appointment")
    with pytest.raises(PermissionDenied):
        intake.change_class(world.db, AGENT, ticket.id, 3, "asked", NOW, force_slot=True, **late)
    intake.change_class(world.db, SUPERVISOR, ticket.id, 3, "only evenings", NOW, force_slot=True, **late)
    event = world.db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ticket.change_class"))
    assert event.recommendation["appointment"]["forced_reason"] == "only evenings"
    assert event.recommendation["appointment"]["grade"] == "not_possible"


def test_lowering_to_class_3_into_a_slot_a_crew_can_keep_records_its_grade(world):
    day_crew(world)
    ticket = world.ticket(35, 2, symptom=Symptom.INSTALLATION)
    intake.change_class(world.db, AGENT, ticket.id, 3, "no hurry after all", NOW, network=NETWORK,
                        appointment_start=local(TODAY, 10), appointment_end=local(TODAY, 12))
    event = world.db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ticket.change_class"))
    assert event.recommendation["appointment"]["grade"] == "feasible"


def test_a_held_booking_whose_slot_is_over_is_still_that_crews_work_today(world):
    """An overdue class 3 a crew holds is not dropped from its day: the crew still has to do it."""
    from ops.reads.appointment_slots import kept_travel
    from ops.reads.day_roster import day_rosters

    crew = day_crew(world)
    overdue = booked(world, 30, TODAY - timedelta(days=1), 10)
    confirm_dispatch(world.db, SUPERVISOR, overdue.id, crew.id, None, NOW, override_reason="test")
    (roster,) = day_rosters(world.db, NETWORK, [TODAY], NOW, travel=kept_travel(NETWORK))
    (day,) = [c for c in roster.crews if c.crew_id == crew.id]
    assert [s.id for s in day.stops] == [overdue.id]
