"""Coverage for managers (issue 13): who can reach where within T minutes, and where the risk is.

Layout and callbacks only. Every figure comes from the one reader, :func:`ops.reads.coverage.coverage`
(the API and the benchmark use it too); the figure and tables are built in
``dashboard.components.coverage_map`` / ``coverage_table``. A refused control keeps the last good map
and says which control was wrong; the last good query is kept for the exports.

The side column is a list of cards (:func:`_side_cards`) so that later cards can join it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, Patch, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.api_coverage import positions_json
from dashboard.components.coverage_map import TRACE_INDEX, clicked_hex, coverage_figure, hex_ring
from dashboard.components.coverage_table import (
    control_errors,
    headline,
    hex_csv,
    hex_xlsx,
    reachable_list,
    risk_columns,
    risk_rows,
)
from dashboard.components.standing_card import (
    SEND_TYPE,
    SENT,
    STANDBY_NOTE,
    crew_count,
    hint,
    move_lines,
    moves_list,
)
from dashboard.components.standing_card import card as standing_card
from dashboard.context import context
from dashboard.errors import service_error_text
from dashboard.i18n import _, format_datetime
from dashboard.security import current_actor, may, page_layout, secured_callback
from ops import unit_of_work
from ops.errors import ServiceError
from ops.i18n import N_
from ops.reads.audit_search import local_period
from ops.reads.coverage import (
    DEMAND_PERIOD,
    MINUTES_MAX,
    RESOLUTIONS,
    CoverageQuery,
    CoverageReport,
    coverage,
    demand,
    depot_names,
    reachable_crews,
    risk_hexes,
)
from ops.reads.order_state import ticket_numbers
from ops.reads.standing import suggest_standing
from ops.services.standby import send_standby

dash.register_page(__name__, path="/coverage", name=N_("Coverage"), title="Gas Dispatch", order=70,
                   action="coverage.read")

ACTION = "coverage.read"
SEND_ACTION = "crew.standby"
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
            N_("Sunday"))
CUSTOM = "custom"


# ----------------------------------------------------------------------------- controls → query
def control_query(minutes_choice: Any, custom: Any, mode: Any, every_crew: Any, shift: Any, weekday: Any,
                  hour: Any, resolution: Any, exclude_crew: Any, exclude_depot: Any) -> CoverageQuery:
    """The reader's query from the controls' values; the reader validates it (and names the bad ones)."""
    minutes = custom if minutes_choice == CUSTOM else minutes_choice
    planned = mode == "plan"
    return CoverageQuery(
        minutes=_number(minutes), mode=mode, scope="on_shift" if every_crew else "available",
        shift=shift if planned and shift else None, weekday=_number(weekday) if planned else None,
        hour=_number(hour), exclude_crew=_number(exclude_crew),
        exclude_depot=_number(exclude_depot) if planned else None,
        resolution=_number(resolution) if resolution is not None else 8)


def _number(value: Any) -> Any:
    """A whole number as an int (a number input sends 30.0, a dropdown 30); anything else as it came."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _compute(query: CoverageQuery, start: Any, end: Any) -> tuple[CoverageReport, list, dict[int, str]]:
    """The report, the class-1/2 demand over the chosen local days and the sources' depot names."""
    ctx = context()
    now = ctx.clock()
    since, until = local_period(_day(start), _day(end), ctx.settings.timezone)
    until = until or now
    since = since or until - DEMAND_PERIOD
    network = ctx.service_area.network
    with ctx.read_session() as db:
        report = coverage(db, network, now, query)
        hexes = demand(db, network, now, since, until, resolution=query.resolution)
        depots = depot_names(db, sorted({s.depot_id for s in [*report.sources, *report.excluded]
                                         if s.depot_id is not None}))
    return report, hexes, depots


def _crew_options(report: CoverageReport) -> list[dict[str, Any]]:
    return [{"label": s.code, "value": s.crew_id} for s in sorted([*report.sources, *report.excluded],
                                                                  key=lambda s: s.code)]


def _render(query: CoverageQuery, start: Any, end: Any, view: Any, show_demand: Any) -> dict[str, Any]:
    ctx = context()
    report, hexes, depots = _compute(query, start, end)
    figure = coverage_figure(report, hexes, view="expected" if view == "expected" else "minutes",
                             show_demand=bool(show_demand), bounds=ctx.service_area.network.bounds, _=_,
                             tile_url=ctx.settings.tile_url)
    risk = risk_hexes(report, hexes)
    rows = risk_rows(risk, _)
    for row, r in zip(rows, risk, strict=True):
        row["ticket_ids"] = list(r.ticket_ids)
    return {"figure": figure, "headline": headline(report, _), "risk": rows, "message": None,
            "crews": _crew_options(report),
            "depots": [{"label": name, "value": i} for i, name in sorted(depots.items(), key=lambda d: d[1])],
            "query": asdict(query)}


# ----------------------------------------------------------------------------- layout
def _control(label: str, control: Any, html_for: str, **width: int) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=html_for, className="small mb-0"), control], **width)


def _controls(start: str, end: str) -> html.Div:
    minutes = html.Div([
        dbc.RadioItems(id="cov-minutes", value=30, inline=True, className="small",
                       options=[{"label": _("15 min"), "value": 15}, {"label": _("30 min"), "value": 30},
                                {"label": _("Other"), "value": CUSTOM}]),
        dbc.Input(id="cov-minutes-custom", type="number", step=1, size="sm", debounce=True,
                  placeholder=_("1 to {max} min").format(max=MINUTES_MAX), style={"maxWidth": "9rem"}),
    ])
    mode = html.Div([
        dbc.RadioItems(id="cov-mode", value="live", inline=True, className="small",
                       options=[{"label": _("Live positions"), "value": "live"},
                                {"label": _("Planned (depots and roster)"), "value": "plan"}]),
        dbc.Switch(id="cov-scope", value=False, label=_("Every crew on shift, not only available ones"),
                   className="small"),
    ])
    row1 = dbc.Row([
        _control(_("Minutes (T)"), minutes, "cov-minutes", md=3),
        _control(_("Mode"), mode, "cov-mode", md=4),
        _control(_("Hour of day"), dcc.Dropdown(
            id="cov-hour", options=[{"label": f"{h:02d}:00", "value": h} for h in range(24)],
            placeholder=_("Now"), clearable=True), "cov-hour", md=2),
        _control(_("Hexagon size (H3 resolution)"), dcc.Dropdown(
            id="cov-resolution", options=[{"label": str(r), "value": r} for r in RESOLUTIONS], value=8,
            clearable=False), "cov-resolution", md=3),
    ], className="g-2 align-items-start mb-1")
    row2 = dbc.Row([
        _control(_("Shift"), dcc.Dropdown(
            id="cov-shift", options=[{"label": _("Day shift"), "value": "day"},
                                     {"label": _("Night shift"), "value": "night"}],
            placeholder=_("Both shifts"), clearable=True), "cov-shift", md=2),
        _control(_("Weekday"), dcc.Dropdown(
            id="cov-weekday", options=[{"label": _(w), "value": i} for i, w in enumerate(WEEKDAYS)],
            placeholder=_("Today"), clearable=True), "cov-weekday", md=2),
        _control(_("Take a crew off"), dcc.Dropdown(id="cov-exclude-crew", options=[], clearable=True,
                                                    placeholder=_("Nobody")), "cov-exclude-crew", md=2),
        _control(_("Take a depot off"), dcc.Dropdown(id="cov-exclude-depot", options=[], clearable=True,
                                                     placeholder=_("None")), "cov-exclude-depot", md=2),
        _control(_("View"), dbc.RadioItems(
            id="cov-view", value="minutes", className="small",
            options=[{"label": _("Nearest crew time"), "value": "minutes"},
                     {"label": _("Expected coverage (busy crews)"), "value": "expected"}]), "cov-view", md=2),
        _control(_("Ticket period"), html.Div([
            dcc.DatePickerRange(id="cov-period", start_date=start, end_date=end, display_format="YYYY-MM-DD",
                                first_day_of_week=1, className="d-block"),
            dbc.Switch(id="cov-demand", value=True, label=_("Show class-1/2 tickets"), className="small"),
        ]), "cov-period", md=2),
    ], className="g-2 align-items-start mb-2")
    return html.Div([row1, row2], id="cov-controls")


def _side_cards() -> list[dbc.Card]:
    return [
        dbc.Card([dbc.CardHeader(_("Who can reach this point"), className="py-1 px-2 small fw-semibold"),
                  dbc.CardBody(html.Div(_("Click a hexagon on the map to see which crews on shift reach it "
                                          "within T, and in how long."), className="small text-muted"),
                               id="cov-reach", className="p-2")], className="mb-2"),
        dbc.Card([dbc.CardHeader(_("Tickets in the selected risk hexagon"), className="py-1 px-2 small fw-semibold"),
                  dbc.CardBody(html.Div(_("Select a row of the risk table."), className="small text-muted"),
                               id="cov-tickets", className="p-2")], className="mb-2"),
        standing_card(_),
    ]


@page_layout(ACTION)
def layout(**_query) -> html.Div:
    ctx = context()
    now = ctx.clock()
    tz = ctx.settings.timezone
    end = format_datetime(now, tz, "%Y-%m-%d")
    start = (date.fromisoformat(end) - DEMAND_PERIOD + timedelta(days=1)).isoformat()
    first = _render(CoverageQuery(), start, end, "minutes", True)
    return html.Div([
        dcc.Store(id="cov-query", data=first["query"]),
        dcc.Store(id="cov-selected"),
        dcc.Store(id="cov-stand-data"),
        dcc.Download(id="cov-download"),
        html.H4(_("Coverage"), className="mt-1"),
        html.P(_("Drive time from the nearest crew on the road network, per hexagon, at the chosen hour's "
                 "speeds. Dates are in {zone}.").format(zone=tz), className="small text-muted mb-1"),
        _controls(start, end),
        html.Div(id="cov-message", **{"aria-live": "polite"}),
        dcc.Loading(html.Div(first["headline"], id="cov-headline"), type="dot", delay_show=400),
        dbc.Row([
            dbc.Col(dcc.Graph(id="cov-map", figure=first["figure"], style={"height": "62vh"},
                              config={"displaylogo": False, "scrollZoom": True,
                                      "toImageButtonOptions": {"filename": "coverage"}}), md=9),
            dbc.Col(_side_cards(), md=3, id="cov-side"),
        ], className="g-2"),
        html.Div([
            html.H5(_("Risk hexagons"), className="mt-2 mb-0 d-inline-block me-3"),
            dbc.Button(_("Hexagons as CSV"), id="cov-export-csv", size="sm", color="outline-secondary",
                       className="me-2"),
            dbc.Button(_("Hexagons as Excel"), id="cov-export-xlsx", size="sm", color="outline-secondary"),
        ], className="mb-1"),
        html.P(_("Much class-1 demand and poor coverage: beyond T, or under 90% expected coverage. Worst first."),
               className="small text-muted mb-1"),
        dag.AgGrid(id="cov-risk", rowData=first["risk"], columnDefs=risk_columns(_), getRowId="params.data.hex",
                   defaultColDef={"sortable": True, "resizable": True},
                   dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                     "enableClickSelection": True},
                                    "localeText": {"noRowsToShow": _("No risk hexagons in this period.")}},
                   style={"height": "30vh"}),
    ])


# ----------------------------------------------------------------------------- callbacks
@secured_callback(
    ACTION,
    output={"planned": Output("cov-shift", "disabled"), "weekday": Output("cov-weekday", "disabled"),
            "depot": Output("cov-exclude-depot", "disabled"), "scope": Output("cov-scope", "disabled")},
    inputs={"mode": Input("cov-mode", "value")},
)
def mode_controls(mode: Any) -> dict[str, bool]:
    """Shift, weekday and depot belong to the planned mode; the crew toggle to the live one."""
    planned = mode == "plan"
    return {"planned": not planned, "weekday": not planned, "depot": not planned, "scope": planned}


@secured_callback(
    ACTION,
    output={"figure": Output("cov-map", "figure"), "headline": Output("cov-headline", "children"),
            "risk": Output("cov-risk", "rowData"), "message": Output("cov-message", "children"),
            "crews": Output("cov-exclude-crew", "options"), "depots": Output("cov-exclude-depot", "options"),
            "query": Output("cov-query", "data"),
            "stand": Output("cov-stand-result", "children", allow_duplicate=True),
            "stand_data": Output("cov-stand-data", "data", allow_duplicate=True)},
    inputs={"minutes_choice": Input("cov-minutes", "value"), "custom": Input("cov-minutes-custom", "value"),
            "mode": Input("cov-mode", "value"), "every_crew": Input("cov-scope", "value"),
            "shift": Input("cov-shift", "value"), "weekday": Input("cov-weekday", "value"),
            "hour": Input("cov-hour", "value"), "resolution": Input("cov-resolution", "value"),
            "exclude_crew": Input("cov-exclude-crew", "value"), "exclude_depot": Input("cov-exclude-depot", "value"),
            "view": Input("cov-view", "value"), "start": Input("cov-period", "start_date"),
            "end": Input("cov-period", "end_date"), "show_demand": Input("cov-demand", "value")},
    prevent_initial_call=True,
)
def update(minutes_choice, custom, mode, every_crew, shift, weekday, hour, resolution, exclude_crew, exclude_depot,
           view, start, end, show_demand) -> dict[str, Any]:
    """Recompute on any control; a refused one keeps the last good map and says which control was wrong."""
    if dash.ctx.triggered_id == "cov-minutes-custom" and minutes_choice != CUSTOM:
        raise PreventUpdate  # typing a custom number only counts once "Other" is chosen
    if minutes_choice == CUSTOM and custom in (None, ""):
        raise PreventUpdate  # "Other" chosen, nothing typed yet
    query = control_query(minutes_choice, custom, mode, every_crew, shift, weekday, hour, resolution,
                          exclude_crew, exclude_depot)
    cleared = {"stand": hint(_), "stand_data": None}  # a suggestion belongs to the controls it was made for
    try:
        return {**_render(query, start, end, view, show_demand), **cleared}
    except ServiceError as exc:
        alert = dbc.Alert([html.B(_("Not updated: ")), "; ".join(control_errors(exc, _))], color="danger",
                          id="cov-error", className="py-1 px-2 small mb-2")
        return {"figure": _moves_patch(None), "headline": no_update, "risk": no_update, "message": alert,
                "crews": no_update, "depots": no_update, "query": no_update, **cleared}


@secured_callback(
    ACTION,
    output={"selected": Output("cov-selected", "data"), "reach": Output("cov-reach", "children"),
            "tickets": Output("cov-tickets", "children"), "figure": Output("cov-map", "figure", allow_duplicate=True)},
    inputs={"click": Input("cov-map", "clickData"), "rows": Input("cov-risk", "selectedRows")},
    state={"query": State("cov-query", "data")},
    prevent_initial_call=True,
)
def select_hex(click, rows, query) -> dict[str, Any]:
    """A click on the map or a risk row selects a hexagon: outlined, with the crews that reach it in T."""
    from_grid = dash.ctx.triggered_id == "cov-risk"
    hex_id = (rows[0].get("hex") if rows and isinstance(rows[0], dict) else None) if from_grid else clicked_hex(click)
    ring = hex_ring(hex_id) if isinstance(hex_id, str) else None
    if ring is None:
        raise PreventUpdate
    ctx = context()
    base = _base(query)
    lon, lat = ring.centre
    patch = Patch()
    patch["data"][TRACE_INDEX["selected"]]["lon"] = ring.lon
    patch["data"][TRACE_INDEX["selected"]]["lat"] = ring.lat
    tickets: Any = no_update
    with ctx.read_session() as db:
        try:
            crews = reachable_crews(db, ctx.service_area.network, ctx.clock(), lon, lat, base.minutes, base.hour)
            reach = reachable_list(crews, base.minutes, _)
        except ServiceError as exc:
            reach = html.Div("; ".join(control_errors(exc, _)), className="small text-danger")
        if from_grid:
            ids = [int(i) for i in rows[0].get("ticket_ids") or [] if isinstance(i, int)]
            numbers = ticket_numbers(db, ids)
            tickets = html.Ul([html.Li(numbers[i]) for i in ids if i in numbers], className="small mb-0 ps-3",
                              id="cov-ticket-list")
    return {"selected": hex_id, "reach": reach, "tickets": tickets, "figure": patch}


def _base(query: Any) -> CoverageQuery:
    if not isinstance(query, dict):
        raise PreventUpdate
    return CoverageQuery(**{k: v for k, v in query.items() if k in CoverageQuery.__dataclass_fields__})


def _export(query: Any) -> CoverageReport:
    ctx = context()
    with ctx.read_session() as db:
        return coverage(db, ctx.service_area.network, ctx.clock(), _base(query))


def _stamp() -> str:
    ctx = context()
    return format_datetime(ctx.clock(), ctx.settings.timezone, "%Y%m%d-%H%M")


@secured_callback(
    ACTION,
    output={"download": Output("cov-download", "data", allow_duplicate=True)},
    inputs={"csv": Input("cov-export-csv", "n_clicks"), "xlsx": Input("cov-export-xlsx", "n_clicks")},
    state={"query": State("cov-query", "data")},
    prevent_initial_call=True,
)
def export(csv, xlsx, query) -> dict[str, Any]:
    """The hexes of the last good map as CSV (ids as text) or as an Excel workbook."""
    as_csv = dash.ctx.triggered_id == "cov-export-csv"
    if not (csv if as_csv else xlsx):
        raise PreventUpdate
    table = _export(query)
    if as_csv:
        return {"download": dcc.send_string(hex_csv(table), f"coverage-{_stamp()}.csv")}
    data = hex_xlsx(table)
    return {"download": dcc.send_bytes(lambda out: out.write(data), f"coverage-{_stamp()}.xlsx")}



# ----------------------------------------------------------------------------- where to stand
def _moves_patch(plan: dict[str, Any] | None) -> Patch:
    """The moves trace of the map set to ``plan``'s moves (none: cleared); the other traces stay."""
    patch = Patch()
    for key, value in move_lines(plan).items():
        patch["data"][TRACE_INDEX["moves"]][key] = value
    return patch


@secured_callback(
    ACTION,
    output={"result": Output("cov-stand-result", "children", allow_duplicate=True),
            "data": Output("cov-stand-data", "data", allow_duplicate=True),
            "figure": Output("cov-map", "figure", allow_duplicate=True)},
    inputs={"n_clicks": Input("cov-stand-go", "n_clicks"), "model": Input("cov-stand-model", "value"),
            "crews": Input("cov-stand-crews", "value")},
    state={"query": State("cov-query", "data")},
    prevent_initial_call=True,
)
def suggest(n_clicks, model, crews, query) -> dict[str, Any]:
    """Suggest waiting places for the map's query; changing the model or the count clears the last suggestion."""
    if dash.ctx.triggered_id != "cov-stand-go":
        return {"result": hint(_), "data": None, "figure": _moves_patch(None)}
    if not n_clicks:
        raise PreventUpdate
    ctx = context()
    try:
        with ctx.read_session() as db:
            plan = positions_json(suggest_standing(
                db, ctx.service_area.network, ctx.clock(), _base(query), crews=crew_count(crews), model=model,
                streets=ctx.service_area.node_street))
    except ServiceError as exc:
        error = html.Div("; ".join(control_errors(exc, _)), className="small text-danger", id="cov-stand-error")
        return {"result": error, "data": None, "figure": _moves_patch(None)}
    data = {"plan": plan, "results": {}}
    return {"result": moves_list(plan, {}, may(SEND_ACTION), _), "data": data, "figure": _moves_patch(plan)}


@secured_callback(
    SEND_ACTION,
    output={"result": Output("cov-stand-result", "children", allow_duplicate=True),
            "data": Output("cov-stand-data", "data", allow_duplicate=True)},
    inputs={"one": Input({"type": SEND_TYPE, "crew": ALL}, "n_clicks"),
            "every": Input("cov-stand-send-all", "n_clicks")},
    state={"data": State("cov-stand-data", "data")},
    prevent_initial_call=True,
)
def send(one, every, data) -> dict[str, Any]:
    """Send one suggested move (or every one not sent yet) as the crew's standby, each in its own transaction.

    One crew's refusal (it got an order meanwhile) must not hold back the others, so each move is its
    own unit of work and its result is shown on its row.
    """
    trigger = dash.ctx.triggered_id
    fired = dash.ctx.triggered[0]["value"] if dash.ctx.triggered else None
    if not fired or not isinstance(data, dict) or not isinstance(data.get("plan"), dict):
        raise PreventUpdate  # a button drawn anew, not clicked
    plan, results = data["plan"], dict(data.get("results") or {})
    if isinstance(trigger, dict):
        chosen = [m for m in plan["moves"] if m["crew_id"] == trigger.get("crew")]
    else:
        chosen = [m for m in plan["moves"] if results.get(str(m["crew_id"])) != SENT]
    ctx = context()
    actor = current_actor()
    for move in chosen:
        try:
            unit_of_work.run(ctx.sessions, lambda db, m=move: send_standby(
                db, actor, m["crew_id"], m["to_lon"], m["to_lat"], note=STANDBY_NOTE, now=ctx.clock(),
                locator=ctx.locator))
            results[str(move["crew_id"])] = SENT
        except ServiceError as exc:
            results[str(move["crew_id"])] = service_error_text(exc)
    return {"result": moves_list(plan, results, may(SEND_ACTION), _), "data": {"plan": plan, "results": results}}
