"""Take a screenshot of a running Gas Dispatch page in headless Chromium.

    .venv/bin/python scripts/screenshot.py http://127.0.0.1:8050/ docs/dispatch-map.png [--lang en]

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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("output")
    parser.add_argument("--lang", choices=["zh_CN", "en"])
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--wait", type=float, default=4.0, help="seconds to let the map draw")
    parser.add_argument("--user", help="log in as this user first (password from --password)")
    parser.add_argument("--password", default="demo-only-change-me")
    args = parser.parse_args()

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
        if args.lang:
            driver.get(root + f"/lang/{args.lang}")
        driver.get(args.url)
        WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.TAG_NAME, "body")))
        time.sleep(args.wait)
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
