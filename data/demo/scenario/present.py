"""The present moment: a few hand-placed reports that put every lifecycle stage on the map at ``now``.

The history simulation is cut at ``now`` (what had not happened by then is not recorded); these
reports are added on top so that a newcomer sees new, dispatched, acknowledged, en-route and on-site
work at once. Each stage is placed where the rules say it still is: a new class 1 younger than the
R7.3 auto-dispatch wait, a dispatched order inside or past the R7.2 acknowledgement limit, and so on,
with those limits read from ``ops.rules``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from data.demo.scenario.config import SLOT_HOURS, SLOT_LENGTH
from data.demo.scenario.crews import on_shift
from data.demo.scenario.history import Simulator
from data.demo.scenario.reports import draw_report, proposed_class
from data.demo.scenario.sampling import minutes
from data.demo.scenario.tickets import Draft, draft_ticket, retime
from ops.services.bulk_import import WorkOrderTimeline
from ops.vocabulary import TicketClass

__all__ = ["PRESENT_STAGES", "QUEUED_CREWS", "present_drafts", "queued_drafts"]

#: (stage, class) of the reports placed at "now" so that the map shows every lifecycle stage. Listed
#: in the order crews are handed out: at night only the few night crews are free, and they should
#: show movement (en route, on site) before anything else.
PRESENT_STAGES: tuple[tuple[str, TicketClass], ...] = (
    ("new", TicketClass.EMERGENCY),
    ("en_route", TicketClass.EMERGENCY),
    ("on_site", TicketClass.URGENT),
    ("dispatched", TicketClass.URGENT),
    ("en_route", TicketClass.URGENT),
    ("acknowledged", TicketClass.URGENT),
    ("on_site", TicketClass.SCHEDULED),
    ("dispatched_ack_overdue", TicketClass.URGENT),
    ("new", TicketClass.URGENT),
    ("new", TicketClass.URGENT),
)


#: R7.6: how many busy crews get a queue at the scenario's now, and how long each queue is (at most).
QUEUED_CREWS = 4
MAX_QUEUED = 3


def _report_of_class(rng: np.random.Generator, wanted: TicketClass) -> dict[str, Any]:
    """A report drawn from the same model, kept only if the rules classify it as ``wanted``."""
    for _ in range(10_000):
        report = draw_report(rng)
        if proposed_class(report) is wanted:
            return report
    raise RuntimeError(f"could not draw a class-{int(wanted)} report")  # pragma: no cover


def present_drafts(sim: Simulator, rng: np.random.Generator) -> list[Draft]:
    """The open reports at ``now``, one per stage where a free crew and a matching report can be found."""
    now = sim.now
    local_now = sim.local(now)
    drafts: list[Draft] = []
    stages = list(PRESENT_STAGES)
    if rng.random() < 0.5:
        stages.insert(1, ("new", TicketClass.EMERGENCY))
    # One open report per customer here, so two crews are never sent to the same door by chance.
    used = {d.customer for d in sim.active.values() if d.customer is not None}
    rules = sim.rules
    for stage, cls in stages:
        report = _report_of_class(rng, cls)
        if stage == "new":
            # Still waiting for a crew: a class 1 younger than the R7.3 auto-dispatch wait, a class 2
            # well inside the R6.3 dispatch limit.
            auto, limit = rules.class1_auto_dispatch_minutes, rules.class2_dispatch_minutes
            ago = (rng.uniform(auto / 6, auto * 5 / 6) if cls is TicketClass.EMERGENCY
                   else rng.uniform(limit / 12, limit * 7 / 12))
            draft = draft_ticket(sim, rng, now - minutes(ago), report, street_leak_ok=False, avoid=used)
            if draft.final_class is cls:
                drafts.append(draft)
                used.add(draft.customer if draft.customer is not None else -1)
            continue
        if cls is TicketClass.SCHEDULED and not 8 <= local_now.hour < 18:
            continue  # no appointment slot is running at night
        draft = draft_ticket(sim, rng, now - minutes(rng.uniform(200, 400)), report, street_leak_ok=False,
                       avoid=used)
        if draft.final_class is not cls:
            continue
        placed = _place(sim, rng, draft, stage)
        if placed:
            drafts.append(draft)
            used.add(draft.customer if draft.customer is not None else -1)
    return drafts


def queued_drafts(sim: Simulator, rng: np.random.Generator, taken: set[int]) -> list[Draft]:
    """Open class-2/3 reports that the seed confirms into busy crews' queues (R7.6): 1–3 per crew.

    The crews are some of those holding an order at ``now``; each report is one that crew is skilled
    for, received within the last hour and waiting for a crew, so it is confirmed (at ``now``, by the
    seed, through ``confirm_dispatch``) as queued behind the crew's current job.
    """
    now = sim.now
    busy = sorted(c for c, d in sim.active.items() if d.active is not None)
    picked = [int(c) for c in rng.permutation(busy)[:QUEUED_CREWS]] if busy else []
    used = set(taken)
    drafts: list[Draft] = []
    for crew in sorted(picked):
        skills = sim.crews[crew].skills
        for _ in range(int(rng.integers(1, MAX_QUEUED + 1))):
            for _attempt in range(50):
                cls = TicketClass.URGENT if rng.random() < 0.7 else TicketClass.SCHEDULED
                draft = draft_ticket(sim, rng, now - minutes(rng.uniform(5, 60)), _report_of_class(rng, cls),
                                     street_leak_ok=False, avoid=used)
                if draft.final_class is cls and draft.skill in skills:
                    draft.queue_for = crew
                    drafts.append(draft)
                    used.add(draft.customer if draft.customer is not None else -1)
                    break
    return drafts


def _place(sim: Simulator, rng: np.random.Generator, d: Draft, stage: str) -> bool:
    """Give ``d`` an active work order at ``stage`` with an idle, on-shift crew; False if none fits."""
    now = sim.now
    hour = sim.local(now).hour
    idle = [c for c in range(len(sim.crews)) if c not in sim.active and on_shift(sim.crews[c], hour)
            and sim.busy_until[c] <= now]
    capable = [c for c in idle if d.skill in sim.crews[c].skills]
    for crew in sorted(capable, key=lambda c: (sim.depot_times[sim.crews[c].depot, d.node], c)):
        drive = sim.drive(crew, d.node, now)
        m = minutes
        ack = sim.rules.ack_minutes  # R7.2: acknowledged inside the limit, but for the overdue stage
        arrived = departed = acknowledged = None
        if stage in ("dispatched", "dispatched_ack_overdue"):
            dispatched = now - (m(rng.uniform(ack + 1, ack + 5)) if stage == "dispatched_ack_overdue"
                                else m(rng.uniform(ack / 5, ack * 4 / 5)))
        elif stage == "acknowledged":
            acknowledged = now - m(rng.uniform(2, 10))
            dispatched = acknowledged - m(rng.uniform(ack / 10, ack * 6 / 10))
        elif stage == "en_route":
            departed = now - drive * float(rng.uniform(0.2, 0.7))
            acknowledged = departed - m(rng.uniform(2, 6))
            dispatched = acknowledged - m(rng.uniform(ack / 20, ack / 5))
        else:  # on_site
            arrived = now - m(rng.uniform(5, 45))
            if d.final_class is TicketClass.SCHEDULED:
                slot_start = sim.at_local(sim.local(now).date(), max(h for h in SLOT_HOURS if h <= hour))
                d.fields.update(slot_start=slot_start, slot_end=slot_start + SLOT_LENGTH)
                arrived = max(arrived, slot_start)
            departed = arrived - drive
            acknowledged = departed - m(rng.uniform(5, 20))
            dispatched = acknowledged - m(rng.uniform(ack / 10, ack * 8 / 10))
        last = sim.last_site[crew]
        if last is not None and last[0] > dispatched:
            continue  # the crew was still busy then
        if d.final_class is TicketClass.SCHEDULED:  # booked the day before
            received = d.fields["slot_start"] - timedelta(days=1) - m(rng.uniform(0, 300))
        else:
            # Confirmed by hand before the R7.3 auto-dispatch, or well inside the R6.3 dispatch limit.
            auto, limit = sim.rules.class1_auto_dispatch_minutes, sim.rules.class2_dispatch_minutes
            gap = (rng.uniform(auto / 3, auto) if d.final_class is TicketClass.EMERGENCY
                   else rng.uniform(limit / 8, limit * 2 / 3))
            received = dispatched - m(gap)
        retime(d, received)
        sim.busy_until[crew] = now + drive + m(60)
        full_arrival = arrived or (departed + drive if departed else now + drive)
        stamp = {"acknowledged_at": acknowledged, "departed_at": departed, "arrived_at": arrived,
                 "completed_at": None}
        d.orders.append(WorkOrderTimeline(
            crew_code=sim.crews[crew].code, dispatched_at=dispatched,
            auto_dispatched=False, dispatched_by="supervisor",
            pre_alerted_at=received + timedelta(seconds=10) if d.final_class is TicketClass.EMERGENCY else None,
            eta_seconds_at_dispatch=int(drive.total_seconds()), **stamp,
        ))
        d.active = {"crew": crew, "dispatched": dispatched, **stamp, "arrived_at": full_arrival}
        sim.active[crew] = d
        return True
    return False
