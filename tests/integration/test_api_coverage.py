"""GET /api/v1/coverage and /api/v1/coverage/demand over HTTP: shape, what-if, 422s, roles and scope.

The web fixture's area is a 4 × 4 grid (10 s an arc), no districts, no customers: the figures weigh
road nodes. Its one crew CR01 works 08:00-20:00 at the depot on node 0.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ops.db import transaction
from ops.errors import ServiceError
from ops.models import Crew, Depot, User
from ops.permissions import SYSTEM_ACTOR
from ops.vocabulary import CrewStatus
from tests.integration.web_fixtures import NOW, build_web_app


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    web = build_web_app(tmp_path_factory.mktemp("api-coverage"))
    net = web.area.network
    with transaction(web.sessions()) as db:
        crew = db.scalar(sa.select(Crew).where(Crew.code == "CR01"))
        crew.status, crew.last_lon, crew.last_lat = CrewStatus.AVAILABLE, float(net.lon[15]), float(net.lat[15])
    return web


def headers(web, scopes: list[str], username: str = "manager") -> dict[str, str]:
    from ops.services.tokens import create_token

    with transaction(web.sessions()) as db:
        user_id = db.scalar(sa.select(User.id).where(User.username == username))
        _, raw = create_token(db, SYSTEM_ACTOR, user_id=user_id, name=f"{username} {scopes}", scopes=scopes, now=NOW)
    return {"Authorization": f"Bearer {raw}"}


def crew_id(web) -> int:
    with web.sessions()() as db:
        return db.scalar(sa.select(Crew.id).where(Crew.code == "CR01"))


def test_coverage_returns_shares_and_a_geojson_of_hexes(web):
    response = web.client().get("/api/v1/coverage", query_string={"minutes": 1, "resolution": 10},
                                headers=headers(web, ["coverage:read"]))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["weight_kind"] == "nodes" and data["minutes"] == 1
    # From node 15 (the far corner of the 4 × 4 grid), 1 min = 6 arcs reaches every node.
    assert data["share"] == pytest.approx(1.0) and data["population_share"] == 0.0
    assert [s["code"] for s in data["sources"]] == ["CR01"]
    hexes = data["hexes"]
    assert hexes["type"] == "FeatureCollection" and hexes["features"]
    for f in hexes["features"]:
        assert isinstance(f["id"], str)
        ring = f["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and all(-72 < lng < -70 and -31 < lat < -29 for lng, lat in ring)
        assert set(f["properties"]) >= {"minutes", "population", "customers", "expected", "district"}
    assert sum(f["properties"]["nodes"] for f in hexes["features"]) == 16
    assert 0 <= data["busy_fraction"] <= 0.95 and data["busy_fitted"] is False


def test_what_if_without_the_only_crew_loses_everything(web):
    response = web.client().get("/api/v1/coverage", query_string={"minutes": 5, "exclude_crew": crew_id(web)},
                                headers=headers(web, ["coverage:read"]))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["share"] == 0.0 and data["p90_minutes"] is None and data["sources"] == []
    assert [s["code"] for s in data["excluded"]] == ["CR01"]
    assert data["changed_hexes"] and all(f["properties"]["minutes"] is None for f in data["hexes"]["features"])


def test_plan_mode_uses_the_depot(web):
    with web.sessions()() as db:
        depot_id = db.scalar(sa.select(Depot.id))
    response = web.client().get("/api/v1/coverage", query_string={"mode": "plan", "shift": "day", "minutes": 1},
                                headers=headers(web, ["coverage:read"]))
    data = response.get_json()
    assert response.status_code == 200, data
    assert [(s["code"], s["lon"]) for s in data["sources"]] == [("CR01", float(web.area.network.lon[0]))]
    gone = web.client().get("/api/v1/coverage", query_string={"mode": "plan", "exclude_depot": depot_id},
                            headers=headers(web, ["coverage:read"])).get_json()
    assert gone["share"] == 0.0


def test_bad_parameters_are_each_named_with_422(web):
    h = headers(web, ["coverage:read"])
    response = web.client().get("/api/v1/coverage", headers=h, query_string={
        "minutes": 0, "mode": "later", "hour": 24, "shift": "evening", "resolution": 12, "weekday": "x"})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"minutes", "mode", "hour", "shift", "resolution", "weekday"}
    for params, field in [({"minutes": 181}, "minutes"), ({"exclude_crew": 99999}, "exclude_crew"),
                          ({"exclude_depot": 99999}, "exclude_depot"), ({"scope": "all"}, "scope"),
                          ({"minutes": "abc"}, "minutes"), ({"colour": "red"}, "colour")]:
        response = web.client().get("/api/v1/coverage", headers=h, query_string=params)
        assert response.status_code == 422, params
        assert set(response.get_json()["fields"]) == {field}, response.get_json()


def test_demand_lists_risk_hexes_and_refuses_a_backwards_period(web):
    h = headers(web, ["coverage:read"])
    response = web.client().get("/api/v1/coverage/demand", headers=h)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["demand"] == [] and data["risk"] == []
    assert data["until"] == NOW.isoformat() and data["since"] == (NOW - timedelta(days=28)).isoformat()
    response = web.client().get("/api/v1/coverage/demand", headers=h, query_string={
        "since": NOW.isoformat(), "until": (NOW - timedelta(days=1)).isoformat()})
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"until"}


@pytest.mark.parametrize("username", ["dispatcher", "manager", "planner", "supervisor"])
def test_dispatchers_now_read_coverage(web, username):
    response = web.client().get("/api/v1/coverage", headers=headers(web, ["coverage:read"], username))
    assert response.status_code == 200, (username, response.get_json())


@pytest.mark.parametrize("username", ["hotline_agent", "crew_member"])
def test_other_roles_cannot_even_hold_the_scope(web, username):
    with pytest.raises(ServiceError) as caught:
        headers(web, ["coverage:read"], username)
    assert caught.value.code == "scope.not_allowed"


def test_a_token_without_the_scope_is_refused(web):
    response = web.client().get("/api/v1/coverage", headers=headers(web, ["tickets:read"]))
    assert response.status_code == 403


def test_openapi_describes_the_coverage_routes(web):
    doc = web.client().get("/api/v1/openapi.json", headers=headers(web, ["coverage:read"])).get_json()
    get = doc["paths"]["/coverage"]["get"]
    assert {p["name"] for p in get["parameters"]} >= {"minutes", "mode", "shift", "hour", "exclude_crew"}
    assert "/coverage/demand" in doc["paths"]
