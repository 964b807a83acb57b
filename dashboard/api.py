"""The REST API for machine clients (app and WeChat channels, crew devices), under ``/api/v1``.

Every request under the prefix is authenticated before routing, so an anonymous call gets 401 even
on a route that does not exist yet, and a route cannot forget the check. A token acts as the user it
belongs to (the actor in the audit trail) and never with more rights than that user has now: each
route names the action it performs, and the token must carry a scope for it *and* its user must be
allowed it (``ops.services.tokens.TokenIdentity.allowed``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest, HTTPException

from dashboard.api_models import ID_MAX, PositionIn, parse
from dashboard.context import context
from dashboard.errors import api_error
from ops import unit_of_work
from ops.db import transaction
from ops.errors import ForbiddenError, NotFoundError, ServiceError
from ops.models import Crew
from ops.permissions import PermissionDenied
from ops.reads.open_queue import open_tickets
from ops.services.crews import record_position
from ops.services.tokens import authenticate_token, touch_token

PREFIX = "/api/v1"
MAX_BODY_BYTES = 64 * 1024  # on the API only: Dash's own callback requests can be much larger

api = Blueprint("api_v1", __name__, url_prefix=PREFIX)

M = TypeVar("M", bound=BaseModel)

#: The ``code`` of a refusal made by the HTTP layer rather than a service.
HTTP_CODES = {400: "not_json", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
#: Path ids and what a service would say about an id that names nothing.
_PATH_IDS = {"ticket_id": ("ticket.not_found", "ticket_id"), "order_id": ("order.not_found", "work_order_id"),
             "crew_id": ("crew.not_found", "crew_id")}


def error(status: int, message: str, *, code: str | None = None, fields: dict[str, str] | None = None,
          **extra: Any) -> Response:
    """Every refusal of the API has one shape: ``{"error", "code", "fields"}`` (``fields`` may be empty)."""
    response = jsonify({"error": message, "code": code or HTTP_CODES.get(status, "error"), "fields": fields or {},
                        **extra})
    response.status_code = status
    return response


def register(server: Flask) -> None:
    server.before_request(_authenticate)
    server.register_blueprint(api)

    @server.errorhandler(400)
    @server.errorhandler(404)
    @server.errorhandler(413)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        if not request.path.startswith(PREFIX):
            return exc
        messages = {404: "no such endpoint", 413: f"request body larger than {MAX_BODY_BYTES} bytes"}
        status = exc.code or 400
        return error(status, messages.get(status, exc.description or "bad request"))


def _api_methods(path: str) -> set[str]:
    """The methods the API itself serves at ``path`` (Dash's catch-all page route answers GET everywhere)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    methods = set()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _ = adapter.match(path, method)
        except HTTPException:
            continue
        if endpoint.startswith(api.name + "."):
            methods.add(method)
    return methods | ({"HEAD"} if "GET" in methods else set()) | ({"OPTIONS"} if methods else set())


def _allowed_methods(path: str) -> Response:
    """OPTIONS, or a method the path does not serve (405, 404 for a path the API does not have at all).

    ``Allow`` lists the API's own methods only.
    """
    methods = _api_methods(path)
    if not methods:
        return error(404, "no such endpoint")
    if request.method == "OPTIONS":
        response = Response(status=200)
    else:
        response = error(405, f"{request.method} is not allowed here")
    response.headers["Allow"] = ", ".join(sorted(methods))
    return response


def _authenticate() -> ResponseReturnValue | None:
    path = request.path
    if not (path == PREFIX or path.startswith(PREFIX + "/")):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return _unauthorized("missing bearer token")
    ctx = context()
    now = ctx.clock()
    # Checked read-only on every call; "last used" is written in its own short transaction about
    # once a minute per token, so API traffic does not queue behind (or block) SQLite's writers.
    with ctx.read_session() as db:
        identity = authenticate_token(db, raw.strip(), now=now, touch=False)
    if identity is None:
        return _unauthorized("invalid, revoked or expired token")
    if identity.use_unrecorded(now):
        with transaction(ctx.sessions) as db:
            touch_token(db, identity.token_id, now=now)
    g.identity = identity
    if request.method == "OPTIONS" or request.blueprint != api.name:
        # Not an API route for this method (Dash's catch-all page route would answer a GET otherwise).
        return _allowed_methods(path)
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return error(413, f"request body larger than {MAX_BODY_BYTES} bytes")
    # A body without Content-Length (chunked) is cut off at the limit while it is read: 413 again.
    request.max_content_length = MAX_BODY_BYTES
    return None


@api.before_request
def _ids_in_range() -> ResponseReturnValue | None:
    """An id beyond what the database can hold names nothing: 404, as for any other unknown id."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and value > ID_MAX:
            code, field = _PATH_IDS[name]  # a new id path parameter must say what it names
            return api_error(NotFoundError(code, field))
    return None


@api.errorhandler(ServiceError)
def _refused(exc: ServiceError) -> ResponseReturnValue:
    """A service's refusal anywhere in a route: its 4xx body (the unit of work has rolled back)."""
    return api_error(exc)


def _unauthorized(message: str) -> Response:
    response = error(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="gas-dispatch"'
    return response


def iso(value: datetime | None) -> str | None:
    """A time as the API writes it (ISO 8601 with its offset), or ``None``."""
    return value.isoformat() if value is not None else None


def performs(action: str) -> Callable:
    """Mark a route with the action it performs; 403 unless the token and its user both allow it."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if not g.identity.allowed(action):
                # The refusal a service's own require() would give: one code (permission.denied) either way.
                raise PermissionDenied(g.identity.actor, action)
            return view(*args, **kwargs)

        wrapped.action = action  # type: ignore[attr-defined]
        return wrapped

    return decorator


def json_body() -> Any:
    """The request's JSON, or ``None`` if it is not JSON; a body over the size limit is a 413.

    A body with a Content-Length over the limit is refused before routing. A streamed (chunked) one
    is read through a stream capped at the limit, which werkzeug silently truncates rather than
    refusing; reading one byte more raises its ``RequestEntityTooLarge`` (413) instead, so a client
    never gets "invalid JSON" for what is really an oversized body.
    """
    data = request.get_data(cache=True)
    if request.max_content_length is not None and len(data) >= request.max_content_length:
        request.stream.read(1)
    return request.get_json(silent=True)


def read_body(model: type[M], *, optional: bool = False) -> M:
    """The request's JSON object as ``model``; 400 if it is not a JSON object, else 422 naming every bad field.

    ``optional``: a route whose fields are all optional (a work-order step) also takes an empty body.
    """
    body = json_body()
    raw = request.get_data()
    if body is None and optional and not raw.strip():
        raw = b"{}"
    elif not isinstance(body, dict):
        raise BadRequest("body: a JSON object is required")
    return parse(model, raw)


@api.get("/me")
def me() -> ResponseReturnValue:
    """Any valid token may ask whom it acts as (no action, so no scope needed)."""
    identity = g.identity
    return jsonify({
        "user_id": identity.user_id,
        "actor": identity.actor.label,
        "roles": sorted(r.value for r in identity.actor.roles),
        "scopes": sorted(identity.scopes),
        "crew_id": identity.crew_id,
    })


@api.get("/tickets")
@performs("ticket.read")
def open_tickets_route() -> ResponseReturnValue:
    """Open tickets with their next deadline, most urgent first (the dispatch board's rows)."""
    ctx = context()
    with ctx.read_session() as db:
        rows = open_tickets(db, ctx.clock())
    return jsonify({"tickets": [
        {
            "ticket_no": r.ticket_no, "class": r.ticket_class, "status": r.status, "symptom": r.symptom,
            "address": r.address, "district": r.district, "lon": r.lon, "lat": r.lat,
            "received_at": r.received_at.isoformat(), "crew": r.crew_code,
            "next_deadline": r.deadline_label,
            "next_deadline_at": r.deadline_at.isoformat() if r.deadline_at else None,
            "seconds_left": r.seconds_left,
        }
        for r in rows
    ]})


@api.post("/crews/<code>/positions")
@performs("crew.report_position")
def report_position(code: str) -> ResponseReturnValue:
    """A crew device's GPS ping (crew code or id); a crew token may only report for its own crew."""
    ping = read_body(PositionIn)
    if "\x00" in code:  # no crew code has one, and PostgreSQL cannot even compare it
        raise NotFoundError("crew.not_found", "code")
    ctx = context()

    def report(db: Session) -> None:
        crew = db.scalar(sa.select(Crew).where(Crew.code == code))
        if crew is None and code.isdigit() and int(code) <= ID_MAX:  # the crew's id works too
            crew = db.get(Crew, int(code))
        if crew is None:
            raise NotFoundError("crew.not_found", "code")
        if g.identity.crew_id != crew.id:
            raise ForbiddenError("token.crew_not_bound", "code")
        record_position(db, g.identity.actor, crew, ping.lon, ping.lat, ping.at or ctx.clock(), source="api")

    unit_of_work.run(ctx.sessions, report)
    return jsonify({"crew": code, "lon": ping.lon, "lat": ping.lat}), 201


# The routes in their own modules register on ``api`` when imported; they import it from here.
from dashboard import (  # noqa: E402, F401
    api_appointments,
    api_coverage,
    api_crews,
    api_docs,
    api_orders,
    api_tickets,
)
