"""One meaning per column (issue 11): ``tickets.onsite_deadline`` becomes ``onsite_limit``, the R6.3 limit only.

The column held the R6.3 on-site limit for class 2 and a copy of ``slot_end`` for class 3, so every
reader had to know which by class. After this revision it holds the limit (class 2) and nothing
else; class 3 reads its slot from ``slot_end``. A class-3 value is cleared only where it equals
``slot_end``: a ticket whose value differs would lose information, so the upgrade stops and names it
(set that ticket's ``onsite_deadline`` to its ``slot_end``, or to NULL, then upgrade again).
The downgrade copies ``slot_end`` back for class 3.

Revision ID: 0006_onsite_limit
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_onsite_limit"
down_revision: str | None = "0005"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

#: ``TicketClass.SCHEDULED``, written out: a revision never imports application code that may change.
_CLASS3 = 3
#: How many of the differing tickets the error names (all of them are counted).
_NAMED = 20


def _tickets(column: str) -> sa.TableClause:
    return sa.table("tickets", sa.column("id", sa.Integer()), sa.column("ticket_class", sa.Integer()),
                    sa.column(column, sa.DateTime(timezone=True)), sa.column("slot_end", sa.DateTime(timezone=True)))


def _rename(old: str, new: str) -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column(old, new_column_name=new, existing_type=sa.DateTime(timezone=True),
                           existing_nullable=True)


def upgrade() -> None:
    t = _tickets("onsite_deadline")
    differing = op.get_bind().execute(
        sa.select(t.c.id).where(
            t.c.ticket_class == _CLASS3, t.c.onsite_deadline.is_not(None),
            sa.or_(t.c.slot_end.is_(None), t.c.onsite_deadline != t.c.slot_end),
        ).order_by(t.c.id)
    ).scalars().all()
    if differing:
        named = ", ".join(str(i) for i in differing[:_NAMED]) + (", ..." if len(differing) > _NAMED else "")
        raise RuntimeError(
            f"0006_onsite_limit: {len(differing)} class-3 ticket(s) have an onsite_deadline that is not their "
            f"slot_end (ticket ids {named}); clearing it would lose data. Set each one's onsite_deadline to its "
            "slot_end (or NULL) and upgrade again."
        )
    _rename("onsite_deadline", "onsite_limit")
    t = _tickets("onsite_limit")
    op.execute(sa.update(t).where(t.c.ticket_class == _CLASS3).values(onsite_limit=None))


def downgrade() -> None:
    t = _tickets("onsite_limit")
    op.execute(sa.update(t).where(t.c.ticket_class == _CLASS3).values(onsite_limit=t.c.slot_end))
    _rename("onsite_limit", "onsite_deadline")
