"""Initial schema: the whole operational record, and the append-only audit log.

Written out in full (not generated at run time) so that the schema a deployment gets is the one
reviewed here. The enum values and the "active work order" statuses are frozen copies of
ops.vocabulary as of this revision; a later change to a vocabulary needs its own migration.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

#: A work order in one of these statuses holds its ticket and its crew (partial unique indexes below).
ACTIVE_WORK_ORDER = sa.text("status IN ('dispatched', 'acknowledged', 'en_route', 'on_site')")

#: Same wording as ops.models.audit.AUDIT_APPEND_ONLY_MESSAGE.
APPEND_ONLY = "audit_events is append-only (R13.1): UPDATE and DELETE are refused"

TABLES_IN_CREATION_ORDER = (
    "districts",
    "scheduler_leases",
    "users",
    "audit_events",
    "customers",
    "depots",
    "incidents",
    "user_rights",
    "user_roles",
    "crews",
    "incident_notices",
    "tickets",
    "class_changes",
    "crew_members",
    "crew_positions",
    "incident_tickets",
    "safety_instructions",
    "ticket_reporters",
    "work_orders",
    "complaints",
    "follow_ups",
    "repair_records",
    "spot_checks",
)


def _create_audit_triggers() -> None:
    """R13.1: refuse UPDATE and DELETE on audit_events in the database itself, whoever connects.

    Both databases report the refusal as an integrity error, so callers see the same exception class.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_events_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY} (attempted %)', TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def _drop_audit_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update_delete ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")


def upgrade() -> None:
    op.create_table('districts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('population', sa.Integer(), nullable=True),
        sa.Column('centroid_lon', sa.Float(), nullable=False),
        sa.Column('centroid_lat', sa.Float(), nullable=False),
        sa.Column('geometry_geojson', sa.Text(), nullable=True),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.CheckConstraint('population IS NULL OR population >= 0', name=op.f('ck_districts_population')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_districts')),
        sa.UniqueConstraint('code', name=op.f('uq_districts_code'))
    )

    op.create_table('scheduler_leases',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('holder', sa.String(length=200), nullable=False),
        sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases'))
    )

    op.create_table('users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('display_name', sa.String(length=200), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=True),
        sa.Column('language', sa.String(length=8), server_default='zh_CN', nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("language IN ('zh_CN', 'en')", name=op.f('ck_users_language')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
        sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )

    op.create_table('audit_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sa.String(length=200), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('entity', sa.String(length=64), nullable=False),
        sa.Column('entity_id', sa.String(length=64), nullable=True),
        sa.Column('before', sa.JSON(none_as_null=True), nullable=True),
        sa.Column('after', sa.JSON(none_as_null=True), nullable=True),
        sa.Column('recommendation', sa.JSON(none_as_null=True), nullable=True),
        sa.Column('imported', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    op.create_index('ix_audit_events_actor_id_at', 'audit_events', ['actor_id', 'at'], unique=False)
    op.create_index('ix_audit_events_at', 'audit_events', ['at'], unique=False)
    op.create_index('ix_audit_events_entity_entity_id', 'audit_events', ['entity', 'entity_id'], unique=False)

    op.create_table('customers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_no', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=True),
        sa.Column('address', sa.String(length=500), nullable=False),
        sa.Column('door_no', sa.String(length=50), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('district_id', sa.Integer(), nullable=True),
        sa.Column('emergency_contact_name', sa.String(length=200), nullable=True),
        sa.Column('emergency_contact_phone', sa.String(length=40), nullable=True),
        sa.Column('emergency_contact_note', sa.String(length=500), nullable=True),
        sa.Column('lives_alone', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('vulnerable', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_customers_district_id_districts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
        sa.UniqueConstraint('customer_no', name=op.f('uq_customers_customer_no'))
    )
    op.create_index(op.f('ix_customers_district_id'), 'customers', ['district_id'], unique=False)

    op.create_table('depots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('lon', sa.Float(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_depots_district_id_districts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_depots')),
        sa.UniqueConstraint('name', name=op.f('uq_depots_name'))
    )
    op.create_index(op.f('ix_depots_district_id'), 'depots', ['district_id'], unique=False)

    op.create_table('incidents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('kind', sa.Enum('gas_leak', 'no_gas', 'abnormal_flame', 'meter_fault', 'valve_damage', 'pipe_damage', 'fire', 'explosion', 'appliance_fault', 'installation', 'modification', 'consultation', 'maintenance', 'other', name='kind', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lon', sa.Float(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('cordon_radius_m', sa.Float(), nullable=True),
        sa.Column('cordon_geojson', sa.Text(), nullable=True),
        sa.Column('status', sa.Enum('active', 'restored', 'closed', name='status', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('cordon_radius_m IS NULL OR cordon_radius_m > 0', name=op.f('ck_incidents_cordon_radius_m')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_incidents_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    op.create_index(op.f('ix_incidents_status'), 'incidents', ['status'], unique=False)

    op.create_table('user_rights',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('right', sa.String(length=64), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_user_rights_granted_by_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_rights_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'right', name=op.f('pk_user_rights'))
    )

    op.create_table('user_roles',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.Enum('hotline_agent', 'dispatcher', 'supervisor', 'crew_member', 'callback_agent', 'quality_inspector', 'manager', 'planner', 'admin', 'system', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_roles_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_roles'))
    )

    op.create_table('crews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('depot_id', sa.Integer(), nullable=True),
        sa.Column('skills', sa.JSON(), nullable=False),
        sa.Column('shift_pattern', sa.Enum('day', 'night', name='shift_pattern', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('shift_start_hour', sa.Integer(), nullable=False),
        sa.Column('shift_end_hour', sa.Integer(), nullable=False),
        sa.Column('status', sa.Enum('off_shift', 'available', 'dispatched', 'en_route', 'on_site', 'unavailable', name='status', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('last_lon', sa.Float(), nullable=True),
        sa.Column('last_lat', sa.Float(), nullable=True),
        sa.Column('last_position_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint('shift_end_hour BETWEEN 0 AND 24', name=op.f('ck_crews_shift_end_hour')),
        sa.CheckConstraint('shift_start_hour BETWEEN 0 AND 23', name=op.f('ck_crews_shift_start_hour')),
        sa.ForeignKeyConstraint(['depot_id'], ['depots.id'], name=op.f('fk_crews_depot_id_depots')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crews')),
        sa.UniqueConstraint('code', name=op.f('uq_crews_code'))
    )
    op.create_index(op.f('ix_crews_depot_id'), 'crews', ['depot_id'], unique=False)
    op.create_index(op.f('ix_crews_status'), 'crews', ['status'], unique=False)

    op.create_table('incident_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('outage', 'restoration', name='kind', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('customers_notified', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('sent_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('customers_notified >= 0', name=op.f('ck_incident_notices_customers_notified')),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_notices_incident_id_incidents'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_incident_notices_sent_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_notices'))
    )
    op.create_index(op.f('ix_incident_notices_incident_id'), 'incident_notices', ['incident_id'], unique=False)

    op.create_table('tickets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_no', sa.String(length=32), nullable=False),
        sa.Column('channel', sa.Enum('hotline', 'web_app', 'wechat', 'counter', name='channel', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reporter_name', sa.String(length=200), nullable=False),
        sa.Column('reporter_phone', sa.String(length=40), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('address', sa.String(length=500), nullable=False),
        sa.Column('door_no', sa.String(length=50), nullable=True),
        sa.Column('lon', sa.Float(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=True),
        sa.Column('symptom', sa.Enum('gas_leak', 'no_gas', 'abnormal_flame', 'meter_fault', 'valve_damage', 'pipe_damage', 'fire', 'explosion', 'appliance_fault', 'installation', 'modification', 'consultation', 'maintenance', 'other', name='symptom', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('fault_started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('fault_duration_minutes', sa.Integer(), nullable=True),
        sa.Column('odour', sa.Enum('yes', 'no', 'unknown', name='odour', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('abnormal_noise', sa.Enum('yes', 'no', 'unknown', name='abnormal_noise', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('people_on_site', sa.Enum('yes', 'no', 'unknown', name='people_on_site', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('ventilated', sa.Enum('yes', 'no', 'unknown', name='ventilated', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('valve_closed', sa.Enum('yes', 'no', 'unknown', name='valve_closed', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('agent_judgement', sa.Enum('emergency', 'general', name='agent_judgement', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('special_requests', sa.Text(), nullable=True),
        sa.Column('proposed_class', sa.Integer(), nullable=False),
        sa.Column('ticket_class', sa.Integer(), nullable=False),
        sa.Column('rule_version', sa.String(length=32), nullable=False),
        sa.Column('slot_start', sa.DateTime(timezone=True), nullable=True),
        sa.Column('slot_end', sa.DateTime(timezone=True), nullable=True),
        sa.Column('depart_deadline', sa.DateTime(timezone=True), nullable=True),
        sa.Column('dispatch_deadline', sa.DateTime(timezone=True), nullable=True),
        sa.Column('onsite_target', sa.DateTime(timezone=True), nullable=True),
        sa.Column('onsite_deadline', sa.DateTime(timezone=True), nullable=True),
        sa.Column('status', sa.Enum('new', 'dispatched', 'acknowledged', 'en_route', 'on_site', 'completed', 'closed', 'cancelled', name='status', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('(slot_start IS NULL AND slot_end IS NULL) OR (slot_start IS NOT NULL AND slot_end IS NOT NULL AND slot_start < slot_end)', name=op.f('ck_tickets_slot')),
        sa.CheckConstraint('duplicate_of_id IS NULL OR duplicate_of_id <> id', name=op.f('ck_tickets_not_own_duplicate')),
        sa.CheckConstraint('fault_duration_minutes IS NULL OR fault_duration_minutes >= 0', name=op.f('ck_tickets_fault_duration_minutes')),
        sa.CheckConstraint('proposed_class IN (1, 2, 3)', name=op.f('ck_tickets_proposed_class')),
        sa.CheckConstraint('ticket_class IN (1, 2, 3)', name=op.f('ck_tickets_ticket_class')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tickets_created_by_id_users')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_tickets_customer_id_customers')),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_tickets_district_id_districts')),
        sa.ForeignKeyConstraint(['duplicate_of_id'], ['tickets.id'], name=op.f('fk_tickets_duplicate_of_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
        sa.UniqueConstraint('ticket_no', name=op.f('uq_tickets_ticket_no'))
    )
    op.create_index(op.f('ix_tickets_customer_id'), 'tickets', ['customer_id'], unique=False)
    op.create_index(op.f('ix_tickets_district_id'), 'tickets', ['district_id'], unique=False)
    op.create_index(op.f('ix_tickets_duplicate_of_id'), 'tickets', ['duplicate_of_id'], unique=False)
    op.create_index(op.f('ix_tickets_received_at'), 'tickets', ['received_at'], unique=False)
    op.create_index('ix_tickets_status_class_received', 'tickets', ['status', 'ticket_class', 'received_at'], unique=False)

    op.create_table('class_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('from_class', sa.Integer(), nullable=False),
        sa.Column('to_class', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('from_class <> to_class', name=op.f('ck_class_changes_changes_class')),
        sa.CheckConstraint('from_class IN (1, 2, 3)', name=op.f('ck_class_changes_from_class')),
        sa.CheckConstraint('to_class IN (1, 2, 3)', name=op.f('ck_class_changes_to_class')),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_class_changes_actor_id_users')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_class_changes_ticket_id_tickets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_class_changes'))
    )
    op.create_index(op.f('ix_class_changes_ticket_id'), 'class_changes', ['ticket_id'], unique=False)

    op.create_table('crew_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('crew_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['crew_id'], ['crews.id'], name=op.f('fk_crew_members_crew_id_crews'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_crew_members_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crew_members')),
        sa.UniqueConstraint('user_id', name=op.f('uq_crew_members_user_id'))
    )
    op.create_index(op.f('ix_crew_members_crew_id'), 'crew_members', ['crew_id'], unique=False)

    op.create_table('crew_positions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('crew_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lon', sa.Float(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('speed_kmh', sa.Float(), nullable=True),
        sa.Column('heading_deg', sa.Float(), nullable=True),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['crew_id'], ['crews.id'], name=op.f('fk_crew_positions_crew_id_crews'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crew_positions'))
    )
    op.create_index('ix_crew_positions_crew_id_at', 'crew_positions', ['crew_id', 'at'], unique=False)

    op.create_table('incident_tickets',
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('linked_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_tickets_incident_id_incidents'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_incident_tickets_linked_by_id_users')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_incident_tickets_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('incident_id', 'ticket_id', name=op.f('pk_incident_tickets'))
    )
    op.create_index(op.f('ix_incident_tickets_ticket_id'), 'incident_tickets', ['ticket_id'], unique=False)

    op.create_table('safety_instructions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('given_by_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.Enum('hotline', 'web_app', 'wechat', 'counter', name='channel', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('shown_on_screen', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(['given_by_id'], ['users.id'], name=op.f('fk_safety_instructions_given_by_id_users')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_safety_instructions_ticket_id_tickets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_instructions'))
    )
    op.create_index(op.f('ix_safety_instructions_ticket_id'), 'safety_instructions', ['ticket_id'], unique=False)

    op.create_table('ticket_reporters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=False),
        sa.Column('channel', sa.Enum('hotline', 'web_app', 'wechat', 'counter', name='channel', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('linked_by_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_ticket_reporters_customer_id_customers')),
        sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_ticket_reporters_linked_by_id_users')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_reporters_ticket_id_tickets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_reporters'))
    )
    op.create_index(op.f('ix_ticket_reporters_ticket_id'), 'ticket_reporters', ['ticket_id'], unique=False)

    op.create_table('work_orders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('crew_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.Enum('dispatched', 'acknowledged', 'en_route', 'on_site', 'completed', 'cancelled', name='status', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('recommended_crew_id', sa.Integer(), nullable=True),
        sa.Column('recommendation', sa.JSON(none_as_null=True), nullable=True),
        sa.Column('override_reason', sa.Text(), nullable=True),
        sa.Column('auto_dispatched', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('pre_alerted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('dispatched_by_id', sa.Integer(), nullable=True),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('departed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancel_reason', sa.Text(), nullable=True),
        sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('eta_seconds_at_dispatch', sa.Integer(), nullable=True),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("status <> 'cancelled' OR cancelled_at IS NOT NULL", name=op.f('ck_work_orders_cancelled_at')),
        sa.CheckConstraint('eta_seconds_at_dispatch IS NULL OR eta_seconds_at_dispatch >= 0', name=op.f('ck_work_orders_eta_seconds_at_dispatch')),
        sa.ForeignKeyConstraint(['crew_id'], ['crews.id'], name=op.f('fk_work_orders_crew_id_crews')),
        sa.ForeignKeyConstraint(['dispatched_by_id'], ['users.id'], name=op.f('fk_work_orders_dispatched_by_id_users')),
        sa.ForeignKeyConstraint(['recommended_crew_id'], ['crews.id'], name=op.f('fk_work_orders_recommended_crew_id_crews')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_work_orders_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_work_orders'))
    )
    op.create_index('ix_work_orders_crew_id_status', 'work_orders', ['crew_id', 'status'], unique=False)
    op.create_index(op.f('ix_work_orders_status'), 'work_orders', ['status'], unique=False)
    op.create_index(op.f('ix_work_orders_ticket_id'), 'work_orders', ['ticket_id'], unique=False)
    op.create_index('uq_work_orders_one_active_per_crew', 'work_orders', ['crew_id'], unique=True, sqlite_where=ACTIVE_WORK_ORDER, postgresql_where=ACTIVE_WORK_ORDER)
    op.create_index('uq_work_orders_one_active_per_ticket', 'work_orders', ['ticket_id'], unique=True, sqlite_where=ACTIVE_WORK_ORDER, postgresql_where=ACTIVE_WORK_ORDER)

    op.create_table('complaints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('work_order_id', sa.Integer(), nullable=True),
        sa.Column('complainant_name', sa.String(length=200), nullable=False),
        sa.Column('complainant_phone', sa.String(length=40), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('channel', sa.Enum('hotline', 'web_app', 'wechat', 'counter', name='channel', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('handler_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.Enum('open', 'in_progress', 'resolved', name='status', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolution', sa.Text(), nullable=True),
        sa.Column('customer_satisfied', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_complaints_customer_id_customers')),
        sa.ForeignKeyConstraint(['handler_id'], ['users.id'], name=op.f('fk_complaints_handler_id_users')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_complaints_ticket_id_tickets')),
        sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_complaints_work_order_id_work_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints'))
    )
    op.create_index(op.f('ix_complaints_customer_id'), 'complaints', ['customer_id'], unique=False)
    op.create_index(op.f('ix_complaints_handler_id'), 'complaints', ['handler_id'], unique=False)
    op.create_index(op.f('ix_complaints_status'), 'complaints', ['status'], unique=False)
    op.create_index(op.f('ix_complaints_ticket_id'), 'complaints', ['ticket_id'], unique=False)
    op.create_index(op.f('ix_complaints_work_order_id'), 'complaints', ['work_order_id'], unique=False)

    op.create_table('follow_ups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('work_order_id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('reporter_id', sa.Integer(), nullable=True),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('priority', sa.Integer(), server_default='0', nullable=False),
        sa.Column('status', sa.Enum('pending', 'done', 'unreachable', name='status', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('arrived_on_time', sa.Enum('yes', 'no', 'unknown', name='arrived_on_time', native_enum=False, create_constraint=True, length=32), nullable=True),
        sa.Column('courteous', sa.Enum('yes', 'no', 'unknown', name='courteous', native_enum=False, create_constraint=True, length=32), nullable=True),
        sa.Column('fully_fixed', sa.Enum('yes', 'no', 'unknown', name='fully_fixed', native_enum=False, create_constraint=True, length=32), nullable=True),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('suggestions', sa.Text(), nullable=True),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_follow_ups_attempts')),
        sa.CheckConstraint('score IS NULL OR score BETWEEN 1 AND 5', name=op.f('ck_follow_ups_score')),
        sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_follow_ups_agent_id_users')),
        sa.ForeignKeyConstraint(['reporter_id'], ['ticket_reporters.id'], name=op.f('fk_follow_ups_reporter_id_ticket_reporters')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_follow_ups_ticket_id_tickets')),
        sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_follow_ups_work_order_id_work_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    op.create_index('ix_follow_ups_status_due_at', 'follow_ups', ['status', 'due_at'], unique=False)
    op.create_index(op.f('ix_follow_ups_ticket_id'), 'follow_ups', ['ticket_id'], unique=False)
    op.create_index(op.f('ix_follow_ups_work_order_id'), 'follow_ups', ['work_order_id'], unique=False)

    op.create_table('repair_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('work_order_id', sa.Integer(), nullable=False),
        sa.Column('cause', sa.Text(), nullable=False),
        sa.Column('measures', sa.Text(), nullable=False),
        sa.Column('parts_replaced', sa.JSON(), nullable=False),
        sa.Column('result', sa.Enum('fixed', 'not_fixed', 'needs_follow_up', name='result', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('customer_confirmation', sa.Text(), nullable=False),
        sa.Column('gas_reading_ppm', sa.Float(), nullable=True),
        sa.Column('gas_reading_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('safety_advice_given', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('gas_restored_after_check', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('filed_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('(gas_reading_ppm IS NULL) = (gas_reading_at IS NULL)', name=op.f('ck_repair_records_gas_reading_with_time')),
        sa.CheckConstraint('gas_reading_ppm IS NULL OR gas_reading_ppm >= 0', name=op.f('ck_repair_records_gas_reading_ppm')),
        sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_repair_records_filed_by_id_users')),
        sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_repair_records_work_order_id_work_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_records')),
        sa.UniqueConstraint('work_order_id', name=op.f('uq_repair_records_work_order_id'))
    )

    op.create_table('spot_checks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('work_order_id', sa.Integer(), nullable=False),
        sa.Column('inspector_id', sa.Integer(), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('complete', sa.Boolean(), nullable=False),
        sa.Column('truthful', sa.Boolean(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_spot_checks_inspector_id_users')),
        sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_spot_checks_work_order_id_work_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_checks'))
    )
    op.create_index(op.f('ix_spot_checks_work_order_id'), 'spot_checks', ['work_order_id'], unique=False)

    _create_audit_triggers()


def downgrade() -> None:
    _drop_audit_triggers()
    for table in reversed(TABLES_IN_CREATION_ORDER):
        op.drop_table(table)
