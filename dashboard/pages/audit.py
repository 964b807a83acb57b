"""Audit log (R13.1): who did what, when, and what the system recommended (layout and callbacks only).

Read-only: the page searches the log through ``ops.reads.audit_search`` and offers no way to change it. The
date filter is in local calendar days of the configured time zone: "from" is local midnight and
"to" includes the whole of its day. Everything people typed (labels, notes, changed values) is
shown as plain text: the grid renders values as text and the detail panel uses ``html.Pre``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.audit_labels import action_label, entity_label, shown_value
from dashboard.context import context
from dashboard.i18n import _, format_datetime
from dashboard.labels import label
from dashboard.security import page_layout, secured_callback
from ops.i18n import N_
from ops.reads.audit_search import (
    AuditFilter,
    AuditFilterError,
    audit_actions,
    audit_crews,
    audit_event,
    change_summary,
    local_period,
    search_audit,
)

dash.register_page(__name__, path="/audit", name=N_("Audit log"), title="Gas Dispatch", order=80,
                   action="audit.view")

ACTION = "audit.view"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

#: The filter fields as the user sees them, for messages that name the field.
FIELD_LABELS: dict[str, str] = {
    "person": N_("Person"),
    "ticket_no": N_("Ticket no."),
    "crew_code": N_("Crew"),
    "action": N_("Action"),
    "since": N_("From"),
    "until": N_("To"),
    "limit": N_("Limit"),
}


def _field_label(field: str) -> str:
    return label(field, FIELD_LABELS)


def _grid_rows(rows, timezone: str) -> list[dict[str, Any]]:
    yes = _("Yes")
    return [
        {
            "row_id": str(r.id),
            "id": r.id,
            "time": format_datetime(r.at, timezone, TIME_FORMAT),
            "actor": r.actor_label,
            "action": action_label(r.action),
            "action_code": r.action,
            "entity": entity_label(r.entity),
            "reference": r.reference or "",
            "entity_id": r.entity_id or "",
            "changes": change_summary(r.changes, show=shown_value),
            "recommendation": yes if r.has_recommendation else "",
            "imported": yes if r.imported else "",
            "note": r.note or "",
        }
        for r in rows
    ]


def _columns(timezone: str) -> list[dict[str, Any]]:
    time_header = _("Time ({zone})").format(zone=timezone)
    return [
        {"field": "time", "headerName": time_header, "headerTooltip": time_header, "width": 175},
        {"field": "actor", "headerName": _("Who"), "width": 140, "tooltipField": "actor"},
        {"field": "action", "headerName": _("Action"), "width": 180, "tooltipField": "action_code"},
        {"field": "entity", "headerName": _("Record"), "width": 100},
        {"field": "reference", "headerName": _("Reference"), "width": 140, "tooltipField": "reference"},
        {"field": "entity_id", "headerName": _("ID"), "width": 60},
        {"field": "changes", "headerName": _("Changes"), "flex": 2, "minWidth": 220, "tooltipField": "changes"},
        {"field": "recommendation", "headerName": _("Recommendation"), "width": 110,
         "headerTooltip": _("The system's recommendation at that moment was recorded")},
        {"field": "imported", "headerName": _("Imported"), "width": 90,
         "headerTooltip": _("History loaded from another system")},
        {"field": "note", "headerName": _("Note"), "flex": 1, "minWidth": 100, "tooltipField": "note"},
    ]


def _count_text(shown: int, total: int) -> str:
    if total == 0:
        return _("No matching events.")
    if shown < total:
        return _("Showing the newest {shown} of {total} matching events.").format(
            shown=f"{shown:,}", total=f"{total:,}")
    return _("Matching events: {total}").format(total=f"{total:,}")


def _problem_text(exc: AuditFilterError) -> str:
    """A refused filter in the user's language, naming the field as the form labels it."""
    field = _field_label(exc.field)
    if exc.code == "audit.until_before_since":
        return _("“{to}” is before “{since}”: pick a “{to}” date on or after the “{since}” date.").format(
            to=_field_label("until"), since=_field_label("since"))
    if exc.code == "audit.too_long":
        return _("“{field}” is too long.").format(field=field)
    return _("“{field}” is not valid.").format(field=field)


def _parse_day(value: Any, field: str) -> date | None:
    """The date a date picker sent ('YYYY-MM-DD', possibly with a time part), or None when empty."""
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise AuditFilterError("audit.not_date", field, {"value": repr(value)}) from None


def _search(person, ticket_no, crew_code, action, start, end, include_imported) -> tuple[list, int]:
    """Build the filter (raising AuditFilterError for bad input) and run the search."""
    ctx = context()
    since, until = local_period(_parse_day(start, "since"), _parse_day(end, "until"), ctx.settings.timezone)
    flt = AuditFilter(
        person=person or None, ticket_no=ticket_no or None, crew_code=crew_code or None,
        action=action or None, since=since, until=until, include_imported=bool(include_imported),
    )
    with ctx.read_session() as session:
        return search_audit(session, flt)


def _choices() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    with context().read_session() as session:
        actions = audit_actions(session)
        crews = audit_crews(session)
    prefixes = sorted({a.split(".", 1)[0] for a in actions if "." in a})
    action_options = [{"label": _("{prefix}.* (all)").format(prefix=p), "value": f"{p}."} for p in prefixes]
    action_options += [{"label": f"{action_label(a)} ({a})", "value": a} for a in actions]
    crew_options = [{"label": f"{code} · {name}", "value": code} for code, name in crews]
    return action_options, crew_options


def _filter_col(label: str, control, html_for: str, **width: int) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=html_for, className="small mb-0"), control], **width)


@page_layout(ACTION)
def layout(**_query) -> html.Div:
    ctx = context()
    tz = ctx.settings.timezone
    action_options, crew_options = _choices()
    rows, total = _search(None, None, None, None, None, None, True)
    date_props = {"display_format": "YYYY-MM-DD", "clearable": True, "first_day_of_week": 1,
                  "className": "d-block"}
    filters = dbc.Row(
        [
            _filter_col(_("Person"), dbc.Input(id="audit-person", type="text", maxLength=200,
                                               placeholder=_("Name or username")),
                        "audit-person", md=2),
            _filter_col(_("Ticket no."), dbc.Input(id="audit-ticket", type="text", maxLength=32),
                        "audit-ticket", md=2),
            _filter_col(_("Crew"), dcc.Dropdown(id="audit-crew", options=crew_options, placeholder=_("Any crew"),
                                                searchable=True, clearable=True),
                        "audit-crew", md=2),
            _filter_col(_("Action"), dcc.Dropdown(id="audit-action", options=action_options,
                                                  placeholder=_("Any action"), searchable=True, clearable=True),
                        "audit-action", md=2),
            _filter_col(_("From"), dcc.DatePickerSingle(id="audit-from", placeholder=_("From"), **date_props),
                        "audit-from", md=2),
            _filter_col(_("To"), dcc.DatePickerSingle(id="audit-to", placeholder=_("To"), **date_props),
                        "audit-to", md=2),
        ],
        className="g-2 align-items-end mb-2",
    )
    actions = html.Div(
        [
            dbc.Button(_("Search"), id="audit-search", color="primary", size="sm", className="me-3 px-4"),
            dbc.Checkbox(id="audit-imported", value=True, label=_("Include imported history"),
                         className="small mb-0"),
        ],
        className="d-flex align-items-center mb-2",
    )
    return html.Div(
        [
            html.H4(_("Audit log"), className="mt-1"),
            html.P(
                _("Who did what, when, and what the system recommended. The log is append-only: "
                  "entries cannot be changed or deleted. Dates and times are in {zone}.").format(zone=tz),
                className="small text-muted mb-2",
            ),
            filters,
            actions,
            html.Div(id="audit-message"),
            html.Div(_count_text(len(rows), total), id="audit-count", className="small text-muted mb-1"),
            dag.AgGrid(
                id="audit-grid",
                rowData=_grid_rows(rows, tz),
                columnDefs=_columns(tz),
                getRowId="params.data.row_id",
                defaultColDef={"sortable": True, "resizable": True},
                dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                  "enableClickSelection": True},
                                 "tooltipShowDelay": 300,
                                 "localeText": {"noRowsToShow": _("No matching events.")}},
                style={"height": "60vh"},
            ),
            html.Div(id="audit-detail", className="mt-2"),
        ]
    )


@secured_callback(
    ACTION,
    output={
        "rows": Output("audit-grid", "rowData"),
        "count": Output("audit-count", "children"),
        "message": Output("audit-message", "children"),
        "selected": Output("audit-grid", "selectedRows"),
    },
    inputs={
        "n_clicks": Input("audit-search", "n_clicks"),
        "person_submit": Input("audit-person", "n_submit"),
        "ticket_submit": Input("audit-ticket", "n_submit"),
    },
    state={
        "person": State("audit-person", "value"),
        "ticket_no": State("audit-ticket", "value"),
        "crew_code": State("audit-crew", "value"),
        "action": State("audit-action", "value"),
        "start": State("audit-from", "date"),
        "end": State("audit-to", "date"),
        "include_imported": State("audit-imported", "value"),
    },
    prevent_initial_call=True,
)
def search(n_clicks, person_submit, ticket_submit, person, ticket_no, crew_code, action, start, end,
           include_imported) -> dict[str, Any]:
    """Run the search; a refused filter is a message naming the field, with the grid emptied."""
    if not (n_clicks or person_submit or ticket_submit):
        raise PreventUpdate
    try:
        rows, total = _search(person, ticket_no, crew_code, action, start, end, include_imported)
    except AuditFilterError as exc:
        alert = dbc.Alert(_problem_text(exc), color="danger", id="audit-error", className="py-2")
        return {"rows": [], "count": "", "message": alert, "selected": []}
    tz = context().settings.timezone
    return {"rows": _grid_rows(rows, tz), "count": _count_text(len(rows), total), "message": None, "selected": []}


def _json_block(title: str, value: Any) -> html.Div:
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) if value is not None else "—"
    pre = html.Pre(text, className="small bg-light p-2 mb-2",
                   style={"whiteSpace": "pre-wrap", "wordBreak": "break-word"})
    return html.Div([html.H6(title, className="mb-1"), pre])


@secured_callback(
    ACTION,
    Output("audit-detail", "children"),
    Input("audit-grid", "selectedRows"),
    prevent_initial_call=True,
)
def show_detail(selected):
    """The selected event in full: before, after and the recommendation recorded with it (R13.1)."""
    if not selected:
        return None
    try:
        event_id = int(selected[0]["id"])
    except (KeyError, TypeError, ValueError):
        raise PreventUpdate from None
    ctx = context()
    with ctx.read_session() as session:
        detail = audit_event(session, event_id)
    if detail is None:
        return dbc.Alert(_("This event no longer exists."), color="warning")
    row = detail.row
    heading = " · ".join(p for p in (
        format_datetime(row.at, ctx.settings.timezone, TIME_FORMAT), row.actor_label, action_label(row.action),
        entity_label(row.entity), row.reference or row.entity_id or "",
    ) if p)
    children = [html.H5(heading, className="mb-2")]
    if row.note:
        children.append(html.P([html.Strong(_("Note")), ": ", row.note], className="mb-2"))
    children.append(dbc.Row([
        dbc.Col(_json_block(_("Before"), detail.before), md=4),
        dbc.Col(_json_block(_("After"), detail.after), md=4),
        dbc.Col(_json_block(_("System recommendation"), detail.recommendation), md=4),
    ], className="g-2"))
    return dbc.Card(dbc.CardBody(children), id="audit-detail-card")
