"""``/api/v1/tickets``: filing a report from the app, WeChat or a partner system, and reading its status.

The route is thin on purpose: it turns JSON into an ``ops.services.intake.ReportIn``, calls
``create_ticket`` once inside a transaction, and renders the result. Everything the regulation asks
(classification, deadlines, R6.2 guidance and call-back task, audit) happens in the service, the
same one the hotline page calls. Types are checked here, before the service, so that a 422 can name
every wrong or missing field at once; the service then names what only it can judge (an unknown
customer, a place outside the service area, a class-3 report without an appointment).

Idempotency: a client that sends ``Idempotency-Key`` and retries (a timeout, a flaky mobile network)
gets the ticket of its first request back with **200** and ``Idempotent-Replayed: true`` instead of
the **201** of the first response; the key is per token user, and reusing it for a different report
is a **409**.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue

from dashboard.api import api, error, json_body, performs
from dashboard.context import context
from dashboard.errors import api_error
from ops import unit_of_work
from ops.errors import ServiceError
from ops.rules import Deadlines
from ops.services.intake import create_ticket, replay_idempotent
from ops.vocabulary import Channel, Judgement, Symptom

#: Channel values as the API spells them (the app channel is ``web_app`` inside).
API_CHANNELS = {"hotline": Channel.HOTLINE, "app": Channel.WEB_APP, "wechat": Channel.WECHAT,
                "counter": Channel.COUNTER}
CHANNEL_NAMES = {v: k for k, v in API_CHANNELS.items()}
ANSWER_FIELDS = ("odour", "noise", "people_on_site", "ventilated", "valve_closed")
#: Required keys. The five yes/no questions must be present (R5.2: always asked, R5.3) but may be
#: ``null`` for "unknown", which classifies as the worst case.
REQUIRED = ("channel", "reporter_name", "phone", "address", "symptom", "started_at", *ANSWER_FIELDS)
TEXT_FIELDS = ("reporter_name", "phone", "address")
OPTIONAL_TEXT = ("customer_number", "door_no", "description", "special_requests")
KNOWN = frozenset({*REQUIRED, *OPTIONAL_TEXT, "location", "duration_minutes", "urgency", "appointment",
                   "major_leak"})
IDEMPOTENCY_HEADER = "Idempotency-Key"


def _time(value: Any, name: str, problems: dict[str, str]) -> datetime | None:
    if not isinstance(value, str):
        problems[name] = "wrong type: an ISO 8601 time with its UTC offset is required"
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        problems[name] = "not an ISO 8601 time"
        return None
    if parsed.tzinfo is None:
        problems[name] = "must include a UTC offset, e.g. 2026-11-26T15:00:00-03:00"
        return None
    return parsed


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_report(body: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """``(ReportIn, {})`` or ``(None, {field: problem})`` with every missing or mistyped field."""
    from ops.services.intake import ReportIn

    problems: dict[str, str] = {}
    for name in sorted(set(body) - KNOWN):
        problems[name] = "unknown field"
    for name in REQUIRED:
        if name not in body:
            problems[name] = "required"
    for name in TEXT_FIELDS:
        if name in body and not isinstance(body[name], str):
            problems[name] = "wrong type: text is required"
    for name in OPTIONAL_TEXT:
        if body.get(name) is not None and not isinstance(body[name], str):
            problems[name] = "wrong type: text or null is required"
    channel = body.get("channel")
    if "channel" in body and channel not in API_CHANNELS:
        problems["channel"] = f"must be one of {', '.join(API_CHANNELS)}"
    symptom = body.get("symptom")
    if "symptom" in body and symptom not in {s.value for s in Symptom}:
        problems["symptom"] = f"must be one of {', '.join(s.value for s in Symptom)}"
    urgency = body.get("urgency", Judgement.GENERAL.value)
    if urgency not in {j.value for j in Judgement}:
        problems["urgency"] = "must be emergency or general"
    for name in ANSWER_FIELDS:
        if name in body and body[name] is not None and not isinstance(body[name], bool):
            problems[name] = "wrong type: true, false or null (unknown) is required"
    started_at = _time(body["started_at"], "started_at", problems) if "started_at" in body else None
    duration = body.get("duration_minutes")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)):
        problems["duration_minutes"] = "wrong type: a whole number of minutes is required"
    lon = lat = None
    location = body.get("location")
    if location is not None:
        if not isinstance(location, dict) or not _number(location.get("lon")) or not _number(location.get("lat")):
            problems["location"] = 'wrong type: {"lat": number, "lon": number} is required'
        else:
            lon, lat = float(location["lon"]), float(location["lat"])
    start = end = None
    appointment = body.get("appointment")
    if appointment is not None:
        if not isinstance(appointment, dict) or set(appointment) != {"start", "end"}:
            problems["appointment"] = 'wrong type: {"start": time, "end": time} is required'
        else:
            start = _time(appointment["start"], "appointment", problems)
            end = _time(appointment["end"], "appointment", problems)
    major_leak = body.get("major_leak", False)
    if not isinstance(major_leak, bool):
        problems["major_leak"] = "wrong type: true or false is required"
    if problems:
        return None, problems
    report = ReportIn(
        channel=API_CHANNELS[channel], reporter_name=body["reporter_name"], phone=body["phone"],
        address=body["address"], symptom=symptom, started_at=started_at,  # type: ignore[arg-type]
        customer_number=body.get("customer_number"), door_no=body.get("door_no"), lon=lon, lat=lat,
        duration_minutes=duration, description=body.get("description"), urgency=urgency,
        special_requests=body.get("special_requests"), appointment_start=start, appointment_end=end,
        major_leak=major_leak, **{name: body[name] for name in ANSWER_FIELDS},
    )
    return report, {}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_json(ticket: Any, *, callback_task: Any = None, duplicates: tuple = ()) -> dict[str, Any]:
    """The ticket as the API shows it; reasons and guidance are the English source texts (msgids)."""
    from ops.services.intake import ticket_reasons, ticket_safety_script

    return {
        "id": ticket.id,
        "ticket_no": ticket.ticket_no,
        "status": ticket.status.value,
        "class": int(ticket.ticket_class),
        "proposed_class": int(ticket.proposed_class),
        "rule_version": ticket.rule_version,
        "channel": CHANNEL_NAMES[ticket.channel],
        "symptom": ticket.symptom.value,
        "received_at": _iso(ticket.received_at),
        "address": ticket.address,
        "location": {"lon": ticket.lon, "lat": ticket.lat, "approximate": ticket.location_approximate},
        "deadlines": {label: _iso(at) for label, at in Deadlines.from_ticket(ticket).items()},
        "classification_reasons": [{"code": r.code, "message": r.message, "rule": r.rule_id}
                                   for r in ticket_reasons(ticket)],
        "safety_guidance": [{"code": s.code, "text": s.render()} for s in ticket_safety_script(ticket)],
        "callback_task": None if callback_task is None else {
            "id": callback_task.id, "due_at": _iso(callback_task.due_at), "status": callback_task.status.value},
        "possible_duplicates": [{"id": h.ticket.id, "ticket_no": h.ticket.ticket_no,
                                 "distance_m": round(h.distance_m, 1)} for h in duplicates],
    }


def _result_json(result: Any) -> dict[str, Any]:
    return ticket_json(result.ticket, callback_task=result.callback_task, duplicates=result.possible_duplicates)


def _invalid(problems: dict[str, str]) -> ResponseReturnValue:
    return error(422, "invalid report: see fields", fields=problems)


@api.post("/tickets")
@performs("ticket.create")
def create_ticket_route() -> ResponseReturnValue:
    """File a report (R4.1 app, WeChat, counter or a hotline partner): 201 with the classified ticket."""
    body = json_body()
    if not isinstance(body, dict):
        return error(400, "body: a JSON object is required")
    report, problems = parse_report(body)
    if problems:
        return _invalid(problems)
    key = request.headers.get(IDEMPOTENCY_HEADER)
    ctx = context()
    actor = g.identity.actor

    def file(db: Any) -> tuple[Any, dict[str, Any]]:
        result = create_ticket(db, actor, report, now=ctx.clock(), locator=ctx.locator, idempotency_key=key)
        return result, _result_json(result)

    def replay(db: Any) -> tuple[Any, dict[str, Any]] | None:
        # A concurrent retry with the same key won the race; its ticket is the answer.
        result = replay_idempotent(db, actor, key, report) if key is not None else None
        return None if result is None else (result, _result_json(result))

    try:
        result, payload = unit_of_work.run(ctx.sessions, file, replay=replay)
    except ServiceError as exc:
        return api_error(exc)  # the transaction rolled back: nothing was saved
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
    import sqlalchemy as sa

    from ops.models import IntakeCallbackTask, Ticket

    ctx = context()
    with ctx.read_session() as db:
        ticket = db.get(Ticket, ticket_id)
        if ticket is None:
            return error(404, f"ticket {ticket_id} not found")
        task = db.scalar(sa.select(IntakeCallbackTask).where(IntakeCallbackTask.ticket_id == ticket_id)
                         .order_by(IntakeCallbackTask.id.desc()))
        return jsonify(ticket_json(ticket, callback_task=task))
