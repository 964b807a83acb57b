"""The login and logout routes: plain HTML forms, so signing in needs no JavaScript.

A successful login throws away whatever session the browser arrived with and starts a fresh one
holding only the new server-side token (no session fixation). Forms carry a per-session CSRF token.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlparse

from flask import Flask, redirect, render_template_string, request, session
from flask.typing import ResponseReturnValue

from dashboard.components.common import ATTRIBUTION
from dashboard.context import context
from dashboard.i18n import LANGUAGE_COOKIE, LANGUAGES, _, current_language
from dashboard.security import SESSION_TOKEN_KEY, current_actor, landing_page
from ops.db import transaction
from ops.permissions import Actor
from ops.services.auth import InvalidCredentials, LoginThrottled, login_and_commit
from ops.services.auth import logout as logout_service

CSRF_KEY = "gd_csrf"
ONE_YEAR = 365 * 24 * 3600

LOGIN_TEMPLATE = """<!doctype html>
<html lang="{{ lang }}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{ title }}</title>
  <link rel="stylesheet" href="/assets/bootstrap.min.css">
</head>
<body class="bg-light">
  <main class="container" style="max-width: 420px; margin-top: 10vh">
    <h1 class="h3 mb-3">{{ title }}</h1>
    {% if message %}<div class="alert alert-{{ level }}" role="alert" id="login-message">{{ message }}</div>{% endif %}
    <form method="post" action="/login" id="login-form" class="card card-body shadow-sm">
      <input type="hidden" name="csrf" value="{{ csrf }}">
      <input type="hidden" name="next" value="{{ next }}">
      <label class="form-label" for="username">{{ username_label }}</label>
      <input class="form-control mb-3" id="username" name="username" autocomplete="username"
             value="{{ username }}" required autofocus>
      <label class="form-label" for="password">{{ password_label }}</label>
      <input class="form-control mb-3" id="password" name="password" type="password"
             autocomplete="current-password" required>
      <button class="btn btn-primary" type="submit" id="login-button">{{ submit_label }}</button>
    </form>
    <p class="mt-3 small">
      {% for code, name in languages %}<a class="me-3" href="/lang/{{ code }}">{{ name }}</a>{% endfor %}
    </p>
    <p class="text-muted small">{{ attribution }}</p>
  </main>
</body>
</html>"""


def register(server: Flask) -> None:
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["POST"])


def csrf_token() -> str:
    """The session's CSRF token for HTML forms (created on first use)."""
    token = session.get(CSRF_KEY)
    if not token:
        token = session[CSRF_KEY] = secrets.token_urlsafe(24)
    return token


def _safe_next(value: str | None) -> str:
    """Only ever continue to a path on this site (no open redirect)."""
    parsed = urlparse(value or "/")
    if parsed.scheme or parsed.netloc or not (parsed.path or "").startswith("/") or parsed.path.startswith("//"):
        return "/"
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


def _continue_to(value: str | None, actor: Actor) -> str:
    """Where a logged-in user goes from the login page: the page they asked for, or their landing page.

    The index is what the form asks for when nobody named a page; not every role may view it.
    """
    target = _safe_next(value)
    return landing_page(actor) if target == "/" else target


def _render(message: str = "", level: str = "danger", status: int = 200, username: str = "") -> ResponseReturnValue:
    body = render_template_string(
        LOGIN_TEMPLATE,
        lang=current_language(context().settings.default_language),
        title=_("Gas Dispatch"), message=message, level=level, csrf=csrf_token(),
        next=_safe_next(request.values.get("next")), username=username,
        username_label=_("User name"), password_label=_("Password"), submit_label=_("Log in"),
        languages=list(LANGUAGES.items()), attribution=ATTRIBUTION,
    )
    return body, status


def login() -> ResponseReturnValue:
    if request.method == "GET":
        actor = current_actor()
        if actor is not None:
            return redirect(_continue_to(request.args.get("next"), actor))
        return _render()
    username = (request.form.get("username") or "").strip()
    if not secrets.compare_digest(request.form.get("csrf", ""), session.get(CSRF_KEY, "") or "-"):
        return _render(_("Your form expired. Please try again."), status=400, username=username)
    ctx = context()
    try:
        # Failed attempts must be kept even though the login fails: they drive the throttle and
        # the audit trail, so the service commits them itself.
        result = login_and_commit(
            ctx.sessions, username, request.form.get("password", ""),
            ip=request.remote_addr or "", user_agent=request.user_agent.string[:200], now=ctx.clock(),
        )
    except LoginThrottled as exc:
        seconds = int(getattr(exc, "retry_after_seconds", 60) or 60)
        return _render(_("Too many failed attempts. Try again in {n} seconds.").format(n=seconds),
                       status=429, username=username)
    except InvalidCredentials:
        return _render(_("Wrong user name or password."), status=401, username=username)
    # A fresh session: nothing the browser brought before logging in survives (session fixation).
    session.clear()
    session[SESSION_TOKEN_KEY] = result.raw_token
    # Minted now rather than on first use: the page's parallel requests would otherwise race to
    # write it into the (client-side) session cookie, and the loser's logout form would not match.
    session[CSRF_KEY] = secrets.token_urlsafe(24)
    session.permanent = True
    response = redirect(_continue_to(request.form.get("next"), result.actor))
    language = getattr(result.user, "language", None)
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=ONE_YEAR, samesite="Lax", httponly=True,
                            secure=ctx.settings.secure_cookies)
    return response


def logout() -> ResponseReturnValue:
    if not secrets.compare_digest(request.form.get("csrf", ""), session.get(CSRF_KEY, "") or "-"):
        return redirect("/")
    raw = session.get(SESSION_TOKEN_KEY)
    if raw:
        ctx = context()
        with transaction(ctx.sessions) as db:
            logout_service(db, raw, now=ctx.clock())
    session.clear()
    return redirect("/login")
