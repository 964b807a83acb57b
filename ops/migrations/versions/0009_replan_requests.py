"""Replan on events (issue 12): ``replan_requests``, the rows events leave for the scheduler.

A new class 1, a confirmation, a cancellation or a crew's change of availability inserts a row in
its own transaction; the scheduler, checking every second, plans once for the rows it finds and
deletes them. One new table and nothing altered, so the downgrade only drops it (pending requests
are a trigger, not a record: the periodic replan covers them).

Revision ID: 0009_replan_requests
Revises: 0008_crew_queues
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009_replan_requests"
down_revision: str | None = "0008_crew_queues"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table('replan_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_replan_requests')),
    )


def downgrade() -> None:
    op.drop_table('replan_requests')
