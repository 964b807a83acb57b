"""The one clock's rows: its lease (whoever holds it runs escalations and auto-dispatch, R7.2–R7.4) and
the replan requests that events leave for it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.models.base import Base, UTCDateTime, pk


class SchedulerLease(Base):
    """A named lease row; a worker takes it over only after ``expires_at`` has passed."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReplanRequest(Base):
    """An event asked for a new plan in force (a new class 1, a confirmation, a cancellation, a crew's
    availability): written in the event's own transaction, so a rolled-back event asks for nothing.

    The scheduler checks for rows every second, plans once for all it finds and deletes exactly those
    rows with the plan it stores; a request committed meanwhile stays for the next plan. Rows are
    inserts only (never an update of a shared row), so concurrent events never wait for each other.
    """

    __tablename__ = "replan_requests"

    id: Mapped[int] = pk()
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: What asked (:class:`ops.services.replan.ReplanReason`), for the log and the tests.
    reason: Mapped[str] = mapped_column(sa.String(32))
