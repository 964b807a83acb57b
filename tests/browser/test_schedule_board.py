"""The schedule board in real headless Chromium: the tab beside the map, a click on a bar selects the
ticket for the list, the recommendation panel and the map (which centres on it)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.test_dispatch_board import free_crews, report_ticket
from tests.browser.test_roles_and_languages import log_in

pytestmark = pytest.mark.browser

#: The drawn bar (SVG group) of a ticket's work, found through the data plotly binds to it, or null.
FIND_BAR = """
for (const group of document.querySelectorAll('#schedule-graph .barlayer .trace')) {
  const trace = group.__data__ && group.__data__[0] && group.__data__[0].trace;
  if (!trace || !trace.uid.startsWith('work-')) { continue; }
  for (const point of group.querySelectorAll('.point')) {
    if (point.__data__ && trace.customdata[point.__data__.i][0] === arguments[0]) { return point; }
  }
}
return null;
"""


def dispatch_to(ctx, ticket_no: str, crew_id: int) -> None:
    """Confirm the ticket for the crew and let the scheduler store a plan in force, as a deployment's would."""
    from ops.db import transaction
    from ops.models import Ticket
    from ops.permissions import SYSTEM_ACTOR
    from ops.scheduler import replan
    from ops.services import work_orders as wo

    with transaction(ctx.sessions) as db:
        ticket_id = db.scalar(sa.select(Ticket.id).where(Ticket.ticket_no == ticket_no))
        wo.confirm_dispatch(db, SYSTEM_ACTOR, ticket_id, crew_id, None, ctx.clock(), override_reason="browser test")
    replan(ctx.sessions, ctx.clock(), ctx.service_area.network, every_s=0)


def open_board(dash_duo) -> None:
    dash_duo.driver.execute_script(
        "[...document.querySelectorAll('#dispatch-view-tabs .nav-link')]"
        ".find(a => a.textContent === 'Schedule board').click();")
    dash_duo.wait_for_element("#schedule-graph .barlayer .point", timeout=30)


def test_schedule001_the_tab_shows_the_crews_and_a_click_on_a_bar_selects_the_ticket(dash_duo, demo_app, ctx):
    from ops.models import Crew, Ticket

    crews = free_crews(ctx, 1)
    ticket_no = report_ticket(ctx, crews[0])
    dispatch_to(ctx, ticket_no, crews[0])
    with ctx.read_session() as db:
        code = db.scalar(sa.select(Crew.code).where(Crew.id == crews[0]))
        lon, lat = db.execute(sa.select(Ticket.lon, Ticket.lat).where(Ticket.ticket_no == ticket_no)).one()
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(1400, 1000)  # the board whole on screen, as on a dispatcher's desk
    log_in(dash_duo, "supervisor")
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    dash_duo.wait_for_element("#open-tickets-grid .ag-row", timeout=30)
    open_board(dash_duo)
    dash_duo.wait_for_contains_text("#schedule-summary", "crews on shift", timeout=20)
    rows = dash_duo.driver.execute_script(
        "return document.querySelector('#schedule-graph .js-plotly-plot').layout.yaxis.ticktext;")
    assert code in rows

    wait = WebDriverWait(dash_duo.driver, 20)
    bar = wait.until(lambda d: d.execute_script(FIND_BAR, ticket_no), "the ticket's bar is not drawn")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", bar)
    # Plotly clicks what it hovers: move onto the bar, let it find the bar, then click.
    ActionChains(dash_duo.driver).move_to_element(bar).pause(0.5).click().perform()

    # The page's one selection: the panel opens the ticket, the list selects its row, the board rings it.
    dash_duo.wait_for_text_to_equal("#rec-ticket-no", ticket_no, timeout=30)
    dash_duo.wait_for_text_to_equal("#schedule-selected-ticket", ticket_no, timeout=20)
    dash_duo.wait_for_text_to_equal("#schedule-selected-crew", code, timeout=10)
    dash_duo.wait_for_element(f'#open-tickets-grid .ag-row-selected[row-id="{ticket_no}"]', timeout=10)
    # The map (in its own tab) is centred on the ticket.
    centre = dash_duo.driver.execute_script(
        "return document.querySelector('#dispatch-map .js-plotly-plot').layout.map.center;")
    assert abs(centre["lon"] - lon) < 1e-6 and abs(centre["lat"] - lat) < 1e-6, centre
    assert dash_duo.get_logs() == []
