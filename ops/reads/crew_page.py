"""The crew page's read model: the logged-in member's crew, its current order and what comes next.

The page runs on a phone in a van, so it gets everything it shows in one call and plain rows (no ORM
objects that lazy-load after the session closed). The deadlines are the ones stored on the ticket at
intake (R6) plus the R7.2 acknowledgement deadline, each with the moment it was met, so the crew sees
what is still racing a clock and what is done. R7.6: the crew sees its queue before those orders
become current (``next_orders``: address, class, window or deadline), and, apart from it, the open
R7.3 pre-alerts addressed to it (``queued``: what the system asked it to get ready for, not confirmed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops import rules
from ops.models import Alert, AlertKind, Crew, CrewMember, Customer, GasReading, Ticket, WorkOrder
from ops.queries import awaiting_crew, order_is_current
from ops.reads.crew_queue import QueueEntry, crew_queues
from ops.reads.emergency_contact import EmergencyContact, emergency_contact
from ops.vocabulary import TicketClass

__all__ = ["CrewOrder", "CrewPage", "DeadlineRow", "QueuedTicket", "ReadingRow", "Standby", "crew_page"]


@dataclass(frozen=True)
class DeadlineRow:
    """One deadline of the order; ``label`` is a key of :data:`DEADLINE_LABELS`, ``met_at`` when done."""

    label: str
    at: datetime
    met_at: datetime | None

    def seconds_left(self, now: datetime) -> float:
        return (self.at - now).total_seconds()


@dataclass(frozen=True)
class ReadingRow:
    ppm: float
    measured_at: datetime


@dataclass(frozen=True)
class CrewOrder:
    """The current work order as the crew needs it on site (R5 intake facts, R6 deadlines, R8 steps)."""

    order_id: int
    version: int
    status: str
    ticket_id: int
    ticket_no: str
    ticket_class: int
    symptom: str
    description: str | None
    special_requests: str | None
    address: str
    door_no: str | None
    location_approximate: bool
    lon: float
    lat: float
    customer_name: str
    customer_number: str | None
    phone: str
    #: R5.2 questions and R5.3 safety state: "yes", "no" or "unknown" (unknown is the worst case).
    odour: str
    abnormal_noise: str
    people_on_site: str
    ventilated: str
    valve_closed: str
    received_at: datetime
    dispatched_at: datetime
    acknowledged_at: datetime | None
    departed_at: datetime | None
    arrived_at: datetime | None
    deadlines: tuple[DeadlineRow, ...]
    readings: tuple[ReadingRow, ...]
    #: R4.2: whom to call for this household, and whether it needs extra care.
    contact: EmergencyContact | None = None

    @property
    def needs_reading(self) -> bool:
        """R8.3: a class-1 order needs a detector reading before any other work (and completion)."""
        return self.ticket_class == int(TicketClass.EMERGENCY) and not self.readings


@dataclass(frozen=True)
class QueuedTicket:
    """A ticket the crew has been pre-alerted for (R7.3) but not yet dispatched to."""

    ticket_id: int
    ticket_no: str
    ticket_class: int
    symptom: str
    address: str
    alerted_at: datetime


@dataclass(frozen=True)
class Standby:
    """Where the office asked the crew to wait (issue 13); advice, not a work order."""

    lon: float
    lat: float
    note: str | None
    since: datetime
    by: str | None


@dataclass(frozen=True)
class CrewPage:
    crew_id: int
    crew_code: str
    crew_name: str
    crew_status: str
    member_names: tuple[str, ...]
    lon: float | None
    lat: float | None
    position_at: datetime | None
    order: CrewOrder | None
    queued: tuple[QueuedTicket, ...]
    #: R7.6: the confirmed orders waiting behind the current one, next first.
    next_orders: tuple[QueueEntry, ...] = ()
    standby: Standby | None = None


#: When each deadline of :class:`ops.rules.Deadlines` is met, in the order the crew meets them
#: (dispatch_by is met by the order itself; a slot opening is a time, not a task).
_MET_BY: dict[str, str | None] = {"depart_by": "departed_at", "slot_start": None, "onsite_target": "arrived_at",
                                  "onsite_limit": "arrived_at", "slot_end": "arrived_at"}


def _deadlines(ticket: Ticket, order: WorkOrder) -> tuple[DeadlineRow, ...]:
    """Every deadline that applies to this order, in the order the crew meets them: the R7.2
    acknowledgement, then the ticket's R6 deadlines as the dispatch board reads them."""
    rows: list[DeadlineRow] = []
    ack_by = rules.escalation_times(ticket.ticket_class, ticket.received_at, order.current_since).ack_by
    if ack_by is not None:
        rows.append(DeadlineRow("ack_by", ack_by, order.acknowledged_at))
    deadlines = rules.Deadlines.from_ticket(ticket)
    for name, met_by in _MET_BY.items():
        at = getattr(deadlines, name)
        if at is not None:
            rows.append(DeadlineRow(name, at, getattr(order, met_by) if met_by else None))
    return tuple(rows)


def _order_row(db: Session, order: WorkOrder) -> CrewOrder:
    ticket: Ticket = order.ticket
    customer: Customer | None = ticket.customer
    readings = db.execute(
        sa.select(GasReading.ppm, GasReading.measured_at).where(GasReading.work_order_id == order.id)
        .order_by(GasReading.measured_at, GasReading.id)
    ).all()
    return CrewOrder(
        order_id=order.id, version=order.version_id, status=str(order.status), ticket_id=ticket.id,
        ticket_no=ticket.ticket_no, ticket_class=int(ticket.ticket_class), symptom=str(ticket.symptom),
        description=ticket.description, special_requests=ticket.special_requests, address=ticket.address,
        door_no=ticket.door_no, location_approximate=bool(ticket.location_approximate), lon=ticket.lon,
        lat=ticket.lat, customer_name=ticket.reporter_name,
        customer_number=customer.customer_no if customer else None,
        phone=ticket.reporter_phone, odour=str(ticket.odour), abnormal_noise=str(ticket.abnormal_noise),
        people_on_site=str(ticket.people_on_site), ventilated=str(ticket.ventilated),
        valve_closed=str(ticket.valve_closed), received_at=ticket.received_at, dispatched_at=order.dispatched_at,
        acknowledged_at=order.acknowledged_at, departed_at=order.departed_at, arrived_at=order.arrived_at,
        deadlines=_deadlines(ticket, order),
        readings=tuple(ReadingRow(ppm=float(ppm), measured_at=at) for ppm, at in readings),
        contact=emergency_contact(customer),
    )


def _queued(db: Session, crew_id: int, current_ticket_id: int | None) -> tuple[QueuedTicket, ...]:
    rows = db.execute(
        sa.select(Alert.created_at, Ticket)
        .join(Ticket, Ticket.id == Alert.ticket_id)
        .where(Alert.kind == AlertKind.PRE_ALERT, Alert.crew_id == crew_id, Alert.acknowledged_at.is_(None),
               awaiting_crew())
        .order_by(Ticket.ticket_class, Alert.created_at, Alert.id)
    ).all()
    seen: set[int] = set()
    out = []
    for alerted_at, ticket in rows:
        if ticket.id in seen or ticket.id == current_ticket_id:
            continue
        seen.add(ticket.id)
        out.append(QueuedTicket(ticket_id=ticket.id, ticket_no=ticket.ticket_no,
                                ticket_class=int(ticket.ticket_class), symptom=str(ticket.symptom),
                                address=ticket.address, alerted_at=alerted_at))
    return tuple(out)


def crew_page(db: Session, user_id: int | None) -> CrewPage | None:
    """The crew of ``user_id`` with its current order; ``None`` when the user belongs to no crew."""
    if user_id is None:
        return None
    crew = db.scalar(sa.select(Crew).join(CrewMember, CrewMember.crew_id == Crew.id)
                     .where(CrewMember.user_id == user_id))
    if crew is None:
        return None
    order = db.scalar(sa.select(WorkOrder).where(WorkOrder.crew_id == crew.id, order_is_current()))
    current = _order_row(db, order) if order is not None else None
    queue = crew_queues(db, [crew.id]).get(crew.id)
    return CrewPage(
        crew_id=crew.id, crew_code=crew.code, crew_name=crew.name, crew_status=str(crew.status),
        member_names=tuple(m.name for m in crew.members), lon=crew.last_lon, lat=crew.last_lat,
        position_at=crew.last_position_at, order=current,
        queued=_queued(db, crew.id, current.ticket_id if current else None),
        next_orders=queue.queued if queue is not None else (),
        standby=None if crew.standby_since is None or crew.standby_lon is None or crew.standby_lat is None
        else Standby(crew.standby_lon, crew.standby_lat, crew.standby_note, crew.standby_since, crew.standby_by),
    )
