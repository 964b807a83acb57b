"""The audit log (R13.1): who did what, when, and what the system recommended at that moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.models.base import Base, UTCDateTime, nullable_json, pk

#: The database triggers that make the table append-only (created by the initial migration).
AUDIT_APPEND_ONLY_MESSAGE = "audit_events is append-only (R13.1): UPDATE and DELETE are refused"


class AuditEvent(Base):
    """One attributable action. Append-only: the ORM (ops.audit) and database triggers refuse changes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = pk()
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Null for the system (scheduler, importer) or a customer self-service channel.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Who, in words, as it was at the time ("dispatcher Li Wei", "scheduler"); survives renames.
    actor_label: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(64))
    entity: Mapped[str] = mapped_column(sa.String(64))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(nullable_json())
    after: Mapped[dict[str, Any] | None] = mapped_column(nullable_json())
    recommendation: Mapped[dict[str, Any] | None] = mapped_column(nullable_json())
    #: True for history loaded from another system rather than done in this one.
    imported: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    note: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.Index("ix_audit_events_entity_entity_id", "entity", "entity_id"),
        sa.Index("ix_audit_events_actor_id_at", "actor_id", "at"),
        sa.Index("ix_audit_events_at", "at"),
    )
