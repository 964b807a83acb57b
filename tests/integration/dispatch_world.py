"""A small dispatch world on a synthetic grid: crews with logins, tickets of each class, actors.

At 36 km/h an arc of 100 m takes 10 s (``grid_network``), so ETAs are easy to reason about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ops.models import Crew, CrewMember, Ticket, User
from ops.permissions import Actor
from ops.vocabulary import (
    Answer,
    Channel,
    CrewStatus,
    Judgement,
    Role,
    ShiftPattern,
    Skill,
    Symptom,
    TicketClass,
    TicketStatus,
)
from optimizer.network import RoadNetwork, grid_network

NETWORK: RoadNetwork = grid_network(6, 6)
SUPERVISOR = Actor(user_id=None, label="supervisor Li", roles=frozenset({Role.SUPERVISOR}))


def node_lonlat(node: int) -> tuple[float, float]:
    return float(NETWORK.lon[node]), float(NETWORK.lat[node])


@dataclass
class World:
    db: Session
    now: datetime
    _n: int = 0

    def seq(self) -> int:
        self._n += 1
        return self._n

    def crew(self, node: int, *, skills: tuple[str, ...] = (Skill.LEAK_REPAIR.value, Skill.METER.value),
             status: CrewStatus = CrewStatus.AVAILABLE, with_user: bool = True) -> Crew:
        n = self.seq()
        lon, lat = node_lonlat(node)
        crew = Crew(code=f"CR{n:02d}", name=f"Crew {n}", skills=list(skills), shift_pattern=ShiftPattern.DAY,
                    shift_start_hour=0, shift_end_hour=24, status=status, last_lon=lon, last_lat=lat,
                    last_position_at=self.now)
        self.db.add(crew)
        self.db.flush()
        if with_user:
            user = User(username=f"crew{n}", display_name=f"Crew member {n}", created_at=self.now)
            self.db.add(user)
            self.db.flush()
            self.db.add(CrewMember(crew_id=crew.id, name=f"Member {n}", user_id=user.id))
            self.db.flush()
        return crew

    def member(self, crew: Crew) -> Actor:
        return Actor(user_id=crew.members[0].user_id, label=f"crew {crew.code}",
                     roles=frozenset({Role.CREW_MEMBER}))

    def ticket(self, node: int, ticket_class: int = 1, *, received_at: datetime | None = None,
               **kw: Any) -> Ticket:
        n = self.seq()
        at = received_at or self.now
        lon, lat = node_lonlat(node)
        cls = TicketClass(ticket_class)
        fields: dict[str, Any] = {
            "ticket_no": f"T{n:06d}", "channel": Channel.HOTLINE, "received_at": at, "created_at": at,
            "reporter_name": "Ana Rojas", "reporter_phone": "0512-555-0199", "address": "Calle 1",
            "lon": lon, "lat": lat, "fault_started_at": at - timedelta(minutes=5),
            "odour": Answer.YES if cls is TicketClass.EMERGENCY else Answer.NO, "abnormal_noise": Answer.NO,
            "people_on_site": Answer.YES, "ventilated": Answer.YES, "valve_closed": Answer.YES,
            "agent_judgement": Judgement.EMERGENCY if cls is TicketClass.EMERGENCY else Judgement.GENERAL,
            "proposed_class": cls, "ticket_class": cls, "rule_version": "test", "status": TicketStatus.NEW,
        }
        if cls is TicketClass.EMERGENCY:
            fields.update(symptom=Symptom.GAS_LEAK, depart_deadline=at + timedelta(minutes=30),
                          onsite_target=at + timedelta(minutes=60))
        elif cls is TicketClass.URGENT:
            fields.update(symptom=Symptom.NO_GAS, dispatch_deadline=at + timedelta(hours=2),
                          onsite_target=at + timedelta(hours=4), onsite_limit=at + timedelta(hours=8))
        else:
            start = at + timedelta(hours=1)
            fields.update(symptom=Symptom.MAINTENANCE, slot_start=start, slot_end=start + timedelta(hours=2))
        fields.update(kw)
        ticket = Ticket(**fields)
        self.db.add(ticket)
        self.db.flush()
        from ops.models import TicketReporter

        self.db.add(TicketReporter(ticket_id=ticket.id, name="Ana Rojas", phone="0512-555-0199",
                                   channel=Channel.HOTLINE, received_at=at))
        self.db.flush()
        return ticket
