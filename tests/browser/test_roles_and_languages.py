"""Log in as each role in real Chromium: each sees only its pages, in both languages, all translated."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import dash
import pytest
from babel.messages.pofile import read_po
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.i18n import TRANSLATIONS_DIR
from ops.permissions import Actor, allowed
from ops.vocabulary import Role

pytestmark = pytest.mark.browser

DEMO_USERS = {
    "hotline": Role.HOTLINE_AGENT,
    "dispatcher": Role.DISPATCHER,
    "supervisor": Role.SUPERVISOR,
    "crew": Role.CREW_MEMBER,
    "callback": Role.CALLBACK_AGENT,
    "quality": Role.QUALITY_INSPECTOR,
    "manager": Role.MANAGER,
    "planner": Role.PLANNER,
    "admin": Role.ADMIN,
}

#: The first navbar page each role may view, where it lands after logging in.
LANDING = {
    Role.HOTLINE_AGENT: "/", Role.DISPATCHER: "/", Role.SUPERVISOR: "/", Role.MANAGER: "/", Role.ADMIN: "/",
    Role.CREW_MEMBER: "/crew", Role.QUALITY_INSPECTOR: "/audit", Role.CALLBACK_AGENT: "/account",
    Role.PLANNER: "/coverage",
}


def english_messages() -> list[str]:
    """Source strings long enough that seeing one on a Chinese page means it was not translated."""
    with (TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    return sorted({m.id for m in catalog if m.id and len(re.sub(r"\{\w+\}", "", m.id)) >= 6
                   and re.search(r"[A-Za-z]{4}", m.id)})


def pages_for(role: Role) -> set[str]:
    actor = Actor(user_id=1, label="t", roles=frozenset({role}))
    return {
        page["relative_path"]
        for page in dash.page_registry.values()
        if page.get("order") is not None and allowed(actor, page.get("action", ""))
    }


def log_in(dash_duo, username: str) -> None:
    from data.demo import DEMO_PASSWORD

    driver = dash_duo.driver
    driver.get(dash_duo.server.url + "/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(DEMO_PASSWORD)
    driver.find_element(By.ID, "login-button").click()
    dash_duo.wait_for_element("#current-user", timeout=20)


def log_out(dash_duo) -> None:
    dash_duo.find_element("#logout-button").click()
    dash_duo.wait_for_element("#login-form", timeout=10)


def nav_paths(dash_duo) -> set[str]:
    links = dash_duo.driver.find_elements(By.CSS_SELECTOR, ".navbar a.nav-link[id^='nav-']")
    return {link.get_attribute("pathname") for link in links}


def current_path(dash_duo) -> str:
    return urlparse(dash_duo.driver.current_url).path


def wait_for_path(dash_duo, path: str, timeout: float = 15) -> None:
    WebDriverWait(dash_duo.driver, timeout).until(
        lambda _driver: current_path(dash_duo) == path, f"never reached {path}")


def test_role001_each_role_sees_only_its_pages(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)  # / redirects to /login
    for username, role in DEMO_USERS.items():
        log_in(dash_duo, username)
        expected = pages_for(role)
        assert nav_paths(dash_duo) == expected, (username, expected)
        # Each role starts on the first page it may view, never on a refusal (issue 11).
        wait_for_path(dash_duo, LANDING[role])
        dash_duo.wait_for_element("#_pages_content > *", timeout=20)
        assert not dash_duo.driver.find_elements(By.ID, "forbidden"), username
        brand = dash_duo.driver.find_element(By.CSS_SELECTOR, ".navbar-brand")
        assert brand.get_attribute("pathname") == LANDING[role], username
        if "/" not in expected:  # the index forwards there too
            dash_duo.driver.get(dash_duo.server.url + "/")
            wait_for_path(dash_duo, LANDING[role])
        # Opening a page the role may not see by URL shows a refusal, never the page.
        refused = "/admin" if "/admin" not in expected else "/crew"
        dash_duo.driver.get(dash_duo.server.url + refused)
        dash_duo.wait_for_element("#forbidden", timeout=15)
        log_out(dash_duo)
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_role002_every_page_renders_translated(dash_duo, demo_app, language):
    """The admin sees every page; each renders in the language, with no untranslated string."""
    dash_duo.start_server(demo_app, navigate=False)  # / redirects to /login
    log_in(dash_duo, "admin")
    dash_duo.driver.get(dash_duo.server.url + f"/lang/{language}")
    leftovers = english_messages() if language == "zh_CN" else []
    for path in sorted(pages_for(Role.ADMIN)):
        dash_duo.driver.get(dash_duo.server.url + path)
        dash_duo.wait_for_element("#_pages_content > *", timeout=20)
        dash_duo.wait_for_element("#current-user", timeout=20)
        text = dash_duo.driver.find_element(By.TAG_NAME, "body").text
        assert not dash_duo.driver.find_elements(By.ID, "forbidden"), path
        found = [m for m in leftovers if re.search(rf"(?<![\w]){re.escape(m)}(?![\w])", text)]
        assert found == [], (path, found)
    log_out(dash_duo)
    assert dash_duo.get_logs() == []
