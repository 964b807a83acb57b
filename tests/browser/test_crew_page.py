"""The crew page in real headless Chromium at phone size: the whole loop from a new order to its record.

The demo's crew member may have no order, or one in any state, at the moment the demo is seeded: the
test gives the crew a fresh class-1 order through the services (withdrawing its current order and
putting it on shift the way a supervisor would), never by writing rows.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.test_roles_and_languages import log_in

pytestmark = pytest.mark.browser

PHONE = (390, 844)


def give_crew_an_order(ctx, username: str = "crew") -> int:
    """Through the services: the crew of ``username`` gets a new class-1 order; returns its id."""
    from ops.db import transaction
    from ops.models import Crew, User
    from ops.permissions import SYSTEM_ACTOR
    from ops.reads.crew_page import crew_page
    from ops.services import work_orders as wo
    from ops.services.crews import set_status
    from ops.services.intake import ReportIn, create_ticket
    from ops.vocabulary import CrewStatus

    now = ctx.clock()
    with transaction(ctx.sessions) as db:
        user_id = db.scalar(sa.select(User.id).where(User.username == username))
        page = crew_page(db, user_id)
        assert page is not None, f"the demo user {username} belongs to no crew"
        for queued in page.next_orders:  # R7.6: the demo may have given the crew a queue too
            wo.cancel(db, SYSTEM_ACTOR, queued.order_id, "browser test: crew page loop", now)
        if page.order is not None:
            wo.cancel(db, SYSTEM_ACTOR, page.order.order_id, "browser test: crew page loop", now)
        crew = db.get(Crew, page.crew_id)
        if crew.status is not CrewStatus.AVAILABLE:
            set_status(db, SYSTEM_ACTOR, crew, CrewStatus.AVAILABLE, at=now, note="browser test: on shift")
        # A place about a kilometre away inside the service area, so that the map has a route to draw.
        lon, lat = next(((crew.last_lon + dx, crew.last_lat + dy)
                         for dx, dy in ((0.01, 0.006), (-0.01, 0.006), (0.01, -0.006), (-0.01, -0.006),
                                        (0.005, 0.0), (-0.005, 0.0), (0.0, 0.0))
                         if ctx.locator.inside(crew.last_lon + dx, crew.last_lat + dy)))
        report = ReportIn(
            channel="hotline", reporter_name="Ana Rojas", phone="+56 9 5555 0199", address="Pasaje Prueba",
            door_no="12", lon=lon, lat=lat, symptom="gas_leak", started_at=now, odour=True,
            noise=False, people_on_site=True, ventilated=None, valve_closed=False, urgency="emergency",
            description="Strong smell in the kitchen", received_at=now,
        )
        ticket = create_ticket(db, SYSTEM_ACTOR, report, now=now, locator=ctx.locator).ticket
        order = wo.confirm_dispatch(db, SYSTEM_ACTOR, ticket.id, crew.id, None, now,
                                    override_reason="browser test: crew page loop")
        return order.id


def queue_behind(ctx, order_id: int) -> str:
    """Through the services: a class-2 ticket confirmed for the same crew, queued behind ``order_id`` (R7.6)."""
    from ops.db import transaction
    from ops.models import WorkOrder
    from ops.permissions import SYSTEM_ACTOR
    from ops.services import work_orders as wo
    from ops.services.intake import ReportIn, create_ticket

    now = ctx.clock()
    with transaction(ctx.sessions) as db:
        current = db.get(WorkOrder, order_id)
        report = ReportIn(
            channel="hotline", reporter_name="Luis Pardo", phone="+56 9 5555 0142", address="Calle Siguiente",
            door_no="7", lon=current.ticket.lon, lat=current.ticket.lat, symptom="no_gas", started_at=now,
            odour=False, noise=False, people_on_site=True, ventilated=True, valve_closed=False,
            urgency="general", description="No gas since this morning", received_at=now,
        )
        ticket = create_ticket(db, SYSTEM_ACTOR, report, now=now, locator=ctx.locator).ticket
        queued = wo.confirm_dispatch(db, SYSTEM_ACTOR, ticket.id, current.crew_id, None, now,
                                     override_reason="browser test: the crew's queue")
        assert queued.status.value == "queued"
        return ticket.ticket_no


def _click(dash_duo, selector: str) -> None:
    """Scroll to the element and click it (in JavaScript: a phone-sized window scrolls while Dash renders)."""
    element = dash_duo.wait_for_element(selector, timeout=20)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'}); arguments[0].click();", element)


def _type(dash_duo, selector: str, text: str) -> None:
    element = dash_duo.wait_for_element(selector, timeout=20)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.clear()
    element.send_keys(text)


def acknowledge_depart_arrive(dash_duo) -> None:
    """The crew's three status buttons in turn, each waiting for the page to show the new status."""
    for button, status in (("#crew-acknowledge", "Acknowledged"), ("#crew-depart", "En route"),
                           ("#crew-arrive", "On site")):
        _click(dash_duo, button)
        dash_duo.wait_for_text_to_equal("#crew-order-status", status, timeout=20)


def file_repair_record(dash_duo, cause: str, measures: str, customer: str, *,
                       parts: dict[str, str] | None = None) -> None:
    """Fill in the R9 record as the crew does (gas restored, safety advice given, the customer's typed
    name and tick) and complete it; returns once the order has left the page: the crew has no order
    left, or the next one of its queue (R7.6) has become its current order."""
    _type(dash_duo, "#crew-cause", cause)
    _type(dash_duo, "#crew-measures", measures)
    for code, qty in (parts or {}).items():
        _type(dash_duo, f"input[id*='{code}']", qty)
    _click(dash_duo, "label[for='_dbcprivate_checklist_crew-gas-restored_input_yes']")
    _click(dash_duo, "label[for='_dbcprivate_checklist_crew-safety-advice_input_yes']")
    _type(dash_duo, "#crew-customer-name", customer)
    _click(dash_duo, "label[for='_dbcprivate_checklist_crew-customer-confirmed_input_yes']")
    dash_duo.wait_for_contains_text("#crew-confirmed-at", ":", timeout=10)
    done = dash_duo.find_element("#crew-ticket-no").text
    _click(dash_duo, "#crew-complete")
    WebDriverWait(dash_duo.driver, 20).until(lambda d: d.execute_script(
        "if (document.getElementById('crew-no-order')) { return true; }"
        "const t = document.getElementById('crew-ticket-no'); return Boolean(t) && t.textContent !== arguments[0];",
        done), f"{done} stayed on the crew page after its repair record")


def test_crew001_acknowledge_depart_arrive_read_and_complete(dash_duo, demo_app):
    from ops.models import Crew, CrewPosition, GasReading, RepairRecord, WorkOrder
    from ops.vocabulary import WorkOrderStatus

    ctx = demo_app.server.extensions["gasdispatch"]
    order_id = give_crew_an_order(ctx)
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*PHONE)
    log_in(dash_duo, "crew")
    assert "/crew" in [a.get_attribute("pathname")
                       for a in dash_duo.driver.find_elements(By.CSS_SELECTOR, ".navbar a.nav-link")]
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    dash_duo.driver.get(dash_duo.server.url + "/crew")
    dash_duo.wait_for_element("#crew-map .js-plotly-plot", timeout=30)
    dash_duo.wait_for_contains_text("#crew-phone", "+56 9 5555 0199", timeout=10)
    dash_duo.wait_for_contains_text("#crew-safety", "unknown", timeout=10)  # ventilated: unknown (R5.3)
    dash_duo.wait_for_contains_text("#crew-deadlines", "Acknowledge by (R7.2)", timeout=10)

    # The phone shares its GPS position on request (crew.report_position), for its own crew only.
    dash_duo.driver.execute_cdp_cmd("Browser.grantPermissions", {"permissions": ["geolocation"]})
    dash_duo.driver.execute_cdp_cmd("Emulation.setGeolocationOverride",
                                    {"latitude": -29.95, "longitude": -71.25, "accuracy": 10})
    _click(dash_duo, "#crew-share-position")
    dash_duo.wait_for_contains_text("#crew-position-note", "Position sent at", timeout=20)
    with ctx.read_session() as db:
        crew = db.get(Crew, db.get(WorkOrder, order_id).crew_id)
        assert (crew.last_lon, crew.last_lat) == (-71.25, -29.95)
        assert db.scalar(sa.select(CrewPosition.source).where(CrewPosition.crew_id == crew.id)
                         .order_by(CrewPosition.id.desc())) == "gps"

    acknowledge_depart_arrive(dash_duo)
    dash_duo.wait_for_element("#crew-reading-required", timeout=10)

    # R8.3: completing a class 1 without a reading is refused, naming the fields, and keeps the typing.
    _type(dash_duo, "#crew-cause", "Corroded union at the meter inlet")
    _click(dash_duo, "#crew-complete")
    dash_duo.wait_for_element("#crew-error", timeout=20)
    error = dash_duo.find_element("#crew-error").text
    for field in ("Gas detector reading (R8.3)", "Measures taken", "Customer name", "Customer confirmation",
                  "Safety advice given (R8.5)"):
        assert field in error, (field, error)
    assert dash_duo.find_element("#crew-cause").get_attribute("value") == "Corroded union at the meter inlet"

    _type(dash_duo, "#crew-ppm", "35")
    _click(dash_duo, "#crew-save-reading")
    dash_duo.wait_for_contains_text("#crew-reading", "35 ppm", timeout=20)
    assert not dash_duo.driver.find_elements(By.ID, "crew-reading-required")

    file_repair_record(dash_duo, "Corroded union at the meter inlet", "Replaced the seal kit, leak test passed",
                       "Ana Rojas", parts={"SEAL-KIT": "1"})

    with ctx.read_session() as db:
        order = db.get(WorkOrder, order_id)
        assert order.status is WorkOrderStatus.COMPLETED
        stamps = [order.dispatched_at, order.acknowledged_at, order.departed_at, order.arrived_at,
                  order.completed_at]
        assert all(isinstance(s, datetime) and s.tzinfo is not None for s in stamps), stamps
        assert stamps == sorted(stamps)
        reading = db.scalar(sa.select(GasReading).where(GasReading.work_order_id == order_id))
        assert reading.ppm == 35 and reading.measured_at >= order.arrived_at
        record = db.scalar(sa.select(RepairRecord).where(RepairRecord.work_order_id == order_id))
        assert record.cause == "Corroded union at the meter inlet"
        assert record.measures == "Replaced the seal kit, leak test passed"
        assert [(p["code"], p["qty"]) for p in record.parts_replaced] == [("SEAL-KIT", 1)]
        assert record.result.value == "fixed" and record.safety_advice_given and record.gas_restored_after_check
        assert record.gas_reading_ppm == 35 and record.gas_reading_at == reading.measured_at
        assert record.customer_confirmation.startswith("Ana Rojas; confirmed ")
        assert record.completed_at == order.completed_at
    assert dash_duo.get_logs() == []


def test_crew004_the_crew_sees_its_queue_before_those_orders_become_current(dash_duo, demo_app):
    """R7.6: the confirmed order waiting behind the current one is listed with its class and address."""
    ctx = demo_app.server.extensions["gasdispatch"]
    order_id = give_crew_an_order(ctx)
    ticket_no = queue_behind(ctx, order_id)
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*PHONE)
    log_in(dash_duo, "crew")
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    dash_duo.driver.get(dash_duo.server.url + "/crew")
    dash_duo.wait_for_contains_text("#crew-next-orders", ticket_no, timeout=30)
    text = dash_duo.find_element("#crew-next-orders").text
    assert "Your queue" in text and "Class 2" in text and "Calle Siguiente" in text and "1." in text
    assert dash_duo.get_logs() == []


def test_crew002_page_in_chinese_has_no_english_left(dash_duo, demo_app):
    from tests.browser.test_roles_and_languages import english_messages

    ctx = demo_app.server.extensions["gasdispatch"]
    give_crew_an_order(ctx)
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*PHONE)
    log_in(dash_duo, "crew")
    dash_duo.driver.get(dash_duo.server.url + "/lang/zh_CN")
    dash_duo.driver.get(dash_duo.server.url + "/crew")
    dash_duo.wait_for_element("#crew-acknowledge", timeout=30)
    dash_duo.wait_for_contains_text("#crew-acknowledge", "接单", timeout=10)
    text = dash_duo.driver.find_element(By.TAG_NAME, "body").text
    found = [m for m in english_messages() if m in text]
    assert found == []
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    assert dash_duo.get_logs() == []


def test_crew003_member_without_a_crew_sees_an_empty_state(dash_duo, demo_app):
    """The admin creates a crew member with no crew; the page says so instead of failing."""
    from ops.db import transaction
    from ops.permissions import SYSTEM_ACTOR
    from ops.services.accounts import create_user

    ctx = demo_app.server.extensions["gasdispatch"]
    with transaction(ctx.sessions) as db:
        create_user(db, SYSTEM_ACTOR, username="nocrew", display_name="No Crew", roles=["crew_member"],
                    password="a-long-password-1", language="en", crew_code=None, now=ctx.clock())
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*PHONE)
    driver = dash_duo.driver
    driver.get(dash_duo.server.url + "/login")
    driver.find_element(By.ID, "username").send_keys("nocrew")
    driver.find_element(By.ID, "password").send_keys("a-long-password-1")
    driver.find_element(By.ID, "login-button").click()
    dash_duo.wait_for_element("#current-user", timeout=20)
    driver.get(dash_duo.server.url + "/crew")
    dash_duo.wait_for_element("#crew-no-crew", timeout=20)
    assert dash_duo.get_logs() == []
