"""The hotline page in real headless Chromium: a class-1 intake end to end, linking a duplicate, closing a call-back."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from dashboard.components.dispatch_map import TRACE_INDEX
from ops.db import transaction
from ops.models import Customer, IntakeCallbackTask, SafetyInstruction, Ticket, TicketReporter
from ops.permissions import Actor
from ops.services.intake import ReportIn, create_ticket
from ops.vocabulary import FollowUpStatus, Role
from tests.browser.test_roles_and_languages import log_in

pytestmark = pytest.mark.browser


def _ctx(demo_app):
    from dashboard.context import EXTENSION_KEY

    return demo_app.server.extensions[EXTENSION_KEY]


def _click(dash_duo, element) -> None:
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.click()


def _open_hotline(dash_duo) -> None:
    dash_duo.driver.set_window_size(1600, 1000)  # the agent's desk: three columns side by side
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    dash_duo.wait_for_element("#current-user", timeout=20)
    dash_duo.driver.get(dash_duo.server.url + "/hotline")
    dash_duo.wait_for_element("#hl-lookup", timeout=20)
    dash_duo.wait_for_element("#hl-map .js-plotly-plot", timeout=30)


def _answer(dash_duo, question: str, value: str) -> None:
    _click(dash_duo, dash_duo.find_element(f"#hl-{question} input[value='{value}']"))


def _wait(dash_duo, condition, timeout: float = 20, message: str = ""):
    return WebDriverWait(dash_duo.driver, timeout).until(lambda _d: condition(), message)


def _gas_leak_report(ctx, customer_no: str, *, channel: str, name: str, phone: str) -> SimpleNamespace:
    """A smell-of-gas report from a seeded customer, filed through the service before the page opens."""
    system = Actor(user_id=None, label="test", roles=frozenset({Role.SYSTEM}))
    with transaction(ctx.sessions) as db:
        customer = db.scalar(sa.select(Customer).where(Customer.customer_no == customer_no))
        result = create_ticket(db, system, ReportIn(
            channel=channel, reporter_name=name, phone=phone, address=customer.address,
            customer_number=customer_no, symptom="gas_leak", started_at=ctx.clock(), odour="yes",
        ), now=ctx.clock(), locator=ctx.locator)
        task = result.callback_task
        return SimpleNamespace(ticket_no=result.ticket.ticket_no, lon=result.ticket.lon, lat=result.ticket.lat,
                               task_id=task.id if task is not None else None)


def test_hotline001_class1_intake_with_safety_script_reaches_the_dispatch_map(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    log_in(dash_duo, "hotline")
    _open_hotline(dash_duo)

    # The caller gives a customer number: premises, name and phone fill in.
    dash_duo.find_element("#hl-lookup").send_keys("GD000100\n")
    _wait(dash_duo, lambda: dash_duo.find_element("#hl-customer-no").get_attribute("value") == "GD000100")
    dash_duo.wait_for_contains_text("#hl-location-text", "Customer's premises (exact)", timeout=15)

    # "Smell of gas, people inside": class 1 is proposed with its reasons, live.
    Select(dash_duo.find_element("#hl-symptom")).select_by_value("gas_leak")
    _answer(dash_duo, "odour", "yes")
    _answer(dash_duo, "people_on_site", "yes")
    dash_duo.wait_for_contains_text("#hl-proposal-summary", "smell of gas + people inside → class 1, R6.5")
    dash_duo.wait_for_contains_text("#hl-reasons", "A gas leak, ruptured pipe, fire or explosion is always")
    dash_duo.wait_for_contains_text("#hl-proposed", "Class 1")

    # Lowering a class 1 needs a supervisor: the service refuses it, the form says so by the class field
    # and keeps everything typed.
    Select(dash_duo.find_element("#hl-class")).select_by_value("2")
    _click(dash_duo, dash_duo.find_element("#hl-save"))
    dash_duo.wait_for_contains_text("#hl-err-class", "Lowering a class-1 ticket to class 2 needs a supervisor")
    assert dash_duo.find_element("#hl-customer-no").get_attribute("value") == "GD000100"
    assert dash_duo.find_element("#hl-odour input[value='yes']").is_selected()
    assert not dash_duo.driver.find_elements(By.ID, "hl-confirmation")
    Select(dash_duo.find_element("#hl-class")).select_by_value("auto")
    dash_duo.wait_for_element("#hl-script input[type=checkbox]", timeout=15)

    # The R6.2 script: each line is time-stamped as it is ticked.
    boxes = dash_duo.find_elements("#hl-script input[type=checkbox]")
    assert len(boxes) == 5
    for i in range(5):
        _click(dash_duo, dash_duo.find_elements("#hl-script input[type=checkbox]")[i])
        _wait(dash_duo, lambda n=i + 1: dash_duo.find_element("#hl-script").text.count("✓") == n)

    _click(dash_duo, dash_duo.find_element("#hl-save"))
    dash_duo.wait_for_element("#hl-confirmation", timeout=20)
    assert dash_duo.find_element("#hl-err-class").text == ""
    ticket_no = dash_duo.find_element("#hl-ticket-no").text
    assert re.fullmatch(r"GD-\d{8}-\d{6}", ticket_no)
    deadlines = dash_duo.find_element("#hl-deadlines").text
    assert "Crew departs by" in deadlines and "On site by (target)" in deadlines

    with _ctx(demo_app).read_session() as db:
        ticket = db.scalar(sa.select(Ticket).where(Ticket.ticket_no == ticket_no))
        assert ticket is not None and int(ticket.ticket_class) == 1
        assert ticket.customer.customer_no == "GD000100"
        given = db.scalars(sa.select(SafetyInstruction.code).where(SafetyInstruction.ticket_id == ticket.id)).all()
    assert sorted(given) == sorted(["close_valve", "open_windows", "no_open_flame", "no_electrical_switching",
                                    "leave_premises"])

    # At once on the dispatch map: the grid counts down to the 30-minute departure, the banner alerts.
    dash_duo.driver.get(dash_duo.server.url + "/")
    dash_duo.wait_for_element("#dispatch-map .js-plotly-plot", timeout=30)
    dash_duo.wait_for_contains_text("#class1-banner", ticket_no, timeout=15)
    cell = f"#open-tickets-grid .ag-row[row-id='{ticket_no}'] [col-id='left']"
    dash_duo.wait_for_element(cell, timeout=20)
    assert re.fullmatch(r"0:(29|30) left", dash_duo.find_element(cell).text), dash_duo.find_element(cell).text
    hover = dash_duo.driver.execute_script(
        "const gd = document.querySelector('#dispatch-map .js-plotly-plot');"
        "const t = gd.data[arguments[1]]; const i = (t.customdata || []).indexOf(arguments[0]);"
        "return i < 0 ? null : t.hovertext[i];", ticket_no, TRACE_INDEX["class1"])
    assert hover and "Crew departs by" in hover and re.search(r"\(0:(29|30) left\)", hover), hover
    assert dash_duo.get_logs() == []


def test_hotline004_the_call_start_not_the_save_is_when_the_report_was_received(dash_duo, demo_app, monkeypatch):
    """R5.5 / R6: the call starts at the first lookup; six minutes later the agent saves; the clocks run from the start."""
    from flask import has_request_context, request

    ctx = _ctx(demo_app)
    call_starts = ctx.clock().replace(microsecond=0)
    now = [call_starts]
    stamped: list = []

    def clock():
        # The app's clock, in the test's hand; it notes when the page asks it for the call's start.
        if has_request_context() and (request.get_json(silent=True) or {}).get("output") == "hl-call-start.data":
            stamped.append(now[0])
        return now[0]

    monkeypatch.setattr(ctx, "clock", clock)
    dash_duo.start_server(demo_app, navigate=False)
    log_in(dash_duo, "hotline")
    _open_hotline(dash_duo)
    assert stamped == []  # opening the page is not the call

    dash_duo.find_element("#hl-lookup").send_keys("GD000400\n")
    _wait(dash_duo, lambda: stamped, message="the first edit did not stamp the call")
    _wait(dash_duo, lambda: dash_duo.find_element("#hl-customer-no").get_attribute("value") == "GD000400")
    Select(dash_duo.find_element("#hl-symptom")).select_by_value("gas_leak")
    _answer(dash_duo, "odour", "yes")
    dash_duo.wait_for_element("#hl-script input[type=checkbox]", timeout=15)
    now[0] = call_starts + timedelta(minutes=2)
    _click(dash_duo, dash_duo.find_elements("#hl-script input[type=checkbox]")[0])
    _wait(dash_duo, lambda: dash_duo.find_element("#hl-script").text.count("✓") == 1)

    now[0] = call_starts + timedelta(minutes=6)  # the call went on; now the agent saves
    _click(dash_duo, dash_duo.find_element("#hl-save"))
    dash_duo.wait_for_element("#hl-confirmation", timeout=20)
    ticket_no = dash_duo.find_element("#hl-ticket-no").text
    assert set(stamped) == {call_starts}  # stamped at the first edit; later edits did not move it

    with ctx.read_session() as db:
        ticket = db.scalar(sa.select(Ticket).where(Ticket.ticket_no == ticket_no))
        assert (ticket.received_at, ticket.created_at) == (call_starts, call_starts + timedelta(minutes=6))
        assert ticket.depart_deadline == call_starts + timedelta(minutes=30)  # R6.1: 24 minutes are left
        ticks = db.scalars(sa.select(SafetyInstruction.given_at).where(SafetyInstruction.ticket_id == ticket.id)).all()
    assert ticks == [call_starts + timedelta(minutes=2)]
    assert dash_duo.get_logs() == []


def _click_map_at(dash_duo, lon: float, lat: float) -> None:
    """Click the hotline map where a point lies (projected by the map itself, as a user sees it)."""
    x, y = dash_duo.driver.execute_script(
        "const gd = document.querySelector('#hl-map .js-plotly-plot');"
        "const p = gd._fullLayout.map._subplot.map.project([arguments[0], arguments[1]]);"
        "const r = gd.getBoundingClientRect(); return [r.left + p.x, r.top + p.y];", lon, lat)
    actions = ActionBuilder(dash_duo.driver)
    actions.pointer_action.move_to_location(int(x), int(y))
    actions.pointer_action.pause(0.3)
    actions.pointer_action.click()
    actions.perform()


def test_hotline002_second_report_links_to_the_open_leak_instead_of_a_new_ticket(dash_duo, demo_app):
    ctx = _ctx(demo_app)
    ticket = _gas_leak_report(ctx, "GD000200", channel="wechat", name="Ana Rojas", phone="+56 9 5555 0199")
    open_no, lon, lat = ticket.ticket_no, ticket.lon, ticket.lat
    with ctx.read_session() as db:
        tickets_before = db.scalar(sa.select(sa.func.count(Ticket.id)))

    dash_duo.start_server(demo_app, navigate=False)
    log_in(dash_duo, "hotline")
    _open_hotline(dash_duo)
    # A passer-by, not a customer, reports a smell of gas in the street: the place is a map click.
    dash_duo.find_element("#hl-name").send_keys("Pedro Soto")
    dash_duo.find_element("#hl-phone").send_keys("+56 9 4444 1234")
    Select(dash_duo.find_element("#hl-symptom")).select_by_value("gas_leak")
    _answer(dash_duo, "odour", "yes")
    _click_map_at(dash_duo, lon, lat)
    dash_duo.wait_for_contains_text("#hl-location-text", "Point picked on the map", timeout=15)
    assert dash_duo.find_element("#hl-address").get_attribute("value") == "Point picked on the map"

    dash_duo.wait_for_contains_text("#hl-duplicates", open_no, timeout=20)
    items = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#hl-duplicate-list .hl-duplicate")
    item = next(i for i in items if open_no in i.text)
    assert "Gas leak" in item.text and "m away" in item.text
    _click(dash_duo, item.find_element(By.TAG_NAME, "button"))
    dash_duo.wait_for_element("#hl-linked", timeout=20)
    assert "No new ticket was created" in dash_duo.find_element("#hl-linked").text
    assert dash_duo.find_element("#hl-save").get_attribute("disabled") is not None

    with ctx.read_session() as db:
        assert db.scalar(sa.select(sa.func.count(Ticket.id))) == tickets_before
        ticket_id = db.scalar(sa.select(Ticket.id).where(Ticket.ticket_no == open_no))
        reporters = db.execute(sa.select(TicketReporter.name, TicketReporter.phone, TicketReporter.linked_by_id)
                               .where(TicketReporter.ticket_id == ticket_id).order_by(TicketReporter.id)).all()
    assert [r.name for r in reporters] == ["Ana Rojas", "Pedro Soto"]
    assert reporters[1].phone == "+56 9 4444 1234" and reporters[1].linked_by_id is not None
    assert dash_duo.get_logs() == []


def test_hotline003_app_class1_call_back_task_is_shown_and_closed_by_the_agent(dash_duo, demo_app):
    ctx = _ctx(demo_app)
    ticket = _gas_leak_report(ctx, "GD000300", channel="app", name="Marta Díaz", phone="+56 9 7777 0300")
    ticket_no, task_id = ticket.ticket_no, ticket.task_id
    assert task_id is not None  # an app report of class 1 queues a call-back (R6.2)

    dash_duo.start_server(demo_app, navigate=False)
    log_in(dash_duo, "hotline")
    _open_hotline(dash_duo)
    item = f"#hl-callback-list [id*='\"index\":{task_id}'][id*='hl-cb-item']"
    dash_duo.wait_for_element(item, timeout=20)
    text = dash_duo.find_element(item).text
    assert "+56 9 7777 0300" in text and "Marta Díaz" in text and ticket_no in text and "waiting" in text
    assert "Close the gas valve." in text, text  # the R6.2 script to read
    assert "Call-back tasks (R6.2)" in dash_duo.find_element("#hl-callbacks-card").text

    reached = dash_duo.driver.find_element(By.CSS_SELECTOR, item).find_element(By.XPATH, ".//button[1]")
    assert reached.text == "Called — reached"
    _click(dash_duo, reached)
    dash_duo.wait_for_element("#hl-callback-done", timeout=20)
    _wait(dash_duo, lambda: not dash_duo.driver.find_elements(By.CSS_SELECTOR, item), message="task still shown")

    with ctx.read_session() as db:
        task = db.get(IntakeCallbackTask, task_id)
        assert task.status is FollowUpStatus.DONE and task.done_by_id is not None
    assert dash_duo.get_logs() == []
