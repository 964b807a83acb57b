"""Replan on events: the one way an event asks the scheduler for a new plan in force.

The plan in force (``ops.plan_in_force``) is what every click inserts into and what R7.3
auto-dispatch sends crews by. The scheduler refreshes it once a minute; an event that changes who
can go where (a new class 1, a confirmation, a cancellation or reassignment, a crew whose
availability changes, a crew that finishes) should not leave it a minute stale. So the service that
makes such a change calls :func:`request_replan` in its own transaction: the request commits with
the event or not at all, and the scheduler (``ops.scheduler.replan_on_request``), checking every
second, plans once for every request it finds.

It is not a decision of its own and is not audited: the event's audit line is the record, and the
request is deleted once a plan has answered it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from ops.errors import check_aware
from ops.models import ReplanRequest

__all__ = ["ReplanReason", "request_replan"]


class ReplanReason(StrEnum):
    """What asked for the replan (stable identifiers: they are stored)."""

    CLASS1 = "class1"              # a new class 1 (saved, or raised to class 1)
    CONFIRM = "confirm"            # a crew was dispatched (by a person or R7.3 auto-dispatch)
    CANCEL = "cancel"              # a crew was withdrawn from an order
    REASSIGN = "reassign"          # an order moved: to another crew, or within its crew's queue
    CREW_STATUS = "crew_status"    # a crew went on or off shift, or changed availability
    CREW_FREE = "crew_free"        # a crew finished its order (done or not fixed): it can take work


def request_replan(db: Session, now: datetime, reason: ReplanReason | str) -> ReplanRequest:
    """Ask for a new plan in force, in the caller's transaction (call it next to the event's change)."""
    check_aware(now, "now")
    row = ReplanRequest(requested_at=now, reason=ReplanReason(reason).value)
    db.add(row)
    return row
