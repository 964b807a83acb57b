"""``GET /api/v1/openapi.json``: the API described from the routes that are actually registered.

The list of paths comes from Flask's URL map, not from a hand-kept list, so a new route cannot be
missing from the description; the hand-written part below only adds summaries and schemas, and a
route without one is still listed with its docstring.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from dashboard.api import MAX_BODY_BYTES, PREFIX, api
from dashboard.api_tickets import API_CHANNELS, REQUIRED
from ops.permissions import SCOPES
from ops.vocabulary import Judgement, Symptom

_ANSWER = {"type": ["boolean", "null"], "description": "true = yes, false = no, null = unknown (worst case, R5.3)"}
_TIME = {"type": "string", "format": "date-time", "description": "ISO 8601 with its UTC offset"}
_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}

SCHEMAS: dict[str, Any] = {
    "Error": _ERROR,
    "ValidationError": {
        "type": "object", "required": ["error", "fields"],
        "properties": {"error": {"type": "string"},
                       "fields": {"type": "object", "additionalProperties": {"type": "string"},
                                  "description": "every offending field name, with what is wrong with it"}},
    },
    "TicketIn": {
        "type": "object", "additionalProperties": False,
        "required": list(REQUIRED),
        "properties": {
            "channel": {"enum": list(API_CHANNELS)},
            "reporter_name": {"type": "string", "maxLength": 200},
            "phone": {"type": "string", "maxLength": 40},
            "customer_number": {"type": ["string", "null"], "description": "optional for a non-customer"},
            "address": {"type": "string", "maxLength": 500},
            "door_no": {"type": ["string", "null"]},
            "location": {"type": ["object", "null"], "required": ["lat", "lon"],
                         "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
                         "description": "the point of the fault (map click, GPS): used unless the customer's "
                                        "premises are known, before any street named in the address; a point "
                                        "outside the service area is refused (422)"},
            "symptom": {"enum": [s.value for s in Symptom]},
            "started_at": _TIME,
            "duration_minutes": {"type": ["integer", "null"], "minimum": 0},
            "odour": _ANSWER, "noise": _ANSWER, "people_on_site": _ANSWER, "ventilated": _ANSWER,
            "valve_closed": _ANSWER,
            "description": {"type": ["string", "null"]},
            "urgency": {"enum": [j.value for j in Judgement], "default": Judgement.GENERAL.value},
            "special_requests": {"type": ["string", "null"]},
            "appointment": {"type": ["object", "null"], "required": ["start", "end"],
                            "properties": {"start": _TIME, "end": _TIME},
                            "description": "required when the ticket is class 3 (R6.4)"},
            "major_leak": {"type": "boolean", "default": False,
                           "description": "adds the fire and police calls to the safety guidance (R6.2)"},
        },
    },
    "Ticket": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "ticket_no": {"type": "string"}, "status": {"type": "string"},
            "class": {"enum": [1, 2, 3]}, "proposed_class": {"enum": [1, 2, 3]},
            "rule_version": {"type": "string"}, "channel": {"type": "string"}, "symptom": {"type": "string"},
            "received_at": _TIME, "address": {"type": "string"},
            "location": {"type": "object", "properties": {
                "lon": {"type": "number"}, "lat": {"type": "number"},
                "approximate": {"type": "boolean", "description": "placed on the typed street only"}}},
            "deadlines": {"type": "object", "additionalProperties": _TIME,
                          "description": "depart_by, dispatch_by, onsite_target, onsite_limit, slot_start, slot_end"},
            "classification_reasons": {"type": "array", "items": {"type": "object", "properties": {
                "code": {"type": "string"}, "message": {"type": "string"}, "rule": {"type": "string"}}}},
            "safety_guidance": {"type": "array", "description": "class 1 only: show it to the reporter now (R6.2)",
                                "items": {"type": "object", "properties": {
                                    "code": {"type": "string"}, "text": {"type": "string"}}}},
            "callback_task": {"type": ["object", "null"]},
            "possible_duplicates": {"type": "array", "items": {"type": "object"}},
        },
    },
}


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _responses(**codes: tuple[str, str | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code, (description, schema) in codes.items():
        out[code.lstrip("_")] = {"description": description, **({"content": _json(schema)} if schema else {})}
    return out


#: Summaries and schemas by view function name; every registered route is listed even without one.
OPERATIONS: dict[str, dict[str, Any]] = {
    "me": {"summary": "Whom the token acts as (any valid token)"},
    "open_tickets_route": {"summary": "Open tickets with their next deadline, most urgent first"},
    "create_ticket_route": {
        "summary": "File a report; it is classified (R6.5) and gets its deadlines (R6)",
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string",
                        "maxLength": 200}, "description": "a retry with the same key returns the same ticket"}],
        "requestBody": {"required": True, "content": _json("TicketIn")},
        "responses": _responses(
            _201=("created", "Ticket"),
            _200=("a retry with an Idempotency-Key already used for this report: the same ticket "
                  "(header Idempotent-Replayed: true)", "Ticket"),
            _409=("the Idempotency-Key was used for a different report", "ValidationError"),
            _413=(f"body larger than {MAX_BODY_BYTES} bytes", "Error"),
            _422=("invalid report: every offending field is named", "ValidationError"),
        ),
    },
    "ticket_status_route": {
        "summary": "One ticket: status, class, deadlines, reasons",
        "responses": _responses(_200=("the ticket", "Ticket"), _404=("no such ticket", "Error")),
    },
    "report_position": {"summary": "A crew device's GPS ping (the token is bound to its crew)"},
    "openapi": {"summary": "This description"},
}

_CONVERTER = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def describe() -> dict[str, Any]:
    """The OpenAPI 3.1 document for every ``/api/v1`` route of the running app."""
    scope_for = {action: scope for scope, action in SCOPES.items()}
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        view = current_app.view_functions[rule.endpoint]
        name = rule.endpoint.rsplit(".", 1)[-1]
        path = _CONVERTER.sub(r"{\1}", rule.rule[len(PREFIX):])
        params = [{"name": p, "in": "path", "required": True,
                   "schema": {"type": "integer" if f"<int:{p}>" in rule.rule else "string"}}
                  for p in _CONVERTER.findall(rule.rule)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op = {"operationId": name, "summary": (view.__doc__ or name).strip().splitlines()[0],
                  "responses": _responses(_200=("ok", None), _401=("missing or invalid token", "Error"),
                                          _403=("the token or its user may not do this", "Error"))}
            op.update({k: v for k, v in OPERATIONS.get(name, {}).items() if k != "responses"})
            op["responses"] = {**op["responses"], **OPERATIONS.get(name, {}).get("responses", {})}
            action = getattr(view, "action", None)
            if action:
                op["x-action"] = action
                op["x-scope"] = scope_for.get(action)
            if params:
                op["parameters"] = [*params, *op.get("parameters", [])]
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Gas Dispatch API", "version": "1"},
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
    }


@api.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The API description (any valid token)."""
    return jsonify(describe())
