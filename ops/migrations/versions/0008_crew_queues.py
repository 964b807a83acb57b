"""Crew work queues (R7.6, issue 12): a crew holds its current order and an ordered queue behind it.

A ``queued`` work order is confirmed (it holds its ticket, which counts as dispatched) but waits
behind its crew's current one. New columns: ``queue_rank`` (the place in the crew's queue, gaps of
1024, set only while queued) and ``current_since`` (when the order became the crew's current job:
the R7.2 acknowledgement clock runs from it). The one-active-order-per-crew index becomes one
*current* order per crew, and a new partial unique index keeps two queued orders of one crew off
the same rank. Existing current orders get ``current_since = dispatched_at`` (they became current
when they were confirmed). The downgrade refuses while any order is queued: turning those into
current orders would give a crew several, and cancelling them would lose confirmed work silently.

Revision ID: 0008_crew_queues
Revises: 0007_class_change_reason
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_crew_queues"
down_revision: str | None = "0007_class_change_reason"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

_OLD_STATUSES = ("dispatched", "acknowledged", "en_route", "on_site", "completed", "cancelled")
_NEW_STATUSES = ("queued", *_OLD_STATUSES)
_CURRENT = ("dispatched", "acknowledged", "en_route", "on_site")


def _in(statuses: tuple[str, ...]) -> str:
    return "status IN ({})".format(", ".join(f"'{s}'" for s in statuses))


_ACTIVE_OLD = _in(_CURRENT)
_ACTIVE_NEW = _in(("queued", *_CURRENT))
_QUEUED = "status = 'queued'"

_orders = sa.table("work_orders", sa.column("status", sa.String()),
                   sa.column("dispatched_at", sa.DateTime(timezone=True)),
                   sa.column("current_since", sa.DateTime(timezone=True)))


def _partial(name: str, where: str, *columns: str) -> None:
    op.create_index(name, "work_orders", list(columns), unique=True,
                    sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade() -> None:
    # Dropped before the batch rebuild (SQLite copies a table's indexes, partial ones included, only
    # as far as reflection sees them), created again after it with the new conditions.
    op.drop_index("uq_work_orders_one_active_per_crew", table_name="work_orders")
    op.drop_index("uq_work_orders_one_active_per_ticket", table_name="work_orders")
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("queue_rank", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("current_since", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint(op.f("ck_work_orders_status"), type_="check")
        batch.create_check_constraint(op.f("ck_work_orders_status"), sa.text(_in(_NEW_STATUSES)))
        batch.create_check_constraint(op.f("ck_work_orders_queue_rank"),
                                      sa.text("(status = 'queued') = (queue_rank IS NOT NULL)"))
    op.execute(_orders.update().where(sa.text(_in(_CURRENT))).values(current_since=_orders.c.dispatched_at))
    _partial("uq_work_orders_one_active_per_ticket", _ACTIVE_NEW, "ticket_id")
    _partial("uq_work_orders_one_current_per_crew", _in(_CURRENT), "crew_id")
    _partial("uq_work_orders_queue_rank", _QUEUED, "crew_id", "queue_rank")


def downgrade() -> None:
    queued = op.get_bind().scalar(sa.select(sa.func.count()).select_from(_orders).where(sa.text(_QUEUED)))
    if queued:
        raise RuntimeError(f"cannot downgrade below 0008_crew_queues: {queued} work order(s) are queued; "
                           "promote, move or cancel them first")
    op.drop_index("uq_work_orders_queue_rank", table_name="work_orders")
    op.drop_index("uq_work_orders_one_current_per_crew", table_name="work_orders")
    op.drop_index("uq_work_orders_one_active_per_ticket", table_name="work_orders")
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_constraint(op.f("ck_work_orders_queue_rank"), type_="check")
        batch.drop_constraint(op.f("ck_work_orders_status"), type_="check")
        batch.create_check_constraint(op.f("ck_work_orders_status"), sa.text(_in(_OLD_STATUSES)))
        batch.drop_column("current_since")
        batch.drop_column("queue_rank")
    _partial("uq_work_orders_one_active_per_crew", _ACTIVE_OLD, "crew_id")
    _partial("uq_work_orders_one_active_per_ticket", _ACTIVE_OLD, "ticket_id")
