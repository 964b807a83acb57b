"""What a hotline call comes to: the proposed class and why (R6.5), the likely duplicates (R5.6),
and the saved or linked ticket with the deadlines it now runs against (R6).

The proposal repeats the answers that drove it in words ("smell of gas + people inside → class 1"),
so the agent can check what was heard against the class before saving, not after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.dispatch_map import CLASS_COLOURS
from dashboard.components.hotline_form import QUESTIONS
from dashboard.i18n import _, format_datetime
from dashboard.labels import label
from ops.i18n import N_
from ops.reads.caller_lookup import TicketSummary
from ops.rules import DEADLINE_MESSAGES, Reason
from ops.vocabulary import Answer, Judgement

DATE_FMT = "%Y-%m-%d %H:%M"

CLASS_NAMES = {1: N_("emergency repair"), 2: N_("urgent repair"), 3: N_("scheduled work")}

#: The answers that speak for urgency, as the proposal names them.
FACTS = {
    ("odour", Answer.YES): N_("smell of gas"),
    ("odour", Answer.UNKNOWN): N_("smell of gas not known"),
    ("noise", Answer.YES): N_("abnormal noise"),
    ("people_on_site", Answer.YES): N_("people inside"),
    ("ventilated", Answer.NO): N_("not ventilated"),
    ("valve_closed", Answer.NO): N_("valve open"),
}


def class_badge(cls: int, text: str) -> html.Span:
    return html.Span(text, className="badge fs-6", style={"background": CLASS_COLOURS[cls]}, id="hl-class-badge")


def _facts(symptom: str, answers: Mapping[str, str | None], urgency: str, major: list[str]) -> list[str]:
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


def proposal(symptom: str, answers: Mapping[str, str | None], urgency: str, major: list[str],
             reasons: Sequence[Reason], proposed: int, final: int) -> list:
    """The proposed class, the class to be saved when the agent changed it, and the facts behind it."""
    head: list = [class_badge(proposed, _("Class {n}").format(n=proposed) + " · " + _(CLASS_NAMES[proposed]))]
    if final != proposed:
        head += [" → ", class_badge(final, _("Class {n}").format(n=final))]
    rule_ids = ", ".join(dict.fromkeys(r.rule_id for r in reasons))
    summary = " + ".join(_facts(symptom, answers, urgency, major)) + " → " + _("class {n}").format(n=proposed) \
        + ", " + rule_ids
    head.append(html.Div(summary, className="fw-semibold small mt-1", id="hl-proposal-summary"))
    return head


def reason_items(reasons: Iterable[Reason]) -> list[html.Li]:
    return [html.Li([_(r.message), html.Span(" (" + r.rule_id + ")", className="text-muted")]) for r in reasons]


def duplicate_list(hits: Sequence[tuple[TicketSummary, float]], now: datetime, tz: str) -> html.Span | dbc.ListGroup:
    """R5.6: open tickets near the place, each with the button that links the caller to it."""
    if not hits:
        return html.Span(_("No open ticket nearby with a related symptom."), className="text-muted",
                         id="hl-no-duplicates")
    items = []
    for t, distance in hits:
        minutes = int((now - t.received_at).total_seconds() // 60)
        items.append(dbc.ListGroupItem([
            html.Div([class_badge(t.ticket_class, str(t.ticket_class)), " ", html.B(t.ticket_no), " · ",
                      label(t.symptom), " · ", label(t.status)]),
            html.Div(t.address + " · " + _("{m} m away").format(m=round(distance)) + " · "
                     + _("reported {t} ({n} min ago)").format(t=format_datetime(t.received_at, tz, "%H:%M"),
                                                               n=minutes)),
            dbc.Button(_("Link to this ticket"), id={"type": "hl-link", "index": t.id}, size="sm",
                       color="warning", className="mt-1", n_clicks=0),
        ], className="py-1 px-2 hl-duplicate"))
    return dbc.ListGroup(items, id="hl-duplicate-list")


def _deadline_items(t: TicketSummary, tz: str) -> list[html.Li]:
    return [html.Li([_(DEADLINE_MESSAGES[label]) + ": ", html.B(format_datetime(at, tz, DATE_FMT))])
            for label, at in t.deadlines.items()]


def confirmation(t: TicketSummary, reasons: Iterable[Reason], safety_count: int, tz: str) -> dbc.Alert:
    """The saved ticket: its number and class, its deadlines, and what the agent must still do."""
    body: list = [
        html.H5([_("Ticket saved") + ": ", html.Span(t.ticket_no, id="hl-ticket-no")], className="alert-heading"),
        html.Div([class_badge(t.ticket_class, _("Class {n}").format(n=t.ticket_class) + " · "
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


def linked_alert(t: TicketSummary) -> dbc.Alert:
    """R5.6: the caller joined an open ticket; saying no ticket was created stops a second try."""
    text = _("Caller linked to {ticket}: it now has {n} reporters. No new ticket was created.").format(
        ticket=t.ticket_no, n=t.reporters)
    return dbc.Alert([html.Div(text), dcc.Link(_("Open the dispatch map"), href="/", className="alert-link small")],
                     color="success", id="hl-linked", className="py-2")
