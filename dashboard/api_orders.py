"""``/api/v1`` routes of the dispatch loop: recommendations, confirming a dispatch, and each work-order step.

Thin on purpose, like ``api_tickets``: parse and type-check the JSON (a 422 names every wrong field),
call one ``ops.services.work_orders`` function inside a transaction, render the order. The service
decides the rest. Status codes: 404 no such ticket/order; 409 an illegal step (``status``), a stale
``version`` or a double dispatch refused by the database; 403 a role, scope or crew that may not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dashboard.api import api, error, json_body, performs
from dashboard.context import context
from dashboard.errors import api_error
from ops import unit_of_work
from ops.errors import ServiceError
from ops.recommendations import StoredRecommendation


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def order_json(order: Any) -> dict[str, Any]:
    """A work order as the API shows it (the crew page and the dispatch board read the same fields)."""
    shown = StoredRecommendation.from_payload(order.recommendation) if order.recommendation else None
    return {
        "id": order.id, "ticket_id": order.ticket_id, "crew_id": order.crew_id, "status": order.status.value,
        "version": order.version_id, "recommended_crew_id": order.recommended_crew_id,
        "recommendation_id": shown.recommendation_id if shown else None,
        "decision": shown.decision if shown else None, "override_reason": order.override_reason,
        "auto_dispatched": order.auto_dispatched, "pre_alerted_at": _iso(order.pre_alerted_at),
        "dispatched_at": _iso(order.dispatched_at), "acknowledged_at": _iso(order.acknowledged_at),
        "departed_at": _iso(order.departed_at), "arrived_at": _iso(order.arrived_at),
        "completed_at": _iso(order.completed_at), "cancelled_at": _iso(order.cancelled_at),
        "cancel_reason": order.cancel_reason, "escalated_at": _iso(order.escalated_at),
        "eta_seconds_at_dispatch": order.eta_seconds_at_dispatch,
    }


def _invalid(problems: dict[str, str]) -> ResponseReturnValue:
    return error(422, "invalid request: see fields", fields=problems)


def _body(known: set[str]) -> tuple[dict[str, Any] | None, ResponseReturnValue | None]:
    body = json_body()
    if body is None and not request.get_data():
        body = {}
    if not isinstance(body, dict):
        return None, error(400, "body: a JSON object is required")
    unknown = {k: "unknown field" for k in sorted(set(body) - known)}
    if unknown:
        return None, _invalid(unknown)
    return body, None


def _int(body: dict, name: str, problems: dict[str, str], *, required: bool = True) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            problems[name] = "required"
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems[name] = "wrong type: an integer is required"
        return None
    return value


def _str(body: dict, name: str, problems: dict[str, str], *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            problems[name] = "required"
        return None
    if not isinstance(value, str):
        problems[name] = "wrong type: text is required"
        return None
    return value


def _time(body: dict, name: str, problems: dict[str, str], *, required: bool = True) -> datetime | None:
    value = body.get(name)
    if value is None:
        if required:
            problems[name] = "required"
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        problems[name] = "an ISO 8601 time with its UTC offset is required"
        return None
    return parsed


def _run(action: str, call: Callable[[Any, Any, datetime], Any], *, created: bool = False) -> ResponseReturnValue:
    """Run one service call as a unit of work and render the order; a refusal becomes its 4xx body."""
    ctx = context()
    try:
        payload = unit_of_work.run(ctx.sessions, lambda db: order_json(call(db, g.identity.actor, ctx.clock())))
    except ServiceError as exc:
        return api_error(exc)
    response = jsonify(payload)
    response.status_code = 201 if created else 200
    return response


# ----------------------------------------------------------------------------- recommendations
class RecommendIn(BaseModel):
    """``POST /tickets/{id}/recommendations``: how many crews to rank (the body may be left out)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    k: int = Field(3, ge=1, le=10, description="how many crews to rank")


@api.post("/tickets/<int:ticket_id>/recommendations")
@performs("dispatch.recommend")
def create_recommendation_route(ticket_id: int) -> ResponseReturnValue:
    """Rank the top-k crews for a ticket now and store the ranking (R7.1, R13.1); /dispatch takes its id."""
    body, failed = _body(set(RecommendIn.model_fields))
    if failed:
        return failed
    try:
        wanted = RecommendIn.model_validate(body)
    except ValidationError as exc:
        return _invalid({".".join(map(str, e["loc"])) or "body": e["msg"] for e in exc.errors()})
    return _recommend(ticket_id, wanted.k, created=True)


@api.get("/tickets/<int:ticket_id>/recommendations")
@performs("dispatch.recommend")
def ticket_recommendations_route(ticket_id: int) -> ResponseReturnValue:
    """Deprecated (use POST): the top-k crews for a ticket now, stored (R13.1) like the POST."""
    k_text = request.args.get("k", "3")
    if not k_text.isdigit() or not 1 <= int(k_text) <= 10:
        return _invalid({"k": "a whole number from 1 to 10"})
    return _recommend(ticket_id, int(k_text), created=False)


def _recommend(ticket_id: int, k: int, *, created: bool) -> ResponseReturnValue:
    from ops.services.dispatching import recommend

    ctx = context()

    def work(db: Any) -> dict[str, Any]:
        rec = recommend(db, g.identity.actor, ticket_id, k, now=ctx.clock(), network=ctx.service_area.network)
        return recommendation_json(rec)

    try:
        body = unit_of_work.run(ctx.sessions, work)
    except ServiceError as exc:
        return api_error(exc)
    response = jsonify(body)
    response.status_code = 201 if created else 200
    return response


#: The keys of an option the API shows (the rest of the stored option is internal: cost, busy).
_OPTION_KEYS = ("rank", "crew_id", "crew_code", "eta", "departure", "slack_s", "displaces", "explanation",
                "cost_delta", "diverted")


def recommendation_json(rec: StoredRecommendation) -> dict[str, Any]:
    """A stored recommendation as the API shows it: the ``recommendation_id`` that ``/dispatch`` needs."""
    return {
        "recommendation_id": rec.recommendation_id, "ticket_id": rec.ticket_id, "created_at": _iso(rec.created_at),
        "used_fallback": rec.used_fallback, "note": rec.note,
        "options": [{key: value for key, value in o.to_json().items() if key in _OPTION_KEYS} for o in rec.options],
    }


@api.post("/tickets/<int:ticket_id>/dispatch")
@performs("dispatch.confirm")
def dispatch_ticket_route(ticket_id: int) -> ResponseReturnValue:
    """Confirm a crew for a ticket (R7.1); a crew other than the top recommendation needs override_reason."""
    from ops.services.work_orders import confirm_dispatch

    body, failed = _body({"recommendation_id", "crew_id", "override_reason"})
    if failed:
        return failed
    problems: dict[str, str] = {}
    rec_id = _int(body, "recommendation_id", problems)
    crew_id = _int(body, "crew_id", problems)
    reason = _str(body, "override_reason", problems, required=False)
    if problems:
        return _invalid(problems)
    return _run("dispatch.confirm", lambda db, actor, now: confirm_dispatch(
        db, actor, ticket_id, crew_id, rec_id, now, override_reason=reason), created=True)


# ----------------------------------------------------------------------------- work-order steps
def _step(action: str, extra: set[str], build: Callable[[dict, dict[str, str]], Callable], *,
          created: bool = False) -> ResponseReturnValue:
    """Parse ``version`` and the route's ``extra`` fields (``build`` checks them), then run the step."""
    body, failed = _body({"version", *extra})
    if failed:
        return failed
    problems: dict[str, str] = {}
    version = _int(body, "version", problems, required=False)
    call = build(body, problems)
    if problems:
        return _invalid(problems)
    return _run(action, lambda db, actor, now: call(db, actor, now, version), created=created)


def _bare_step(action: str, service: Callable, order_id: int) -> ResponseReturnValue:
    """A step whose body holds nothing but the optional ``version``."""
    return _step(action, set(), lambda body, p: lambda db, a, now, v: service(db, a, order_id, now, version=v))


@api.post("/workorders/<int:order_id>/ack")
@performs("order.acknowledge")
def order_ack_route(order_id: int) -> ResponseReturnValue:
    """The crew acknowledges the order (R7.2; a late acknowledgement is recorded as late)."""
    from ops.services.work_orders import acknowledge

    return _bare_step("order.acknowledge", acknowledge, order_id)


@api.post("/workorders/<int:order_id>/depart")
@performs("order.update_status")
def order_depart_route(order_id: int) -> ResponseReturnValue:
    """The crew departs for the site (the R6.1 departure)."""
    from ops.services.work_orders import depart

    return _bare_step("order.update_status", depart, order_id)


@api.post("/workorders/<int:order_id>/arrive")
@performs("order.update_status")
def order_arrive_route(order_id: int) -> ResponseReturnValue:
    """The crew is on site (R8.2)."""
    from ops.services.work_orders import arrive

    return _bare_step("order.update_status", arrive, order_id)


@api.post("/workorders/<int:order_id>/readings")
@performs("repair.file")
def order_reading_route(order_id: int) -> ResponseReturnValue:
    """A gas detector reading on site: ppm and measured_at (R8.3; required before a class-1 completes)."""
    from ops.services.work_orders import record_reading

    def build(body: dict, problems: dict[str, str]) -> Callable | None:
        ppm = body.get("ppm")
        if ppm is None:
            problems["ppm"] = "required"
        elif isinstance(ppm, bool) or not isinstance(ppm, int | float):
            problems["ppm"] = "wrong type: a number is required"
        at = _time(body, "measured_at", problems, required=False)

        def call(db: Any, actor: Any, now: datetime, version: int | None) -> Any:
            record_reading(db, actor, order_id, ppm, at or now, now, version=version)
            from ops.models import WorkOrder

            return db.get(WorkOrder, order_id)

        return call

    return _step("repair.file", {"ppm", "measured_at"}, build, created=True)


_REPAIR_FIELDS = {"cause", "measures", "parts", "result", "customer_name", "customer_confirmed",
                  "customer_confirmed_at", "safety_advice_given", "gas_restored_after_check"}


@api.post("/workorders/<int:order_id>/complete")
@performs("repair.file")
def order_complete_route(order_id: int) -> ResponseReturnValue:
    """File the repair record and complete the order (R9.1; class 1 needs a reading, R8.3)."""
    from ops.services.work_orders import RepairIn, complete

    def build(body: dict, problems: dict[str, str]) -> Callable:
        for name in ("cause", "measures", "customer_name", "result"):
            _str(body, name, problems, required=False)
        for name in ("customer_confirmed", "safety_advice_given", "gas_restored_after_check"):
            if name in body and not isinstance(body[name], bool):
                problems[name] = "wrong type: true or false is required"
        if "parts" in body and not isinstance(body["parts"], list):
            problems["parts"] = "wrong type: a list of {code, qty} is required"
        confirmed_at = _time(body, "customer_confirmed_at", problems, required=False)
        repair = RepairIn(cause=body.get("cause"), measures=body.get("measures"), parts=body.get("parts") or [],
                          result=body.get("result") or "fixed", customer_name=body.get("customer_name"),
                          customer_confirmed=body.get("customer_confirmed") is True,
                          customer_confirmed_at=confirmed_at,
                          safety_advice_given=body.get("safety_advice_given") is True,
                          gas_restored_after_check=body.get("gas_restored_after_check") is True)
        return lambda db, a, now, v: complete(db, a, order_id, repair, now, version=v)

    return _step("repair.file", _REPAIR_FIELDS, build)


@api.post("/workorders/<int:order_id>/not-fixed")
@performs("repair.file")
def order_not_fixed_route(order_id: int) -> ResponseReturnValue:
    """Close the visit as not fixed (follow-up work needed, with a reason); the ticket is re-queued."""
    from ops.services.work_orders import not_fixed

    def build(body: dict, problems: dict[str, str]) -> Callable:
        reason = _str(body, "reason", problems)
        measures = _str(body, "measures", problems, required=False)
        return lambda db, a, now, v: not_fixed(db, a, order_id, reason, now, measures=measures, version=v)

    return _step("repair.file", {"reason", "measures"}, build)


@api.post("/workorders/<int:order_id>/cancel")
@performs("order.update_status")
def order_cancel_route(order_id: int) -> ResponseReturnValue:
    """Withdraw the crew (dispatcher or supervisor, with a reason); the ticket goes back to the queue."""
    from ops.services.work_orders import cancel

    def build(body: dict, problems: dict[str, str]) -> Callable:
        reason = _str(body, "reason", problems)
        return lambda db, a, now, v: cancel(db, a, order_id, reason, now, version=v)

    return _step("order.update_status", {"reason"}, build)


@api.post("/workorders/<int:order_id>/reassign")
@performs("dispatch.confirm")
def order_reassign_route(order_id: int) -> ResponseReturnValue:
    """Move the order to another crew, with a reason (R7.3: the supervisor can still reassign)."""
    from ops.services.work_orders import reassign

    def build(body: dict, problems: dict[str, str]) -> Callable:
        crew_id = _int(body, "crew_id", problems)
        reason = _str(body, "reason", problems)
        rec_id = _int(body, "recommendation_id", problems, required=False)
        return lambda db, a, now, v: reassign(db, a, order_id, crew_id, reason, now, recommendation_id=rec_id,
                                              version=v)

    return _step("dispatch.confirm", {"crew_id", "reason", "recommendation_id"}, build, created=True)


# ----------------------------------------------------------------------------- OpenAPI
def _describe() -> None:
    """Schemas and summaries for /api/v1/openapi.json (the paths themselves come from the URL map)."""
    from dashboard import api_docs

    time = {"type": "string", "format": "date-time", "description": "ISO 8601 with its UTC offset"}
    version = {"type": "integer", "description": "the order's version as last read; a stale one is a 409"}
    reason = {"type": "string", "minLength": 1}
    api_docs.SCHEMAS.update({
        "Recommendations": {"type": "object", "required": ["recommendation_id", "ticket_id", "options"],
                            "properties": {
            "recommendation_id": {"type": "integer", "description": "what POST /tickets/{id}/dispatch needs"},
            "ticket_id": {"type": "integer"}, "created_at": time, "used_fallback": {"type": "boolean"},
            "note": {"type": "string"},
            "options": {"type": "array", "items": {"type": "object", "properties": {
                "rank": {"type": "integer"}, "crew_id": {"type": "integer"}, "crew_code": {"type": "string"},
                "eta": time, "departure": time,
                "slack_s": {"type": "object", "additionalProperties": {"type": "integer"},
                            "description": "seconds to spare per deadline (negative: late), keyed by the "
                                           "deadline's name: depart_by, onsite_target, onsite_limit, slot_end"},
                "displaces": {"type": "array", "items": {"type": "object"}}, "explanation": {"type": "string"},
                "cost_delta": {"type": "integer"}, "diverted": {"type": "boolean"}}}}}},
        "RecommendIn": RecommendIn.model_json_schema(),
        "DispatchIn": {"type": "object", "additionalProperties": False, "required": ["recommendation_id", "crew_id"],
                       "properties": {"recommendation_id": {"type": "integer"}, "crew_id": {"type": "integer"},
                                      "override_reason": {**reason, "description": "required when crew_id is not "
                                                                                   "the top recommendation"}}},
        "WorkOrder": {"type": "object", "properties": {"id": {"type": "integer"}, "status": {"type": "string"},
                                                       "version": {"type": "integer"}}},
        "StepIn": {"type": "object", "additionalProperties": False, "properties": {"version": version}},
        "ReadingIn": {"type": "object", "additionalProperties": False, "required": ["ppm"],
                      "properties": {"ppm": {"type": "number", "minimum": 0}, "measured_at": time, "version": version}},
        "RepairIn": {"type": "object", "additionalProperties": False, "properties": {
            "cause": {"type": "string"}, "measures": {"type": "string"},
            "parts": {"type": "array", "items": {"type": "object", "required": ["code"], "properties": {
                "code": {"type": "string", "description": "from the parts list (ops.parts)"},
                "qty": {"type": "integer", "minimum": 1}}}},
            "result": {"enum": ["fixed", "not_fixed", "needs_follow_up"]}, "customer_name": {"type": "string"},
            "customer_confirmed": {"type": "boolean"}, "customer_confirmed_at": time,
            "safety_advice_given": {"type": "boolean"},
            "gas_restored_after_check": {"type": "boolean", "description": "R8.6: gas restored only after the repair "
                                         "was checked as safe; must be true when result is fixed"},
            "version": version}},
        "ReasonIn": {"type": "object", "additionalProperties": False, "required": ["reason"],
                     "properties": {"reason": reason, "version": version}},
        "ReassignIn": {"type": "object", "additionalProperties": False, "required": ["crew_id", "reason"],
                       "properties": {"crew_id": {"type": "integer"}, "reason": reason,
                                      "recommendation_id": {"type": "integer"}, "version": version}},
    })
    json = api_docs._json
    step = api_docs._responses(
        _200=("the work order", "WorkOrder"), _404=("no such work order", "ValidationError"),
        _409=("an illegal step (status) or a stale version", "ValidationError"),
        _422=("invalid body: every offending field is named", "ValidationError"))
    for name, schema in [("order_ack_route", "StepIn"), ("order_depart_route", "StepIn"),
                         ("order_arrive_route", "StepIn"), ("order_reading_route", "ReadingIn"),
                         ("order_complete_route", "RepairIn"), ("order_not_fixed_route", "ReasonIn"),
                         ("order_cancel_route", "ReasonIn"), ("order_reassign_route", "ReassignIn")]:
        api_docs.OPERATIONS[name] = {"requestBody": {"required": False, "content": json(schema)}, "responses": step}
    api_docs.OPERATIONS["dispatch_ticket_route"] = {
        "requestBody": {"required": True, "content": json("DispatchIn")}, "responses": {**step, **api_docs._responses(
            _201=("the new work order", "WorkOrder"),
            _409=("the ticket already has a crew, or a concurrent dispatch won", "ValidationError"))}}
    api_docs.OPERATIONS["create_recommendation_route"] = {
        "requestBody": {"required": False, "content": json("RecommendIn")},
        "responses": api_docs._responses(_201=("the ranked crews, stored", "Recommendations"),
                                         _404=("no such ticket", "ValidationError"),
                                         _422=("invalid body: every offending field is named", "ValidationError"))}
    api_docs.OPERATIONS["ticket_recommendations_route"] = {
        "deprecated": True,
        "description": "Kept for existing clients; POST to the same path is the documented way.",
        "parameters": [{"name": "k", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3}}],
        "responses": api_docs._responses(_200=("the ranked crews, stored", "Recommendations"),
                                         _404=("no such ticket", "ValidationError"),
                                         _422=("k out of range", "ValidationError"))}


_describe()
