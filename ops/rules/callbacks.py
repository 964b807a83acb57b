"""R10 callbacks: when a customer must be called back after a repair, and in which order."""

from __future__ import annotations

from datetime import datetime, timedelta

from ops.clock import as_utc, elapsed_after, require_aware
from ops.rules.settings import RuleSettings, resolve
from ops.vocabulary import TicketClass

__all__ = ["callback_due", "callback_order_key"]


def callback_due(
    ticket_class: TicketClass | int,
    completed_at: datetime,
    rules: RuleSettings | None = None,
) -> datetime:
    """R10.2: the callback deadline, 48 h after completion for class 1 and 24 h for classes 2 and 3."""
    r = resolve(rules)
    require_aware(completed_at, "completed_at")
    hours = r.callback_class1_hours if TicketClass(ticket_class) is TicketClass.EMERGENCY else r.callback_general_hours
    return elapsed_after(completed_at, timedelta(hours=hours))


def callback_order_key(
    ticket_class: TicketClass | int,
    due_at: datetime,
    *,
    complaint: bool = False,
) -> tuple[int, datetime]:
    """Sort key for the callback queue (R10.1): emergency and complaint orders first, then by due time.

    Emergencies come first even though their deadline is longer (48 h): R10.1 ranks them ahead,
    and the due time only orders within a rank.
    """
    first = TicketClass(ticket_class) is TicketClass.EMERGENCY or complaint
    return (0 if first else 1, as_utc(require_aware(due_at, "due_at")))

