"""The dispatch board notices a new plan in force within its poll interval, not at its 15-s refresh:
the poll answers "no update" while the version is unchanged and fires the board's refresh on a change."""

from __future__ import annotations

import pytest

from ops.db import transaction
from ops.plan_in_force import store_plan
from optimizer.dispatch_types import Plan
from tests.integration.web_fixtures import NOW, build_web_app, callback_request, login


@pytest.fixture
def web(tmp_path):
    return build_web_app(tmp_path)


def key_of(web, output: str) -> str:
    return next(key for key in web.app.callback_map if output in key)


def poll(web, client, seen: int | None, changed: int = 3):
    key = key_of(web, "plan-version.data")
    entry = web.app.callback_map[key]
    assert [(i["id"], i["property"]) for i in entry["inputs"]] == [("plan-version-poll", "n_intervals")]
    body = callback_request(key, [{"id": "plan-version-poll", "property": "n_intervals", "value": 7}],
                            [{"id": "plan-version", "property": "data", "value": seen},
                             {"id": "dispatch-changed", "property": "data", "value": changed}])
    return client.post("/_dash-update-component", json=body)


def test_the_poll_fires_the_refresh_only_when_the_plan_version_changed(web):
    client = web.client()
    assert login(client, "dispatcher").status_code == 302
    assert poll(web, client, None).status_code == 204  # no plan yet, none seen: nothing to redraw
    with transaction(web.sessions()) as db:
        version = store_plan(db, Plan(routes={}), NOW, "scheduler").id
    response = poll(web, client, None)
    assert response.status_code == 200
    answer = response.get_json()["response"]
    assert answer["plan-version"]["data"] == version
    assert answer["dispatch-changed"]["data"] == 4  # the refresh's trigger, one step on
    assert poll(web, client, version).status_code == 204  # seen already: no refresh
    with transaction(web.sessions()) as db:
        newer = store_plan(db, Plan(routes={}), NOW, "replan_request").id
    answer = poll(web, client, version).get_json()["response"]
    assert answer["plan-version"]["data"] == newer and answer["dispatch-changed"]["data"] == 4


def test_the_board_refresh_is_what_the_poll_triggers(web):
    """The poll's output ``dispatch-changed`` is an input of the refresh that redraws map, grid and lists."""
    refresh = web.app.callback_map[key_of(web, "open-tickets-grid.rowData")]
    assert {"id": "dispatch-changed", "property": "data"} in [
        {"id": i["id"], "property": i["property"]} for i in refresh["inputs"]]


def test_the_poll_is_refused_to_those_who_may_not_view_the_board(web):
    client = web.client()
    assert login(client, "crew_member").status_code == 302
    assert poll(web, client, None).status_code == 403
