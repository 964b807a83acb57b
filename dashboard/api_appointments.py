"""``/api/v1/appointments/slots`` and ``/api/v1/tickets/{id}/appointment``: class-3 booking (R6.4).

Thin routes: the slots are graded by :func:`ops.reads.appointment_slots.slot_grades` (the hotline
page reads the same), and moving a booked slot is :func:`ops.services.appointments.reschedule_appointment`
in one unit of work. Query parameters and bodies are checked against :mod:`dashboard.api_models`
first, so a 422 names every bad field.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue

from dashboard.api import api, performs, read_body
from dashboard.api_models import AppointmentIn, SlotsQuery, parse_query
from dashboard.api_tickets import ticket_json
from dashboard.context import context
from ops import unit_of_work
from ops.reads.appointment_slots import GradedSlot, slot_grades
from ops.services.appointments import reschedule_appointment


def _minutes(seconds: int | None) -> int | None:
    return None if seconds is None else int(seconds // 60)


def slot_json(s: GradedSlot) -> dict[str, Any]:
    return {"start": s.start.isoformat(), "end": s.end.isoformat(), "grade": s.grade.value, "crew_id": s.crew_id,
            "crew_code": s.crew_code, "extra_drive_minutes": _minutes(s.extra_drive_s),
            "slack_minutes": _minutes(s.slack_s), "arrival": s.arrival.isoformat() if s.arrival else None}


@api.get("/appointments/slots")
@performs("appointment.read")
def appointment_slots_route() -> ResponseReturnValue:
    """The next days' appointment slots for a class-3 job at a place, each graded (R6.4)."""
    query = parse_query(SlotsQuery, request.args)
    ctx = context()
    with ctx.read_session() as db:
        offer = slot_grades(db, ctx.service_area.network, lon=query.lon, lat=query.lat, symptom=query.symptom.value,
                            now=ctx.clock(), day=query.date)
    return jsonify({"service_minutes": offer.service_minutes, "required_skill": offer.required_skill,
                    "unplaced": offer.unplaced, "slots": [slot_json(s) for s in offer.slots]})


@api.post("/tickets/<int:ticket_id>/appointment")
@performs("ticket.reschedule")
def reschedule_route(ticket_id: int) -> ResponseReturnValue:
    """Move a booked class-3 appointment to another offered slot, with the customer's agreement."""
    body = read_body(AppointmentIn)
    ctx = context()

    def move(db: Any) -> dict[str, Any]:
        ticket = reschedule_appointment(db, g.identity.actor, ticket_id, body.slot_start, ctx.clock(),
                                        reason=body.reason, force=body.force, network=ctx.service_area.network)
        return ticket_json(ticket)

    return jsonify(unit_of_work.run(ctx.sessions, move))
