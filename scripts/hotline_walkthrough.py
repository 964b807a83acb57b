"""Time a class-1 hotline intake done the way an agent does it, keyboard first, in headless Chromium.

    .venv/bin/python scripts/hotline_walkthrough.py http://127.0.0.1:8050 [--phone "9 3000 5122"]

The caller is a known customer who smells gas with people inside. The script counts every key press
(an Alt+key chord counts as one) and mouse click, and measures the time from the empty form to the
saved ticket's confirmation: that is the time the software adds to a call, without the talking.
It prints each step with its running time, so the README's figures can be reproduced.
"""

from __future__ import annotations

import argparse
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


class Counter:
    """Sends input to the browser and counts it."""

    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver
        self.keys = 0
        self.clicks = 0
        self.start = time.perf_counter()

    def type(self, text: str) -> None:
        ActionChains(self.driver).send_keys(text).perform()
        self.keys += len(text)

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            ActionChains(self.driver).send_keys(key).perform()
        self.keys += times

    def chord(self, letter: str) -> None:
        ActionChains(self.driver).key_down(Keys.ALT).send_keys(letter).key_up(Keys.ALT).perform()
        self.keys += 1

    def click(self, element) -> None:
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
        element.click()
        self.clicks += 1

    def step(self, name: str) -> None:
        print(f"{time.perf_counter() - self.start:6.2f} s  {name}  (keys {self.keys}, clicks {self.clicks})")


def wait_until(driver, condition, timeout: float = 20.0):
    return WebDriverWait(driver, timeout).until(lambda _d: condition())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", help="e.g. http://127.0.0.1:8050")
    parser.add_argument("--user", default="hotline")
    parser.add_argument("--password", default="demo-only-change-me")
    parser.add_argument("--phone", default="9 3000 5122", help="a demo customer's phone (seed 7: GD000041)")
    parser.add_argument("--screenshot", help="save the page after saving the ticket")
    args = parser.parse_args()

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1600,1060"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    find = driver.find_element
    try:
        driver.get(args.root + "/login")
        find(By.ID, "username").send_keys(args.user)
        find(By.ID, "password").send_keys(args.password)
        find(By.ID, "login-button").click()
        WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.ID, "current-user")))
        driver.get(args.root + "/lang/en")
        driver.get(args.root + "/hotline")
        WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.ID, "hl-lookup")))
        wait_until(driver, lambda: driver.switch_to.active_element.get_attribute("id") == "hl-lookup")

        c = Counter(driver)
        c.type(args.phone.replace(" ", ""))
        c.press(Keys.ENTER)
        wait_until(driver, lambda: find(By.ID, "hl-customer-no").get_attribute("value"))
        c.step("caller found by phone: name, premises, R4.2 contact and recent tickets filled in")
        c.chord("y")
        c.type("g")
        wait_until(driver, lambda: find(By.ID, "hl-symptom").get_attribute("value") == "gas_leak")
        c.step("symptom: gas leak")
        c.press(Keys.TAB)       # to "smell of gas?"
        c.type("y")
        c.press(Keys.TAB, 2)    # past "abnormal noise?" (stays unknown) to "people on site?"
        c.type("y")
        wait_until(driver, lambda: "people inside" in find(By.ID, "hl-proposed").text)
        c.step("smell of gas: yes, people on site: yes -> " + find(By.ID, "hl-proposal-summary").text)
        for i in range(len(driver.find_elements(By.CSS_SELECTOR, "#hl-script input"))):
            c.click(driver.find_elements(By.CSS_SELECTOR, "#hl-script input")[i])
            wait_until(driver, lambda n=i + 1: find(By.ID, "hl-script").text.count("✓") == n)
        c.step("R6.2 safety script read and ticked, each line time-stamped")
        c.chord("s")
        wait_until(driver, lambda: driver.find_elements(By.ID, "hl-confirmation"))
        c.step("saved: " + find(By.ID, "hl-ticket-no").text + " · " + " · ".join(
            li.text for li in driver.find_elements(By.CSS_SELECTOR, "#hl-deadlines li")))
        if args.screenshot:
            driver.execute_script("window.scrollTo(0, 0);")
            driver.save_screenshot(args.screenshot)
        print(f"total: {time.perf_counter() - c.start:.1f} s, {c.keys} key presses, {c.clicks} clicks")
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
