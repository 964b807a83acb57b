"""Repair crews, their members and their GPS trail."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.models.base import Base, UTCDateTime, fk, json_list, pk, str_enum
from ops.vocabulary import CrewStatus, ShiftPattern


class Crew(Base):
    """A crew as the dispatcher's map shows it: skills, shift, status and last known position."""

    __tablename__ = "crews"

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    depot_id: Mapped[int | None] = fk("depots.id", nullable=True)
    #: ``Skill`` values; a JSON list rather than a link table because the optimizer reads it whole.
    skills: Mapped[list[str]] = mapped_column(json_list(), default=list)
    shift_pattern: Mapped[ShiftPattern] = mapped_column(str_enum(ShiftPattern, "shift_pattern"))
    #: Local hours (Settings.timezone); end < start means the shift runs past midnight.
    shift_start_hour: Mapped[int] = mapped_column(sa.Integer)
    shift_end_hour: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[CrewStatus] = mapped_column(
        str_enum(CrewStatus, "status"), default=CrewStatus.OFF_SHIFT, index=True
    )
    last_lon: Mapped[float | None] = mapped_column(sa.Float)
    last_lat: Mapped[float | None] = mapped_column(sa.Float)
    last_position_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    #: Where the office asked the crew to wait (issue 13, "where to stand"): one at a time, on the crew
    #: itself, since any order clears it and its history is the audit log. Not a work order: no
    #: callback, no KPI.
    standby_lon: Mapped[float | None] = mapped_column(sa.Float)
    standby_lat: Mapped[float | None] = mapped_column(sa.Float)
    standby_note: Mapped[str | None] = mapped_column(sa.String(500))
    standby_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The sender's audit label as it was at the time ("dispatcher Li Wei").
    standby_by: Mapped[str | None] = mapped_column(sa.String(200))

    members: Mapped[list[CrewMember]] = relationship(
        back_populates="crew", cascade="all, delete-orphan", order_by="CrewMember.id"
    )

    __table_args__ = (
        sa.CheckConstraint("shift_start_hour BETWEEN 0 AND 23", name="shift_start_hour"),
        sa.CheckConstraint("shift_end_hour BETWEEN 0 AND 24", name="shift_end_hour"),
        sa.CheckConstraint(
            "(standby_lon IS NULL AND standby_lat IS NULL AND standby_since IS NULL) OR "
            "(standby_lon IS NOT NULL AND standby_lat IS NOT NULL AND standby_since IS NOT NULL)",
            name="standby_complete",
        ),
    )


class CrewMember(Base):
    __tablename__ = "crew_members"

    id: Mapped[int] = pk()
    crew_id: Mapped[int] = fk("crews.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    #: The login used on the crew page, if the member has one; a person belongs to one crew at a time.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), unique=True)

    crew: Mapped[Crew] = relationship(back_populates="members")


class CrewPosition(Base):
    """One GPS ping (or a simulated/manual position); the history behind R14 timeliness disputes."""

    __tablename__ = "crew_positions"

    id: Mapped[int] = pk()
    crew_id: Mapped[int] = fk("crews.id", ondelete="CASCADE", index=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    lon: Mapped[float] = mapped_column(sa.Float)
    lat: Mapped[float] = mapped_column(sa.Float)
    speed_kmh: Mapped[float | None] = mapped_column(sa.Float)
    heading_deg: Mapped[float | None] = mapped_column(sa.Float)
    #: "gps", "manual", "simulation", "import" ...
    source: Mapped[str] = mapped_column(sa.String(32), default="gps")

    __table_args__ = (sa.Index("ix_crew_positions_crew_id_at", "crew_id", "at"),)
