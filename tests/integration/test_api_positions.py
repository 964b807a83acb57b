"""GET /api/v1/coverage/positions over HTTP: shape, the reader's figures, 422s, roles, scope and OpenAPI.

The web fixture's area is a 4 × 4 grid (10 s an arc): from any node one minute reaches every node, so
here a crew has nowhere better to stand (the gains are tested on a larger grid in
test_standing_read.py). Its one crew CR01 (depot on node 0) is made available at node 15.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.api_models_coverage import PositionsOut
from ops.db import transaction
from ops.models import Crew
from ops.reads.coverage import CoverageQuery
from ops.reads.standing import suggest_standing
from ops.vocabulary import CrewStatus
from tests.integration.test_api_coverage import crew_id, headers
from tests.integration.web_fixtures import NOW, build_web_app

URL = "/api/v1/coverage/positions"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    web = build_web_app(tmp_path_factory.mktemp("api-positions"), node_street=[f"Calle {i}" for i in range(16)])
    net = web.area.network
    with transaction(web.sessions()) as db:
        crew = db.scalar(sa.select(Crew).where(Crew.code == "CR01"))
        crew.status, crew.last_lon, crew.last_lat = CrewStatus.AVAILABLE, float(net.lon[15]), float(net.lat[15])
    return web


def set_status(web, status: CrewStatus) -> None:
    with transaction(web.sessions()) as db:
        db.scalar(sa.select(Crew).where(Crew.code == "CR01")).status = status


def test_positions_render_the_readers_suggestion(web):
    response = web.client().get(URL, query_string={"minutes": 1, "crews": 1}, headers=headers(web, ["coverage:read"]))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    PositionsOut.model_validate(data)
    assert data["model"] == "mclp" and data["weight_kind"] == "nodes" and data["busy_fraction"] is None
    assert [s["code"] for s in data["movable"]] == ["CR01"] and data["fixed"] == []
    assert data["share_before"] == data["share_after"] == pytest.approx(1.0) and data["gain"] == 0.0
    assert data["moves"] == []  # it already reaches every node
    with web.sessions()() as db:  # the API's defaults: every crew on shift, resolution 9
        plan = suggest_standing(db, web.area.network, NOW, CoverageQuery(minutes=1, scope="on_shift", resolution=9),
                                crews=1)
    assert data["covered_before"] == pytest.approx(plan.covered_before)
    assert data["hour"] == plan.hour and data["status"] == plan.status


def test_mexclp_reports_its_busy_fraction(web):
    response = web.client().get(URL, query_string={"minutes": 2, "model": "mexclp"},
                                headers=headers(web, ["coverage:read"]))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["model"] == "mexclp" and 0 < data["busy_fraction"] < 1 and data["busy_fitted"] is False
    # One crew reaching every node: the expected share is the chance it is free.
    assert data["share_before"] == pytest.approx(1 - data["busy_fraction"])
    assert data["share_after"] >= data["share_before"] - 1e-12


def test_a_busy_crew_is_kept_where_it_is(web):
    set_status(web, CrewStatus.ON_SITE)
    try:
        h = headers(web, ["coverage:read"])
        data = web.client().get(URL, query_string={"minutes": 1}, headers=h).get_json()
        assert data["movable"] == [] and [s["code"] for s in data["fixed"]] == ["CR01"] and data["moves"] == []
        assert data["share_before"] == pytest.approx(1.0)  # it still covers the grid
        response = web.client().get(URL, query_string={"crews": 1}, headers=h)
        assert response.status_code == 422 and set(response.get_json()["fields"]) == {"crews"}
    finally:
        set_status(web, CrewStatus.AVAILABLE)


def test_bad_parameters_are_each_named_with_422(web):
    h = headers(web, ["coverage:read"])
    response = web.client().get(URL, headers=h, query_string={
        "minutes": 0, "crews": 0, "model": "pmedian", "hour": 24, "mode": "later"})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"minutes", "crews", "model", "hour", "mode"}
    for params, field in [({"crews": 2}, "crews"), ({"crews": "two"}, "crews"), ({"crews": "true"}, "crews"),
                          ({"exclude_crew": 99999}, "exclude_crew"), ({"resolution": 6}, "resolution"),
                          ({"colour": "red"}, "colour")]:
        response = web.client().get(URL, headers=h, query_string=params)
        assert response.status_code == 422, params
        assert set(response.get_json()["fields"]) == {field}, response.get_json()
    # Without its one crew there is nobody to move.
    response = web.client().get(URL, headers=h, query_string={"crews": 1, "exclude_crew": crew_id(web)})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"crews": "only 0 idle crews can be moved"}


@pytest.mark.parametrize("username", ["dispatcher", "manager", "planner", "supervisor"])
def test_those_who_read_coverage_get_positions(web, username):
    response = web.client().get(URL, headers=headers(web, ["coverage:read"], username))
    assert response.status_code == 200, (username, response.get_json())


def test_a_token_without_the_scope_is_refused(web):
    assert web.client().get(URL, headers=headers(web, ["tickets:read"])).status_code == 403


def test_openapi_describes_the_positions_route(web):
    doc = web.client().get("/api/v1/openapi.json", headers=headers(web, ["coverage:read"])).get_json()
    get = doc["paths"]["/coverage/positions"]["get"]
    assert get["x-scope"] == "coverage:read"
    assert {p["name"] for p in get["parameters"]} >= {"minutes", "crews", "model", "hour", "mode", "scope"}
    assert {"200", "422"} <= set(get["responses"]) and "PositionsOut" in doc["components"]["schemas"]
