"""Facts about tickets and work orders that several readers ask, written down once.

The board's banner, the scheduler's alerts, the recommendation's state and intake's duplicate
search all ask "is this ticket open?" or "has a crew left for it?". When each wrote its own
query the copies drifted apart (the scheduler once counted a cancelled order as a departure while
the board did not), so the answers live here as SQL expressions that the readers compose.
"""

from ops.queries.facts import (
    ACTIVE_ORDER_STATUSES,
    OPEN_TICKET_STATUSES,
    class1_awaiting_departure,
    crew_has_departed,
    order_is_active,
    ticket_is_open,
)

__all__ = [
    "ACTIVE_ORDER_STATUSES",
    "OPEN_TICKET_STATUSES",
    "class1_awaiting_departure",
    "crew_has_departed",
    "order_is_active",
    "ticket_is_open",
]
