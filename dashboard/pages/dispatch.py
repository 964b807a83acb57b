"""Dispatch board: the live map, the open-ticket queue, the recommendation for the selected ticket,
the crew list, "Plan all" and the scheduler's alerts (layout and callbacks only).

The 15-s refresh patches markers and grid rows only: the dispatcher's zoom (``uirevision``), grid
selection and scroll (``getRowId``) stay. A new plan in force (the scheduler replans within seconds of
an event) triggers the same refresh at once: every second the board asks for the plan's version, one
tiny query, and refreshes only when it changed. The recommendation, which costs an optimizer call, is
computed when a ticket is selected or on "Refresh recommendation", never on the clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    Patch,
    State,
    clientside_callback,
    dcc,
    html,
)
from dash.exceptions import PreventUpdate

from dashboard.components.common import row_in_view
from dashboard.components.dispatch_map import (
    TRACE_INDEX,
    crew_legend,
    map_figure,
    marker_data,
    selected_data,
    ticket_of_click,
    time_left_legend,
    time_left_text,
)
from dashboard.components.emergency_contact import contact_block
from dashboard.components.panel_actions import (
    ACTION_OUT,
    class_change_frame,
    class_values,
    closed_actions,
    crew_option,
    order_actions_frame,
    order_values,
    skill_confirm,
    skill_warning,
    skill_warnings,
)
from dashboard.components.recommendation_panel import (
    alert_count,
    alert_items,
    crew_columns,
    crew_rows,
    order_view,
    plan_summary,
    proposal_columns,
    proposal_rows,
    recommendation_view,
    ticket_header,
)
from dashboard.components.schedule_panel import view_tabs
from dashboard.context import context
from dashboard.errors import field_texts, service_error_text
from dashboard.i18n import _, format_clock, format_datetime
from dashboard.labels import label
from dashboard.pages import dispatch_orders
from dashboard.pages.dispatch_schedule import define_callbacks as schedule_board_callbacks
from dashboard.security import current_actor, may, page_layout, secured_callback
from ops import unit_of_work
from ops.db import transaction
from ops.errors import ConflictError, NotFoundError, ServiceError
from ops.i18n import N_
from ops.permissions import PermissionDenied
from ops.plan_in_force import plan_version
from ops.reads.open_alerts import open_alerts
from ops.reads.open_queue import Class1Alert, class1_awaiting_departure, crews_on_map, open_tickets
from ops.reads.order_state import crew_board, crews_on_shift, ticket_brief, ticket_numbers
from ops.recommendations import StoredRecommendation
from ops.services.alerts import acknowledge_alert
from ops.services.dispatching import recommend, replan
from ops.services.work_orders import confirm_dispatch
from ops.vocabulary import TicketStatus, WorkOrderStatus

dash.register_page(__name__, path="/", name=N_("Dispatch map"), title="Gas Dispatch", order=0,
                   action="board.view")

REFRESH_MS = 15_000
#: How often the board asks whether a new plan in force was stored (and refreshes only if so).
PLAN_POLL_MS = 1_000
#: Seconds the "Plan all" solve may take: long enough for OR-Tools to improve on greedy at a city's
#: queue, short enough for a dispatcher to wait for at the button.
PLAN_BUDGET_S = 4.0

_SELECTED = TRACE_INDEX["selected"]


# ----------------------------------------------------------------------------- reads
def _board(now: datetime) -> tuple[list, list, list[Class1Alert], list, list]:
    """Tickets, crews, the class-1 alarm, the crew list and open alerts from one read, so they agree."""

    with context().read_session() as session:
        return (open_tickets(session, now), crews_on_map(session), class1_awaiting_departure(session, now),
                crew_board(session, now), open_alerts(session, limit=50))


def class1_banner(alerts: list[Class1Alert], timezone: str) -> dbc.Alert | None:
    """R6.1: every class-1 ticket no crew has left for yet, so that a hotline emergency is seen at once."""
    if not alerts:
        return None
    items = []
    for a in alerts:
        text = _("{ticket} · {address} · {m} min since the report").format(
            ticket=a.ticket_no, address=a.address, m=a.minutes_since_report)
        if a.depart_deadline is not None:
            text += " · " + _("crew departs by {time}").format(time=format_datetime(a.depart_deadline, timezone,
                                                                                    "%H:%M"))
        if a.crew_code:
            text += " · " + _("Crew") + ": " + a.crew_code
        items.append(html.Li(text, className="class1-alert"))
    return dbc.Alert(
        [html.B(_("Class 1: no crew departed yet ({n})").format(n=len(alerts))), html.Ul(items, className="mb-0")],
        color="danger", className="py-1 px-2 mb-2 small",
    )


def _grid_rows(tickets, now: datetime, timezone: str) -> list[dict]:
    return [
        {
            "ticket": t.ticket_no,
            "cls": t.ticket_class,
            "symptom": label(t.symptom),
            "status": label(t.status),
            "crew": t.crew_code or "",
            "address": t.address,
            "district": t.district,
            "deadline": format_clock(t.deadline_at, now, timezone),
            "left": time_left_text(t.seconds_left, _),
            "overdue": t.seconds_left is not None and t.seconds_left < 0,
        }
        for t in tickets
    ]


def _columns() -> list[dict]:
    return [
        {"field": "cls", "headerName": _("Class"), "width": 58},
        {"field": "ticket", "headerName": _("Ticket"), "width": 146},
        {"field": "symptom", "headerName": _("Symptom"), "flex": 1, "minWidth": 80},
        {"field": "status", "headerName": _("Status"), "width": 84},
        {"field": "crew", "headerName": _("Crew"), "width": 62},
        {"field": "deadline", "headerName": _("Due"), "width": 96, "headerTooltip": _("Next deadline")},
        {"field": "left", "headerName": _("Time left"), "width": 112},
        {"field": "address", "headerName": _("Address"), "width": 220},
    ]


def _summary(tickets, crews, now: datetime, timezone: str) -> str:
    available = sum(1 for c in crews if c.status == "available")
    return _("{open} open tickets · {crews} crews on shift, {available} available · updated {time}").format(
        open=len(tickets), crews=sum(1 for c in crews if c.status != "off_shift"),
        available=available, time=format_datetime(now, timezone, "%H:%M:%S"),
    )


def _alerts_label(alerts: list) -> str:
    total, red = alert_count(alerts)
    if red:
        return _("Alerts ({n}, {red} red)").format(n=total, red=red)
    return _("Alerts ({n})").format(n=total)


# ----------------------------------------------------------------------------- layout
def _grid(grid_id: str, rows: list[dict], columns: list[dict], row_id: str, height: str, empty: str,
          **kwargs: Any) -> dag.AgGrid:
    options = {"rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
               "localeText": {"noRowsToShow": empty}}
    options.update(kwargs.pop("dashGridOptions", {}))
    return dag.AgGrid(id=grid_id, rowData=rows, columnDefs=columns, getRowId=row_id,
                      defaultColDef={"sortable": True, "resizable": True}, dashGridOptions=options,
                      style={"height": height}, **kwargs)


def _panel() -> dbc.Card:
    """The recommendation panel's fixed frame; callbacks fill it for the selected ticket."""
    return dbc.Card([
        dbc.CardHeader(dbc.Row([
            dbc.Col(html.Div(_("Select a ticket in the list or on the map to see the recommended crews."),
                             id="rec-header", className="small"), className="align-self-center"),
            dbc.Col(dbc.Button(_("Refresh recommendation"), id="rec-refresh", size="sm", color="outline-primary",
                               disabled=True), width="auto"),
        ], className="g-2"), className="py-1 px-2"),
        dbc.CardBody([
            dcc.Loading(html.Div(id="rec-body"), type="dot", delay_show=300),
            html.Div(id="rec-actions", hidden=True, className="mt-2 pt-2 border-top", children=dbc.Row([
                dbc.Col([
                    dbc.Button(_("Confirm"), id="rec-confirm", color="success", disabled=True, className="w-100"),
                    html.Div(id="rec-confirm-why", className="small text-muted mt-1"),
                ], md=3),
                dbc.Col([
                    dcc.Dropdown(id="rec-crew-choice", options=[], clearable=True,
                                 placeholder=_("Choose another crew"), className="small"),
                    html.Div(id="rec-err-crew_id", className="text-danger small", **{"aria-live": "polite"}),
                    skill_confirm("rec", _),
                ], md=3),
                dbc.Col([
                    dbc.Textarea(id="rec-reason", rows=1, maxLength=2000, className="form-control-sm",
                                 placeholder=_("Override reason (required)")),
                    html.Div(id="rec-err-override_reason", className="text-danger small",
                             **{"aria-live": "polite"}),
                ], md=3),
                dbc.Col(dbc.Button(_("Dispatch chosen crew"), id="rec-dispatch-other", color="outline-danger",
                                   className="w-100 btn-sm", disabled=True), md=3),
            ], className="g-2")),
            order_actions_frame(_),
            class_change_frame(_),
            dcc.Store(id="dispatch-order"),
            dcc.Store(id="dispatch-ticket"),
            html.Div(id="rec-message", className="mt-2"),
        ], className="p-2"),
    ], id="dispatch-panel", className="mt-2")


def _plan_tab(can_confirm: bool, can_plan: bool) -> html.Div:
    preview = None if can_plan else html.Div(
        _("Preview only: your role may not change the plan in force, so these proposals are not stored "
          "and cannot be confirmed."), className="small text-muted mb-1", id="plan-preview-note")
    return html.Div([
        html.Div([
            dbc.Button(_("Plan all"), id="plan-run", color="primary", size="sm", className="me-2"),
            dbc.Button(_("Confirm selected"), id="plan-confirm", color="success", size="sm", disabled=True),
            html.Span(_("Proposes a crew for every unassigned ticket a crew can take now; tick rows to confirm.")
                      if can_confirm else
                      _("Only a supervisor, or a dispatcher granted the confirm right, may dispatch (R7.5)."),
                      className="small text-muted ms-2"),
        ], className="d-flex align-items-center mb-1 flex-wrap"),
        preview,
        dcc.Loading(html.Div(id="plan-summary", className="small mb-1"), type="dot"),
        html.Div(id="plan-result", className="small mb-1"),
        _grid("plan-grid", [], proposal_columns(_), "params.data.ticket", "52vh", _("No proposals"),
              dashGridOptions={"rowSelection": {"mode": "multiRow", "checkboxes": True, "headerCheckbox": True,
                                                "enableClickSelection": False}},
              getRowStyle={"styleConditions": [{"condition": "params.data.late",
                                                "style": {"color": "#b02a37"}}]}),
    ], className="pt-2")


@page_layout("board.view")
def layout(**_query) -> html.Div:
    ctx = context()
    now = ctx.clock()
    tickets, crews, alerts, crew_list, open_ = _board(now)
    tz = ctx.settings.timezone
    network = ctx.service_area.network
    figure = map_figure(network.bounds, tickets, crews, _=_, timezone=tz,
                        tile_url=ctx.settings.tile_url, network=network)
    can_ack = may("alert.acknowledge")
    with ctx.read_session() as session:
        version = plan_version(session)
    return html.Div(
        [
            dcc.Interval(id="dispatch-refresh", interval=REFRESH_MS),
            dcc.Interval(id="plan-version-poll", interval=PLAN_POLL_MS),
            dcc.Store(id="plan-version", data=version),
            dcc.Store(id="dispatch-selected"),
            dcc.Store(id="dispatch-rec"),
            dcc.Store(id="dispatch-changed", data=0),
            dcc.Store(id="class1-ids", data=[a.ticket_no for a in alerts]),
            dcc.Store(id="class1-seen", storage_type="session"),
            dcc.Store(id="class1-new"),
            html.Div(id="class1-banner", children=class1_banner(alerts, tz)),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            view_tabs(dcc.Graph(id="dispatch-map", figure=figure, style={"height": "48vh"},
                                                config={"displaylogo": False, "scrollZoom": True}), _,
                                      can_move=may("dispatch.confirm")),
                            _panel(),
                        ],
                        lg=7,
                    ),
                    dbc.Col(
                        [
                            html.Div(id="dispatch-summary", className="small text-muted mb-1",
                                     children=_summary(tickets, crews, now, tz)),
                            time_left_legend(_),
                            crew_legend(_),
                            dbc.Tabs([
                                dbc.Tab(_grid(
                                    "open-tickets-grid", _grid_rows(tickets, now, tz), _columns(),
                                    "params.data.ticket", "74vh", _("No open tickets"),
                                    getRowStyle={"styleConditions": [{
                                        "condition": "params.data.overdue",
                                        "style": {"color": "#b02a37", "fontWeight": "600"},
                                    }]}), label=_("Open tickets by time left"), tab_id="tab-tickets"),
                                dbc.Tab(_grid("crew-grid", crew_rows(crew_list, now, tz, _), crew_columns(_),
                                              "params.data.code", "74vh", _("No crews")),
                                        label=_("Crews"), tab_id="tab-crews"),
                                dbc.Tab(_plan_tab(may("dispatch.confirm"), may("dispatch.plan")), label=_("Plan all"), tab_id="tab-plan"),
                                dbc.Tab(html.Div(alert_items(open_, tz, _, can_acknowledge=can_ack),
                                                 id="alerts-list", className="pt-2",
                                                 style={"maxHeight": "74vh", "overflowY": "auto"}),
                                        label=_alerts_label(open_), tab_id="tab-alerts", id="alerts-tab"),
                            ], id="dispatch-tabs", active_tab="tab-tickets"),
                            html.Div(id="alert-ack-message", className="small"),
                        ],
                        lg=5,
                    ),
                ],
                className="g-2",
            ),
        ]
    )


schedule_board_callbacks()  # the schedule board's tab beside the map (dashboard.pages.dispatch_schedule)


# ----------------------------------------------------------------------------- live refresh
@secured_callback(
    "board.view",
    output={"map": Output("dispatch-map", "figure"), "tickets": Output("open-tickets-grid", "rowData"),
            "summary": Output("dispatch-summary", "children"), "banner": Output("class1-banner", "children"),
            "crews": Output("crew-grid", "rowData"), "alerts": Output("alerts-list", "children"),
            "alerts_label": Output("alerts-tab", "label"), "class1_ids": Output("class1-ids", "data")},
    inputs={"tick": Input("dispatch-refresh", "n_intervals"), "changed": Input("dispatch-changed", "data")},
    prevent_initial_call=True,
)
def refresh(tick: int | None, changed: int | None) -> dict[str, Any]:
    """Patch only the markers: the base layers stay in the browser (no re-sent GeoJSON)."""
    ctx = context()
    now = ctx.clock()
    tickets, crews, alerts, crew_list, open_ = _board(now)
    tz = ctx.settings.timezone
    patch = Patch()
    data = marker_data(tickets, crews, _=_, timezone=tz, network=ctx.service_area.network)
    for i, trace in enumerate(data["data"]):
        for key, value in trace.items():
            patch["data"][i][key] = value
    return {"map": patch, "tickets": _grid_rows(tickets, now, tz), "summary": _summary(tickets, crews, now, tz),
            "banner": class1_banner(alerts, tz), "crews": crew_rows(crew_list, now, tz, _),
            "alerts": alert_items(open_, tz, _, can_acknowledge=may("alert.acknowledge")),
            "alerts_label": _alerts_label(open_), "class1_ids": [a.ticket_no for a in alerts]}


# R6.1 audible alert: the browser beeps once per class-1 ticket it has not beeped for, and hands the
# newest one to the selection so that its recommendation opens (assets/dispatch_alert.js).
clientside_callback(
    ClientsideFunction(namespace="gasdispatch", function_name="class1Alert"),
    Output("class1-seen", "data"),
    Output("class1-new", "data"),
    Input("class1-ids", "data"),
    State("class1-seen", "data"),
)


@secured_callback(
    "board.view",
    output={"version": Output("plan-version", "data"),
            "changed": Output("dispatch-changed", "data", allow_duplicate=True)},
    inputs={"tick": Input("plan-version-poll", "n_intervals")},
    state={"seen": State("plan-version", "data"), "changed": State("dispatch-changed", "data")},
    prevent_initial_call=True,
)
def notice_new_plan(tick: int | None, seen: int | None, changed: int | None) -> dict[str, Any]:
    """A new plan in force refreshes the board now, not at the next 15-s tick; an unchanged one costs
    one query and no redraw (the answer is "no update")."""
    with context().read_session() as session:
        version = plan_version(session)
    if version == seen:
        raise PreventUpdate
    return {"version": version, "changed": (changed or 0) + 1}


# ----------------------------------------------------------------------------- selection
@secured_callback(
    "board.view",
    Output("dispatch-selected", "data"),
    Output("open-tickets-grid", "selectedRows"),
    Output("open-tickets-grid", "scrollTo"),
    Input("open-tickets-grid", "selectedRows"),
    Input("dispatch-map", "clickData"),
    Input("class1-new", "data"),
    State("dispatch-selected", "data"),
    prevent_initial_call=True,
)
def select_ticket(rows: list[dict] | None, click: dict | None, new_class1: dict | None, current: str | None):
    """One selection for the grid, the map and a new class 1 (which only opens if nothing is selected);
    a ticket picked elsewhere is scrolled into the list's view, which only draws the rows on screen."""
    trigger = dash.ctx.triggered_id
    if trigger == "open-tickets-grid":
        ticket_no = rows[0].get("ticket") if isinstance(rows, list) and rows else None  # not {"ids": ...}
        if not ticket_no or ticket_no == current:
            raise PreventUpdate
        return ticket_no, dash.no_update, dash.no_update
    if trigger == "dispatch-map":
        ticket_no = ticket_of_click(click)
    elif trigger == "class1-new":
        ticket_no = (new_class1 or {}).get("ticket") if not current else None
    else:
        ticket_no = None
    if not ticket_no or ticket_no == current:
        raise PreventUpdate
    return ticket_no, {"ids": [ticket_no]}, row_in_view(ticket_no)


#: Everything the recommendation panel shows, by name (the panel and Confirm both redraw it).
_PANEL_OUT = {
    "header": Output("rec-header", "children", allow_duplicate=True),
    "body": Output("rec-body", "children", allow_duplicate=True),
    "actions_hidden": Output("rec-actions", "hidden", allow_duplicate=True),
    "confirm_disabled": Output("rec-confirm", "disabled", allow_duplicate=True),
    "confirm_label": Output("rec-confirm", "children", allow_duplicate=True),
    "other_disabled": Output("rec-dispatch-other", "disabled", allow_duplicate=True),
    "confirm_why": Output("rec-confirm-why", "children", allow_duplicate=True),
    "crew_options": Output("rec-crew-choice", "options", allow_duplicate=True),
    "crew_choice": Output("rec-crew-choice", "value", allow_duplicate=True),
    "reason": Output("rec-reason", "value", allow_duplicate=True),
    "reason_error": Output("rec-err-override_reason", "children", allow_duplicate=True),
    "crew_error": Output("rec-err-crew_id", "children", allow_duplicate=True),
    "message": Output("rec-message", "children", allow_duplicate=True),
    "selection": Output("dispatch-rec", "data", allow_duplicate=True),
    "map": Output("dispatch-map", "figure", allow_duplicate=True),
    "refresh_disabled": Output("rec-refresh", "disabled", allow_duplicate=True),
    "reason_invalid": Output("rec-reason", "invalid", allow_duplicate=True),
    **ACTION_OUT,  # reassign, cancel, the next-best crew, the class change (dispatch_orders)
}


def _panel_outputs(header: Any, body: Any, message: Any, halo: Patch, **shown: Any) -> dict[str, Any]:
    """The panel's outputs: a ticket that awaits no recommendation unless ``shown`` says otherwise."""
    return {"header": header, "body": body, "actions_hidden": True, "confirm_disabled": True,
            "confirm_label": _("Confirm"), "other_disabled": True, "confirm_why": "", "crew_options": [],
            "crew_choice": None, "reason": "", "reason_error": "", "crew_error": "", "message": message,
            "selection": None, "map": halo, "refresh_disabled": False, "reason_invalid": False,
            **closed_actions(), **shown}


def _crew_options(rec: StoredRecommendation, crews: list, warnings: dict[str, str]) -> list[dict[str, str | int]]:
    """The ranked crews first, then every other crew on shift (the service refuses the rest); a crew
    without the ticket's skill is marked (the optimizer never ranks one)."""
    out: list[dict[str, str | int]] = [
        {"label": _("{crew} · option {rank}").format(crew=o.crew_code, rank=o.rank), "value": o.crew_id}
        for o in rec.options]
    seen = {o.crew_id for o in rec.options}
    out += [crew_option(c, warnings) for c in crews if c.id not in seen]
    return out


def _render_panel(ticket_no: str, message: Any = None) -> dict[str, Any]:
    """Everything the panel shows for one ticket: a fresh recommendation while it waits for a crew,
    stored (R13.1) when the viewer may store one and a preview otherwise, else its order's progress."""

    ctx = context()
    now = ctx.clock()
    tz = ctx.settings.timezone
    with transaction(ctx.sessions) as db:
        brief = ticket_brief(db, ticket_no)
        rec: StoredRecommendation | None = None
        numbers: dict[int, str] = {}
        crews: list = []
        if brief is not None and brief.status == "new":
            rec = recommend(db, current_actor(), brief.id, now=now, network=ctx.service_area.network,
                            store=may("dispatch.recommend"))
            numbers = ticket_numbers(db, [d.ticket_id for o in rec.options for d in o.displaces])
        if brief is not None and TicketStatus(brief.status).is_open:
            crews = crews_on_shift(db)
    if brief is None:
        alert = dbc.Alert(_("Ticket {ticket} no longer exists.").format(ticket=ticket_no), color="warning",
                          className="py-1 px-2 mb-0")
        return _panel_outputs(html.B(ticket_no), alert, message, _halo(None, None), refresh_disabled=True)
    header = html.Div([ticket_header(brief.ticket_no, brief.ticket_class, brief.symptom, brief.address,
                                     brief.received_at, now, _),
                       contact_block(brief.contact, _, "rec-emergency-contact")])
    halo = _halo(brief.lon, brief.lat)
    open_ticket = TicketStatus(brief.status).is_open
    actions = class_values(brief, _) if open_ticket and may("ticket.change_class") else {}
    if rec is None:
        body = (order_view(brief.order, tz, _) if brief.order is not None else
                dbc.Alert(_("Status") + ": " + label(brief.status), color="secondary", className="py-1 px-2 mb-0"))
        if open_ticket and brief.order is not None and WorkOrderStatus(brief.order.status).is_active:
            actions.update(order_values(brief, crews, _, can_cancel=may("order.update_status"),
                                        can_reassign=may("dispatch.confirm")))
        return _panel_outputs(header, body, message, halo, **actions)
    can_confirm = may("dispatch.confirm")
    why = "" if can_confirm else _("Only a supervisor, or a dispatcher granted the confirm right, may dispatch (R7.5).")
    top = rec.top
    if can_confirm and top is not None and top.busy:  # R7.6: a busy crew keeps its order; this one waits behind it
        why = _("{crew} is on another order: confirming puts this ticket in its queue, to be sent when it "
                "finishes.").format(crew=top.crew_code)
    confirm_label = _("Confirm {crew}").format(crew=top.crew_code) if top is not None else _("Confirm")
    warnings = skill_warnings(crews, brief.ticket_class, brief.symptom, _)
    store = {"ticket_id": brief.id, "ticket_no": brief.ticket_no, "recommendation_id": rec.recommendation_id,
             "top": top.crew_id if top is not None else None, "unskilled": warnings}
    return _panel_outputs(header, recommendation_view(rec, tz, numbers, _), message, halo, actions_hidden=False,
                          confirm_disabled=not (can_confirm and top is not None),
                          confirm_label=confirm_label, other_disabled=not can_confirm, confirm_why=why,
                          crew_options=_crew_options(rec, crews, warnings), selection=store, **actions)


def _halo(lon: float | None, lat: float | None) -> Patch:
    patch = Patch()
    for key, value in selected_data(lon, lat).items():
        patch["data"][_SELECTED][key] = value
    return patch


@secured_callback(
    "board.view",
    output=_PANEL_OUT,
    inputs={"ticket_no": Input("dispatch-selected", "data"), "refresh": Input("rec-refresh", "n_clicks")},
    prevent_initial_call=True,
)
def show_recommendation(ticket_no: str | None, refresh: int | None) -> dict[str, Any]:
    """Recomputed on selection and on the button only: an optimizer call is too dear for every tick."""
    if not ticket_no:
        raise PreventUpdate
    return _render_panel(ticket_no)


@secured_callback(
    "dispatch.confirm",
    output={**_PANEL_OUT, "changed": Output("dispatch-changed", "data", allow_duplicate=True)},
    inputs={"n_top": Input("rec-confirm", "n_clicks"), "n_other": Input("rec-dispatch-other", "n_clicks")},
    state={"rec": State("dispatch-rec", "data"), "chosen": State("rec-crew-choice", "value"),
           "reason": State("rec-reason", "value"), "skill_ok": State("rec-skill-ok", "value"),
           "changed": State("dispatch-changed", "data")},
    prevent_initial_call=True,
)
def confirm(n_top: int | None, n_other: int | None, rec: dict | None, chosen: int | None, reason: str | None,
            skill_ok: list | None, changed: int | None) -> dict[str, Any]:
    """R7.1: confirm the top crew, or another with a reason; the service decides, the panel shows why."""

    trigger = dash.ctx.triggered_id
    if not rec or not (n_top if trigger == "rec-confirm" else n_other):
        raise PreventUpdate
    errors = {"override_reason": "", "crew_id": ""}
    if trigger == "rec-confirm":
        crew_id, why = rec.get("top"), None
    else:
        crew_id, why = chosen, reason
    lacking = skill_warning(crew_id, rec.get("unskilled"))
    if crew_id is None:
        errors["crew_id"] = _("Choose a crew.")
    elif lacking and not skill_ok:  # the confirmation step before sending a crew without the skill
        errors["crew_id"] = lacking + " " + _("Tick “Send it without this skill” to confirm.")
    else:
        ctx = context()
        try:
            crew_code = unit_of_work.run(ctx.sessions, lambda db: confirm_dispatch(
                db, current_actor(), rec["ticket_id"], int(crew_id), rec["recommendation_id"], ctx.clock(),
                override_reason=why).crew.code)
        except PermissionDenied:
            errors["crew_id"] = _("Only a supervisor, or a dispatcher granted the confirm right, may dispatch (R7.5).")
        except (ConflictError, NotFoundError) as exc:
            if exc.code == "conflict":  # refused by the database: another order took the crew first
                errors["crew_id"] = _("The crew was just given another order: refresh the recommendation.")
            elif exc.field in ("crew_id", "recommendation_id"):  # the chosen crew is busy, off shift or gone
                errors.update(field_texts(exc, list(errors), fallback="crew_id"))
            else:
                message = dbc.Alert(_("Not dispatched: the ticket changed meanwhile.") + " " + service_error_text(exc),
                                    color="warning", className="py-1 px-2 mb-0", id="rec-error")
                return {**_render_panel(rec["ticket_no"], message), "changed": (changed or 0) + 1}
        except ServiceError as exc:
            errors.update(field_texts(exc, list(errors), fallback="crew_id"))
        else:
            message = dbc.Alert(_("Dispatched: crew {crew} is on its way to {ticket}.").format(
                crew=crew_code, ticket=rec["ticket_no"]), color="success", className="py-1 px-2 mb-0",
                id="rec-dispatched", duration=8000)
            return {**_render_panel(rec["ticket_no"], message), "changed": (changed or 0) + 1}
    # Refused: the messages under their fields, everything typed kept, nothing else redrawn.
    return {**{name: dash.no_update for name in _PANEL_OUT}, "changed": dash.no_update,
            "reason_error": errors["override_reason"], "crew_error": errors["crew_id"],
            "reason_invalid": bool(errors["override_reason"]),
            "message": dbc.Alert(_("Not dispatched: see the message under the field. Nothing was saved."),
                                 color="danger", className="py-1 px-2 mb-0", id="rec-error")}


# ----------------------------------------------------------------------------- plan all
@secured_callback(
    "board.view",
    Output("plan-grid", "rowData"),
    Output("plan-summary", "children"),
    Output("plan-confirm", "disabled"),
    Output("plan-result", "children"),
    Input("plan-run", "n_clicks"),
    prevent_initial_call=True,
)
def plan_all(n_clicks: int | None):
    """One OR-Tools plan of the whole queue: it becomes the plan in force and each proposal is stored as
    the recommendation it answers, for those who may (``dispatch.plan``); a preview for the others."""

    if not n_clicks:
        raise PreventUpdate
    ctx = context()
    now = ctx.clock()
    store = may("dispatch.plan")
    result = unit_of_work.run(ctx.sessions, lambda db: replan(
        db, current_actor(), PLAN_BUDGET_S, now=now, network=ctx.service_area.network, store=store))
    rows = proposal_rows(result.proposals, now, ctx.settings.timezone, _)
    return rows, plan_summary(result, _), not (rows and store and may("dispatch.confirm")), ""


@secured_callback(
    "dispatch.confirm",
    Output("plan-grid", "rowData", allow_duplicate=True),
    Output("plan-result", "children", allow_duplicate=True),
    Output("dispatch-changed", "data", allow_duplicate=True),
    Input("plan-confirm", "n_clicks"),
    State("plan-grid", "selectedRows"),
    State("plan-grid", "rowData"),
    State("dispatch-changed", "data"),
    prevent_initial_call=True,
)
def confirm_selected(n_clicks: int | None, selected: list[dict] | None, rows: list[dict] | None,
                     changed: int | None):
    """Each ticked proposal in its own transaction: a stale one is reported, the rest still go."""

    if not n_clicks:
        raise PreventUpdate
    if not selected:
        return dash.no_update, dbc.Alert(_("Tick the proposals to confirm first."), color="warning",
                                         className="py-1 px-2 mb-0"), dash.no_update
    ctx = context()
    results: dict[str, tuple[bool, str]] = {}
    for row in selected:
        if row.get("recommendation_id") is None:  # a preview's proposal: nothing stored to confirm
            results[row["ticket"]] = (False, _("not dispatched: not allowed"))
            continue
        try:
            unit_of_work.run(ctx.sessions, lambda db, row=row: confirm_dispatch(
                db, current_actor(), int(row["ticket_id"]), int(row["crew_id"]), int(row["recommendation_id"]),
                ctx.clock()))
            results[row["ticket"]] = (True, _("dispatched"))
        except PermissionDenied:
            results[row["ticket"]] = (False, _("not dispatched: not allowed"))
        except ConflictError as exc:
            why = (_("the crew was just given another order") if exc.code == "conflict"
                   else service_error_text(exc))
            results[row["ticket"]] = (False, _("not dispatched: {why}").format(why=why))
        except ServiceError as exc:
            results[row["ticket"]] = (False, _("not dispatched: {why}").format(why=service_error_text(exc)))
    new_rows = [{**r, "result": results[r["ticket"]][1]} if r["ticket"] in results else r for r in rows or []]
    ok = sum(1 for good, _text in results.values() if good)
    colour = "success" if ok == len(results) else ("warning" if ok else "danger")
    summary = dbc.Alert(_("{ok} of {n} dispatched.").format(ok=ok, n=len(results)), color=colour,
                        className="py-1 px-2 mb-0", id="plan-confirmed")
    return new_rows, summary, (changed or 0) + (1 if ok else 0)


# ----------------------------------------------------------------------------- alerts
@secured_callback(
    "alert.acknowledge",
    Output("alert-ack-message", "children"),
    Output("dispatch-changed", "data", allow_duplicate=True),
    Input({"type": "alert-ack", "id": ALL}, "n_clicks"),
    State("dispatch-changed", "data"),
    prevent_initial_call=True,
)
def acknowledge(clicks: list[int | None], changed: int | None):
    """The office has seen an escalation (R7.2–R7.4): who and when are recorded; the list refreshes."""

    trigger = dash.ctx.triggered_id
    clicks = clicks if isinstance(clicks, list) else [clicks]
    if not isinstance(trigger, dict) or not isinstance(trigger.get("id"), int) or not any(clicks):
        raise PreventUpdate
    ctx = context()
    try:
        unit_of_work.run(ctx.sessions, lambda db: acknowledge_alert(db, current_actor(), int(trigger["id"]),
                                                                   ctx.clock()))
    except ServiceError as exc:
        return dbc.Alert(service_error_text(exc), color="warning", className="py-1 px-2 mb-0",
                         duration=6000), (changed or 0) + 1
    return "", (changed or 0) + 1


# Reassign, cancel, send the next-best crew, change the class, the skill warnings: their own module.
dispatch_orders.register(_PANEL_OUT, _render_panel)
