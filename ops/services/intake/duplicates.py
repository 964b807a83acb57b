"""Which open tickets a new report may duplicate (R5.6); reads only.

It runs before saving, so the agent can link the caller to the ticket already open instead of
creating a second one for the same leak.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops import rules
from ops.models import Ticket
from ops.queries import ticket_is_open
from ops.services.intake.report import DuplicateHit, as_answer
from ops.vocabulary import Answer, Symptom

__all__ = ["find_duplicates"]


def find_duplicates(
    db: Session,
    *,
    symptom: Symptom | str,
    lon: float,
    lat: float,
    now: datetime,
    odour: Answer | str | bool | None = None,
    exclude_ticket_id: int | None = None,
    settings: rules.RuleSettings | None = None,
) -> list[DuplicateHit]:
    """R5.6: open tickets near the place with a related symptom, reported in the window; nearest first.

    Only a hint: the agent decides whether to :func:`link_report` instead of creating a ticket.
    """
    r = settings or rules.get_rule_settings()
    new = rules.DuplicateCandidate(Symptom(symptom), lon, lat, now, odour=as_answer(odour))
    # A bounding box in degrees a little larger than the radius keeps the scan to the neighbourhood.
    dlat = r.duplicate_radius_m / 111_000 * 1.5
    dlon = dlat / max(0.1, math.cos(math.radians(lat)))
    query = sa.select(Ticket).where(
        ticket_is_open(),
        Ticket.received_at >= now - timedelta(hours=r.duplicate_window_hours),
        Ticket.lat.between(lat - dlat, lat + dlat),
        Ticket.lon.between(lon - dlon, lon + dlon),
    )
    if exclude_ticket_id is not None:
        query = query.where(Ticket.id != exclude_ticket_id)
    hits = []
    for ticket in db.scalars(query):
        old = rules.DuplicateCandidate(ticket.symptom, ticket.lon, ticket.lat, ticket.received_at,
                                       is_open=ticket.status.is_open, odour=ticket.odour)
        if rules.is_possible_duplicate(new, old, now, r):
            hits.append(DuplicateHit(ticket, rules.haversine_m(lon, lat, ticket.lon, ticket.lat)))
    return sorted(hits, key=lambda h: (h.distance_m, h.ticket.id))
