"""``/api/v1/tickets``: filing a report from the app, WeChat or a partner system, and reading its status.

The route is thin on purpose: it turns JSON into an ``ops.services.intake.ReportIn``, calls
``create_ticket`` once inside a transaction, and renders the result. Everything the regulation asks
(classification, deadlines, R6.2 guidance and call-back task, audit) happens in the service, the
same one the hotline page calls. The body is checked against :class:`dashboard.api_models.TicketIn`
first (the model that openapi.json documents), so that a 422 names every wrong or missing field at
once; the service then names what only it can judge (an unknown customer, a place outside the
service area, a class-3 report without an appointment).

Idempotency: a client that sends ``Idempotency-Key`` and retries (a timeout, a flaky mobile network)
gets the ticket of its first request back with **200** and ``Idempotent-Replayed: true`` instead of
the **201** of the first response; the key is per token user, and reusing it for a different report
is a **409**.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, jsonify, request
from flask.typing import ResponseReturnValue

from dashboard.api import api, iso, performs, read_body
from dashboard.api_models import ClassChangeIn, TicketIn
from dashboard.context import context
from ops import unit_of_work
from ops.errors import NotFoundError
from ops.models import IntakeCallbackTask, Ticket
from ops.reads.emergency_contact import emergency_contact
from ops.rules import Deadlines
from ops.services.intake import (
    ReportIn,
    change_class,
    create_ticket,
    replay_idempotent,
    ticket_reasons,
    ticket_safety_script,
)
from ops.vocabulary import Channel

#: Channel values as the API spells them (the app channel is ``web_app`` inside).
API_CHANNELS = {"hotline": Channel.HOTLINE, "app": Channel.WEB_APP, "wechat": Channel.WECHAT,
                "counter": Channel.COUNTER}
CHANNEL_NAMES = {v: k for k, v in API_CHANNELS.items()}
ANSWER_FIELDS = ("odour", "noise", "people_on_site", "ventilated", "valve_closed")
#: Required keys (from the model). The five yes/no questions must be present (R5.2: always asked,
#: R5.3) but may be ``null`` for "unknown", which classifies as the worst case.
REQUIRED = tuple(name for name, field in TicketIn.model_fields.items() if field.is_required())
IDEMPOTENCY_HEADER = "Idempotency-Key"


def report_of(data: TicketIn) -> ReportIn:
    """The service's report from the validated body; the service still judges what needs the database."""
    location, slot = data.location, data.appointment
    return ReportIn(
        channel=API_CHANNELS[data.channel], reporter_name=data.reporter_name, phone=data.phone,
        address=data.address, symptom=data.symptom, started_at=data.started_at,
        customer_number=data.customer_number, door_no=data.door_no,
        lon=location.lon if location else None, lat=location.lat if location else None,
        duration_minutes=data.duration_minutes, description=data.description, urgency=data.urgency,
        special_requests=data.special_requests, appointment_start=slot.start if slot else None,
        appointment_end=slot.end if slot else None, appointment_forced=data.appointment_force,
        appointment_reason=data.appointment_reason, major_leak=data.major_leak,
        **{name: getattr(data, name) for name in ANSWER_FIELDS},
    )


def ticket_json(ticket: Any, *, callback_task: Any = None, duplicates: tuple = ()) -> dict[str, Any]:
    """The ticket as the API shows it; reasons and guidance are the English source texts (msgids)."""
    contact = emergency_contact(ticket.customer)  # R4.2: shown on every ticket of the customer
    return {
        "id": ticket.id,
        "ticket_no": ticket.ticket_no,
        "status": ticket.status.value,
        "class": int(ticket.ticket_class),
        "proposed_class": int(ticket.proposed_class),
        "rule_version": ticket.rule_version,
        "channel": CHANNEL_NAMES[ticket.channel],
        "symptom": ticket.symptom.value,
        "received_at": iso(ticket.received_at),
        "address": ticket.address,
        "location": {"lon": ticket.lon, "lat": ticket.lat, "approximate": ticket.location_approximate},
        "deadlines": {label: iso(at) for label, at in Deadlines.from_ticket(ticket).items()},
        "classification_reasons": [{"code": r.code, "message": r.message, "rule": r.rule_id}
                                   for r in ticket_reasons(ticket)],
        "safety_guidance": [{"code": s.code, "text": s.render()} for s in ticket_safety_script(ticket)],
        "callback_task": None if callback_task is None else {
            "id": callback_task.id, "due_at": iso(callback_task.due_at), "status": callback_task.status.value},
        "possible_duplicates": [{"id": h.ticket.id, "ticket_no": h.ticket.ticket_no,
                                 "distance_m": round(h.distance_m, 1)} for h in duplicates],
        "emergency_contact": None if contact is None else contact.to_json(),
    }


def _result_json(result: Any) -> dict[str, Any]:
    return ticket_json(result.ticket, callback_task=result.callback_task, duplicates=result.possible_duplicates)


@api.post("/tickets")
@performs("ticket.create")
def create_ticket_route() -> ResponseReturnValue:
    """File a report (R4.1 app, WeChat, counter or a hotline partner): 201 with the classified ticket."""
    report = report_of(read_body(TicketIn))
    key = request.headers.get(IDEMPOTENCY_HEADER)
    ctx = context()
    actor = g.identity.actor

    def file(db: Any) -> tuple[Any, dict[str, Any]]:
        result = create_ticket(db, actor, report, now=ctx.clock(), locator=ctx.locator, idempotency_key=key,
                               network=ctx.service_area.network)
        return result, _result_json(result)

    def replay(db: Any) -> tuple[Any, dict[str, Any]] | None:
        # A concurrent retry with the same key won the race; its ticket is the answer.
        result = replay_idempotent(db, actor, key, report) if key is not None else None
        return None if result is None else (result, _result_json(result))

    # A refusal propagates to dashboard.api._refused after the transaction rolled back: nothing was saved.
    result, payload = unit_of_work.run(ctx.sessions, file, replay=replay)
    response = jsonify(payload)
    response.status_code = 200 if result.replayed else 201
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"{api.url_prefix}/tickets/{payload['id']}"
    return response


@api.get("/tickets/<int:ticket_id>")
@performs("ticket.read")
def ticket_status_route(ticket_id: int) -> ResponseReturnValue:
    """One ticket's status, class and deadlines, e.g. for the app to show the reporter."""
    ctx = context()
    with ctx.read_session() as db:
        ticket = db.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFoundError("ticket.not_found", "ticket_id")
        task = db.scalar(sa.select(IntakeCallbackTask).where(IntakeCallbackTask.ticket_id == ticket_id)
                         .order_by(IntakeCallbackTask.id.desc()))
        return jsonify(ticket_json(ticket, callback_task=task))


@api.post("/tickets/<int:ticket_id>/class")
@performs("ticket.change_class")
def change_class_route(ticket_id: int) -> ResponseReturnValue:
    """Change a saved ticket's class (R6.5): the deadlines are recomputed from the report's time."""
    body = read_body(ClassChangeIn)
    slot = body.appointment
    ctx = context()
    payload = unit_of_work.run(ctx.sessions, lambda db: ticket_json(change_class(
        db, g.identity.actor, ticket_id, body.class_, body.reason, ctx.clock(),
        appointment_start=slot.start if slot else None, appointment_end=slot.end if slot else None,
        network=ctx.service_area.network, force_slot=body.appointment_force)))
    return jsonify(payload)
