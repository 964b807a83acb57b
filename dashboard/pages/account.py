"""My account: change one's own password and language (layout and callbacks only)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate
from flask import session

from dashboard.context import context
from dashboard.errors import service_error_text
from dashboard.i18n import LANGUAGES, _
from dashboard.security import (
    SESSION_TOKEN_KEY,
    current_actor,
    current_user_name,
    page_layout,
    secured_callback,
)
from ops import unit_of_work
from ops.errors import ServiceError
from ops.i18n import N_
from ops.services.auth import change_password as change_password_service

dash.register_page(__name__, path="/account", name=N_("My account"), title="Gas Dispatch", order=90,
                   action="account.self")


@page_layout("account.self")
def layout(**_query) -> html.Div:
    return dbc.Row(dbc.Col([
        html.H4(_("My account")),
        html.P(current_user_name(), className="text-muted", id="account-name"),
        html.H5(_("Change password"), className="mt-3"),
        dbc.Form([
            dbc.Label(_("Current password"), html_for="old-password"),
            dbc.Input(id="old-password", type="password", autoComplete="current-password"),
            dbc.Label(_("New password"), html_for="new-password", className="mt-2"),
            dbc.Input(id="new-password", type="password", autoComplete="new-password"),
            dbc.FormText(_("At least 10 characters.")),
            dbc.Label(_("Repeat the new password"), html_for="new-password-2", className="mt-2 d-block"),
            dbc.Input(id="new-password-2", type="password", autoComplete="new-password"),
            dbc.Button(_("Change password"), id="change-password", color="primary", className="mt-3"),
        ]),
        html.Div(id="password-result", className="mt-3"),
        html.H5(_("Language"), className="mt-4"),
        html.P([dbc.Button(name, href=f"/lang/{code}", external_link=True, outline=True, color="secondary",
                           className="me-2", id=f"account-lang-{code}")
                for code, name in LANGUAGES.items()]),
    ], md=6, lg=4))


@secured_callback(
    "account.self",
    Output("password-result", "children"),
    Input("change-password", "n_clicks"),
    State("old-password", "value"),
    State("new-password", "value"),
    State("new-password-2", "value"),
    prevent_initial_call=True,
)
def change_password(n_clicks, old, new, repeat):
    """The service checks the old password and the policy, and ends the user's other sessions."""
    if not n_clicks:
        raise PreventUpdate
    if (new or "") != (repeat or ""):
        return dbc.Alert(_("The two new passwords differ."), color="danger")
    actor = current_actor()
    ctx = context()
    try:
        unit_of_work.run(ctx.sessions, lambda db: change_password_service(
            db, actor, actor.user_id, old_password=old or "", new_password=new or "", now=ctx.clock(),
            current_token=session.get(SESSION_TOKEN_KEY)))
    except ServiceError as exc:
        return dbc.Alert(service_error_text(exc), color="danger")
    return dbc.Alert(_("Password changed. Your other sessions have been signed out."), color="success")
