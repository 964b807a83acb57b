"""The dispatch board's read model: open tickets with their next deadline, and crews on the map.

Pages never query the database themselves; they ask here for plain rows. The deadlines shown are
the ones stored on the ticket at intake (R6), so a later change of configuration does not silently
move the goalposts of tickets already open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.models import Crew, District, Ticket, WorkOrder
from ops.queries import at_risk, order_is_active, order_is_current, ticket_is_open
from ops.queries import class1_awaiting_departure as awaiting_departure
from ops.reads.ticket_head import TicketHead, head_fields
from ops.rules import Deadlines, next_deadline
from ops.vocabulary import CrewStatus

__all__ = ["Class1Alert", "CrewRow", "TicketRow", "class1_awaiting_departure", "crew_choices", "crews_on_map",
           "open_tickets"]


@dataclass(frozen=True)
class TicketRow(TicketHead):
    """An open ticket in the grid and on the map, with its crew and the next deadline it races."""

    district: str
    crew_code: str | None
    deadline_label: str | None
    deadline_at: datetime | None
    seconds_left: float | None
    #: The next deadline is missed, or closer than the at-risk margin (``ops.queries.at_risk``).
    at_risk: bool = False


@dataclass(frozen=True)
class CrewRow:
    id: int
    code: str
    name: str
    status: str
    lon: float
    lat: float
    position_at: datetime | None
    ticket_no: str | None
    #: Where the crew's active order is (to draw its route while en route).
    target_lon: float | None = None
    target_lat: float | None = None


#: The ticket columns the board shows and its deadlines need: selecting these rather than whole
#: ``Ticket`` entities (with their eagerly joined customer) made the 500-ticket read several times faster.
_BOARD_COLUMNS = (
    Ticket.id, Ticket.ticket_no, Ticket.ticket_class, Ticket.status, Ticket.symptom, Ticket.address, Ticket.lon,
    Ticket.lat, Ticket.received_at, Ticket.depart_deadline, Ticket.dispatch_deadline, Ticket.onsite_target,
    Ticket.onsite_limit, Ticket.slot_start, Ticket.slot_end,
)


def open_tickets(session: Session, now: datetime) -> list[TicketRow]:
    """Open tickets, most urgent first: overdue and soonest deadlines on top, then by class."""
    order = sa.orm.aliased(WorkOrder)
    rows = session.execute(
        sa.select(*_BOARD_COLUMNS, order.dispatched_at, order.departed_at, order.arrived_at,
                  Crew.code.label("crew_code"), District.name.label("district"))
        .outerjoin(order, sa.and_(order.ticket_id == Ticket.id, order_is_active(order)))
        .outerjoin(Crew, Crew.id == order.crew_id)
        .outerjoin(District, District.id == Ticket.district_id)
        .where(ticket_is_open())
    ).all()
    result = []
    for ticket in rows:  # a row has the ticket's attribute names, which is all from_ticket reads
        nxt = next_deadline(
            Deadlines.from_ticket(ticket), now,
            dispatched_at=ticket.dispatched_at, departed_at=ticket.departed_at, arrived_at=ticket.arrived_at,
        )
        result.append(TicketRow(
            **head_fields(ticket), district=ticket.district or "", crew_code=ticket.crew_code,
            deadline_label=nxt.label if nxt else None,
            deadline_at=nxt.at if nxt else None,
            seconds_left=nxt.time_left(now).total_seconds() if nxt else None,
            at_risk=nxt is not None and at_risk(nxt, now),
        ))
    # Tickets with no deadline left (crew on site) sink below those still racing a clock.
    result.sort(key=lambda r: (r.seconds_left is None, r.seconds_left or 0.0, r.ticket_class, r.received_at))
    return result


def crews_on_map(session: Session) -> list[CrewRow]:
    """Active crews with a known position, with the ticket each is working on."""
    order = sa.orm.aliased(WorkOrder)
    rows = session.execute(
        sa.select(Crew, Ticket.ticket_no, Ticket.lon, Ticket.lat)
        .outerjoin(order, sa.and_(order.crew_id == Crew.id, order_is_current(order)))
        .outerjoin(Ticket, Ticket.id == order.ticket_id)
        .where(Crew.active.is_(True), Crew.last_lon.is_not(None))
        .order_by(Crew.code)
    ).all()
    return [
        CrewRow(
            id=crew.id, code=crew.code, name=crew.name, status=str(crew.status or CrewStatus.OFF_SHIFT),
            lon=crew.last_lon, lat=crew.last_lat, position_at=crew.last_position_at, ticket_no=ticket_no,
            target_lon=target_lon, target_lat=target_lat,
        )
        for crew, ticket_no, target_lon, target_lat in rows
    ]


def crew_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of active crews, for pickers such as the crew a crew member belongs to."""
    return [(code, name) for code, name in session.execute(
        sa.select(Crew.code, Crew.name).where(Crew.active.is_(True)).order_by(Crew.code)
    )]


@dataclass(frozen=True)
class Class1Alert:
    """An open class-1 ticket no crew has left for yet (R6.1: a crew departs within 30 minutes)."""

    id: int
    ticket_no: str
    address: str
    received_at: datetime
    depart_deadline: datetime | None
    minutes_since_report: int
    crew_code: str | None


def class1_awaiting_departure(session: Session, now: datetime) -> list[Class1Alert]:
    """Class-1 tickets still open with no crew departed, oldest report first.

    This is the dispatchers' alarm for a hotline emergency: it stays up until a crew is on its
    way, whether or not a work order was already confirmed (R6.1 counts departure, not dispatch).
    """
    order = sa.orm.aliased(WorkOrder)
    rows = session.execute(
        sa.select(Ticket, Crew.code)
        .outerjoin(order, sa.and_(order.ticket_id == Ticket.id, order_is_active(order)))
        .outerjoin(Crew, Crew.id == order.crew_id)
        .where(awaiting_departure())
        .order_by(Ticket.received_at, Ticket.id)
    ).all()
    seen: set[int] = set()
    result = []
    for ticket, crew_code in rows:
        if ticket.id in seen:
            continue
        seen.add(ticket.id)
        minutes = max(0, int((now - ticket.received_at).total_seconds() // 60))
        result.append(Class1Alert(
            id=ticket.id, ticket_no=ticket.ticket_no, address=ticket.address, received_at=ticket.received_at,
            depart_deadline=ticket.depart_deadline, minutes_since_report=minutes, crew_code=crew_code,
        ))
    return result
