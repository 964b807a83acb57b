"""The closed vocabularies of the regulation (RULES.md R4–R10) as string enums.

They are shared by the models (stored as plain strings with CHECK constraints, so that SQLite and
PostgreSQL behave the same), the rules, the services and the pages. Values are stable identifiers:
they appear in the database, the API and the audit log, so never rename one; add a new one instead.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Channel(StrEnum):
    """R4.1: where a report came in."""

    HOTLINE = "hotline"
    WEB_APP = "web_app"
    WECHAT = "wechat"
    COUNTER = "counter"

    @property
    def is_voice(self) -> bool:
        """R6.2: only a hotline call has an agent on the line who can read the safety script."""
        return self is Channel.HOTLINE


class Symptom(StrEnum):
    """R5.2 (product): the closed list of fault symptoms."""

    GAS_LEAK = "gas_leak"
    NO_GAS = "no_gas"
    ABNORMAL_FLAME = "abnormal_flame"
    METER_FAULT = "meter_fault"
    VALVE_DAMAGE = "valve_damage"
    PIPE_DAMAGE = "pipe_damage"
    FIRE = "fire"
    EXPLOSION = "explosion"
    APPLIANCE_FAULT = "appliance_fault"
    INSTALLATION = "installation"
    MODIFICATION = "modification"
    CONSULTATION = "consultation"
    MAINTENANCE = "maintenance"
    OTHER = "other"


class Answer(StrEnum):
    """R5.3 (product): every safety question is yes, no or unknown; unknown counts as the worst case."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Judgement(StrEnum):
    """R5.4: the agent's first judgement of urgency."""

    EMERGENCY = "emergency"
    GENERAL = "general"


class TicketClass(IntEnum):
    """R6: 1 emergency repair, 2 urgent repair, 3 scheduled work. Lower number, higher priority."""

    EMERGENCY = 1
    URGENT = 2
    SCHEDULED = 3


class TicketStatus(StrEnum):
    """R1.4: every ticket has a next step until it is closed."""

    NEW = "new"                    # saved, no crew confirmed yet
    DISPATCHED = "dispatched"      # a work order is confirmed, awaiting acknowledgement
    ACKNOWLEDGED = "acknowledged"  # R7.2 crew acknowledged, preparing
    EN_ROUTE = "en_route"          # crew departed
    ON_SITE = "on_site"            # crew arrived (R8.2)
    COMPLETED = "completed"        # repair record filed (R9), awaiting callback (R10)
    CLOSED = "closed"              # callback done, nothing left to do
    CANCELLED = "cancelled"        # withdrawn or merged as a duplicate

    @property
    def is_open(self) -> bool:
        return self not in (TicketStatus.COMPLETED, TicketStatus.CLOSED, TicketStatus.CANCELLED)


class WorkOrderStatus(StrEnum):
    """The lifecycle of one crew's assignment to one ticket (R7–R9).

    R7.6: a ``queued`` order is confirmed (it holds its ticket, which counts as dispatched) but waits
    behind its crew's current order; it becomes ``dispatched`` when it is promoted to current.
    """

    QUEUED = "queued"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    CANCELLED = "cancelled"    # reassigned, escalated away or withdrawn

    @property
    def is_active(self) -> bool:
        """The order holds its ticket (queued included): no other order may be confirmed for it."""
        return self not in (WorkOrderStatus.COMPLETED, WorkOrderStatus.CANCELLED)

    @property
    def is_current(self) -> bool:
        """The crew's current job (at most one per crew): active and not waiting in the crew's queue."""
        return self.is_active and self is not WorkOrderStatus.QUEUED


class CrewStatus(StrEnum):
    """What the map shows for a crew."""

    OFF_SHIFT = "off_shift"
    AVAILABLE = "available"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    UNAVAILABLE = "unavailable"


class ShiftPattern(StrEnum):
    DAY = "day"
    NIGHT = "night"


class Skill(StrEnum):
    """What a crew is equipped and certified for; the optimizer matches tickets to skills."""

    LEAK_REPAIR = "leak_repair"
    METER = "meter"
    APPLIANCE = "appliance"
    PIPEWORK = "pipework"
    INSTALLATION = "installation"


class RepairResult(StrEnum):
    """R9.1."""

    FIXED = "fixed"
    NOT_FIXED = "not_fixed"
    NEEDS_FOLLOW_UP = "needs_follow_up"


class FollowUpStatus(StrEnum):
    """R10: the callback task for a completed work order."""

    PENDING = "pending"
    DONE = "done"
    UNREACHABLE = "unreachable"


class ComplaintStatus(StrEnum):
    """R11.3."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class IncidentStatus(StrEnum):
    """R12."""

    ACTIVE = "active"
    RESTORED = "restored"
    CLOSED = "closed"


class NoticeKind(StrEnum):
    """R12.4."""

    OUTAGE = "outage"
    RESTORATION = "restoration"


class Role(StrEnum):
    """People's roles (issue 3 builds the full matrix on top of these)."""

    HOTLINE_AGENT = "hotline_agent"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    CREW_MEMBER = "crew_member"
    CALLBACK_AGENT = "callback_agent"
    QUALITY_INSPECTOR = "quality_inspector"
    MANAGER = "manager"
    PLANNER = "planner"
    ADMIN = "admin"
    SYSTEM = "system"  # the scheduler and the importers act under this role
