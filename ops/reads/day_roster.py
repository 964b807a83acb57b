"""Each day's roster and committed work, as appointment grading sees it (R6.4, R7.6).

For every day asked for, the crews that work it (:func:`ops.shifts.shift_for`, the one reader of
shifts) with the work already committed to them, in order:

- **today**: where each crew is now (its last position, or its depot before its shift starts), busy
  until the job it is on site at should end, then its current order and its queued ones in queue
  order; a crew marked off shift during its shift is not working today;
- **any day**: the open class-3 tickets booked on that day. One that a crew holds (a queued order)
  stays on that crew, in slot order; the others are placed where they cost least
  (:func:`optimizer.slots.place`), in slot order, before a new job is graded against the day.

Work orders and tickets are read once for all days. Everything is returned as the optimizer's
plain types (seconds since the epoch, network nodes); nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ops import rules
from ops.clock import as_utc, epoch
from ops.dispatching import OPTIMIZER_SKILLS, required_skill
from ops.expected_finish import onsite_finishes, service_seconds
from ops.models import Crew, Depot, Ticket, WorkOrder
from ops.queries import order_is_active, ticket_is_open
from ops.rules.settings import resolve
from ops.shifts import shift_for
from ops.vocabulary import CrewStatus, Skill, TicketClass, WorkOrderStatus
from optimizer.dispatch_types import TravelTimes
from optimizer.network import RoadNetwork
from optimizer.slots import CrewDay, DayTravel, Stop, place

__all__ = ["DayRoster", "day_rosters", "travel_hour"]

_SKILLS = frozenset(s.value for s in Skill)


@dataclass
class DayRoster:
    """One local day's crews with their committed routes, and the travel times between them."""

    day: date
    crews: list[CrewDay]
    travel: DayTravel
    #: Booked class-3 tickets of the day that no crew can keep (already impossible before any new job).
    unplaced: list[int] = field(default_factory=list)


def travel_hour(rule_settings: rules.RuleSettings | None = None) -> int:
    """The one hour whose traffic times every day's routes: the middle of the appointment hours.

    One hour for all days lets the travel rows computed for one day serve the others (and later
    calls); a slot's two hours are coarser than the hour-to-hour change of the speed profile.
    """
    r = resolve(rule_settings)
    return (r.appointment_first_hour + r.appointment_last_hour) // 2 % 24


def _stop(t: Ticket, node: int, now: datetime) -> Stop:
    d = rules.Deadlines.from_ticket(t)
    due = rules.arrival_deadline(d, now)
    return Stop(id=t.id, node=node, service_s=service_seconds(t),
                earliest_s=epoch(d.slot_start) if d.slot_start is not None else None,
                latest_s=epoch(due.at) if due is not None else None)


def day_rosters(db: Session, network: RoadNetwork, days: Sequence[date], now: datetime, *,
                travel: TravelTimes, exclude_ticket_id: int | None = None,
                rule_settings: rules.RuleSettings | None = None) -> list[DayRoster]:
    """The roster of each of ``days`` (local dates) at ``now``; ``exclude_ticket_id`` is left out.

    ``exclude_ticket_id`` is the ticket being rescheduled: its own booking must not stand in its way.
    """
    if not days:
        return []
    zone = rules.local_zone(rule_settings)
    today = as_utc(now).astimezone(zone).date()
    crews = db.scalars(sa.select(Crew).where(Crew.active.is_(True)).order_by(Crew.id)).all()
    depots = {d.id: (d.lon, d.lat) for d in db.scalars(sa.select(Depot))}
    orders = db.scalars(sa.select(WorkOrder).options(selectinload(WorkOrder.ticket))
                        .where(order_is_active()).order_by(WorkOrder.id)).all()
    first = datetime(min(days).year, min(days).month, min(days).day, tzinfo=zone)
    last = datetime(max(days).year, max(days).month, max(days).day, tzinfo=zone) + timedelta(days=1)
    booked = db.scalars(sa.select(Ticket).where(
        ticket_is_open(), Ticket.ticket_class == int(TicketClass.SCHEDULED),
        Ticket.slot_start >= as_utc(first), Ticket.slot_start < as_utc(last)).order_by(Ticket.slot_start, Ticket.id)
    ).all()
    tickets = {t.id: t for t in booked} | {o.ticket_id: o.ticket for o in orders}
    tickets.pop(exclude_ticket_id, None)

    # one snap for every place a route can start or stop at
    points: dict[str, tuple[float, float]] = {}
    for c in crews:
        if c.last_lon is not None and c.last_lat is not None:
            points[f"c{c.id}"] = (c.last_lon, c.last_lat)
        if c.depot_id in depots:
            points[f"d{c.id}"] = depots[c.depot_id]
    for t in tickets.values():
        points[f"t{t.id}"] = (t.lon, t.lat)
    keys = list(points)
    snapped = network.snap([points[k][0] for k in keys], [points[k][1] for k in keys])[0].tolist() if keys else []
    node = dict(zip(keys, (int(n) for n in snapped), strict=True))

    def slot_day(t: Ticket) -> date | None:
        return as_utc(t.slot_start).astimezone(zone).date() if t.slot_start is not None else None

    # each crew's current order, then its queue in order (R7.6), as the crew page shows it
    by_crew: dict[int, list[WorkOrder]] = {}
    for o in sorted(orders, key=lambda o: (o.status is WorkOrderStatus.QUEUED, o.queue_rank or 0, o.id)):
        if o.ticket_id in tickets:
            by_crew.setdefault(o.crew_id, []).append(o)
    held = {o.ticket_id: o.crew_id for o in orders}
    finishes = onsite_finishes(db, ((o.id, o.arrived_at, o.ticket) for o in orders
                                    if o.status is WorkOrderStatus.ON_SITE and o.arrived_at is not None), now)
    now_s = epoch(now)
    out = []
    for day in days:
        hour = travel_hour(rule_settings)
        crew_days: list[CrewDay] = []
        for c in crews:
            shift = shift_for(c, day, rule_settings)
            if shift is None or epoch(shift[1]) <= now_s:
                continue
            start_s = max(epoch(shift[0]), now_s)
            working_now = day == today and epoch(shift[0]) <= now_s
            if working_now and c.status is CrewStatus.OFF_SHIFT:
                continue
            home = node.get(f"d{c.id}", node.get(f"c{c.id}"))
            at = node.get(f"c{c.id}", home) if working_now else home
            if at is None:
                continue
            stops: list[Stop] = []
            for o in by_crew.get(c.id, []):
                t = tickets[o.ticket_id]
                booked_day = slot_day(t)
                # a held booking for a later day is that day's work; anything else held, today's (an
                # overdue class 3 too: the crew still has to do it)
                later = TicketClass(t.ticket_class) is TicketClass.SCHEDULED and booked_day is not None \
                    and booked_day > today
                if (booked_day if later else today) != day:
                    continue
                if o.id in finishes:  # on site: the crew is busy until the planner's expected finish
                    at = node[f"t{t.id}"]
                    start_s = max(start_s, epoch(finishes[o.id]))
                    continue
                stops.append(_stop(t, node[f"t{t.id}"], now))
            crew_days.append(CrewDay(
                crew_id=c.id, node=int(at), start_s=int(start_s), end_s=epoch(shift[1]), stops=tuple(stops),
                skills=frozenset(OPTIMIZER_SKILLS[Skill(s)] for s in c.skills if s in _SKILLS), label=c.code))
        roster = DayRoster(day, crew_days, DayTravel(crew_days, travel, hour))
        for t in booked:
            if t.id in tickets and t.id not in held and slot_day(t) == day:
                roster.crews, ins = place(roster.crews, _stop(t, node[f"t{t.id}"], now), roster.travel,
                                          required_skill=required_skill(t))
                if ins is None:
                    roster.unplaced.append(t.id)
        out.append(roster)
    return out
