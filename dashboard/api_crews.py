"""``/api/v1`` routes of the schedule board: the crews with their queues, one crew's timeline, and
moving a confirmed order (to another place in its crew's queue, another crew, or back to unassigned);
and a crew's standby position (where the office asks an idle crew to wait).

Thin, like ``api_orders``: the read models are :mod:`ops.reads.schedule`, the move is one service call
run as a unit of work; afterwards the plan in force is retimed so that the next read of the board
shows every crew's new ETAs.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify
from flask.typing import ResponseReturnValue

from dashboard.api import api, iso, performs, read_body
from dashboard.api_models import MoveIn, StandbyClearIn, StandbyIn
from dashboard.api_orders import order_json
from dashboard.context import context
from ops import unit_of_work
from ops.errors import NotFoundError
from ops.models import Crew
from ops.reads.crew_queue import QueueEntry
from ops.reads.schedule import Bar, CrewRoster, crew_roster, schedule_board
from ops.scheduler import retime
from ops.services.queue import move_order
from ops.services.standby import clear_standby, send_standby, standby_state


def _entry(e: QueueEntry) -> dict[str, Any]:
    return {"order_id": e.order_id, "ticket_id": e.ticket_id, "ticket_no": e.ticket_no,
            "ticket_class": e.ticket_class, "status": e.status, "position": e.position, "address": e.address,
            "window_start": iso(e.window_start), "window_end": iso(e.window_end), "deadline": iso(e.deadline),
            "version": e.version}


def _crew(c: CrewRoster) -> dict[str, Any]:
    return {"id": c.id, "code": c.code, "name": c.name, "status": c.status,
            "position": {"lon": c.lon, "lat": c.lat} if c.lon is not None and c.lat is not None else None,
            "position_at": iso(c.position_at), "shift_start": iso(c.shift_start), "shift_end": iso(c.shift_end),
            "current_order": _entry(c.current) if c.current is not None else None,
            "queue": [_entry(e) for e in c.queue]}


def _bar(b: Bar) -> dict[str, Any]:
    return {"kind": b.kind, "order_id": b.order_id, "ticket_id": b.ticket_id, "ticket_no": b.ticket_no,
            "ticket_class": b.ticket_class, "status": b.status, "position": b.position, "address": b.address,
            "planned_start": iso(b.depart), "eta": iso(b.eta), "work_start": iso(b.start), "end": iso(b.end),
            "deadline": iso(b.deadline), "deadline_name": b.deadline_label, "window_start": iso(b.window_start),
            "window_end": iso(b.window_end), "late": b.late, "planned": b.planned}


@api.get("/crews")
@performs("board.view")
def crews_route() -> ResponseReturnValue:
    """Every active crew: status, position, shift, current order and queue."""
    ctx = context()
    with ctx.read_session() as db:
        return jsonify({"crews": [_crew(c) for c in crew_roster(db, ctx.clock())]})


@api.get("/crews/<int:crew_id>/schedule")
@performs("board.view")
def crew_schedule_route(crew_id: int) -> ResponseReturnValue:
    """One crew's timeline: its orders in order, then the plan's proposals, with start, ETA and end."""
    ctx = context()
    with ctx.read_session() as db:
        board = schedule_board(db, ctx.clock(), [crew_id])
    if not board.crews:
        raise NotFoundError("crew.not_found", "crew_id")
    row = board.crews[0]
    return jsonify({"crew_id": row.crew_id, "code": row.code, "status": row.status,
                    "shift_start": iso(row.shift_start), "shift_end": iso(row.shift_end),
                    "plan_at": iso(board.plan_at), "orders": [_bar(b) for b in row.bars]})


@api.post("/workorders/<int:order_id>/move")
@performs("dispatch.confirm")
def order_move_route(order_id: int) -> ResponseReturnValue:
    """Move a confirmed order: another place in its crew's queue, another crew, or (crew_id null) back
    to unassigned, with a reason where the rules ask for one (R7.6); the plan in force is retimed."""
    body = read_body(MoveIn)
    ctx = context()
    now = ctx.clock()

    def run(db: Any) -> dict[str, Any]:
        order = move_order(db, g.identity.actor, order_id, now, crew_id=body.crew_id, position=body.position,
                           reason=body.reason, version=body.version)
        return {"order": order_json(order) if order is not None else None}

    payload = unit_of_work.run(ctx.sessions, run)
    retime(ctx.sessions, now, ctx.service_area.network)
    return jsonify(payload)


def _standby(crew: Crew) -> dict[str, Any]:
    state = standby_state(crew)
    return {"crew_id": crew.id, "standby": None if state is None else {**state, "since": iso(state["since"])}}


@api.post("/crews/<int:crew_id>/standby")
@performs("crew.standby")
def crew_standby_route(crew_id: int) -> ResponseReturnValue:
    """Ask a crew to wait at a position inside the service area, replacing any standby it had."""
    body = read_body(StandbyIn)
    ctx = context()

    def run(db: Any) -> dict[str, Any]:
        crew = send_standby(db, g.identity.actor, crew_id, body.lon, body.lat, note=body.note, now=ctx.clock(),
                            locator=ctx.locator)
        return _standby(crew)

    return jsonify(unit_of_work.run(ctx.sessions, run))


@api.post("/crews/<int:crew_id>/standby/clear")
@performs("crew.standby")
def crew_standby_clear_route(crew_id: int) -> ResponseReturnValue:
    """Withdraw a crew's standby position (a no-op, not audited, when it has none)."""
    body = read_body(StandbyClearIn, optional=True)
    ctx = context()

    def run(db: Any) -> dict[str, Any]:
        return _standby(clear_standby(db, g.identity.actor, crew_id, now=ctx.clock(), note=body.note))

    return jsonify(unit_of_work.run(ctx.sessions, run))
