"""Dispatch and the work-order loop (issue 6): stored recommendations, alerts, detector readings.

Written out in full, like 0001-0003. Three new tables and nothing altered, so the upgrade is plain
CREATE TABLE on both databases. ``recommendations`` keeps what the system recommended at the moment
a dispatcher decided (R13.1); ``alerts`` is the scheduler's output for the pages (R7.2-R7.4);
``gas_readings`` are the R8.3 detector readings a class-1 order cannot complete without.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table('recommendations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_fallback', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_recommendations_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendations')),
    )
    op.create_index(op.f('ix_recommendations_ticket_id'), 'recommendations', ['ticket_id'], unique=False)

    op.create_table('alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('pre_alert', 'auto_dispatched', 'no_ack', 'at_risk', 'red', 'no_crew',
                                  name='kind', native_enum=False, create_constraint=True, length=32),
                  nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('work_order_id', sa.Integer(), nullable=True),
        sa.Column('crew_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
        sa.Column('message', sa.String(length=64), nullable=False),
        sa.Column('details', sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_alerts_acknowledged_by_id_users')),
        sa.ForeignKeyConstraint(['crew_id'], ['crews.id'], name=op.f('fk_alerts_crew_id_crews')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_alerts_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'],
                                name=op.f('fk_alerts_work_order_id_work_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    )
    op.create_index('ix_alerts_acknowledged_at_created_at', 'alerts', ['acknowledged_at', 'created_at'],
                    unique=False)
    op.create_index(op.f('ix_alerts_ticket_id'), 'alerts', ['ticket_id'], unique=False)

    op.create_table('gas_readings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('work_order_id', sa.Integer(), nullable=False),
        sa.Column('ppm', sa.Float(), nullable=False),
        sa.Column('measured_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('ppm >= 0', name=op.f('ck_gas_readings_ppm')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_gas_readings_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'],
                                name=op.f('fk_gas_readings_work_order_id_work_orders'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gas_readings')),
    )
    op.create_index(op.f('ix_gas_readings_work_order_id'), 'gas_readings', ['work_order_id'], unique=False)


def downgrade() -> None:
    op.drop_table('gas_readings')
    op.drop_table('alerts')
    op.drop_table('recommendations')
