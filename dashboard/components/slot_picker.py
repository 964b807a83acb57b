"""The hotline's appointment slot picker (R6.4): the next days' two-hour slots, graded, one button each.

Each slot shows its grade in colour *and* in words (feasible green, tight amber, not possible grey),
with the extra drive minutes and the crew that would take it. A slot no crew can keep is disabled;
a supervisor may tick "book a slot no crew can keep" and give a reason, which enables them (the
service still checks both). The grades come from :func:`ops.reads.appointment_slots.slot_grades` as
plain dicts (:func:`grades_data`) so that the page can keep them in a store and redraw the grid on a
click without grading again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.i18n import _, format_datetime
from ops.i18n import N_
from ops.reads.appointment_slots import GradedSlot

__all__ = ["GRADE_TEXT", "grades_data", "slot_grid", "slot_picker"]

#: Grade → (Bootstrap colour, what the agent reads).
GRADE_TEXT: Mapping[str, tuple[str, str]] = MappingProxyType({
    "feasible": ("success", N_("feasible")),
    "tight": ("warning", N_("tight")),
    "not_possible": ("secondary", N_("not possible")),
})


def grades_data(slots: Sequence[GradedSlot]) -> list[dict[str, Any]]:
    """The graded slots as the store keeps them (JSON)."""
    return [{"start": s.start.isoformat(), "end": s.end.isoformat(), "grade": s.grade.value,
             "crew": s.crew_code, "extra_min": None if s.extra_drive_s is None else round(s.extra_drive_s / 60)}
            for s in slots]


def slot_picker(*, can_force: bool) -> html.Div:
    """The picker's frame: the grid (filled by the page), the chosen slot and a supervisor's override."""
    force = html.Div(
        [
            dbc.Checklist(id="hl-slot-force", value=[], className="small mb-1", switch=True,
                          options=[{"label": _("Book a slot no crew can keep (supervisor)"), "value": "force"}]),
            dbc.Input(id="hl-slot-reason", size="sm", placeholder=_("Reason for booking it anyway")),
            html.Div(id="hl-err-appointment_reason", className="text-danger small", **{"aria-live": "polite"}),
        ],
        id="hl-slot-force-box", className="mt-1", style={} if can_force else {"display": "none"},
    )
    return html.Div([
        html.Div(_("Appointment slot (class 3)"), className="small fw-semibold"),
        html.Div(_("Slots a crew can keep are green (feasible) or amber (tight); grey ones no crew can keep."),
                 className="text-muted small"),
        dcc.Loading(html.Div(id="hl-slot-grid", className="small"), type="dot"),
        dcc.Store(id="hl-slot-grades", data=[]),
        dcc.Store(id="hl-slot"),
        html.Div(id="hl-slot-chosen", className="small fw-semibold", **{"aria-live": "polite"}),
        force,
    ])


def _cell(slot: Mapping[str, Any], chosen: str | None, force: bool, tz: str) -> html.Button:
    colour, word = GRADE_TEXT[slot["grade"]]
    start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
    times = f"{format_datetime(start, tz, '%H:%M')}–{format_datetime(end, tz, '%H:%M')}"
    detail = ""
    if slot["crew"]:
        detail = _("+{minutes} min · {crew}").format(minutes=slot["extra_min"], crew=slot["crew"])
    picked = slot["start"] == chosen
    enabled = slot["grade"] != "not_possible" or force
    return html.Button(
        [html.Div(times, className="fw-semibold"), html.Div(_(word)), html.Div(detail or "\u00a0")],
        id={"type": "hl-slot", "index": slot["start"]}, n_clicks=0, disabled=not enabled,
        className=f"btn btn-sm {'btn' if picked else 'btn-outline'}-{colour} hl-slot-btn lh-sm px-1 py-1",
        style={"minWidth": "6.2rem", "fontSize": "0.72rem"}, title=f"{times} {_(word)} {detail}".strip(),
        **{"data-grade": slot["grade"], "aria-pressed": "true" if picked else "false"},
    )


def slot_grid(grades: Sequence[Mapping[str, Any]], chosen: str | None, force: bool, tz: str) -> list[Any]:
    """One row per day: its date, then its slots as buttons."""
    rows: dict[str, list[Mapping[str, Any]]] = {}
    for slot in grades:
        rows.setdefault(format_datetime(datetime.fromisoformat(slot["start"]), tz, "%Y-%m-%d"), []).append(slot)
    return [
        html.Div([
            html.Div(format_datetime(datetime.fromisoformat(slots[0]["start"]), tz, "%Y-%m-%d"),
                     className="text-muted me-1", style={"minWidth": "5.5rem"}),
            html.Div([_cell(s, chosen, force, tz) for s in slots], className="d-flex flex-wrap gap-1"),
        ], className="d-flex align-items-center mb-1 hl-slot-day")
        for _day, slots in rows.items()
    ]
