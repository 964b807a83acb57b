"""Alerts as the pages read them: what the scheduler raised (R7.2–R7.4) and nobody has acknowledged."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from ops.i18n import N_
from ops.models import Alert, AlertKind, Crew, Ticket

__all__ = ["ALERT_MESSAGES", "AlertRow", "open_alerts"]



#: Message code → English text, for the dispatch board and the supervisor's view.
ALERT_MESSAGES: Mapping[str, str] = MappingProxyType({
    AlertKind.PRE_ALERT.value: N_("Class 1: crew pre-alerted, waiting for confirmation"),
    AlertKind.AUTO_DISPATCHED.value: N_("Class 1 dispatched by the system: nobody confirmed within 3 minutes"),
    AlertKind.NO_ACK.value: N_("No acknowledgement within 10 minutes: next-best crew proposed"),
    AlertKind.AT_RISK.value: N_("Predicted arrival is past the deadline"),
    AlertKind.RED.value: N_("RED: class 1 with no crew departed 20 minutes after the report"),
    AlertKind.NO_CREW.value: N_("No crew can be recommended for this ticket"),
})


@dataclass(frozen=True)
class AlertRow:
    id: int
    kind: str
    message: str
    ticket_id: int
    ticket_no: str
    ticket_class: int
    work_order_id: int | None
    crew_id: int | None
    crew_code: str | None
    created_at: datetime
    acknowledged_at: datetime | None
    details: dict[str, Any]


def open_alerts(db: Session, *, kinds: Iterable[AlertKind | str] | None = None, ticket_id: int | None = None,
                include_acknowledged: bool = False, limit: int = 200) -> list[AlertRow]:
    """Alerts newest first; red alerts are the pages' to put on top (they know the layout)."""
    crew = aliased(Crew)
    q = (sa.select(Alert, Ticket.ticket_no, Ticket.ticket_class, crew.code)
         .join(Ticket, Ticket.id == Alert.ticket_id).outerjoin(crew, crew.id == Alert.crew_id))
    if kinds is not None:
        q = q.where(Alert.kind.in_([AlertKind(k) for k in kinds]))
    if ticket_id is not None:
        q = q.where(Alert.ticket_id == ticket_id)
    if not include_acknowledged:
        q = q.where(Alert.acknowledged_at.is_(None))
    rows = db.execute(q.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)).all()
    return [AlertRow(id=a.id, kind=a.kind.value, message=ALERT_MESSAGES.get(a.message, a.message),
                     ticket_id=a.ticket_id, ticket_no=no, ticket_class=int(cls), work_order_id=a.work_order_id,
                     crew_id=a.crew_id, crew_code=code, created_at=a.created_at, acknowledged_at=a.acknowledged_at,
                     details=dict(a.details or {})) for a, no, cls, code in rows]
