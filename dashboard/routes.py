"""Plain Flask routes beside the Dash pages: health, base-map layers and the language switch."""

from __future__ import annotations

import json
from urllib.parse import urlparse

from flask import Flask, Response, jsonify, redirect, request

from dashboard.context import context
from dashboard.i18n import LANGUAGE_COOKIE, LANGUAGES
from dashboard.security import current_actor
from ops.db import check_database, transaction
from ops.services import accounts

ONE_YEAR = 365 * 24 * 3600


def register(server: Flask) -> None:
    server.add_url_rule("/healthz", "healthz", healthz)
    server.add_url_rule("/geo/<layer>.geojson", "geo_layer", geo_layer)
    server.add_url_rule("/lang/<code>", "set_language", set_language)


def healthz() -> tuple[Response, int]:
    """200 when every dependency answers, 503 otherwise; each dependency says what it saw."""
    ctx = context()
    db_ok, db_detail = check_database(ctx.settings.sqlalchemy_url)
    checks = {"database": {"ok": db_ok, "detail": db_detail}}
    try:
        area = ctx.service_area
        checks["network_cache"] = {
            "ok": area.cache_path is not None and area.cache_path.exists(),
            "detail": f"{area.name}: {area.network.n_nodes} nodes, {area.network.n_arcs} arcs",
            "path": str(area.cache_path) if area.cache_path else None,
        }
    except Exception as exc:  # a health check reports, it never raises
        checks["network_cache"] = {"ok": False, "detail": str(exc)}
    healthy = all(c["ok"] for c in checks.values())
    return jsonify({"status": "ok" if healthy else "unavailable", **checks}), 200 if healthy else 503


def geo_layer(layer: str) -> Response:
    """The base map's GeoJSON, served once and cached by the browser instead of riding in every figure."""
    area = context().service_area
    layers = {"roads": area.roads, "districts": area.districts}
    if layer not in layers:
        return Response(status=404)
    response = Response(json.dumps(layers[layer], separators=(",", ":")), mimetype="application/geo+json")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def set_language(code: str) -> Response:
    """Remember the chosen language and go back to the page the user was on."""
    back = request.referrer or "/"
    parsed = urlparse(back)
    # Only ever redirect within this site.
    target = (parsed.path or "/") if parsed.netloc in ("", request.host) else "/"
    response = redirect(target)
    if code in LANGUAGES:
        ctx = context()
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=ONE_YEAR, samesite="Lax", httponly=True,
                            secure=ctx.settings.secure_cookies)
        _remember_language(ctx, code)
    return response


def _remember_language(ctx, code: str) -> None:
    """A logged-in user's choice follows them to other browsers (kept on their account)."""
    actor = current_actor()
    if actor is None or actor.user_id is None:
        return
    with transaction(ctx.sessions) as db:
        accounts.set_language(db, actor, actor.user_id, code, now=ctx.clock())
