"""The one clock of the deployment: R7.2–R7.4 escalations and R7.3 auto-dispatch, exactly once.

:func:`run_escalations` is one pure tick at ``now`` (no wall clock, so tests and the simulator drive
it); it acts through the same services as people do (``confirm_dispatch`` as ``SYSTEM_ACTOR``) and
raises :class:`~ops.models.Alert` rows for the pages. Each alert is raised once per ticket (or per
work order), so a tick every few seconds does not flood the board.

:func:`tick` first takes the lease row (``scheduler_leases``) in its own short transaction: a second
gunicorn worker or a second ``gasdispatch scheduler`` stays idle until the holder's lease expires.
The lease is taken by a conditional UPDATE (holder is me, or the lease has expired), or an INSERT
for the first ever tick; both are atomic on SQLite (``BEGIN IMMEDIATE``) and PostgreSQL (row lock,
unique primary key), so two concurrent ticks cannot both act. A step hook passed to :func:`tick`
(``gasdispatch scheduler --demo-feed`` passes the demo feed's step) runs under the same lease, so
the simulated world is fed exactly once however many schedulers run.

Between ticks, :func:`run_forever` looks every second for replan requests that events left
(``ops.services.replan``): one cheap query, and only when there are some does it take the lease and
store a new plan in force with the short event budget (:func:`replan_on_request`), at most one per
:data:`DEBOUNCE_S`, so a burst of events costs one plan. The once-a-minute replan stays.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ops import rules, unit_of_work
from ops.audit import record
from ops.clock import epoch, from_epoch
from ops.db import make_session_factory
from ops.dispatching import build_state
from ops.errors import ServiceError
from ops.models import Alert, AlertKind, Recommendation, SchedulerLease, Ticket, WorkOrder
from ops.permissions import SYSTEM_ACTOR
from ops.plan_in_force import (
    REPLAN_EVERY_S,
    answer_requests,
    has_requests,
    latest_plan_at,
    pending_requests,
    store_plan,
)
from ops.queries import at_risk, awaiting_crew, class1_awaiting_departure, crew_on_the_way
from ops.recommendations import StoredRecommendation
from ops.services.dispatching import recommend
from ops.services.work_orders import confirm_dispatch
from ops.vocabulary import TicketClass, WorkOrderStatus
from optimizer.dispatch_types import DispatchState
from optimizer.network import RoadNetwork

__all__ = ["DEBOUNCE_S", "EVENT_PLAN_BUDGET_S", "LEASE_NAME", "PLAN_BUDGET_S", "REQUEST_CHECK_S", "StepHook",
           "TickReport", "acquire_lease", "replan", "replan_on_request", "run_escalations", "run_forever", "tick"]

log = logging.getLogger(__name__)

LEASE_NAME = "escalations"
#: A lease outlives a few missed ticks, so a slow tick does not hand the clock to another process.
DEFAULT_LEASE_S = 30


@dataclass
class TickReport:
    """What one tick did, by ticket or work-order id (for the log and the tests)."""

    pre_alerted: list[int] = field(default_factory=list)
    auto_dispatched: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    at_risk: list[int] = field(default_factory=list)
    red: list[int] = field(default_factory=list)
    no_crew: list[int] = field(default_factory=list)
    #: What the step hook (the demo feed) returned, when one ran.
    feed: Any = None
    #: A new plan in force was stored (``ops.plan_in_force``).
    replanned: bool = False

    @property
    def acted(self) -> bool:
        return any((self.pre_alerted, self.auto_dispatched, self.escalated, self.at_risk, self.red, self.no_crew,
                    getattr(self.feed, "acted", False)))


# ----------------------------------------------------------------------------- lease
def acquire_lease(db: Session, holder: str, now: datetime, *, ttl_s: int = DEFAULT_LEASE_S,
                  name: str = LEASE_NAME) -> bool:
    """Take or renew the lease for ``holder``; ``False`` while another holder's lease runs."""
    expires = now + timedelta(seconds=ttl_s)
    if db.get(SchedulerLease, name) is None:
        try:
            with db.begin_nested():
                db.add(SchedulerLease(name=name, holder=holder, acquired_at=now, expires_at=expires))
            return True
        except sa.exc.IntegrityError:
            return False  # another process inserted it first
    table = SchedulerLease.__table__
    result = db.execute(
        sa.update(table)
        .where(table.c.name == name, sa.or_(table.c.holder == holder, table.c.expires_at <= now))
        .values(holder=holder, expires_at=expires,
                acquired_at=sa.case((table.c.holder == holder, table.c.acquired_at), else_=now))
        .execution_options(synchronize_session=False)
    )
    db.expire_all()
    return result.rowcount == 1


# ----------------------------------------------------------------------------- alerts
def _has_alert(db: Session, kind: AlertKind, ticket_id: int, work_order_id: int | None = None) -> bool:
    q = sa.select(Alert.id).where(Alert.kind == kind, Alert.ticket_id == ticket_id)
    if work_order_id is not None:
        q = q.where(Alert.work_order_id == work_order_id)
    return db.scalar(q.limit(1)) is not None


def _raise(db: Session, kind: AlertKind, ticket: Ticket, now: datetime, *, order: WorkOrder | None = None,
           crew_id: int | None = None, details: dict[str, Any] | None = None) -> Alert:
    alert = Alert(kind=kind, ticket_id=ticket.id, work_order_id=order.id if order else None, crew_id=crew_id,
                  created_at=now, message=kind.value, details=details)
    db.add(alert)
    db.flush()
    record(db, actor_id=None, actor_label=SYSTEM_ACTOR.label, action=f"alert.{kind.value}", entity="ticket",
           entity_id=ticket.id, after={"alert_id": alert.id, "work_order_id": alert.work_order_id,
                                       "crew_id": crew_id, **(details or {})}, at=now)
    return alert


# ----------------------------------------------------------------------------- the tick
@dataclass
class _Recommender:
    """Recommendations within one tick from one dispatch state (and its cached greedy plan).

    Building the state reads every crew, order and open ticket and snaps them to the network, so it is
    built once per tick and again only after the tick itself dispatched a crew (:meth:`changed`).
    """

    db: Session
    now: datetime
    network: RoadNetwork
    _state: DispatchState | None = None

    def __call__(self, ticket_id: int) -> StoredRecommendation:
        if self._state is None:
            self._state = build_state(self.db, self.now, self.network)
        return recommend(self.db, SYSTEM_ACTOR, ticket_id, now=self.now, network=self.network, state=self._state)

    def changed(self) -> None:
        self._state = None


#: How often an unservable class 1 (no crew recommended, or none of those recommended could go) is tried again.
RETRY_NO_CREW_S = 60


def _recently_found_no_crew(db: Session, ticket_id: int, now: datetime) -> bool:
    """Whether the last try for this ticket, less than a minute ago, found no crew that could go.

    That covers both an empty ranking and a ranking of crews that are all busy with work they cannot
    leave (on site, or on their way to another class 1): either way the NO_CREW alert is up.
    """
    last = db.scalar(sa.select(Recommendation.created_at).where(Recommendation.ticket_id == ticket_id)
                     .order_by(Recommendation.created_at.desc(), Recommendation.id.desc()).limit(1))
    return (last is not None and last > now - timedelta(seconds=RETRY_NO_CREW_S)
            and _has_alert(db, AlertKind.NO_CREW, ticket_id))


def _class1_waiting(db: Session, now: datetime, recommender: _Recommender, report: TickReport) -> None:
    """R7.3: pre-alert the top crew of each new class 1 at once; dispatch it ourselves after 3 min."""
    waiting = db.scalars(sa.select(Ticket).where(awaiting_crew(), Ticket.ticket_class == TicketClass.EMERGENCY)
                         .order_by(Ticket.received_at, Ticket.id)).all()
    for ticket in waiting:
        due = rules.escalation_times(ticket.ticket_class, ticket.received_at).auto_dispatch_at
        auto = due is not None and now >= due
        if not auto and _has_alert(db, AlertKind.PRE_ALERT, ticket.id):
            continue
        if _recently_found_no_crew(db, ticket.id, now):
            continue  # retried every RETRY_NO_CREW_S, not every tick: each try stores a recommendation
        rec = recommender(ticket.id)
        if not auto:
            if rec.top is not None:
                _raise(db, AlertKind.PRE_ALERT, ticket, now, crew_id=rec.top.crew_id,
                       details={"recommendation_id": rec.recommendation_id})
                report.pre_alerted.append(ticket.id)
            elif not _has_alert(db, AlertKind.NO_CREW, ticket.id):
                _raise(db, AlertKind.NO_CREW, ticket, now, details={"recommendation_id": rec.recommendation_id})
                report.no_crew.append(ticket.id)
            continue
        order = None
        for i, option in enumerate(rec.options):
            try:
                with db.begin_nested():
                    order = confirm_dispatch(
                        db, SYSTEM_ACTOR, ticket.id, option.crew_id, rec.recommendation_id, now,
                        override_reason=None if i == 0 else "R7.3: the recommended crews before it could not go",
                        auto=True)
                recommender.changed()
                break
            except ServiceError as exc:
                log.info("auto-dispatch of ticket %s to crew %s refused: %s", ticket.id, option.crew_id, exc)
        if order is None:
            if not _has_alert(db, AlertKind.NO_CREW, ticket.id):
                _raise(db, AlertKind.NO_CREW, ticket, now, details={"recommendation_id": rec.recommendation_id})
                report.no_crew.append(ticket.id)
            continue
        _raise(db, AlertKind.AUTO_DISPATCHED, ticket, now, order=order, crew_id=order.crew_id,
               details={"recommendation_id": rec.recommendation_id})
        report.auto_dispatched.append(order.id)


def _no_acknowledgement(db: Session, now: datetime, recommender: _Recommender, report: TickReport) -> None:
    """R7.2: no acknowledgement 10 min after the order became current: escalate, alert, propose the next crew.

    R7.6: the clock runs from ``current_since`` (confirmation for a free crew, promotion for a queued
    order); a queued order is never escalated, however long it has waited behind its crew's current job.
    """
    limit = now - timedelta(minutes=rules.get_rule_settings().ack_minutes)
    orders = db.scalars(sa.select(WorkOrder).where(WorkOrder.status == WorkOrderStatus.DISPATCHED,
                                                   WorkOrder.escalated_at.is_(None),
                                                   WorkOrder.current_since.is_not(None),
                                                   WorkOrder.current_since <= limit)
                        .order_by(WorkOrder.current_since, WorkOrder.id)).all()
    for order in orders:
        rec = recommender(order.ticket_id)
        proposed = next((o.crew_id for o in rec.options if o.crew_id != order.crew_id), None)
        order.escalated_at = now
        db.flush()
        record(db, actor_id=None, actor_label=SYSTEM_ACTOR.label, action="order.escalate", entity="work_order",
               entity_id=order.id, after={"escalated_at": now, "proposed_crew_id": proposed},
               recommendation=rec.to_record(), at=now)
        _raise(db, AlertKind.NO_ACK, order.ticket, now, order=order, crew_id=proposed,
               details={"recommendation_id": rec.recommendation_id, "proposed_crew_id": proposed,
                        "dispatched_at": order.dispatched_at.isoformat(),
                        "current_since": order.current_since.isoformat() if order.current_since else None})
        report.escalated.append(order.id)


def _at_risk(db: Session, now: datetime, network: RoadNetwork, report: TickReport) -> None:
    """A crew's predicted arrival (drive from its last position, leaving now at the earliest) is at risk."""
    orders = db.scalars(sa.select(WorkOrder).where(crew_on_the_way()).order_by(WorkOrder.id)).all()
    hour = rules.to_local(now).hour
    for order in orders:
        ticket, crew = order.ticket, order.crew
        due = rules.arrival_deadline(rules.Deadlines.from_ticket(ticket), now)
        if due is None or crew is None or crew.last_lon is None or crew.last_lat is None:
            continue
        if _has_alert(db, AlertKind.AT_RISK, ticket.id, order.id):
            continue
        nodes = network.snap([crew.last_lon, ticket.lon], [crew.last_lat, ticket.lat])[0]
        drive = float(network.travel_times(nodes[:1], nodes[1:], hour=hour)[0, 0])
        if not math.isfinite(drive):
            continue  # unreachable on the network: the recommendation shows no option for it anyway
        predicted = epoch(now) + round(drive)
        if at_risk(due, now, predicted_at=from_epoch(predicted)):
            _raise(db, AlertKind.AT_RISK, ticket, now, order=order, crew_id=order.crew_id,
                   details={"deadline": due.label, "deadline_at": due.at.isoformat(),
                            "predicted_arrival_s": predicted, "late_by_s": predicted - epoch(due.at)})
            report.at_risk.append(order.id)


def _red_alerts(db: Session, now: datetime, report: TickReport) -> None:
    """R7.4: a class 1 with no crew departed 20 min after the report: red alert to the whole office.

    "Departed" is the board banner's fact (``ops.queries``): a crew that left and was then withdrawn or
    reassigned is no longer on its way, so the alert still comes.
    """
    minutes = rules.get_rule_settings().class1_red_alert_minutes
    tickets = db.scalars(sa.select(Ticket).where(
        class1_awaiting_departure(), Ticket.received_at <= now - timedelta(minutes=minutes),
    ).order_by(Ticket.received_at, Ticket.id)).all()
    for ticket in tickets:
        if _has_alert(db, AlertKind.RED, ticket.id):
            continue
        _raise(db, AlertKind.RED, ticket, now, details={"minutes_since_report": minutes})
        report.red.append(ticket.id)


def run_escalations(db: Session, now: datetime, network: RoadNetwork) -> TickReport:
    """One scheduler tick at ``now`` (call it inside a transaction, holding the lease)."""
    report = TickReport()
    recommender = _Recommender(db, now, network)
    _class1_waiting(db, now, recommender, report)
    _no_acknowledgement(db, now, recommender, report)
    _at_risk(db, now, network, report)
    _red_alerts(db, now, report)
    return report


#: A step run inside the lease after the escalations, e.g. ``data.demo.feed.DemoFeed.step``. It gets
#: the session factory (it opens its own short transactions) and the tick's ``now``.
StepHook = Callable[[sessionmaker[Session], datetime], Any]


#: Search time for the periodic plan; the scheduler's own process, not a web worker, pays it
#: (``GASDISPATCH_PLAN_BUDGET_S``).
PLAN_BUDGET_S = 2.0
#: Search time for a plan an event asked for: short, so that the plan is in force within seconds
#: (``GASDISPATCH_EVENT_PLAN_BUDGET_S``). At 500 open tickets and 60 crews the greedy start alone
#: takes about half a second, so much less than this leaves OR-Tools no time and the plan is greedy.
EVENT_PLAN_BUDGET_S = 1.5
#: How often :func:`run_forever` looks for replan requests between ticks.
REQUEST_CHECK_S = 1.0
#: The least age of the plan in force before an event replaces it: requests within it are coalesced.
DEBOUNCE_S = 1.0
#: The plan's ``source`` when events asked for it (the periodic one is ``"scheduler"``).
EVENT_SOURCE = "replan_request"


def _reading(sessions: sessionmaker[Session]) -> Session:
    """A session that only reads: on SQLite it does not take the write lock (``ops.db.READ_ONLY_OPTION``),
    so the check every second and the state read before a search never make a writer wait."""
    return make_session_factory(sessions.kw["bind"], read_only=True)()


def replan(sessions: sessionmaker[Session], now: datetime, network: RoadNetwork, *,
           every_s: float | None = REPLAN_EVERY_S, budget_s: float = PLAN_BUDGET_S,
           event_budget_s: float = EVENT_PLAN_BUDGET_S, debounce_s: float = DEBOUNCE_S,
           on_request: bool = True) -> bool:
    """Store a new plan in force if the last one is ``every_s`` old, or if events asked for one and the
    last one is ``debounce_s`` old; ``True`` when it did. ``every_s=None``: on requests only;
    ``on_request=False``: on the timer only (requests are left alone).

    The state is read in one short session and the plan stored in another: no transaction stays
    open during the search, so crews' steps and intake never wait for it. The requests read before
    the state are deleted with the plan that answers them, and only those.
    """
    from optimizer.dispatch import plan

    with _reading(sessions) as db:
        last = latest_plan_at(db)
        age = None if last is None or now < last else now - last  # a plan from a later clock does not count
        requests = pending_requests(db) if on_request else []
        periodic = every_s is not None and (age is None or age >= timedelta(seconds=every_s))
        if not periodic and not (requests and (age is None or age >= timedelta(seconds=debounce_s))):
            return False
        state = build_state(db, now, network)
    result = plan(state, budget_s if periodic else event_budget_s)

    # The refresh of a cache (five rows kept), not a decision: no audit line, unlike a person's
    # "Plan all" (ops.services.dispatching.replan), which replaces the plan others work to.
    def store(db: Session) -> None:
        store_plan(db, result, now, "scheduler" if periodic else EVENT_SOURCE, state)
        answer_requests(db, requests)

    unit_of_work.run(sessions, store)
    if requests:
        log.info("scheduler: plan in force stored for %d replan request(s)", len(requests))
    return True


def replan_on_request(sessions: sessionmaker[Session], now: datetime, network: RoadNetwork, holder: str, *,
                      ttl_s: int = DEFAULT_LEASE_S, event_budget_s: float = EVENT_PLAN_BUDGET_S,
                      debounce_s: float = DEBOUNCE_S) -> bool | None:
    """Between ticks: plan if events asked for it; ``None`` when another process holds the lease.

    Without requests this is one read and no write: the lease is taken (a write) only to plan.
    """
    with _reading(sessions) as db:
        if not has_requests(db):
            return False
    if not unit_of_work.run(sessions, lambda db: acquire_lease(db, holder, now, ttl_s=ttl_s)):
        return None
    return replan(sessions, now, network, every_s=None, event_budget_s=event_budget_s, debounce_s=debounce_s)


#: Seconds the plan may take to retime after a dispatcher moved an order: the board waits for it.
RETIME_BUDGET_S = 1.0


def retime(sessions: sessionmaker[Session], now: datetime, network: RoadNetwork) -> bool:
    """A new plan in force at once, after a person moved or confirmed orders on the schedule board, so
    that every crew's bars show their new ETAs without waiting for the scheduler; ``False`` if it failed.

    Run after the move has committed, so it must not undo it: a failure is logged and the move's
    replan request stays for the scheduler, which answers it within seconds anyway.
    """
    try:
        return replan(sessions, now, network, every_s=0, budget_s=RETIME_BUDGET_S)
    except Exception:
        log.exception("retiming the plan after a move failed; the scheduler will answer the request")
        return False


def tick(sessions: sessionmaker[Session], now: datetime, network: RoadNetwork, holder: str, *,
         ttl_s: int = DEFAULT_LEASE_S, feed: StepHook | None = None,
         replan_every_s: float | None = None, plan_budget_s: float = PLAN_BUDGET_S,
         event_plan_budget_s: float = EVENT_PLAN_BUDGET_S, on_request: bool = True) -> TickReport | None:
    """Take the lease, then run one tick; ``None`` when another process holds the lease.

    ``feed`` runs under the same lease, after the escalations have been committed, so that a
    demo feed can never be run twice by two schedulers, and its failure cannot undo an escalation.
    With ``replan_every_s`` the tick also keeps the plan in force fresh (after the escalations,
    which must not wait for a search), periodically and (unless ``on_request`` is false) when events
    asked for it.
    """
    if not unit_of_work.run(sessions, lambda db: acquire_lease(db, holder, now, ttl_s=ttl_s)):
        return None
    report = unit_of_work.run(sessions, lambda db: run_escalations(db, now, network))
    if replan_every_s is not None:
        try:
            report.replanned = replan(sessions, now, network, every_s=replan_every_s, budget_s=plan_budget_s,
                                      event_budget_s=event_plan_budget_s, on_request=on_request)
        except Exception:  # recommendations then plan greedily themselves: slower, still right
            log.exception("scheduler: replanning failed")
    if feed is not None:
        try:
            report.feed = feed(sessions, now)
        except Exception:  # the clock's own duties must not stop because the feed failed
            log.exception("scheduler: the step hook failed")
    return report


def run_forever(sessions: sessionmaker[Session], clock: Callable[[], datetime], network: RoadNetwork,
                holder: str, *, interval_s: float = 5.0, stop: threading.Event | None = None,
                ttl_s: int = DEFAULT_LEASE_S, feed: StepHook | None = None,
                replan_every_s: float | None = REPLAN_EVERY_S, check_s: float | None = REQUEST_CHECK_S,
                plan_budget_s: float = PLAN_BUDGET_S, event_plan_budget_s: float = EVENT_PLAN_BUDGET_S) -> None:
    """Tick every ``interval_s`` until ``stop`` is set, and between ticks look for replan requests every
    ``check_s`` (``None``: replan on the timer only, as before issue 12); a failed tick or check is
    logged, never fatal."""
    stop = stop or threading.Event()
    events = check_s is not None and replan_every_s is not None
    next_tick = time.monotonic()
    while not stop.is_set():
        if time.monotonic() >= next_tick:
            try:
                report = tick(sessions, clock(), network, holder, ttl_s=ttl_s, feed=feed,
                              replan_every_s=replan_every_s, plan_budget_s=plan_budget_s,
                              event_plan_budget_s=event_plan_budget_s, on_request=check_s is not None)
                if report is not None and report.acted:
                    log.info("scheduler tick: %s", report)
            except Exception:  # one bad tick must not stop the clock for everyone
                log.exception("scheduler tick failed")
            next_tick = time.monotonic() + interval_s
        elif events:
            try:
                replan_on_request(sessions, clock(), network, holder, ttl_s=ttl_s,
                                  event_budget_s=event_plan_budget_s)
            except Exception:  # the next tick replans anyway
                log.exception("scheduler: replanning on request failed")
        wait = next_tick - time.monotonic()
        stop.wait(max(0.0, min(wait, check_s) if events else wait))
