"""Text people typed is shown as text: markup in a report never runs in a dispatcher's browser."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By

from tests.browser.test_dispatch_board import show_row
from tests.browser.test_roles_and_languages import log_in

pytestmark = pytest.mark.browser

EVIL = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>Calle Falsa 123'


def add_hostile_ticket(app) -> str:
    from ops.db import transaction
    from ops.permissions import SYSTEM_ACTOR
    from ops.services.bulk_import import HistoricalTicket, import_history

    ctx = app.server.extensions["gasdispatch"]
    now = ctx.clock()
    net = ctx.service_area.network
    lon, lat = float(net.lon[100]), float(net.lat[100])
    ticket = HistoricalTicket(
        ticket_no="XSS-0001", channel="web_app", received_at=now - timedelta(minutes=5),
        reporter_name=EVIL, reporter_phone="+56 9 1234 5678", address=EVIL, lon=lon, lat=lat,
        symptom="no_gas", fault_started_at=now - timedelta(minutes=30), odour="no", abnormal_noise="no",
        people_on_site="no", ventilated="yes", valve_closed="no", agent_judgement="general",
        description=EVIL, special_requests=EVIL,
    )
    bounds = net.bounds
    with transaction(ctx.sessions) as db:
        import_history(db, SYSTEM_ACTOR, [ticket], area=bounds, now=now, source="test")
    return ticket.ticket_no


def test_xss001_markup_in_a_report_is_shown_as_text(dash_duo, demo_app):
    ticket_no = add_hostile_ticket(demo_app)
    dash_duo.start_server(demo_app, navigate=False)
    log_in(dash_duo, "dispatcher")
    row = show_row(dash_duo, ticket_no)
    address_cell = row.find_element(By.CSS_SELECTOR, "[col-id='address']")
    assert address_cell.get_attribute("textContent") == EVIL  # the markup, verbatim, as text
    assert not row.find_elements(By.TAG_NAME, "img")
    # The map's hover text is built server-side with everything escaped.
    hover = dash_duo.driver.execute_script(
        """
        const gd = document.querySelector('#dispatch-map .js-plotly-plot');
        for (const t of gd.data) {
            const i = (t.customdata || []).indexOf(arguments[0]);
            if (i >= 0) { return t.hovertext[i]; }
        }
        return null;
        """,
        ticket_no,
    )
    assert hover and "&lt;img" in hover and "<img" not in hover
    assert dash_duo.driver.execute_script("return window.__xss === undefined")
    assert dash_duo.get_logs() == []
