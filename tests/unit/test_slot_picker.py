"""The hotline's slot picker (R6.4): grade in colour and words, impossible slots disabled unless forced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from dashboard.components.hotline_form import FORM_STATES, build_report, offered_slot_end
from dashboard.components.slot_picker import slot_grid
from dashboard.i18n import init_i18n

TZ = "America/Santiago"
START = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)  # 10:00 local


def _grades() -> list[dict[str, Any]]:
    return [
        {"start": (START + timedelta(hours=2 * k)).isoformat(), "end": (START + timedelta(hours=2 * k + 2)).isoformat(),
         "grade": grade, "crew": crew, "extra_min": extra}
        for k, (grade, crew, extra) in enumerate([("feasible", "CR01", 4), ("tight", "CR02", 9),
                                                   ("not_possible", None, None)])
    ]


def _buttons(children) -> list:
    return [b for row in children for b in row.children[1].children]


@pytest.fixture
def request_context():
    server = Flask(__name__)
    init_i18n(server, "en", TZ)
    with server.test_request_context("/"):
        yield


def test_each_slot_says_its_grade_crew_and_extra_minutes(request_context):
    buttons = _buttons(slot_grid(_grades(), None, False, TZ))
    assert [b.to_plotly_json()["props"]["data-grade"] for b in buttons] == ["feasible", "tight", "not_possible"]
    texts = [" ".join(str(d.children) for d in b.children) for b in buttons]
    assert texts[0].startswith("10:00–12:00 feasible +4 min · CR01")
    assert texts[1].startswith("12:00–14:00 tight +9 min · CR02")
    assert texts[2].startswith("14:00–16:00 not possible")
    assert [b.disabled for b in buttons] == [False, False, True]
    assert "btn-outline-success" in buttons[0].className and "btn-outline-warning" in buttons[1].className


def test_a_chosen_slot_is_filled_and_forcing_enables_the_impossible(request_context):
    grades = _grades()
    buttons = _buttons(slot_grid(grades, grades[1]["start"], True, TZ))
    assert "btn-warning" in buttons[1].className and "btn-outline" not in buttons[1].className
    assert [b.disabled for b in buttons] == [False, False, False]


def test_the_chosen_slot_becomes_the_reports_appointment():
    form = {name: None for name in FORM_STATES}
    form.update(symptom="installation", started="2026-12-02T09:00", answers={}, urgency="general", major=[],
                slot=START.isoformat(), slot_force=["force"], slot_reason="borrowed installer")
    report = build_report(form, TZ)
    assert report.appointment_start == START and report.appointment_end == START + timedelta(hours=2)
    assert report.appointment_forced and report.appointment_reason == "borrowed installer"
    assert offered_slot_end(START) == START + timedelta(hours=2)
    form.update(slot=None, slot_force=[])
    report = build_report(form, TZ)
    assert report.appointment_start is None and not report.appointment_forced
