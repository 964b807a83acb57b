"""The Dash application factory; ``server`` is the WSGI entry point for gunicorn.

Pages are registered by the factory (``use_pages``), the shell (navbar, language switch,
attribution) is a per-request layout so that it renders in the user's language, and the
non-Dash routes (``/healthz``, the base-map GeoJSON, the language switch) live on the same Flask server.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Dash, dcc, html
from flask import Flask

from dashboard import api, login, routes, security
from dashboard.components.common import ATTRIBUTION
from dashboard.context import AppContext
from dashboard.i18n import LANGUAGES, _, init_i18n
from data.service_area import ServiceArea
from ops.db import make_engine, make_session_factory
from ops.services.auth import production_problems
from ops.settings import Settings, get_settings

PAGES_DIR = Path(__file__).resolve().parent / "pages"


def create_app(settings: Settings | None = None, *, service_area: ServiceArea | None = None) -> Dash:
    """Build the app for ``settings`` (the environment's by default).

    ``service_area`` lets tests hand in a small synthetic network instead of building the real one.
    """
    settings = settings or get_settings()
    refuse_unsafe_production(settings)
    server = Flask(__name__)
    server.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="gd_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    init_i18n(server, settings.default_language, settings.timezone)
    AppContext(settings, service_area).attach(server)
    routes.register(server)
    login.register(server)
    api.register(server)

    app = Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(PAGES_DIR),
        assets_folder=str(settings.assets_dir),
        title="Gas Dispatch",
        update_title=None,
        suppress_callback_exceptions=True,
    )
    app.layout = shell
    security.install(server, app)
    _warm_up(server)
    return app


class UnsafeProductionError(RuntimeError):
    """Production mode with demo secrets; the message lists every problem to fix."""


def refuse_unsafe_production(settings: Settings) -> None:
    """In production (GASDISPATCH_ENV=production), refuse the demo secret key and demo passwords."""
    if settings.env != "production":
        return
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_session_factory(engine, read_only=True)() as session:
            problems = production_problems(settings, session)
    finally:
        engine.dispose()
    if problems:
        raise UnsafeProductionError("refusing to start in production: " + "; ".join(problems))


def _warm_up(server: Flask) -> None:
    """Render the index once before serving.

    Dash registers the script bundles it may serve while rendering its first page, guarded only by a
    "first request" flag. Under gunicorn's threaded workers a second request could then arrive while
    the first was still registering, and get a 500 for ``react-dom`` (seen here with two workers):
    doing it now, before any real request, leaves no window.
    """
    response = server.test_client().get("/", environ_overrides={security.WARM_UP_ENVIRON: True})
    if response.status_code != 200:
        raise RuntimeError(f"the dashboard failed to render its index page ({response.status_code})")


def _nav_links() -> list:
    """Only the pages this user may open (the pages check again on the server)."""
    return [
        dbc.NavItem(dbc.NavLink(_(page["name"]), href=page["relative_path"], active="exact",
                                id=f"nav-{page['module'].rsplit('.', 1)[-1]}"))
        for page in security.navigable_pages(security.current_actor())
    ]


def _user_menu() -> list:
    if security.current_actor() is None:
        return []
    logout_form = html.Form(
        [
            dcc.Input(type="hidden", name="csrf", value=login.csrf_token()),
            html.Button(_("Log out"), type="submit", className="btn btn-link nav-link", id="logout-button"),
        ],
        action="/logout", method="POST", className="d-inline",
    )
    return [
        dbc.NavItem(html.Span(security.current_user_name(), className="navbar-text me-2", id="current-user")),
        dbc.NavItem(logout_form),
    ]


def shell() -> html.Div:
    """The frame around every page, rendered per request so that it follows the language switch."""
    languages = [
        dbc.DropdownMenuItem(label, href=f"/lang/{code}", external_link=True, id=f"lang-{code}")
        for code, label in LANGUAGES.items()
    ]
    navbar = dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(_("Gas Dispatch"), href=security.landing_page(security.current_actor())),
                dbc.Nav(_nav_links(), navbar=True, className="me-auto"),
                dbc.Nav(
                    [
                        dbc.DropdownMenu(languages, label=_("Language"), nav=True, align_end=True,
                                         id="language-menu"),
                        *_user_menu(),
                    ],
                    navbar=True,
                ),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="py-1",
    )
    return html.Div(
        [
            dcc.Location(id="url"),
            navbar,
            dbc.Container(dash.page_container, fluid=True, className="pt-2"),
            html.Footer(ATTRIBUTION, className="text-muted small px-3 pb-2", id="attribution"),
        ]
    )


_server: Flask | None = None


def __getattr__(name: str) -> Flask:
    """``dashboard.app:server`` for gunicorn, built on first access so that importing is free."""
    global _server
    if name == "server":
        if _server is None:
            _server = create_app().server
        return _server
    raise AttributeError(name)
