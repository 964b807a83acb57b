"""The schedule board's callbacks through HTTP: drawn only on its tab, and a click selects the ticket."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ops.db import transaction
from ops.models import Crew, Ticket
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


def _move_body(web, trigger: str, store: dict, crew_id=None, position=None, reason=None) -> dict:
    key = next(k for k, entry in web.app.callback_map.items() if "schedule-move-message.children" in k)
    clicks = {"schedule-move-go": None, "schedule-unassign": None, "schedule-confirm": None, trigger: 1}
    inputs = [{"id": cid, "property": "n_clicks", "value": value} for cid, value in clicks.items()]
    state = [{"id": "schedule-bar", "property": "data", "value": store},
             {"id": "schedule-move-crew", "property": "value", "value": crew_id},
             {"id": "schedule-move-position", "property": "value", "value": position},
             {"id": "schedule-move-reason", "property": "value", "value": reason},
             {"id": "dispatch-changed", "property": "data", "value": 3}]
    body = callback_request(key, inputs, state)
    body["changedPropIds"] = [f"{trigger}.n_clicks"]
    return body


def test_moving_back_to_unassigned_from_the_board_needs_a_reason_and_the_confirm_right(web):
    client = web.client()
    assert login(client, "supervisor").status_code == 302
    out = _board(client, web, "view-schedule", selected=web.ticket_no).get_json()["response"]
    store = out["schedule-bar"]["data"]
    assert store["bar"]["kind"] == "committed" and store["bar"]["ticket_no"] == web.ticket_no
    assert [c["label"].split(" · ")[0] for c in store["crews"]] == ["CR01"]

    refused = client.post("/_dash-update-component", json=_move_body(web, "schedule-unassign", store)).get_json()
    assert "reason is required" in refused["response"]["schedule-err-reason"]["children"]
    assert "dispatch-changed" not in refused["response"]  # nothing changed, nothing redrawn
    with web.sessions()() as db:
        assert db.scalar(sa.select(Ticket.status).where(Ticket.ticket_no == web.ticket_no)) == "dispatched"

    viewer = web.client()
    assert login(viewer, "manager").status_code == 302  # may view the board, may not move
    assert viewer.post("/_dash-update-component", json=_move_body(web, "schedule-unassign", store,
                                                                 reason="x")).status_code == 403

    done = client.post("/_dash-update-component", json=_move_body(web, "schedule-unassign", store,
                                                                 reason="customer not home")).get_json()
    assert "back with the unassigned" in str(done["response"]["schedule-move-message"]["children"])
    assert done["response"]["dispatch-changed"]["data"] == 4
    with web.sessions()() as db:
        assert db.scalar(sa.select(Ticket.status).where(Ticket.ticket_no == web.ticket_no)) == "new"
