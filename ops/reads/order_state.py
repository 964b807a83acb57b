"""Read queries of the work-order loop for the dispatch page and the crew page (no writes here).

``ops.reads.open_queue`` draws the map; this module answers the questions around one ticket or one crew: which
order is active, what was recommended last, and what the crew must do next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.models import (
    Alert,
    AlertKind,
    Crew,
    CrewMember,
    GasReading,
    Recommendation,
    Ticket,
    WorkOrder,
)
from ops.queries import order_is_current, order_is_queued
from ops.reads.emergency_contact import EmergencyContact, emergency_contact
from ops.reads.ticket_head import TicketHead, head_fields
from ops.vocabulary import CrewStatus, WorkOrderStatus

__all__ = ["CrewBoardRow", "CrewChoice", "NextBestCrew", "OrderRow", "TicketBrief", "active_order_for_crew", "crew_board", "crew_of_user",
           "crews_on_shift", "latest_recommendation", "next_best_crew", "orders_for_ticket", "ticket_brief", "ticket_numbers"]

#: The next step a crew takes on an order in each status (the crew page's one big button).
NEXT_STEP: dict[WorkOrderStatus, str] = {
    WorkOrderStatus.DISPATCHED: "ack",
    WorkOrderStatus.ACKNOWLEDGED: "depart",
    WorkOrderStatus.EN_ROUTE: "arrive",
    WorkOrderStatus.ON_SITE: "complete",
}


@dataclass(frozen=True)
class OrderRow:
    id: int
    version: int
    ticket_id: int
    ticket_no: str
    ticket_class: int
    address: str
    lon: float
    lat: float
    crew_id: int
    crew_code: str
    status: str
    next_step: str | None
    dispatched_at: datetime
    acknowledged_at: datetime | None
    departed_at: datetime | None
    arrived_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    recommended_crew_id: int | None
    override_reason: str | None
    auto_dispatched: bool
    escalated_at: datetime | None
    has_reading: bool


def _row(order: WorkOrder, ticket: Ticket, crew_code: str, has_reading: bool) -> OrderRow:
    return OrderRow(
        id=order.id, version=order.version_id, ticket_id=ticket.id, ticket_no=ticket.ticket_no,
        ticket_class=int(ticket.ticket_class), address=ticket.address, lon=ticket.lon, lat=ticket.lat,
        crew_id=order.crew_id, crew_code=crew_code, status=order.status.value, next_step=NEXT_STEP.get(order.status),
        dispatched_at=order.dispatched_at, acknowledged_at=order.acknowledged_at, departed_at=order.departed_at,
        arrived_at=order.arrived_at, completed_at=order.completed_at, cancelled_at=order.cancelled_at,
        cancel_reason=order.cancel_reason, recommended_crew_id=order.recommended_crew_id,
        override_reason=order.override_reason, auto_dispatched=order.auto_dispatched,
        escalated_at=order.escalated_at, has_reading=has_reading,
    )


def _rows(db: Session, where: Any) -> list[OrderRow]:
    reading = sa.exists(sa.select(GasReading.id).where(GasReading.work_order_id == WorkOrder.id))
    result = db.execute(sa.select(WorkOrder, Ticket, Crew.code, reading)
                        .join(Ticket, Ticket.id == WorkOrder.ticket_id).join(Crew, Crew.id == WorkOrder.crew_id)
                        .where(where).order_by(WorkOrder.dispatched_at, WorkOrder.id)).all()
    return [_row(o, t, code, bool(r)) for o, t, code, r in result]


def active_order_for_crew(db: Session, crew_id: int) -> OrderRow | None:
    """The crew's current order (the partial unique index guarantees at most one); its queued ones
    (R7.6) are in :func:`ops.reads.crew_queue.crew_queues`."""
    rows = _rows(db, sa.and_(WorkOrder.crew_id == crew_id, order_is_current()))
    return rows[0] if rows else None


def orders_for_ticket(db: Session, ticket_id: int) -> list[OrderRow]:
    """Every order of a ticket, oldest first: preempted, reassigned and not-fixed visits included."""
    return _rows(db, WorkOrder.ticket_id == ticket_id)


def latest_recommendation(db: Session, ticket_id: int) -> Recommendation | None:
    """The last stored recommendation for a ticket (its ``payload`` as shown), or ``None``."""
    return db.scalar(sa.select(Recommendation).where(Recommendation.ticket_id == ticket_id)
                     .order_by(Recommendation.created_at.desc(), Recommendation.id.desc()).limit(1))


def crew_of_user(db: Session, user_id: int | None) -> int | None:
    """The crew a logged-in crew member belongs to (the crew page shows that crew's order)."""
    if user_id is None:
        return None
    return db.scalar(sa.select(CrewMember.crew_id).where(CrewMember.user_id == user_id))


# ----------------------------------------------------------------------------- the dispatch page's panel
@dataclass(frozen=True)
class NextBestCrew:
    """R7.2: the crew the scheduler proposed when the order's crew did not acknowledge in time, and
    the recommendation it was ranked in (what sending it is judged against, R13.1)."""

    crew_id: int
    crew_code: str
    recommendation_id: int | None


@dataclass(frozen=True)
class TicketBrief(TicketHead):
    """One ticket as the recommendation panel heads it, with its current (or last) work order."""

    order: OrderRow | None
    #: R4.2: the customer's emergency contact and care flags, if any.
    contact: EmergencyContact | None = None
    #: R7.2: the next-best crew proposed for the active order, while its crew has not acknowledged.
    next_best: NextBestCrew | None = None


def next_best_crew(db: Session, order: OrderRow) -> NextBestCrew | None:
    """The crew proposed by the escalation of an unacknowledged order (the NO_ACK alert's), if any."""
    if order.escalated_at is None or order.status != WorkOrderStatus.DISPATCHED.value:
        return None
    row = db.execute(sa.select(Alert.crew_id, Crew.code, Alert.details).join(Crew, Crew.id == Alert.crew_id)
                     .where(Alert.kind == AlertKind.NO_ACK, Alert.work_order_id == order.id)
                     .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(1)).first()
    if row is None or row.crew_id == order.crew_id:
        return None
    rec_id = (row.details or {}).get("recommendation_id")
    return NextBestCrew(crew_id=row.crew_id, crew_code=row.code,
                        recommendation_id=rec_id if isinstance(rec_id, int) else None)


def ticket_brief(db: Session, ticket_no: str) -> TicketBrief | None:
    """The selected ticket by its number (the grid's row id and the map marker's key), or ``None``."""
    ticket = db.scalar(sa.select(Ticket).where(Ticket.ticket_no == ticket_no))
    if ticket is None:
        return None
    orders = orders_for_ticket(db, ticket.id)
    active = [o for o in orders if WorkOrderStatus(o.status).is_active]
    order = active[-1] if active else (orders[-1] if orders else None)
    active_order = order if order is not None and WorkOrderStatus(order.status).is_active else None
    return TicketBrief(
        **head_fields(ticket), order=order, contact=emergency_contact(ticket.customer),
        next_best=next_best_crew(db, active_order) if active_order is not None else None,
    )


def ticket_numbers(db: Session, ids: list[int]) -> dict[int, str]:
    """Ticket numbers by id, for the work a recommendation says it would displace."""
    if not ids:
        return {}
    return dict(db.execute(sa.select(Ticket.id, Ticket.ticket_no).where(Ticket.id.in_(ids))).tuples().all())


@dataclass(frozen=True)
class CrewChoice:
    id: int
    code: str
    name: str
    status: str
    #: ``ops.vocabulary.Skill`` values: the panel warns before sending a crew without the needed one.
    skills: tuple[str, ...] = ()


def crews_on_shift(db: Session) -> list[CrewChoice]:
    """Crews a dispatcher may pick by hand: active and on shift (the service refuses the others)."""
    on_shift = [CrewStatus.AVAILABLE, CrewStatus.DISPATCHED, CrewStatus.EN_ROUTE, CrewStatus.ON_SITE]
    return [CrewChoice(id=c.id, code=c.code, name=c.name, status=str(c.status), skills=tuple(c.skills or ()))
            for c in db.scalars(
        sa.select(Crew).where(Crew.active.is_(True), Crew.status.in_(on_shift)).order_by(Crew.code))]


@dataclass(frozen=True)
class CrewBoardRow:
    """A crew in the dispatcher's crew list: what it is doing and when it is expected to be free."""

    id: int
    code: str
    name: str
    status: str
    ticket_no: str | None
    order_status: str | None
    #: ``None`` with ``free_now`` False: off shift or unavailable (not coming free on this shift).
    free_at: datetime | None
    free_now: bool
    #: R7.6: confirmed orders waiting behind the current one (``free_at`` is the end of the current one).
    queued: int = 0


def crew_board(db: Session, now: datetime) -> list[CrewBoardRow]:
    """Every active crew with its current order and an estimate of when it is next free.

    The estimate is deliberately simple and explainable: on site, the expected finish the planner
    uses too (:func:`ops.expected_finish.onsite_finishes`: an overrunning crew is not free now); on the
    way, the ETA stored when it was dispatched plus the symptom's service time
    (``ops.expected_finish.SERVICE_MINUTES``); available, now. The optimizer's plan is more exact but
    costs a solve; this list refreshes every few seconds.
    """
    from ops.expected_finish import onsite_finishes, service_seconds

    rows = db.execute(
        sa.select(Crew, WorkOrder, Ticket)
        .outerjoin(WorkOrder, sa.and_(WorkOrder.crew_id == Crew.id, order_is_current()))
        .outerjoin(Ticket, Ticket.id == WorkOrder.ticket_id)
        .where(Crew.active.is_(True))
        .order_by(Crew.code)
    ).all()
    waiting = dict(db.execute(sa.select(WorkOrder.crew_id, sa.func.count()).where(order_is_queued())
                              .group_by(WorkOrder.crew_id)).tuples().all())
    finishes = onsite_finishes(db, ((order.id, order.arrived_at, ticket) for _crew, order, ticket in rows
                                    if order is not None and order.arrived_at is not None), now)
    result = []
    for crew, order, ticket in rows:
        status = CrewStatus(crew.status or CrewStatus.OFF_SHIFT)
        free_at: datetime | None = None
        free_now = False
        if order is not None and ticket is not None:
            if order.id in finishes:  # on site
                free_at = finishes[order.id]
            else:  # the ETA was measured from the confirmation, whatever the order waited in a queue
                eta = order.dispatched_at + timedelta(seconds=order.eta_seconds_at_dispatch or 0)
                free_at = max(eta, now) + timedelta(seconds=service_seconds(ticket))
        elif status is CrewStatus.AVAILABLE:
            free_now = True
        result.append(CrewBoardRow(
            id=crew.id, code=crew.code, name=crew.name, status=status.value,
            ticket_no=ticket.ticket_no if ticket is not None else None,
            order_status=order.status.value if order is not None else None, free_at=free_at, free_now=free_now,
            queued=waiting.get(crew.id, 0),
        ))
    return result
