"""Accounts: users, their roles and rights, and API tokens (layout and callbacks only)."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from dashboard.context import context
from dashboard.errors import service_error_text
from dashboard.i18n import LANGUAGES, _, format_datetime
from dashboard.security import current_actor, page_layout, secured_callback
from ops import unit_of_work
from ops.errors import ServiceError
from ops.i18n import N_
from ops.permissions import GRANTABLE_RIGHTS, SCOPES
from ops.reads.open_queue import crew_choices
from ops.services import accounts
from ops.services.tokens import create_token, list_tokens, revoke_token
from ops.vocabulary import Role

dash.register_page(__name__, path="/admin", name=N_("Accounts"), title="Gas Dispatch", order=85,
                   action="user.manage")

ROLE_LABELS = {
    Role.HOTLINE_AGENT: N_("Hotline agent"),
    Role.DISPATCHER: N_("Dispatcher"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.CREW_MEMBER: N_("Crew member"),
    Role.CALLBACK_AGENT: N_("Callback agent"),
    Role.QUALITY_INSPECTOR: N_("Quality inspector"),
    Role.MANAGER: N_("Manager"),
    Role.PLANNER: N_("Planner"),
    Role.ADMIN: N_("Admin"),
}
RIGHT_LABELS = {"dispatch.confirm": N_("May confirm dispatches (R7.5)")}


def _role_options() -> list[dict]:
    return [{"label": _(text), "value": role.value} for role, text in ROLE_LABELS.items()]


def _user_rows() -> list[dict]:
    tz = context().settings.timezone
    with context().read_session() as db:
        users = accounts.list_users(db)
        return [
            {
                "id": u.id, "username": u.username, "name": u.display_name,
                "roles": ", ".join(_(ROLE_LABELS[r]) for r in sorted(u.role_set) if r in ROLE_LABELS),
                "rights": ", ".join(sorted(u.right_set)),
                "active": _("yes") if u.active else _("no"),
                "language": LANGUAGES.get(u.language, u.language),
                "created": format_datetime(u.created_at, tz),
            }
            for u in users
        ]


def _token_rows() -> list[dict]:
    tz = context().settings.timezone
    with context().read_session() as db:
        names = {u.id: u.username for u in accounts.list_users(db)}
        return [
            {
                "id": t.id, "name": t.name, "owner": names.get(t.user_id, ""), "prefix": t.prefix + "…",
                "scopes": ", ".join(t.scopes), "created": format_datetime(t.created_at, tz),
                "last_used": format_datetime(t.last_used_at, tz),
                "revoked": format_datetime(t.revoked_at, tz),
            }
            for t in list_tokens(db)
        ]


def _crew_options() -> list[dict]:
    with context().read_session() as db:
        return [{"label": f"{code} · {name}", "value": code} for code, name in crew_choices(db)]


def _grid(grid_id: str, columns: list[tuple[str, str, int | None]], rows: list[dict]) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        rowData=rows,
        columnDefs=[{"field": f, "headerName": h, **({"width": w} if w else {"flex": 1})} for f, h, w in columns],
        getRowId="params.data.id",
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                         "localeText": {"noRowsToShow": _("Nothing to show")}},
        style={"height": "300px"},
    )


@page_layout("user.manage")
def layout(**_query) -> html.Div:
    users = _grid("users-grid", [
        ("username", _("User name"), 130), ("name", _("Name"), None), ("roles", _("Roles"), None),
        ("rights", _("Extra rights"), 150), ("active", _("Active"), 80), ("language", _("Language"), 90),
        ("created", _("Created"), 140),
    ], _user_rows())
    tokens = _grid("tokens-grid", [
        ("name", _("Token name"), None), ("owner", _("Owner"), 120), ("prefix", _("Token"), 140),
        ("scopes", _("Scopes"), None), ("created", _("Created"), 140), ("last_used", _("Last used"), 140),
        ("revoked", _("Revoked"), 140),
    ], _token_rows())
    crews = _crew_options()
    return html.Div([
        html.H4(_("Accounts")),
        dbc.Row([
            dbc.Col([html.H5(_("Users")), users,
                     html.Div(id="user-result", className="mt-2")], lg=8),
            dbc.Col([
                dbc.Card(dbc.CardBody([
                    html.H6(_("New user")),
                    dbc.Input(id="new-username", placeholder=_("User name"), className="mb-2"),
                    dbc.Input(id="new-display-name", placeholder=_("Name"), className="mb-2"),
                    dbc.Input(id="new-password", type="password", placeholder=_("Initial password"),
                              autoComplete="new-password", className="mb-2"),
                    dcc.Dropdown(id="new-language", options=[{"label": v, "value": k} for k, v in LANGUAGES.items()],
                                 value="zh_CN", clearable=False, className="mb-2"),
                    dcc.Checklist(id="new-roles", options=_role_options(), value=[],
                                  inline=True, inputClassName="me-1", labelClassName="me-3"),
                    dcc.Dropdown(id="new-crew", options=crews, placeholder=_("Crew (for crew members)"),
                                 className="my-2"),
                    dbc.Button(_("Create user"), id="create-user", color="primary"),
                ])),
                dbc.Card(dbc.CardBody([
                    html.H6(_("Selected user")),
                    dcc.Checklist(id="edit-roles", options=_role_options(), value=[],
                                  inline=True, inputClassName="me-1", labelClassName="me-3"),
                    dcc.Dropdown(id="edit-crew", options=crews, placeholder=_("Crew (for crew members)"),
                                 className="my-2"),
                    dcc.Checklist(id="edit-rights",
                                  options=[{"label": _(RIGHT_LABELS.get(r, r)), "value": r}
                                           for r in sorted(GRANTABLE_RIGHTS)],
                                  value=[], inputClassName="me-1"),
                    dbc.ButtonGroup([
                        dbc.Button(_("Save roles and rights"), id="save-roles", color="primary"),
                        dbc.Button(_("Disable"), id="disable-user", color="danger", outline=True),
                        dbc.Button(_("Enable"), id="enable-user", color="success", outline=True),
                    ], className="mt-2"),
                ]), className="mt-2"),
            ], lg=4),
        ]),
        html.H5(_("API tokens"), className="mt-4"),
        dbc.Row([
            dbc.Col([tokens, html.Div(id="token-result", className="mt-2")], lg=8),
            dbc.Col(dbc.Card(dbc.CardBody([
                html.H6(_("New token")),
                dbc.Input(id="token-name", placeholder=_("Token name"), className="mb-2"),
                dcc.Dropdown(id="token-owner", placeholder=_("Owner (the actor in the audit trail)"),
                             options=[{"label": r["username"], "value": r["id"]} for r in _user_rows()],
                             className="mb-2"),
                dcc.Checklist(id="token-scopes", options=[{"label": s, "value": s} for s in SCOPES],
                              value=[], inline=True, inputClassName="me-1", labelClassName="me-3"),
                dcc.Dropdown(id="token-crew", options=crews, placeholder=_("Crew (for the crew scope)"),
                             className="my-2"),
                dbc.ButtonGroup([
                    dbc.Button(_("Create token"), id="create-token", color="primary"),
                    dbc.Button(_("Revoke selected"), id="revoke-token", color="danger", outline=True),
                ]),
            ])), lg=4),
        ]),
    ])


def _ctx_now():
    ctx = context()
    return ctx, ctx.clock()


def _failure(exc: ServiceError) -> dbc.Alert:
    return dbc.Alert(service_error_text(exc, with_fields=True), color="danger")


@secured_callback(
    "user.manage",
    Output("edit-roles", "value"),
    Output("edit-rights", "value"),
    Input("users-grid", "selectedRows"),
    prevent_initial_call=True,
)
def show_selected_user(selected):
    if not selected:
        raise PreventUpdate
    with context().read_session() as db:
        user = accounts.get_user(db, int(selected[0]["id"]))
        return sorted(r.value for r in user.role_set), sorted(user.right_set)


@secured_callback(
    "user.create",
    output={
        "result": Output("user-result", "children", allow_duplicate=True),
        "rows": Output("users-grid", "rowData", allow_duplicate=True),
    },
    inputs={"n_clicks": Input("create-user", "n_clicks")},
    state={
        "username": State("new-username", "value"),
        "display_name": State("new-display-name", "value"),
        "password": State("new-password", "value"),
        "language": State("new-language", "value"),
        "roles": State("new-roles", "value"),
        "crew": State("new-crew", "value"),
    },
    prevent_initial_call=True,
)
def create_user(n_clicks, username, display_name, password, language, roles, crew) -> dict[str, Any]:
    if not n_clicks:
        raise PreventUpdate
    ctx, now = _ctx_now()
    try:
        name = unit_of_work.run(ctx.sessions, lambda db: accounts.create_user(
            db, current_actor(), username=username or "", display_name=display_name or "",
            roles=roles or [], password=password or "", language=language or "zh_CN",
            crew_code=crew if Role.CREW_MEMBER.value in (roles or []) else None, now=now,
        ).username)
    except ServiceError as exc:
        return {"result": _failure(exc), "rows": dash.no_update}
    return {"result": dbc.Alert(_("User {name} created.").format(name=name), color="success"),
            "rows": _user_rows()}


@secured_callback(
    "user.manage",
    output={
        "result": Output("user-result", "children", allow_duplicate=True),
        "rows": Output("users-grid", "rowData", allow_duplicate=True),
    },
    inputs={
        "_save": Input("save-roles", "n_clicks"),
        "_disable": Input("disable-user", "n_clicks"),
        "_enable": Input("enable-user", "n_clicks"),
    },
    state={
        "selected": State("users-grid", "selectedRows"),
        "roles": State("edit-roles", "value"),
        "rights": State("edit-rights", "value"),
        "crew": State("edit-crew", "value"),
    },
    prevent_initial_call=True,
)
def change_user(_save, _disable, _enable, selected, roles, rights, crew) -> dict[str, Any]:
    """Roles, rights and the active flag; the services refuse e.g. removing the last admin."""
    trigger = dash.ctx.triggered_id
    if trigger is None:
        raise PreventUpdate
    if not selected:
        return {"result": dbc.Alert(_("Select a user first."), color="warning"), "rows": dash.no_update}
    user_id = int(selected[0]["id"])
    ctx, now = _ctx_now()
    actor = current_actor()
    def save(db: Session) -> None:
        if trigger == "save-roles":
            accounts.set_roles(db, actor, user_id, roles or [], now=now,
                               crew_code=crew if crew and Role.CREW_MEMBER.value in (roles or []) else None)
            current = accounts.get_user(db, user_id).right_set
            for right in sorted(set(rights or []) - current):
                accounts.grant_right(db, actor, user_id, right, now=now)
            for right in sorted(current - set(rights or [])):
                accounts.revoke_right(db, actor, user_id, right, now=now)
        else:
            accounts.set_active(db, actor, user_id, trigger == "enable-user", now=now)

    try:
        unit_of_work.run(ctx.sessions, save)
    except ServiceError as exc:
        return {"result": _failure(exc), "rows": dash.no_update}
    return {"result": dbc.Alert(_("Saved."), color="success"), "rows": _user_rows()}


@secured_callback(
    "token.manage",
    output={"result": Output("token-result", "children"), "rows": Output("tokens-grid", "rowData")},
    inputs={"_create": Input("create-token", "n_clicks"), "_revoke": Input("revoke-token", "n_clicks")},
    state={
        "name": State("token-name", "value"),
        "owner": State("token-owner", "value"),
        "scopes": State("token-scopes", "value"),
        "crew": State("token-crew", "value"),
        "selected": State("tokens-grid", "selectedRows"),
    },
    prevent_initial_call=True,
)
def change_tokens(_create, _revoke, name, owner, scopes, crew, selected) -> dict[str, Any]:
    """A new token is shown once, here; only its hash is stored."""
    trigger = dash.ctx.triggered_id
    if trigger is None:
        raise PreventUpdate
    if trigger == "create-token" and owner is None:
        return {"result": dbc.Alert(_("Choose the token's owner."), color="warning"), "rows": dash.no_update}
    if trigger != "create-token" and not selected:
        return {"result": dbc.Alert(_("Select a token first."), color="warning"), "rows": dash.no_update}
    ctx, now = _ctx_now()
    try:
        if trigger == "create-token":
            _token, raw = unit_of_work.run(ctx.sessions, lambda db: create_token(
                db, current_actor(), user_id=int(owner), name=name or "", scopes=scopes or [],
                crew_code=crew or None, now=now))
            message = dbc.Alert([
                html.Div(_("Copy this token now; it will not be shown again:")),
                html.Code(raw, id="new-token-value", className="user-select-all"),
            ], color="success")
        else:
            unit_of_work.run(ctx.sessions, lambda db: revoke_token(db, current_actor(), int(selected[0]["id"]),
                                                                   now=now))
            message = dbc.Alert(_("Token revoked."), color="success")
    except ServiceError as exc:
        return {"result": _failure(exc), "rows": dash.no_update}
    return {"result": message, "rows": _token_rows()}
