"""Callbacks of the dispatch board's panel that act on a ticket already saved or dispatched: cancel or
reassign its order (R7.3), send the next-best crew an R7.2 escalation proposed, change its class (R6.5),
and warn before sending a crew without the skill the ticket needs.

Callbacks only, like the page itself: each calls one ``ops.services`` function through
``ops.unit_of_work.run`` and redraws the panel with the page's own renderer; a refusal is shown under
the field the service names, with everything typed kept. The dispatch page calls :func:`register`
with its panel outputs and renderer (Dash executes a page module afresh for each app, so the callbacks
are registered from there, not when this module is first imported).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from dashboard import security
from dashboard.components.panel_actions import (
    skill_warning,
    slot_from_form,
)
from dashboard.context import context
from dashboard.errors import field_texts, service_error_text
from dashboard.i18n import _
from ops import unit_of_work
from ops.errors import ConflictError, ServiceError
from ops.rules import to_local
from ops.services.intake import change_class
from ops.services.work_orders import cancel, reassign

#: Errors of the order actions and of the class change, by service field → panel output name.
#: The form fields a refusal can name, and the output that shows it (the rest go under the fallback).
_ORDER_ERRORS = {"crew_id": "order_crew_error", "reason": "order_reason_error"}
_CLASS_ERRORS = {"class": "class_error", "reason": "class_reason_error", "appointment": "slot_error"}


def _refused(panel_out: Mapping[str, Output], errors: Mapping[str, str], what: str) -> dict[str, Any]:
    """Nothing redrawn but the messages under their fields and a line saying nothing was saved."""
    return {**{name: dash.no_update for name in panel_out}, "changed": dash.no_update, **errors,
            "message": dbc.Alert(what + " " + _("See the message under the field. Nothing was saved."),
                                 color="danger", className="py-1 px-2 mb-0", id="rec-error")}


def _errors(exc: ServiceError, names: Mapping[str, str], fallback: str) -> dict[str, str]:
    texts = field_texts(exc, list(names), fallback=fallback)
    return {output: texts.get(field, "") for field, output in names.items()}


def _done(render: Callable[..., dict[str, Any]], ticket_no: str, text: str, changed: int | None) -> dict[str, Any]:
    message = dbc.Alert(text, color="success", className="py-1 px-2 mb-0", id="rec-done", duration=8000)
    return {**render(ticket_no, message), "changed": (changed or 0) + 1}


def _stale(render: Callable[..., dict[str, Any]], ticket_no: str, exc: ServiceError, changed: int | None,
           ) -> dict[str, Any]:
    """The order moved on meanwhile (another step, another dispatcher): redraw it as it is now."""
    message = dbc.Alert(_("Not done: the order changed meanwhile.") + " " + service_error_text(exc),
                        color="warning", className="py-1 px-2 mb-0", id="rec-error")
    return {**render(ticket_no, message), "changed": (changed or 0) + 1}


def register(panel_out: Mapping[str, Output], render: Callable[..., dict[str, Any]]) -> None:
    """Register the panel's order and class callbacks; ``render(ticket_no, message)`` redraws the panel."""
    outputs = {**panel_out, "changed": Output("dispatch-changed", "data", allow_duplicate=True)}

    @security.secured_callback(
        "order.update_status",
        output=outputs,
        inputs={"n_clicks": Input("ord-cancel", "n_clicks")},
        state={"order": State("dispatch-order", "data"), "reason": State("ord-reason", "value"),
               "changed": State("dispatch-changed", "data")},
        prevent_initial_call=True,
    )
    def cancel_order(n_clicks: int | None, order: dict | None, reason: str | None,
                     changed: int | None) -> dict[str, Any]:
        """Withdraw the crew with a reason (dispatcher or supervisor); the ticket goes back to the queue."""
        if not n_clicks or not order:
            raise PreventUpdate
        ctx = context()
        try:
            unit_of_work.run(ctx.sessions, lambda db: cancel(
                db, security.current_actor(), int(order["order_id"]), reason, ctx.clock(),
                version=order.get("version")))
        except ServiceError as exc:
            if isinstance(exc, ConflictError) and exc.field in ("status", "version"):
                return _stale(render, order["ticket_no"], exc, changed)
            return _refused(panel_out, _errors(exc, _ORDER_ERRORS, "reason"), _("Not cancelled."))
        return _done(render, order["ticket_no"], _("Cancelled: {ticket} is back in the queue.").format(
            ticket=order["ticket_no"]), changed)

    @security.secured_callback(
        "dispatch.confirm",
        output=outputs,
        inputs={"n_other": Input("ord-reassign", "n_clicks"), "n_next": Input("ord-send-next", "n_clicks")},
        state={"order": State("dispatch-order", "data"), "chosen": State("ord-crew", "value"),
               "reason": State("ord-reason", "value"), "skill_ok": State("ord-skill-ok", "value"),
               "changed": State("dispatch-changed", "data")},
        prevent_initial_call=True,
    )
    def reassign_order(n_other: int | None, n_next: int | None, order: dict | None, chosen: int | None,
                       reason: str | None, skill_ok: list | None, changed: int | None) -> dict[str, Any]:
        """Move the order to the chosen crew, or to the next-best crew the R7.2 escalation proposed,
        with a reason; a crew without the ticket's skill needs the tick that confirms it."""
        send_next = dash.ctx.triggered_id == "ord-send-next"
        if not order or not (n_next if send_next else n_other):
            raise PreventUpdate
        proposal = order.get("next_best") or {}
        crew_id = proposal.get("crew_id") if send_next else chosen
        if crew_id is None:
            return _refused(panel_out, {"order_crew_error": _("Choose a crew.")}, _("Not reassigned."))
        lacking = skill_warning(crew_id, order.get("unskilled"))
        if lacking and not skill_ok and not send_next:
            return _refused(panel_out, {"order_crew_error": lacking + " " + _(
                "Tick “Send it without this skill” to confirm.")}, _("Not reassigned."))
        ctx = context()
        try:
            code = unit_of_work.run(ctx.sessions, lambda db: reassign(
                db, security.current_actor(), int(order["order_id"]), int(crew_id), reason, ctx.clock(),
                recommendation_id=proposal.get("recommendation_id") if send_next else None,
                version=order.get("version")).crew.code)
        except ServiceError as exc:
            if isinstance(exc, ConflictError) and exc.field in ("status", "version"):
                return _stale(render, order["ticket_no"], exc, changed)
            if exc.code == "conflict":  # refused by the database: another order took the crew first
                return _refused(panel_out, {"order_crew_error": _(
                    "The crew was just given another order: refresh the recommendation.")}, _("Not reassigned."))
            return _refused(panel_out, _errors(exc, _ORDER_ERRORS, "crew_id"), _("Not reassigned."))
        return _done(render, order["ticket_no"], _("Reassigned: crew {crew} takes {ticket}.").format(
            crew=code, ticket=order["ticket_no"]), changed)

    @security.secured_callback(
        "ticket.change_class",
        output=outputs,
        inputs={"n_clicks": Input("cls-apply", "n_clicks")},
        state={"ticket": State("dispatch-ticket", "data"), "to_class": State("cls-to", "value"),
               "reason": State("cls-reason", "value"), "day": State("cls-slot-date", "value"),
               "start": State("cls-slot-start", "value"), "changed": State("dispatch-changed", "data")},
        prevent_initial_call=True,
    )
    def change_ticket_class(n_clicks: int | None, ticket: dict | None, to_class: str | None, reason: str | None,
                            day: str | None, start: str | None, changed: int | None) -> dict[str, Any]:
        """R6.5: the service judges the change (a reason; lowering class 1 only by a supervisor) and
        recomputes the deadlines from the report's time."""
        if not n_clicks or not ticket:
            raise PreventUpdate
        if to_class not in ("1", "2", "3"):
            return _refused(panel_out, {"class_error": _("Choose a class.")}, _("Class not changed."))
        ctx = context()
        slot = slot_from_form(day, start) if to_class == "3" else None
        try:
            unit_of_work.run(ctx.sessions, lambda db: change_class(
                db, security.current_actor(), int(ticket["ticket_id"]), int(to_class), reason, ctx.clock(),
                appointment_start=slot[0] if slot else None, appointment_end=slot[1] if slot else None,
                network=ctx.service_area.network))
        except ServiceError as exc:
            return _refused(panel_out, _errors(exc, _CLASS_ERRORS, "class"), _("Class not changed."))
        return _done(render, ticket["ticket_no"], _("Class changed: {ticket} is now class {n}.").format(
            ticket=ticket["ticket_no"], n=to_class), changed)

    @security.secured_callback(
        "board.view",
        output={"hidden": Output("cls-slot-row", "hidden"), "day": Output("cls-slot-date", "value")},
        inputs={"to_class": Input("cls-to", "value")},
        state={"day": State("cls-slot-date", "value")},
        prevent_initial_call=True,
    )
    def show_slot(to_class: str | None, day: str | None) -> dict[str, Any]:
        """Lowering to class 3 asks for the customer's slot (R6.4), tomorrow by default."""
        if to_class != "3":
            return {"hidden": True, "day": dash.no_update}
        tomorrow = (to_local(context().clock()) + timedelta(days=1)).date().isoformat()
        return {"hidden": False, "day": day or tomorrow}

    for prefix, choice, store in (("rec", "rec-crew-choice", "dispatch-rec"), ("ord", "ord-crew", "dispatch-order")):
        _skill_callback(prefix, choice, store)


def _skill_callback(prefix: str, choice: str, store: str) -> None:
    @security.secured_callback(
        "board.view",
        output={"warning": Output(f"{prefix}-skill-warning", "children"),
                "hidden": Output(f"{prefix}-skill-confirm", "hidden", allow_duplicate=True),
                "ok": Output(f"{prefix}-skill-ok", "value", allow_duplicate=True)},
        inputs={"crew_id": Input(choice, "value")},
        state={"data": State(store, "data")},
        prevent_initial_call=True,
    )
    def warn_missing_skill(crew_id: Any, data: dict | None) -> dict[str, Any]:
        """Next to the choice, before confirming: the chosen crew lacks the skill the ticket needs."""
        warning = skill_warning(crew_id, (data or {}).get("unskilled"))
        return {"warning": warning, "hidden": not warning, "ok": []}
