"""The shared facts as SQLAlchemy expressions, correlated with ``Ticket`` (or an alias passed in)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ops.models import Ticket, WorkOrder
from ops.vocabulary import TicketClass, TicketStatus, WorkOrderStatus

__all__ = [
    "ACTIVE_ORDER_STATUSES",
    "CURRENT_ORDER_STATUSES",
    "OPEN_TICKET_STATUSES",
    "awaiting_crew",
    "class1_awaiting_departure",
    "crew_has_departed",
    "crew_on_the_way",
    "order_is_active",
    "order_is_current",
    "order_is_queued",
    "ticket_is_open",
]

#: R1.4: a ticket has a next step until it is completed (awaiting its callback), closed or cancelled.
OPEN_TICKET_STATUSES: tuple[TicketStatus, ...] = tuple(s for s in TicketStatus if s.is_open)
#: A work order that holds its ticket: the crew's current job or one queued behind it (R7.6).
ACTIVE_ORDER_STATUSES: tuple[WorkOrderStatus, ...] = tuple(s for s in WorkOrderStatus if s.is_active)
#: The crew's current job (at most one per crew, by a partial unique index): active and not queued.
CURRENT_ORDER_STATUSES: tuple[WorkOrderStatus, ...] = tuple(s for s in WorkOrderStatus if s.is_current)


def ticket_is_open(ticket: Any = Ticket) -> ColumnElement[bool]:
    """The ticket still has a next step (``ticket`` may be ``Ticket`` or an alias of it)."""
    return ticket.status.in_(OPEN_TICKET_STATUSES)


def order_is_active(order: Any = WorkOrder) -> ColumnElement[bool]:
    """The order holds its ticket, current or queued (``order`` may be ``WorkOrder`` or an alias of it)."""
    return order.status.in_(ACTIVE_ORDER_STATUSES)


def order_is_current(order: Any = WorkOrder) -> ColumnElement[bool]:
    """The order is its crew's current job: what the map, the crew's status and the R7.2 clock follow."""
    return order.status.in_(CURRENT_ORDER_STATUSES)


def order_is_queued(order: Any = WorkOrder) -> ColumnElement[bool]:
    """R7.6: the order is confirmed and waits in its crew's queue behind the current one."""
    return order.status == WorkOrderStatus.QUEUED


def crew_on_the_way(order: Any = WorkOrder) -> ColumnElement[bool]:
    """The order is active and its crew has not arrived yet: its arrival can still be late (at risk).

    A queued order counts: its crew has yet to reach it, so its deadline can be at risk too.
    """
    return sa.and_(order_is_active(order), order.status != WorkOrderStatus.ON_SITE)


def awaiting_crew(ticket: Any = Ticket) -> ColumnElement[bool]:
    """The ticket is open and no crew is assigned to it: nobody confirmed one yet, or its last order
    was cancelled or closed as needing another visit (a dispatcher or R7.3 must send one)."""
    return sa.and_(ticket_is_open(ticket), ~sa.exists().where(WorkOrder.ticket_id == ticket.id,
                                                             order_is_active()))


def crew_has_departed(ticket_id: Any = Ticket.id) -> ColumnElement[bool]:
    """R6.1/R7.4: a crew has left for the ticket and is still assigned to it (or finished the visit).

    A departure is undone when its order is cancelled (withdrawn, reassigned or preempted): that
    crew is no longer on its way, so the ticket counts as awaiting a crew again.
    """
    return sa.exists().where(
        WorkOrder.ticket_id == ticket_id,
        WorkOrder.departed_at.is_not(None),
        WorkOrder.status != WorkOrderStatus.CANCELLED,
    )


def class1_awaiting_departure(ticket: Any = Ticket) -> ColumnElement[bool]:
    """An open class 1 no crew has left for yet: the board's banner and the R7.4 red alert."""
    return sa.and_(ticket.ticket_class == TicketClass.EMERGENCY, ticket_is_open(ticket),
                   ~crew_has_departed(ticket.id))
