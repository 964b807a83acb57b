"""Facts about tickets and work orders that several readers ask, written down once.

The board's banner, the scheduler's alerts, the recommendation's state and intake's duplicate
search all ask "is this ticket open?", "is it awaiting a crew?", "has a crew left for it?" or "is
its deadline at risk?". When each wrote its own query the copies drifted apart (the scheduler once
counted a cancelled order as a departure while the board did not), so the answers live here: SQL
expressions that the readers compose, and :func:`at_risk`, which compares a deadline with a
prediction rather than querying.
"""

from ops.queries.facts import (
    ACTIVE_ORDER_STATUSES,
    CURRENT_ORDER_STATUSES,
    OPEN_TICKET_STATUSES,
    awaiting_crew,
    class1_awaiting_departure,
    crew_has_departed,
    crew_on_the_way,
    order_is_active,
    order_is_current,
    order_is_queued,
    ticket_is_open,
)
from ops.queries.risk import at_risk

__all__ = [
    "ACTIVE_ORDER_STATUSES",
    "CURRENT_ORDER_STATUSES",
    "OPEN_TICKET_STATUSES",
    "at_risk",
    "awaiting_crew",
    "class1_awaiting_departure",
    "crew_has_departed",
    "crew_on_the_way",
    "order_is_active",
    "order_is_current",
    "order_is_queued",
    "ticket_is_open",
]
