"""When a crew on site is expected to finish: the plan's "free at" for a crew that cannot be pulled off.

The plan used to take arrival + the symptom's expected service time (``ops.dispatching.SERVICE_MINUTES``)
and, once that moment had passed, ``now``: an overrunning crew looked free this very minute, topped a
class-1 recommendation ("departs now") and then could not be sent (R7.6: a crew on site is never pulled
off a job). A job that has already run long is likely to run on, so past the expected end the remaining
time grows with the overrun:

    remaining = max(floor, overrun / 2, mean remaining of past jobs of that kind that lasted this long)

- ``floor`` (:data:`OVERRUN_FLOOR_MINUTES`, 10 min): a crew past its estimate still has to finish,
  file the R9 record and pack up; it is never "free now";
- ``overrun / 2``: a job 40 min over is assumed to need another 20, the usual "it takes half as long
  again" of overrunning work, used when there is too little history;
- the history: the on-site times (arrival to completion) of completed orders of the same symptom in
  the last :data:`HISTORY_DAYS` days; among those that lasted at least as long as this one has so far
  (at least :data:`MIN_SAMPLES` of them), the mean of what they still took. That is the expected
  residual time given the elapsed time, which grows with the overrun for long-tailed durations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.models import Ticket, WorkOrder
from ops.vocabulary import Symptom, TicketClass, WorkOrderStatus

__all__ = ["CLASS1_MIN_SERVICE_MINUTES", "HISTORY_DAYS", "MIN_SAMPLES", "OVERRUN_FLOOR_MINUTES", "SERVICE_MINUTES",
           "onsite_durations", "onsite_finishes", "remaining_seconds", "service_seconds"]

#: (product) Expected minutes on site per symptom, before any history exists to learn them from.
#: Class-1 faults include making the site safe (R8.3 reading, isolating the supply) and R8.6 checks;
#: scheduled work is the length of a typical visit. An operator may tune these; they only shape
#: the plan (when a crew is next free), never a deadline.
SERVICE_MINUTES: Mapping[Symptom, int] = MappingProxyType({
    Symptom.GAS_LEAK: 45,
    Symptom.PIPE_DAMAGE: 60,
    Symptom.VALVE_DAMAGE: 45,
    Symptom.FIRE: 90,
    Symptom.EXPLOSION: 120,
    Symptom.NO_GAS: 40,
    Symptom.ABNORMAL_FLAME: 30,
    Symptom.METER_FAULT: 30,
    Symptom.APPLIANCE_FAULT: 40,
    Symptom.INSTALLATION: 90,
    Symptom.MODIFICATION: 60,
    Symptom.CONSULTATION: 30,
    Symptom.MAINTENANCE: 60,
    Symptom.OTHER: 45,
})
#: A class-1 visit is never planned shorter than this, whatever the symptom that raised it.
CLASS1_MIN_SERVICE_MINUTES = 45


def service_seconds(ticket: Any) -> int:
    """The planned minutes on site of a ticket (or a row with its ``symptom`` and ``ticket_class``), in seconds."""
    minutes = SERVICE_MINUTES.get(Symptom(ticket.symptom), 45)
    if TicketClass(ticket.ticket_class) is TicketClass.EMERGENCY:
        minutes = max(minutes, CLASS1_MIN_SERVICE_MINUTES)
    return minutes * 60

#: A crew past its expected end is never planned to finish sooner than this.
OVERRUN_FLOOR_MINUTES = 10
#: How far back the history of completed jobs reaches.
HISTORY_DAYS = 60
#: Fewer comparable past jobs than this and the history is not used.
MIN_SAMPLES = 5
#: At most this many recent jobs are read, newest first (all symptoms asked for together).
_MAX_ROWS = 5000


def remaining_seconds(elapsed_s: int, expected_s: int, durations: Sequence[int] = ()) -> int:
    """Seconds a job on site for ``elapsed_s`` still needs; ``expected_s`` is its planned service time."""
    if elapsed_s < expected_s:
        return expected_s - elapsed_s
    overrun = elapsed_s - expected_s
    longer = [d - elapsed_s for d in durations if d >= elapsed_s]
    from_history = sum(longer) / len(longer) if len(longer) >= MIN_SAMPLES else 0
    return int(max(OVERRUN_FLOOR_MINUTES * 60, overrun / 2, from_history))


def onsite_durations(db: Session, symptoms: Iterable[str], now: datetime) -> Mapping[str, list[int]]:
    """On-site seconds (arrival to completion) of recently completed orders, by the ticket's symptom."""
    wanted = sorted(set(symptoms))
    if not wanted:
        return {}
    rows = db.execute(
        sa.select(Ticket.symptom, WorkOrder.arrived_at, WorkOrder.completed_at)
        .join(Ticket, Ticket.id == WorkOrder.ticket_id)
        .where(WorkOrder.status == WorkOrderStatus.COMPLETED, WorkOrder.arrived_at.is_not(None),
               WorkOrder.completed_at.is_not(None), WorkOrder.completed_at >= now - timedelta(days=HISTORY_DAYS),
               WorkOrder.completed_at <= now, Ticket.symptom.in_(wanted))
        .order_by(WorkOrder.completed_at.desc()).limit(_MAX_ROWS)
    ).all()
    out: dict[str, list[int]] = {}
    for symptom, arrived, completed in rows:
        seconds = int((completed - arrived).total_seconds())
        if seconds >= 0:
            out.setdefault(str(symptom), []).append(seconds)
    return out


def onsite_finishes(db: Session, on_site: Iterable[tuple[int, datetime, Any]], now: datetime) -> dict[int, datetime]:
    """When each job on site is expected to be done: its crew is busy until then.

    ``on_site`` holds ``(key, arrived_at, ticket)`` (any ticket-like row with ``symptom`` and
    ``ticket_class``); the answer is keyed the same. The one estimate the planner, the crew list, the
    schedule board and slot grading share; the history is read only when a job has overrun.
    """
    jobs = [(key, max(0, int((now - arrived).total_seconds())), service_seconds(ticket), str(ticket.symptom))
            for key, arrived, ticket in on_site]
    over = {symptom for _key, elapsed, expected, symptom in jobs if elapsed >= expected}
    history = onsite_durations(db, over, now) if over else {}
    return {key: now + timedelta(seconds=remaining_seconds(elapsed, expected, history.get(symptom, ())))
            for key, elapsed, expected, symptom in jobs}
