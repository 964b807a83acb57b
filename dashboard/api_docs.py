"""``GET /api/v1/openapi.json``: the API described from its routes and the models that validate them.

Three sources, each saying one thing once: Flask's URL map says which paths and methods exist (so a
new route cannot be missing from the document), :mod:`dashboard.api_models` says what each body holds
(the same models validate the requests), and :data:`ROUTES` below adds what neither knows: the
summary, which model a route takes, and which answers it gives. A route without an entry is still
listed, with the answers every route can give.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from werkzeug.routing import Rule

from dashboard import api_models as m
from dashboard import api_models_coverage as mc
from dashboard.api import MAX_BODY_BYTES, PREFIX, api
from ops.permissions import SCOPES

REF = "#/components/schemas/{model}"
_CONVERTER = re.compile(r"<(?:([a-z_]+)(?:\([^)]*\))?:)?([a-z_]+)>")

#: A response: its description and the model of its JSON body (``None``: no body worth describing).
Answer = tuple[str, type[BaseModel] | dict[str, Any] | None]


@dataclass(frozen=True)
class Operation:
    """What the URL map does not know about one route."""

    summary: str
    request: type[BaseModel] | None = None
    body_required: bool = True
    responses: Mapping[int, Answer] = field(default_factory=dict)
    parameters: tuple[dict[str, Any], ...] = ()
    deprecated: bool = False


_STEP_ANSWERS: Mapping[int, Answer] = {
    200: ("the work order", m.WorkOrderOut),
    404: ("no such work order", m.ErrorOut),
    409: ("an illegal step (status) or a stale version", m.ErrorOut),
}
_RECOMMENDATIONS = ("the ranked crews, stored; recommendation_id is what /dispatch needs", m.RecommendationsOut)

def _query_parameters(model: type[BaseModel]) -> tuple[dict[str, Any], ...]:
    """A query model's fields as OpenAPI parameters (all optional: each has a default)."""
    return tuple({"name": name, "in": "query", "required": False, "schema": schema}
                 for name, schema in model.model_json_schema(ref_template=REF)["properties"].items())


#: By (method, path as documented). Paths name what the route does, not how its view is called, so an
#: entry survives a view's rename, and a route added in another branch is described once it lands.
ROUTES: Mapping[tuple[str, str], Operation] = {
    ("get", "/me"): Operation("Whom the token acts as (any valid token)", responses={200: ("the token", m.MeOut)}),
    ("get", "/openapi.json"): Operation("This description (any valid token)",
                                        responses={200: ("OpenAPI 3.1", {"type": "object"})}),
    ("get", "/tickets"): Operation("Open tickets with their next deadline, most urgent first",
                                   responses={200: ("the open tickets", m.TicketListOut)}),
    ("post", "/tickets"): Operation(
        "File a report; it is classified (R6.5) and gets its deadlines (R6)", m.TicketIn,
        parameters=({"name": "Idempotency-Key", "in": "header", "required": False,
                     "schema": {"type": "string", "minLength": 1, "maxLength": m.IDEMPOTENCY_KEY_MAX,
                                "pattern": m.NOT_BLANK},
                     "description": "a retry with the same key returns the same ticket"},),
        responses={
            201: ("created", m.TicketOut),
            200: ("a retry with an Idempotency-Key already used for this report: the same ticket "
                  "(header Idempotent-Replayed: true)", m.TicketOut),
            409: ("the Idempotency-Key was used for a different report", m.ErrorOut),
            422: ("invalid report: every offending field is named, including what only the service can judge "
                  "(an unknown customer, a place outside the service area, a class-3 report without its slot)",
                  m.ErrorOut),
        }),
    ("get", "/tickets/{ticket_id}"): Operation(
        "One ticket: status, class, deadlines, reasons",
        responses={200: ("the ticket", m.TicketOut), 404: ("no such ticket", m.ErrorOut)}),
    ("post", "/tickets/{ticket_id}/class"): Operation(
        "Change a saved ticket's class with a reason (R6.5); lowering class 1 needs a supervisor", m.ClassChangeIn,
        responses={200: ("the ticket with its new class and deadlines", m.TicketOut),
                   404: ("no such ticket", m.ErrorOut),
                   409: ("the ticket already has this class, or is closed", m.ErrorOut),
                   422: ("no reason, a lowering the role may not make (class 1 needs a supervisor), or class 3 "
                         "without an appointment slot when the ticket has none", m.ErrorOut)}),
    ("get", "/tickets/{ticket_id}/recommendations"): Operation(
        "Deprecated, kept for existing clients: POST to the same path computes and stores one (R13.1)",
        deprecated=True,
        parameters=({"name": "k", "in": "query", "required": False,
                     "schema": m.RecommendIn.model_json_schema()["properties"]["k"]},),
        responses={200: _RECOMMENDATIONS, 404: ("no such ticket", m.ErrorOut),
                   422: ("k is not a whole number from 1 to the most crews ranked", m.ErrorOut)}),
    ("post", "/tickets/{ticket_id}/recommendations"): Operation(
        "Compute and store the top-k crews for a ticket (R13.1)", m.RecommendIn, body_required=False,
        responses={201: _RECOMMENDATIONS, 404: ("no such ticket", m.ErrorOut)}),
    ("post", "/tickets/{ticket_id}/dispatch"): Operation(
        "Confirm a crew for a ticket (R7.1)", m.DispatchIn,
        responses={201: ("the new work order", m.WorkOrderOut),
                   404: ("no such ticket, crew or recommendation", m.ErrorOut),
                   409: ("the ticket already has a crew, the crew is busy or off shift, or a concurrent "
                         "dispatch won", m.ErrorOut),
                   422: ("invalid body, or a crew other than the top recommendation without override_reason",
                         m.ErrorOut)}),
    ("post", "/workorders/{order_id}/ack"): Operation(
        "The crew acknowledges the order (R7.2)", m.StepIn, body_required=False, responses=_STEP_ANSWERS),
    ("post", "/workorders/{order_id}/depart"): Operation(
        "The crew departs for the site", m.StepIn, body_required=False, responses=_STEP_ANSWERS),
    ("post", "/workorders/{order_id}/arrive"): Operation(
        "The crew is on site (R8.2)", m.StepIn, body_required=False, responses=_STEP_ANSWERS),
    ("post", "/workorders/{order_id}/readings"): Operation(
        "A gas detector reading on site (R8.3)", m.ReadingIn,
        responses={**_STEP_ANSWERS, 201: ("the reading is recorded: the work order", m.WorkOrderOut)}),
    ("post", "/workorders/{order_id}/complete"): Operation(
        "File the repair record and complete the order (R9.1)", m.RepairIn,
        responses={**_STEP_ANSWERS, 422: ("invalid record, or a class 1 without its reading (gas_reading, R8.3)",
                                          m.ErrorOut)}),
    ("post", "/workorders/{order_id}/not-fixed"): Operation(
        "Close the visit as not fixed; the ticket is re-queued", m.NotFixedIn, responses=_STEP_ANSWERS),
    ("post", "/workorders/{order_id}/cancel"): Operation(
        "Withdraw the crew (dispatcher or supervisor, with a reason)", m.ReasonIn, responses=_STEP_ANSWERS),
    ("post", "/workorders/{order_id}/reassign"): Operation(
        "Move the order to another crew, with a reason (R7.3)", m.ReassignIn,
        responses={**_STEP_ANSWERS, 201: ("the new work order", m.WorkOrderOut),
                   404: ("no such work order, crew or recommendation", m.ErrorOut)}),
    ("get", "/appointments/slots"): Operation(
        "The next days' appointment slots for a class-3 job, each graded by what it costs the plan (R6.4)",
        parameters=tuple({"name": name, "in": "query", "required": name in ("lat", "lon", "symptom"), "schema": schema}
                         for name, schema in m.SlotsQuery.model_json_schema(ref_template=REF)["properties"].items()),
        responses={200: ("the graded slots", m.SlotsOut),
                   422: ("a missing or invalid parameter, a point outside the service area, or a date that "
                         "is not offered: every offending parameter is named", m.ErrorOut)}),
    ("post", "/tickets/{ticket_id}/appointment"): Operation(
        "Move a booked class-3 appointment to another offered slot, with the customer's agreement (R6.4)",
        m.AppointmentIn,
        responses={200: ("the ticket with its new slot", m.TicketOut), 404: ("no such ticket", m.ErrorOut),
                   409: ("not a class-3 ticket, a crew has set off, or someone changed the ticket at the same "
                         "time", m.ErrorOut),
                   422: ("a slot that is not offered or is over, or one no crew can keep without force "
                         "(supervisors only)", m.ErrorOut)}),
    ("post", "/workorders/{order_id}/move"): Operation(
        "Move a confirmed order: another place in its crew's queue, another crew, or back to unassigned "
        "(crew_id null), with a reason where the rules ask for one (R7.6)", m.MoveIn,
        responses={200: ("moved; the plan in force is retimed", m.MoveOut),
                   404: ("no such work order or crew", m.ErrorOut),
                   409: ("a crew on site is never pulled off its job, a stale version, or no queue to go back "
                         "into", m.ErrorOut),
                   422: ("invalid body, or no reason where the rules ask for one", m.ErrorOut)}),
    ("get", "/crews"): Operation("Every active crew: status, position, shift, current order and queue",
                                 responses={200: ("the crews", m.CrewListOut)}),
    ("get", "/crews/{crew_id}/schedule"): Operation(
        "One crew's timeline: its orders in order, then the plan's proposals, with planned start, ETA and end",
        responses={200: ("the crew's schedule", m.ScheduleOut),
                   404: ("no such crew", m.ErrorOut)}),
    ("post", "/crews/{crew_id}/standby"): Operation(
        "Ask an idle crew to wait at a position (the coverage page's suggestion); any order clears it", m.StandbyIn,
        responses={200: ("the crew's standby position", m.StandbyOut), 404: ("no such crew", m.ErrorOut),
                   409: ("the crew holds an order, current or queued", m.ErrorOut),
                   422: ("invalid body, a point outside the service area, or a crew no longer active",
                         m.ErrorOut)}),
    ("post", "/crews/{crew_id}/standby/clear"): Operation(
        "Withdraw a crew's standby position", m.StandbyClearIn, body_required=False,
        responses={200: ("the crew, without a standby position", m.StandbyOut), 404: ("no such crew", m.ErrorOut),
                   422: ("invalid body or a crew no longer active", m.ErrorOut)}),
    ("get", "/coverage"): Operation(
        "Drive time from the nearest crew per H3 hexagon (live or planned), the shares of population and "
        "customers within the threshold, the 90th-percentile time, MEXCLP's expected coverage and the what-if",
        parameters=_query_parameters(mc.CoverageQuery),
        responses={200: ("the coverage report; hexes as a GeoJSON FeatureCollection", mc.CoverageOut),
                   422: ("a bad parameter (minutes, mode, scope, shift, weekday, hour, resolution) or an unknown "
                         "crew or depot: every offending parameter is named", m.ErrorOut)}),
    ("get", "/coverage/demand"): Operation(
        "Class-1 and class-2 tickets per hexagon over a period, and the risk hexes (class-1 demand where "
        "coverage is poor) with their tickets",
        parameters=_query_parameters(mc.DemandQuery),
        responses={200: ("demand and risk hexes", mc.DemandOut),
                   422: ("a bad parameter or period: every offending parameter is named", m.ErrorOut)}),
    ("get", "/coverage/positions"): Operation(
        "Where the idle crews should wait (MCLP, or MEXCLP with the fitted busy fraction) to cover most "
        "within the threshold; busy crews stay where they are and still count; the coverage standing still "
        "against after the moves",
        parameters=_query_parameters(mc.PositionsQuery),
        responses={200: ("the suggested moves and the coverage gained", mc.PositionsOut),
                   422: ("a bad parameter (minutes, mode, scope, shift, weekday, hour, resolution, crews, model), "
                         "an unknown crew or depot, or more crews than are idle: every offending parameter is named",
                         m.ErrorOut)}),
    ("post", "/crews/{code}/positions"): Operation(
        "A crew device's GPS ping (the token is bound to its crew)", m.PositionIn,
        responses={201: ("the ping is recorded", m.PositionOut), 404: ("no such crew", m.ErrorOut)}),
}


def _path_parameter(converter: str | None, name: str) -> dict[str, Any]:
    if converter == "int":
        schema: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": m.ID_MAX}
    else:
        schema = {"type": "string", "minLength": 1, "pattern": r"^[^/\x00]+$"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _content(schema: type[BaseModel] | dict[str, Any]) -> dict[str, Any]:
    if isinstance(schema, dict):
        return {"application/json": {"schema": schema}}
    return {"application/json": {"schema": {"$ref": REF.format(model=schema.__name__)}}}


def _operation(rule: Rule, method: str, path: str, view: Any) -> dict[str, Any]:
    described = ROUTES.get((method, path))
    action = getattr(view, "action", None)
    params = _CONVERTER.findall(rule.rule)
    answers: dict[int, Answer] = {401: ("missing, invalid, revoked or expired token", m.ErrorOut)}
    if action:
        answers[403] = ("the token or its user may not do this", m.ErrorOut)
    if params:
        answers[404] = ("nothing has this id", m.ErrorOut)
    if described and described.request:
        answers[400] = ("the body is not a JSON object", m.ErrorOut)
        answers[413] = (f"body larger than {MAX_BODY_BYTES} bytes", m.ErrorOut)
        answers[422] = ("invalid body: every offending field is named", m.ErrorOut)
    if described:
        answers.update(described.responses)
    else:
        answers[200] = ("ok", None)
    op: dict[str, Any] = {
        "operationId": rule.endpoint.rsplit(".", 1)[-1],
        "summary": described.summary if described else (view.__doc__ or rule.endpoint).strip().splitlines()[0],
        "responses": {str(status): {"description": text, **({"content": _content(schema)} if schema else {})}
                      for status, (text, schema) in sorted(answers.items())},
    }
    if action:
        op["x-action"] = action
        op["x-scope"] = {a: s for s, a in SCOPES.items()}.get(action)
    parameters = [_path_parameter(converter or None, name) for converter, name in params]
    parameters += list(described.parameters) if described else []
    if parameters:
        op["parameters"] = parameters
    if described and described.request:
        op["requestBody"] = {"required": described.body_required, "content": _content(described.request)}
    if described and described.deprecated:
        op["deprecated"] = True
    return op


def schemas() -> dict[str, Any]:
    """``components.schemas``: every model and the models and enums they use, referenced by name."""
    models = (*m.MODELS.values(), *mc.MODELS.values())
    _, top = models_json_schema([(model, "validation") for model in models], ref_template=REF)
    return top["$defs"]


def describe() -> dict[str, Any]:
    """The OpenAPI 3.1 document for every ``/api/v1`` route of the running app."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = _CONVERTER.sub(r"{\2}", rule.rule[len(PREFIX):])
        view = current_app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, method.lower(), path, view)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Gas Dispatch API", "version": "1"},
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas()},
    }


@api.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The API description (any valid token)."""
    cache = current_app.extensions.setdefault("gasdispatch.openapi", {})  # routes do not change while serving
    if "document" not in cache:
        cache["document"] = describe()
    return jsonify(cache["document"])
