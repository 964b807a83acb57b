"""The appointment slots a class-3 caller is offered, each graded by what it costs the plan (R6.4).

:func:`slot_grades` reads each day's roster and committed work (:mod:`ops.reads.day_roster`) and
grades every offered slot of those days for a job at the caller's place by cheapest insertion
(:mod:`optimizer.slots`, whose docstring defines *feasible*, *tight* and *not possible*). The
hotline page, the API and the booking checks of intake and rescheduling all read it, so a slot the
agent sees as feasible is the slot the service accepts.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops import rules
from ops.clock import epoch, require_aware
from ops.dispatching import required_skill, service_seconds
from ops.errors import Problems, ServiceError
from ops.models import Crew
from ops.reads.day_roster import day_rosters
from ops.rules.settings import resolve
from ops.vocabulary import Symptom, TicketClass
from optimizer.dispatch_types import TravelTimes
from optimizer.network import RoadNetwork
from optimizer.slots import Grade, NewJob, RowCacheTravel, Slot, grade_slots

__all__ = ["GradedSlot", "SlotOffer", "grade_one_slot", "slot_grades"]


@dataclass(frozen=True)
class GradedSlot:
    """One slot and its grade; the crew, extra drive and slack of the insertion that earns it."""

    start: datetime
    end: datetime
    grade: Grade
    crew_id: int | None = None
    crew_code: str | None = None
    extra_drive_s: int | None = None
    slack_s: int | None = None
    arrival: datetime | None = None

    @property
    def bookable(self) -> bool:
        """What may be booked without a supervisor's override."""
        return self.grade is not Grade.NOT_POSSIBLE


@dataclass(frozen=True)
class SlotOffer:
    service_minutes: int
    required_skill: str | None
    slots: tuple[GradedSlot, ...]
    #: Booked class-3 tickets on these days that no crew can keep, already (they still hold their place).
    unplaced: int


_KEPT: weakref.WeakKeyDictionary[RoadNetwork, RowCacheTravel] = weakref.WeakKeyDictionary()
_KEPT_LOCK = threading.Lock()


def kept_travel(network: RoadNetwork) -> RowCacheTravel:
    """The network's travel rows, kept for the process: the committed routes' legs do not change per caller."""
    with _KEPT_LOCK:
        if network not in _KEPT:
            _KEPT[network] = RowCacheTravel(network)
        return _KEPT[network]


def _job_kind(symptom: str) -> SimpleNamespace:
    try:
        value = Symptom(symptom)
    except ValueError:
        raise ServiceError("not_allowed_value", "symptom") from None
    # what ops.dispatching reads of a ticket: a class-3 visit of this kind
    return SimpleNamespace(ticket_class=int(TicketClass.SCHEDULED), symptom=value.value)


#: A point farther than this from every road of the network is not in the service area.
MAX_SNAP_M = 2_000.0


def _node(network: RoadNetwork, lon: float, lat: float) -> int:
    problems = Problems()
    for name, value, bound in (("lon", lon, 180), ("lat", lat, 90)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not -bound <= value <= bound:
            problems.add("location.invalid", name)
    problems.raise_if_any()
    node, dist = network.snap(lon, lat)
    if float(dist[0]) > MAX_SNAP_M:
        raise ServiceError("location.outside", "lon")
    return int(node[0])


def _grade(db: Session, network: RoadNetwork, lon: float, lat: float, symptom: str,
           wanted: dict[date, list[tuple[datetime, datetime]]], now: datetime, *, travel: TravelTimes | None,
           exclude_ticket_id: int | None, rule_settings: rules.RuleSettings | None) -> SlotOffer:
    require_aware(now, "now")
    kind = _job_kind(symptom)
    skill = required_skill(kind)
    job = NewJob(_node(network, lon, lat), service_seconds(kind), skill)
    r = resolve(rule_settings)
    rosters = day_rosters(db, network, sorted(wanted), now, travel=travel or kept_travel(network),
                          exclude_ticket_id=exclude_ticket_id, rule_settings=r)
    codes = dict(db.execute(sa.select(Crew.id, Crew.code)).tuples().all())
    out: list[GradedSlot] = []
    for roster in rosters:
        slots = wanted[roster.day]
        grades = grade_slots(roster.crews, job, [Slot(epoch(a), epoch(b)) for a, b in slots], roster.travel,
                             margin_s=r.appointment_tight_minutes * 60)
        for (start, end), g in zip(slots, grades, strict=True):
            best = g.best
            out.append(GradedSlot(
                start=start, end=end, grade=g.grade, crew_id=best.crew_id if best else None,
                crew_code=codes.get(best.crew_id) if best else None,
                extra_drive_s=best.extra_drive_s if best else None, slack_s=best.slack_s if best else None,
                arrival=datetime.fromtimestamp(best.arrival_s, UTC) if best else None))
    return SlotOffer(service_minutes=job.service_s // 60, required_skill=skill, slots=tuple(out),
                     unplaced=sum(len(r.unplaced) for r in rosters))


def slot_grades(db: Session, network: RoadNetwork, *, lon: float, lat: float, symptom: str, now: datetime,
                day: date | None = None, travel: TravelTimes | None = None, exclude_ticket_id: int | None = None,
                rule_settings: rules.RuleSettings | None = None) -> SlotOffer:
    """Every offered slot of ``day`` (default: today and the next days, ``appointment_days`` in all), graded.

    Refuses (``ServiceError`` naming the field) an unknown symptom, a point that is not a longitude
    and latitude, and a day outside the days offered at ``now``.
    """
    days = rules.appointment_days(now, rule_settings)
    if day is not None:
        if day not in days:
            raise ServiceError("appointment.day_range", "date", {"days": len(days)})
        days = [day]
    return _grade(db, network, lon, lat, symptom, {d: rules.day_slots(d, rule_settings) for d in days}, now,
                  travel=travel, exclude_ticket_id=exclude_ticket_id, rule_settings=rule_settings)


def grade_one_slot(db: Session, network: RoadNetwork, *, lon: float, lat: float, symptom: str, start: datetime,
                   end: datetime, now: datetime, travel: TravelTimes | None = None,
                   exclude_ticket_id: int | None = None,
                   rule_settings: rules.RuleSettings | None = None) -> GradedSlot:
    """The grade of one slot (any start and end: an API client may book a window of its own)."""
    day = rules.to_local(start, rule_settings).date()
    offer = _grade(db, network, lon, lat, symptom, {day: [(start, end)]}, now, travel=travel,
                   exclude_ticket_id=exclude_ticket_id, rule_settings=rule_settings)
    return offer.slots[0]
