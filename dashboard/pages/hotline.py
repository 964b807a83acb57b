"""Hotline intake: an agent files a caller's report in one pass (layout and callbacks only).

Built for speed on a live call (R4, R5, R6): the fields follow the order of the conversation and of
the Tab key (who is calling, where, what, how safe), every yes/no question starts at *unknown* (the
worst case, R5.3), and the proposed class with its reasons (R6.5), the R6.2 safety script and the
R5.6 likely duplicates update as the agent types, so nothing has to be looked up before saving.

Everything is computed by ``ops.services.intake`` (classification, location, duplicates, saving) and
read through ``ops.intake_lookup``; this module only lays out the form and turns errors into text
next to the field they name, leaving what was typed untouched.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import ALL, Input, Output, Patch, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.components.dispatch_map import CLASS_COLOURS, base_layers
from dashboard.context import context
from dashboard.i18n import _, format_datetime
from dashboard.labels import label
from dashboard.security import current_actor, page_layout, secured_callback
from ops.rules import DEADLINE_MESSAGES, N_
from ops.vocabulary import Answer, Channel, Judgement, Symptom, TicketClass

dash.register_page(__name__, path="/hotline", name=N_("Hotline intake"), title="Gas Dispatch", order=10,
                   action="ticket.create")

ACTION = "ticket.create"
DATE_FMT = "%Y-%m-%d %H:%M"
#: R6.4: the customer chooses a two-hour appointment slot.
SLOT_HOURS = 2
SLOT_STARTS = list(range(8, 19, SLOT_HOURS))

#: The questions of R5.2 (odour, noise) and R5.3 (safety state), in the order an agent asks them.
QUESTIONS: list[tuple[str, str]] = [
    ("odour", N_("Smell of gas?")),
    ("noise", N_("Abnormal noise (hissing)?")),
    ("people_on_site", N_("People on site?")),
    ("ventilated", N_("Ventilated?")),
    ("valve_closed", N_("Valve closed?")),
]
ANSWER_LABELS = {Answer.YES: N_("Yes"), Answer.NO: N_("No"), Answer.UNKNOWN: N_("Unknown")}

#: Every form field an IntakeError can name, and the element its message is shown under.
ERROR_FIELDS = [
    "reporter_name", "phone", "customer_number", "address", "door_no", "location", "symptom",
    "started_at", "duration_minutes", "description", "special_requests", "urgency", "class",
    "class_reason", "appointment", "safety_given",
]
ERROR_FIELDS += [key for key, _text in QUESTIONS if key not in ERROR_FIELDS]

#: R6.5 refusals from ``ops.rules.check_class_change`` carry the classes in the text: matched to translate them.
_LOWER_SUPERVISOR = re.compile(r"^Lowering a class-(\d) ticket to class (\d) needs a supervisor \(R6\.5\)\.$")
_LOWER_REASON = re.compile(r"^Lowering a ticket from class (\d) to class (\d) needs a reason \(R6\.5\)\.$")


def problem_text(message: str) -> str:
    """A service error message in the user's language.

    The intake service marks its messages with ``N_`` so they are in the catalogs; a message that is
    not (a new one) comes back from gettext as it is, never hidden.
    """
    m = _LOWER_SUPERVISOR.match(message)
    if m:
        return _("Lowering a class-{a} ticket to class {b} needs a supervisor (R6.5).").format(a=m[1], b=m[2])
    m = _LOWER_REASON.match(message)
    if m:
        return _("Lowering a ticket from class {a} to class {b} needs a reason (R6.5).").format(a=m[1], b=m[2])
    return _(message) if message else message  # gettext("") is the catalog's header


def _error_field(name: str) -> str:
    """Where a problem is shown: ``safety_given[2]`` under the script, ``reason`` under the class reason."""
    base = name.split("[", 1)[0]
    base = {"reason": "class_reason", "ticket_id": "class", "idempotency_key": "class",
            "received_at": "started_at", "channel": "class", "note": "description"}.get(base, base)
    return base if base in ERROR_FIELDS else "class"


def _errors_out(problems: dict[str, str] | None = None) -> list[str]:
    texts: dict[str, list[str]] = {}
    for name, message in (problems or {}).items():
        texts.setdefault(_error_field(name), []).append(problem_text(message))
    return ["; ".join(texts.get(f, [])) for f in ERROR_FIELDS]


ERROR_OUTPUTS = [Output(f"hl-err-{f}", "children", allow_duplicate=True) for f in ERROR_FIELDS]


def _err(field: str) -> html.Div:
    return html.Div(id=f"hl-err-{field}", className="text-danger small", **{"aria-live": "polite"})


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------


def _field(label_text: str, control: Any, field: str, *, width: int | None = None,
           key: str | None = None) -> dbc.Col | html.Div:
    """A labelled control with its error line; ``key`` is an Alt+key access key that focuses it."""
    extra = {"accessKey": key, "title": "Alt+" + key.upper()} if key else {}
    block = html.Div([html.Label(label_text, htmlFor=getattr(control, "id", None), className="form-label small mb-0",
                                 **extra),
                      control, _err(field)], className="mb-1")
    return dbc.Col(block, md=width) if width else block


def _question(key: str, text: str) -> html.Div:
    return html.Div(
        [
            html.Span(_(text), className="small me-2", style={"minWidth": "11rem", "display": "inline-block"}),
            dbc.RadioItems(
                id=f"hl-{key}", name=f"hl-{key}",  # one group: Tab moves question to question
                options=[{"label": _(ANSWER_LABELS[a]), "value": a.value} for a in Answer],
                value=Answer.UNKNOWN.value, inline=True, className="d-inline-block small",
            ),
            _err(key),
        ],
        className="mb-1 hl-question",  # assets/hotline_keys.js: y, n, u answer the focused question
    )


def _map_figure() -> go.Figure:
    """A small offline map: the base layers from this server and the place the ticket will get.

    Plotly reports clicks on markers only, so a click anywhere on the map is caught in the browser
    (``assets/hotline_keys.js``) and written to the ``hl-click`` store, which the callbacks below read.
    """
    net = context().service_area.network
    lon0, lat0, lon1, lat1 = net.bounds
    fig = go.Figure()
    fig.add_trace(go.Scattermap(lon=[], lat=[], mode="markers", name=_("Place of the report"),
                                marker={"size": 16, "color": CLASS_COLOURS[1]}, hoverinfo="skip",
                                showlegend=False))
    fig.update_layout(
        map={"style": "white-bg", "center": {"lon": (lon0 + lon1) / 2, "lat": (lat0 + lat1) / 2}, "zoom": 10.3,
             "layers": base_layers(context().settings.tile_url)},
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, uirevision="hotline-map",
    )
    return fig


def _point(click: Any) -> dict:
    """The map click store's value, or nothing: it is written by the browser, so it is checked."""
    return click if isinstance(click, dict) else {}


def _local_input(value: datetime, tz: str) -> str:
    return format_datetime(value, tz, "%Y-%m-%dT%H:%M")


def _caller_column() -> list:
    return [
        html.H6(_("Caller"), className="mt-1"),
        html.Label(_("Phone or customer number"), htmlFor="hl-lookup", accessKey="l", className="visually-hidden"),
        dbc.InputGroup([
            dbc.Input(id="hl-lookup", placeholder=_("Phone or customer number"), autoFocus=True, type="search",
                      debounce=False, autoComplete="off"),
            dbc.Button(_("Find"), id="hl-lookup-btn", color="secondary", n_clicks=0),
        ], size="sm", className="mb-1"),
        dbc.RadioItems(id="hl-customer-choice", options=[], value=None, className="small",
                       style={"display": "none"}),
        html.Div(id="hl-customer-card", className="small mb-2"),
        dcc.Store(id="hl-customers", data=[]),
        dbc.Row([
            _field(_("Reporter name"), dbc.Input(id="hl-name", size="sm", autoComplete="off"), "reporter_name", width=6),
            _field(_("Phone"), dbc.Input(id="hl-phone", size="sm", type="tel", autoComplete="off"), "phone", width=6),
        ], className="g-2"),
        dbc.Row([
            _field(_("Customer number"), dbc.Input(id="hl-customer-no", size="sm", autoComplete="off",
                                                   debounce=True), "customer_number", width=4),
            _field(_("Address (street)"), dbc.Input(id="hl-address", size="sm", autoComplete="off", debounce=True),
                   "address", width=5),
            _field(_("Door"), dbc.Input(id="hl-door", size="sm", autoComplete="off"), "door_no", width=3),
        ], className="g-2"),
        html.Div(id="hl-location-text", className="small mb-1"),
        _err("location"),
        dcc.Graph(id="hl-map", figure=_map_figure(), style={"height": "300px"},
                  config={"displaylogo": False, "scrollZoom": True, "displayModeBar": False}),
        html.Div(_("Street leak without a customer: click the map or type the street."),
                 className="text-muted small"),
        dcc.Store(id="hl-click"),
        dcc.Store(id="hl-point"),
    ]


def _fault_column(now: datetime, tz: str) -> list:
    tomorrow = (now.astimezone(ZoneInfo(tz)) + timedelta(days=1)).strftime("%Y-%m-%d")
    return [
        html.H6(_("Fault"), className="mt-1"),
        _field(_("Symptom"), dbc.Select(
            id="hl-symptom", size="sm", placeholder=_("Choose the symptom"),
            options=[{"label": label(s.value), "value": s.value} for s in Symptom], value=""), "symptom", key="y"),
        html.Div([_question(key, text) for key, text in QUESTIONS], id="hl-questions"),
        dbc.Row([
            _field(_("Started at"), dbc.Input(id="hl-started", type="datetime-local", size="sm",
                                               value=_local_input(now, tz)), "started_at", width=7),
            _field(_("Lasting (min)"), dbc.Input(id="hl-duration", type="number", min=0, step=1, size="sm",
                                                 placeholder=_("auto")), "duration_minutes", width=5),
        ], className="g-2"),
        _field(_("Description"), dbc.Textarea(id="hl-description", rows=2, size="sm"), "description"),
        _field(_("Special requests"), dbc.Textarea(id="hl-special", rows=1, size="sm"), "special_requests"),
        html.Div([
            html.Span(_("Agent's judgement"), className="small me-2"),
            dbc.RadioItems(id="hl-urgency", name="hl-urgency", inline=True, className="d-inline-block small",
                           value=Judgement.GENERAL.value,
                           options=[{"label": _("General"), "value": Judgement.GENERAL.value},
                                    {"label": _("Emergency"), "value": Judgement.EMERGENCY.value}]),
            _err("urgency"),
        ], className="mb-1"),
        dbc.Checklist(id="hl-major", options=[{"label": _("Major leak (call 119/110)"), "value": "major"}],
                      value=[], className="small mb-1"),
        html.Div(
            [
                html.Div(_("Appointment slot (class 3)"), className="small fw-semibold"),
                dbc.Row([
                    dbc.Col(dbc.Input(id="hl-slot-date", type="date", size="sm", value=tomorrow), md=6),
                    dbc.Col(dbc.Select(
                        id="hl-slot-start", size="sm", value=str(SLOT_STARTS[0]),
                        options=[{"label": f"{h:02d}:00–{h + SLOT_HOURS:02d}:00", "value": str(h)}
                                 for h in SLOT_STARTS],
                    ), md=6),
                ], className="g-2"),
                _err("appointment"),
            ],
            id="hl-slot-row", style={"display": "none"}, className="mb-1",
        ),
    ]


def _decision_column() -> list:
    return [
        html.H6(_("Proposed class"), className="mt-1"),
        html.Div(id="hl-proposed", **{"aria-live": "polite"}),
        html.Ul(id="hl-reasons", className="small ps-3 mb-1"),
        dbc.Row([
            dbc.Col(_field(_("Class to save"), dbc.Select(
                id="hl-class", value="auto", size="sm",
                options=[{"label": _("As proposed"), "value": "auto"}]
                + [{"label": _("Class {n}").format(n=int(c)), "value": str(int(c))} for c in TicketClass],
            ), "class"), md=5),
            dbc.Col(_field(_("Reason for the change"), dbc.Input(id="hl-class-reason", size="sm"), "class_reason"),
                    md=7),
        ], className="g-2"),
        html.Div(
            [
                html.H6(_("Safety script (R6.2): read and tick"), className="mt-2 mb-1 text-danger"),
                dbc.Alert(id="hl-emergency-call", color="danger", className="py-1 px-2 small fw-semibold mb-1",
                          is_open=False),
                dbc.Checklist(id="hl-script", options=[], value=[], className="small"),
                _err("safety_given"),
            ],
            id="hl-script-box", style={"display": "none"},
        ),
        dcc.Store(id="hl-safety", data={}),
        html.H6(_("Likely duplicates (R5.6)"), className="mt-2 mb-1"),
        html.Div(id="hl-duplicates", className="small"),
        html.Div(
            [
                html.Button(_("Save ticket"), id="hl-save", n_clicks=0, accessKey="s",
                            className="btn btn-primary me-2", title="Alt+S"),
                dcc.Link(_("New call"), href="/hotline", refresh=True, id="hl-new", className="btn btn-link"),
            ],
            className="mt-2",
        ),
        dcc.Loading(html.Div(id="hl-result", className="mt-2"), type="dot"),
        dcc.Store(id="hl-saved"),
        dcc.Store(id="hl-idem", data=uuid.uuid4().hex),
    ]


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
                    dbc.Col(_caller_column(), lg=4),
                    dbc.Col(_fault_column(now, tz), lg=4),
                    dbc.Col(_decision_column(), lg=4),
                ],
                className="g-3",
            ),
        ],
        id="hotline-page",
    )


# --------------------------------------------------------------------------------------------
# R6.2 call-back tasks
# --------------------------------------------------------------------------------------------

#: As the dispatch map: a new app/WeChat/counter class 1 reaches the agents within this time.
CALLBACK_REFRESH_MS = 15_000


def _pending_callbacks(now: datetime) -> list:
    from ops.intake_lookup import pending_callback_tasks

    with context().read_session() as db:
        return pending_callback_tasks(db, now)


def _callback_item(row, tz: str) -> dbc.ListGroupItem:
    """One reporter to ring: whom, about what, since when, the script to read and the two outcomes."""
    from ops.rules import safety_script

    script = safety_script(row.symptom, row.ticket_class)
    waited = _("waiting {m} min (since {t})").format(m=row.minutes_waiting,
                                                      t=format_datetime(row.created_at, tz, "%H:%M"))
    facts = [html.B(row.ticket_no), " · ", label(row.channel), " · ", label(row.symptom), " · ", row.address]
    if row.attempts:
        facts += [" · ", html.Span(_("unanswered calls: {n}").format(n=row.attempts), className="fw-semibold")]
    return dbc.ListGroupItem(
        [
            html.Div([
                html.A(row.phone, href="tel:" + re.sub(r"[^0-9+]", "", row.phone), className="fs-5 fw-bold me-2",
                       id={"type": "hl-cb-phone", "index": row.task_id}),
                html.Span(row.reporter_name, className="fw-semibold me-2"),
                html.Span(waited, className="badge bg-danger"),
            ]),
            html.Div(facts, className="small"),
            html.Div(_("Read to the reporter:"), className="small fw-semibold mt-1") if script else None,
            html.Ol([html.Li(line.render(_)) for line in script], className="small mb-1 ps-3") if script else None,
            dbc.Button(_("Called — reached"), id={"type": "hl-cb-reached", "index": row.task_id}, size="sm",
                       color="success", className="me-2", n_clicks=0),
            dbc.Button(_("No answer"), id={"type": "hl-cb-noanswer", "index": row.task_id}, size="sm",
                       color="secondary", outline=True, n_clicks=0),
        ],
        className="py-1 px-2 hl-callback", id={"type": "hl-cb-item", "index": row.task_id},
    )


def callback_panel(rows: list, tz: str) -> html.Div:
    """R6.2: class-1 reporters who only saw the guidance on a screen; red while anyone is waiting."""
    if not rows:
        return html.Div(_("Call-back tasks: none waiting."), className="small text-muted mb-1",
                        id="hl-callbacks-none")
    head = _("Call-back tasks (R6.2): {n} waiting. Ring the reporter now and read the safety script.").format(
        n=len(rows))
    return dbc.Card(
        [
            dbc.CardHeader(head, className="bg-danger text-white fw-semibold py-1 px-2"),
            dbc.ListGroup([_callback_item(r, tz) for r in rows], flush=True, id="hl-callback-list",
                          style={"maxHeight": "40vh", "overflowY": "auto"}),
        ],
        color="danger", outline=True, className="mb-2", id="hl-callbacks-card",
    )


@secured_callback(
    ACTION,
    Output("hl-callbacks", "children"),
    Output("hl-callbacks-msg", "children"),
    Input("hl-callbacks-refresh", "n_intervals"),
    Input({"type": "hl-cb-reached", "index": ALL}, "n_clicks"),
    Input({"type": "hl-cb-noanswer", "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def callbacks(_tick, _reached, _noanswer):
    """Refresh the queue; a click records the call (reached closes the task, no answer keeps it queued)."""
    from ops.db import transaction
    from ops.services.intake import IntakeError, complete_callback_task

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
            with transaction(ctx.sessions) as db:
                complete_callback_task(db, current_actor(), int(trigger["index"]), now, reached=reached)
            text = _("Call-back done: removed from the queue.") if reached else _(
                "No answer recorded: the task stays in the queue; try again shortly.")
            message = dbc.Alert(text, color="success" if reached else "warning", className="py-1 px-2 small",
                                duration=8000, id="hl-callback-done")
        except IntakeError as exc:
            message = dbc.Alert(problem_text(next(iter(exc.problems.values()))), color="danger",
                                className="py-1 px-2 small", id="hl-callback-error")
    return callback_panel(_pending_callbacks(now), tz), message


# --------------------------------------------------------------------------------------------
# Caller lookup and location
# --------------------------------------------------------------------------------------------


def _card_dict(card) -> dict:
    tz = context().settings.timezone
    return {
        "customer_no": card.customer_no, "name": card.name, "phone": card.phone or "", "address": card.address,
        "door_no": card.door_no or "", "district": card.district or "", "lon": card.lon, "lat": card.lat,
        "contact_name": card.emergency_contact_name or "", "contact_phone": card.emergency_contact_phone or "",
        "contact_note": card.emergency_contact_note or "", "lives_alone": card.lives_alone,
        "vulnerable": card.vulnerable,
        "recent": [{"no": t.ticket_no, "at": format_datetime(t.received_at, tz), "cls": t.ticket_class,
                    "symptom": t.symptom, "status": t.status} for t in card.recent_tickets],
    }


@secured_callback(
    ACTION,
    Output("hl-customers", "data"),
    Output("hl-customer-choice", "options"),
    Output("hl-customer-choice", "value"),
    Output("hl-customer-choice", "style"),
    Input("hl-lookup-btn", "n_clicks"),
    Input("hl-lookup", "n_submit"),
    State("hl-lookup", "value"),
    prevent_initial_call=True,
)
def look_up(_clicks, _submit, query):
    """Find the caller by phone or customer number (Enter in the box, or the button)."""
    from ops.intake_lookup import lookup_customers

    if not (query or "").strip():
        raise PreventUpdate
    with context().read_session() as db:
        cards = [_card_dict(c) for c in lookup_customers(db, query)]
    options = [{"label": f"{c['customer_no']} · {c['name']} · {c['address']}", "value": c["customer_no"]}
               for c in cards]
    style = {"display": "block"} if len(cards) > 1 else {"display": "none"}
    return cards, options, cards[0]["customer_no"] if cards else None, style


def _customer_card(card: dict) -> html.Div:
    parts: list = [html.Div([html.B(card["name"]), " · ", card["customer_no"]]),
                   html.Div(" ".join(x for x in (card["address"], card["district"]) if x))]
    if card["contact_name"] or card["contact_phone"]:
        flags = []
        if card["lives_alone"]:
            flags.append(_("lives alone"))
        if card["vulnerable"]:
            flags.append(_("vulnerable"))
        parts.append(dbc.Alert(
            [html.B(_("Emergency contact (R4.2)") + ": "),
             " ".join(x for x in (card["contact_name"], card["contact_phone"]) if x),
             html.Span(" · " + card["contact_note"]) if card["contact_note"] else None,
             html.Span(" · " + ", ".join(flags)) if flags else None],
            color="warning", className="py-1 px-2 my-1", id="hl-emergency-contact",
        ))
    if card["recent"]:
        parts.append(html.Div(_("Recent tickets"), className="fw-semibold mt-1"))
        parts.append(html.Ul([
            html.Li(f"{t['at']} · {t['no']} · " + _("Class {n}").format(n=t["cls"]) + " · "
                    + label(t["symptom"]) + " · " + label(t["status"]))
            for t in card["recent"]
        ], className="ps-3 mb-0", id="hl-recent-tickets"))
    else:
        parts.append(html.Div(_("No earlier tickets."), className="text-muted"))
    return dbc.Card(dbc.CardBody(parts, className="p-2"), className="mb-1")


@secured_callback(
    ACTION,
    Output("hl-customer-card", "children"),
    Output("hl-name", "value"),
    Output("hl-phone", "value"),
    Output("hl-customer-no", "value"),
    Output("hl-address", "value"),
    Output("hl-door", "value"),
    Input("hl-customer-choice", "value"),
    Input("hl-customers", "data"),
    State("hl-lookup", "value"),
    State("hl-phone", "value"),
    prevent_initial_call=True,
)
def fill_from_customer(choice, cards, query, phone):
    """Fill the caller and the premises from the chosen customer; a miss keeps a typed phone."""
    card = next((c for c in cards or [] if c["customer_no"] == choice), None)
    if card is None:
        looks_like_phone = bool(query) and sum(ch.isdigit() for ch in query) >= 6
        message = dbc.Alert(_("No customer found. For a street leak, pick the place on the map or type the street."),
                            color="secondary", className="py-1 px-2 small mb-1")
        new_phone = query.strip() if looks_like_phone and not phone else dash.no_update
        return message, dash.no_update, new_phone, "", dash.no_update, dash.no_update
    return (_customer_card(card), card["name"], card["phone"] or query, card["customer_no"], card["address"],
            card["door_no"])


@secured_callback(
    ACTION,
    Output("hl-address", "value", allow_duplicate=True),
    Input("hl-click", "data"),
    State("hl-address", "value"),
    prevent_initial_call=True,
)
def pick_on_map(click, address):
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
def locate(customer_no, address, click):
    """Where the ticket will be, resolved exactly as saving will resolve it (customer, map point, street)."""
    from ops.services.intake import IntakeError, resolve_location

    ctx = context()
    patch = Patch()
    try:
        with ctx.read_session() as db:
            where, _customer = resolve_location(
                db, ctx.locator, address=address, customer_number=(customer_no or "").strip() or None,
                lon=_point(click).get("lon"), lat=_point(click).get("lat"))
    except IntakeError as exc:
        patch["data"][0]["lon"] = []
        patch["data"][0]["lat"] = []
        if not (customer_no or address or click):
            return None, "", patch
        text = "; ".join(problem_text(m) for m in exc.problems.values())
        return None, html.Span(text, className="text-warning-emphasis"), patch
    patch["data"][0]["lon"] = [where.lon]
    patch["data"][0]["lat"] = [where.lat]
    patch["layout"]["map"]["center"] = {"lon": where.lon, "lat": where.lat}
    patch["layout"]["map"]["zoom"] = 14
    source = {
        "customer": _("Customer's premises (exact)"),
        "street": _("Street match, approximate: {street}").format(street=where.street or ""),
        "coordinates": _("Point picked on the map"),
    }[where.source]
    district = " · " + _("District {code}").format(code=where.district_code) if where.district_code else ""
    badge = dbc.Badge(_("approximate"), color="warning", text_color="dark", className="ms-1") \
        if where.approximate else None
    return ({"lon": where.lon, "lat": where.lat, "source": where.source},
            html.Span([source, district, badge], id="hl-location-source"), patch)


# --------------------------------------------------------------------------------------------
# Live classification, safety script, duplicates
# --------------------------------------------------------------------------------------------

ANSWER_INPUTS = [Input(f"hl-{key}", "value") for key, _text in QUESTIONS]


def _report_for_preview(symptom: str, answers: list[str], urgency: str, major: list[str]):
    from ops.services.intake import ReportIn

    keys = [key for key, _text in QUESTIONS]
    return ReportIn(channel=Channel.HOTLINE, reporter_name="", phone="", address="", symptom=symptom,
                    started_at=context().clock(), urgency=urgency or Judgement.GENERAL.value,
                    major_leak=bool(major), **dict(zip(keys, answers, strict=True)))


FACTS = {
    ("odour", Answer.YES): N_("smell of gas"),
    ("odour", Answer.UNKNOWN): N_("smell of gas not known"),
    ("noise", Answer.YES): N_("abnormal noise"),
    ("people_on_site", Answer.YES): N_("people inside"),
    ("ventilated", Answer.NO): N_("not ventilated"),
    ("valve_closed", Answer.NO): N_("valve open"),
}


def _facts(symptom: str, answers: dict[str, str], urgency: str, major: list[str]) -> list[str]:
    """The answers that speak for urgency, in words: what the agent heard, next to the class it gives."""
    facts = [label(symptom)]
    for key, _text in QUESTIONS:
        message = FACTS.get((key, Answer(answers.get(key) or Answer.UNKNOWN)))
        if message:
            facts.append(_(message))
    if urgency == Judgement.EMERGENCY.value:
        facts.append(_("judged an emergency"))
    if major:
        facts.append(_("major leak"))
    return facts


def _class_badge(cls: int, text: str) -> html.Span:
    return html.Span(text, className="badge fs-6", style={"background": CLASS_COLOURS[cls]}, id="hl-class-badge")


@secured_callback(
    ACTION,
    Output("hl-proposed", "children"),
    Output("hl-reasons", "children"),
    Output("hl-script", "options"),
    Output("hl-script-box", "style"),
    Output("hl-emergency-call", "children"),
    Output("hl-emergency-call", "is_open"),
    Output("hl-slot-row", "style"),
    Input("hl-symptom", "value"),
    *ANSWER_INPUTS,
    Input("hl-urgency", "value"),
    Input("hl-major", "value"),
    Input("hl-class", "value"),
    Input("hl-safety", "data"),
)
def preview(symptom, *rest):
    """R6.5 live: the class the system proposes, why, and (class 1) the R6.2 script to read now."""
    from ops.rules import safety_script
    from ops.services.intake import preview_classification

    *answers, urgency, major, requested, given = rest
    hidden = {"display": "none"}
    if not symptom:
        return (html.Span(_("Choose the symptom to see the proposed class."), className="text-muted small"),
                [], [], hidden, "", False, hidden)
    result = preview_classification(_report_for_preview(symptom, answers, urgency, major))
    proposed = int(result.ticket_class)
    final = int(requested) if requested and requested != "auto" else proposed
    head: list = [_class_badge(proposed, _("Class {n}").format(n=proposed) + " · " + _(CLASS_NAMES[proposed]))]
    if final != proposed:
        head += [" → ", _class_badge(final, _("Class {n}").format(n=final))]
    reasons = [html.Li([_(r.message), html.Span(" (" + r.rule_id + ")", className="text-muted")])
               for r in result.reasons]
    rule_ids = ", ".join(dict.fromkeys(r.rule_id for r in result.reasons))
    summary = " + ".join(_facts(symptom, dict(zip([k for k, _t in QUESTIONS], answers, strict=True)), urgency,
                                major)) + " → " + _("class {n}").format(n=proposed) + ", " + rule_ids
    head.append(html.Div(summary, className="fw-semibold small mt-1", id="hl-proposal-summary"))
    script = safety_script(symptom, final, major_leak=bool(major))
    tz = context().settings.timezone
    options = []
    for line in script:
        text = line.render(_)
        at = (given or {}).get(line.code)
        if at:
            text += "  ✓ " + format_datetime(datetime.fromisoformat(at), tz, "%H:%M:%S")
        options.append({"label": text, "value": line.code})
    calls = [line for line in script if line.code in ("call_fire", "call_police")]
    call_text = ""
    if calls:
        call_text = _("Fire, explosion or major leak: tell the caller to phone {fire} (fire) and {police} (police) now "
                      "(R12.1).").format(fire=dict(calls[0].params)["number"],
                                         police=dict(calls[-1].params)["number"])
    return (head, reasons, options, {"display": "block"} if script else hidden, call_text, bool(calls),
            {"display": "block"} if final == 3 else hidden)


CLASS_NAMES = {1: N_("emergency repair"), 2: N_("urgent repair"), 3: N_("scheduled work")}


@secured_callback(
    ACTION,
    Output("hl-safety", "data"),
    Output("hl-err-safety_given", "children"),
    Input("hl-script", "value"),
    State("hl-safety", "data"),
    State("hl-saved", "data"),
    prevent_initial_call=True,
)
def tick_script(ticked, given, saved):
    """R6.2: each line ticked is time-stamped now; after saving it is recorded on the ticket at once."""
    from ops.db import transaction
    from ops.services.intake import IntakeError, record_safety_instruction

    ctx = context()
    now = ctx.clock()
    given = dict(given or {})
    ticked = ticked or []
    new = [code for code in ticked if code not in given]
    if saved and saved.get("id") and not saved.get("linked") and new:
        try:
            with transaction(ctx.sessions) as db:
                for code in new:
                    record_safety_instruction(db, current_actor(), int(saved["id"]), code, now)
        except IntakeError as exc:
            return given, problem_text(next(iter(exc.problems.values())))
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
def duplicates(point, symptom, odour, saved):
    """R5.6: open tickets near the place with a related symptom; linking beats a second ticket."""
    from ops.intake_lookup import summarise
    from ops.services.intake import find_duplicates

    if not point or not symptom:
        return html.Span(_("Shown once the place and the symptom are known."), className="text-muted")
    ctx = context()
    now = ctx.clock()
    tz = ctx.settings.timezone
    with ctx.read_session() as db:
        hits = [(summarise(h.ticket), h.distance_m) for h in find_duplicates(
            db, symptom=symptom, lon=point["lon"], lat=point["lat"], now=now, odour=odour,
            exclude_ticket_id=(saved or {}).get("id"))]
    if not hits:
        return html.Span(_("No open ticket nearby with a related symptom."), className="text-muted",
                         id="hl-no-duplicates")
    items = []
    for t, distance in hits:
        minutes = int((now - t.received_at).total_seconds() // 60)
        items.append(dbc.ListGroupItem([
            html.Div([_class_badge(t.ticket_class, str(t.ticket_class)), " ", html.B(t.ticket_no), " · ",
                      label(t.symptom), " · ", label(t.status)]),
            html.Div(t.address + " · " + _("{m} m away").format(m=round(distance)) + " · "
                     + _("reported {t} ({n} min ago)").format(t=format_datetime(t.received_at, tz, "%H:%M"),
                                                               n=minutes)),
            dbc.Button(_("Link to this ticket"), id={"type": "hl-link", "index": t.id}, size="sm",
                       color="warning", className="mt-1", n_clicks=0),
        ], className="py-1 px-2 hl-duplicate"))
    return dbc.ListGroup(items, id="hl-duplicate-list")


# --------------------------------------------------------------------------------------------
# Saving and linking
# --------------------------------------------------------------------------------------------


def _parse_local(value: str | None, tz: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        return None


def _deadline_items(t, tz: str) -> list:
    labels = [("depart_by", t.depart_deadline), ("dispatch_by", t.dispatch_deadline),
              ("onsite_target", t.onsite_target),
              ("onsite_limit" if t.ticket_class == 2 else "slot_end", t.onsite_deadline)]
    if t.ticket_class == 3:
        labels = [("slot_start", t.slot_start), ("slot_end", t.slot_end)]
    return [html.Li([_(DEADLINE_MESSAGES[key]) + ": ", html.B(format_datetime(at, tz, DATE_FMT))])
            for key, at in labels if at is not None]


FORM_STATES = [
    State("hl-name", "value"), State("hl-phone", "value"), State("hl-customer-no", "value"),
    State("hl-address", "value"), State("hl-door", "value"), State("hl-click", "data"),
    State("hl-symptom", "value"), *[State(f"hl-{key}", "value") for key, _text in QUESTIONS],
    State("hl-urgency", "value"), State("hl-major", "value"), State("hl-started", "value"),
    State("hl-duration", "value"), State("hl-description", "value"), State("hl-special", "value"),
    State("hl-class", "value"), State("hl-class-reason", "value"), State("hl-slot-date", "value"),
    State("hl-slot-start", "value"), State("hl-safety", "data"), State("hl-idem", "data"),
]


def _build_report(values: list, tz: str):
    from ops.services.intake import IntakeError, ReportIn

    (name, phone, customer_no, address, door, click, symptom, odour, noise, people, ventilated, valve, urgency,
     major, started, duration, description, special, requested, class_reason, slot_date, slot_start, given,
     _idem) = values
    problems: dict[str, str] = {}
    if not symptom:
        problems["symptom"] = "required"
    started_at = _parse_local(started, tz)
    if started_at is None:
        problems["started_at"] = "required"
    minutes = None
    if duration not in (None, ""):
        try:
            minutes = int(duration)
        except (TypeError, ValueError):
            problems["duration_minutes"] = "must be a whole number of minutes, 0 or more"
    slot_from = slot_to = None
    day = _parse_local(f"{slot_date}T{int(slot_start):02d}:00", tz) if slot_date and slot_start else None
    if day is not None:
        slot_from, slot_to = day, day + timedelta(hours=SLOT_HOURS)
    if problems:
        raise IntakeError(problems)
    return ReportIn(
        channel=Channel.HOTLINE, reporter_name=name or "", phone=phone or "", address=address or "",
        customer_number=(customer_no or "").strip() or None, door_no=door or None,
        lon=_point(click).get("lon"), lat=_point(click).get("lat"), symptom=symptom, started_at=started_at,
        duration_minutes=minutes, odour=odour, noise=noise, people_on_site=people, ventilated=ventilated,
        valve_closed=valve, description=description or None, urgency=urgency, special_requests=special or None,
        appointment_start=slot_from, appointment_end=slot_to, major_leak=bool(major),
        requested_class=int(requested) if requested and requested != "auto" else None, class_reason=class_reason or None,
        safety_given=tuple((code, datetime.fromisoformat(at)) for code, at in (given or {}).items()),
    )


def raise_needs_reason(report) -> bool:
    """R6.5 logs every change of class with why: the form asks the reason for raising it too.

    (Lowering is left to the service, which also asks for a supervisor and says so more precisely.)
    """
    from ops.services.intake import preview_classification

    if report.requested_class is None or (report.class_reason or "").strip():
        return False
    return int(report.requested_class) < int(preview_classification(report).ticket_class)


def _confirmation(t, reasons, safety_count: int, tz: str) -> dbc.Alert:
    body: list = [
        html.H5([_("Ticket saved") + ": ", html.Span(t.ticket_no, id="hl-ticket-no")], className="alert-heading"),
        html.Div([_class_badge(t.ticket_class, _("Class {n}").format(n=t.ticket_class) + " · "
                               + _(CLASS_NAMES[t.ticket_class])),
                  html.Span(" " + _("received {t}").format(t=format_datetime(t.received_at, tz, DATE_FMT)))]),
        html.Ul(_deadline_items(t, tz), className="mb-1 mt-1", id="hl-deadlines"),
        html.Ul([html.Li(_(r.message) + " (" + r.rule_id + ")") for r in reasons], className="small mb-1"),
    ]
    if t.location_approximate:
        body.append(html.Div(_("The place is approximate (street match): confirm it with the caller."),
                             className="small fw-semibold"))
    if t.ticket_class == 1:
        body.append(html.Div(_("Dispatchers are alerted. Safety lines recorded: {n}").format(n=safety_count),
                             className="small"))
    body.append(dcc.Link(_("Open the dispatch map"), href="/", className="alert-link small"))
    return dbc.Alert(body, color="success", id="hl-confirmation", className="py-2")


@secured_callback(
    ACTION,
    Output("hl-result", "children"),
    Output("hl-saved", "data"),
    Output("hl-save", "disabled"),
    *ERROR_OUTPUTS,
    Input("hl-save", "n_clicks"),
    *FORM_STATES,
    prevent_initial_call=True,
)
def save(n_clicks, *values):
    """Save the report as a ticket; errors go next to their fields and the form keeps what was typed."""
    import sqlalchemy as sa

    from ops.db import transaction
    from ops.intake_lookup import summarise
    from ops.services.intake import IntakeError, create_ticket, replay_idempotent

    if not n_clicks:
        raise PreventUpdate
    ctx = context()
    tz = ctx.settings.timezone
    actor = current_actor()
    key = values[-1]
    try:
        report = _build_report(list(values), tz)
        if raise_needs_reason(report):
            raise IntakeError("class_reason", "required")
        try:
            with transaction(ctx.sessions) as db:
                result = create_ticket(db, actor, report, now=ctx.clock(), locator=ctx.locator,
                                       idempotency_key=key)
                summary, reasons = summarise(result.ticket), result.reasons
        except sa.exc.IntegrityError:
            # A double click raced on the same idempotency key: the other request saved the ticket.
            with transaction(ctx.sessions) as db:
                result = replay_idempotent(db, actor, key, report)
                if result is None:
                    raise
                summary, reasons = summarise(result.ticket), result.reasons
    except IntakeError as exc:
        alert = dbc.Alert(_("Not saved: correct the fields marked in red."), color="danger",
                          className="py-1 px-2", id="hl-not-saved")
        return (alert, dash.no_update, False, *_errors_out(exc.problems))
    return (_confirmation(summary, reasons, len(report.safety_given), tz), {"id": summary.id, "ticket_no": summary.ticket_no},
            True, *_errors_out())


@secured_callback(
    ACTION,
    Output("hl-result", "children", allow_duplicate=True),
    Output("hl-saved", "data", allow_duplicate=True),
    Output("hl-save", "disabled", allow_duplicate=True),
    *ERROR_OUTPUTS,
    Input({"type": "hl-link", "index": ALL}, "n_clicks"),
    State("hl-name", "value"),
    State("hl-phone", "value"),
    State("hl-customer-no", "value"),
    State("hl-description", "value"),
    State("hl-saved", "data"),
    prevent_initial_call=True,
)
def link(clicks, name, phone, customer_no, description, saved):
    """R5.6: the caller becomes a reporter of the open ticket; no second ticket is created."""
    from ops.db import transaction
    from ops.intake_lookup import summarise
    from ops.services.intake import IntakeError, link_report

    trigger = dash.ctx.triggered_id
    clicks = clicks if isinstance(clicks, list) else [clicks]
    if not isinstance(trigger, dict) or not any(clicks) or saved or not isinstance(trigger.get("index"), int):
        raise PreventUpdate
    ctx = context()
    try:
        with transaction(ctx.sessions) as db:
            reporter = link_report(db, current_actor(), int(trigger["index"]), reporter_name=name or "",
                                   phone=phone or "", channel=Channel.HOTLINE, now=ctx.clock(),
                                   customer_number=(customer_no or "").strip() or None, note=description or None)
            db.refresh(reporter.ticket)
            summary = summarise(reporter.ticket)
    except IntakeError as exc:
        alert = dbc.Alert(_("Not linked: correct the fields marked in red."), color="danger",
                          className="py-1 px-2", id="hl-not-saved")
        return (alert, dash.no_update, dash.no_update, *_errors_out(exc.problems))
    text = _("Caller linked to {ticket}: it now has {n} reporters. No new ticket was created.").format(
        ticket=summary.ticket_no, n=summary.reporters)
    alert = dbc.Alert([html.Div(text), dcc.Link(_("Open the dispatch map"), href="/",
                                                                 className="alert-link small")],
                      color="success", id="hl-linked", className="py-2")
    return (alert, {"id": summary.id, "ticket_no": summary.ticket_no, "linked": True}, True, *_errors_out())
