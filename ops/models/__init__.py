"""The operational record: every table, importable from one place.

Importing this package registers every model on ``Base.metadata``, which is what Alembic compares
the migrations against.
"""

from ops.models.accounts import User, UserRight, UserRole
from ops.models.audit import AuditEvent
from ops.models.auth import ApiToken, LoginAttempt, UserSession
from ops.models.base import NAMING_CONVENTION, Base, IntEnumType, UTCDateTime
from ops.models.crews import Crew, CrewMember, CrewPosition
from ops.models.customers import Customer
from ops.models.dispatch import Alert, AlertKind, GasReading, PlanInForce, Recommendation
from ops.models.followups import Complaint, FollowUp, SpotCheck
from ops.models.geography import Depot, District
from ops.models.incidents import Incident, IncidentNotice, IncidentTicket
from ops.models.intake import IdempotencyKey, IntakeCallbackTask
from ops.models.scheduler import ReplanRequest, SchedulerLease
from ops.models.tickets import ClassChange, SafetyInstruction, Ticket, TicketReporter
from ops.models.work_orders import (
    ACTIVE_WORK_ORDER_STATUSES,
    QUEUE_RANK_GAP,
    RepairRecord,
    WorkOrder,
)

__all__ = [
    "ACTIVE_WORK_ORDER_STATUSES",
    "NAMING_CONVENTION",
    "QUEUE_RANK_GAP",
    "Alert",
    "AlertKind",
    "ApiToken",
    "AuditEvent",
    "Base",
    "ClassChange",
    "Complaint",
    "Crew",
    "CrewMember",
    "CrewPosition",
    "Customer",
    "Depot",
    "District",
    "FollowUp",
    "GasReading",
    "IdempotencyKey",
    "Incident",
    "IncidentNotice",
    "IncidentTicket",
    "IntEnumType",
    "IntakeCallbackTask",
    "LoginAttempt",
    "PlanInForce",
    "Recommendation",
    "RepairRecord",
    "ReplanRequest",
    "SafetyInstruction",
    "SchedulerLease",
    "SpotCheck",
    "Ticket",
    "TicketReporter",
    "UTCDateTime",
    "User",
    "UserRight",
    "UserRole",
    "UserSession",
    "WorkOrder",
]
