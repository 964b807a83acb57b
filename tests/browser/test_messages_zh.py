"""Refusals read in Chinese on every page that shows them: the message is looked up by its code,
translated, and only then are its values filled in (the values themselves translated where they are
words, such as a ticket status).

Each expected text comes from the zh_CN catalog, not from this file, so the test follows the catalog
and fails if a page shows the English source or a sentence formatted before translation.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from selenium.webdriver.support.ui import Select

from dashboard.i18n import TRANSLATIONS_DIR
from ops.db import transaction
from ops.messages import MESSAGES
from ops.models import Ticket
from ops.permissions import SYSTEM_ACTOR
from ops.services.work_orders import confirm_dispatch
from tests.browser.test_crew_page import _click, give_crew_an_order
from tests.browser.test_dispatch_board import _select_row, free_crews, report_ticket
from tests.browser.test_roles_and_languages import log_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def zh():
    """``zh(msgid, **values)``: the catalog's translation with the values filled in, as a page shows it."""
    with (TRANSLATIONS_DIR / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")

    def translate(msgid: str, **values: str) -> str:
        text = catalog[msgid].string
        assert text and text != msgid, f"no Chinese for {msgid!r}"
        return text % values if values else text

    return translate


def _chinese(dash_duo) -> None:
    dash_duo.driver.get(dash_duo.server.url + "/lang/zh_CN")
    dash_duo.wait_for_element("#current-user", timeout=20)


def test_zh001_a_refused_dispatch_reads_in_chinese_values_included(dash_duo, demo_app, ctx, zh):
    crews = free_crews(ctx, 3)
    ticket_no = report_ticket(ctx, crews[0])
    dash_duo.start_server(demo_app, navigate=False)
    log_in(dash_duo, "supervisor")
    _chinese(dash_duo)
    dash_duo.driver.get(dash_duo.server.url + "/")
    _select_row(dash_duo, ticket_no)
    dash_duo.wait_for_element("#rec-body .rec-option", timeout=30)

    # Another crew without a reason: the refusal under the reason field, in Chinese.
    _click(dash_duo, "#rec-dispatch-other")
    dash_duo.wait_for_text_to_equal("#rec-err-crew_id", zh("Choose a crew."), timeout=20)
    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.wait_for_element(
        "#rec-crew-choice .dash-dropdown, #rec-crew-choice button, #rec-crew-choice", timeout=10))
    option = dash_duo.wait_for_element(".dash-dropdown-options .dash-dropdown-option:nth-child(2)", timeout=10)
    dash_duo.driver.execute_script("arguments[0].click();", option)
    _click(dash_duo, "#rec-dispatch-other")
    dash_duo.wait_for_text_to_equal("#rec-err-override_reason", zh(MESSAGES["dispatch.override_reason"]),
                                    timeout=20)

    # Someone else dispatches the ticket meanwhile: Confirm is refused, and the message names the ticket's
    # status in Chinese too (a value filled in after translation).
    with transaction(ctx.sessions) as db:
        ticket_id = db.scalar(sa.select(Ticket.id).where(Ticket.ticket_no == ticket_no))
        confirm_dispatch(db, SYSTEM_ACTOR, ticket_id, crews[2], None, ctx.clock(), override_reason="browser test")
    _click(dash_duo, "#rec-confirm")
    refused = zh(MESSAGES["ticket.not_waiting"], status=zh("Dispatched"))
    dash_duo.wait_for_contains_text("#rec-error", refused, timeout=20)
    assert "dispatched" not in dash_duo.find_element("#rec-error").text
    assert dash_duo.get_logs() == []


def test_zh002_an_intake_refusal_reads_in_chinese_under_its_field(dash_duo, demo_app, zh):
    dash_duo.start_server(demo_app, navigate=False)
    log_in(dash_duo, "hotline")
    _chinese(dash_duo)
    dash_duo.driver.set_window_size(1600, 1000)
    dash_duo.driver.get(dash_duo.server.url + "/hotline")
    dash_duo.wait_for_element("#hl-lookup", timeout=20)
    dash_duo.find_element("#hl-name").send_keys("王芳")
    dash_duo.find_element("#hl-phone").send_keys("call me")
    Select(dash_duo.find_element("#hl-symptom")).select_by_value("no_gas")
    _click(dash_duo, "#hl-save")
    dash_duo.wait_for_text_to_equal("#hl-err-phone", zh(MESSAGES["phone_invalid"]), timeout=20)
    dash_duo.wait_for_contains_text("#hl-err-address", zh(MESSAGES["required"]), timeout=10)
    dash_duo.wait_for_element("#hl-not-saved", timeout=10)
    assert dash_duo.get_logs() == []


def test_zh003_a_crew_step_refusal_reads_in_chinese_field_by_field(dash_duo, demo_app, zh):
    ctx = demo_app.server.extensions["gasdispatch"]
    give_crew_an_order(ctx)
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(390, 844)
    log_in(dash_duo, "crew")
    _chinese(dash_duo)
    dash_duo.driver.get(dash_duo.server.url + "/crew")
    for button, status in (("#crew-acknowledge", "Acknowledged"), ("#crew-depart", "En route"),
                           ("#crew-arrive", "On site")):
        _click(dash_duo, button)
        dash_duo.wait_for_text_to_equal("#crew-order-status", zh(status), timeout=20)

    # Complete with nothing filled in: every missing field is named, each reason in Chinese.
    _click(dash_duo, "#crew-complete")
    dash_duo.wait_for_element("#crew-error", timeout=20)
    items = {e.get_attribute("data-field"): e.text
             for e in dash_duo.find_elements("#crew-error li[data-field]")}
    assert items["cause"].endswith(zh(MESSAGES["required"])), items
    assert items["gas_reading"].endswith(zh(MESSAGES["reading.required_to_complete"])), items
    assert items["customer_confirmed"].endswith(zh(MESSAGES["repair.customer_confirmation"])), items
    assert not any("required" in text or "must" in text for text in items.values()), items
    assert dash_duo.get_logs() == []
