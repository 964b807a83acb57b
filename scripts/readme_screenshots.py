"""The README's pictures of the schedule board, the slot picker and the coverage page, taken on a running demo.

    .venv/bin/python scripts/readme_screenshots.py http://127.0.0.1:8050 [--out docs]

They need steps that ``scripts/screenshot.py`` cannot take (a click on a plotly bar, typing into the
hotline form): the supervisor opens the Schedule board tab and selects the first committed bar of a
crew with a queue; the hotline agent looks up a customer, files a maintenance request (class 3) and
waits for the graded slots; the manager opens the coverage page live (every crew on shift) and planned
(the night crews at 15 minutes, one crew taken off); the dispatcher asks where the idle crews should
stand. Browser console errors are printed, and make the exit status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

#: The drawn bar of a committed order on a crew that has more than one (the current one and a queue).
QUEUED_BAR = """
const gd = document.querySelector('#schedule-graph .js-plotly-plot');
const perRow = {};
for (const t of gd.data) {
  if (t.type === 'bar' && t.customdata && t.uid.startsWith('work-')) { t.y.forEach(y => perRow[y] = (perRow[y] || 0) + 1); }
}
for (const group of document.querySelectorAll('#schedule-graph .barlayer .trace')) {
  const trace = group.__data__ && group.__data__[0] && group.__data__[0].trace;
  if (!trace || !trace.uid.startsWith('work-')) { continue; }
  for (const point of group.querySelectorAll('.point')) {
    const i = point.__data__ && point.__data__.i;
    if (i !== undefined && perRow[trace.y[i]] > 1) { return point; }
  }
}
return null;
"""


def _driver(width: int, height: int) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options)


def _log_in(driver: webdriver.Chrome, root: str, user: str, password: str) -> None:
    driver.get(root + "/login")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-button").click()
    WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.ID, "current-user")))
    driver.get(root + "/lang/en")


def _errors(driver: webdriver.Chrome) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


@contextmanager
def _page(root: str, user: str, password: str, path: str, size: tuple[int, int],
          ready: str) -> Iterator[tuple[webdriver.Chrome, WebDriverWait]]:
    """A browser of ``size`` logged in as ``user`` on ``path``, once ``ready`` (a CSS selector) is drawn."""
    driver = _driver(*size)
    try:
        _log_in(driver, root, user, password)
        driver.get(root + path)
        wait = WebDriverWait(driver, 60)
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ready)))
        yield driver, wait
    finally:
        driver.quit()


def _save(driver: webdriver.Chrome, output: Path) -> list[str]:
    """The picture, and the console errors the page logged on the way (a page with errors is broken)."""
    driver.save_screenshot(str(output))
    return _errors(driver)


def schedule_board(root: str, output: Path, password: str) -> list[str]:
    """The supervisor's dispatch page, Schedule board tab open, a bar of a crew with a queue selected."""
    with _page(root, "supervisor", password, "/", (1600, 1000), "#open-tickets-grid .ag-row") as (driver, wait):
        driver.execute_script("[...document.querySelectorAll('#dispatch-view-tabs .nav-link')]"
                              ".find(a => a.textContent === 'Schedule board').click();")
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#schedule-graph .barlayer .point")))
        time.sleep(3)
        bar = wait.until(lambda d: d.execute_script(QUEUED_BAR), "no crew has a queue on the board")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", bar)
        ActionChains(driver).move_to_element(bar).pause(0.5).click().perform()
        wait.until(lambda d: d.execute_script(
            "const e = document.getElementById('schedule-selected-ticket'); return e && e.tagName === 'B';"))
        time.sleep(3)
        driver.execute_script("document.getElementById('schedule-tab').scrollIntoView({block: 'start'});")
        time.sleep(1)
        return _save(driver, output)


def slot_picker(root: str, output: Path, password: str, customer: str) -> list[str]:
    """The hotline with a known customer's maintenance request (class 3) and its graded slots."""
    # tall enough for the caller, the report and the whole grid at once
    with _page(root, "hotline", password, "/hotline", (1600, 1500), "#hl-map .js-plotly-plot") as (driver, wait):
        driver.find_element(By.ID, "hl-lookup").send_keys(customer + "\n")
        wait.until(lambda d: d.find_element(By.ID, "hl-customer-no").get_attribute("value") == customer)
        driver.execute_script("document.querySelector(\"#hl-odour input[value='no']\").click();")
        Select(driver.find_element(By.ID, "hl-symptom")).select_by_value("maintenance")
        wait.until(lambda d: "Class 3" in d.find_element(By.ID, "hl-proposed").text)
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#hl-slot-grid .hl-slot-btn")))
        time.sleep(4)
        driver.execute_script("window.scrollTo(0, 0);")
        time.sleep(1)
        return _save(driver, output)


def _choose(driver: webdriver.Chrome, dropdown: str, text: str) -> None:
    """Open a dropdown and click the option whose label starts with ``text``."""
    find = ("return [...document.querySelectorAll('.dash-dropdown-options .dash-dropdown-option')]"
            ".find(o => o.textContent.startsWith(arguments[0])) || null;")
    opener = driver.find_element(By.CSS_SELECTOR, f"{dropdown} .dash-dropdown, {dropdown} button, {dropdown}")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'}); arguments[0].click();",
                          opener)
    option = WebDriverWait(driver, 20).until(lambda d: d.execute_script(find, text))
    driver.execute_script("arguments[0].click();", option)


def coverage_page(root: str, output: Path, password: str, *, planned: bool) -> list[str]:
    """The manager's coverage page: live with every crew on shift, or the planned night crews at 15 min
    with the crew of the first option taken off (changed hexagons outlined)."""
    with _page(root, "manager", password, "/coverage", (1600, 1250), "#cov-map .js-plotly-plot") as (driver, wait):
        time.sleep(2)
        if planned:
            driver.execute_script("document.querySelector(\"#cov-minutes input[value='15']\").click();")
            driver.execute_script("document.querySelector(\"#cov-mode input[value='plan']\").click();")
            _choose(driver, "#cov-shift", "Night")
            time.sleep(3)
            _choose(driver, "#cov-exclude-crew", "CR")
            wait.until(ec.presence_of_element_located((By.ID, "cov-lost")))
        else:
            driver.execute_script("document.getElementById('cov-scope').click();")
        time.sleep(4)
        driver.execute_script("window.scrollTo(0, 0);")
        time.sleep(1)
        return _save(driver, output)


def standing_card(root: str, output: Path, password: str, minutes: int = 10) -> list[str]:
    """The dispatcher's where-to-stand card: at ``minutes``, Suggest, and the moves listed and drawn
    (needs idle crews: on a fresh demo every crew is at work, and the card says so)."""
    with _page(root, "dispatcher", password, "/coverage", (1600, 1250), "#cov-map .js-plotly-plot") as (driver, wait):
        driver.execute_script("document.querySelector(\"#cov-minutes input[value='custom']\").click();")
        driver.find_element(By.ID, "cov-minutes-custom").send_keys(f"{minutes}\n")
        wait.until(ec.text_to_be_present_in_element((By.ID, "cov-headline"), f"T = {minutes} min"))
        driver.execute_script("document.getElementById('cov-stand-go').click();")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#cov-stand-moves li, #cov-stand-none"))
        time.sleep(2)
        driver.execute_script("window.scrollTo(0, 0);")
        return _save(driver, output)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", help="the running app's root, e.g. http://127.0.0.1:8050")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--password", default="demo-only-change-me")
    parser.add_argument("--customer", default="GD000100")
    parser.add_argument("--only", choices=["coverage", "standing"], help="take only these pictures")
    args = parser.parse_args()
    root = args.url.rstrip("/")
    errors = [] if args.only else schedule_board(root, args.out / "schedule-board.png", args.password)
    errors += [] if args.only else slot_picker(root, args.out / "slot-picker.png", args.password, args.customer)
    if args.only != "standing":
        errors += coverage_page(root, args.out / "coverage-live.png", args.password, planned=False)
        errors += coverage_page(root, args.out / "coverage-planned.png", args.password, planned=True)
    if args.only in (None, "standing"):
        errors += standing_card(root, args.out / "coverage-standing.png", args.password)
    for message in errors:
        print("console error:", message, file=sys.stderr)
    print(f"saved the pictures in {args.out} (schedule board, slot picker, coverage live/planned/standing); "
          f"{len(errors)} console errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
