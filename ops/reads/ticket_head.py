"""What every screen says about a ticket before anything else: one row shape, read one way.

The dispatch grid, the recommendation panel's header and the hotline's confirmation each show a
ticket's number, class, status, fault, place and report time. They used to declare those fields
three times over (and could drift: one said ``str(status)``, another the enum); now each read
model extends :class:`TicketHead` with what only it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["TicketHead", "head_fields"]


@dataclass(frozen=True)
class TicketHead:
    id: int
    ticket_no: str
    #: 1, 2 or 3 (R6).
    ticket_class: int
    #: The stored status code (``ops.vocabulary.TicketStatus`` value); pages show its label.
    status: str
    #: The stored symptom code (R5.2).
    symptom: str
    address: str
    lon: float
    lat: float
    received_at: datetime


def head_fields(ticket: Any) -> dict[str, Any]:
    """The :class:`TicketHead` fields of an ORM ticket or of a row selecting the same columns."""
    return {"id": ticket.id, "ticket_no": ticket.ticket_no, "ticket_class": int(ticket.ticket_class),
            "status": str(ticket.status), "symptom": str(ticket.symptom), "address": ticket.address,
            "lon": ticket.lon, "lat": ticket.lat, "received_at": ticket.received_at}
