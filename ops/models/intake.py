"""What intake keeps besides the ticket: R6.2 call-back tasks and API idempotency keys."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.models.base import Base, UTCDateTime, fk, pk, str_enum
from ops.vocabulary import FollowUpStatus


class IntakeCallbackTask(Base):
    """R6.2 (product): a class-1 report without a voice call; a hotline agent rings back at once.

    Due the moment it is created: the reporter has only seen the guidance on a screen, and someone
    must read the script and confirm that people are leaving the premises.
    """

    __tablename__ = "intake_callback_tasks"

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = fk("tickets.id", ondelete="CASCADE")
    phone: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[FollowUpStatus] = mapped_column(
        str_enum(FollowUpStatus, "status"), default=FollowUpStatus.PENDING
    )
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)

    __table_args__ = (sa.Index("ix_intake_callback_tasks_status_due_at", "status", "due_at"),)


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key``: a retried request finds its ticket here instead of making another.

    The unique (owner, key) pair is what makes concurrent retries safe on both databases: the second
    insert fails and its transaction, ticket included, rolls back. ``fingerprint`` catches a key
    reused for a different report, which is a client bug and must not silently return another ticket.
    """

    __tablename__ = "intake_idempotency_keys"

    id: Mapped[int] = pk()
    #: Whose key: ``user:<id>`` (keys are per token user), or ``actor:<label>`` for the system.
    owner: Mapped[str] = mapped_column(sa.String(240))
    key: Mapped[str] = mapped_column(sa.String(200))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    ticket_id: Mapped[int] = fk("tickets.id", ondelete="CASCADE")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (sa.UniqueConstraint("owner", "key", name="uq_intake_idempotency_keys_owner_key"),)
