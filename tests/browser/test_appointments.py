"""R6.4 in real headless Chromium: two class-3 tickets booked at the hotline into graded slots."""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest
import sqlalchemy as sa
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from ops import rules
from ops.models import AuditEvent, Ticket
from tests.browser.test_hotline import _answer, _click, _open_hotline, _wait
from tests.browser.test_roles_and_languages import log_in

pytestmark = pytest.mark.browser


_CELLS = """return Array.from(document.querySelectorAll('#hl-slot-grid .hl-slot-btn')).map(b => ({
    id: b.id, grade: b.dataset.grade, disabled: b.disabled, text: b.innerText, cls: b.className}));"""


def _stable_cells(dash_duo) -> list[dict] | None:
    """The grid's cells once two reads a moment apart agree (no callback is redrawing it)."""
    first = dash_duo.driver.execute_script(_CELLS)
    time.sleep(0.5)
    second = dash_duo.driver.execute_script(_CELLS)
    return second if first == second and second else None


def _clicked(dash_duo, key: str) -> bool:
    """Click the slot; False while the grid's loading overlay (a regrade in flight) is in the way."""
    try:
        _click(dash_duo, dash_duo.driver.find_element(By.XPATH, f"//button[@id='{key}']"))
    except (ElementClickInterceptedException, StaleElementReferenceException):
        time.sleep(0.3)
        return False
    return True


def _book(dash_duo, customer_no: str, taken: set[str]) -> tuple[str, str, str]:
    """File a maintenance request for ``customer_no`` into the first bookable slot not in ``taken``."""
    _open_hotline(dash_duo)
    dash_duo.find_element("#hl-lookup").send_keys(customer_no + "\n")
    _wait(dash_duo, lambda: dash_duo.find_element("#hl-customer-no").get_attribute("value") == customer_no)
    dash_duo.wait_for_contains_text("#hl-location-text", "Customer's premises", timeout=15)
    _answer(dash_duo, "odour", "no")
    Select(dash_duo.find_element("#hl-symptom")).select_by_value("maintenance")
    dash_duo.wait_for_contains_text("#hl-proposed", "Class 3")
    dash_duo.wait_for_element("#hl-slot-grid .hl-slot-btn", timeout=30)
    # read the grid in one go (a regrade redraws it while the page settles)
    cells = _wait(dash_duo, lambda: _stable_cells(dash_duo), timeout=30)
    assert len(cells) == 5 * 6
    for c in cells:  # colour and words agree; an agent cannot pick a slot no crew can keep
        colour, word = {"feasible": ("success", "feasible"), "tight": ("warning", "tight"),
                        "not_possible": ("secondary", "not possible")}[c["grade"]]
        assert word in c["text"] and f"-{colour}" in c["cls"]
        assert c["disabled"] == (c["grade"] == "not_possible")
    assert not dash_duo.find_element("#hl-slot-force-box").is_displayed()  # agents do not force
    chosen = next(c for c in cells if c["grade"] != "not_possible" and c["id"] not in taken)
    grade, key, text = chosen["grade"], chosen["id"], chosen["text"]
    assert "min ·" in text  # the extra drive minutes and the crew
    _wait(dash_duo, lambda: _clicked(dash_duo, key), message="the slot could not be clicked")
    dash_duo.wait_for_contains_text("#hl-slot-chosen", "Chosen", timeout=10)
    _click(dash_duo, dash_duo.find_element("#hl-save"))
    dash_duo.wait_for_element("#hl-confirmation", timeout=20)
    return dash_duo.find_element("#hl-ticket-no").text, key, grade


def test_two_class3_tickets_are_booked_into_graded_slots(dash_duo, demo_app, ctx):
    dash_duo.start_server(demo_app, navigate=False)
    log_in(dash_duo, "hotline")
    taken: set[str] = set()
    booked = []
    for customer in ("GD000100", "GD000150"):
        ticket_no, key, grade = _book(dash_duo, customer, taken)
        taken.add(key)
        booked.append((ticket_no, key, grade))
    assert len({t for t, _k, _g in booked}) == 2
    with ctx.read_session() as db:
        for ticket_no, key, grade in booked:
            ticket = db.scalar(sa.select(Ticket).where(Ticket.ticket_no == ticket_no))
            assert int(ticket.ticket_class) == 3
            start = datetime.fromisoformat(json.loads(key)["index"])  # the id Dash rendered, as JSON
            assert rules.Deadlines.from_ticket(ticket).slot_start == start
            event = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ticket.create",
                                                          AuditEvent.entity_id == str(ticket.id)))
            assert event.recommendation["appointment"]["grade"] == grade
    assert not dash_duo.driver.find_elements(By.ID, "hl-not-saved")
    assert dash_duo.get_logs() == []
