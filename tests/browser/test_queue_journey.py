"""Issue 12's journey in real headless Chromium: the whole shift planned, not one job per crew.

Two class-3 tickets are booked at the hotline into graded slots (R6.4); a class 2 confirmed from the
panel for a busy crew waits second in that crew's queue, on the schedule board and on the crew's phone
(R7.6); the supervisor moves it on the board to another crew with a reason and its bar is retimed; a
class 1 arrives over the API and diverts that crew, whose queue stays behind the class 1 (R7.6), as the
board and the crew page show. No console errors.

What the test sets up through the services (not what it checks): two crews freed and each given a
current order (``dispatch_to``, which also runs the scheduler's replan once, as a deployment's would),
the crews' phone logins, and a replan after each confirmation from the panel (the test app runs no
scheduler thread, so the plan in force is refreshed the way the scheduler would refresh it).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.test_appointments import _book
from tests.browser.test_crew_page import PHONE
from tests.browser.test_dispatch_board import (
    _click,
    _select_row,
    free_crews,
    quiet_board,
    report_ticket,
)
from tests.browser.test_journey import (
    JOURNEY_PASSWORD,
    api_token,
    crew_login_for,
    report_class1_by_api,
)
from tests.browser.test_roles_and_languages import log_in
from tests.browser.test_schedule_board import (
    bar_row,
    choose_crew,
    click_bar,
    dispatch_to,
    move_on_board,
    open_board,
)

pytestmark = pytest.mark.browser

DESK = (1400, 1000)


def _replan(ctx) -> None:
    """What the scheduler does on the replan a confirmation requests (no scheduler thread runs in tests)."""
    from ops.scheduler import replan

    replan(ctx.sessions, ctx.clock(), ctx.service_area.network, every_s=0)


def log_out(dash_duo) -> None:
    """Log out in JavaScript (an alert or the class-1 banner may lie over the button)."""
    _click(dash_duo, "#logout-button")
    dash_duo.wait_for_element("#login-form", timeout=10)


def _supervisor_board(dash_duo) -> None:
    dash_duo.driver.set_window_size(*DESK)
    log_in(dash_duo, "supervisor")
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    dash_duo.wait_for_element("#open-tickets-grid .ag-row", timeout=30)


def _dispatch_chosen_crew(dash_duo, ticket_no: str, code: str, reason: str) -> None:
    """From the recommendation panel: choose the crew ``code`` by hand, give a reason and dispatch it."""
    for _attempt in range(4):  # a demo class 1 opens itself while nothing is selected: select ours again
        _select_row(dash_duo, ticket_no)
        try:
            dash_duo.wait_for_text_to_equal("#rec-ticket-no", ticket_no, timeout=15)
            break
        except TimeoutException:
            continue
    dash_duo.wait_for_text_to_equal("#rec-ticket-no", ticket_no, timeout=15)
    dash_duo.wait_for_element("#rec-body .rec-option", timeout=30)
    choose_crew(dash_duo, "#rec-crew-choice", code)
    dash_duo.find_element("#rec-reason").send_keys(reason)
    # A crew without the ticket's skill is sent only once the dispatcher ticks the warning.
    WebDriverWait(dash_duo.driver, 5).until(
        lambda d: d.execute_script("return document.getElementById('rec-skill-confirm') !== null;"))
    if dash_duo.driver.execute_script("return !document.getElementById('rec-skill-confirm').hidden;"):
        _click(dash_duo, "#rec-skill-ok input")
    _click(dash_duo, "#rec-dispatch-other")
    dash_duo.wait_for_text_to_equal("#rec-order-crew", code, timeout=30)


def _crew_page_queue(dash_duo, username: str, current: str) -> str:
    """The crew's phone: log in as ``username``, wait for the current order ``current``; the queue's text."""
    dash_duo.driver.set_window_size(*PHONE)
    dash_duo.driver.get(dash_duo.server.url + "/login")
    dash_duo.find_element("#username").send_keys(username)
    dash_duo.find_element("#password").send_keys(JOURNEY_PASSWORD)
    dash_duo.find_element("#login-button").click()
    dash_duo.wait_for_element("#current-user", timeout=20)
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    dash_duo.driver.get(dash_duo.server.url + "/crew")
    dash_duo.wait_for_text_to_equal("#crew-ticket-no", current, timeout=30)
    dash_duo.wait_for_contains_text("#crew-next-orders", "Your queue", timeout=20)
    return dash_duo.find_element("#crew-next-orders").text


def _work_bars(dash_duo) -> dict[str, tuple[str, str]]:
    """Every order's work bar as drawn: ticket number → (crew row, start of the work)."""
    return dash_duo.driver.execute_script("""
const gd = document.querySelector('#schedule-graph .js-plotly-plot');
const out = {};
if (!gd || !gd.data) { return out; }
const y = gd.layout.yaxis;
for (const t of gd.data) {
  if (t.type !== 'bar' || !t.customdata || !t.uid.startsWith('work-')) { continue; }
  t.customdata.forEach((c, j) => { out[c[0]] = [y.ticktext[y.tickvals.indexOf(t.y[j])], t.base[j]]; });
}
return out;
""")


def test_queue_journey001_book_queue_move_and_divert(dash_duo, demo_app, ctx):
    from ops.models import Crew, Ticket, WorkOrder

    quiet_board(ctx)
    a, b = free_crews(ctx, 2)
    with ctx.read_session() as db:
        codes = dict(db.execute(sa.select(Crew.id, Crew.code).where(Crew.id.in_((a, b)))).tuples().all())
        near_b = db.get(Crew, b)
        lon, lat = next((near_b.last_lon + dx, near_b.last_lat + dy) for dx, dy in
                        ((0.004, 0.003), (-0.004, 0.003), (0.004, -0.003), (-0.004, -0.003), (0.0, 0.0))
                        if ctx.locator.inside(near_b.last_lon + dx, near_b.last_lat + dy))
    busy_a, busy_b = report_ticket(ctx, a), report_ticket(ctx, b)
    dispatch_to(ctx, busy_a, a)  # each crew is on its way to a class-2 job: busy, not on site
    dispatch_to(ctx, busy_b, b)
    waiting = report_ticket(ctx, a)  # the class 2 to confirm for the busy crew a
    user_a, user_b = crew_login_for(ctx, codes[a], "queue"), crew_login_for(ctx, codes[b], "queue")
    dash_duo.start_server(demo_app, navigate=False)

    # 1. R6.4: the hotline books two class-3 maintenance requests into graded slots.
    log_in(dash_duo, "hotline")
    taken: set[str] = set()
    booked = []
    for customer in ("GD000120", "GD000170"):
        ticket_no, key, _grade = _book(dash_duo, customer, taken)
        taken.add(key)
        booked.append(ticket_no)
    assert len(set(booked)) == 2
    assert dash_duo.get_logs() == []
    log_out(dash_duo)

    # 2. R7.6: the supervisor confirms the class 2 for the busy crew a; it is second in a's queue.
    _supervisor_board(dash_duo)
    _dispatch_chosen_crew(dash_duo, waiting, codes[a], "same street as its current job")
    dash_duo.wait_for_text_to_equal("#rec-order-status", "Queued", timeout=20)
    _replan(ctx)
    assert dash_duo.get_logs() == []
    log_out(dash_duo)
    queue_a = _crew_page_queue(dash_duo, user_a, busy_a)  # crew a's phone: current job, then this one
    assert waiting in queue_a and "1. " in queue_a and "Class 2" in queue_a, queue_a
    assert dash_duo.get_logs() == []
    log_out(dash_duo)
    _supervisor_board(dash_duo)
    open_board(dash_duo)
    wait = WebDriverWait(dash_duo.driver, 30)
    wait.until(lambda d: (bar_row(dash_duo, waiting) or [None])[0] == codes[a], "the queued order is not drawn")
    click_bar(dash_duo, waiting)
    dash_duo.wait_for_text_to_equal("#schedule-selected-crew", codes[a], timeout=20)
    dash_duo.wait_for_contains_text("#schedule-selected", "position 1 in the queue", timeout=10)
    bars = _work_bars(dash_duo)
    assert bars[busy_a][0] == codes[a] and bars[busy_a][1] < bars[waiting][1]  # behind the current job
    before = bars[waiting]

    # 3. Moved on the board to crew b with a reason: the bar is on b's row, behind b's job, retimed.
    move_on_board(dash_duo, codes[b], "crew a is held up at its current job")
    wait.until(lambda d: (bar_row(dash_duo, waiting) or [None])[0] == codes[b], "the bar did not move")
    dash_duo.wait_for_text_to_equal("#schedule-selected-crew", codes[b], timeout=20)
    after = _work_bars(dash_duo)
    assert after[waiting][1] != before[1]  # retimed: it now starts behind b's job, not a's
    assert after[busy_b][0] == codes[b] and after[busy_b][1] < after[waiting][1]
    assert dash_duo.get_logs() == []
    log_out(dash_duo)

    # Crew b's phone lists it next, behind its current job.
    queue_b = _crew_page_queue(dash_duo, user_b, busy_b)
    assert waiting in queue_b and "1. " in queue_b and "Class 2" in queue_b, queue_b
    assert dash_duo.get_logs() == []
    log_out(dash_duo)

    # 4. A class 1 arrives near b (the customer app, over the API); the supervisor sends b, which
    #    is diverted from its class-2 job: that job and the moved one stay queued behind the class 1.
    created = report_class1_by_api(dash_duo.server.url, api_token(ctx, "hotline", ["tickets:write"]), lon, lat,
                                   ctx.clock())
    leak = created["ticket_no"]
    _supervisor_board(dash_duo)
    dash_duo.wait_for_contains_text("#class1-banner", leak, timeout=30)
    _dispatch_chosen_crew(dash_duo, leak, codes[b], "nearest crew, not yet on site")
    dash_duo.wait_for_text_to_equal("#rec-order-status", "Dispatched", timeout=20)
    _replan(ctx)
    open_board(dash_duo)
    wait.until(lambda d: (bar_row(dash_duo, leak) or [None])[0] == codes[b], "the class 1 is not drawn on b")
    wait.until(lambda d: (lambda bars: all(t in bars for t in (busy_b, waiting)) and
                          bars[leak][1] < bars[busy_b][1] < bars[waiting][1])(_work_bars(dash_duo)),
               "b's queue is not behind the class 1")
    assert {_work_bars(dash_duo)[t][0] for t in (leak, busy_b, waiting)} == {codes[b]}
    assert dash_duo.get_logs() == []
    log_out(dash_duo)

    queue_b = _crew_page_queue(dash_duo, user_b, leak)
    assert queue_b.index(busy_b) < queue_b.index(waiting), queue_b
    assert "1. " in queue_b and "2. " in queue_b, queue_b
    with ctx.read_session() as db:
        states = dict(db.execute(sa.select(Ticket.ticket_no, WorkOrder.status).join(Ticket)
                                 .where(Ticket.ticket_no.in_((leak, busy_b, waiting)),
                                        WorkOrder.crew_id == b)).tuples().all())
    assert {k: str(v) for k, v in states.items()} == {leak: "dispatched", busy_b: "queued", waiting: "queued"}
    assert dash_duo.get_logs() == []
