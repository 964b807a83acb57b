"""The hotline intake form: its fields in the order of the conversation, and reading them back.

The three columns follow the order of a call and of the Tab key (who is calling, where, what, how
safe, then the decision), and every yes/no question starts at *unknown*, the worst case (R5.3).
:data:`FORM_STATES` names every field the page's save callback reads, and :func:`build_report` turns
those values into the :class:`~ops.services.intake.ReportIn` that the service classifies and saves,
so the form's shape and its reading live side by side.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, State, dcc, html

from dashboard.components.dispatch_map import CLASS_COLOURS, base_layers
from dashboard.components.hotline_call import call_start
from dashboard.components.slot_picker import slot_picker
from dashboard.context import context
from dashboard.i18n import _, format_datetime
from dashboard.labels import label
from ops import rules
from ops.errors import Problems
from ops.i18n import N_
from ops.services.intake import ReportIn
from ops.vocabulary import Answer, Channel, Judgement, Symptom, TicketClass

#: The questions of R5.2 (odour, noise) and R5.3 (safety state), in the order an agent asks them.
#: The keys are the ``ReportIn`` fields they fill, and the form's element ids without ``hl-``.
QUESTIONS: list[tuple[str, str]] = [
    ("odour", N_("Smell of gas?")),
    ("noise", N_("Abnormal noise (hissing)?")),
    ("people_on_site", N_("People on site?")),
    ("ventilated", N_("Ventilated?")),
    ("valve_closed", N_("Valve closed?")),
]
ANSWER_LABELS = {Answer.YES: N_("Yes"), Answer.NO: N_("No"), Answer.UNKNOWN: N_("Unknown")}

#: What the save callback reads, by name (Dash's named ``state=`` form). Read-only because Dash
#: merges a callback's inputs into the ``state`` dict it is given: pass a copy, ``dict(FORM_STATES)``.
FORM_STATES: Mapping[str, State] = MappingProxyType({
    "name": State("hl-name", "value"),
    "phone": State("hl-phone", "value"),
    "customer_no": State("hl-customer-no", "value"),
    "address": State("hl-address", "value"),
    "door": State("hl-door", "value"),
    "click": State("hl-click", "data"),
    "symptom": State("hl-symptom", "value"),
    "answers": {key: State(f"hl-{key}", "value") for key, _text in QUESTIONS},
    "urgency": State("hl-urgency", "value"),
    "major": State("hl-major", "value"),
    "started": State("hl-started", "value"),
    "duration": State("hl-duration", "value"),
    "description": State("hl-description", "value"),
    "special": State("hl-special", "value"),
    "requested_class": State("hl-class", "value"),
    "class_reason": State("hl-class-reason", "value"),
    "slot": State("hl-slot", "data"),
    "slot_force": State("hl-slot-force", "value"),
    "slot_reason": State("hl-slot-reason", "value"),
    "safety": State("hl-safety", "data"),
    "idempotency_key": State("hl-idem", "data"),
    "call_start": State("hl-call-start", "data"),
})


def _call_edits() -> tuple[Input, ...]:
    # the chosen slot is also written by the page (let go when the grades change); choosing one
    # follows the symptom, which is an edit already
    written_by_the_page = {"safety", "idempotency_key", "call_start", "slot"}
    typed = [state for name, state in FORM_STATES.items() if name not in written_by_the_page | {"answers"}]
    typed += FORM_STATES["answers"].values()
    lookup = [Input("hl-lookup", "value"), Input("hl-lookup", "n_submit"), Input("hl-lookup-btn", "n_clicks")]
    return (*lookup, *(Input(state.component_id, state.component_property) for state in typed))


#: R5.5: what starts a call, for its time stamp (:mod:`dashboard.components.hotline_call`): the
#: caller lookup and every field the agent fills in. Not the script ticks, which need a symptom first.
CALL_EDITS: tuple[Input, ...] = _call_edits()


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------


def _err(field: str) -> html.Div:
    return html.Div(id=f"hl-err-{field}", className="text-danger small", **{"aria-live": "polite"})


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
    (``assets/hotline_keys.js``) and written to the ``hl-click`` store, which the page's callbacks read.
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


def _local_input(value: datetime, tz: str) -> str:
    return format_datetime(value, tz, "%Y-%m-%dT%H:%M")


def caller_column() -> list:
    """Who is calling and where: the customer lookup, the caller's details and the map."""
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


def fault_column(now: datetime, tz: str, *, can_force: bool = False) -> list:
    """What is wrong and how safe it is, with the appointment slot a class-3 ticket needs (R6.4)."""
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
            [slot_picker(can_force=can_force), _err("appointment")],
            id="hl-slot-row", style={"display": "none"}, className="mb-1",
        ),
    ]


def decision_column() -> list:
    """The proposed class and any change to it, the R6.2 safety script, the duplicates and saving."""
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
        # R5.5: the call's start, signed by the server at the first lookup or edit ("New call"
        # reloads the page, which clears it); hl-call-edit is the browser's request for it.
        dcc.Store(id="hl-call-start"),
        dcc.Store(id="hl-call-edit"),
    ]


# --------------------------------------------------------------------------------------------
# Reading the form
# --------------------------------------------------------------------------------------------


def map_point(click: Any) -> dict:
    """The map click store's value, or nothing: it is written by the browser, so it is checked."""
    return click if isinstance(click, dict) else {}


def _parse_local(value: str | None, tz: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        return None


def offered_slot_end(start: datetime) -> datetime:
    """The end of the offered slot that starts at ``start`` (its local day's grid), else a slot's length on."""
    local = rules.to_local(start)
    return next((e for s, e in rules.day_slots(local.date()) if s == local), rules.slot_end_for(start))


def build_report(form: Mapping[str, Any], tz: str) -> ReportIn:
    """The report the form describes (``form`` holds the values of :data:`FORM_STATES`).

    Only what the service cannot see is checked here (a missing symptom or start, a duration that is
    not a number); everything else is the service's to refuse, in the same words as for the API.
    The report is received when the call started (R5.5), as the server stamped it; without a valid
    stamp the service takes the save time.
    """
    problems = Problems()
    if not form["symptom"]:
        problems.add("required", "symptom")
    started_at = _parse_local(form["started"], tz)
    if started_at is None:
        problems.add("required", "started_at")
    minutes = None
    duration = form["duration"]
    if duration not in (None, ""):
        try:
            minutes = int(duration)
        except (TypeError, ValueError):
            problems.add("minutes_invalid", "duration_minutes")
    slot_from = slot_to = None
    if isinstance(form["slot"], str):  # the chosen slot's start, written by the picker
        try:
            slot_from = datetime.fromisoformat(form["slot"])
        except ValueError:
            slot_from = None
        slot_to = offered_slot_end(slot_from) if slot_from is not None and slot_from.tzinfo else None
    problems.raise_if_any()
    click = map_point(form["click"])
    requested = form["requested_class"]
    return ReportIn(
        channel=Channel.HOTLINE, reporter_name=form["name"] or "", phone=form["phone"] or "",
        address=form["address"] or "", customer_number=(form["customer_no"] or "").strip() or None,
        door_no=form["door"] or None, lon=click.get("lon"), lat=click.get("lat"), symptom=form["symptom"],
        started_at=started_at, duration_minutes=minutes, **form["answers"],
        description=form["description"] or None, urgency=form["urgency"], special_requests=form["special"] or None,
        appointment_start=slot_from, appointment_end=slot_to, major_leak=bool(form["major"]),
        appointment_forced=bool(form["slot_force"]), appointment_reason=form["slot_reason"] or None,
        requested_class=int(requested) if requested and requested != "auto" else None,
        class_reason=form["class_reason"] or None, received_at=call_start(form["call_start"]),
        safety_given=tuple((code, datetime.fromisoformat(at)) for code, at in (form["safety"] or {}).items()),
    )


def preview_report(symptom: str, answers: Mapping[str, str | None], urgency: str | None, major: list[str],
                   now: datetime) -> ReportIn:
    """The report as far as it is typed, for the live proposal: only what the class depends on."""
    return ReportIn(channel=Channel.HOTLINE, reporter_name="", phone="", address="", symptom=symptom,
                    started_at=now, urgency=urgency or Judgement.GENERAL.value, major_leak=bool(major), **answers)
