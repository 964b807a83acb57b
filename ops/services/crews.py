"""Depots, crews, their members, positions and statuses: what the dispatcher's map shows (R7, R14).

Positions and statuses change all day; each change is audited because R13.1 disputes ("the crew
says it left at 10:05") are settled from this trail, and R14 timeliness is measured against it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.audit import record, snapshot
from ops.errors import ServiceError, check_aware
from ops.models import Crew, CrewMember, CrewPosition, Depot, User
from ops.permissions import Actor, require
from ops.services.replan import ReplanReason, request_replan
from ops.vocabulary import CrewStatus, ShiftPattern, Skill

__all__ = [
    "CrewMemberIn",
    "create_crew",
    "create_depot",
    "record_position",
    "set_status",
]


@dataclass(frozen=True)
class CrewMemberIn:
    """One person of a crew; ``user_id`` links the login used on the crew page, if any."""

    name: str
    phone: str | None = None
    user_id: int | None = None


def _check_lon_lat(lon: float, lat: float) -> None:
    if not (isinstance(lon, int | float) and math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ServiceError("crew.longitude", "lon", {"value": repr(lon)})
    if not (isinstance(lat, int | float) and math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ServiceError("crew.latitude", "lat", {"value": repr(lat)})


def create_depot(
    session: Session, actor: Actor, *, name: str, lon: float, lat: float,
    district_id: int | None = None, now: datetime,
) -> Depot:
    """A depot where crews start their shift."""
    require(actor, "crew.manage")
    check_aware(now, "now")
    if not name.strip():
        raise ServiceError("depot.name_required", "name")
    _check_lon_lat(lon, lat)
    if session.scalar(sa.select(Depot.id).where(Depot.name == name.strip())) is not None:
        raise ServiceError("depot.name_taken", "name", {"name": repr(name.strip())})
    depot = Depot(name=name.strip(), lon=float(lon), lat=float(lat), district_id=district_id)
    session.add(depot)
    session.flush()
    record(session, actor_id=actor.user_id, actor_label=actor.label, action="depot.create",
           entity="depot", entity_id=depot.id, after=snapshot(depot), at=now)
    return depot


def create_crew(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    depot_id: int | None,
    skills: Iterable[Skill | str],
    shift_pattern: ShiftPattern | str,
    shift_start_hour: int,
    shift_end_hour: int,
    members: Sequence[CrewMemberIn] = (),
    status: CrewStatus | str = CrewStatus.OFF_SHIFT,
    now: datetime,
) -> Crew:
    """A crew with its skills, shift (local hours; end < start runs past midnight) and members."""
    require(actor, "crew.manage")
    check_aware(now, "now")
    code = code.strip()
    if not code:
        raise ServiceError("crew.code_required", "code")
    if not name.strip():
        raise ServiceError("crew.name_required", "name")
    try:
        skill_values = sorted({Skill(s).value for s in skills})
    except ValueError as exc:
        raise ServiceError("crew.skill_unknown", "skills", {"value": str(exc)}) from None
    if not skill_values:
        raise ServiceError("crew.skills_required", "skills")
    try:
        pattern = ShiftPattern(shift_pattern)
    except ValueError:
        raise ServiceError("crew.shift_pattern_unknown", "shift_pattern", {"value": repr(shift_pattern)}) from None
    try:
        crew_status = CrewStatus(status)
    except ValueError:
        raise ServiceError("crew.status_unknown", "status", {"value": repr(status)}) from None
    if not 0 <= shift_start_hour <= 23:
        raise ServiceError("crew.shift_start", "shift_start_hour", {"value": shift_start_hour})
    if not 0 <= shift_end_hour <= 24 or shift_end_hour == shift_start_hour:
        raise ServiceError("crew.shift_end", "shift_end_hour", {"value": shift_end_hour})
    if session.scalar(sa.select(Crew.id).where(Crew.code == code)) is not None:
        raise ServiceError("crew.code_taken", "code", {"code": repr(code)})
    if depot_id is not None and session.get(Depot, depot_id) is None:
        raise ServiceError("depot.not_found", "depot_id", {"value": depot_id})
    for i, member in enumerate(members):
        if not member.name.strip():
            raise ServiceError("crew.member_name_required", f"members[{i}].name")
        if member.user_id is not None and session.get(User, member.user_id) is None:
            raise ServiceError("user.not_found", f"members[{i}].user_id", {"value": member.user_id})

    depot = session.get(Depot, depot_id) if depot_id is not None else None
    crew = Crew(
        code=code, name=name.strip(), depot_id=depot_id, skills=skill_values, shift_pattern=pattern,
        shift_start_hour=shift_start_hour, shift_end_hour=shift_end_hour, status=crew_status,
        last_lon=depot.lon if depot else None, last_lat=depot.lat if depot else None,
        members=[CrewMember(name=m.name.strip(), phone=m.phone, user_id=m.user_id) for m in members],
    )
    session.add(crew)
    session.flush()
    record(
        session, actor_id=actor.user_id, actor_label=actor.label, action="crew.create",
        entity="crew", entity_id=crew.id,
        after={**snapshot(crew), "members": [snapshot(m) for m in crew.members]}, at=now,
    )
    return crew


def record_position(
    session: Session,
    actor: Actor,
    crew: Crew,
    lon: float,
    lat: float,
    at: datetime,
    *,
    source: str = "gps",
    speed_kmh: float | None = None,
    heading_deg: float | None = None,
) -> CrewPosition:
    """Store one position ping and move the crew's marker, unless the ping is older than the last one.

    GPS pings can arrive out of order over a mobile network; an old ping goes into the history but
    must not pull the marker backwards.
    """
    require(actor, "crew.report_position")
    check_aware(at, "at")
    _check_lon_lat(lon, lat)
    if speed_kmh is not None and not (math.isfinite(speed_kmh) and speed_kmh >= 0):
        raise ServiceError("crew.speed", "speed_kmh", {"value": repr(speed_kmh)})
    if heading_deg is not None and not (math.isfinite(heading_deg) and 0 <= heading_deg < 360):
        raise ServiceError("crew.heading", "heading_deg", {"value": repr(heading_deg)})
    ping = CrewPosition(crew_id=crew.id, at=at, lon=float(lon), lat=float(lat), speed_kmh=speed_kmh,
                        heading_deg=heading_deg, source=source)
    session.add(ping)
    moved = crew.last_position_at is None or at >= crew.last_position_at
    if moved:
        crew.last_lon, crew.last_lat, crew.last_position_at = float(lon), float(lat), at
    record(
        session, actor_id=actor.user_id, actor_label=actor.label, action="crew.position",
        entity="crew", entity_id=crew.id,
        after={"lon": float(lon), "lat": float(lat), "at": at, "source": source, "moved_marker": moved},
        at=at,
    )
    return ping


def set_status(
    session: Session, actor: Actor, crew: Crew, status: CrewStatus | str, *, at: datetime,
    note: str | None = None,
) -> Crew:
    """Change what the map shows for ``crew`` (on/off shift, available, en route ...), audited."""
    require(actor, "crew.set_status")
    check_aware(at, "at")
    try:
        new = CrewStatus(status)
    except ValueError:
        raise ServiceError("crew.status_unknown", "status", {"value": repr(status)}) from None
    before = crew.status
    crew.status = new
    if before != new:  # on or off shift, available or not: who can go where has changed
        request_replan(session, at, ReplanReason.CREW_STATUS)
    record(
        session, actor_id=actor.user_id, actor_label=actor.label, action="crew.set_status",
        entity="crew", entity_id=crew.id, before={"status": before}, after={"status": new},
        note=note, at=at,
    )
    return crew
