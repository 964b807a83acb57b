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

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State
from dash.exceptions import PreventUpdate

from dashboard import security
from dashboard.components.common import row_in_view
from dashboard.components.schedule_board import schedule_figure, ticket_of_click
from dashboard.components.schedule_panel import (
    MOVE_FIELDS,
    SCHEDULE_TAB,
    bar_store,
    crew_options,
    selected_view,
    summary_text,
)
from dashboard.context import context
from dashboard.errors import field_texts, service_error_text
from dashboard.i18n import _, format_datetime
from dashboard.labels import label
from dashboard.security import current_actor
from ops import unit_of_work
from ops.errors import ServiceError
from ops.reads.order_state import latest_recommendation, ticket_brief
from ops.reads.schedule import schedule_board
from ops.recommendations import StoredRecommendation
from ops.scheduler import retime
from ops.services.queue import move_order
from ops.services.work_orders import confirm_dispatch

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
            "selected": selected_view(bar, crew, selected, tz, _, format_datetime, label),
            "bar": {"bar": bar_store(bar), "crews": crew_options(board)}}


def _alert(text: str, colour: str, element_id: str, **kwargs: Any) -> dbc.Alert:
    return dbc.Alert(text, color=colour, className="py-1 px-2 mb-0 small", id=element_id, **kwargs)


def _refused(exc: ServiceError) -> dict[str, Any]:
    """A refusal: each message under its field, the rest in the message line; nothing typed is lost."""
    errors = {name: "" for name in MOVE_FIELDS}
    shown = field_texts(exc, list(MOVE_FIELDS))
    errors.update(shown)
    rest = [p for p in exc.problems if (p.field or "").split("[", 1)[0] not in shown]
    text = _("Nothing was changed: see the message under the field.") if not rest else (
        _("Nothing was changed:") + " " + service_error_text(ServiceError.of(rest)))
    return {**{f"err_{name}": text_ for name, text_ in errors.items()},
            "message": _alert(text, "danger", "schedule-move-error"), "changed": dash.no_update,
            "reason": dash.no_update}


def define_callbacks() -> None:
    """Register the board's callbacks with the app being built (see the module docstring)."""

    @security.secured_callback(
        "board.view",
        output={"figure": Output("schedule-graph", "figure"), "summary": Output("schedule-summary", "children"),
                "selected": Output("schedule-selected", "children"), "bar": Output("schedule-bar", "data")},
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

    @security.secured_callback(
        "board.view",
        output={"selected": Output("dispatch-selected", "data", allow_duplicate=True),
                "rows": Output("open-tickets-grid", "selectedRows", allow_duplicate=True),
                "scroll": Output("open-tickets-grid", "scrollTo", allow_duplicate=True),
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
        return {"selected": ticket_no, "rows": {"ids": [ticket_no]}, "scroll": row_in_view(ticket_no), "map": centre}


    @security.secured_callback(
        "dispatch.confirm",
        output={"move_hidden": Output("schedule-move", "hidden"),
                "confirm_hidden": Output("schedule-confirm-row", "hidden"),
                "options": Output("schedule-move-crew", "options")},
        inputs={"store": Input("schedule-bar", "data")},
        prevent_initial_call=True,
    )
    def show_move_form(store: dict | None) -> dict[str, Any]:
        """The move form for a committed order, the confirm button for a proposal."""
        bar = (store or {}).get("bar")
        return {"move_hidden": not (bar and bar["kind"] == "committed"),
                "confirm_hidden": not (bar and bar["kind"] == "proposed"),
                "options": (store or {}).get("crews") or []}

    move_out = {**{f"err_{name}": Output(f"schedule-err-{name}", "children") for name in MOVE_FIELDS},
                "message": Output("schedule-move-message", "children"),
                "changed": Output("dispatch-changed", "data", allow_duplicate=True),
                "reason": Output("schedule-move-reason", "value")}

    @security.secured_callback(
        "dispatch.confirm",
        output=move_out,
        inputs={"n_move": Input("schedule-move-go", "n_clicks"), "n_unassign": Input("schedule-unassign", "n_clicks"),
                "n_confirm": Input("schedule-confirm", "n_clicks")},
        state={"store": State("schedule-bar", "data"), "crew_id": State("schedule-move-crew", "value"),
               "position": State("schedule-move-position", "value"), "reason": State("schedule-move-reason", "value"),
               "changed": State("dispatch-changed", "data")},
        prevent_initial_call=True,
    )
    def move(n_move: int | None, n_unassign: int | None, n_confirm: int | None, store: dict | None,
             crew_id: int | None, position: Any, reason: str | None, changed: int | None) -> dict[str, Any]:
        """R7.6: move the selected order or confirm the selected proposal through the services; then the
        plan in force is retimed, so that every bar shows its new ETA when the board redraws."""
        trigger = dash.ctx.triggered_id
        clicks = {"schedule-move-go": n_move, "schedule-unassign": n_unassign, "schedule-confirm": n_confirm}
        bar = (store or {}).get("bar")
        if not bar or not clicks.get(trigger):
            raise PreventUpdate
        ctx = context()
        now = ctx.clock()
        actor = current_actor()
        if trigger == "schedule-move-go" and crew_id is None:
            return _refused(ServiceError("required", "crew_id"))
        if position not in (None, "") and (isinstance(position, bool) or not float(position).is_integer()):
            return _refused(ServiceError("queue.position", "position"))
        place = int(position) if position not in (None, "") else None

        def act(db: Any) -> str:
            if trigger == "schedule-confirm":
                row = latest_recommendation(db, int(bar["ticket_id"]))
                rec = StoredRecommendation.from_row(row) if row is not None else None
                followed = rec is not None and rec.top is not None and rec.top.crew_id == bar["crew_id"]
                order = confirm_dispatch(db, actor, int(bar["ticket_id"]), int(bar["crew_id"]),
                                         row.id if row is not None else None, now,
                                         override_reason=None if followed else reason)
                return _("{ticket} confirmed for {crew}.").format(ticket=bar["ticket_no"], crew=order.crew.code)
            target = None if trigger == "schedule-unassign" else int(crew_id)
            order = move_order(db, actor, int(bar["order_id"]), now, crew_id=target, position=place, reason=reason,
                               version=bar.get("version"))
            if order is None:
                return _("{ticket} is back with the unassigned tickets.").format(ticket=bar["ticket_no"])
            return _("{ticket} moved to {crew}.").format(ticket=bar["ticket_no"], crew=order.crew.code)

        try:
            done = unit_of_work.run(ctx.sessions, act)
        except ServiceError as exc:
            return _refused(exc)
        retime(ctx.sessions, now, ctx.service_area.network)
        return {**{f"err_{name}": "" for name in MOVE_FIELDS},
                "message": _alert(done, "success", "schedule-moved", duration=8000),
                "changed": (changed or 0) + 1, "reason": ""}
