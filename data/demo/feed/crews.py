"""Simulated crews working through their orders, each step through the crew's own services.

Every visit's delays and outcome are drawn from a generator seeded with (feed seed, order id), and
each step is due a fixed time after the previous step's *stored* timestamp, so what happens next
follows from the database alone: a restarted scheduler picks every order up where it stands. The
one thing kept in memory is the road path of a crew on the move (recomputed from the crew's last
posted position after a restart, which may shift it by half a street segment at most).

The steps are the crew page's: acknowledge (well inside the R7.2 limit, a few late), depart, drive
posting positions along the real road path, arrive, record the R8.3 detector reading for a class 1,
then complete with a full R9 repair record after a service time around
``ops.dispatching.SERVICE_MINUTES``; now and then the fault is not fixed and the ticket goes back to
the queue. Idle crews go on and off shift with their shift hours and drive back to their depot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from data.demo import texts
from data.demo.feed.actors import FEED_LABEL, crew_actor
from data.demo.feed.config import FeedConfig, FeedReport
from data.demo.feed.driving import Position, Trip
from data.demo.scenario import REPAIR_KIND, SKILL_FOR, choice, minutes
from ops import rules
from ops.dispatching import service_seconds
from ops.models import AuditEvent, Crew, Depot, GasReading, WorkOrder
from ops.permissions import Actor
from ops.services import work_orders as wo
from ops.services.crews import record_position, set_status
from ops.vocabulary import CrewStatus, RepairResult, TicketClass, WorkOrderStatus
from optimizer.network import RoadNetwork

__all__ = ["CrewSimulator", "VisitPlan", "taken_over", "visit_plan"]

#: The scenario's repair texts name parts in words; these are the stores codes (ops.parts) they use.
PART_CODES: dict[str, str] = {
    "Joint sealant": "SEAL-KIT", "Copper pipe 15 mm": "PIPE-PE32", "Press fittings": "CLAMP-REPAIR",
    "Flexible gas hose 1 m": "HOSE-1.5", "Pressure regulator": "REG-LP", "Filter gasket": "SEAL-KIT",
    'Ball valve 1/2"': "VALVE-DN15", "Diaphragm gas meter G4": "METER-G2.5", "Meter bracket": "SEAL-KIT",
}


@dataclass(frozen=True)
class VisitPlan:
    """How one visit goes, drawn once per order: each delay counts from the previous stored step."""

    ack_after: timedelta
    prep: timedelta
    reading_after: timedelta
    ppm: float
    service: timedelta
    result: RepairResult
    cause: str
    measures: str
    parts: tuple[dict[str, object], ...]


def visit_plan(seed: int, order: WorkOrder, config: FeedConfig) -> VisitPlan:
    """The visit of ``order``, the same in every process and after every restart."""
    rng = np.random.default_rng([seed, order.id])
    ticket = order.ticket
    cls = TicketClass(ticket.ticket_class)
    late = rng.random() < (config.late_ack_share / 2 if cls is TicketClass.EMERGENCY else config.late_ack_share)
    limit = rules.get_rule_settings().ack_minutes  # R7.2: a tenth to six tenths of it, or just past it
    ack = rng.uniform(limit + 1, limit + 6) if late else rng.uniform(limit / 10, limit * 6 / 10)
    prep = rng.uniform(0.5, 3) if cls is TicketClass.EMERGENCY else rng.uniform(2, 12)
    mean = service_seconds(ticket) / 60.0 * config.service_scale
    service = float(np.clip(rng.gamma(6.0, mean / 6.0), 0.5 * mean, 2.0 * mean))
    kind = "leak" if cls is TicketClass.EMERGENCY else REPAIR_KIND[SKILL_FOR[ticket.symptom]]
    cause, measures, names = choice(rng, texts.REPAIRS[kind])
    codes = sorted({PART_CODES[n] for n in names if n in PART_CODES})
    leak = kind == "leak" and bool(names)
    ppm = float(round(rng.uniform(50, 2000) if leak else rng.uniform(0, 20), 1))
    fixed = rng.random() >= config.not_fixed_share
    return VisitPlan(
        ack_after=minutes(ack), prep=minutes(prep), reading_after=minutes(rng.uniform(1, 4)), ppm=ppm,
        service=minutes(service), result=RepairResult.FIXED if fixed else RepairResult.NOT_FIXED,
        cause=cause, measures=measures, parts=tuple({"code": c, "qty": 1} for c in codes),
    )


_CREW_STEPS = ("order.acknowledge", "order.depart", "order.arrive", "order.reading", "order.complete",
               "order.not_fixed")


def taken_over(db: Session, order: WorkOrder) -> bool:
    """Whether a person (a login, not the feed) has taken a crew step on ``order``: then it is theirs.

    So someone trying the crew page on the demo (the ``crew`` login) is not overtaken by the
    simulation, which leaves that order alone from their first step on.
    """
    return db.scalar(sa.select(AuditEvent.id).where(
        AuditEvent.entity == "work_order", AuditEvent.entity_id == str(order.id),
        AuditEvent.action.in_(_CREW_STEPS), AuditEvent.actor_id.is_not(None),
        ~AuditEvent.actor_label.contains(FEED_LABEL)).limit(1)) is not None


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    k = math.radians(1.0) * 6_371_000.0
    return math.hypot((lon2 - lon1) * k * math.cos(math.radians((lat1 + lat2) / 2)), (lat2 - lat1) * k)


class CrewSimulator:
    """Moves every simulated crew one step; the road paths of moving crews are its only memory."""

    def __init__(self, network: RoadNetwork, seed: int, config: FeedConfig) -> None:
        self.net = network
        self.seed = seed
        self.config = config
        self.trips: dict[int, Trip] = {}  # work order id -> drive to the job
        self.homeward: dict[int, Trip] = {}  # crew id -> drive back to the depot

    # -- helpers
    def _when(self, due: datetime, now: datetime) -> datetime:
        """A step's time: when it was due, but never further back than the backlog allows."""
        return max(due, now - self.config.max_backlog)

    def _node(self, lon: float, lat: float) -> int:
        return int(self.net.snap(lon, lat)[0][0])

    def _crew_node(self, db: Session, crew: Crew) -> int | None:
        if crew.last_lon is not None and crew.last_lat is not None:
            return self._node(crew.last_lon, crew.last_lat)
        depot = db.get(Depot, crew.depot_id) if crew.depot_id is not None else None
        return self._node(depot.lon, depot.lat) if depot is not None else None

    def _ping(self, db: Session, actor: Actor, crew: Crew, at: datetime, pos: Position,
              report: FeedReport) -> None:
        record_position(db, actor, crew, pos.lon, pos.lat, at, source="simulation", speed_kmh=pos.speed_kmh,
                        heading_deg=pos.heading_deg)
        report.positions += 1

    def _drive(self, db: Session, actor: Actor, crew: Crew, trip: Trip, now: datetime,
               report: FeedReport) -> bool:
        """Post the pings due on ``trip`` up to ``now``; True (and the arrival ping) once it is over."""
        for at in trip.ping_times(now, self.config.ping_every, self.config.max_pings_per_step):
            self._ping(db, actor, crew, at, trip.position(at), report)
            trip.last_ping = at
        if trip.end > now:
            return False
        self._ping(db, actor, crew, trip.end, trip.position(trip.end), report)
        return True

    def _start_trip(self, crew_node: int, target: int, start: datetime) -> Trip:
        return Trip.plan(self.net, crew_node, target, start, rules.to_local(start).hour)

    # -- work orders
    def advance(self, db: Session, order: WorkOrder, now: datetime, report: FeedReport) -> None:
        """Take ``order`` through every step that is due by ``now``, unless a person has taken it over."""
        crew, ticket = order.crew, order.ticket
        actor = crew_actor(db, crew)
        if actor is None or taken_over(db, order):
            return
        plan = visit_plan(self.seed, order, self.config)
        if order.status is WorkOrderStatus.DISPATCHED:
            due = (order.current_since or order.dispatched_at) + plan.ack_after  # R7.6: from promotion
            if due > now:
                return
            wo.acknowledge(db, actor, order.id, self._when(due, now))
            report.acknowledged.append(order.id)
        if order.status is WorkOrderStatus.ACKNOWLEDGED:
            due = order.acknowledged_at + plan.prep
            if TicketClass(ticket.ticket_class) is TicketClass.SCHEDULED and ticket.slot_start is not None:
                due = max(due, ticket.slot_start - timedelta(minutes=40))  # R6.4: not before the slot
            if due > now:
                return
            at = self._when(due, now)
            wo.depart(db, actor, order.id, at)
            report.departed.append(order.id)
            source = self._crew_node(db, crew)
            if source is None:
                return
            trip = self._start_trip(source, self._node(ticket.lon, ticket.lat), at)
            self.trips[order.id] = trip
            self.homeward.pop(crew.id, None)
            self._ping(db, actor, crew, at, trip.position(at), report)
        if order.status is WorkOrderStatus.EN_ROUTE:
            trip = self.trips.get(order.id) or self._resume(db, order, now)
            if trip is None or not self._drive(db, actor, crew, trip, now, report):
                return
            self.trips.pop(order.id, None)
            wo.arrive(db, actor, order.id, trip.end)
            report.arrived.append(order.id)
        if order.status is WorkOrderStatus.ON_SITE:
            self._on_site(db, actor, order, plan, now, report)

    def _resume(self, db: Session, order: WorkOrder, now: datetime) -> Trip | None:
        """An order already en route when this process started: drive on from the last position."""
        crew, ticket = order.crew, order.ticket
        source = self._crew_node(db, crew)
        if source is None:
            return None
        start = max(order.departed_at or now, crew.last_position_at or now, now - self.config.max_backlog)
        trip = self._start_trip(source, self._node(ticket.lon, ticket.lat), min(start, now))
        self.trips[order.id] = trip
        return trip

    def _on_site(self, db: Session, actor: Actor, order: WorkOrder, plan: VisitPlan, now: datetime,
                 report: FeedReport) -> None:
        arrived = order.arrived_at
        if TicketClass(order.ticket.ticket_class) is TicketClass.EMERGENCY:
            has_reading = db.scalar(sa.select(GasReading.id).where(GasReading.work_order_id == order.id)
                                    .limit(1)) is not None
            if not has_reading:  # R8.3: the detector reading comes before any other work
                due = arrived + plan.reading_after
                if due > now:
                    return
                at = self._when(due, now)
                wo.record_reading(db, actor, order.id, plan.ppm, at, at)
                report.readings.append(order.id)
        due = arrived + plan.service
        if due > now:
            return
        at = self._when(due, now)
        ticket = order.ticket
        repair = wo.RepairIn(
            cause=plan.cause, measures=plan.measures, parts=list(plan.parts), result=plan.result,
            customer_name=ticket.reporter_name, customer_confirmed=True, customer_confirmed_at=at,
            safety_advice_given=True, gas_restored_after_check=plan.result is RepairResult.FIXED,
        )
        wo.complete(db, actor, order.id, repair, at)
        (report.completed if plan.result is RepairResult.FIXED else report.not_fixed).append(order.id)

    # -- crews without an order
    def idle(self, db: Session, crew: Crew, now: datetime, report: FeedReport) -> None:
        """Shift changes for a crew with no order, and the drive back to its depot."""
        actor = crew_actor(db, crew)
        if actor is None:
            return
        hour = rules.to_local(now).hour
        start, end = crew.shift_start_hour, crew.shift_end_hour
        on_shift = start <= hour < end if start < end else (hour >= start or hour < end)
        if on_shift and crew.status is CrewStatus.OFF_SHIFT:
            set_status(db, actor, crew, CrewStatus.AVAILABLE, at=now, note="shift started")
            report.shift_changes.append(crew.id)
        elif not on_shift and crew.status is CrewStatus.AVAILABLE:
            set_status(db, actor, crew, CrewStatus.OFF_SHIFT, at=now, note="shift ended")
            report.shift_changes.append(crew.id)
            self.homeward.pop(crew.id, None)
            return
        if crew.status is not CrewStatus.AVAILABLE:
            return
        trip = self.homeward.get(crew.id) or self._homeward(db, crew, now)
        if trip is not None and self._drive(db, actor, crew, trip, now, report):
            self.homeward.pop(crew.id, None)

    def _homeward(self, db: Session, crew: Crew, now: datetime) -> Trip | None:
        depot = db.get(Depot, crew.depot_id) if crew.depot_id is not None else None
        if depot is None or crew.last_lon is None or crew.last_lat is None:
            return None
        if _distance_m(crew.last_lon, crew.last_lat, depot.lon, depot.lat) <= self.config.home_radius_m:
            return None
        finished = db.scalar(sa.select(sa.func.max(WorkOrder.completed_at)).where(WorkOrder.crew_id == crew.id))
        idle_since = max(t for t in (crew.last_position_at, finished, now - timedelta(days=1)) if t is not None)
        if now - idle_since < self.config.return_after:
            return None
        source, target = self._node(crew.last_lon, crew.last_lat), self._node(depot.lon, depot.lat)
        if source == target:
            return None
        trip = self._start_trip(source, target, now)
        self.homeward[crew.id] = trip
        return trip

    def forget(self, active_orders: set[int], moving_crews: set[int]) -> None:
        """Drop the paths of orders that ended elsewhere (cancelled, reassigned) and of busy crews."""
        for order_id in set(self.trips) - active_orders:
            del self.trips[order_id]
        for crew_id in set(self.homeward) & moving_crews:
            del self.homeward[crew_id]

