"""The database behind the board benchmark: the demo, grown to a busy day with years of history.

The demo (``data.demo.seed_demo``) writes a realistic utility through the services, but its sizes
are a laptop's: 3 × 9 crews at most, about 30 open tickets and 25 reports a day. The benchmark
needs 60 crews on shift, 500 open tickets and 100,000 closed ones, so this module starts from the
demo and grows it with bulk Core inserts (executemany of plain dicts), because going through the
services row by row would take the better part of an hour:

- history: the demo's closed tickets are copied whole (work orders, repair records, callbacks,
  safety lines, class changes, complaints, their import audit event) into earlier periods, each copy
  shifted back by a whole number of days, until the wanted count; each copied work order also gets
  the audit trail a live one has (dispatch, acknowledge, depart, arrive, complete) and a class-1
  ticket its acknowledged pre-alert, so the tables the board joins are as large as real ones;
- crews: day or night crews (whichever shift is on at ``now``) copied from the demo's, until the
  wanted number is on shift, with a mix of available, dispatched, en route (a real road path from
  their depot, positioned part way along it) and on site;
- open tickets: reports copied from the history (real customers at real network nodes), received
  in the last hours, with deadlines from ``ops.rules.deadlines_for`` as intake stores them. An open
  queue is mostly class 3 waiting for its appointment: the mix is 2% class 1, 28% class 2, 70%
  class 3 rather than the arrival mix, because class 1 and 2 leave the queue within hours;
- crew queues (R7.6, ``BoardSize.orders_per_crew``): each added crew holds that many confirmed orders,
  its current one and the rest queued behind it in rank order, each on a ticket of its own, so the
  open queue keeps its size and the schedule board draws crews × orders committed bars besides the
  plan's proposals.

Nothing is cached: the caller owns the database (a temporary SQLite file or a PostgreSQL URL).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data.demo import seed_demo
from data.demo.scenario import SHIFT_HOURS, SLOT_HOURS, SLOT_LENGTH, DemoConfig
from data.service_area import ServiceArea
from ops.db import make_engine
from ops.models import (
    Alert,
    AlertKind,
    AuditEvent,
    ClassChange,
    Complaint,
    Crew,
    CrewMember,
    Depot,
    FollowUp,
    RepairRecord,
    SafetyInstruction,
    Ticket,
    WorkOrder,
)
from ops.models.base import UTCDateTime
from ops.rules import deadlines_for
from ops.settings import Settings
from ops.vocabulary import CrewStatus, ShiftPattern, TicketClass, TicketStatus, WorkOrderStatus

#: Class mix of the added open tickets (see the module docstring).
OPEN_CLASS_MIX = {TicketClass.EMERGENCY: 0.02, TicketClass.URGENT: 0.28, TicketClass.SCHEDULED: 0.70}

#: Status of each added crew, in turn: (crew status, work-order status or None).
CREW_CYCLE: tuple[tuple[CrewStatus, WorkOrderStatus | None], ...] = (
    (CrewStatus.AVAILABLE, None),
    (CrewStatus.EN_ROUTE, WorkOrderStatus.EN_ROUTE),
    (CrewStatus.ON_SITE, WorkOrderStatus.ON_SITE),
    (CrewStatus.DISPATCHED, WorkOrderStatus.DISPATCHED),
    (CrewStatus.AVAILABLE, None),
    (CrewStatus.EN_ROUTE, WorkOrderStatus.EN_ROUTE),
    (CrewStatus.ON_SITE, WorkOrderStatus.ON_SITE),
    (CrewStatus.DISPATCHED, WorkOrderStatus.ACKNOWLEDGED),
)

#: Tables copied for history, parents first; each maps FK column → parent table it follows.
HISTORY_TABLES = (Ticket, SafetyInstruction, ClassChange, WorkOrder, RepairRecord, Complaint, FollowUp)
_TICKET_NO = re.compile(r"^GD-(\d{8})-(.+)$")


@dataclass(frozen=True)
class BoardSize:
    """What the board holds: open tickets, crews on shift, closed tickets in the history, and how many
    confirmed orders each added crew holds (its current one and its queue, R7.6; 0: one at most)."""

    open_tickets: int
    crews: int
    history: int
    orders_per_crew: int = 0

    def label(self) -> str:
        queues = f" / {self.orders_per_crew} orders per crew" if self.orders_per_crew else ""
        return f"{self.open_tickets} open / {self.crews} crews / {self.history:,} history{queues}"


def build_board(settings: Settings, area: ServiceArea, size: BoardSize, *, now: datetime, seed: int = 7) -> dict:
    """Seed the demo into ``settings``' (empty) database and grow it to ``size``; returns what is there.

    The counts returned are measured in the database afterwards, so the report states the real sizes
    even where the demo already had more than asked (the reference size asks for less than it has).
    """
    now = now.astimezone(UTC).replace(microsecond=0)
    history_days = max(1, min(90, math.ceil(size.history / 25))) if size.history else 1
    per_depot = max(1, min(9, math.ceil(size.crews / 3)))
    customers = 5000 if size.history >= 2000 else 1000
    seed_demo(settings, area, seed=seed, now=now,
              config=DemoConfig(customers=customers, history_days=history_days, crews_per_depot=per_depot))
    rng = np.random.default_rng(seed)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with engine.begin() as conn:
            _grow_history(conn, size.history, history_days, rng)
            if conn.dialect.name == "postgresql":
                _sync_sequences(conn)  # the copies' ids were explicit; what follows uses the sequences
            _grow_board(conn, area, size, now, settings.timezone, rng)
        with engine.connect() as conn:
            return counts(conn)
    finally:
        engine.dispose()


def counts(conn: Connection) -> dict[str, int]:
    """The sizes the benchmark reports, read back from the database."""
    open_statuses = [s.value for s in TicketStatus if s.is_open]
    scalar = conn.scalar
    return {
        "open_tickets": scalar(sa.select(sa.func.count()).where(Ticket.status.in_(open_statuses))),
        "history_tickets": scalar(sa.select(sa.func.count()).where(Ticket.status.not_in(open_statuses))),
        "crews_on_shift": scalar(sa.select(sa.func.count()).where(
            Crew.active.is_(True), Crew.status != CrewStatus.OFF_SHIFT.value)),
        "crews": scalar(sa.select(sa.func.count()).select_from(Crew)),
        "work_orders": scalar(sa.select(sa.func.count()).select_from(WorkOrder)),
        "active_work_orders": scalar(sa.select(sa.func.count()).where(
            WorkOrder.status.in_([s.value for s in WorkOrderStatus if s.is_active]))),
        "audit_events": scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
        "alerts": scalar(sa.select(sa.func.count()).select_from(Alert)),
    }


# --------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------


def _rows(conn: Connection, table: sa.Table, where: Any) -> list[dict]:
    return [dict(r) for r in conn.execute(sa.select(table).where(where).order_by(table.c.id)).mappings()]


def _insert(conn: Connection, table: sa.Table, rows: list[dict], chunk: int = 5000) -> None:
    for i in range(0, len(rows), chunk):
        conn.execute(sa.insert(table), rows[i:i + chunk])


def _grow_history(conn: Connection, wanted: int, history_days: int, rng: np.random.Generator) -> None:
    """Copy the demo's closed tickets (with everything hanging off them) into earlier periods."""
    closed = [TicketStatus.CLOSED.value]
    base: dict[str, list[dict]] = {}
    tickets = _rows(conn, Ticket.__table__, Ticket.status.in_(closed))
    have = conn.scalar(sa.select(sa.func.count()).where(
        Ticket.status.not_in([s.value for s in TicketStatus if s.is_open])))
    if not tickets or have >= wanted:
        return
    ticket_ids = [t["id"] for t in tickets]
    base["tickets"] = tickets
    for model in (SafetyInstruction, ClassChange, WorkOrder, Complaint, FollowUp):
        base[model.__tablename__] = _rows(conn, model.__table__, model.ticket_id.in_(ticket_ids))
    order_ids = [o["id"] for o in base["work_orders"]]
    base["repair_records"] = _rows(conn, RepairRecord.__table__, RepairRecord.work_order_id.in_(order_ids))
    audits = _rows(conn, AuditEvent.__table__, sa.and_(AuditEvent.entity == "ticket",
                                                        AuditEvent.entity_id.in_([str(i) for i in ticket_ids])))
    crew_codes = dict(conn.execute(sa.select(Crew.id, Crew.code)).tuples().all())
    stride = {model.__tablename__: (conn.scalar(sa.select(sa.func.max(model.__table__.c.id))) or 0) + 1
              for model in (*HISTORY_TABLES, AuditEvent)}
    period = timedelta(days=history_days + 2)
    copy = 0
    while have < wanted:
        copy += 1
        take = min(len(tickets), wanted - have)
        keep = {t["id"] for t in tickets[:take]}
        shift = period * copy
        new: dict[str, list[dict]] = {}
        for model in HISTORY_TABLES:
            table = model.__table__
            rows = base[table.name]
            if table.name == "repair_records":
                kept_orders = {o["id"] for o in base["work_orders"] if o["ticket_id"] in keep}
                rows = [r for r in rows if r["work_order_id"] in kept_orders]
            elif table.name != "tickets":
                rows = [r for r in rows if r["ticket_id"] in keep]
            else:
                rows = [r for r in rows if r["id"] in keep]
            new[table.name] = [_shifted(table, r, copy, shift, stride) for r in rows]
            _insert(conn, table, new[table.name])
        events = [_shifted(AuditEvent.__table__, a, copy, shift, stride) for a in audits
                  if int(a["entity_id"]) in keep]
        for e in events:  # audit ids come from the database: the copies' events interleave
            del e["id"]
            e["entity_id"] = str(int(e["entity_id"]) + copy * stride["tickets"])
        _insert(conn, AuditEvent.__table__, events)
        _insert(conn, AuditEvent.__table__, _order_events(new["work_orders"], crew_codes))
        _insert(conn, Alert.__table__, _history_alerts(new["tickets"], new["work_orders"]))
        have += take


def _shifted(table: sa.Table, row: dict, copy: int, shift: timedelta, stride: dict[str, int]) -> dict:
    """``row`` moved ``shift`` into the past, with ids (its own and its parents') moved to a free range."""
    out = dict(row)
    out["id"] = row["id"] + copy * stride[table.name]  # an audit event's is dropped by the caller
    for fk in table.foreign_keys:
        parent = fk.column.table.name
        if parent in stride and parent != "audit_events" and out.get(fk.parent.name) is not None:
            out[fk.parent.name] = row[fk.parent.name] + copy * stride[parent]
    for column in table.columns:
        if isinstance(column.type, UTCDateTime) and out.get(column.name) is not None:
            out[column.name] = out[column.name] - shift
    if table.name == "tickets":
        m = _TICKET_NO.match(row["ticket_no"])
        day = datetime.strptime(m.group(1), "%Y%m%d") - shift if m else None
        out["ticket_no"] = f"GD-{day:%Y%m%d}-{m.group(2)}" if m else f"{row['ticket_no']}-{copy}"
    return out


def _order_events(orders: Iterable[dict], crew_codes: dict[int, str]) -> list[dict]:
    """The audit trail a live work order leaves: one event per lifecycle step."""
    events = []
    for o in orders:
        crew = crew_codes.get(o["crew_id"], "?")
        steps = (("order.dispatch", o["dispatched_at"], "scheduler" if o["auto_dispatched"] else "supervisor"),
                 ("order.acknowledge", o["acknowledged_at"], f"crew {crew}"),
                 ("order.depart", o["departed_at"], f"crew {crew}"),
                 ("order.arrive", o["arrived_at"], f"crew {crew}"),
                 ("order.complete", o["completed_at"], f"crew {crew}"))
        for action, at, who in steps:
            if at is not None:
                events.append({"at": at, "actor_id": None, "actor_label": who, "action": action,
                               "entity": "work_order", "entity_id": str(o["id"]), "before": None,
                               "after": {"status": action.split(".")[1], "crew_id": o["crew_id"]},
                               "recommendation": None, "imported": True, "note": None})
    return events


def _history_alerts(tickets: list[dict], orders: list[dict]) -> list[dict]:
    """The acknowledged pre-alert every class 1 raised (and the auto-dispatch note where it happened)."""
    first = {}
    for o in orders:
        first.setdefault(o["ticket_id"], o)
    alerts = []
    for t in tickets:
        o = first.get(t["id"])
        if int(t["ticket_class"]) != int(TicketClass.EMERGENCY) or o is None:
            continue
        kinds = [AlertKind.PRE_ALERT] + ([AlertKind.AUTO_DISPATCHED] if o["auto_dispatched"] else [])
        for kind in kinds:
            alerts.append({"kind": kind, "ticket_id": t["id"], "work_order_id": o["id"], "crew_id": o["crew_id"],
                           "created_at": t["received_at"] + timedelta(seconds=10),
                           "acknowledged_at": o["dispatched_at"], "acknowledged_by_id": None,
                           "message": kind.value, "details": None})
    return alerts


# --------------------------------------------------------------------------------------------
# Crews and open tickets
# --------------------------------------------------------------------------------------------


def _grow_board(conn: Connection, area: ServiceArea, size: BoardSize, now: datetime, timezone: str,
                rng: np.random.Generator) -> None:
    net = area.network
    local_hour = now.astimezone(ZoneInfo(timezone)).hour
    start, end = SHIFT_HOURS[ShiftPattern.DAY]
    pattern = ShiftPattern.DAY if start <= local_hour < end else ShiftPattern.NIGHT
    on_shift = conn.scalar(sa.select(sa.func.count()).where(Crew.status != CrewStatus.OFF_SHIFT.value))
    templates = (conn.execute(sa.select(Crew).where(Crew.shift_pattern == pattern.value).order_by(Crew.id)).all()
                 or conn.execute(sa.select(Crew).order_by(Crew.id)).all())
    depots = {d.id: d for d in conn.execute(sa.select(Depot)).all()}
    n_crews = conn.scalar(sa.select(sa.func.count()).select_from(Crew))
    added_crews = []
    for i in range(max(0, size.crews - on_shift)):
        tpl = templates[i % len(templates)]
        code = f"CR{n_crews + i + 1:02d}"
        added_crews.append({"code": code, "name": f"Cuadrilla Extra {i + 1}", "depot_id": tpl.depot_id,
                            "skills": list(tpl.skills), "shift_pattern": pattern,
                            "shift_start_hour": tpl.shift_start_hour, "shift_end_hour": tpl.shift_end_hour,
                            "status": CrewStatus.AVAILABLE, "active": True})
    _insert(conn, Crew.__table__, added_crews)
    crews = conn.execute(sa.select(Crew.id, Crew.code, Crew.depot_id)
                         .where(Crew.code.in_([c["code"] for c in added_crews])).order_by(Crew.id)).all()
    _insert(conn, CrewMember.__table__, [{"crew_id": c.id, "name": f"Integrante {c.code}", "phone": None,
                                          "user_id": None} for c in crews])
    _insert(conn, AuditEvent.__table__, [_event(now, "crew.create", "crew", c.id, {"code": c.code}) for c in crews])

    open_statuses = [s.value for s in TicketStatus if s.is_open]
    have_open = conn.scalar(sa.select(sa.func.count()).where(Ticket.status.in_(open_statuses)))
    wanted = max(0, size.open_tickets - have_open)
    pool = _rows(conn, Ticket.__table__, Ticket.status == TicketStatus.CLOSED.value)
    if not pool:
        return
    by_class = {cls: [t for t in pool if int(t["ticket_class"]) == int(cls)] or pool for cls in TicketClass}
    classes = rng.choice([int(c) for c in OPEN_CLASS_MIX], size=wanted, p=list(OPEN_CLASS_MIX.values()))
    # Crews with work get the first tickets, so that en-route and on-site crews have class 1 and 2 work too.
    busy = [(c, CREW_CYCLE[i % len(CREW_CYCLE)]) for i, c in enumerate(crews)]
    busy = [(c, st) for c, st in busy if st[1] is not None]
    zone = ZoneInfo(timezone)
    next_no = conn.scalar(sa.select(sa.func.count()).select_from(Ticket)) + 1
    new_tickets = []
    for k in range(wanted):
        cls = TicketClass(int(classes[k])) if k >= len(busy) else (
            TicketClass.EMERGENCY if k % 5 == 0 else TicketClass.URGENT)
        tpl = by_class[cls][int(rng.integers(len(by_class[cls])))]
        new_tickets.append(_open_ticket(tpl, cls, now, zone, rng, f"GD-{now.astimezone(zone):%Y%m%d}-B{next_no + k:05d}"))
    _insert(conn, Ticket.__table__, new_tickets)
    ids = dict(conn.execute(sa.select(Ticket.ticket_no, Ticket.id)
                            .where(Ticket.ticket_no.in_([t["ticket_no"] for t in new_tickets]))).tuples().all())
    _insert(conn, AuditEvent.__table__, [_event(t["received_at"], "ticket.create", "ticket", ids[t["ticket_no"]],
                                                {"class": int(t["ticket_class"])}) for t in new_tickets])

    orders, positions = [], {}
    for (crew, (crew_status, order_status)), ticket in zip(busy, new_tickets, strict=False):
        depot = depots[crew.depot_id]
        ticket["id"] = ids[ticket["ticket_no"]]
        order, position = _active_order(net, crew, depot, ticket, order_status, now, rng)
        orders.append(order)
        positions[crew.id] = (crew_status, position)
        conn.execute(sa.update(Ticket).where(Ticket.id == ticket["id"]).values(status=order_status.value))
    _insert(conn, WorkOrder.__table__, orders)
    for crew in crews:
        if crew.id in positions:
            status, (lon, lat) = positions[crew.id]
        else:
            status, (lon, lat) = CrewStatus.AVAILABLE, _near(net, depots[crew.depot_id], rng)
        conn.execute(sa.update(Crew).where(Crew.id == crew.id).values(
            status=status.value, last_lon=lon, last_lat=lat, last_position_at=now - timedelta(seconds=30)))
    if size.orders_per_crew:
        _queues(conn, crews, {c.id for c, _st in busy[:len(new_tickets)]}, size.orders_per_crew, pool, now, zone,
                rng, next_no + wanted)


def _queues(conn: Connection, crews: list[Any], busy: set[int], per_crew: int, pool: list[dict], now: datetime,
            zone: ZoneInfo, rng: np.random.Generator, next_no: int) -> None:
    """R7.6: every added crew holds ``per_crew`` confirmed orders: its current one (a free crew is sent
    to its first) and the rest queued behind it, on tickets of their own (the open queue keeps its size)."""
    scheduled = [t for t in pool if int(t["ticket_class"]) == int(TicketClass.SCHEDULED)] or pool
    urgent = [t for t in pool if int(t["ticket_class"]) == int(TicketClass.URGENT)] or pool
    plan: list[tuple[Any, int, dict]] = []
    for crew in crews:
        for place in range(1, per_crew) if crew.id in busy else range(per_crew):  # place 0: the current order
            cls, templates = (TicketClass.URGENT, urgent) if place % 3 == 0 else (TicketClass.SCHEDULED, scheduled)
            tpl = templates[int(rng.integers(len(templates)))]
            ticket = _open_ticket(tpl, cls, now, zone, rng, f"GD-{now.astimezone(zone):%Y%m%d}-Q{next_no + len(plan):05d}")
            ticket["status"] = TicketStatus.DISPATCHED
            plan.append((crew, place, ticket))
    _insert(conn, Ticket.__table__, [t for _c, _p, t in plan])
    ids = dict(conn.execute(sa.select(Ticket.ticket_no, Ticket.id)
                            .where(Ticket.ticket_no.in_([t["ticket_no"] for _c, _p, t in plan]))).tuples().all())
    orders = []
    for crew, place, ticket in plan:
        current = place == 0
        dispatched = now - timedelta(minutes=int(rng.integers(2, 90)))
        orders.append({"ticket_id": ids[ticket["ticket_no"]], "crew_id": crew.id,
                       "status": WorkOrderStatus.DISPATCHED if current else WorkOrderStatus.QUEUED,
                       "recommended_crew_id": crew.id, "recommendation": None, "override_reason": None,
                       "auto_dispatched": False, "pre_alerted_at": None, "dispatched_at": dispatched,
                       "dispatched_by_id": None, "acknowledged_at": None, "departed_at": None, "arrived_at": None,
                       "completed_at": None, "cancelled_at": None, "cancel_reason": None, "escalated_at": None,
                       "eta_seconds_at_dispatch": 900, "version_id": 1,
                       "queue_rank": None if current else 1024 * place,
                       "current_since": dispatched if current else None})
    _insert(conn, WorkOrder.__table__, orders)
    free = [c.id for c in crews if c.id not in busy]
    if free:
        conn.execute(sa.update(Crew).where(Crew.id.in_(free)).values(status=CrewStatus.DISPATCHED.value))


def _event(at: datetime, action: str, entity: str, entity_id: int, after: dict) -> dict:
    return {"at": at, "actor_id": None, "actor_label": "board benchmark", "action": action, "entity": entity,
            "entity_id": str(entity_id), "before": None, "after": after, "recommendation": None,
            "imported": False, "note": None}


def _open_ticket(tpl: dict, cls: TicketClass, now: datetime, zone: ZoneInfo, rng: np.random.Generator,
                 ticket_no: str) -> dict:
    """A report like ``tpl`` received recently, with the deadlines intake stores for its class."""
    minutes = {TicketClass.EMERGENCY: (1, 12), TicketClass.URGENT: (5, 240), TicketClass.SCHEDULED: (30, 2880)}
    lo, hi = minutes[cls]
    received = now - timedelta(minutes=int(rng.integers(lo, hi)))
    slot_start = slot_end = None
    if cls is TicketClass.SCHEDULED:
        local = now.astimezone(zone)
        day = local.date() + timedelta(days=int(rng.integers(0, 3)))
        hour = int(rng.choice(SLOT_HOURS))
        slot_start = datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)
        if slot_start + SLOT_LENGTH <= now:  # today's slot already over: the same hour tomorrow
            slot_start += timedelta(days=1)
        slot_end = slot_start + SLOT_LENGTH
    d = deadlines_for(cls, received, slot_start=slot_start, slot_end=slot_end)
    row = {k: v for k, v in tpl.items() if k != "id"}
    row.update(
        ticket_no=ticket_no, received_at=received, created_at=received,
        fault_started_at=received - (tpl["received_at"] - tpl["fault_started_at"]),
        proposed_class=cls if int(tpl["proposed_class"]) == int(tpl["ticket_class"]) else tpl["proposed_class"],
        ticket_class=cls, slot_start=slot_start, slot_end=slot_end,
        status=TicketStatus.NEW, closed_at=None, duplicate_of_id=None, version_id=1,
    )
    row.update(d.to_columns())
    return row


def _near(net: Any, depot: Any, rng: np.random.Generator) -> tuple[float, float]:
    """A network node within a few kilometres of the depot: where an idle crew finished its last job."""
    node = int(net.snap([depot.lon], [depot.lat])[0][0])
    near = np.flatnonzero((np.abs(net.lon - net.lon[node]) < 0.03) & (np.abs(net.lat - net.lat[node]) < 0.03))
    pick = int(near[int(rng.integers(len(near)))]) if len(near) else node
    return float(net.lon[pick]), float(net.lat[pick])


def _active_order(net: Any, crew: Any, depot: Any, ticket: dict, status: WorkOrderStatus, now: datetime,
                  rng: np.random.Generator) -> tuple[dict, tuple[float, float]]:
    """The crew's work order on ``ticket`` at ``status``, and where the crew is now."""
    nodes, _ = net.snap([depot.lon, ticket["lon"]], [depot.lat, ticket["lat"]])
    path = net.path(int(nodes[0]), int(nodes[1]))
    m = lambda a, b: timedelta(minutes=float(rng.uniform(a, b)))  # noqa: E731
    received = ticket["received_at"]
    dispatched = min(now - m(1, 4), received + m(1, 10))
    dispatched = max(dispatched, received + timedelta(seconds=30))
    acknowledged = departed = arrived = None
    position = (depot.lon, depot.lat)
    if status in (WorkOrderStatus.ACKNOWLEDGED, WorkOrderStatus.EN_ROUTE, WorkOrderStatus.ON_SITE):
        acknowledged = dispatched + (now - dispatched) / 4
    if status in (WorkOrderStatus.EN_ROUTE, WorkOrderStatus.ON_SITE):
        departed = acknowledged + (now - acknowledged) / 3
    if status is WorkOrderStatus.EN_ROUTE and len(path) > 1:
        node = int(path[int(len(path) * float(rng.uniform(0.3, 0.7)))])
        position = (float(net.lon[node]), float(net.lat[node]))
    if status is WorkOrderStatus.ON_SITE:
        arrived = departed + (now - departed) / 2
        position = (ticket["lon"], ticket["lat"])
    order = {"ticket_id": ticket["id"], "crew_id": crew.id, "status": status, "recommended_crew_id": crew.id,
             "recommendation": None, "override_reason": None, "auto_dispatched": False,
             "pre_alerted_at": None, "dispatched_at": dispatched, "dispatched_by_id": None,
             "acknowledged_at": acknowledged, "departed_at": departed, "arrived_at": arrived,
             "completed_at": None, "cancelled_at": None, "cancel_reason": None, "escalated_at": None,
             "eta_seconds_at_dispatch": 900, "version_id": 1, "queue_rank": None, "current_since": dispatched}
    return order, position


def _sync_sequences(conn: Connection) -> None:
    """PostgreSQL: move each id sequence past the ids inserted explicitly by the history copy."""
    for model in (*HISTORY_TABLES, AuditEvent, Alert, Crew, CrewMember):
        name = model.__tablename__
        conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                             f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"))
