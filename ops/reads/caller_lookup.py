"""Read model for the hotline form: who is calling, and what they reported before.

An agent on a call types whatever the caller gives first, a phone number or a customer number, and
must see the premises, the R4.2 emergency contact and the customer's recent tickets at once, before
asking anything else. Pages never query the database themselves, so the lookups live here and
return plain rows (no ORM objects escape the session).

Phone numbers are stored as people typed them (``+56 9 5555 0199``, ``0512-555-0100``), so they are
compared on their digits only, and a number typed without its country or area prefix still matches
the stored one by its trailing digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.models import AuditEvent, Customer, District, IntakeCallbackTask, Ticket
from ops.reads.ticket_head import TicketHead, head_fields
from ops.rules import Deadlines
from ops.vocabulary import FollowUpStatus

__all__ = ["CallbackRow", "CustomerCard", "PastTicket", "TicketSummary", "lookup_customers",
           "pending_callback_tasks", "ticket_summary"]

#: Fewer digits than this could be anyone's number: no phone match is attempted.
MIN_PHONE_DIGITS = 6
_PHONE_PUNCTUATION = (" ", "-", "+", "(", ")", ".", "/")


@dataclass(frozen=True)
class PastTicket:
    """One of the customer's earlier tickets, as the agent sees it in the lookup card."""

    id: int
    ticket_no: str
    received_at: datetime
    ticket_class: int
    symptom: str
    status: str


@dataclass(frozen=True)
class CustomerCard:
    """A customer as the hotline form needs it: identity, premises, R4.2 contact, recent tickets."""

    id: int
    customer_no: str
    name: str
    phone: str | None
    address: str
    door_no: str | None
    lon: float | None
    lat: float | None
    district: str | None
    emergency_contact_name: str | None
    emergency_contact_phone: str | None
    emergency_contact_note: str | None
    lives_alone: bool
    vulnerable: bool
    recent_tickets: tuple[PastTicket, ...] = ()

    @property
    def has_emergency_contact(self) -> bool:
        return bool(self.emergency_contact_name or self.emergency_contact_phone)


@dataclass(frozen=True)
class TicketSummary(TicketHead):
    """What the hotline confirmation and the duplicate list show about one ticket."""

    reporters: int
    deadlines: Deadlines
    location_approximate: bool


def phone_digits(text: str) -> str:
    """The digits of a phone number as typed, which is what two spellings of it share."""
    return re.sub(r"\D", "", text or "")


def _digits_sql(column: sa.ColumnElement) -> sa.ColumnElement:
    # Portable across SQLite and PostgreSQL: strip the punctuation people put in phone numbers.
    expr = column
    for ch in _PHONE_PUNCTUATION:
        expr = sa.func.replace(expr, ch, "")
    return expr


def lookup_customers(session: Session, query: str, *, limit: int = 5, recent: int = 5) -> list[CustomerCard]:
    """Customers whose number equals ``query`` or whose phone ends with its digits; exact number first.

    ``limit`` keeps a short number that matches many phones from flooding the form; ``recent`` is how
    many past tickets each card carries, newest first.
    """
    text = (query or "").strip()
    if not text:
        return []
    conditions = [sa.func.upper(Customer.customer_no) == text.upper()]
    digits = phone_digits(text)
    if len(digits) >= MIN_PHONE_DIGITS:
        conditions.append(_digits_sql(Customer.phone).like("%" + digits))
        conditions.append(_digits_sql(Customer.emergency_contact_phone).like("%" + digits))
    rows = session.execute(
        sa.select(Customer, District.name)
        .outerjoin(District, District.id == Customer.district_id)
        .where(sa.or_(*conditions))
        .order_by((sa.func.upper(Customer.customer_no) == text.upper()).desc(), Customer.customer_no)
        .limit(limit)
    ).all()
    cards = []
    for customer, district in rows:
        cards.append(CustomerCard(
            id=customer.id, customer_no=customer.customer_no, name=customer.name, phone=customer.phone,
            address=customer.address, door_no=customer.door_no, lon=customer.lon, lat=customer.lat,
            district=district, emergency_contact_name=customer.emergency_contact_name,
            emergency_contact_phone=customer.emergency_contact_phone,
            emergency_contact_note=customer.emergency_contact_note, lives_alone=bool(customer.lives_alone),
            vulnerable=bool(customer.vulnerable), recent_tickets=tuple(recent_tickets(session, customer.id, recent)),
        ))
    return cards


def recent_tickets(session: Session, customer_id: int, limit: int = 5) -> list[PastTicket]:
    """The customer's latest tickets, newest first: a repeat fault is something the agent should know."""
    rows = session.scalars(
        sa.select(Ticket).where(Ticket.customer_id == customer_id)
        .order_by(Ticket.received_at.desc(), Ticket.id.desc()).limit(limit)
    )
    return [
        PastTicket(id=t.id, ticket_no=t.ticket_no, received_at=t.received_at, ticket_class=int(t.ticket_class),
                   symptom=str(t.symptom), status=str(t.status))
        for t in rows
    ]


def summarise(ticket: Ticket) -> TicketSummary:
    """Plain fields of a loaded ticket, to be read after its session has closed."""
    return TicketSummary(
        **head_fields(ticket), reporters=len(ticket.reporters), deadlines=Deadlines.from_ticket(ticket),
        location_approximate=bool(ticket.location_approximate),
    )


def ticket_summary(session: Session, ticket_id: int) -> TicketSummary | None:
    """One ticket's summary, or ``None`` when there is no such ticket."""
    ticket = session.get(Ticket, ticket_id)
    return summarise(ticket) if ticket is not None else None


@dataclass(frozen=True)
class CallbackRow:
    """One pending R6.2 call-back as the hotline queue shows it: whom to ring, about what, since when."""

    task_id: int
    ticket_id: int
    ticket_no: str
    ticket_class: int
    symptom: str
    address: str
    reporter_name: str
    phone: str
    channel: str
    created_at: datetime
    minutes_waiting: int
    attempts: int


def pending_callback_tasks(session: Session, now: datetime, limit: int = 50) -> list[CallbackRow]:
    """Pending call-back tasks, oldest first: the reporter who has waited longest is rung first.

    ``attempts`` counts the unanswered calls recorded in the audit log, so an agent sees that a
    colleague already tried (and the reporter may be busy leaving the premises).
    """
    from ops.services.intake.callbacks import ACTION_ATTEMPT, AUDIT_ENTITY

    rows = session.execute(
        sa.select(IntakeCallbackTask, Ticket)
        .join(Ticket, Ticket.id == IntakeCallbackTask.ticket_id)
        .where(IntakeCallbackTask.status == FollowUpStatus.PENDING)
        .order_by(IntakeCallbackTask.created_at, IntakeCallbackTask.id)
        .limit(limit)
    ).all()
    if not rows:
        return []
    ids = [str(task.id) for task, _ticket in rows]
    attempts = dict(session.execute(
        sa.select(AuditEvent.entity_id, sa.func.count())
        .where(AuditEvent.entity == AUDIT_ENTITY, AuditEvent.action == ACTION_ATTEMPT,
               AuditEvent.entity_id.in_(ids))
        .group_by(AuditEvent.entity_id)
    ).all())
    return [
        CallbackRow(
            task_id=task.id, ticket_id=ticket.id, ticket_no=ticket.ticket_no, ticket_class=int(ticket.ticket_class),
            symptom=str(ticket.symptom), address=ticket.address, reporter_name=ticket.reporter_name,
            phone=task.phone, channel=str(ticket.channel), created_at=task.created_at,
            minutes_waiting=max(0, int((now - task.created_at).total_seconds() // 60)),
            attempts=int(attempts.get(str(task.id), 0)),
        )
        for task, ticket in rows
    ]
