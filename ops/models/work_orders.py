"""Work orders (one crew assigned to one ticket, R7–R8) and the repair record that completes one (R9)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.models.base import Base, UTCDateTime, fk, json_list, nullable_json, pk, str_enum
from ops.vocabulary import RepairResult, WorkOrderStatus

if TYPE_CHECKING:
    from ops.models.crews import Crew
    from ops.models.tickets import Ticket

#: Statuses in which a work order holds its ticket (queued included, R7.6).
ACTIVE_WORK_ORDER_STATUSES: tuple[str, ...] = tuple(s.value for s in WorkOrderStatus if s.is_active)
#: Statuses in which a work order is its crew's current job (at most one per crew).
CURRENT_WORK_ORDER_STATUSES: tuple[str, ...] = tuple(s.value for s in WorkOrderStatus if s.is_current)
#: R7.6: the gap between two neighbours' ranks in a crew's queue, so an insertion rarely renumbers.
QUEUE_RANK_GAP = 1024


def _in(statuses: tuple[str, ...]) -> str:
    return "status IN ({})".format(", ".join(f"'{s}'" for s in statuses))


_ACTIVE_SQL = _in(ACTIVE_WORK_ORDER_STATUSES)
_CURRENT_SQL = _in(CURRENT_WORK_ORDER_STATUSES)
_QUEUED_SQL = f"status = '{WorkOrderStatus.QUEUED.value}'"


def _unique_where(name: str, where: str, *columns: str) -> sa.Index:
    """A partial unique index: the database, not the application, refuses a double dispatch.

    SQLite ignores ``SELECT ... FOR UPDATE``, so two dispatchers confirming at once could both pass
    an application-level check; the index makes the second write fail on both databases.
    """
    return sa.Index(name, *columns, unique=True, sqlite_where=sa.text(where), postgresql_where=sa.text(where))


class WorkOrder(Base):
    """A crew's assignment to a ticket, with a timestamp for every lifecycle step (R1.2, R14.1)."""

    __tablename__ = "work_orders"

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = fk("tickets.id")
    crew_id: Mapped[int] = fk("crews.id", index=False)
    status: Mapped[WorkOrderStatus] = mapped_column(
        str_enum(WorkOrderStatus, "status"), default=WorkOrderStatus.DISPATCHED, index=True
    )

    # R7.1 / R13.1: what the system recommended at that moment, and why a person chose otherwise.
    recommended_crew_id: Mapped[int | None] = fk("crews.id", nullable=True, index=False)
    recommendation: Mapped[dict[str, Any] | None] = mapped_column(nullable_json())
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: R7.3: dispatched by the scheduler because nobody confirmed a class 1 in time.
    auto_dispatched: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    pre_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R7.3
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dispatched_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R7.2
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R6.1
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R8.2
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R9
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # R7.2
    eta_seconds_at_dispatch: Mapped[int | None] = mapped_column(sa.Integer)
    #: R7.6: the order's place in its crew's queue (gaps of :data:`QUEUE_RANK_GAP`); set only while queued.
    queue_rank: Mapped[int | None] = mapped_column(sa.Integer)
    #: R7.6: when the order became its crew's current job (at confirmation for a free crew, at promotion
    #: for a queued one); the R7.2 acknowledgement clock and its escalation run from here.
    current_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__: dict[str, Any] = {"version_id_col": version_id}  # noqa: RUF012

    ticket: Mapped[Ticket] = relationship(back_populates="work_orders")
    crew: Mapped[Crew] = relationship(foreign_keys=[crew_id])
    recommended_crew: Mapped[Crew | None] = relationship(foreign_keys=[recommended_crew_id])
    repair_record: Mapped[RepairRecord | None] = relationship(back_populates="work_order")

    __table_args__ = (
        _unique_where("uq_work_orders_one_active_per_ticket", _ACTIVE_SQL, "ticket_id"),
        _unique_where("uq_work_orders_one_current_per_crew", _CURRENT_SQL, "crew_id"),
        _unique_where("uq_work_orders_queue_rank", _QUEUED_SQL, "crew_id", "queue_rank"),
        sa.Index("ix_work_orders_crew_id_status", "crew_id", "status"),
        sa.CheckConstraint(
            "eta_seconds_at_dispatch IS NULL OR eta_seconds_at_dispatch >= 0", name="eta_seconds_at_dispatch"
        ),
        sa.CheckConstraint("status <> 'cancelled' OR cancelled_at IS NOT NULL", name="cancelled_at"),
        sa.CheckConstraint("(status = 'queued') = (queue_rank IS NOT NULL)", name="queue_rank"),
    )


class RepairRecord(Base):
    """R9.1: the work order cannot be completed without it; R8.3–R8.6 facts are recorded here too."""

    __tablename__ = "repair_records"

    id: Mapped[int] = pk()
    work_order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_orders.id"), unique=True)
    cause: Mapped[str] = mapped_column(sa.Text)
    measures: Mapped[str] = mapped_column(sa.Text)
    #: R8.4: each replaced part, e.g. {"name": ..., "standard": "GB ...", "qty": 1}.
    parts_replaced: Mapped[list[Any]] = mapped_column(json_list(), default=list)
    result: Mapped[RepairResult] = mapped_column(str_enum(RepairResult, "result"))
    #: The customer's signature reference or the words of their confirmation.
    customer_confirmation: Mapped[str] = mapped_column(sa.Text)
    gas_reading_ppm: Mapped[float | None] = mapped_column(sa.Float)  # R8.3, required for class 1
    gas_reading_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    safety_advice_given: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())  # R8.5
    gas_restored_after_check: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )  # R8.6
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)

    work_order: Mapped[WorkOrder] = relationship(back_populates="repair_record")

    __table_args__ = (
        sa.CheckConstraint("gas_reading_ppm IS NULL OR gas_reading_ppm >= 0", name="gas_reading_ppm"),
        sa.CheckConstraint(
            "(gas_reading_ppm IS NULL) = (gas_reading_at IS NULL)", name="gas_reading_with_time"
        ),
    )
