"""The schedule board's callbacks through HTTP: drawn only on its tab, and a click selects the ticket."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ops.db import transaction
from ops.models import Crew
from ops.permissions import SYSTEM_ACTOR
from ops.services import intake
from ops.services import work_orders as wo
from ops.services.crews import set_status
from ops.vocabulary import CrewStatus
from tests.integration.web_fixtures import NOW, build_web_app, callback_request, login


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    web = build_web_app(tmp_path_factory.mktemp("schedule"))
    net = web.area.network
    with transaction(web.sessions()) as db:
        crew = db.scalar(sa.select(Crew).where(Crew.code == "CR01"))
        crew.last_lon, crew.last_lat, crew.last_position_at = float(net.lon[0]), float(net.lat[0]), NOW
        set_status(db, SYSTEM_ACTOR, crew, CrewStatus.AVAILABLE, at=NOW)
        report = intake.ReportIn(channel="hotline", reporter_name="Ana", phone="+56 9 5555 0100",
                                 address="Calle 1", symptom="no_gas", started_at=NOW, lon=float(net.lon[5]),
                                 lat=float(net.lat[5]), odour=False)
        ticket = intake.create_ticket(db, SYSTEM_ACTOR, report, now=NOW, locator=_locator(web)).ticket
        wo.confirm_dispatch(db, SYSTEM_ACTOR, ticket.id, crew.id, None, NOW, override_reason="test")
        web.ticket_no = ticket.ticket_no
    return web


def _locator(web):
    from data.area_locator import AreaLocator

    return AreaLocator(web.area)


def _key(web, output: str) -> str:
    return next(key for key in web.app.callback_map if output in key)


def _board(client, web, tab: str, selected: str | None = None):
    key = _key(web, "schedule-graph.figure")
    inputs = [{"id": "dispatch-view-tabs", "property": "active_tab", "value": tab},
              {"id": "dispatch-refresh", "property": "n_intervals", "value": 1},
              {"id": "dispatch-changed", "property": "data", "value": 0},
              {"id": "dispatch-selected", "property": "data", "value": selected},
              {"id": "plan-grid", "property": "rowData", "value": []}]
    return client.post("/_dash-update-component", json=callback_request(key, inputs))


def test_the_board_is_drawn_on_its_tab_only_with_the_crew_and_its_order(web):
    client = web.client()
    assert login(client, "dispatcher").status_code == 302
    assert _board(client, web, "view-map").status_code == 204  # hidden: nothing read, nothing sent
    response = _board(client, web, "view-schedule", selected=web.ticket_no)
    assert response.status_code == 200
    out = response.get_json()["response"]
    figure = out["schedule-graph"]["figure"]
    assert figure["layout"]["yaxis"]["ticktext"] == ["CR01"]
    work = next(t for t in figure["data"] if t["name"] == "Class 2")
    assert [c[0] for c in work["customdata"]] == [web.ticket_no]
    ring = next(t for t in figure["data"] if t["name"] == "Selected")
    assert [c[0] for c in ring["customdata"]] == [web.ticket_no]
    assert "1 crews on shift · 1 orders · 0 proposals" in out["schedule-summary"]["children"]
    assert web.ticket_no in str(out["schedule-selected"]["children"])


def test_a_click_on_a_bar_selects_its_ticket_and_centres_the_map(web):
    client = web.client()
    assert login(client, "manager").status_code == 302  # viewing the board is enough
    key = next(k for k in web.app.callback_map if "dispatch-selected.data" in k
               and web.app.callback_map[k]["inputs"][0]["id"] == "schedule-graph")
    click = {"points": [{"curveNumber": 4, "customdata": [web.ticket_no, 1, "committed"]}]}
    body = callback_request(key, [{"id": "schedule-graph", "property": "clickData", "value": click}],
                            [{"id": "dispatch-selected", "property": "data", "value": None}])
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    out = response.get_json()["response"]
    assert out["dispatch-selected"]["data"] == web.ticket_no
    assert out["open-tickets-grid"]["selectedRows"] == {"ids": [web.ticket_no]}
    assert "__dash_patch_update" in out["dispatch-map"]["figure"]
    # A click on empty space or the shading selects nothing.
    body["inputs"][0]["value"] = {"points": [{"curveNumber": 0}]}
    assert client.post("/_dash-update-component", json=body).status_code == 204


def test_roles_that_may_not_view_the_board_are_refused(web):
    client = web.client()
    assert login(client, "crew_member").status_code == 302
    assert _board(client, web, "view-schedule").status_code == 403
