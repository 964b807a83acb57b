"""Crew page: the current work order on a phone, its steps (R7.2, R6.1, R8.2, R8.3) and the R9 record.

Layout and callbacks only: the crew, its order and the queue come from ``ops.reads.crew_page``; every step
is one ``ops.services.work_orders`` call, which checks the member's crew and the order's version, so
a page left open on an order that was reassigned cannot change it. A refused step keeps what was
typed (the form is only rebuilt after a step succeeded) and names every offending field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, Patch, State, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from dashboard.components.crew_map import crew_map_figure, standby_map_figure
from dashboard.components.dispatch_map import CLASS_COLOURS, time_left_text
from dashboard.components.emergency_contact import contact_block
from dashboard.context import context
from dashboard.errors import problem_text
from dashboard.i18n import _, format_clock, format_datetime
from dashboard.labels import label
from dashboard.security import current_actor, page_layout, secured_callback
from ops import unit_of_work
from ops.errors import ConflictError, ForbiddenError, NotFoundError, ServiceError
from ops.i18n import N_
from ops.models import Crew
from ops.parts import PARTS
from ops.reads.crew_page import CrewOrder, CrewPage, crew_page
from ops.reads.order_state import crew_of_user
from ops.rules import DEADLINE_MESSAGES
from ops.services import work_orders
from ops.services.crews import record_position

dash.register_page(__name__, path="/crew", name=N_("My crew"), title="Gas Dispatch", order=10,
                   action="order.acknowledge")

REFRESH_MS = 30_000

DEADLINE_LABELS: dict[str, str] = {"ack_by": N_("Acknowledge by (R7.2)"), **DEADLINE_MESSAGES}

#: R5.2 questions and R5.3 safety state, as the crew needs to hear them before going in.
SAFETY_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("odour", N_("Smell of gas")),
    ("abnormal_noise", N_("Abnormal noise")),
    ("people_on_site", N_("People on site")),
    ("ventilated", N_("Ventilated")),
    ("valve_closed", N_("Valve closed")),
)
ANSWERS = {"yes": N_("yes"), "no": N_("no"), "unknown": N_("unknown")}
#: The answer that is bad news for each question (unknown always counts as bad news, R5.3).
_WORRYING = {"odour": "yes", "abnormal_noise": "yes", "people_on_site": "yes", "ventilated": "no",
             "valve_closed": "no"}

RESULTS = {"fixed": N_("Fixed"), "not_fixed": N_("Not fixed"), "needs_follow_up": N_("Needs follow-up work")}

#: The names of the fields a service may name in an error, as the crew sees them.
FIELD_LABELS: dict[str, str] = {
    "cause": N_("Cause"),
    "measures": N_("Measures taken"),
    "parts": N_("Parts replaced"),
    "result": N_("Result"),
    "customer_name": N_("Customer name"),
    "customer_confirmed": N_("Customer confirmation"),
    "customer_confirmed_at": N_("Customer confirmation"),
    "safety_advice_given": N_("Safety advice given (R8.5)"),
    "gas_restored_after_check": N_("Gas restored only after the repair was checked as safe (R8.6)"),
    "gas_reading": N_("Gas detector reading (R8.3)"),
    "ppm": N_("Gas detector reading (R8.3)"),
    "measured_at": N_("Time of the reading"),
    "reason": N_("Reason"),
    "work_order_id": N_("Work order"),
    "status": N_("Status"),
    "version": N_("Work order"),
}

BIG = "w-100 py-3 fs-5 mb-2"
#: Where the deadlines sit in the page body, for the refresh to patch them alone.
DEADLINES_INDEX = 2
#: Where the crew's queue (R7.6) sits in the body of a page with an order, patched like the deadlines.
NEXT_ORDERS_INDEX = 6


# ----------------------------------------------------------------------------- reading
def _load() -> tuple[CrewPage | None, datetime]:
    ctx = context()
    actor = current_actor()
    with ctx.read_session() as db:
        return crew_page(db, actor.user_id if actor else None), ctx.clock()


def _key(page: CrewPage | None) -> list[Any] | None:
    """What identifies the order as shown; the refresh rebuilds the page only when it changes."""
    if page is None:
        return None
    queue = [[e.order_id, e.version] for e in page.next_orders]  # R7.6: a new or moved queued order shows
    if page.order is None:  # a standby sent, changed or cleared shows too (issue 13)
        return [page.crew_id, queue, page.standby.since.isoformat() if page.standby else None]
    o = page.order
    return [page.crew_id, o.order_id, o.status, o.version, len(o.readings), queue]


def _time(value: datetime | None, now: datetime) -> str:
    return format_clock(value, now, context().settings.timezone)


# ----------------------------------------------------------------------------- layout pieces
def _empty(message: str, hint: str, element_id: str) -> dbc.Alert:
    return dbc.Alert([html.H5(message, className="alert-heading"), html.P(hint, className="mb-0")],
                     color="secondary", id=element_id, className="mt-2")


def _deadlines(order: CrewOrder, now: datetime) -> html.Div:
    rows = []
    for d in order.deadlines:
        if d.met_at is not None:
            state = html.Span("✓ " + _time(d.met_at, now), className="text-success", title=_("done"))
        else:
            left = d.seconds_left(now)
            state = html.Span(time_left_text(left, _),
                              className="text-danger fw-bold" if left < 0 else ("fw-bold" if left < 600 else ""))
        rows.append(html.Tr([html.Td(_(DEADLINE_LABELS.get(d.label, d.label))),
                             html.Td(_time(d.at, now), className="text-nowrap"),
                             html.Td(state, className="text-nowrap")]))
    return html.Div(dbc.Table(html.Tbody(rows), size="sm", className="mb-0"), id="crew-deadlines")


def _safety(order: CrewOrder) -> html.Div:
    badges = []
    for field, question in SAFETY_QUESTIONS:
        answer = getattr(order, field)
        bad = answer == "unknown" or answer == _WORRYING[field]
        badges.append(dbc.Badge(_(question) + ": " + _(ANSWERS.get(answer, answer)),
                                color="danger" if bad else "success", className="me-1 mb-1 fs-6 fw-normal"))
    return html.Div(badges, id="crew-safety")


def _facts(order: CrewOrder, now: datetime) -> dbc.Card:
    class_text = _("Class {n}").format(n=order.ticket_class)
    address = order.address + (" · " + order.door_no if order.door_no else "")
    lines: list[Any] = [
        html.Div([
            dbc.Badge(class_text, color=CLASS_COLOURS.get(order.ticket_class, "#6c757d"), className="me-2 fs-6"),
            html.Span(order.ticket_no, className="fw-bold fs-5 me-2", id="crew-ticket-no"),
            dbc.Badge(label(order.status), color="dark", className="fs-6", id="crew-order-status"),
        ], className="mb-2"),
        html.Div(label(order.symptom), className="fs-5 fw-semibold"),
        html.Div([html.Span(address, className="fs-5", id="crew-address"),
                  html.Span(" (" + _("approximate location") + ")", className="text-warning")
                  if order.location_approximate else None]),
        html.Div([
            html.Span(order.customer_name, className="me-2"),
            html.A(order.phone, href="tel:" + order.phone.replace(" ", ""), className="fs-5",
                   id="crew-phone"),
            html.Span(" · " + _("Customer no.") + " " + order.customer_number, className="text-muted")
            if order.customer_number else None,
        ], className="mb-2"),
        contact_block(order.contact, _, "crew-emergency-contact", large=True),
        _safety(order),
    ]
    if order.description:
        lines.append(html.Div([html.Span(_("Description") + ": ", className="fw-semibold"), order.description],
                              className="mt-1"))
    if order.special_requests:
        lines.append(html.Div([html.Span(_("Special requests") + ": ", className="fw-semibold"),
                               order.special_requests]))
    lines.append(html.Div(_("Received {time}").format(time=_time(order.received_at, now)),
                          className="small text-muted mt-1"))
    return dbc.Card(dbc.CardBody(lines), className="mb-2", id="crew-facts")


def _map(page: CrewPage, order: CrewOrder) -> dcc.Graph:
    ctx = context()
    crew = (page.lon, page.lat) if page.lon is not None and page.lat is not None else None
    figure = crew_map_figure(
        (order.lon, order.lat), order.ticket_class, crew, page.crew_status, _=_,
        network=ctx.service_area.network, show_route=order.status in ("dispatched", "acknowledged", "en_route"),
        tile_url=ctx.settings.tile_url,
    )
    return dcc.Graph(id="crew-map", figure=figure, style={"height": "240px"}, className="mb-2",
                     config={"displaylogo": False, "scrollZoom": True, "displayModeBar": False})


def _standby(page: CrewPage, now: datetime) -> list[Any]:
    """Where the office asked an idle crew to wait, with the drive there; nothing without a standby.

    Shown only without a current order: any order clears the standby, so one never sits beside a job.
    """
    standby = page.standby
    if standby is None:
        return []
    ctx = context()
    network = ctx.service_area.network
    node = int(network.snap(standby.lon, standby.lat)[0][0])
    street = ctx.service_area.node_street[node] if node < len(ctx.service_area.node_street) else ""
    place = f"{street} ({standby.lat:.5f}, {standby.lon:.5f})" if street else f"{standby.lat:.5f}, {standby.lon:.5f}"
    lines: list[Any] = [html.H5(_("Stand by at {place}").format(place=place), className="alert-heading"),
                        html.Div(_("Sent by {who} at {time}").format(who=standby.by or _("the office"),
                                                                     time=_time(standby.since, now)),
                                 className="small")]
    if standby.note:
        lines.append(html.Div(standby.note, className="mt-1"))
    lines.append(html.Div(_("Not a work order: the next order replaces it."), className="small text-muted mt-1"))
    crew = (page.lon, page.lat) if page.lon is not None and page.lat is not None else None
    figure = standby_map_figure((standby.lon, standby.lat), crew, page.crew_status, _=_, network=network,
                                tile_url=ctx.settings.tile_url)
    return [dbc.Alert(lines, color="info", className="mt-2", id="crew-standby"),
            dcc.Graph(id="crew-map", figure=figure, style={"height": "240px"}, className="mb-2",
                      config={"displaylogo": False, "scrollZoom": True, "displayModeBar": False})]


def _reading_block(order: CrewOrder, now: datetime) -> html.Div:
    items: list[Any] = []
    if order.needs_reading:
        items.append(dbc.Alert(_("Class 1: measure with the gas detector and record the reading before any "
                                 "other work (R8.3)."), color="danger", className="py-2 mb-2",
                               id="crew-reading-required"))
    for r in order.readings:
        items.append(html.Div(_("Reading {ppm} ppm at {time}").format(ppm=f"{r.ppm:g}", time=_time(r.measured_at, now)),
                              className="text-success"))
    items.append(dbc.InputGroup([
        dbc.Input(id="crew-ppm", type="number", min=0, step="any", inputMode="decimal",
                  placeholder=_("Detector reading"), className="fs-5"),
        dbc.InputGroupText("ppm"),
    ], size="lg", className="mb-2"))
    items.append(dbc.Button(_("Save reading"), id="crew-save-reading", color="primary", className=BIG))
    return html.Div([html.H6(_("Gas detector reading (R8.3)")), *items], className="mb-3", id="crew-reading")


def _parts_block() -> html.Div:
    rows = []
    for part in PARTS.values():
        name = html.Div([html.Div(_(part.name)), html.Div(part.code + " · " + part.standard,
                                                       className="small text-muted")])
        if part.meets_standard:
            badge = dbc.Badge(_("Standard"), color="success", className="ms-1")
        else:
            badge = dbc.Badge(_("Does not meet the standard: not allowed (R8.4)"), color="danger",
                              className="ms-1 text-wrap")
        rows.append(dbc.Row([
            dbc.Col([name, badge], width=8),
            dbc.Col(dbc.Input(id={"type": "crew-part-qty", "code": part.code}, type="number", min=0, step=1,
                              value=0, inputMode="numeric", disabled=not part.meets_standard,
                              className="fs-5"), width=4),
        ], className="align-items-center border-bottom py-1 g-1"))
    return html.Div([html.Label(_("Parts replaced (quantity)"), className="fw-semibold"), *rows],
                    className="mb-3", id="crew-parts")


def _repair_form() -> html.Div:
    """R9.1 record; every input keeps its value when the service refuses the record."""
    return html.Div([
        html.H5(_("Repair record (R9)"), className="mt-2"),
        dbc.Label(_("Cause"), html_for="crew-cause", className="fw-semibold"),
        dbc.Textarea(id="crew-cause", rows=2, className="mb-2 fs-5"),
        dbc.Label(_("Measures taken"), html_for="crew-measures", className="fw-semibold"),
        dbc.Textarea(id="crew-measures", rows=2, className="mb-2 fs-5"),
        _parts_block(),
        dbc.Label(_("Result"), className="fw-semibold"),
        dbc.RadioItems(id="crew-result", options=[{"label": _(text), "value": code} for code, text in RESULTS.items()],
                       value="fixed", className="mb-2 fs-5", inputClassName="me-2"),
        dbc.Checklist(id="crew-gas-restored", options=[{"label": _("Gas restored only after the repair was "
                                                                   "checked as safe (R8.6)"), "value": "yes"}],
                      value=[], className="mb-2 fs-5", inputClassName="me-2"),
        dbc.Checklist(id="crew-safety-advice", options=[{"label": _("Safety advice given to the customer (R8.5)"),
                                                        "value": "yes"}],
                      value=[], className="mb-2 fs-5", inputClassName="me-2"),
        dbc.Label(_("Customer name"), html_for="crew-customer-name", className="fw-semibold"),
        dbc.Input(id="crew-customer-name", className="mb-2 fs-5", autoComplete="off"),
        dbc.Checklist(id="crew-customer-confirmed",
                      options=[{"label": _("The customer has inspected the result and confirms this record"),
                                "value": "yes"}],
                      value=[], className="fs-5", inputClassName="me-2"),
        html.Div(id="crew-confirmed-at", className="small text-muted mb-2"),
        dcc.Store(id="crew-confirmed-at-store"),
        dbc.Button(_("Complete"), id="crew-complete", color="success", className=BIG),
    ], id="crew-repair-form")


def _not_fixed_block() -> html.Details:
    return html.Details([
        html.Summary(_("Cannot fix it now (not fixed)"), className="fs-5 mb-2"),
        dbc.Textarea(id="crew-not-fixed-reason", rows=2, placeholder=_("Reason: parts, access, another trade…"),
                     className="mb-2 fs-5"),
        dbc.Button(_("Close as not fixed"), id="crew-not-fixed", color="warning", className=BIG),
    ], className="mb-3", id="crew-not-fixed-block")


def _actions(order: CrewOrder, now: datetime) -> html.Div:
    if order.status == "dispatched":
        body: list[Any] = [dbc.Button(_("Acknowledge"), id="crew-acknowledge", color="primary", className=BIG)]
    elif order.status == "acknowledged":
        body = [html.Div(_("Re-check the address and the fault before leaving (R8.1)."), className="mb-1"),
                dbc.Button(_("En route (depart)"), id="crew-depart", color="primary", className=BIG)]
    elif order.status == "en_route":
        body = [dbc.Button(_("On site"), id="crew-arrive", color="primary", className=BIG)]
    else:
        body = [html.Div(_("Identify yourself and confirm the fault with the customer (R8.2)."), className="mb-2"),
                _reading_block(order, now), _repair_form(), _not_fixed_block()]
    return html.Div(body, id="crew-actions")


def _steps(order: CrewOrder, now: datetime) -> html.Div:
    steps = [(_("Dispatched"), order.dispatched_at), (_("Acknowledged"), order.acknowledged_at),
             (_("En route"), order.departed_at), (_("On site"), order.arrived_at)]
    return html.Div([
        html.Span([name + " ", html.Span(_time(at, now) if at else "–", className="fw-semibold")],
                  className="me-3 text-nowrap")
        for name, at in steps
    ], className="small mb-2 d-flex flex-wrap", id="crew-steps")


def _queue(page: CrewPage, now: datetime) -> html.Div:
    if not page.queued:
        return html.Div()
    items = [
        dbc.ListGroupItem([
            dbc.Badge(_("Class {n}").format(n=q.ticket_class), color=CLASS_COLOURS.get(q.ticket_class, "#6c757d"),
                      className="me-2"),
            html.Span(q.ticket_no + " · " + label(q.symptom), className="fw-semibold"),
            html.Div(q.address + " · " + _("alerted {time}").format(time=_time(q.alerted_at, now)),
                     className="small text-muted"),
        ])
        for q in page.queued
    ]
    return html.Div([html.H6(_("Next: get ready (pre-alerted, R7.3)"), className="mt-3"),
                     dbc.ListGroup(items)], id="crew-queue")


def _next_orders(page: CrewPage, now: datetime) -> html.Div:
    """R7.6: the confirmed orders waiting behind the current one, so the crew can plan its shift."""
    if not page.next_orders:
        return html.Div(id="crew-next-orders")
    items = []
    for e in page.next_orders:
        if e.window_start is not None and e.window_end is not None:
            when = _("slot {start}–{end}").format(start=_time(e.window_start, now), end=_time(e.window_end, now))
        elif e.deadline is not None:
            when = _("due {time}").format(time=_time(e.deadline, now))
        else:
            when = ""
        items.append(dbc.ListGroupItem([
            html.Span(f"{e.position}. ", className="fw-bold me-1"),
            dbc.Badge(_("Class {n}").format(n=e.ticket_class), color=CLASS_COLOURS.get(e.ticket_class, "#6c757d"),
                      className="me-2"),
            html.Span(e.ticket_no, className="fw-semibold"),
            html.Div(" · ".join(p for p in (e.address or "", when) if p), className="small text-muted"),
        ], id={"type": "crew-next-order", "index": e.order_id}))
    return html.Div([html.H6(_("Your queue: confirmed, after the current order"), className="mt-3"),
                     dbc.ListGroup(items, numbered=False)], id="crew-next-orders")


def _crew_header(page: CrewPage) -> html.Div:
    return html.Div([
        html.Span(page.crew_code + " · " + page.crew_name, className="fw-bold me-2"),
        dbc.Badge(label(page.crew_status), color="secondary", className="me-2"),
        html.Span(", ".join(page.member_names), className="small text-muted"),
        html.Div([
            dbc.Button(_("Share my position"), id="crew-share-position", color="secondary", outline=True,
                       size="sm", className="me-2"),
            html.Span(id="crew-position-note", className="small text-muted"),
            html.Div(id="crew-geo-holder"),
        ], className="mt-1"),
    ], className="mb-2", id="crew-header")


def _body(page: CrewPage | None, now: datetime) -> list[Any]:
    if page is None:
        return [_empty(_("Your account is not linked to a crew."),
                       _("Ask an administrator to add you to your crew (Accounts page)."), "crew-no-crew")]
    if page.order is None:
        return [_crew_header(page),
                _empty(_("No current work order."),
                       _("A new order appears here by itself; this page checks every 30 seconds."), "crew-no-order"),
                *_standby(page, now),
                _next_orders(page, now),
                _queue(page, now)]
    order = page.order
    body = [
        _crew_header(page),
        _facts(order, now),
        _deadlines(order, now),
        _steps(order, now),
        _map(page, order),
        _actions(order, now),
        _next_orders(page, now),
        _queue(page, now),
    ]
    assert body[DEADLINES_INDEX].id == "crew-deadlines"
    assert body[NEXT_ORDERS_INDEX].id == "crew-next-orders"
    return body


@page_layout("order.acknowledge")
def layout(**_query) -> html.Div:
    page, now = _load()
    return html.Div([
        dcc.Interval(id="crew-refresh", interval=REFRESH_MS),
        dcc.Store(id="crew-key", data=_key(page)),
        # At the bottom of the screen, not the top of the page: on a phone the crew is down at the
        # button it just pressed, and must see why a step was refused without scrolling.
        html.Div(id="crew-message", className="fixed-bottom px-2", style={"maxHeight": "50vh", "overflowY": "auto"}),
        html.Div(_body(page, now), id="crew-body"),
    ], style={"maxWidth": "640px"}, className="mx-auto", id="crew-page")


# ----------------------------------------------------------------------------- callbacks
def _problems(exc: ServiceError, names: dict[str, str] | None = None) -> dbc.Alert:
    """Every refused field by its name on the page, with the service's reason in the crew's language.

    ``names`` names fields only the caller knows, such as ``parts[1]`` (the second part it sent).
    """
    items = []
    for problem in exc.problems:
        field = problem.field or ""
        if names and field in names:
            name = _("Parts replaced") + " · " + names[field]
        elif field.startswith("parts["):
            name = _("Parts replaced")
        else:
            name = _(FIELD_LABELS[field]) if field in FIELD_LABELS else field
        items.append(html.Li([html.Span(name + ": ", className="fw-semibold"), problem_text(problem)],
                             **{"data-field": field}))
    return dbc.Alert([html.Div(_("Not saved. Please correct:"), className="fw-semibold"), html.Ul(items, className="mb-0")],
                     color="danger", id="crew-error", className="shadow mb-2", dismissable=True)


def _run(step, *args: Any, names: dict[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
    """Run one service step; on success rebuild the page, on refusal keep what was typed and show why.

    Returns the values of :data:`_OUT`, by name.
    """
    ctx = context()
    now = ctx.clock()
    try:
        unit_of_work.run(ctx.sessions, lambda db: step(db, current_actor(), *args, now=now, **kwargs))
    except (ConflictError, NotFoundError, ForbiddenError):
        page, now = _load()
        alert = dbc.Alert(_("The order was changed elsewhere (reassigned, cancelled or updated): the page now "
                            "shows its current state."), color="warning", id="crew-error", className="shadow mb-2",
                          dismissable=True)
        return {"message": alert, "body": _body(page, now), "key": _key(page)}
    except ServiceError as exc:
        return {"message": _problems(exc, names), "body": dash.no_update, "key": dash.no_update}
    page, now = _load()
    # Success needs no toast (the page itself moves on to the next step); a previous error is cleared.
    return {"message": None, "body": _body(page, now), "key": _key(page)}


def _order_of(key: list[Any] | None) -> tuple[int, int]:
    if not key or len(key) < 5:
        raise PreventUpdate
    return int(key[1]), int(key[3])


#: What every step callback updates (Dash's named form): the step functions return :func:`_run`'s dict.
_OUT = {
    "message": Output("crew-message", "children", allow_duplicate=True),
    "body": Output("crew-body", "children", allow_duplicate=True),
    "key": Output("crew-key", "data", allow_duplicate=True),
}


#: The one big button of each step before the site: the action it needs, its id and the service step.
#: Acknowledge is R7.2 (a late acknowledgement is recorded as late, never refused); En route is the
#: R6.1 departure a class 1 is measured on; On site is R8.2 (the reading and the repair record open).
_STEPS = (("order.acknowledge", "crew-acknowledge", "acknowledge"),
          ("order.update_status", "crew-depart", "depart"),
          ("order.update_status", "crew-arrive", "arrive"))


def _step_callback(action: str, button: str, service: str) -> None:
    @secured_callback(action, Input(button, "n_clicks"), State("crew-key", "data"), output=_OUT,
                      prevent_initial_call=True)
    def step(n_clicks: int | None, key: list[Any] | None) -> dict[str, Any]:
        if not n_clicks:
            raise PreventUpdate
        order_id, version = _order_of(key)
        run = getattr(work_orders, service)
        return _run(lambda db, actor, now: run(db, actor, order_id, now, version=version))


for _action, _button, _service in _STEPS:
    _step_callback(_action, _button, _service)


@secured_callback("repair.file", Input("crew-save-reading", "n_clicks"), State("crew-ppm", "value"),
                  State("crew-key", "data"), output=_OUT, prevent_initial_call=True)
def save_reading(n_clicks: int | None, ppm: float | None, key: list[Any] | None) -> dict[str, Any]:
    """R8.3: the reading is taken now (the service refuses a missing or negative value)."""
    if not n_clicks:
        raise PreventUpdate
    order_id, version = _order_of(key)
    value = ppm if isinstance(ppm, int | float) and not isinstance(ppm, bool) else float("nan")
    return _run(lambda db, actor, now: work_orders.record_reading(db, actor, order_id, value, now, now,
                                                                  version=version))


@secured_callback("repair.file",
                  Output("crew-confirmed-at-store", "data"), Output("crew-confirmed-at", "children"),
                  Input("crew-customer-confirmed", "value"), prevent_initial_call=True)
def stamp_confirmation(value: list[str] | None):
    """The moment the customer ticked the confirmation is what the record stores (R9.1)."""
    if not value:
        return None, ""
    now = context().clock()
    return now.isoformat(), _("Confirmed at {time}").format(
        time=format_datetime(now, context().settings.timezone, "%H:%M:%S"))


@secured_callback(
    "repair.file",
    output=_OUT,
    inputs={"n_clicks": Input("crew-complete", "n_clicks")},
    state={
        "cause": State("crew-cause", "value"),
        "measures": State("crew-measures", "value"),
        "quantities": State({"type": "crew-part-qty", "code": ALL}, "value"),
        "part_ids": State({"type": "crew-part-qty", "code": ALL}, "id"),
        "result": State("crew-result", "value"),
        "restored": State("crew-gas-restored", "value"),
        "advice": State("crew-safety-advice", "value"),
        "customer_name": State("crew-customer-name", "value"),
        "confirmed": State("crew-customer-confirmed", "value"),
        "confirmed_at": State("crew-confirmed-at-store", "data"),
        "key": State("crew-key", "data"),
    },
    prevent_initial_call=True,
)
def complete(n_clicks: int | None, cause: str | None, measures: str | None, quantities: list[Any] | None,
             part_ids: list[dict] | None, result: str | None, restored: list[str] | None,
             advice: list[str] | None, customer_name: str | None, confirmed: list[str] | None,
             confirmed_at: str | None, key: list[Any] | None) -> dict[str, Any]:
    """R9: the record goes to the service whole; it names every missing field at once."""
    if not n_clicks:
        raise PreventUpdate
    order_id, version = _order_of(key)
    parts = []
    for qty, pid in zip(quantities or [], part_ids or [], strict=False):
        if qty in (None, "", 0):
            continue
        parts.append({"code": pid["code"], "qty": int(qty) if float(qty).is_integer() else qty})
    stamp = datetime.fromisoformat(confirmed_at) if confirmed and confirmed_at else None
    repair = work_orders.RepairIn(cause=cause, measures=measures, parts=parts, result=result or "fixed",
                      customer_name=customer_name, customer_confirmed=bool(confirmed),
                      customer_confirmed_at=stamp, safety_advice_given=bool(advice),
                      gas_restored_after_check=bool(restored))
    names = {f"parts[{i}]": _(PARTS[p["code"]].name) if p["code"] in PARTS else str(p["code"])
             for i, p in enumerate(parts)}
    return _run(lambda db, actor, now: work_orders.complete(db, actor, order_id, repair, now, version=version),
                names=names)


@secured_callback("repair.file", Input("crew-not-fixed", "n_clicks"), State("crew-not-fixed-reason", "value"),
                  State("crew-measures", "value"), State("crew-key", "data"), output=_OUT,
                  prevent_initial_call=True)
def close_not_fixed(n_clicks: int | None, reason: str | None, measures: str | None,
                    key: list[Any] | None) -> dict[str, Any]:
    """Leave without a fix (parts, access, another trade): the ticket goes back to dispatch."""
    if not n_clicks:
        raise PreventUpdate
    order_id, version = _order_of(key)
    return _run(lambda db, actor, now: work_orders.not_fixed(db, actor, order_id, reason or "", now,
                                                             measures=measures, version=version))


@secured_callback("crew.report_position", Output("crew-geo-holder", "children"),
                  Input("crew-share-position", "n_clicks"), prevent_initial_call=True)
def ask_position(n_clicks: int | None):
    """The browser asks for the phone's position only when the crew taps the button (never on load)."""
    if not n_clicks:
        raise PreventUpdate
    return dcc.Geolocation(id="crew-geo", high_accuracy=True, timeout=15_000, maximum_age=0, update_now=True)


@secured_callback("crew.report_position", Output("crew-position-note", "children"),
                  Input("crew-geo", "position"), Input("crew-geo", "position_error"), prevent_initial_call=True)
def report_position(position: dict | None, error: dict | None):
    """One GPS ping for the member's own crew (found on the server, never taken from the browser)."""
    if not position:
        if error:
            return _("Position not available: allow location access for this site and try again.")
        raise PreventUpdate
    ctx = context()
    now = ctx.clock()
    actor = current_actor()
    speed = position.get("speed")
    heading = position.get("heading")
    def ping(db: Session) -> None:
        crew_id = crew_of_user(db, actor.user_id if actor else None)
        if crew_id is None:
            raise PreventUpdate
        record_position(db, actor, db.get(Crew, crew_id), position.get("lon"), position.get("lat"), now, source="gps",
                        speed_kmh=speed * 3.6 if isinstance(speed, int | float) and speed >= 0 else None,
                        heading_deg=heading if isinstance(heading, int | float) and 0 <= heading < 360 else None)

    try:
        unit_of_work.run(ctx.sessions, ping)
    except (ServiceError, TypeError):
        return _("Position not available: allow location access for this site and try again.")
    return _("Position sent at {time}").format(time=format_datetime(now, ctx.settings.timezone, "%H:%M"))


@secured_callback("order.acknowledge",
                  Output("crew-body", "children", allow_duplicate=True),
                  Output("crew-key", "data", allow_duplicate=True),
                  Input("crew-refresh", "n_intervals"), State("crew-key", "data"), prevent_initial_call=True)
def refresh(_n: int | None, key: list[Any] | None):
    """Count the deadlines down; rebuild the page only when the order itself changed (new, reassigned,
    a step taken on another phone), so a half-typed repair record is never wiped by the clock."""
    page, now = _load()
    new_key = _key(page)
    same_order = page is not None and page.order is not None and key is not None and new_key is not None \
        and new_key[:-1] == key[:-1]
    if new_key != key and not same_order:
        return _body(page, now), new_key
    if page is None or page.order is None:
        raise PreventUpdate
    patch = Patch()
    patch[DEADLINES_INDEX] = _deadlines(page.order, now)
    if new_key != key:  # only the queue changed (R7.6): the form being typed stays as it is
        patch[NEXT_ORDERS_INDEX] = _next_orders(page, now)
        return patch, new_key
    return patch, dash.no_update
