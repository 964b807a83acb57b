"""Who is using the dashboard, and what they may do: checked on the server for every request.

Hiding a button is not security. Every Dash callback is registered with the action it performs
(:func:`secured_callback`), and one ``before_request`` hook looks up the action of the callback a
``/_dash-update-component`` request targets and answers 403 before Dash runs anything when the
user may not perform it. A callback registered without an action is refused for everyone (fail
closed). The ops services check again (``ops.permissions.require``), so a hole here would still not
let a change through.

People are identified by a server-side session (``ops.services.auth``): the signed Flask cookie only
carries a random token whose hash is looked up in ``user_sessions``, so logging out, disabling a user
or changing a password ends the session on the server, not just in one browser.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import dash
from flask import Flask, Response, g, jsonify, redirect, request, session
from flask.typing import ResponseReturnValue

from dashboard.components.common import forbidden
from dashboard.context import context
from ops.db import transaction
from ops.permissions import Actor, allowed
from ops.services.auth import is_stale, resolve_session, touch_session

SESSION_TOKEN_KEY = "gd_session_token"
LAST_SEEN_KEY = "gd_last_seen"

#: Paths anyone may fetch: the login page, health, static bundles and the language switch.
PUBLIC_PREFIXES = ("/login", "/healthz", "/lang/", "/assets/", "/_dash-component-suites/",
                   "/_favicon.ico", "/favicon.ico")

#: Dash's own page-routing callbacks render whichever page the URL names; the page layout itself
#: checks the page's action (see :func:`page_layout`), so any logged-in user may run them.
ANY_USER = "account.self"

ACTION_ATTRIBUTE = "_gd_action"

#: WSGI environ key of the app's own start-up request (no HTTP header can set an environ key
#: without the ``HTTP_`` prefix, so a client cannot forge it).
WARM_UP_ENVIRON = "gasdispatch.warm_up"


def secured_callback(action: str, *args: Any, **kwargs: Any) -> Callable:
    """``dash.callback`` that records the action the callback performs, for the request guard.

    Every other argument goes to ``dash.callback`` as given: the positional ``Output, Input, State``
    form, or the named one (``output=dict(...), inputs=dict(...), state=dict(...)``) where the
    function takes keyword arguments and returns a dict. The guard looks actions up by the output
    key Dash derives from either form (:func:`callback_actions`), so both are guarded alike.
    """

    def decorator(function: Callable) -> Callable:
        setattr(function, ACTION_ATTRIBUTE, action)  # Dash's functools.wraps copies it along
        return dash.callback(*args, **kwargs)(function)

    return decorator


def callback_actions(app: dash.Dash) -> dict[str, str | None]:
    """The action of every registered callback, by the output key Dash's requests carry."""
    actions: dict[str, str | None] = {}
    for key, entry in app.callback_map.items():
        action = getattr(entry.get("callback"), ACTION_ATTRIBUTE, None)
        if action is None and key.startswith(".._pages_content."):
            action = ANY_USER
        actions[key] = action
    return actions


def current_actor() -> Actor | None:
    return getattr(g, "actor", None)


def current_user_name() -> str:
    user = getattr(g, "user", None)
    return user.display_name or user.username if user else ""


def may(action: str) -> bool:
    actor = current_actor()
    return actor is not None and allowed(actor, action)


def navigable_pages(actor: Actor | None) -> list[dict[str, Any]]:
    """The registered pages ``actor`` may open, in the navbar's order (ties by module, to be stable).

    Pages without an ``order`` are not in the navbar and are left out.
    """
    if actor is None:
        return []
    pages = [page for page in dash.page_registry.values()
             if page.get("order") is not None and allowed(actor, page.get("action", ""))]
    return sorted(pages, key=lambda page: (page["order"], page["module"]))


def landing_page(actor: Actor | None) -> str:
    """Where ``actor`` starts: the first page of their navbar, never a page that would refuse them.

    The one place that decides it, for the login redirect, for ``/`` and for the brand link, so a
    crew member starts on their crew page and a role with no operational page yet on "My account".
    """
    pages = navigable_pages(actor)
    return pages[0]["relative_path"] if pages else "/login"


def page_layout(action: str) -> Callable[[Callable], Callable]:
    """Guard a page's layout: a user without the page's action gets a refusal, never the page."""

    def decorator(layout: Callable) -> Callable:
        def guarded(**kwargs: Any):
            if not may(action):
                return forbidden()
            return layout(**kwargs)

        guarded.__doc__ = layout.__doc__
        return guarded

    return decorator


def install(server: Flask, app: dash.Dash) -> None:
    """Register the request guard; call after the app's callbacks exist."""
    actions: dict[str, str | None] = {}

    def guard() -> ResponseReturnValue | None:
        path = request.path
        g.user = g.actor = None
        if request.environ.get(WARM_UP_ENVIRON) and path == "/":
            return None  # the index page itself holds no data; see dashboard.app._warm_up
        if path.startswith("/api/"):
            return None  # the API authenticates with tokens (dashboard.api)
        public = path.startswith(PUBLIC_PREFIXES)
        if public and not path.startswith(("/login", "/lang/")):
            return None  # static files and health: no database round trip
        _load_user(context())
        if public:
            return None
        if current_actor() is None:
            return _unauthenticated(path)
        if path == "/_dash-update-component":
            return _check_callback(actions)
        if path == "/" and request.method == "GET":
            landing = landing_page(current_actor())
            if landing != "/":  # the index is a page this user may not view
                return redirect(landing)
        return None

    @server.before_request
    def _guard() -> ResponseReturnValue | None:
        # Dash moves its callbacks into app.callback_map on the first request (its own
        # before_request hook runs before this one), so the table is read then, once.
        if not actions:
            actions.update(callback_actions(app))
        return guard()


def _load_user(ctx) -> None:
    """Attach the session's user and actor to ``g`` (or nothing, for an anonymous request).

    This runs on every request, so it reads in a read-only session (no SQLite write lock) and
    records "last seen" in a short write transaction only about once a minute per browser.
    """
    raw = session.get(SESSION_TOKEN_KEY)
    if not raw:
        return
    now = ctx.clock()
    with ctx.read_session() as db:
        resolved = resolve_session(db, raw, now=now, touch=False)
        if resolved is not None:
            user, actor = resolved
            db.expunge(user)  # used after the session closes (display name, language)
    if resolved is None:
        session.pop(SESSION_TOKEN_KEY, None)
        return
    g.user, g.actor = user, actor
    seen = session.get(LAST_SEEN_KEY)
    if is_stale(datetime.fromtimestamp(seen, UTC) if seen is not None else None, now):
        with transaction(ctx.sessions) as db:
            touch_session(db, raw, now=now)
        session[LAST_SEEN_KEY] = now.timestamp()


def _unauthenticated(path: str) -> ResponseReturnValue:
    if path.startswith("/_dash-") or request.method != "GET":
        response = jsonify({"error": "authentication required"})
        response.status_code = 401
        return response
    return redirect(f"/login?next={path}")


def _check_callback(actions: dict[str, str | None]) -> Response | None:
    body = request.get_json(silent=True) or {}
    output = body.get("output")
    action = actions.get(output) if isinstance(output, str) else None
    actor = current_actor()
    if action is None or actor is None or not allowed(actor, action):
        response = jsonify({"error": "forbidden", "action": action})
        response.status_code = 403
        return response
    return None
