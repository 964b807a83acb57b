"""The coverage page's callbacks over HTTP as a manager: the map update, a refused control, a hex
selection (reverse search and drill-down) and the CSV/XLSX exports, on the small grid world."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import sys

import h3
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from ops.models import AuditEvent, Crew
from ops.reads.coverage import CoverageQuery, depot_names
from tests.integration.web_fixtures import build_web_app, callback_request, login


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    return build_web_app(tmp_path_factory.mktemp("coverage-page"))


def key_of(web, first_input: str) -> str:
    return next(k for k, e in web.app.callback_map.items() if e["inputs"][0]["id"] == first_input)


def post(client, web, first_input: str, inputs: dict, state: dict | None = None) -> dict:
    key = key_of(web, first_input)
    entry = web.app.callback_map[key]
    body = callback_request(
        key, [{"id": i["id"], "property": i["property"], "value": inputs.get(f"{i['id']}.{i['property']}")}
              for i in entry["inputs"]],
        [{"id": s["id"], "property": s["property"], "value": (state or {}).get(f"{s['id']}.{s['property']}")}
         for s in entry["state"]])
    body["changedPropIds"] = [next(iter(inputs))]
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]


CONTROLS = {"cov-minutes.value": 30, "cov-mode.value": "plan", "cov-scope.value": False,
            "cov-resolution.value": 8, "cov-view.value": "minutes", "cov-demand.value": True}


@pytest.fixture
def client(web):
    client = web.client()
    assert login(client, "manager").status_code == 302
    return client


def test_update_draws_the_planned_crew_and_a_bad_minute_names_the_control(web, client):
    out = post(client, web, "cov-minutes", CONTROLS)
    assert out["cov-exclude-crew"]["options"] == [{"label": "CR01", "value": 1}]
    assert out["cov-exclude-depot"]["options"] == [{"label": "Depot Centro", "value": 1}]
    assert out["cov-query"]["data"]["mode"] == "plan"
    assert out["cov-map"]["figure"]["data"][0]["locations"]
    bad = post(client, web, "cov-minutes", {**CONTROLS, "cov-minutes.value": "custom",
                                            "cov-minutes-custom.value": 500})
    # the hexes, headline, tables and last good query stay; only a suggestion made for the old controls goes
    assert set(bad) == {"cov-message", "cov-map", "cov-stand-result", "cov-stand-data"}
    assert {op["location"][1] for op in bad["cov-map"]["figure"]["operations"]} == {6}  # the moves trace only
    assert bad["cov-stand-data"]["data"] is None
    assert "Minutes (T): " in json.dumps(bad["cov-message"]) and "180" in json.dumps(bad["cov-message"])


def test_selecting_a_hexagon_outlines_it_and_lists_the_crews_in_reach(web, client):
    net = web.area.network
    hex_id = h3.latlng_to_cell(float(net.lat[0]), float(net.lon[0]), 8)
    query = CoverageQuery(minutes=30, mode="plan").__dict__
    out = post(client, web, "cov-map", {"cov-map.clickData": {"points": [{"curveNumber": 0, "location": hex_id}]}},
               {"cov-query.data": query})
    assert out["cov-selected"]["data"] == hex_id
    assert "cov-reach" in out and "cov-tickets" not in out  # tickets only from the risk table


def test_exports_hold_every_hexagon(web, client):
    query = CoverageQuery(minutes=30, mode="plan").__dict__
    csv_out = post(client, web, "cov-export-csv", {"cov-export-csv.n_clicks": 1}, {"cov-query.data": query})
    text = csv_out["cov-download"]["data"]["content"]
    assert text.splitlines()[0].startswith("hex_id,district,minutes")
    xlsx = post(client, web, "cov-export-csv", {"cov-export-xlsx.n_clicks": 1}, {"cov-query.data": query})
    sheet = load_workbook(io.BytesIO(base64.b64decode(xlsx["cov-download"]["data"]["content"]))).active
    assert sheet.max_row == len(text.splitlines())
    assert sheet.cell(1, 1).value == "hex_id" and isinstance(sheet.cell(2, 1).value, str)


def test_depot_names(web):
    with web.sessions()() as db:
        assert depot_names(db, [1, 999]) == {1: "Depot Centro"}
        assert depot_names(db, []) == {}


# ----------------------------------------------------------------------------- where to stand
PLAN_QUERY = CoverageQuery(minutes=5, mode="plan").__dict__


def stand_key(web, first_input: str) -> str:
    return next(k for k, e in web.app.callback_map.items()
                if isinstance(e["inputs"][0]["id"], str) and e["inputs"][0]["id"] == first_input
                and "cov-stand-result" in k) if first_input != SEND else next(
        k for k, e in web.app.callback_map.items() if "cov-stand-send-all" in json.dumps(e["inputs"]))


SEND = "send"


def suggest(client, web, model: str = "mclp", crews=None) -> dict:
    key = stand_key(web, "cov-stand-go")
    inputs = [{"id": "cov-stand-go", "property": "n_clicks", "value": 1},
              {"id": "cov-stand-model", "property": "value", "value": model},
              {"id": "cov-stand-crews", "property": "value", "value": crews}]
    body = callback_request(key, inputs, [{"id": "cov-query", "property": "data", "value": PLAN_QUERY}])
    body["changedPropIds"] = ["cov-stand-go.n_clicks"]
    return client.post("/_dash-update-component", json=body)


def send_one(client, web, crew_id: int, data: dict):
    key = stand_key(web, SEND)
    button = {"crew": crew_id, "type": "cov-stand-send"}
    inputs = [[{"id": button, "property": "n_clicks", "value": 1}],
              {"id": "cov-stand-send-all", "property": "n_clicks", "value": None}]
    body = callback_request(key, inputs[1:], [{"id": "cov-stand-data", "property": "data", "value": data}])
    body["inputs"] = inputs  # a pattern-matching input travels as the list of its matches
    body["changedPropIds"] = [json.dumps(button, separators=(",", ":"), sort_keys=True) + ".n_clicks"]
    return client.post("/_dash-update-component", json=body)


def standby_events(web) -> list[AuditEvent]:
    with web.sessions()() as db:
        return list(db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "crew.standby")))


@pytest.fixture
def one_move(web, monkeypatch):
    """The grid world is covered whole from its depot even at 1 minute, so no real solve moves anyone:
    the suggestion is the reader's on this world with one move of CR01 to node 3 put in."""
    from ops.reads.standing import StandingMove, suggest_standing

    net = web.area.network

    def with_a_move(db, network, now, query, **kw):
        real = suggest_standing(db, network, now, query, **kw)
        move = StandingMove(crew_id=1, code="CR01", from_lon=float(net.lon[0]), from_lat=float(net.lat[0]),
                            to_lon=float(net.lon[3]), to_lat=float(net.lat[3]), to_node=3, street="Calle 3",
                            district=None, minutes=2.0)
        return dataclasses.replace(real, moves=[move], share_before=0.5, covered_before=8.0)

    for name, module in list(sys.modules.items()):  # the page module as Dash's page loader imported it
        if name.endswith("pages.coverage") and hasattr(module, "suggest_standing"):
            monkeypatch.setattr(module, "suggest_standing", with_a_move)


def test_a_real_suggestion_on_the_grid_has_no_move_and_says_so(web, client):
    out = suggest(client, web).get_json()["response"]
    assert out["cov-stand-data"]["data"]["plan"]["moves"] == []
    assert "cov-stand-none" in json.dumps(out["cov-stand-result"])


def test_suggest_lists_the_moves_and_draws_them(web, client, one_move):
    response = suggest(client, web)
    assert response.status_code == 200, response.get_data(as_text=True)
    out = response.get_json()["response"]
    plan = out["cov-stand-data"]["data"]["plan"]
    assert [m["code"] for m in plan["moves"]] == ["CR01"]
    assert plan["share_after"] > plan["share_before"]
    move = plan["moves"][0]
    patch = json.dumps(out["cov-map"]["figure"])
    assert str(move["to_lon"]) in patch and str(move["from_lon"]) in patch
    text = json.dumps(out["cov-stand-result"])
    assert "Standing still" in text and "CR01" in text
    assert "Only dispatchers and supervisors may send a standby." in text  # a manager's buttons are disabled
    mex = suggest(client, web, model="mexclp").get_json()["response"]
    assert "busy fraction" in json.dumps(mex["cov-stand-result"])
    bad = suggest(client, web, crews=5).get_json()["response"]  # one idle crew only
    assert "cov-stand-error" in json.dumps(bad["cov-stand-result"]) and bad["cov-stand-data"]["data"] is None


def test_a_control_change_clears_the_suggestion(web, client):
    key = stand_key(web, "cov-stand-go")
    inputs = [{"id": "cov-stand-go", "property": "n_clicks", "value": 1},
              {"id": "cov-stand-model", "property": "value", "value": "mexclp"},
              {"id": "cov-stand-crews", "property": "value", "value": None}]
    body = callback_request(key, inputs, [{"id": "cov-query", "property": "data", "value": PLAN_QUERY}])
    body["changedPropIds"] = ["cov-stand-model.value"]
    out = client.post("/_dash-update-component", json=body).get_json()["response"]
    assert out["cov-stand-data"]["data"] is None
    assert out["cov-map"]["figure"]["operations"]  # the moves trace emptied
    assert "lon" in json.dumps(out["cov-map"]["figure"]) and "CR01" not in json.dumps(out["cov-stand-result"])


def test_a_manager_may_not_send_and_a_dispatcher_sends_with_an_audit_event(web, client, one_move):
    plan = suggest(client, web).get_json()["response"]["cov-stand-data"]["data"]
    before = len(standby_events(web))
    assert send_one(client, web, 1, plan).status_code == 403  # the callback guard, before any service
    assert len(standby_events(web)) == before

    dispatcher = web.client()
    assert login(dispatcher, "dispatcher").status_code == 302
    response = send_one(dispatcher, web, 1, plan)
    assert response.status_code == 200, response.get_data(as_text=True)
    out = response.get_json()["response"]
    assert out["cov-stand-data"]["data"]["results"] == {"1": "sent"}
    assert "Sent as standby" in json.dumps(out["cov-stand-result"])
    move = plan["plan"]["moves"][0]
    with web.sessions()() as db:
        crew = db.get(Crew, 1)
        assert (crew.standby_lon, crew.standby_lat) == (move["to_lon"], move["to_lat"])
        assert crew.standby_note == "coverage: suggested position" and crew.standby_by
    events = standby_events(web)
    assert len(events) == before + 1 and events[-1].entity_id == "1"


def test_a_refused_send_says_why_on_its_row(web):
    dispatcher = web.client()
    assert login(dispatcher, "dispatcher").status_code == 302
    ghost = {"crew_id": 999, "code": "CR99", "from_lon": float(web.area.network.lon[0]),
             "from_lat": float(web.area.network.lat[0]), "to_lon": float(web.area.network.lon[3]),
             "to_lat": float(web.area.network.lat[3]), "street": None, "district": None, "minutes": 2.0}
    data = {"plan": {"model": "mclp", "weight_kind": "nodes", "share_before": 0.5, "share_after": 0.6,
                     "covered_before": 5, "covered_after": 6, "busy_fraction": None, "busy_fitted": None,
                     "moves": [ghost]}, "results": {}}
    before = len(standby_events(web))
    out = send_one(dispatcher, web, 999, data).get_json()["response"]
    result = out["cov-stand-data"]["data"]["results"]["999"]
    assert result != "sent" and result  # the translated refusal (no such crew)
    assert "Refused: " in json.dumps(out["cov-stand-result"])
    assert len(standby_events(web)) == before
