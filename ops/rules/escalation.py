"""R7.2-R7.4 escalation: when the scheduler acts on an unacknowledged order or a waiting class 1."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ops.clock import elapsed_after, require_aware
from ops.rules.settings import RuleSettings, resolve
from ops.vocabulary import TicketClass

__all__ = ["EscalationTimes", "escalation_times"]


@dataclass(frozen=True)
class EscalationTimes:
    """When the scheduler must act (R7.2-R7.4); ``None`` where the rule does not apply."""

    ack_by: datetime | None            # R7.2: current since + 10 min, any class (none while queued, R7.6)
    auto_dispatch_at: datetime | None  # R7.3: class 1, received + 3 min
    red_alert_at: datetime | None      # R7.4: class 1, received + 20 min


def escalation_times(
    ticket_class: TicketClass | int,
    received_at: datetime,
    current_since: datetime | None = None,
    rules: RuleSettings | None = None,
) -> EscalationTimes:
    """The moments at which an unacknowledged, unconfirmed or undeparted ticket escalates.

    R1.1 (product): the software never lets a class 1 wait on a step it can take itself, hence
    the auto-dispatch; the red alert is for the step it cannot take (a crew actually departing).
    R7.6: the acknowledgement clock runs from ``current_since``, when the order became its crew's
    current job, not from its confirmation: a queued order (``None``) has no clock yet.
    """
    cls = TicketClass(ticket_class)
    require_aware(received_at, "received_at")
    r = resolve(rules)
    ack_by = None
    if current_since is not None:
        ack_by = elapsed_after(require_aware(current_since, "current_since"), timedelta(minutes=r.ack_minutes))
    if cls is not TicketClass.EMERGENCY:
        return EscalationTimes(ack_by, None, None)
    return EscalationTimes(
        ack_by,
        elapsed_after(received_at, timedelta(minutes=r.class1_auto_dispatch_minutes)),
        elapsed_after(received_at, timedelta(minutes=r.class1_red_alert_minutes)),
    )
