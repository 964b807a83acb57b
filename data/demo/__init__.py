"""The demo scenario: a deterministic, realistic utility written through the same services as live work.

``seed_demo`` fills an empty database with the districts of the service area, about 5,000
customers, three depots with twelve crews, one login per role, 90 days of history and about 25
tickets open at ``now``. It is deterministic for (seed, now): the same inputs give identical
tickets, work orders and positions (only the salted password hashes differ between runs). Nothing
is written around the services: districts, customers and tickets go through
``ops.services.bulk_import`` (audited as ``imported``), users through ``ops.services.accounts``,
depots, crews, statuses and positions through ``ops.services.crews``. The whole seed is one
transaction: it is there completely or not at all.

How the history is generated (for the README): reports arrive as a Poisson process of about 25 a day
with an hour-of-day profile (quiet nights, peaks 8–11 and 18–21). Each report is a symptom drawn
from a fixed mix, with the odour, noise and safety answers drawn conditionally on the symptom, and
its class is whatever ``ops.rules.classify`` proposes, which comes out near 8% class 1, 45% class 2
and 47% class 3; a few tickets are raised or lowered with a recorded reason, as agents and
supervisors do. Customers sit on real street nodes in proportion to district population, and a
report comes from a customer (or, for some leaks, a passer-by in the street) through the hotline
(60%), the app (20%), WeChat (15%) or the counter (5%, office hours). The work is simulated in
dispatch order against each crew's occupancy: the job goes to the capable, on-shift crew that can
arrive first (normally the nearest depot's), with drive times from shortest paths on the road
network from each depot, scaled by the hour's congestion. Class 1 is dispatched within minutes (by
the R7.3 auto-dispatch after 3 minutes when nobody confirmed) and departs within 3–25 minutes, a few
late; class 2 is dispatched within 10–100 minutes and is mostly on site within 4 hours; class 3
arrives inside the customer's two-hour slot on the next days, some late. Those minutes are for the
default rules: the simulation reads the rule settings in force (``ops.rules.get_rule_settings``), so
its delays and its late jobs move with them. About 92% are fixed at the first visit, the rest get a
second visit (R10.3 reopen). About 97% of completed orders get their callback answered, most inside
the R10.2 deadline and some late, the rest are unreachable after three attempts; scores skew high
and drop when the crew was late or the fault not fixed; about 1.5% of tickets lead to a complaint,
mostly after a low score or a late arrival. The simulation is cut at ``now``: what had not happened
by then is not recorded, and a dozen reports are placed at every stage of the lifecycle so that the
map shows new, dispatched, acknowledged, en-route and on-site work with crews at matching positions;
some busy crews carry a queue of 1–3 confirmed orders behind their current job (R7.6).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from data.demo.scenario import DEMO_USERS, DemoConfig, Scenario, build_scenario
from data.service_area import ServiceArea
from ops.audit import record
from ops.db import downgrade, make_engine, make_session_factory, transaction, upgrade
from ops.models import AuditEvent, Crew, Customer, Depot, District, Ticket, User, UserRole
from ops.permissions import Actor
from ops.services import accounts, bulk_import, crews
from ops.services.work_orders import confirm_dispatch
from ops.settings import Settings
from ops.vocabulary import Role, WorkOrderStatus

__all__ = ["DEMO_PASSWORD", "DemoConfig", "DemoError", "demo_logins", "seed_demo"]

#: Every demo login's password. The demo is for a laptop; never seed it into a production database.
DEMO_PASSWORD = "demo-only-change-me"

#: The audit action that marks a database as holding the demo (and nothing else).
DEMO_MARKER = "demo.seed"

DEMO_ACTOR = Actor(user_id=None, label="demo seed", roles=frozenset({Role.SYSTEM}))


class DemoError(RuntimeError):
    """The demo cannot be seeded as asked; the message says what to do instead."""


def _state(engine: Engine) -> str:
    """``"empty"``, ``"demo"`` (seeded by us) or ``"other"`` (data the demo did not create)."""
    with engine.connect() as conn:
        if conn.execute(sa.select(AuditEvent.id).where(AuditEvent.action == DEMO_MARKER).limit(1)).first():
            return "demo"
        for model in (User, Customer, Ticket, Crew, District, Depot):
            if conn.execute(sa.select(model.id).limit(1)).first():
                return "other"
    return "empty"


def seed_demo(
    settings: Settings,
    area: ServiceArea,
    *,
    seed: int,
    now: datetime,
    reset: bool = False,
    if_empty: bool = False,
    config: DemoConfig | None = None,
) -> str:
    """Seed the demo scenario into the configured database and return a one-line summary.

    Migrates first. ``if_empty`` does nothing when the database already holds data. Otherwise a
    database that already holds the demo needs ``reset``, and one that holds anything else is never
    touched. ``reset`` re-creates the schema (``downgrade`` to base, then ``upgrade``) rather than
    deleting rows: the audit log is append-only and its triggers refuse DELETE, by design (R13.1).
    Dropping the whole schema is acceptable only because the database provably holds nothing but
    demo data (its seed marker is in the audit log).
    """
    started = time.perf_counter()
    if now.tzinfo is None or now.utcoffset() is None:
        raise DemoError("now must be timezone-aware, e.g. 2026-11-26T12:00:00+00:00")
    now = now.astimezone(UTC).replace(microsecond=0)
    url = settings.sqlalchemy_url
    upgrade(url)
    engine = make_engine(url)
    try:
        state = _state(engine)
        if state != "empty":
            if if_empty:
                what = "the demo" if state == "demo" else "data"
                return f"database already holds {what}; nothing seeded (--if-empty)"
            if state == "other":
                raise DemoError(
                    "the database holds data that the demo did not create; refusing to seed or reset it. "
                    "Point DATABASE_URL (or GASDISPATCH_VAR_DIR) at an empty database for the demo."
                )
            if not reset:
                raise DemoError("the database already holds the demo data; pass --reset to delete it and seed again")
            engine.dispose()
            downgrade(url, "base")
            upgrade(url)
            engine = make_engine(url)
        scenario = build_scenario(area, seed=seed, now=now, timezone=settings.timezone, config=config)
        with transaction(make_session_factory(engine)) as session:
            counts = _write(session, scenario, area, settings, seed=seed, now=now)
    finally:
        engine.dispose()
    elapsed = time.perf_counter() - started
    return (
        f"demo seeded (seed {seed}, now {now.isoformat()}): {counts['customers']} customers, "
        f"{counts['tickets']} tickets ({counts['history']} history, {counts['open']} open), "
        f"{counts['crews']} crews in {counts['depots']} depots, {counts['users']} users "
        f"in {elapsed:.1f} s"
    )


def _write(session: Session, scenario: Scenario, area: ServiceArea, settings: Settings, *,
           seed: int, now: datetime) -> dict[str, Any]:
    actor = DEMO_ACTOR
    source = f"demo (seed {seed})"
    lon_min, lat_min, lon_max, lat_max = area.network.bounds
    pad = 0.005  # about 500 m: every demo point is a network node, so this only absorbs rounding
    bounds = (lon_min - pad, lat_min - pad, lon_max + pad, lat_max + pad)

    bulk_import.import_districts(session, actor, scenario.districts, now=now, source=source)
    district_ids = dict(session.execute(sa.select(District.code, District.id)).tuples().all())
    customers = bulk_import.import_customers(session, actor, scenario.customers, area=bounds, now=now,
                                             source=source)

    users = {}
    for spec in scenario.users:
        users[spec.username] = accounts.create_user(
            session, actor, username=spec.username, display_name=spec.display_name, roles=spec.roles,
            password=DEMO_PASSWORD, now=now, language=settings.default_language,
        )
    accounts.grant_right(session, actor, users["dispatcher"], "dispatch.confirm", now=now)  # R7.5

    depots = [
        crews.create_depot(session, actor, name=d.name, lon=d.lon, lat=d.lat,
                           district_id=district_ids.get(d.district_code or ""), now=now)
        for d in scenario.depots
    ]
    crew_rows = {}
    crew_user = users["crew"].id
    for i, spec in enumerate(scenario.crews):
        members = [
            crews.CrewMemberIn(name=name, phone=phone, user_id=crew_user if i == 0 and j == 0 else None)
            for j, (name, phone) in enumerate(spec.members)
        ]
        crew_rows[spec.code] = crews.create_crew(
            session, actor, code=spec.code, name=spec.name, depot_id=depots[spec.depot].id,
            skills=spec.skills, shift_pattern=spec.shift_pattern, shift_start_hour=spec.shift_start_hour,
            shift_end_hour=spec.shift_end_hour, members=members, now=now,
        )

    history = bulk_import.import_history(session, actor, scenario.tickets, area=bounds, now=now, source=source)

    for state in scenario.crew_states:
        crew = crew_rows[state.code]
        for ping in state.pings:
            crews.record_position(session, actor, crew, ping.lon, ping.lat, ping.at, source="simulation",
                                  speed_kmh=ping.speed_kmh, heading_deg=ping.heading_deg)
        crews.set_status(session, actor, crew, state.status, at=now, note="demo: state at the scenario's now")

    # R7.6: some busy crews carry a queue: open tickets confirmed behind their current job, in order.
    ticket_ids = dict(session.execute(sa.select(Ticket.ticket_no, Ticket.id)
                                      .where(Ticket.ticket_no.in_([t for t, _ in scenario.queues]))).tuples().all())
    queued = 0
    for ticket_no, crew_code in scenario.queues:
        order = confirm_dispatch(session, actor, ticket_ids[ticket_no], crew_rows[crew_code].id, None, now,
                                 override_reason="demo: the crew's next job, planned at the scenario's now")
        queued += order.status is WorkOrderStatus.QUEUED

    counts = {
        "customers": customers.count, "tickets": history.count, "open": history.counts["open"],
        "history": history.count - history.counts["open"], "crews": len(crew_rows), "depots": len(depots),
        "users": len(users), "districts": len(district_ids), "queued": queued, **{
            k: v for k, v in history.counts.items() if k not in ("tickets", "open")
        },
    }
    record(session, actor_id=actor.user_id, actor_label=actor.label, action=DEMO_MARKER, entity="demo",
           entity_id=str(seed), after={"seed": seed, "now": now, "area": area.name, "counts": counts}, at=now)
    return counts


def demo_logins(settings: Settings) -> list[tuple[str, list[str]]]:
    """The demo's logins with their roles, for the start-up banner; ``[]`` if there is no demo.

    Never raises: an unreachable or unmigrated database, or one that holds real data rather than
    the demo, simply has no demo logins to show.
    """
    try:
        url = settings.sqlalchemy_url
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not Path(database).expanduser().exists():
                return []  # do not create an empty file just to find nothing in it
        engine = make_engine(url, connect_timeout=3, poolclass=sa.NullPool)
        try:
            with engine.connect() as conn:
                inspector = sa.inspect(conn)
                if not (inspector.has_table("audit_events") and inspector.has_table("users")):
                    return []
                marker = conn.execute(
                    sa.select(AuditEvent.id).where(AuditEvent.action == DEMO_MARKER).limit(1)
                ).first()
                if marker is None:
                    return []
                names = [u for u, _ in DEMO_USERS]
                rows = conn.execute(
                    sa.select(User.username, UserRole.role)
                    .join(UserRole, UserRole.user_id == User.id)
                    .where(User.username.in_(names), User.active.is_(True))
                    .order_by(User.id, UserRole.role)
                ).all()
        finally:
            engine.dispose()
    except Exception:  # the banner must never stop the server from starting
        return []
    logins: dict[str, list[str]] = {}
    for username, role in rows:
        logins.setdefault(username, []).append(Role(role).value)
    return list(logins.items())
