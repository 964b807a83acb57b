"""The R6.2 safety script on the hotline page: the lines the agent reads and ticks, and the
call-back queue of class-1 reporters who only saw the guidance on a screen (app, WeChat, counter).

Each ticked line shows when it was read, because the time is what R6.2 records; the calls to the
fire brigade and the police (R12.1) are repeated above the list in red, where they cannot be missed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import html

from dashboard.i18n import _, format_datetime
from dashboard.labels import label
from ops.reads.caller_lookup import CallbackRow
from ops.rules import SafetyInstruction, safety_script

#: The script lines that tell the caller to phone the emergency services themselves (R12.1).
EMERGENCY_CALLS = ("call_fire", "call_police")


def script_options(script: Iterable[SafetyInstruction], given: Mapping[str, str] | None,
                   tz: str) -> list[dict[str, str]]:
    """The checklist of the script; a line already read carries the time it was ticked."""
    options = []
    for line in script:
        text = line.render(_)
        at = (given or {}).get(line.code)
        if at:
            text += "  ✓ " + format_datetime(datetime.fromisoformat(at), tz, "%H:%M:%S")
        options.append({"label": text, "value": line.code})
    return options


def emergency_call_text(script: Iterable[SafetyInstruction]) -> str:
    """The red banner over the script for a fire, an explosion or a major leak; empty otherwise."""
    calls = [line for line in script if line.code in EMERGENCY_CALLS]
    if not calls:
        return ""
    return _("Fire, explosion or major leak: tell the caller to phone {fire} (fire) and {police} (police) now "
             "(R12.1).").format(fire=dict(calls[0].params)["number"], police=dict(calls[-1].params)["number"])


def callback_done_alert(reached: bool) -> dbc.Alert:
    """What a recorded call did to the queue: reached closes the task, no answer keeps it queued."""
    text = _("Call-back done: removed from the queue.") if reached else _(
        "No answer recorded: the task stays in the queue; try again shortly.")
    return dbc.Alert(text, color="success" if reached else "warning", className="py-1 px-2 small",
                     duration=8000, id="hl-callback-done")


def _callback_item(row: CallbackRow, tz: str) -> dbc.ListGroupItem:
    """One reporter to ring: whom, about what, since when, the script to read and the two outcomes."""
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


def callback_panel(rows: list[CallbackRow], tz: str) -> html.Div | dbc.Card:
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
