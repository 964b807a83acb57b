"""Layout builders for the dispatch page's side panels: the recommendation for the selected ticket,
the crew list, the "Plan all" proposals and the scheduler's alerts.

Pure functions of plain rows and the typed recommendation (``ops.recommendations``), so they are
unit-tested without a browser or a database; the page only wires them to callbacks. Times are shown
in the configured zone, and every deadline's slack is named the way the regulation names it (R6).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import html
from flask_babel import pgettext

from dashboard.i18n import format_clock, format_datetime
from dashboard.labels import LABELS, label
from ops.recommendations import Option, StoredRecommendation
from ops.rules import get_rule_settings
from optimizer.dispatch_types import Reason
from optimizer.explain import minutes, render

Translate = Callable[[str], str]


#: Field ids of the panel under which a service's refusal is shown (``ServiceError.field``).
ERROR_FIELDS = ("override_reason", "crew_id")


def minutes_text(seconds: float, _: Translate, *, up: bool = False) -> str:
    """Whole minutes, the precision a dispatcher works in ("12 min", "1 h 05 min").

    Spare time rounds down; lateness, and with ``up`` any delay, rounds up: "delays it by 0 min" or
    "0 min late" would read as no harm done.
    """
    h, m = minutes(seconds, up=up)
    return _("{h} h {m:02d} min").format(h=h, m=m) if h else _("{m} min").format(m=m)


def duration_text(minutes: int, _: Translate) -> str:
    """A configured length of time as a rule states it: "30 min", "4 h", "1 h 30 min"."""
    if minutes < 60:
        return _("{m} min").format(m=minutes)
    if minutes % 60 == 0:
        return _("{h} h").format(h=minutes // 60)
    return _("{h} h {m:02d} min").format(h=minutes // 60, m=minutes % 60)


def deadline_label(name: str, _: Translate, ticket_class: int | None = None) -> str:
    """The deadline a slack is measured against, with the configured numbers (R6: they are settings).

    ``name`` is a key of ``optimizer.dispatch_types.slack_of`` (an old stored key was renamed when the
    option was read, ``ops.recommendations.current_slack``); the on-site target depends on the class (60 min for class 1, 4 h for class 2 by default).
    """
    rules = get_rule_settings()
    if name == "depart_by":
        return _("depart ≤{time}").format(time=duration_text(rules.class1_depart_minutes, _))
    if name == "onsite_target":
        minutes = {1: rules.class1_onsite_target_minutes, 2: rules.class2_onsite_target_minutes}.get(ticket_class)
        return _("on-site target") if minutes is None else _("on site ≤{time} (target)").format(
            time=duration_text(minutes, _))
    if name == "onsite_limit":
        return _("on site ≤{time}").format(time=duration_text(rules.class2_onsite_limit_minutes, _))
    if name == "slot_end":
        return _("inside the slot")
    return name


def slack_item(name: str, seconds: int, _: Translate, ticket_class: int | None = None) -> html.Li:
    """"depart ≤30 min: 12 min spare", or in red "… 5 min late" when the deadline would be missed."""
    deadline = deadline_label(name, _, ticket_class)
    if seconds < 0:
        text = _("{deadline}: {t} late").format(deadline=deadline, t=minutes_text(seconds, _))
        return html.Li(text, className="text-danger fw-semibold slack-late")
    text = _("{deadline}: {t} spare").format(deadline=deadline, t=minutes_text(seconds, _))
    return html.Li(text, className="slack-ok")


def clock_and_wait(at: datetime, now_s: int, timezone: str, _: Translate) -> str:
    """"14:05 (in 25 min)": the clock time in the configured zone (with the date if not today) and the wait."""
    now = datetime.fromtimestamp(now_s, UTC)
    return _("{time} (in {t})").format(time=format_clock(at, now, timezone),
                                      t=minutes_text(int(at.timestamp()) - now_s, _))


def eta_text(option: Option, now_s: int, timezone: str, _: Translate) -> str:
    """Clock time in the configured zone plus minutes from the moment of the recommendation."""
    return clock_and_wait(option.eta, now_s, timezone, _)


def departure_text(option: Option, now_s: int, timezone: str, _: Translate) -> str:
    wait = option.departure_s - now_s
    if wait <= 60:
        return _("now")
    return clock_and_wait(option.departure, now_s, timezone, _)


def displaced_text(option: Option, numbers: Mapping[int, str], _: Translate) -> str:
    """What sending this crew pushes back: ticket numbers and their delay, or that it delays nothing."""
    if not option.displaces:
        return _("delays no other work")
    parts = [_("{ticket} by {t}").format(ticket=numbers.get(d.ticket_id, str(d.ticket_id)),
                                        t=minutes_text(d.delay_s, _, up=True)) for d in option.displaces]
    return _("delays {what}").format(what=", ".join(parts))


def reason_text(reason: Reason, _: Translate) -> str:
    """The optimizer's reason for an option in the user's language: its one template, translated."""
    def job(kind: str) -> str:
        code = kind.replace(" ", "_")  # the optimizer names a job by its symptom code, spaced
        return _(LABELS[code]) if code in LABELS else kind

    return render(reason, _, lambda seconds, up: minutes_text(seconds, _, up=up), job)


def explanation_text(option: Option, _: Translate) -> str:
    """Why this crew, in the user's language: the optimizer's structured reason, translated.

    A payload stored before reasons were (or by a newer version, with a kind this one does not know)
    shows its stored English sentence: an old recommendation still says why.
    """
    return reason_text(option.reason, _) if option.reason is not None else option.explanation


def option_card(option: Option, now_s: int, timezone: str, numbers: Mapping[int, str],
                _: Translate, ticket_class: int | None = None) -> dbc.Card:
    """One ranked crew: ETA, departure, slack per deadline, displaced work and the optimizer's reason."""
    rank = option.rank
    title = [html.Span(f"{rank}. ", className="text-muted"), html.B(option.crew_code)]
    if rank == 1:
        title.append(dbc.Badge(_("recommended"), color="success", className="ms-2"))
    if option.diverted:
        title.append(dbc.Badge(_("diverted"), color="warning", text_color="dark", className="ms-1"))
    if option.busy:
        title.append(dbc.Badge(_("on another order"), color="secondary", className="ms-1 rec-busy"))
    return dbc.Card(dbc.CardBody([
        html.Div(title, className="mb-1"),
        html.Div([html.Span(_("ETA") + ": ", className="text-muted"),
                  html.Span(eta_text(option, now_s, timezone, _), className="fw-semibold rec-eta")]),
        html.Div([html.Span(_("Departs") + ": ", className="text-muted"),
                  departure_text(option, now_s, timezone, _)]),
        html.Ul([slack_item(k, int(v), _, ticket_class) for k, v in option.slack_s.items()],
                className="list-unstyled mb-1 rec-slack"),
        html.Div(displaced_text(option, numbers, _), className="rec-displaces"),
        html.Div(explanation_text(option, _), title=option.explanation,
                 className="text-muted fst-italic rec-explanation"),
    ], className="p-2"), className="h-100 small rec-option" + (" border-success" if rank == 1 else ""),
        id={"type": "rec-option", "crew": option.crew_id})


def recommendation_view(rec: StoredRecommendation, timezone: str, numbers: Mapping[int, str],
                        _: Translate) -> list[Any]:
    """The top crews side by side, with a visible note when they come from the greedy fallback."""
    now_s = rec.now_s
    options = rec.options
    out: list[Any] = []
    if rec.used_fallback:
        out.append(dbc.Alert(
            _("The optimizer did not answer: these crews are the greedy fallback (nearest skilled crew)."),
            color="warning", className="py-1 px-2 mb-2 small", id="rec-fallback"))
    if not options:
        out.append(dbc.Alert(_("No crew can be recommended for this ticket."), color="danger",
                             className="py-1 px-2 mb-2 small", id="rec-none"))
        return out
    out.append(dbc.Row([dbc.Col(option_card(o, now_s, timezone, numbers, _, ticket_class=rec.ticket_class),
                                md=4, className="mb-2")
                        for o in options], className="g-2"))
    time = format_datetime(rec.created_at, timezone, "%H:%M:%S")
    if rec.stored:
        note = _("Recommended at {time}; stored with the decision (R13.1).").format(time=time)
    else:
        note = _("Preview at {time}: your role may not store a recommendation, so none was kept.").format(time=time)
    out.append(html.Div(note, className="small text-muted", id="rec-stored-note"))
    return out


def ticket_header(ticket_no: str, ticket_class: int, symptom: str, address: str, received_at: datetime,
                  now: datetime, _: Translate) -> html.Div:
    """Which ticket the panel is about, and how long ago it was reported."""
    minutes = max(0, int((now - received_at).total_seconds() // 60))
    return html.Div([
        dbc.Badge(_("Class {n}").format(n=ticket_class), color={1: "danger", 2: "warning"}.get(ticket_class, "primary"),
                  className="me-2"),
        html.B(ticket_no, id="rec-ticket-no"), " · ", label(symptom), " · ", address, " · ",
        html.Span(_("{m} min since the report").format(m=minutes), className="text-muted"),
    ], className="small")


def order_view(order: Any, timezone: str, _: Translate) -> dbc.Alert:
    """The ticket's work order instead of a recommendation: who was sent, and how far it has got."""
    steps = [(_("dispatched"), order.dispatched_at), (_("acknowledged"), order.acknowledged_at),
             (_("departed"), order.departed_at), (_("on site"), order.arrived_at)]
    times = " · ".join(f"{name} {format_datetime(at, timezone, '%H:%M')}" for name, at in steps if at is not None)
    decision = []
    if order.auto_dispatched:
        decision.append(_("dispatched by the system (R7.3)"))
    elif order.override_reason:
        decision.append(_("override: {reason}").format(reason=order.override_reason))
    return dbc.Alert([
        html.Div([_("Crew") + ": ", html.B(order.crew_code, id="rec-order-crew"), " · ",
                  _("Order status") + ": ", html.B(label(order.status), id="rec-order-status")]),
        html.Div(times, className="small"),
        *[html.Div(d, className="small fst-italic") for d in decision],
    ], color="success" if order.status != "cancelled" else "secondary", className="py-2 px-2 mb-0",
        id="rec-order")


def crew_rows(rows: Iterable[Any], now: datetime, timezone: str, _: Translate) -> list[dict[str, Any]]:
    """The crew list's grid rows: status in words, current ticket, and when the crew is next free."""
    out = []
    for r in rows:
        if r.free_now:
            free = _("now")
        elif r.free_at is not None:
            free = format_clock(r.free_at, now, timezone)
        else:
            free = "—"
        out.append({"code": r.code, "name": r.name, "status": label(r.status), "status_code": r.status,
                    "ticket": r.ticket_no or "", "free": free})
    return out


def crew_columns(_: Translate) -> list[dict[str, Any]]:
    return [
        {"field": "code", "headerName": _("Crew"), "width": 80},
        {"field": "name", "headerName": _("Name"), "flex": 1, "minWidth": 100},
        {"field": "status", "headerName": _("Status"), "width": 110},
        {"field": "ticket", "headerName": _("Ticket"), "width": 146},
        {"field": "free", "headerName": _("Free at"), "width": 90,
         "headerTooltip": _("Estimate: arrival plus the expected time on site")},
    ]


def slack_summary(slack: Mapping[str, int], _: Translate, ticket_class: int | None = None) -> str:
    """The tightest deadline of a proposal, for one grid cell."""
    if not slack:
        return ""
    name, seconds = min(slack.items(), key=lambda kv: kv[1])
    deadline = deadline_label(name, _, ticket_class)
    pattern = _("{deadline}: {t} late") if seconds < 0 else _("{deadline}: {t} spare")
    return pattern.format(deadline=deadline, t=minutes_text(seconds, _))


def proposal_rows(proposals: Sequence[Any], now: datetime, timezone: str, _: Translate) -> list[dict[str, Any]]:
    """"Plan all" proposals as grid rows; the ids travel along for the confirmation."""
    now_s = int(now.timestamp())
    return [{
        "ticket": p.ticket_no, "ticket_id": p.ticket_id, "cls": p.ticket_class, "crew": p.crew_code,
        "crew_id": p.crew_id, "recommendation_id": p.recommendation_id,
        "eta": clock_and_wait(p.eta, now_s, timezone, _),
        "slack": slack_summary(p.slack_s, _, p.ticket_class),
        "late": any(v < 0 for v in p.slack_s.values()),
        "result": "",
    } for p in proposals]


def proposal_columns(_: Translate) -> list[dict[str, Any]]:
    return [
        {"field": "ticket", "headerName": _("Ticket"), "width": 170},
        {"field": "cls", "headerName": _("Class"), "width": 64},
        {"field": "crew", "headerName": _("Crew"), "width": 72},
        {"field": "eta", "headerName": _("ETA"), "width": 130},
        {"field": "slack", "headerName": _("Slack"), "flex": 1, "minWidth": 150},
        {"field": "result", "headerName": _("Result"), "flex": 1, "minWidth": 120},
    ]


def plan_summary(plan: Any, _: Translate) -> list[Any]:
    """How many tickets the plan proposes, holds back and cannot serve, and whether it is the fallback."""
    out: list[Any] = [html.Div(_("Proposals: {n} · queued behind a crew's current job: {q}").format(
        n=len(plan.proposals), q=plan.queued), id="plan-count")]
    if plan.used_fallback:
        out.append(html.Div(_("The solver did not improve on the greedy plan: these are its proposals."),
                            className="text-warning-emphasis"))
    urgent = [no for no, cls, _why in plan.dropped if cls == 1]
    later = len(plan.dropped) - len(urgent)
    if urgent:
        out.append(html.Div(_("Class 1 with no crew: {tickets}").format(tickets=", ".join(urgent)),
                            className="text-danger fw-semibold", id="plan-no-crew"))
    if later:
        out.append(html.Div(_("Not planned within the shifts now on duty: {n} tickets").format(n=later),
                            className="text-muted"))
    return out


def alert_items(alerts: Sequence[Any], timezone: str, _: Translate, *, can_acknowledge: bool = False) -> list[Any]:
    """Open alerts, red ones first, newest first within each; each with an Acknowledge button if allowed."""
    if not alerts:
        return [html.Div(_("No open alerts."), className="small text-muted", id="alerts-empty")]
    ordered = sorted(alerts, key=lambda a: (a.kind != "red", -a.created_at.timestamp(), -a.id))
    items = []
    for a in ordered:
        text = _(a.message) if a.message else a.kind
        parts: list[Any] = [
            html.Span(format_datetime(a.created_at, timezone, "%H:%M"), className="text-muted me-2"),
            html.B(a.ticket_no, className="me-2"), text,
        ]
        if a.crew_code:
            parts += [" · ", _("Crew") + ": ", a.crew_code]
        row: list[Any] = [html.Div(parts, className="flex-grow-1")]
        if can_acknowledge:
            row.append(dbc.Button(pgettext("alert", "Acknowledge"), id={"type": "alert-ack", "id": a.id}, size="sm",
                                  color="outline-secondary", className="ms-2 py-0"))
        red = a.kind == "red"
        items.append(html.Li(row, className="d-flex align-items-center py-1 border-bottom alert-item"
                             + (" text-danger fw-semibold alert-red" if red else "")))
    return [html.Ul(items, className="list-unstyled mb-0 small")]


def alert_count(alerts: Sequence[Any]) -> tuple[int, int]:
    """(all, red): the tab label shows both so a red alert is seen without opening the tab."""
    return len(alerts), sum(1 for a in alerts if a.kind == "red")
