"""What dispatch keeps besides the work order: stored recommendations (R13.1), alerts (R7.2–R7.4)
and the detector readings taken on site (R8.3)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.models.base import Base, UTCDateTime, fk, pk, str_enum


class PlanInForce(Base):
    """The crews' routes as the scheduler last planned them: what a recommendation inserts into.

    Planning 500 tickets for 60 crews costs seconds; inserting one ticket into a known plan costs
    milliseconds. So the one clock plans in the background and stores the result here, and a
    dispatcher's click ranks crews against it (R7.1) instead of re-planning the whole queue.
    ``routes`` maps crew id to its jobs (``optimizer.PlannedJob`` fields), in order.
    """

    __tablename__ = "plans_in_force"

    id: Mapped[int] = pk()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    source: Mapped[str] = mapped_column(sa.String(32))
    used_fallback: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    routes: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class AlertKind(StrEnum):
    """What the scheduler raises; stable identifiers (database, API, audit)."""

    PRE_ALERT = "pre_alert"            # R7.3: the top crew of a new class 1 is told to get ready
    AUTO_DISPATCHED = "auto_dispatched"  # R7.3: nobody confirmed in 3 min, the system dispatched
    NO_ACK = "no_ack"                  # R7.2: no acknowledgement within 10 min
    AT_RISK = "at_risk"                # predicted arrival (or departure) beyond a deadline
    RED = "red"                        # R7.4: class 1 with no crew departed at 20 min
    NO_CREW = "no_crew"                # R7.3 could not act: no crew can be recommended


class Recommendation(Base):
    """What the system recommended for a ticket at one moment (R7.1, R13.1), kept whether or not it
    was followed, so an override or a late response can be judged against it later.

    ``payload`` holds the ranked options exactly as they were shown: crew ids, ETA and departure
    (epoch seconds and ISO), slack per deadline, displaced work, explanation and cost deltas.
    """

    __tablename__ = "recommendations"

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = fk("tickets.id", ondelete="CASCADE")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_fallback: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class Alert(Base):
    """One alert for dispatchers and supervisors (or one crew, for a pre-alert) until acknowledged."""

    __tablename__ = "alerts"

    id: Mapped[int] = pk()
    kind: Mapped[AlertKind] = mapped_column(str_enum(AlertKind, "kind"))
    ticket_id: Mapped[int] = fk("tickets.id", ondelete="CASCADE")
    work_order_id: Mapped[int | None] = fk("work_orders.id", nullable=True, index=False)
    #: The crew addressed (pre-alert) or proposed instead (no acknowledgement).
    crew_id: Mapped[int | None] = fk("crews.id", nullable=True, index=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)
    #: A message code the pages translate (``ops.reads.open_alerts.ALERT_MESSAGES``).
    message: Mapped[str] = mapped_column(sa.String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))

    __table_args__ = (sa.Index("ix_alerts_acknowledged_at_created_at", "acknowledged_at", "created_at"),)


class GasReading(Base):
    """R8.3: a detector reading on site, with its time; a class-1 order completes only with one."""

    __tablename__ = "gas_readings"

    id: Mapped[int] = pk()
    work_order_id: Mapped[int] = fk("work_orders.id", ondelete="CASCADE")
    ppm: Mapped[float] = mapped_column(sa.Float)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)

    __table_args__ = (sa.CheckConstraint("ppm >= 0", name="ppm"),)
