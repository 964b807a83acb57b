"""The schedule board's callbacks on the dispatch page (layout: ``dashboard.components.schedule_panel``).

Not a page of its own: :func:`define_callbacks` is called by ``dashboard/pages/dispatch.py`` while
that module is loaded, which Dash does afresh for every app the factory builds, so each app gets
these callbacks too (a plain module-level ``@callback`` would bind them to the first app only).

The board is drawn only while its tab is shown: on opening the tab, on the page's 15-s refresh, after
a change made on the page (``dispatch-changed``), after "Plan all" and when the selection changes.
A click on a bar selects its ticket in the page's one selection store (``dispatch-selected``): the
ticket list follows, the recommendation panel opens it and the map centres on it.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, Patch, State
from dash.exceptions import PreventUpdate

from dashboard.components.schedule_board import schedule_figure, ticket_of_click
from dashboard.components.schedule_panel import SCHEDULE_TAB, selected_view, summary_text
from dashboard.context import context
from dashboard.i18n import _, format_datetime
from dashboard.labels import label
from dashboard.security import secured_callback
from ops.reads.order_state import ticket_brief
from ops.reads.schedule import schedule_board

#: The map's zoom when it centres on a ticket selected on the board.
CENTRE_ZOOM = 14


def draw(selected: str | None) -> dict[str, Any]:
    """The board, its summary and the selected bar's line, from one read."""
    ctx = context()
    now = ctx.clock()
    tz = ctx.settings.timezone
    with ctx.read_session() as db:
        board = schedule_board(db, now)
    bar = board.bar_of(selected) if selected else None
    crew = next((c.code for c in board.crews if bar is not None and c.crew_id == bar.crew_id), None)
    return {"figure": schedule_figure(board, _=_, timezone=tz, selected=selected, label=label),
            "summary": summary_text(board, tz, _, format_datetime),
            "selected": selected_view(bar, crew, selected, tz, _, format_datetime, label)}


def define_callbacks() -> None:
    """Register the board's callbacks with the app being built (see the module docstring)."""

    @secured_callback(
        "board.view",
        output={"figure": Output("schedule-graph", "figure"), "summary": Output("schedule-summary", "children"),
                "selected": Output("schedule-selected", "children")},
        inputs={"tab": Input("dispatch-view-tabs", "active_tab"), "tick": Input("dispatch-refresh", "n_intervals"),
                "changed": Input("dispatch-changed", "data"), "ticket_no": Input("dispatch-selected", "data"),
                "planned": Input("plan-grid", "rowData")},
    )
    def show_board(tab: str | None, tick: int | None, changed: int | None, ticket_no: str | None,
                   planned: list | None) -> dict[str, Any]:
        """Drawn only while its tab is shown: a hidden board costs nothing on the 15-s refresh."""
        if tab != SCHEDULE_TAB:
            raise PreventUpdate
        return draw(ticket_no)

    @secured_callback(
        "board.view",
        output={"selected": Output("dispatch-selected", "data", allow_duplicate=True),
                "rows": Output("open-tickets-grid", "selectedRows", allow_duplicate=True),
                "map": Output("dispatch-map", "figure", allow_duplicate=True)},
        inputs={"click": Input("schedule-graph", "clickData")},
        state={"current": State("dispatch-selected", "data")},
        prevent_initial_call=True,
    )
    def select_from_board(click: dict | None, current: str | None) -> dict[str, Any]:
        """The page's one selection: the list selects the row, the map centres on the ticket."""
        ticket_no = ticket_of_click(click)
        if not ticket_no or ticket_no == current:
            raise PreventUpdate
        ctx = context()
        with ctx.read_session() as db:
            brief = ticket_brief(db, ticket_no)
        if brief is None:
            raise PreventUpdate
        centre = Patch()
        centre["layout"]["map"]["center"] = {"lon": brief.lon, "lat": brief.lat}
        centre["layout"]["map"]["zoom"] = CENTRE_ZOOM
        # A new revision lets the centre win over where the dispatcher last panned the map.
        centre["layout"]["uirevision"] = f"dispatch-map-{ticket_no}"
        return {"selected": ticket_no, "rows": {"ids": [ticket_no]}, "map": centre}

