"""The demo feed: a live centre for ``make run``, driven by the scheduler's clock.

Each :meth:`DemoFeed.step` advances the seeded demo to ``now`` (time is passed in, never read from
the wall clock): new reports arrive as a Poisson process drawn from the demo's demand model and are
saved through intake by the demo hotline agent (busy mornings and evenings, quiet nights, as in
the history); class-2/3 tickets left waiting are confirmed by the demo supervisor (switchable, :attr:`FeedConfig.auto_confirm_after`); simulated crews acknowledge,
depart, drive along real road paths posting positions, arrive, take the class-1 detector reading
and complete with a full repair record, each as a member of their own crew. Every change goes
through the same ``ops`` services (role check, audit in the same transaction) as a person's or a
device's: no back doors. The feed only ever runs on a database the demo seeded.

The scheduler calls :meth:`DemoFeed.step` inside its lease-holding tick (``gasdispatch scheduler
--demo-feed``), so however many processes run, the world is fed exactly once. Each action is its
own short transaction, so the web workers are never locked out for a whole step and one failed
action does not undo the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from data.area_locator import AreaLocator
from data.demo.feed.actors import ensure_crew_logins, is_demo_database, user_actor
from data.demo.feed.config import FeedConfig, FeedReport
from data.demo.feed.crews import CrewSimulator, visit_plan
from data.demo.feed.dispatch import any_crew_free, confirm_one, waiting_tickets
from data.demo.feed.reports import draw_intake_report
from data.demo.scenario import HOUR_PROFILE
from data.service_area import ServiceArea
from ops import rules, unit_of_work
from ops.db import transaction
from ops.models import Crew, Customer, WorkOrder
from ops.permissions import Actor
from ops.queries import order_is_current
from ops.services.intake import create_ticket

__all__ = ["DemoFeed", "FeedConfig", "FeedReport", "visit_plan"]

log = logging.getLogger(__name__)



class DemoFeed:
    """One simulated world per scheduler process; its memory is rebuilt from the database on start."""

    def __init__(self, area: ServiceArea, *, seed: int = 7, config: FeedConfig | None = None,
                 password: str | None = None) -> None:
        from data.demo import DEMO_PASSWORD

        self.area = area
        self.seed = seed
        self.config = config or FeedConfig()
        self.password = password or DEMO_PASSWORD
        self.rng = np.random.default_rng(seed)
        self.locator = AreaLocator(area)
        self.crews = CrewSimulator(area.network, seed, self.config)
        self.next_arrival: datetime | None = None
        self._ready = False
        self._idle_logged = False
        self._customers: list[int] = []
        self._retry_at: dict[int, datetime] = {}

    # -- the step
    def step(self, sessions: sessionmaker[Session], now: datetime) -> FeedReport:
        """Advance the demo world to ``now``; call it only while holding the scheduler's lease."""
        report = FeedReport()
        with transaction(sessions) as db:
            report.idle = self._prepare(db, now)
            if report.idle is not None:
                if not self._idle_logged:
                    log.warning("demo feed: %s", report.idle)
                    self._idle_logged = True
                return report
            hotline = user_actor(db, "hotline", "hotline")
            supervisor = user_actor(db, "supervisor", "supervisor")
        self._arrivals(sessions, hotline, now, report)
        self._work(sessions, now, report)
        self._confirm(sessions, supervisor, now, report)
        return report

    def _prepare(self, db: Session, now: datetime) -> str | None:
        """``None`` when the feed may act; else why not (logged once by the caller)."""
        if self._ready:
            return None
        if not is_demo_database(db):
            return "the database does not hold the seeded demo (gasdispatch demo); the demo feed stays idle"
        created = ensure_crew_logins(db, now, self.password)
        if created:
            log.info("demo feed: crew logins created: %s", ", ".join(created))
        self._customers = list(db.scalars(sa.select(Customer.id).order_by(Customer.id)))
        self._ready = True
        return None

    def _guard(self, report: FeedReport, what: str, sessions: sessionmaker[Session],
               action: Callable[[Session, FeedReport], None]) -> None:
        """Run one action in its own transaction; counted only once committed, a failure never fatal."""
        done = FeedReport()
        try:
            unit_of_work.run(sessions, lambda db: action(db, done))
        except Exception as exc:  # one refused action must not stop the rest of the world
            log.warning("demo feed: %s failed: %s", what, exc)
            report.errors.append(f"{what}: {type(exc).__name__}: {exc}")
            return
        report.merge(done)

    # -- new reports
    def _arrivals(self, sessions: sessionmaker[Session], hotline: Actor | None, now: datetime,
                  report: FeedReport) -> None:
        if hotline is None or not self._customers:
            return
        # With the hour profile, candidates come at the peak hour's rate and each is kept with the
        # hour's share of it (thinning), which leaves a Poisson process whose rate follows the profile.
        profile = HOUR_PROFILE / HOUR_PROFILE.max()
        peak = float(HOUR_PROFILE.max() / HOUR_PROFILE.mean()) if self.config.hour_profile else 1.0
        gap_s = self.config.mean_interarrival.total_seconds() / peak
        if self.next_arrival is None:  # memoryless: a restart simply draws the next gap afresh
            self.next_arrival = now + _seconds(self.rng.exponential(gap_s))
        zone = rules.local_zone()
        while self.next_arrival <= now:
            received = self.next_arrival
            self.next_arrival = received + _seconds(self.rng.exponential(gap_s))
            if self.config.hour_profile and self.rng.random() >= profile[received.astimezone(zone).hour]:
                continue  # thinned away: a quieter hour than the peak
            if received < now - self.config.max_backlog:
                continue  # the clock was stopped: do not replay a flood of stale calls
            customer_id = self._customers[int(self.rng.integers(len(self._customers)))]
            draw = np.random.default_rng([self.seed, int(received.timestamp())])

            def save(db: Session, done: FeedReport, customer_id: int = customer_id,
                     received: datetime = received, draw: np.random.Generator = draw) -> None:
                customer = db.get(Customer, customer_id)
                assert customer is not None
                result = create_ticket(db, hotline, draw_intake_report(draw, customer, received, now, zone),
                                       now=now, locator=self.locator)
                done.created.append(result.ticket.id)

            self._guard(report, "new report", sessions, save)

    # -- crews
    def _work(self, sessions: sessionmaker[Session], now: datetime, report: FeedReport) -> None:
        with sessions() as db:
            # The crews' current orders; a queued one is taken up once promoted (R7.6: the lifecycle
            # promotes it when the crew finishes the order before it).
            orders = dict(db.execute(sa.select(WorkOrder.id, WorkOrder.crew_id)
                                     .where(order_is_current()).order_by(WorkOrder.id)).tuples().all())
            idle = list(db.scalars(sa.select(Crew.id).where(Crew.active.is_(True), Crew.id.not_in(orders.values()))
                                   .order_by(Crew.id)))
        self.crews.forget(set(orders), set(orders.values()))
        for order_id in orders:
            self._guard(report, f"work order {order_id}", sessions,
                        lambda db, done, oid=order_id: self.crews.advance(db, db.get(WorkOrder, oid), now, done))
        for crew_id in idle:
            self._guard(report, f"crew {crew_id}", sessions,
                        lambda db, done, cid=crew_id: self.crews.idle(db, db.get(Crew, cid), now, done))

    # -- the empty dispatch desk
    def _confirm(self, sessions: sessionmaker[Session], supervisor: Actor | None, now: datetime,
                 report: FeedReport) -> None:
        if supervisor is None or self.config.auto_confirm_after is None:
            return
        with sessions() as db:
            if not any_crew_free(db):
                return
            due = [t for t in waiting_tickets(db, now, self.config) if self._retry_at.get(t, now) <= now]
        for ticket_id in due[: self.config.max_confirms_per_step]:
            def confirm(db: Session, done: FeedReport, ticket_id: int = ticket_id) -> None:
                order_id = confirm_one(db, supervisor, ticket_id, now, self.area.network)
                if order_id is None:
                    self._retry_at[ticket_id] = now + self.config.retry_confirm_after
                else:
                    self._retry_at.pop(ticket_id, None)
                    done.confirmed.append(order_id)

            self._guard(report, f"confirm ticket {ticket_id}", sessions, confirm)


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=max(1, round(value)))
