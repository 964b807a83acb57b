"""The Dash application factory; ``server`` is the WSGI entry point for gunicorn.

Pages are registered by the factory (``use_pages``), the shell (navbar, language switch,
attribution) is a per-request layout so that it renders in the user's language, and the
non-Dash routes (``/healthz``, the base-map GeoJSON, the language switch) live on the same Flask server.
"""

from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Dash, dcc, html
from flask import Flask

from dashboard import routes
from dashboard.context import AppContext
from dashboard.i18n import LANGUAGES, _, init_i18n
from data.service_area import ServiceArea
from ops.settings import Settings, get_settings

ATTRIBUTION = "© OpenStreetMap contributors (ODbL); network from the AequilibraE Coquimbo example"
PAGES_DIR = Path(__file__).resolve().parent / "pages"


def create_app(settings: Settings | None = None, *, service_area: ServiceArea | None = None) -> Dash:
    """Build the app for ``settings`` (the environment's by default).

    ``service_area`` lets tests hand in a small synthetic network instead of building the real one.
    """
    settings = settings or get_settings()
    server = Flask(__name__)
    server.config["SECRET_KEY"] = settings.secret_key
    init_i18n(server, settings.default_language, settings.timezone)
    AppContext(settings, service_area).attach(server)
    routes.register(server)

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
    _warm_up(server)
    return app


def _warm_up(server: Flask) -> None:
    """Render the index once before serving.

    Dash registers the script bundles it may serve while rendering its first page, guarded only by a
    "first request" flag. Under gunicorn's threaded workers a second request could then arrive while
    the first was still registering, and get a 500 for ``react-dom`` (seen here with two workers):
    doing it now, before any real request, leaves no window.
    """
    response = server.test_client().get("/")
    if response.status_code != 200:
        raise RuntimeError(f"the dashboard failed to render its index page ({response.status_code})")


def _nav_links() -> list:
    return [
        dbc.NavItem(dbc.NavLink(_(page["name"]), href=page["relative_path"], active="exact"))
        for page in dash.page_registry.values()
        if page.get("order") is not None
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
                dbc.NavbarBrand(_("Gas Dispatch"), href="/"),
                dbc.Nav(_nav_links(), navbar=True, className="me-auto"),
                dbc.Nav(
                    dbc.DropdownMenu(languages, label=_("Language"), nav=True, align_end=True,
                                     id="language-menu"),
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
