"""Major incidents under the emergency plan (R12): cordon, linked tickets and customer notices."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.models.base import Base, UTCDateTime, fk, pk, str_enum
from ops.vocabulary import IncidentStatus, NoticeKind, Symptom


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = pk()
    title: Mapped[str] = mapped_column(sa.String(300))
    #: Explosion, fire or a major leak: the symptoms that trigger the emergency plan.
    kind: Mapped[Symptom] = mapped_column(str_enum(Symptom, "kind"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lon: Mapped[float] = mapped_column(sa.Float)
    lat: Mapped[float] = mapped_column(sa.Float)
    cordon_radius_m: Mapped[float | None] = mapped_column(sa.Float)  # R12.3
    #: The cordon polygon as GeoJSON text when it is not a plain circle.
    cordon_geojson: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[IncidentStatus] = mapped_column(
        str_enum(IncidentStatus, "status"), default=IncidentStatus.ACTIVE, index=True
    )
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)

    tickets: Mapped[list[IncidentTicket]] = relationship(
        back_populates="incident", cascade="all, delete-orphan"
    )
    notices: Mapped[list[IncidentNotice]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentNotice.sent_at"
    )

    __table_args__ = (
        sa.CheckConstraint("cordon_radius_m IS NULL OR cordon_radius_m > 0", name="cordon_radius_m"),
    )


class IncidentTicket(Base):
    """A ticket handled as part of an incident (R12.2: one incident can take several crews)."""

    __tablename__ = "incident_tickets"

    incident_id: Mapped[int] = mapped_column(
        sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"), primary_key=True, index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    linked_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)

    incident: Mapped[Incident] = relationship(back_populates="tickets")


class IncidentNotice(Base):
    """R12.4: one outage or restoration notice sent to the customers in the affected area."""

    __tablename__ = "incident_notices"

    id: Mapped[int] = pk()
    incident_id: Mapped[int] = fk("incidents.id", ondelete="CASCADE")
    kind: Mapped[NoticeKind] = mapped_column(str_enum(NoticeKind, "kind"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    customers_notified: Mapped[int] = mapped_column(sa.Integer)
    #: How it went out: "sms", "wechat", "door_to_door", "broadcast" ...
    channel: Mapped[str] = mapped_column(sa.String(32))
    text: Mapped[str] = mapped_column(sa.Text)
    sent_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)

    incident: Mapped[Incident] = relationship(back_populates="notices")

    __table_args__ = (sa.CheckConstraint("customers_notified >= 0", name="customers_notified"),)
