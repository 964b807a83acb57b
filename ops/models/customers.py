"""Gas customers and their emergency contacts (R4.2)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.models.base import Base, fk, pk


class Customer(Base):
    """A supplied premises; the emergency contact fields are shown on every ticket for it (R4.2)."""

    __tablename__ = "customers"

    id: Mapped[int] = pk()
    customer_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    address: Mapped[str] = mapped_column(sa.String(500))
    door_no: Mapped[str | None] = mapped_column(sa.String(50))
    #: Nullable because an imported customer list may hold addresses not yet geocoded.
    lon: Mapped[float | None] = mapped_column(sa.Float)
    lat: Mapped[float | None] = mapped_column(sa.Float)
    district_id: Mapped[int | None] = fk("districts.id", nullable=True)

    # R4.2 emergency contact, e.g. for an elderly person living alone.
    emergency_contact_name: Mapped[str | None] = mapped_column(sa.String(200))
    emergency_contact_phone: Mapped[str | None] = mapped_column(sa.String(40))
    #: Relation to the customer or any note the agent should see ("daughter, call after 18:00").
    emergency_contact_note: Mapped[str | None] = mapped_column(sa.String(500))
    lives_alone: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: Any other reason to treat the household with extra care (elderly, disabled, medical equipment).
    vulnerable: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
