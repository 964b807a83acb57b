"""The coverage page in real headless Chromium: the manager takes a planned night crew off at 15 minutes
and sees the headline share fall and the changed hexagons outlined; a bad custom minute is refused by name."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.test_dispatch_board import free_crews
from tests.browser.test_roles_and_languages import log_in
from tests.browser.test_schedule_board import choose_crew

pytestmark = pytest.mark.browser

#: Points in the changed-hexagons outline trace and the hexagons drawn, as the browser holds them.
DRAWN = """
const gd = document.querySelector('#cov-map .js-plotly-plot');
if (!gd || !gd.data) { return null; }
return {changed: (gd.data[1].lon || []).filter(v => v !== null).length, hexes: gd.data[0].locations.length,
        first: gd.data[0].locations[0]};
"""


def _share(dash_duo) -> float:
    return float(dash_duo.find_element("#cov-share").text.rstrip("%"))


def _click(dash_duo, selector: str) -> None:
    element = dash_duo.find_element(selector)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});"
                                   "arguments[0].click();", element)


def _biggest_loss(app) -> tuple[str, float, float]:
    """The planned night crew whose absence loses most at 15 minutes, with the share before and after."""
    from ops.reads.coverage import CoverageQuery, coverage

    ctx = app.server.extensions["gasdispatch"]
    base = CoverageQuery(minutes=15, mode="plan", shift="night")
    with ctx.read_session() as db:
        report = coverage(db, ctx.service_area.network, ctx.clock(), base)
        cases = [(coverage(db, ctx.service_area.network, ctx.clock(),
                           CoverageQuery(minutes=15, mode="plan", shift="night", exclude_crew=s.crew_id)), s.code)
                 for s in report.sources]
    worst, code = min(cases, key=lambda c: c[0].share)
    return code, report.share, worst.share


def test_cov001_taking_a_night_crew_off_lowers_the_share(dash_duo, demo_app):
    code, before, after = _biggest_loss(demo_app)
    assert after < before  # the demo has a crew whose absence matters at 15 minutes
    dash_duo.start_server(demo_app, navigate=False)
    log_in(dash_duo, "manager")
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    dash_duo.driver.get(dash_duo.server.url + "/coverage")
    dash_duo.wait_for_element("#cov-map .js-plotly-plot", timeout=30)
    assert WebDriverWait(dash_duo.driver, 20).until(lambda d: d.execute_script(DRAWN))["hexes"] > 50

    _click(dash_duo, "#cov-minutes input[value='15']")
    _click(dash_duo, "#cov-mode input[value='plan']")
    choose_crew(dash_duo, "#cov-shift", "Night")
    WebDriverWait(dash_duo.driver, 30).until(lambda d: abs(_share(dash_duo) - round(before * 100, 1)) < 0.05,
                                             "the planned night share at 15 min never showed")
    assert dash_duo.driver.execute_script(DRAWN)["changed"] == 0

    choose_crew(dash_duo, "#cov-exclude-crew", code)
    WebDriverWait(dash_duo.driver, 30).until(lambda d: abs(_share(dash_duo) - round(after * 100, 1)) < 0.05,
                                             "the share without the crew never showed")
    assert _share(dash_duo) < round(before * 100, 1)
    assert f"{before:.1%}" in dash_duo.find_element("#cov-share-note").text  # the baseline beside it
    WebDriverWait(dash_duo.driver, 10).until(lambda d: d.execute_script(DRAWN)["changed"] > 0,
                                             "no changed hexagon outlined")

    # A custom threshold of 500 minutes is refused by the control's name; the map stays as it was.
    _click(dash_duo, "#cov-minutes input[value='custom']")
    custom = dash_duo.find_element("#cov-minutes-custom")
    custom.send_keys("500\n")
    dash_duo.wait_for_contains_text("#cov-error", "Minutes (T)", timeout=20)
    assert abs(_share(dash_duo) - round(after * 100, 1)) < 0.05
    assert dash_duo.driver.execute_script(DRAWN)["changed"] > 0
    assert dash_duo.get_logs() == []


#: Points of the suggested-moves trace as the browser holds them.
MOVES_DRAWN = """
const gd = document.querySelector('#cov-map .js-plotly-plot');
const trace = gd && gd.data && gd.data.find(t => t.uid === 'moves' || t.name === arguments[0]);
return trace ? (trace.lon || []).filter(v => v !== null).length : null;
"""


def test_cov002_a_dispatcher_sends_a_suggested_waiting_place_as_a_standby(dash_duo, demo_app, ctx):
    from ops.models import AuditEvent, Crew

    free_crews(ctx, 3)  # the demo's crews are all at work when it is seeded: three idle ones may move
    dash_duo.start_server(demo_app, navigate=False)
    log_in(dash_duo, "dispatcher")
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    dash_duo.driver.get(dash_duo.server.url + "/coverage")
    dash_duo.wait_for_element("#cov-map .js-plotly-plot", timeout=30)
    # At 5 minutes the idle crews of the live demo leave much uncovered, so the solver moves some.
    _click(dash_duo, "#cov-minutes input[value='custom']")
    dash_duo.find_element("#cov-minutes-custom").send_keys("5\n")
    dash_duo.wait_for_contains_text("#cov-headline", "T = 5 min", timeout=30)

    _click(dash_duo, "#cov-stand-go")
    dash_duo.wait_for_element("#cov-stand-moves li", timeout=60)
    before = float(dash_duo.find_element("#cov-stand-before").text.rstrip("%"))
    after = float(dash_duo.find_element("#cov-stand-after").text.rstrip("%"))
    assert after > before  # never a suggestion that covers less than standing still
    row = dash_duo.find_elements("#cov-stand-moves li")[0]
    crew_id = int(row.get_attribute("id").rsplit("-", 1)[1])
    assert WebDriverWait(dash_duo.driver, 10).until(
        lambda d: d.execute_script(MOVES_DRAWN, "Suggested moves")), "the moves are not drawn on the map"

    button = row.find_element("css selector", "button")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});"
                                   "arguments[0].click();", button)
    dash_duo.wait_for_element(f"#cov-stand-move-{crew_id} .cov-stand-sent", timeout=30)
    with ctx.read_session() as db:
        crew = db.get(Crew, crew_id)
        assert crew.standby_since is not None and crew.standby_lon is not None
        events = db.query(AuditEvent).filter(AuditEvent.action == "crew.standby",
                                             AuditEvent.entity_id == str(crew_id)).all()
    assert events and events[-1].actor_label != "system"
    assert dash_duo.get_logs() == []
