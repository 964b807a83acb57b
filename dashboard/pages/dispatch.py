"""Dispatch map: open tickets by urgency and crews on the live road map (layout and callbacks only)."""

from __future__ import annotations

from datetime import datetime

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, dcc, html

from dashboard.components.dispatch_map import crew_legend, map_figure, marker_data, time_left_text
from dashboard.context import context
from dashboard.i18n import _, format_datetime
from dashboard.labels import label
from dashboard.security import page_layout, secured_callback
from ops.board import Class1Alert, class1_awaiting_departure, crews_on_map, open_tickets
from ops.rules import N_

dash.register_page(__name__, path="/", name=N_("Dispatch map"), title="Gas Dispatch", order=0,
                   action="board.view")

REFRESH_MS = 15_000


def _board(now: datetime) -> tuple[list, list, list[Class1Alert]]:
    """Tickets, crews and the class-1 alarm from one read, so the banner and the map agree."""
    with context().read_session() as session:
        return open_tickets(session, now), crews_on_map(session), class1_awaiting_departure(session, now)


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


def _due_text(deadline: datetime | None, now: datetime, timezone: str) -> str:
    """Clock time for today's deadlines, date and time for later ones."""
    if deadline is None:
        return ""
    same_day = format_datetime(deadline, timezone, "%Y-%m-%d") == format_datetime(now, timezone, "%Y-%m-%d")
    return format_datetime(deadline, timezone, "%H:%M" if same_day else "%m-%d %H:%M")


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
            "deadline": _due_text(t.deadline_at, now, timezone),
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


@page_layout("board.view")
def layout(**_query) -> html.Div:
    ctx = context()
    now = ctx.clock()
    tickets, crews, alerts = _board(now)
    tz = ctx.settings.timezone
    network = ctx.service_area.network
    figure = map_figure(network.bounds, tickets, crews, _=_, timezone=tz,
                        tile_url=ctx.settings.tile_url, network=network)
    return html.Div(
        [
            dcc.Interval(id="dispatch-refresh", interval=REFRESH_MS),
            html.Div(id="class1-banner", children=class1_banner(alerts, tz)),
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Graph(id="dispatch-map", figure=figure, style={"height": "82vh"},
                                  config={"displaylogo": False, "scrollZoom": True}),
                        lg=7,
                    ),
                    dbc.Col(
                        [
                            html.H5(_("Open tickets by time left"), className="mt-1"),
                            html.Div(id="dispatch-summary", className="small text-muted mb-1",
                                     children=_summary(tickets, crews, now, tz)),
                            crew_legend(_),
                            dag.AgGrid(
                                id="open-tickets-grid",
                                rowData=_grid_rows(tickets, now, tz),
                                columnDefs=_columns(),
                                getRowId="params.data.ticket",
                                defaultColDef={"sortable": True, "resizable": True},
                                getRowStyle={"styleConditions": [{
                                    "condition": "params.data.overdue",
                                    "style": {"color": "#b02a37", "fontWeight": "600"},
                                }]},
                                dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                                   "enableClickSelection": True},
                                                 "localeText": {"noRowsToShow": _("No open tickets")}},
                                style={"height": "74vh"},
                            ),
                        ],
                        lg=5,
                    ),
                ],
                className="g-2",
            ),
        ]
    )


def _summary(tickets, crews, now: datetime, timezone: str) -> str:
    available = sum(1 for c in crews if c.status == "available")
    return _("{open} open tickets · {crews} crews on shift, {available} available · updated {time}").format(
        open=len(tickets), crews=sum(1 for c in crews if c.status != "off_shift"),
        available=available, time=format_datetime(now, timezone, "%H:%M:%S"),
    )


@secured_callback(
    "board.view",
    Output("dispatch-map", "figure"),
    Output("open-tickets-grid", "rowData"),
    Output("dispatch-summary", "children"),
    Output("class1-banner", "children"),
    Input("dispatch-refresh", "n_intervals"),
    prevent_initial_call=True,
)
def refresh(_n: int | None):
    """Patch only the markers: the base layers stay in the browser (no re-sent GeoJSON)."""
    ctx = context()
    now = ctx.clock()
    tickets, crews, alerts = _board(now)
    tz = ctx.settings.timezone
    patch = Patch()
    data = marker_data(tickets, crews, _=_, timezone=tz, network=ctx.service_area.network)
    for i, trace in enumerate(data["data"]):
        for key, value in trace.items():
            patch["data"][i][key] = value
    return (patch, _grid_rows(tickets, now, tz), _summary(tickets, crews, now, tz),
            class1_banner(alerts, tz))
