"""What validating a historical ticket hands to the writer: the checked values, ready to insert.

Validation runs over the whole batch before anything is written (all or nothing), so its results
are kept as plans rather than as ORM objects added to the session along the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ops.services.bulk_import.records import HistoricalTicket, WorkOrderTimeline
from ops.vocabulary import FollowUpStatus, RepairResult, WorkOrderStatus

__all__ = ["OrderPlan", "TicketPlan"]


@dataclass
class OrderPlan:
    """A checked work order: its status derived from the milestones, names resolved to ids."""

    source: WorkOrderTimeline
    crew_id: int
    status: WorkOrderStatus
    dispatched_by_id: int | None
    repair_result: RepairResult | None = None
    filed_by_id: int | None = None
    callback_status: FollowUpStatus | None = None
    callback_agent_id: int | None = None
    callback_answers: dict[str, Any] = field(default_factory=dict)
    #: R10.3: the visit did not fix the fault, so a further visit may follow.
    reopened: bool = False


@dataclass
class TicketPlan:
    """A checked ticket: the column values of its row and the plans of what hangs off it."""

    index: int
    source: HistoricalTicket
    values: dict[str, Any]
    orders: list[OrderPlan]
    class_change: dict[str, Any] | None
    safety_codes: tuple[str, ...]
    safety_given_by_id: int | None
    complaints: list[dict[str, Any]]
