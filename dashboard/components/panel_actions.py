"""The recommendation panel's actions on a ticket that already exists: reassign or cancel its order,
send the crew an R7.2 escalation proposed, change its class (R6.5), and the warning before sending a
crew that lacks the skill the ticket needs.

Layout builders and the values the panel shows for one ticket, as pure functions of plain rows, so
they are unit-tested without a browser; ``dashboard/pages/dispatch_orders.py`` wires them. Every
control's refusal is shown under the field the service names (``ord-err-<field>``, ``cls-err-<field>``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import Output, dcc, html

from dashboard.labels import label
from ops import rules
from ops.dispatching import missing_skill

Translate = Callable[[str], str]


def _slot_hours() -> list[tuple[int, int]]:
    """The local (start, end) hours of the R6.4 slots the hotline offers too: every day offers the same
    wall-clock slots, so today's grid names them."""
    return [(s.hour, e.hour) for s, e in rules.day_slots(datetime.now(rules.local_zone()).date())]



def _error(element_id: str) -> html.Div:
    return html.Div(id=element_id, className="text-danger small", **{"aria-live": "polite"})


def skill_confirm(prefix: str, _: Translate) -> html.Div:
    """The warning next to a crew choice and the tick that confirms sending it anyway (hidden until needed)."""
    return html.Div([
        html.Div(id=f"{prefix}-skill-warning", className="text-warning-emphasis small fw-semibold"),
        dbc.Checklist(id=f"{prefix}-skill-ok", value=[], className="small",
                      options=[{"label": _("Send it without this skill"), "value": "ok"}]),
    ], id=f"{prefix}-skill-confirm", hidden=True)


def order_actions_frame(_: Translate) -> html.Div:
    """Reassign or cancel the ticket's order with a reason, and the R7.2 next-best crew when one is proposed."""
    return html.Div([
        html.Div([
            html.Span(_("Next-best crew proposed (R7.2)") + ": "),
            html.B(id="ord-next-best-crew", className="me-2"),
            dbc.Button(_("Send"), id="ord-send-next", color="warning", size="sm", className="py-0"),
        ], id="ord-next-best", hidden=True, className="alert alert-warning py-1 px-2 mb-2 small"),
        dbc.Row([
            dbc.Col([
                dcc.Dropdown(id="ord-crew", options=[], clearable=True, placeholder=_("Reassign to crew"),
                             className="small"),
                _error("ord-err-crew_id"),
                skill_confirm("ord", _),
            ], md=4),
            dbc.Col([
                dbc.Textarea(id="ord-reason", rows=1, maxLength=2000, className="form-control-sm",
                             placeholder=_("Reason (required)")),
                _error("ord-err-reason"),
            ], md=4),
            dbc.Col([
                dbc.Button(_("Reassign"), id="ord-reassign", color="outline-primary", size="sm",
                           className="me-1 mb-1"),
                dbc.Button(_("Cancel order"), id="ord-cancel", color="outline-danger", size="sm", className="mb-1"),
            ], md=4),
        ], className="g-2"),
    ], id="ord-actions", hidden=True, className="mt-2 pt-2 border-top")


def class_change_frame(_: Translate) -> html.Div:
    """R6.5: the new class and why; lowering to class 3 also asks for the appointment slot (R6.4)."""
    slots = _slot_hours()
    return html.Div([
        dbc.Row([
            dbc.Col([
                dbc.Select(id="cls-to", options=[], size="sm"),
                _error("cls-err-class"),
            ], md=3),
            dbc.Col([
                dbc.Textarea(id="cls-reason", rows=1, maxLength=2000, className="form-control-sm",
                             placeholder=_("Why the class changes (required)")),
                _error("cls-err-reason"),
            ], md=5),
            dbc.Col(dbc.Button(_("Change class"), id="cls-apply", color="outline-secondary", size="sm"), md=4),
        ], className="g-2"),
        html.Div([
            html.Span(_("Appointment slot (class 3)"), className="small fw-semibold"),
            dbc.Row([
                dbc.Col(dbc.Input(id="cls-slot-date", type="date", size="sm"), md=6),
                dbc.Col(dbc.Select(id="cls-slot-start", size="sm", value=str(slots[0][0]), options=[
                    {"label": f"{h:02d}:00–{end:02d}:00", "value": str(h)} for h, end in slots]), md=6),
            ], className="g-2"),
            _error("cls-err-appointment"),
        ], id="cls-slot-row", hidden=True, className="mt-1"),
    ], id="cls-actions", hidden=True, className="mt-2 pt-2 border-top")


#: What the panel shows of these actions, by name, and what each shows when the actions are closed
#: (a ticket that is gone, closed, or that the viewer may not act on): the panel's render and every
#: action redraw them.
_ACTIONS: Mapping[str, tuple[Output, Any]] = {
    "order_hidden": (Output("ord-actions", "hidden", allow_duplicate=True), True),
    "order_crews": (Output("ord-crew", "options", allow_duplicate=True), []),
    "order_crew": (Output("ord-crew", "value", allow_duplicate=True), None),
    "order_reason": (Output("ord-reason", "value", allow_duplicate=True), ""),
    "order_crew_error": (Output("ord-err-crew_id", "children", allow_duplicate=True), ""),
    "order_reason_error": (Output("ord-err-reason", "children", allow_duplicate=True), ""),
    "reassign_disabled": (Output("ord-reassign", "disabled", allow_duplicate=True), True),
    "next_best_hidden": (Output("ord-next-best", "hidden", allow_duplicate=True), True),
    "next_best_crew": (Output("ord-next-best-crew", "children", allow_duplicate=True), ""),
    "order": (Output("dispatch-order", "data", allow_duplicate=True), None),
    "class_hidden": (Output("cls-actions", "hidden", allow_duplicate=True), True),
    "class_options": (Output("cls-to", "options", allow_duplicate=True), []),
    "class_to": (Output("cls-to", "value", allow_duplicate=True), None),
    "class_reason": (Output("cls-reason", "value", allow_duplicate=True), ""),
    "class_error": (Output("cls-err-class", "children", allow_duplicate=True), ""),
    "class_reason_error": (Output("cls-err-reason", "children", allow_duplicate=True), ""),
    "slot_error": (Output("cls-err-appointment", "children", allow_duplicate=True), ""),
    "ticket": (Output("dispatch-ticket", "data", allow_duplicate=True), None),
    "rec_skill_hidden": (Output("rec-skill-confirm", "hidden", allow_duplicate=True), True),
    "rec_skill_ok": (Output("rec-skill-ok", "value", allow_duplicate=True), []),
    "ord_skill_hidden": (Output("ord-skill-confirm", "hidden", allow_duplicate=True), True),
    "ord_skill_ok": (Output("ord-skill-ok", "value", allow_duplicate=True), []),
}
ACTION_OUT: Mapping[str, Output] = {name: output for name, (output, _closed) in _ACTIONS.items()}


def closed_actions() -> dict[str, Any]:
    """Every action hidden and cleared."""
    return {name: closed for name, (_output, closed) in _ACTIONS.items()}


def skill_warnings(crews: Iterable[Any], ticket_class: int, symptom: str, _: Translate) -> dict[str, str]:
    """``{crew id: warning}`` for every crew that lacks the skill the ticket needs (JSON keys: strings)."""
    out = {}
    for crew in crews:
        lacking = missing_skill(ticket_class, symptom, crew.skills)
        if lacking is not None:
            out[str(crew.id)] = _("{crew} lacks the skill this ticket needs: {skill}").format(
                crew=crew.code, skill=label(lacking.value))
    return out


def skill_warning(crew_id: Any, warnings: Mapping[str, str] | None) -> str:
    """The warning for the chosen crew, or ``""`` when it has the skill (or nothing is chosen)."""
    if crew_id is None or not warnings:
        return ""
    return warnings.get(str(crew_id), "")


def crew_option(crew: Any, warnings: Mapping[str, str]) -> dict[str, Any]:
    """A crew to choose by hand, marked when it lacks the ticket's skill (the warning says which)."""
    mark = " ⚠" if str(crew.id) in warnings else ""
    return {"label": f"{crew.code} · {crew.name} · {label(crew.status)}{mark}", "value": crew.id}


def order_values(brief: Any, crews: Iterable[Any], _: Translate, *, can_cancel: bool,
                 can_reassign: bool) -> dict[str, Any]:
    """The order actions for a ticket whose order is active: every crew but its own to reassign to,
    and the R7.2 next-best crew while the order waits for an acknowledgement."""
    order = brief.order
    if order is None or not (can_cancel or can_reassign):
        return {}
    others = [c for c in crews if c.id != order.crew_id]
    warnings = skill_warnings(others, brief.ticket_class, brief.symptom, _)
    next_best = brief.next_best if can_reassign else None
    store = {"ticket_no": brief.ticket_no, "order_id": order.id, "version": order.version,
             "crew_code": order.crew_code, "unskilled": warnings,
             "next_best": None if next_best is None else {
                 "crew_id": next_best.crew_id, "crew_code": next_best.crew_code,
                 "recommendation_id": next_best.recommendation_id}}
    return {"order_hidden": False, "order_crews": [crew_option(c, warnings) for c in others],
            "reassign_disabled": not can_reassign, "next_best_hidden": next_best is None,
            "next_best_crew": next_best.crew_code if next_best is not None else "", "order": store}


def class_values(brief: Any, _: Translate) -> dict[str, Any]:
    """R6.5: the classes the ticket may change to (the service judges who may lower it)."""
    options = [{"label": _("Class {n}").format(n=n), "value": str(n)} for n in (1, 2, 3) if n != brief.ticket_class]
    return {"class_hidden": False, "class_options": options, "class_to": options[0]["value"],
            "ticket": {"ticket_id": brief.id, "ticket_no": brief.ticket_no, "class": brief.ticket_class}}


def slot_from_form(day: str | None, start: str | None) -> tuple[datetime, datetime] | None:
    """The offered slot the form names (a local day and a start hour, R6.4); ``None`` when a part is
    missing, invalid or not the start of an offered slot."""
    if not day or not start:
        return None
    try:
        slots, hour = rules.day_slots(date.fromisoformat(day)), int(start)
    except ValueError:
        return None
    return next(((s, e) for s, e in slots if s.hour == hour), None)
