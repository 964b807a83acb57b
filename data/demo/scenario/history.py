"""The history: reports over ``config.history_days`` and the work on them, simulated job by job.

Arrivals are a Poisson process per local day with an hour-of-day profile. The work is simulated in
dispatch order against the crews' occupancy, with drive times from the road network's shortest
paths from each depot, so a busy crew makes the next job late the way it would on a real day. This
is the demo's own dispatch policy (nearest capable crew that can be there first), not the
optimizer's: it only has to make a believable past.

Every deadline the simulation aims at or misses is read from ``ops.rules`` (``RuleSettings`` and
the rule functions), so with the default rules the history looks as RULES.md describes, and with
an operator's values it follows those. The delays are drawn as shares of the rule's limit, so about
the same share of jobs is late whatever the limit is.
"""

from __future__ import annotations

import heapq
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from data.demo import texts
from data.demo.scenario.config import HOUR_PROFILE, REPAIR_KIND, DemoConfig
from data.demo.scenario.crews import CrewSpec, DepotSpec, on_shift
from data.demo.scenario.people import Customers
from data.demo.scenario.reports import draw_report
from data.demo.scenario.sampling import choice, minutes, weighted
from data.demo.scenario.tickets import Draft, draft_ticket
from data.service_area import ServiceArea
from ops.rules import RuleSettings, callback_due, deadlines_for, escalation_times
from ops.services.bulk_import import CallbackIn, ComplaintIn, RepairRecordIn, WorkOrderTimeline
from ops.vocabulary import (
    Answer,
    Channel,
    ComplaintStatus,
    FollowUpStatus,
    RepairResult,
    Skill,
    Symptom,
    TicketClass,
)

__all__ = ["Simulator", "history_drafts"]


class Simulator:
    """The crews' day, job by job: who goes, when they get there, what they find, how the callback goes."""

    def __init__(self, area: ServiceArea, zone: ZoneInfo, now: datetime, crews: list[CrewSpec],
                 depots: list[DepotSpec], customers: Customers, rng: np.random.Generator,
                 rules: RuleSettings) -> None:
        self.area = area
        self.net = area.network
        self.zone = zone
        self.now = now
        self.crews = crews
        self.depots = depots
        self.customers = customers
        self.rng = rng
        self.rules = rules
        # Free-flow seconds from each depot to every node, scaled by the hour's congestion.
        self.depot_times = np.vstack([self.net.one_to_all(d.node) for d in depots])
        profile = self.net.speed_profile
        self.hour_factor = [2.0 / (profile.arterial[h] + profile.local[h]) for h in range(24)]
        self.busy_until: list[datetime] = [datetime.min.replace(tzinfo=UTC)] * len(crews)
        self.last_site: list[tuple[datetime, int] | None] = [None] * len(crews)
        self.active: dict[int, Draft] = {}

    # -- time helpers
    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def at_local(self, day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute, second), tzinfo=self.zone).astimezone(UTC)

    def drive(self, crew: int, node: int, at: datetime, *, noisy: bool = True) -> timedelta:
        seconds = float(self.depot_times[self.crews[crew].depot, node]) * self.hour_factor[self.local(at).hour]
        if noisy:
            seconds *= float(self.rng.uniform(0.9, 1.15))
        return timedelta(seconds=round(seconds + 60.0))

    def pick_crew(self, skill: Skill, at: datetime, node: int) -> int:
        """The capable on-shift crew that can be there first: the nearest depot's, unless busy."""
        hour = self.local(at).hour
        everyone = list(range(len(self.crews)))
        on = [c for c in everyone if on_shift(self.crews[c], hour)]
        capable = [c for c in on if skill in self.crews[c].skills] or on or everyone

        def eta(c: int) -> tuple[datetime, int]:
            return max(at, self.busy_until[c]) + self.drive(c, node, at, noisy=False), c

        return min(capable, key=eta)

    # -- the history, job by job in dispatch order
    def run(self, drafts: list[Draft]) -> None:
        heap: list[tuple[datetime, int, int, int]] = []
        for i, d in enumerate(drafts):
            heapq.heappush(heap, (self._first_ready(d), i, i, 0))
        seq = len(drafts)
        while heap:
            ready, _, i, visit = heapq.heappop(heap)
            if ready > self.now:
                continue
            draft = drafts[i]
            follow_up = self._visit(draft, ready, visit)
            if follow_up is not None and visit == 0:
                seq += 1
                heapq.heappush(heap, (follow_up, seq, i, 1))

    def _first_ready(self, d: Draft) -> datetime:
        received = d.fields["received_at"]
        rng = self.rng
        if d.final_class is TicketClass.EMERGENCY:
            # A supervisor confirms within a third to twice the R7.3 wait; later ones are auto-dispatched.
            auto = self.rules.class1_auto_dispatch_minutes
            return received + minutes(rng.uniform(auto / 3, auto * 2))
        if d.final_class is TicketClass.URGENT:
            # R6.3: mostly well inside the dispatch limit, 5% after it.
            limit = self.rules.class2_dispatch_minutes
            late = rng.random() < 0.05
            return received + minutes(rng.uniform(limit + 1, limit + 80) if late
                                      else rng.uniform(limit / 12, limit * 5 / 6))
        # Dispatched so that the crew gets there inside the slot (a few late), not held idle for hours.
        slot_start = d.fields["slot_start"]
        offset = rng.uniform(115, 180) if rng.random() < 0.06 else rng.uniform(-20, 75)
        ready = slot_start + minutes(offset - 30)
        local = self.local(ready)
        if local.hour < 8:
            ready = self.at_local(local.date(), 8) + minutes(rng.uniform(0, 10))
        return max(ready, received + minutes(10))

    def _visit(self, d: Draft, ready: datetime, visit: int) -> datetime | None:
        """Dispatch, drive, repair and call back; returns when a further visit is needed."""
        rng = self.rng
        cls = d.final_class
        received = d.fields["received_at"]
        crew = self.pick_crew(d.skill, ready, d.node)
        dispatched = max(ready, self.busy_until[crew])
        if dispatched > self.now:
            return None  # still waiting in the queue at "now": the ticket is open, unassigned
        auto = False
        dispatched_by: str | None = "supervisor"
        pre_alerted = None
        if cls is TicketClass.EMERGENCY and visit == 0:
            pre_alerted = received + timedelta(seconds=int(rng.integers(5, 20)))
            auto_at = escalation_times(cls, received, rules=self.rules).auto_dispatch_at
            assert auto_at is not None  # class 1 always has one
            if dispatched >= auto_at:
                # R7.3: nobody confirmed in time, so the scheduler dispatched the top crew.
                auto = dispatched == ready and self.busy_until[crew] <= auto_at
                if auto:
                    dispatched = auto_at + timedelta(seconds=int(rng.integers(0, 20)))
                    dispatched_by = None
        elif rng.random() < 0.4:
            dispatched_by = "dispatcher"
        # R7.2: acknowledged well inside the limit (a class 1 at once), a few after it.
        ack_late = rng.random() < (0.02 if cls is TicketClass.EMERGENCY else 0.06)
        ack = self.rules.ack_minutes
        acknowledged = dispatched + minutes(
            rng.uniform(ack + 1, ack + 15) if ack_late
            else rng.uniform(ack * 3 / 100, ack * 3 / 10) if cls is TicketClass.EMERGENCY
            else rng.uniform(ack / 10, ack * 9 / 10))
        drive = self.drive(crew, d.node, acknowledged)
        if cls is TicketClass.EMERGENCY and visit == 0:
            # R6.1: mostly a third of the way to the departure limit, 2.5% after it.
            limit = self.rules.class1_depart_minutes
            target = (rng.uniform(limit + 1, limit + 20) if rng.random() < 0.025
                      else rng.triangular(limit / 10, limit * 3 / 10, limit * 5 / 6))
            departed = max(acknowledged + minutes(rng.uniform(0.5, 2)), received + minutes(target))
        elif cls is TicketClass.SCHEDULED and visit == 0:
            # R6.4: never before the slot opens; lateness comes from the dispatch and busy crews.
            departed = max(acknowledged + minutes(rng.uniform(5, 20)), d.fields["slot_start"] - drive)
        else:
            # Mostly straight out; some wait for parts or access (day shift only: the night crew is alone).
            u = rng.random() if 8 <= self.local(acknowledged).hour < 17 else 0.0
            prep = rng.uniform(5, 25) if u < 0.80 else rng.uniform(60, 200) if u < 0.94 else rng.uniform(240, 420)
            departed = acknowledged + minutes(prep)
        arrived = departed + drive
        repair_minutes = {TicketClass.EMERGENCY: (30, 120), TicketClass.URGENT: (30, 150),
                          TicketClass.SCHEDULED: (30, 90)}[cls]
        completed = arrived + minutes(rng.uniform(*repair_minutes))
        self.busy_until[crew] = completed + self.drive(crew, d.node, completed, noisy=False)

        # Was it on time (R14.1)? The customer's view of it drives the score and complaints.
        due = deadlines_for(cls, received, slot_start=d.fields.get("slot_start"),
                            slot_end=d.fields.get("slot_end"), rules=self.rules)
        if cls is TicketClass.EMERGENCY:
            assert due.depart_by is not None
            late = departed > due.depart_by
        elif cls is TicketClass.URGENT:
            assert due.onsite_target is not None
            late = arrived > due.onsite_target
        else:
            assert due.slot_start is not None and due.slot_end is not None
            late = not (due.slot_start <= arrived <= due.slot_end)
        d.late = d.late or late

        # The repair record (R9) and the result: about 92% fixed at the first visit.
        if visit == 0:
            u = rng.random()
            good = 0.94 if cls is TicketClass.EMERGENCY else 0.92
            result = RepairResult.FIXED if u < good else (
                RepairResult.NEEDS_FOLLOW_UP if u < good + 0.05 else RepairResult.NOT_FIXED)
        else:
            result = RepairResult.FIXED
        kind = REPAIR_KIND[d.skill]
        cause, measures, parts = choice(rng, texts.REPAIRS[kind])
        reporter = d.fields["reporter_name"]
        reading = None
        if cls is TicketClass.EMERGENCY:
            ppm = float(round(rng.uniform(50, 2000) if kind == "leak" and parts else rng.uniform(0, 20), 1))
            reading = (ppm, arrived + minutes(rng.uniform(1, 5)))
        repair = RepairRecordIn(
            cause=cause, measures=measures, result=result,
            customer_confirmation=choice(rng, texts.CONFIRMATIONS).format(name=reporter),
            parts_replaced=tuple({"name": p, "standard": "NCh (national standard)", "qty": 1} for p in parts),
            gas_reading_ppm=reading[0] if reading else None, gas_reading_at=reading[1] if reading else None,
            safety_advice_given=rng.random() < 0.98,
            gas_restored_after_check=result is RepairResult.FIXED and d.fields["symptom"] is not Symptom.CONSULTATION,
            filed_by="crew" if crew == 0 else None,
        )

        # The R10 callback: most within five sixths of the R10.2 deadline, inside calling hours, a few
        # late or unreachable.
        window = (callback_due(cls, completed, rules=self.rules) - completed) / timedelta(hours=1) * 5 / 6
        delay = rng.uniform(1, window) if rng.random() < 0.94 else rng.uniform(window + 5, window + 30)
        called = self._calling_hours(completed + minutes(60 * delay))
        unreachable = rng.random() < 0.03
        # A revisit settles it; after a first visit 1% of "fixed" faults are back by the callback (R10.3).
        fixed_said = result is RepairResult.FIXED and (visit > 0 or rng.random() > 0.01)
        score = int(rng.choice([1, 2, 3, 4, 5], p=[0.03, 0.04, 0.10, 0.28, 0.55]))
        if late and rng.random() < 0.7:
            score -= 1
        if not fixed_said:
            score -= int(rng.integers(1, 3))
        score = max(1, min(5, score))
        on_time_said = (not late) if rng.random() > 0.08 else late
        if unreachable:
            callback = CallbackIn(called_at=called, score=None, arrived_on_time=None, courteous=None,
                                  fully_fixed=None, agent="callback", status=FollowUpStatus.UNREACHABLE,
                                  attempts=3)
        else:
            callback = CallbackIn(
                called_at=called, score=score,
                arrived_on_time=Answer.YES if on_time_said else Answer.NO,
                courteous=Answer.YES if rng.random() < 0.95 else choice(rng, (Answer.NO, Answer.UNKNOWN)),
                fully_fixed=Answer.YES if fixed_said else Answer.NO,
                suggestions=choice(rng, texts.CALLBACK_SUGGESTIONS) if rng.random() < 0.1 else None,
                agent="callback",
            )
            d.last_score = score

        # Cut at "now": only what has happened by then is recorded.
        now = self.now
        stamp = {"acknowledged_at": acknowledged, "departed_at": departed, "arrived_at": arrived,
                 "completed_at": completed}
        cut = {k: (v if v <= now else None) for k, v in stamp.items()}
        done = completed <= now
        d.orders.append(WorkOrderTimeline(
            crew_code=self.crews[crew].code, dispatched_at=dispatched, auto_dispatched=auto,
            dispatched_by=dispatched_by, pre_alerted_at=pre_alerted,
            eta_seconds_at_dispatch=int(drive.total_seconds()),
            repair=repair if done else None, callback=callback if done and called <= now else None, **cut,
        ))
        if not done:
            d.active = {"crew": crew, "dispatched": dispatched, **stamp}
            self.active[crew] = d
            return None
        self.last_site[crew] = (completed, d.node)
        self._maybe_complaint(d, completed, called if called <= now else None)
        if result is not RepairResult.FIXED:
            if cls is not TicketClass.SCHEDULED:
                return completed + minutes(60 * rng.uniform(1, 6))
            return self._working_hours(completed + minutes(60 * rng.uniform(2, 20)))
        if not fixed_said and not unreachable and called <= now:
            return called + minutes(60 * rng.uniform(2, 24))  # R10.3: the callback reopened it
        return None

    def _working_hours(self, at: datetime) -> datetime:
        """``at``, or the next morning when it falls outside the day shift's booking hours (08-17)."""
        local = self.local(at)
        if 8 <= local.hour < 17:
            return at
        day = local.date() if local.hour < 8 else local.date() + timedelta(days=1)
        return self.at_local(day, 8) + minutes(self.rng.uniform(0, 120))

    def _calling_hours(self, at: datetime) -> datetime:
        local = self.local(at)
        if 9 <= local.hour < 20:
            return at
        day = local.date() if local.hour < 9 else local.date() + timedelta(days=1)
        return self.at_local(day, 9) + minutes(self.rng.uniform(0, 90))

    def _maybe_complaint(self, d: Draft, completed: datetime, called: datetime | None) -> None:
        rng = self.rng
        if d.complaints:
            return
        p = 0.006 + (0.07 if (d.last_score or 5) <= 2 else 0.0) + (0.015 if d.late else 0.0)
        if rng.random() >= p:
            return
        received = (called or completed) + minutes(60 * rng.uniform(0.5, 48))
        if received > self.now:
            return
        age = self.now - received
        status = ComplaintStatus.OPEN
        resolved_at = resolution = satisfied = None
        if age > timedelta(days=7):
            resolved_at = min(self.now, received + minutes(60 * 24 * rng.uniform(1, 6)))
            status, resolution = ComplaintStatus.RESOLVED, choice(rng, texts.RESOLUTIONS)
            satisfied = bool(rng.random() < 0.85)
        elif age > timedelta(days=1):
            status = ComplaintStatus.IN_PROGRESS
        d.complaints.append(ComplaintIn(
            received_at=received, channel=weighted(rng, ((Channel.HOTLINE, 0.6), (Channel.WECHAT, 0.25),
                                                           (Channel.WEB_APP, 0.15))),
            description=choice(rng, texts.COMPLAINTS), handler="quality", status=status,
            resolved_at=resolved_at, resolution=resolution, customer_satisfied=satisfied,
        ))




def history_drafts(sim: Simulator, rng: np.random.Generator, config: DemoConfig) -> list[Draft]:
    now = sim.now
    start = now - timedelta(days=config.history_days)
    first_day = sim.local(start).date()
    last_day = sim.local(now).date()
    drafts = []
    weights = HOUR_PROFILE / HOUR_PROFILE.sum()
    day = first_day
    while day <= last_day:
        n = int(rng.poisson(config.arrivals_per_day))
        hours = rng.choice(24, size=n, p=weights)
        seconds = rng.integers(0, 3600, size=n)
        times = sorted(sim.at_local(day, int(h)) + timedelta(seconds=int(s)) for h, s in zip(hours, seconds, strict=True))
        for received in times:
            report = draw_report(rng)
            draft = draft_ticket(sim, rng, received, report)
            if start <= received <= now - timedelta(minutes=1):
                drafts.append(draft)
        day += timedelta(days=1)
    return drafts


