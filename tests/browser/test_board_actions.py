"""The panel's actions on a saved ticket in real headless Chromium: change its class (R6.5) and cancel its
order, each refused first without a reason (shown under the field, nothing saved), with no console errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser.test_dispatch_board import _click, _select_row, free_crews, report_ticket
from tests.browser.test_roles_and_languages import log_in

pytestmark = pytest.mark.browser


def _ticket(ctx, ticket_no: str) -> tuple[int, str]:
    from ops.models import Ticket

    with ctx.read_session() as db:
        row = db.execute(sa.select(Ticket.ticket_class, Ticket.status).where(Ticket.ticket_no == ticket_no)).one()
    return int(row[0]), str(row[1])


def _orders(ctx, ticket_no: str) -> list:
    from ops.models import Ticket, WorkOrder

    with ctx.read_session() as db:
        return db.execute(sa.select(WorkOrder.status, WorkOrder.cancel_reason).join(Ticket)
                          .where(Ticket.ticket_no == ticket_no).order_by(WorkOrder.id)).all()


def _type(dash_duo, selector: str, text: str) -> None:
    element = dash_duo.wait_for_element(selector, timeout=10)
    element.clear()
    element.send_keys(text)


def test_board_actions001_change_the_class_then_cancel_the_order_from_the_panel(dash_duo, demo_app, ctx):
    crews = free_crews(ctx, 2)
    ticket_no = report_ticket(ctx, crews[0])  # class 2: no gas
    dash_duo.start_server(demo_app, navigate=False)
    log_in(dash_duo, "supervisor")
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    _select_row(dash_duo, ticket_no)
    dash_duo.wait_for_text_to_equal("#rec-ticket-no", ticket_no, timeout=30)
    dash_duo.wait_for_element("#rec-body .rec-option", timeout=30)

    # R6.5: raising to class 1 without a reason is refused under the reason; nothing changes.
    dash_duo.wait_for_element("#cls-actions:not([hidden])", timeout=10)
    assert dash_duo.find_element("#cls-to").get_attribute("value") == "1"
    _click(dash_duo, "#cls-apply")
    dash_duo.wait_for_contains_text("#cls-err-reason", "needs a reason", timeout=20)
    assert _ticket(ctx, ticket_no)[0] == 2
    _type(dash_duo, "#cls-reason", "the caller now smells gas in the kitchen")
    _click(dash_duo, "#cls-apply")
    dash_duo.wait_for_contains_text("#rec-done", f"{ticket_no} is now class 1", timeout=20)
    dash_duo.wait_for_contains_text("#rec-header", "Class 1", timeout=10)
    assert _ticket(ctx, ticket_no)[0] == 1
    assert dash_duo.find_element("#cls-reason").get_attribute("value") == ""  # the form starts afresh

    # Dispatch the top crew, then cancel its order: without a reason refused, with one the ticket is back.
    dash_duo.wait_for_element("#rec-body .rec-option", timeout=30)
    _click(dash_duo, "#rec-confirm")
    dash_duo.wait_for_text_to_equal("#rec-order-status", "Dispatched", timeout=20)
    dash_duo.wait_for_element("#ord-actions:not([hidden])", timeout=10)
    _click(dash_duo, "#ord-cancel")
    dash_duo.wait_for_contains_text("#ord-err-reason", "a reason is required", timeout=20)
    assert [str(s) for s, _reason in _orders(ctx, ticket_no)] == ["dispatched"]
    _type(dash_duo, "#ord-reason", "the customer is not at home until 18:00")
    _click(dash_duo, "#ord-cancel")
    dash_duo.wait_for_contains_text("#rec-done", f"{ticket_no} is back in the queue", timeout=20)
    dash_duo.wait_for_element("#rec-body .rec-option", timeout=30)  # a fresh recommendation for it
    assert [(str(s), r) for s, r in _orders(ctx, ticket_no)] == [
        ("cancelled", "the customer is not at home until 18:00")]
    assert _ticket(ctx, ticket_no) == (1, "new")
    dash_duo.wait_for_text_to_equal(f'#open-tickets-grid .ag-row[row-id="{ticket_no}"] [col-id="crew"]', "",
                                    timeout=20)
    assert dash_duo.get_logs() == []
