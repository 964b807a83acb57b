"""The dispatch page's left column as tabs: the map, and the schedule board beside it.

Layout only: the board's callbacks are :mod:`dashboard.pages.dispatch_schedule`. Both tabs stay in
the page (Bootstrap hides the inactive one), so the map keeps its live refresh and its selection
halo while the board is shown, and the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from ops.reads.schedule import Bar, ScheduleBoard

Translate = Callable[[str], str]

MAP_TAB = "view-map"
SCHEDULE_TAB = "view-schedule"


#: Field ids of the move form under which a service's refusal is shown (``ServiceError.field``).
MOVE_FIELDS = ("crew_id", "position", "reason")


def view_tabs(map_graph: Any, _: Translate, *, can_move: bool = False) -> dbc.Tabs:
    """The map and the schedule board as two tabs; the map is shown first."""
    return dbc.Tabs([
        dbc.Tab(map_graph, label=_("Map"), tab_id=MAP_TAB),
        dbc.Tab(schedule_tab(_, can_move=can_move), label=_("Schedule board"), tab_id=SCHEDULE_TAB,
                id="schedule-tab"),
    ], id="dispatch-view-tabs", active_tab=MAP_TAB)


def _error(field: str) -> html.Div:
    return html.Div(id=f"schedule-err-{field}", className="text-danger small", **{"aria-live": "polite"})


def move_form(_: Translate) -> html.Div:
    """Move the selected committed order (another crew, another place, back to unassigned), or confirm
    the selected proposal; hidden until a bar is selected (``schedule-move`` / ``schedule-confirm-row``)."""
    return html.Div([
        html.Div(id="schedule-move", hidden=True, children=dbc.Row([
            dbc.Col([dcc.Dropdown(id="schedule-move-crew", options=[], clearable=True, className="small",
                                  placeholder=_("Move to crew")), _error("crew_id")], md=3),
            dbc.Col([dbc.Input(id="schedule-move-position", type="number", min=1, step=1, size="sm",
                               placeholder=_("Place (1 = next)")), _error("position")], md=2),
            dbc.Col([dbc.Textarea(id="schedule-move-reason", rows=1, maxLength=2000, className="form-control-sm",
                                  placeholder=_("Reason (where the rules ask for one)")), _error("reason")], md=3),
            dbc.Col([dbc.Button(_("Move"), id="schedule-move-go", color="primary", size="sm", className="me-1"),
                     dbc.Button(_("Back to unassigned"), id="schedule-unassign", color="outline-danger",
                                size="sm")], md=4),
        ], className="g-1")),
        html.Div(id="schedule-confirm-row", hidden=True, children=dbc.Button(
            _("Confirm this proposal"), id="schedule-confirm", color="success", size="sm")),
        html.Div(id="schedule-move-message", className="mt-1"),
    ], className="mt-1")


def schedule_tab(_: Translate, *, can_move: bool = False) -> html.Div:
    """The board's frame: a summary line, the timeline (scrolling with many crews), the selected bar and,
    for those who may dispatch, the form that moves it."""
    return html.Div([
        dcc.Store(id="schedule-bar"),
        html.Div(id="schedule-summary", className="small text-muted mb-1"),
        html.Div(
            dcc.Graph(id="schedule-graph", figure={"data": [], "layout": {"height": 240}},
                      config={"displaylogo": False, "scrollZoom": True, "modeBarButtonsToRemove": ["select2d",
                                                                                                    "lasso2d"]}),
            id="schedule-scroll", style={"maxHeight": "48vh", "overflowY": "auto"},
        ),
        html.Div(id="schedule-selected", className="small mt-1"),
        move_form(_) if can_move else None,
    ], className="pt-1")


def summary_text(board: ScheduleBoard, timezone: str, _: Translate,
                 fmt: Callable[[datetime | None, str, str], str]) -> str:
    """How many crews and jobs the board shows, and how old its plan is (a stale plan says so)."""
    committed = sum(len(c.committed) for c in board.crews)
    proposed = sum(len(c.proposals) for c in board.crews)
    text = _("{crews} crews on shift · {committed} orders · {proposed} proposals").format(
        crews=len(board.crews), committed=committed, proposed=proposed)
    if board.plan_at is None:
        return text + " · " + _("no plan in force: times are estimates")
    return text + " · " + _("plan in force of {time}").format(time=fmt(board.plan_at, timezone, "%H:%M:%S"))


def selected_view(bar: Bar | None, crew_code: str | None, ticket_no: str | None, timezone: str, _: Translate,
                  fmt: Callable[[datetime | None, str, str], str], label: Callable[[str], str]) -> Any:
    """What the board knows about the selected ticket: its crew, place in the queue and times."""
    if ticket_no is None:
        return html.Span(_("Click a bar to select its ticket (the map and the list follow)."),
                         className="text-muted")
    if bar is None:
        return html.Span(_("{ticket} is not on the board: no crew holds it and the plan proposes none.").format(
            ticket=ticket_no), className="text-muted", id="schedule-selected-ticket")

    def clock(value: datetime) -> str:
        return fmt(value, timezone, "%H:%M")

    kind = (_("position {n} in the queue").format(n=bar.position) if bar.committed and bar.position else
            _("current order") if bar.committed else _("proposed by the plan"))
    parts = [html.B(bar.ticket_no, id="schedule-selected-ticket"), " · ", html.Span(crew_code or "",
                                                                                   id="schedule-selected-crew"),
             " · ", kind, " · ", label(bar.status) if bar.committed else "",
             " · ", _("ETA"), " ", html.Span(clock(bar.eta), id="schedule-selected-eta"),
             " · ", _("ends {time}").format(time=clock(bar.end))]
    if bar.late:
        parts += [" · ", html.Span(_("late"), className="text-danger fw-semibold")]
    return html.Div(parts)


def bar_store(bar: Bar | None) -> dict[str, Any] | None:
    """What the move and confirm callbacks need of the selected bar (and nothing the browser may not see)."""
    if bar is None:
        return None
    return {"kind": bar.kind, "order_id": bar.order_id, "version": bar.order_version, "ticket_id": bar.ticket_id,
            "ticket_no": bar.ticket_no, "crew_id": bar.crew_id, "position": bar.position}


def crew_options(board: ScheduleBoard) -> list[dict[str, Any]]:
    return [{"label": f"{c.code} · {c.name}", "value": c.crew_id} for c in board.crews]
