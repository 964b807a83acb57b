"""Hotline intake: an agent files a caller's report in one pass (layout and callbacks only).

Built for speed on a live call (R4, R5, R6): the fields follow the order of the conversation and of
the Tab key (who is calling, where, what, how safe), every yes/no question starts at *unknown* (the
worst case, R5.3), and the proposed class with its reasons (R6.5), the R6.2 safety script and the
R5.6 likely duplicates update as the agent types, so nothing has to be looked up before saving.

Everything is computed by ``ops.services.intake`` (classification, location, duplicates, saving) and
read through ``ops.reads.caller_lookup``; the form and what it shows are drawn by the ``hotline_*``
components. The report is received when the call started, not when it is saved (R5.5): the
server stamps the call at the agent's first lookup or edit (``hotline_call``). This module wires them together and turns errors into text next to the field they
name, leaving what was typed untouched. Callbacks with many outputs or fields use Dash's named
forms (``output=``/``inputs=``/``state=`` dicts), so no value is matched to a field by position.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, Patch, State, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from dashboard.components.hotline_call import call_start, stamp
from dashboard.components.hotline_caller import (
    card_dict,
    customer_card,
    customer_options,
    location_text,
    no_customer_alert,
)
from dashboard.components.hotline_errors import ERROR_OUTPUTS, errors_out
from dashboard.components.hotline_form import (
    CALL_EDITS,
    FORM_STATES,
    QUESTIONS,
    build_report,
    caller_column,
    decision_column,
    fault_column,
    map_point,
    preview_report,
)
from dashboard.components.hotline_outcome import (
    confirmation,
    duplicate_list,
    linked_alert,
    proposal,
    reason_items,
)
from dashboard.components.hotline_safety import (
    callback_done_alert,
    callback_panel,
    emergency_call_text,
    script_options,
)
from dashboard.components.slot_picker import grades_data, slot_grid
from dashboard.context import context
from dashboard.errors import service_error_text
from dashboard.i18n import _, format_datetime
from dashboard.security import current_actor, may, page_layout, secured_callback
from ops import unit_of_work
from ops.errors import ServiceError
from ops.i18n import N_
from ops.reads.appointment_slots import slot_grades
from ops.reads.caller_lookup import CallbackRow, lookup_customers, pending_callback_tasks, summarise
from ops.rules import safety_script
from ops.services.intake import (
    complete_callback_task,
    create_ticket,
    find_duplicates,
    link_report,
    preview_classification,
    record_safety_instruction,
    replay_idempotent,
    resolve_location,
)
from ops.vocabulary import Channel

dash.register_page(__name__, path="/hotline", name=N_("Hotline intake"), title="Gas Dispatch", order=10,
                   action="ticket.create")

ACTION = "ticket.create"

#: As the dispatch map: a new app/WeChat/counter class 1 reaches the agents within this time.
CALLBACK_REFRESH_MS = 15_000

# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------


@page_layout(ACTION)
def layout(**_query) -> html.Div:
    ctx = context()
    now = ctx.clock()
    tz = ctx.settings.timezone
    return html.Div(
        [
            html.Div([html.H4(_("Hotline intake"), className="mb-0 me-3 d-inline-block"),
                      html.Span(_("Keys: Alt+L caller lookup · Alt+Y symptom · Tab next question, Y/N/U answers it · "
                                  "Alt+S save"), className="small text-muted")], className="mb-1"),
            dcc.Interval(id="hl-callbacks-refresh", interval=CALLBACK_REFRESH_MS),
            html.Div(callback_panel(_pending_callbacks(now), tz), id="hl-callbacks"),
            html.Div(id="hl-callbacks-msg", **{"aria-live": "polite"}),
            dbc.Row(
                [
                    dbc.Col(caller_column(), lg=4),
                    dbc.Col(fault_column(now, tz, can_force=may("appointment.force")), lg=4),
                    dbc.Col(decision_column(), lg=4),
                ],
                className="g-3",
            ),
        ],
        id="hotline-page",
    )


# --------------------------------------------------------------------------------------------
# R6.2 call-back tasks
# --------------------------------------------------------------------------------------------


def _pending_callbacks(now: datetime) -> list[CallbackRow]:
    with context().read_session() as db:
        return pending_callback_tasks(db, now)


@secured_callback(
    ACTION,
    Output("hl-callbacks", "children"),
    Output("hl-callbacks-msg", "children"),
    Input("hl-callbacks-refresh", "n_intervals"),
    Input({"type": "hl-cb-reached", "index": ALL}, "n_clicks"),
    Input({"type": "hl-cb-noanswer", "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def callbacks(_tick: int | None, _reached: list[int | None], _noanswer: list[int | None]) -> tuple[Any, Any]:
    """Refresh the queue; a click records the call (reached closes the task, no answer keeps it queued)."""
    ctx = context()
    now = ctx.clock()
    tz = ctx.settings.timezone
    trigger = dash.ctx.triggered_id
    message: Any = ""
    if isinstance(trigger, dict):
        # A button that has just been drawn fires with no click: only a real click records a call.
        if not any(t.get("value") for t in dash.ctx.triggered) or not isinstance(trigger.get("index"), int):
            raise PreventUpdate
        reached = trigger.get("type") == "hl-cb-reached"
        try:
            unit_of_work.run(ctx.sessions, lambda db: complete_callback_task(
                db, current_actor(), int(trigger["index"]), now, reached=reached))
            message = callback_done_alert(reached)
        except ServiceError as exc:
            message = dbc.Alert(service_error_text(exc), color="danger", className="py-1 px-2 small",
                                id="hl-callback-error")
    return callback_panel(_pending_callbacks(now), tz), message


# --------------------------------------------------------------------------------------------
# R5.5: when the call started
# --------------------------------------------------------------------------------------------

# Every keystroke is an edit, but the browser asks the server only while there is no stamp, and at
# most once per CALL_ASK_MS (the first answer is on its way; a lost one is asked for again). What it
# writes is the time it asked, to pace itself; the call's start is the server's clock.
CALL_ASK_MS = 5_000
clientside_callback(
    """function () {
        var stamped = arguments[arguments.length - 2], asked = arguments[arguments.length - 1];
        var now = Date.now();
        if (stamped || (asked && now - asked < CALL_ASK_MS && now >= asked)) {
            return window.dash_clientside.no_update;
        }
        return now;
    }""".replace("CALL_ASK_MS", str(CALL_ASK_MS)),
    Output("hl-call-edit", "data"),
    *CALL_EDITS,
    State("hl-call-start", "data"),
    State("hl-call-edit", "data"),
    prevent_initial_call=True,
)


@secured_callback(
    ACTION,
    Output("hl-call-start", "data"),
    Input("hl-call-edit", "data"),
    State("hl-call-start", "data"),
    prevent_initial_call=True,
)
def start_call(_edit: Any, current: str | None) -> str:
    """Stamp the call's start with the server's clock at its first lookup or edit; later edits keep it."""
    if call_start(current) is not None:
        raise PreventUpdate
    return stamp(context().clock())


# --------------------------------------------------------------------------------------------
# Caller lookup and location
# --------------------------------------------------------------------------------------------


@secured_callback(
    ACTION,
    output=dict(
        cards=Output("hl-customers", "data"),
        options=Output("hl-customer-choice", "options"),
        choice=Output("hl-customer-choice", "value"),
        choice_style=Output("hl-customer-choice", "style"),
    ),
    inputs=dict(_clicks=Input("hl-lookup-btn", "n_clicks"), _submit=Input("hl-lookup", "n_submit")),
    state=dict(query=State("hl-lookup", "value")),
    prevent_initial_call=True,
)
def look_up(_clicks: int | None, _submit: int | None, query: str | None) -> dict[str, Any]:
    """Find the caller by phone or customer number (Enter in the box, or the button)."""
    if not (query or "").strip():
        raise PreventUpdate
    tz = context().settings.timezone
    with context().read_session() as db:
        cards = [card_dict(c, tz) for c in lookup_customers(db, query)]
    return dict(cards=cards, options=customer_options(cards), choice=cards[0]["customer_no"] if cards else None,
                choice_style={"display": "block"} if len(cards) > 1 else {"display": "none"})


@secured_callback(
    ACTION,
    output=dict(
        card=Output("hl-customer-card", "children"),
        name=Output("hl-name", "value"),
        phone=Output("hl-phone", "value"),
        customer_no=Output("hl-customer-no", "value"),
        address=Output("hl-address", "value"),
        door=Output("hl-door", "value"),
    ),
    inputs=dict(choice=Input("hl-customer-choice", "value"), cards=Input("hl-customers", "data")),
    state=dict(query=State("hl-lookup", "value"), phone=State("hl-phone", "value")),
    prevent_initial_call=True,
)
def fill_from_customer(choice: str | None, cards: list[dict] | None, query: str | None,
                       phone: str | None) -> dict[str, Any]:
    """Fill the caller and the premises from the chosen customer; a miss keeps a typed phone."""
    card = next((c for c in cards or [] if c["customer_no"] == choice), None)
    if card is None:
        looks_like_phone = bool(query) and sum(ch.isdigit() for ch in query) >= 6
        new_phone = query.strip() if looks_like_phone and not phone else dash.no_update
        return dict(card=no_customer_alert(), name=dash.no_update, phone=new_phone, customer_no="",
                    address=dash.no_update, door=dash.no_update)
    return dict(card=customer_card(card), name=card["name"], phone=card["phone"] or query,
                customer_no=card["customer_no"], address=card["address"], door=card["door_no"])


@secured_callback(
    ACTION,
    Output("hl-address", "value", allow_duplicate=True),
    Input("hl-click", "data"),
    State("hl-address", "value"),
    prevent_initial_call=True,
)
def pick_on_map(click: dict | None, address: str | None) -> str:
    """A click on the map is the place of a street report; an empty address says so."""
    if not isinstance(click, dict) or (address or "").strip():
        raise PreventUpdate
    return _("Point picked on the map")


@secured_callback(
    ACTION,
    Output("hl-point", "data"),
    Output("hl-location-text", "children"),
    Output("hl-map", "figure"),
    Input("hl-customer-no", "value"),
    Input("hl-address", "value"),
    Input("hl-click", "data"),
    prevent_initial_call=True,
)
def locate(customer_no: str | None, address: str | None, click: dict | None) -> tuple[dict | None, Any, Patch]:
    """Where the ticket will be, resolved exactly as saving will resolve it (customer, map point, street)."""
    ctx = context()
    patch = Patch()
    try:
        with ctx.read_session() as db:
            where, _customer = resolve_location(
                db, ctx.locator, address=address, customer_number=(customer_no or "").strip() or None,
                lon=map_point(click).get("lon"), lat=map_point(click).get("lat"))
    except ServiceError as exc:
        patch["data"][0]["lon"] = []
        patch["data"][0]["lat"] = []
        if not (customer_no or address or click):
            return None, "", patch
        return None, html.Span(service_error_text(exc), className="text-warning-emphasis"), patch
    patch["data"][0]["lon"] = [where.lon]
    patch["data"][0]["lat"] = [where.lat]
    patch["layout"]["map"]["center"] = {"lon": where.lon, "lat": where.lat}
    patch["layout"]["map"]["zoom"] = 14
    return {"lon": where.lon, "lat": where.lat, "source": where.source}, location_text(where), patch


# --------------------------------------------------------------------------------------------
# Live classification, safety script, duplicates
# --------------------------------------------------------------------------------------------


@secured_callback(
    ACTION,
    output=dict(
        proposed=Output("hl-proposed", "children"),
        reasons=Output("hl-reasons", "children"),
        script=Output("hl-script", "options"),
        script_box=Output("hl-script-box", "style"),
        call_text=Output("hl-emergency-call", "children"),
        call_open=Output("hl-emergency-call", "is_open"),
        slot_row=Output("hl-slot-row", "style"),
    ),
    inputs=dict(
        symptom=Input("hl-symptom", "value"),
        answers={key: Input(f"hl-{key}", "value") for key, _text in QUESTIONS},
        urgency=Input("hl-urgency", "value"),
        major=Input("hl-major", "value"),
        requested=Input("hl-class", "value"),
        given=Input("hl-safety", "data"),
    ),
)
def preview(symptom: str | None, answers: dict[str, str | None], urgency: str | None, major: list[str] | None,
            requested: str | None, given: dict[str, str] | None) -> dict[str, Any]:
    """R6.5 live: the class the system proposes, why, and (class 1) the R6.2 script to read now."""
    hidden = {"display": "none"}
    if not symptom:
        return dict(proposed=html.Span(_("Choose the symptom to see the proposed class."),
                                       className="text-muted small"),
                    reasons=[], script=[], script_box=hidden, call_text="", call_open=False, slot_row=hidden)
    result = preview_classification(preview_report(symptom, answers, urgency, major, context().clock()))
    proposed = int(result.ticket_class)
    final = int(requested) if requested and requested != "auto" else proposed
    script = safety_script(symptom, final, major_leak=bool(major))
    call_text = emergency_call_text(script)
    return dict(
        proposed=proposal(symptom, answers, urgency, major, result.reasons, proposed, final),
        reasons=reason_items(result.reasons),
        script=script_options(script, given, context().settings.timezone),
        script_box={"display": "block"} if script else hidden,
        call_text=call_text, call_open=bool(call_text),
        slot_row={"display": "block"} if final == 3 else hidden,
    )


# --------------------------------------------------------------------------------------------
# R6.4: the appointment slot picker
# --------------------------------------------------------------------------------------------


@secured_callback(
    "appointment.read",
    Output("hl-slot-grades", "data"),
    Output("hl-slot", "data", allow_duplicate=True),
    Input("hl-point", "data"),
    Input("hl-symptom", "value"),
    Input("hl-slot-row", "style"),
    State("hl-slot", "data"),
    State("hl-slot-grades", "data"),
    prevent_initial_call=True,
)
def grade_slots(point: dict | None, symptom: str | None, row: dict | None, chosen: str | None,
                graded: list | None) -> tuple[Any, Any]:
    """Grade the next days' slots for this job at this place; a chosen slot no longer offered is let go."""
    if graded and set(dash.ctx.triggered_prop_ids) == {"hl-slot-row.style"} and (row or {}).get("display") != "none":
        raise PreventUpdate  # the live proposal redrew the row (an answer changed): same place, same work
    let_go = None if chosen is not None else dash.no_update
    if not isinstance(point, dict) or not symptom or (row or {}).get("display") == "none":
        return [], let_go
    ctx = context()
    try:
        with ctx.read_session() as db:
            offer = slot_grades(db, ctx.service_area.network, lon=point["lon"], lat=point["lat"], symptom=symptom,
                                now=ctx.clock())
    except (ServiceError, KeyError, TypeError):
        return [], let_go
    grades = grades_data(offer.slots)
    keep = any(g["start"] == chosen for g in grades)  # its grade is drawn; saving checks it again
    return grades, dash.no_update if keep else let_go


@secured_callback(
    "appointment.read",
    Output("hl-slot-grid", "children"),
    Output("hl-slot-chosen", "children"),
    Input("hl-slot-grades", "data"),
    Input("hl-slot", "data"),
    Input("hl-slot-force", "value"),
)
def draw_slots(grades: list[dict] | None, chosen: str | None, force: list[str] | None) -> tuple[Any, Any]:
    """The graded grid, with the chosen slot filled in and named underneath."""
    tz = context().settings.timezone
    if not grades:
        return html.Span(_("Shown once the place and the work are known."), className="text-muted"), ""
    picked = next((g for g in grades if g["start"] == chosen), None)
    said = ""
    if picked is not None:
        start = datetime.fromisoformat(picked["start"])
        said = _("Chosen: {when}").format(when=format_datetime(start, tz, "%Y-%m-%d %H:%M"))
    return slot_grid(grades, chosen, bool(force), tz), said


@secured_callback(
    "appointment.read",
    Output("hl-slot", "data"),
    Input({"type": "hl-slot", "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def choose_slot(_clicks: list[int | None]) -> str:
    """A click on a slot chooses it (a button just drawn fires with no click: ignored)."""
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(t.get("value") for t in dash.ctx.triggered):
        raise PreventUpdate
    return str(trigger["index"])


@secured_callback(
    ACTION,
    Output("hl-safety", "data"),
    Output("hl-err-safety_given", "children"),
    Input("hl-script", "value"),
    State("hl-safety", "data"),
    State("hl-saved", "data"),
    prevent_initial_call=True,
)
def tick_script(ticked: list[str] | None, given: dict[str, str] | None,
                saved: dict | None) -> tuple[dict[str, str], str]:
    """R6.2: each line ticked is time-stamped now; after saving it is recorded on the ticket at once."""
    ctx = context()
    now = ctx.clock()
    given = dict(given or {})
    ticked = ticked or []
    new = [code for code in ticked if code not in given]
    if saved and saved.get("id") and not saved.get("linked") and new:
        try:
            unit_of_work.run(ctx.sessions, lambda db: [
                record_safety_instruction(db, current_actor(), int(saved["id"]), code, now) for code in new])
        except ServiceError as exc:
            return given, service_error_text(exc)
    for code in new:
        given[code] = now.isoformat()
    if not saved:  # before saving an untick withdraws the line; after saving it stays on record
        given = {code: at for code, at in given.items() if code in ticked}
    return given, ""


@secured_callback(
    ACTION,
    Output("hl-duplicates", "children"),
    Input("hl-point", "data"),
    Input("hl-symptom", "value"),
    Input("hl-odour", "value"),
    State("hl-saved", "data"),
)
def duplicates(point: dict | None, symptom: str | None, odour: str | None, saved: dict | None) -> Any:
    """R5.6: open tickets near the place with a related symptom; linking beats a second ticket."""
    if not point or not symptom:
        return html.Span(_("Shown once the place and the symptom are known."), className="text-muted")
    ctx = context()
    now = ctx.clock()
    with ctx.read_session() as db:
        hits = [(summarise(h.ticket), h.distance_m) for h in find_duplicates(
            db, symptom=symptom, lon=point["lon"], lat=point["lat"], now=now, odour=odour,
            exclude_ticket_id=(saved or {}).get("id"))]
    return duplicate_list(hits, now, ctx.settings.timezone)


# --------------------------------------------------------------------------------------------
# Saving and linking
# --------------------------------------------------------------------------------------------


@secured_callback(
    ACTION,
    output=dict(
        result=Output("hl-result", "children"),
        saved=Output("hl-saved", "data"),
        save_disabled=Output("hl-save", "disabled"),
        errors=ERROR_OUTPUTS,
    ),
    inputs=dict(n_clicks=Input("hl-save", "n_clicks")),
    state=dict(FORM_STATES),  # a copy: Dash merges the inputs into the dict it is given
    prevent_initial_call=True,
)
def save(n_clicks: int | None, **form: Any) -> dict[str, Any]:
    """Save the report as a ticket; errors go next to their fields and the form keeps what was typed."""
    if not n_clicks:
        raise PreventUpdate
    ctx = context()
    tz = ctx.settings.timezone
    actor = current_actor()
    key = form["idempotency_key"]
    try:
        report = build_report(form, tz)

        def file(db: Session) -> tuple[Any, Any]:
            result = create_ticket(db, actor, report, now=ctx.clock(), locator=ctx.locator, idempotency_key=key,
                                   network=ctx.service_area.network)
            return summarise(result.ticket), result.reasons

        def replay(db: Session) -> tuple[Any, Any] | None:
            # A double click raced on the same idempotency key: the other request saved the ticket.
            result = replay_idempotent(db, actor, key, report)
            return None if result is None else (summarise(result.ticket), result.reasons)

        summary, reasons = unit_of_work.run(ctx.sessions, file, replay=replay)
    except ServiceError as exc:
        alert = dbc.Alert(_("Not saved: correct the fields marked in red."), color="danger",
                          className="py-1 px-2", id="hl-not-saved")
        return dict(result=alert, saved=dash.no_update, save_disabled=False, errors=errors_out(exc))
    return dict(result=confirmation(summary, reasons, len(report.safety_given), tz),
                saved={"id": summary.id, "ticket_no": summary.ticket_no}, save_disabled=True,
                errors=errors_out())


@secured_callback(
    ACTION,
    output=dict(
        result=Output("hl-result", "children", allow_duplicate=True),
        saved=Output("hl-saved", "data", allow_duplicate=True),
        save_disabled=Output("hl-save", "disabled", allow_duplicate=True),
        errors=ERROR_OUTPUTS,
    ),
    inputs=dict(clicks=Input({"type": "hl-link", "index": ALL}, "n_clicks")),
    state=dict(
        name=State("hl-name", "value"),
        phone=State("hl-phone", "value"),
        customer_no=State("hl-customer-no", "value"),
        description=State("hl-description", "value"),
        saved=State("hl-saved", "data"),
    ),
    prevent_initial_call=True,
)
def link(clicks: list[int | None], name: str | None, phone: str | None, customer_no: str | None,
         description: str | None, saved: dict | None) -> dict[str, Any]:
    """R5.6: the caller becomes a reporter of the open ticket; no second ticket is created."""
    trigger = dash.ctx.triggered_id
    clicks = clicks if isinstance(clicks, list) else [clicks]
    if not isinstance(trigger, dict) or not any(clicks) or saved or not isinstance(trigger.get("index"), int):
        raise PreventUpdate
    ctx = context()
    def link_caller(db: Session) -> Any:
        reporter = link_report(db, current_actor(), int(trigger["index"]), reporter_name=name or "",
                               phone=phone or "", channel=Channel.HOTLINE, now=ctx.clock(),
                               customer_number=(customer_no or "").strip() or None, note=description or None)
        db.refresh(reporter.ticket)
        return summarise(reporter.ticket)

    try:
        summary = unit_of_work.run(ctx.sessions, link_caller)
    except ServiceError as exc:
        alert = dbc.Alert(_("Not linked: correct the fields marked in red."), color="danger",
                          className="py-1 px-2", id="hl-not-saved")
        return dict(result=alert, saved=dash.no_update, save_disabled=dash.no_update, errors=errors_out(exc))
    return dict(result=linked_alert(summary),
                saved={"id": summary.id, "ticket_no": summary.ticket_no, "linked": True}, save_disabled=True,
                errors=errors_out())
