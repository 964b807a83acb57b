"""The coverage page's callbacks over HTTP as a manager: the map update, a refused control, a hex
selection (reverse search and drill-down) and the CSV/XLSX exports, on the small grid world."""

from __future__ import annotations

import base64
import io
import json

import h3
import pytest
from openpyxl import load_workbook

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
    assert set(bad) == {"cov-message"}  # the map, headline, tables and last good query stay
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
    xlsx = post(client, web, "cov-export-xlsx", {"cov-export-xlsx.n_clicks": 1}, {"cov-query.data": query})
    sheet = load_workbook(io.BytesIO(base64.b64decode(xlsx["cov-download"]["data"]["content"]))).active
    assert sheet.max_row == len(text.splitlines())
    assert sheet.cell(1, 1).value == "hex_id" and isinstance(sheet.cell(2, 1).value, str)


def test_depot_names(web):
    with web.sessions()() as db:
        assert depot_names(db, [1, 999]) == {1: "Depot Centro"}
        assert depot_names(db, []) == {}
