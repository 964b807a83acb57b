"""Standby positions (issue 13): where the office asked an idle crew to wait, on ``crews`` itself.

A crew has at most one standby at a time and any order clears it, so five nullable columns on the
crew row (position, note, since, sent by) carry it; who sent which standby when, and what cleared
it, is the audit log's. A check keeps position and time all set or all empty. SQLite cannot add a
check constraint to an existing table, so batch mode rebuilds ``crews`` there; PostgreSQL alters in
place. The downgrade drops the columns (a pending standby is advice, not a record).

Revision ID: 0010_crew_standby
Revises: 0009_replan_requests
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010_crew_standby"
down_revision: str | None = "0009_replan_requests"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

_COMPLETE = ("(standby_lon IS NULL AND standby_lat IS NULL AND standby_since IS NULL) OR "
             "(standby_lon IS NOT NULL AND standby_lat IS NOT NULL AND standby_since IS NOT NULL)")


def upgrade() -> None:
    with op.batch_alter_table("crews") as batch:
        batch.add_column(sa.Column("standby_lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("standby_lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("standby_note", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("standby_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("standby_by", sa.String(length=200), nullable=True))
        batch.create_check_constraint(op.f("ck_crews_standby_complete"), _COMPLETE)


def downgrade() -> None:
    with op.batch_alter_table("crews") as batch:
        batch.drop_constraint(op.f("ck_crews_standby_complete"), type_="check")
        batch.drop_column("standby_by")
        batch.drop_column("standby_since")
        batch.drop_column("standby_note")
        batch.drop_column("standby_lat")
        batch.drop_column("standby_lon")
