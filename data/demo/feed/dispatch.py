"""The demo supervisor at an empty desk: confirms the recommendation for class-2/3 work left waiting.

Class 1 needs nobody: the scheduler dispatches it itself after the R7.3 wait (3 minutes by
default). Class 2 and 3 wait for a person; so that the demo keeps moving when nobody is at the
dispatch desk, the feed confirms a ticket that has waited ``FeedConfig.auto_confirm_after`` as the
demo supervisor, through ``confirm_dispatch`` with the recommendation it has just stored (R13.1).
The top crew is taken when it can go; otherwise the next one, with an override reason that names
the demo feed. Class 3 is confirmed only shortly before its appointment slot.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from data.demo.feed.actors import FEED_LABEL
from data.demo.feed.config import FeedConfig
from ops.errors import ServiceError
from ops.models import Crew, Ticket, WorkOrder
from ops.permissions import Actor
from ops.queries import awaiting_crew
from ops.services.dispatching import recommend
from ops.services.work_orders import confirm_dispatch
from ops.vocabulary import CrewStatus, TicketClass
from optimizer.network import RoadNetwork

__all__ = ["any_crew_free", "confirm_one", "waiting_tickets"]

log = logging.getLogger(__name__)


def _waiting_since(db: Session, ticket: Ticket) -> datetime:
    """Since when the ticket has waited for a crew: its report, or the end of its last visit."""
    ends = db.execute(sa.select(WorkOrder.completed_at, WorkOrder.cancelled_at)
                      .where(WorkOrder.ticket_id == ticket.id)).all()
    return max([ticket.received_at, *(t for row in ends for t in row if t is not None)])


def any_crew_free(db: Session) -> bool:
    """Whether any crew could take new work now; if none can, asking would only store useless rankings."""
    return db.scalar(sa.select(Crew.id).where(Crew.active.is_(True), Crew.status == CrewStatus.AVAILABLE)
                     .limit(1)) is not None


def waiting_tickets(db: Session, now: datetime, config: FeedConfig) -> list[int]:
    """Class-2/3 tickets due for the demo supervisor's confirmation, longest waiting first."""
    if config.auto_confirm_after is None:
        return []
    tickets = db.scalars(sa.select(Ticket).where(
        awaiting_crew(),
        Ticket.ticket_class.in_([TicketClass.URGENT, TicketClass.SCHEDULED]),
        Ticket.received_at <= now - config.auto_confirm_after,
    ).order_by(Ticket.received_at, Ticket.id)).all()
    due = []
    for ticket in tickets:
        if TicketClass(ticket.ticket_class) is TicketClass.SCHEDULED and (
                ticket.slot_start is None or ticket.slot_start - now > config.class3_lead):
            continue  # R6.4: the crew goes for the customer's slot, not now
        if now - _waiting_since(db, ticket) >= config.auto_confirm_after:
            due.append(ticket.id)
    return due


def confirm_one(db: Session, supervisor: Actor, ticket_id: int, now: datetime, network: RoadNetwork) -> int | None:
    """Recommend and confirm a crew for one ticket; the new order's id, or ``None`` if none could go."""
    rec = recommend(db, supervisor, ticket_id, now=now, network=network)
    for i, option in enumerate(rec.options):
        reason = None if i == 0 else (f"{FEED_LABEL}: the recommended crew {rec.options[0].crew_code} "
                                      "could not go, so the next recommended crew was sent")
        try:
            with db.begin_nested():
                order = confirm_dispatch(db, supervisor, ticket_id, option.crew_id, rec.recommendation_id, now,
                                         override_reason=reason)
            return order.id
        except ServiceError as exc:
            log.debug("demo feed: crew %s refused for ticket %s: %s", option.crew_id, ticket_id, exc)
    return None
