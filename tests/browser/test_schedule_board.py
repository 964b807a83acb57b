"""The schedule board in real headless Chromium: the tab beside the map, a click on a bar selects the
ticket for the list, the recommendation panel and the map (which centres on it)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
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


#: The ticket of the point plotly shows the hover label of, or null.
HOVERED = """
const gd = document.querySelector('#schedule-graph .js-plotly-plot');
const point = gd && gd._hoverdata && gd._hoverdata[0];
return point && point.customdata ? point.customdata[0] : null;
"""


def click_bar(dash_duo, ticket_no: str) -> None:
    """Click the ticket's work bar as a dispatcher would: plotly clicks what the pointer hovers, and a
    deadline tick of another ticket may sit on the bar, so the pointer moves along the bar until the
    hover label names the ticket, then clicks.

    The board redraws when the selection changes, and a class 1 of the demo may open itself right after
    the page loads: a click that lands while the bars are being replaced is tried again.
    """
    for _attempt in range(4):
        bar = WebDriverWait(dash_duo.driver, 20).until(lambda d: d.execute_script(FIND_BAR, ticket_no),
                                                       "the ticket's bar is not drawn")
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", bar)
        try:
            width = bar.rect["width"]
            for fraction in (0.0, -0.3, 0.3, -0.45, 0.45):
                chain = ActionChains(dash_duo.driver).move_to_element_with_offset(bar, int(width * fraction), 0)
                chain.pause(0.4).perform()
                if dash_duo.driver.execute_script(HOVERED) == ticket_no:
                    ActionChains(dash_duo.driver).click().perform()
                    break
            WebDriverWait(dash_duo.driver, 15).until(lambda d: d.execute_script(
                "const e = document.getElementById('schedule-selected-ticket'); return e && e.textContent;")
                == ticket_no)
            return
        except (TimeoutException, StaleElementReferenceException):
            continue
    raise AssertionError(f"a click on the bar of {ticket_no} never selected it")


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

    click_bar(dash_duo, ticket_no)

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


def bar_row(dash_duo, ticket_no: str) -> tuple[str, str] | None:
    """(crew code of the row, start of the work) of a ticket's work bar as drawn, or None."""
    return dash_duo.driver.execute_script("""
const gd = document.querySelector('#schedule-graph .js-plotly-plot');
if (!gd || !gd.data) { return null; }
for (const t of gd.data) {
  if (t.type !== 'bar' || !t.customdata || !t.uid.startsWith('work-')) { continue; }
  const j = t.customdata.findIndex(c => c[0] === arguments[0]);
  if (j >= 0) {
    const y = gd.layout.yaxis;
    return [y.ticktext[y.tickvals.indexOf(t.y[j])], t.base[j]];
  }
}
return null;
""", ticket_no)


def choose_crew(dash_duo, dropdown: str, code: str) -> None:
    """Open the crew dropdown ``dropdown`` (a CSS id selector) and pick the option of the crew ``code``."""
    find_option = ("return [...document.querySelectorAll('.dash-dropdown-options .dash-dropdown-option')]"
                   ".find(o => o.textContent.startsWith(arguments[0])) || null;")
    option = None
    for _attempt in range(3):  # the options arrive with the selection; open the list until they are there
        opener = dash_duo.find_element(f"{dropdown} .dash-dropdown, {dropdown} button, {dropdown}")
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'}); arguments[0].click();",
                                       opener)
        try:
            option = WebDriverWait(dash_duo.driver, 10).until(lambda d: d.execute_script(find_option, code))
            break
        except TimeoutException:
            dash_duo.driver.execute_script("document.body.click();")
    assert option is not None, f"no option for the crew {code}"
    dash_duo.driver.execute_script("arguments[0].click();", option)


def move_on_board(dash_duo, code: str, reason: str) -> None:
    """From the selected bar: move its order to the crew ``code`` with ``reason``; returns once the board says so."""
    dash_duo.wait_for_element("#schedule-move:not([hidden])", timeout=10)
    choose_crew(dash_duo, "#schedule-move-crew", code)
    dash_duo.find_element("#schedule-move-reason").send_keys(reason)
    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element("#schedule-move-go"))
    dash_duo.wait_for_contains_text("#schedule-moved", f"moved to {code}", timeout=30)


def test_schedule002_a_queued_order_moved_to_another_crew_with_a_reason_is_retimed_at_once(dash_duo, demo_app, ctx):
    from ops.db import transaction
    from ops.models import Crew, Ticket, WorkOrder
    from ops.permissions import SYSTEM_ACTOR
    from ops.scheduler import replan
    from ops.services import work_orders as wo

    crews = free_crews(ctx, 2)
    first = report_ticket(ctx, crews[0])
    second = report_ticket(ctx, crews[0])
    with transaction(ctx.sessions) as db:  # R7.6: the second order waits behind the first on the same crew
        for ticket_no in (first, second):
            ticket_id = db.scalar(sa.select(Ticket.id).where(Ticket.ticket_no == ticket_no))
            wo.confirm_dispatch(db, SYSTEM_ACTOR, ticket_id, crews[0], None, ctx.clock(), override_reason="test")
        codes = dict(db.execute(sa.select(Crew.id, Crew.code).where(Crew.id.in_(crews))).tuples().all())
    replan(ctx.sessions, ctx.clock(), ctx.service_area.network, every_s=0)
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(1400, 1000)
    log_in(dash_duo, "supervisor")
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    dash_duo.wait_for_element("#open-tickets-grid .ag-row", timeout=30)
    open_board(dash_duo)
    wait = WebDriverWait(dash_duo.driver, 20)
    before = wait.until(lambda d: bar_row(dash_duo, second), "the queued order is not drawn")
    assert before[0] == codes[crews[0]]

    click_bar(dash_duo, second)
    dash_duo.wait_for_text_to_equal("#schedule-selected-ticket", second, timeout=30)
    dash_duo.wait_for_contains_text("#schedule-selected", "position 1 in the queue", timeout=10)
    eta_before = dash_duo.find_element("#schedule-selected-eta").text

    # To the other crew, with the reason the rules ask for (the crew is not the one recommended).
    move_on_board(dash_duo, codes[crews[1]], "the other crew is nearer now")

    # The board redraws from the retimed plan: the bar is on the other crew's row, with its new times.
    wait.until(lambda d: (bar_row(dash_duo, second) or [None])[0] == codes[crews[1]], "the bar did not move")
    dash_duo.wait_for_text_to_equal("#schedule-selected-crew", codes[crews[1]], timeout=20)
    assert dash_duo.find_element("#schedule-selected-eta").text != eta_before or \
        bar_row(dash_duo, second)[1] != before[1]
    with ctx.read_session() as db:
        moved = db.execute(sa.select(WorkOrder.crew_id, WorkOrder.status).join(Ticket)
                           .where(Ticket.ticket_no == second, WorkOrder.status != "cancelled")).one()
    assert moved.crew_id == crews[1]
    assert dash_duo.get_logs() == []
