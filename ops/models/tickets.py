"""Tickets: what intake records (R5), the class and its deadlines (R6), and what hangs off a ticket."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.models.base import Base, IntEnumType, UTCDateTime, fk, int_enum_check, pk, str_enum
from ops.vocabulary import Answer, Channel, Judgement, Symptom, TicketClass, TicketStatus

if TYPE_CHECKING:
    from ops.models.customers import Customer
    from ops.models.work_orders import WorkOrder


class Ticket(Base):
    """One reported fault. ``version_id`` makes concurrent edits fail loudly instead of overwriting."""

    __tablename__ = "tickets"

    id: Mapped[int] = pk()
    ticket_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))  # R4.1
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # R5.5, deadlines run from here
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it was saved (R13.1)

    # R5.1 customer and location
    reporter_name: Mapped[str] = mapped_column(sa.String(200))
    reporter_phone: Mapped[str] = mapped_column(sa.String(40))
    #: Null for a non-customer reporting a street leak.
    customer_id: Mapped[int | None] = fk("customers.id", nullable=True)
    address: Mapped[str] = mapped_column(sa.String(500))
    door_no: Mapped[str | None] = mapped_column(sa.String(50))
    lon: Mapped[float] = mapped_column(sa.Float)
    lat: Mapped[float] = mapped_column(sa.Float)
    district_id: Mapped[int | None] = fk("districts.id", nullable=True)
    #: True when the point came from matching the typed street name, not the premises or a map click:
    #: the crew is told to confirm the address with the reporter (R8.1).
    location_approximate: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    # R5.2 fault
    symptom: Mapped[Symptom] = mapped_column(str_enum(Symptom, "symptom"))
    fault_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fault_duration_minutes: Mapped[int | None] = mapped_column(sa.Integer)
    odour: Mapped[Answer] = mapped_column(str_enum(Answer, "odour"))
    abnormal_noise: Mapped[Answer] = mapped_column(str_enum(Answer, "abnormal_noise"))
    description: Mapped[str | None] = mapped_column(sa.Text)

    # R5.3 safety state
    people_on_site: Mapped[Answer] = mapped_column(str_enum(Answer, "people_on_site"))
    ventilated: Mapped[Answer] = mapped_column(str_enum(Answer, "ventilated"))
    valve_closed: Mapped[Answer] = mapped_column(str_enum(Answer, "valve_closed"))

    # R5.4 / R5.5 / R6
    agent_judgement: Mapped[Judgement] = mapped_column(str_enum(Judgement, "agent_judgement"))
    special_requests: Mapped[str | None] = mapped_column(sa.Text)
    proposed_class: Mapped[TicketClass] = mapped_column(IntEnumType(TicketClass))
    ticket_class: Mapped[TicketClass] = mapped_column(IntEnumType(TicketClass))
    rule_version: Mapped[str] = mapped_column(sa.String(32))  # R6.5
    slot_start: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R6.4, class 3 only
    slot_end: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Deadlines computed from received_at when classified; which ones apply depends on the class.
    depart_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R6.1 class 1
    dispatch_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R6.3 class 2
    onsite_target: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R6.1 / R6.3
    onsite_limit: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R6.3 class 2 (class 3: slot_end)

    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus, "status"), default=TicketStatus.NEW)
    duplicate_of_id: Mapped[int | None] = fk("tickets.id", nullable=True)  # R5.6
    created_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__: dict[str, Any] = {"version_id_col": version_id}  # noqa: RUF012

    customer: Mapped[Customer | None] = relationship(lazy="joined")
    duplicate_of: Mapped[Ticket | None] = relationship(remote_side=[id])
    reporters: Mapped[list[TicketReporter]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketReporter.received_at"
    )
    class_changes: Mapped[list[ClassChange]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="ClassChange.at"
    )
    safety_instructions: Mapped[list[SafetyInstruction]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="SafetyInstruction.given_at"
    )
    work_orders: Mapped[list[WorkOrder]] = relationship(
        back_populates="ticket", order_by="WorkOrder.dispatched_at"
    )

    __table_args__ = (
        int_enum_check("proposed_class", TicketClass),
        int_enum_check("ticket_class", TicketClass),
        sa.CheckConstraint(
            "fault_duration_minutes IS NULL OR fault_duration_minutes >= 0", name="fault_duration_minutes"
        ),
        sa.CheckConstraint(
            "(slot_start IS NULL AND slot_end IS NULL) OR (slot_start IS NOT NULL AND slot_end IS NOT NULL"
            " AND slot_start < slot_end)",
            name="slot",
        ),
        sa.CheckConstraint("duplicate_of_id IS NULL OR duplicate_of_id <> id", name="not_own_duplicate"),
        # The dispatcher's queue: open tickets by class, oldest first.
        sa.Index("ix_tickets_status_class_received", "status", "ticket_class", "received_at"),
    )


class TicketReporter(Base):
    """A further caller linked to a ticket as a likely duplicate (R5.6); each gets the R10 callback."""

    __tablename__ = "ticket_reporters"

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = fk("tickets.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str] = mapped_column(sa.String(40))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    customer_id: Mapped[int | None] = fk("customers.id", nullable=True, index=False)
    linked_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)
    note: Mapped[str | None] = mapped_column(sa.Text)

    ticket: Mapped[Ticket] = relationship(back_populates="reporters")


class ClassChange(Base):
    """R6.5: every change of class, with who made it and why."""

    __tablename__ = "class_changes"

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = fk("tickets.id", ondelete="CASCADE")
    from_class: Mapped[TicketClass] = mapped_column(IntEnumType(TicketClass))
    to_class: Mapped[TicketClass] = mapped_column(IntEnumType(TicketClass))
    #: R6.5 logs why for every change, raises included (rows from before that rule say so, 0006).
    reason: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship(back_populates="class_changes")

    __table_args__ = (
        int_enum_check("from_class", TicketClass),
        int_enum_check("to_class", TicketClass),
        sa.CheckConstraint("from_class <> to_class", name="changes_class"),
    )


class SafetyInstruction(Base):
    """R6.2: one safety instruction read to the caller or shown on the reporter's screen, and when."""

    __tablename__ = "safety_instructions"

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = fk("tickets.id", ondelete="CASCADE")
    #: The instruction's code in the safety script (ops.rules), e.g. "close_valve", "call_119".
    code: Mapped[str] = mapped_column(sa.String(64))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    given_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    #: True when the app/WeChat showed it to the reporter rather than an agent reading it out.
    shown_on_screen: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    ticket: Mapped[Ticket] = relationship(back_populates="safety_instructions")
