"""The one-clock lease: whichever process holds it runs escalations and auto-dispatch (R7.2–R7.4)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.models.base import Base, UTCDateTime


class SchedulerLease(Base):
    """A named lease row; a worker takes it over only after ``expires_at`` has passed."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
