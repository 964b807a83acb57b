"""Quality loop: callbacks (R10), complaints (R11.3) and spot checks (R11.1)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.models.base import Base, UTCDateTime, fk, pk, str_enum
from ops.vocabulary import Answer, Channel, ComplaintStatus, FollowUpStatus


class FollowUp(Base):
    """R10: the callback task for a completed work order, one per reporter (R5.6), and its answers."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = pk()
    work_order_id: Mapped[int] = fk("work_orders.id")
    ticket_id: Mapped[int] = fk("tickets.id")
    #: The linked caller to ring; null means the ticket's own reporter.
    reporter_id: Mapped[int | None] = fk("ticket_reporters.id", nullable=True, index=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # R10.2
    #: Lower comes first; R10.1 puts emergency and complaint orders ahead.
    priority: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    status: Mapped[FollowUpStatus] = mapped_column(
        str_enum(FollowUpStatus, "status"), default=FollowUpStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agent_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)

    # R10.3 answers; null until the call is made.
    arrived_on_time: Mapped[Answer | None] = mapped_column(str_enum(Answer, "arrived_on_time"))
    courteous: Mapped[Answer | None] = mapped_column(str_enum(Answer, "courteous"))
    fully_fixed: Mapped[Answer | None] = mapped_column(str_enum(Answer, "fully_fixed"))
    score: Mapped[int | None] = mapped_column(sa.Integer)
    suggestions: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("score IS NULL OR score BETWEEN 1 AND 5", name="score"),
        sa.CheckConstraint("attempts >= 0", name="attempts"),
        sa.Index("ix_follow_ups_status_due_at", "status", "due_at"),
    )


class Complaint(Base):
    """R11.3: a complaint with its named handler, followed until the customer is satisfied."""

    __tablename__ = "complaints"

    id: Mapped[int] = pk()
    customer_id: Mapped[int | None] = fk("customers.id", nullable=True)
    ticket_id: Mapped[int | None] = fk("tickets.id", nullable=True)
    work_order_id: Mapped[int | None] = fk("work_orders.id", nullable=True)
    complainant_name: Mapped[str] = mapped_column(sa.String(200))
    complainant_phone: Mapped[str | None] = mapped_column(sa.String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    description: Mapped[str] = mapped_column(sa.Text)
    handler_id: Mapped[int | None] = fk("users.id", nullable=True)
    status: Mapped[ComplaintStatus] = mapped_column(
        str_enum(ComplaintStatus, "status"), default=ComplaintStatus.OPEN, index=True
    )
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    customer_satisfied: Mapped[bool | None] = mapped_column(sa.Boolean)


class SpotCheck(Base):
    """R11.1: a quality inspector's review of one work order's record."""

    __tablename__ = "spot_checks"

    id: Mapped[int] = pk()
    work_order_id: Mapped[int] = fk("work_orders.id")
    inspector_id: Mapped[int] = fk("users.id", index=False)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    complete: Mapped[bool] = mapped_column(sa.Boolean)
    truthful: Mapped[bool] = mapped_column(sa.Boolean)
    notes: Mapped[str | None] = mapped_column(sa.Text)
