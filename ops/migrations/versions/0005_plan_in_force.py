"""The plan in force (issue 6): the scheduler's stored routes that recommendations insert into.

One new table and nothing altered. Rows are pruned by the scheduler as it writes newer ones.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table('plans_in_force',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('used_fallback', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('routes', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plans_in_force')),
    )
    op.create_index(op.f('ix_plans_in_force_created_at'), 'plans_in_force', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('plans_in_force')
