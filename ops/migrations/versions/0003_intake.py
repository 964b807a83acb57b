"""Intake (issue 5): R6.2 call-back tasks, API idempotency keys, approximate ticket locations.

Written out in full, like 0001 and 0002. ``tickets.location_approximate`` is a NOT NULL boolean with a
server default, which both databases add in place (existing tickets become "not approximate": they
were imported with exact coordinates). The unique (owner, key) constraint is what stops two
concurrent retries of one API request from creating two tickets.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column('tickets', sa.Column('location_approximate', sa.Boolean(), server_default=sa.false(),
                                       nullable=False))

    op.create_table('intake_callback_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.Enum('pending', 'done', 'unreachable', name='status', native_enum=False,
                                    create_constraint=True, length=32), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('done_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['done_by_id'], ['users.id'],
                                name=op.f('fk_intake_callback_tasks_done_by_id_users')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'],
                                name=op.f('fk_intake_callback_tasks_ticket_id_tickets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_callback_tasks')),
    )
    op.create_index('ix_intake_callback_tasks_status_due_at', 'intake_callback_tasks', ['status', 'due_at'],
                    unique=False)
    op.create_index(op.f('ix_intake_callback_tasks_ticket_id'), 'intake_callback_tasks', ['ticket_id'],
                    unique=False)

    op.create_table('intake_idempotency_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner', sa.String(length=240), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'],
                                name=op.f('fk_intake_idempotency_keys_ticket_id_tickets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_idempotency_keys')),
        sa.UniqueConstraint('owner', 'key', name='uq_intake_idempotency_keys_owner_key'),
    )
    op.create_index(op.f('ix_intake_idempotency_keys_ticket_id'), 'intake_idempotency_keys', ['ticket_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_table('intake_idempotency_keys')
    op.drop_table('intake_callback_tasks')
    # SQLite 3.35+ drops a plain column in place; batch mode covers older ones and the server default.
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('location_approximate')
