"""Take a screenshot of a running Gas Dispatch page in headless Chromium.

    .venv/bin/python scripts/screenshot.py http://127.0.0.1:8050/ docs/dispatch-map.png [--lang en]
    .venv/bin/python scripts/screenshot.py http://127.0.0.1:8050/crew docs/crew-page.png --user crew --lang en \
        --size 390x844 --full-page

Used to produce the README's screenshot and to look at pages while building them; it also prints
the browser console's errors, because a page that logs errors is broken even when it looks fine.
"""

from __future__ import annotations

import argparse
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


def _size(text: str) -> tuple[int, int]:
    """'390x844' -> (390, 844): phone pages are checked at a phone's size, not a desktop's."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT, e.g. 390x844") from None
    return width, height


def _emulate(driver: webdriver.Chrome, width: int, height: int, *, mobile: bool) -> None:
    """A phone-sized viewport as a phone lays it out (the page's viewport meta tag applies)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("output")
    parser.add_argument("--lang", choices=["zh_CN", "en"])
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--size", type=_size, help="WIDTHxHEIGHT, e.g. 390x844 for a phone (overrides "
                        "--width/--height)")
    parser.add_argument("--full-page", action="store_true",
                        help="make the viewport as tall as the page first, to capture a long phone page whole")
    parser.add_argument("--wait", type=float, default=4.0, help="seconds to let the map draw")
    parser.add_argument("--user", help="log in as this user first (password from --password)")
    parser.add_argument("--password", default="demo-only-change-me")
    parser.add_argument("--js", help="JavaScript run once the page has settled, before the picture (e.g. to "
                        "zoom the map: Plotly.relayout(document.querySelector('#dispatch-map .js-plotly-plot'), "
                        "{'map.zoom': 14, 'map.center': {lon: -71.23, lat: -29.87}}))")
    args = parser.parse_args()
    if args.size:
        args.width, args.height = args.size

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 f"--window-size={args.width},{args.height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options)
    try:
        root = "/".join(args.url.split("/", 3)[:3])
        if args.user:
            driver.get(root + "/login")
            driver.find_element(By.ID, "username").send_keys(args.user)
            driver.find_element(By.ID, "password").send_keys(args.password)
            driver.find_element(By.ID, "login-button").click()
            WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.ID, "current-user")))
        if args.size:
            _emulate(driver, args.width, args.height, mobile=True)
        if args.lang:
            driver.get(root + f"/lang/{args.lang}")
        driver.get(args.url)
        WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.TAG_NAME, "body")))
        time.sleep(args.wait)
        if args.js:
            driver.execute_script(args.js)
            time.sleep(2.0)
        if args.full_page:
            # The window cannot grow past the (virtual) screen: emulate a device as tall as the page.
            height = int(driver.execute_script("return document.documentElement.scrollHeight"))
            _emulate(driver, args.width, height, mobile=bool(args.size))
            time.sleep(2.0)  # let the maps redraw at the new size
        driver.save_screenshot(args.output)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        driver.quit()
    for entry in errors:
        print("console error:", entry["message"], file=sys.stderr)
    print(f"saved {args.output}; {len(errors)} console errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
