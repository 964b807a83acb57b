"""The REST API for machine clients (app and WeChat channels, crew devices), under ``/api/v1``.

Every request under the prefix is authenticated before routing, so an anonymous call gets 401 even
on a route that does not exist yet, and a route cannot forget the check. A token acts as the user it
belongs to (the actor in the audit trail) and never with more rights than that user has now: each
route names the action it performs, and the token must carry a scope for it *and* its user must be
allowed it (``ops.services.tokens.TokenIdentity.allowed``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from dashboard.context import context

PREFIX = "/api/v1"
MAX_BODY_BYTES = 64 * 1024  # on the API only: Dash's own callback requests can be much larger

api = Blueprint("api_v1", __name__, url_prefix=PREFIX)


def error(status: int, message: str, **extra: Any) -> Response:
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


def register(server: Flask) -> None:
    server.before_request(_authenticate)
    server.register_blueprint(api)

    @server.errorhandler(404)
    def _not_found(exc) -> ResponseReturnValue:
        if request.path.startswith(PREFIX):
            return error(404, "no such endpoint")
        return exc

    @server.errorhandler(413)
    def _too_large(exc) -> ResponseReturnValue:
        if request.path.startswith(PREFIX):
            return error(413, f"request body larger than {MAX_BODY_BYTES} bytes")
        return exc


def _authenticate() -> ResponseReturnValue | None:
    path = request.path
    if not (path == PREFIX or path.startswith(PREFIX + "/")):
        return None
    from ops.db import transaction
    from ops.services.tokens import authenticate_token, touch_token

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
    if request.blueprint != api.name:
        return error(404, "no such endpoint")  # Dash's catch-all page route would answer otherwise
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return error(413, f"request body larger than {MAX_BODY_BYTES} bytes")
    # A body without Content-Length (chunked) is cut off at the limit while it is read: 413 again.
    request.max_content_length = MAX_BODY_BYTES
    return None


def _unauthorized(message: str) -> Response:
    response = error(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="gas-dispatch"'
    return response


def performs(action: str) -> Callable:
    """Mark a route with the action it performs; 403 unless the token and its user both allow it."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if not g.identity.allowed(action):
                return error(403, "the token or its user may not do this", action=action)
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


def body_field(body: dict, name: str, kind: type | tuple[type, ...]) -> Any:
    """A required JSON field of the right type, or a ValueError naming it."""
    if name not in body:
        raise ValueError(f"{name}: required")
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, kind):  # JSON true is not a coordinate
        raise ValueError(f"{name}: wrong type")
    return value


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
    from ops.board import open_tickets

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
    from datetime import datetime

    import sqlalchemy as sa

    from dashboard.errors import api_error
    from ops.db import transaction
    from ops.errors import ServiceError
    from ops.models import Crew
    from ops.services.crews import record_position

    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(400, "body: a JSON object is required")
    try:
        lon = float(body_field(body, "lon", (int, float)))
        lat = float(body_field(body, "lat", (int, float)))
        at_text = body.get("at")
        at = datetime.fromisoformat(at_text) if isinstance(at_text, str) else None
        if at is not None and at.tzinfo is None:
            raise ValueError("at: must include a UTC offset")
    except ValueError as exc:
        return error(400, str(exc))
    ctx = context()
    try:
        with transaction(ctx.sessions) as db:
            crew = db.scalar(sa.select(Crew).where(Crew.code == code))
            if crew is None and code.isdigit():  # the crew's id works too (issue 6: /crews/{id}/positions)
                crew = db.get(Crew, int(code))
            if crew is None:
                return error(404, f"crew {code!r} not found")
            if g.identity.crew_id != crew.id:
                return error(403, "this token is not bound to this crew")
            record_position(db, g.identity.actor, crew, lon, lat, at or ctx.clock(), source="api")
    except ServiceError as exc:
        return api_error(exc)  # the transaction rolled back: nothing was saved
    return jsonify({"crew": code, "lon": lon, "lat": lat}), 201


# The routes in their own modules register on ``api`` when imported; they import it from here.
from dashboard import api_docs, api_orders, api_tickets  # noqa: E402, F401
