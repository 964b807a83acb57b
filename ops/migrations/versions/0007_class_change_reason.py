"""Every class change has a reason (R6.5, issue 11): ``class_changes.reason`` becomes NOT NULL.

R6.5 logs every change of class with who made it and why; until issue 11 the services asked for a
reason only when a class was lowered, so raises were stored without one. Those rows are kept and
say so (:data:`NO_REASON`) rather than failing the upgrade or inventing a reason. SQLite cannot
alter a column's nullability, so batch mode rebuilds the table there; PostgreSQL alters it in place.
The downgrade makes the column nullable again and turns the placeholder back into NULL.

Revision ID: 0007_class_change_reason
Revises: 0006_onsite_limit
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_class_change_reason"
down_revision: str | None = "0006_onsite_limit"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

#: The reason given to class changes recorded before R6.5 was enforced for raises.
NO_REASON = "(no reason recorded before R6.5 was enforced)"

_changes = sa.table("class_changes", sa.column("reason", sa.Text()))


def upgrade() -> None:
    op.execute(_changes.update()
               .where(sa.or_(_changes.c.reason.is_(None), sa.func.trim(_changes.c.reason) == ""))
               .values(reason=NO_REASON))
    with op.batch_alter_table("class_changes") as batch:
        batch.alter_column("reason", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("class_changes") as batch:
        batch.alter_column("reason", existing_type=sa.Text(), nullable=True)
    op.execute(_changes.update().where(_changes.c.reason == NO_REASON).values(reason=None))
