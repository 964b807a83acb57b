"""The fixes the fuzz test (test_api_fuzz.py) led to, each pinned by a focused test."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from dashboard.api_models import ID_MAX, NOT_BLANK, TicketOut, WorkOrderOut
from ops.db import transaction
from ops.models import User
from ops.permissions import SCOPES, SYSTEM_ACTOR
from ops.vocabulary import Role
from tests.integration.web_fixtures import NOW, PASSWORD, build_web_app


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from ops.services.accounts import create_user
    from ops.services.tokens import create_token

    web = build_web_app(tmp_path_factory.mktemp("api-contract"))
    with transaction(web.sessions()) as db:
        create_user(db, SYSTEM_ACTOR, username="everything", display_name="Everything",
                    roles=[Role.SUPERVISOR, Role.CREW_MEMBER, Role.HOTLINE_AGENT], password=PASSWORD, now=NOW,
                    language="en", crew_code="CR01")
        user_id = db.scalar(sa.select(User.id).where(User.username == "everything"))
        scopes = [s for s in SCOPES if s not in ("admin",)]
        _, raw = create_token(db, SYSTEM_ACTOR, user_id=user_id, name="all", scopes=scopes, crew_code="CR01",
                              now=NOW)
    web.headers = {"Authorization": f"Bearer {raw}"}
    return web


def report(web, **kw) -> dict:
    lon, lat = float(web.area.network.lon[5]), float(web.area.network.lat[5])
    return {"channel": "app", "reporter_name": "Ana Rojas", "phone": "+56 9 5555 0199", "address": "Sin nombre 12",
            "location": {"lat": lat, "lon": lon}, "symptom": "gas_leak", "started_at": NOW.isoformat(),
            "odour": True, "noise": None, "people_on_site": None, "ventilated": None, "valve_closed": None, **kw}


def assert_refusal(response, status: int) -> dict:
    """Every refusal has the documented shape: error, code and fields."""
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert isinstance(body["error"], str) and isinstance(body["code"], str) and isinstance(body["fields"], dict)
    return body


@pytest.mark.parametrize(("method", "path", "field"), [
    ("GET", "/api/v1/tickets/36893488147419103233", "ticket_id"),
    ("GET", f"/api/v1/tickets/{ID_MAX + 1}/recommendations", "ticket_id"),
    ("POST", "/api/v1/workorders/624112940747784779504549888/reassign", "work_order_id"),
    ("POST", f"/api/v1/crews/{ID_MAX + 1}/positions", "code"),
])
def test_ids_beyond_the_id_column_are_404_not_500(web, method, path, field):
    body = {"lon": 0, "lat": 0} if path.endswith("positions") else {"crew_id": 1, "reason": "x"}
    response = web.client().open(path, method=method, json=body if method == "POST" else None, headers=web.headers)
    assert field in assert_refusal(response, 404)["fields"]


def test_ids_beyond_the_id_column_in_a_body_are_named_in_a_422(web):
    response = web.client().post("/api/v1/workorders/1/reassign", headers=web.headers,
                                 json={"crew_id": ID_MAX + 1, "reason": "x"})
    assert "crew_id" in assert_refusal(response, 422)["fields"]


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/tickets/999999", "/api/v1/workorders/999999/ack"])
def test_404_bodies_carry_code_and_fields(web, path):
    method = "POST" if "workorders" in path else "GET"
    assert_refusal(web.client().open(path, method=method, headers=web.headers), 404)


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("DELETE", "/api/v1/tickets", "GET, HEAD, OPTIONS, POST"),
    ("GET", "/api/v1/workorders/1/ack", "OPTIONS, POST"),  # Dash's page route must not add GET here
    ("PUT", "/api/v1/openapi.json", "GET, HEAD, OPTIONS"),
])
def test_405_lists_only_the_methods_the_api_serves(web, method, path, allow):
    response = web.client().open(path, method=method, headers=web.headers)
    assert_refusal(response, 405)
    assert response.headers["Allow"] == allow
    options = web.client().options(path, headers=web.headers)
    assert options.status_code == 200 and options.headers["Allow"] == allow


def test_options_and_405_on_an_unknown_api_path_are_404(web):
    assert_refusal(web.client().delete("/api/v1/nope", headers=web.headers), 404)
    assert_refusal(web.client().options("/api/v1/nope", headers=web.headers), 404)


@pytest.mark.parametrize("field", ["reporter_name", "address"])
@pytest.mark.parametrize("value", ["", "   ", "\x1f"])
def test_required_strings_may_not_be_blank_and_the_schema_says_so(web, field, value):
    response = web.client().post("/api/v1/tickets", json=report(web, **{field: value}), headers=web.headers)
    assert assert_refusal(response, 422)["fields"] == {field: "required"}
    doc = web.client().get("/api/v1/openapi.json", headers=web.headers).get_json()
    prop = doc["components"]["schemas"]["TicketIn"]["properties"][field]
    assert prop["minLength"] == 1 and prop["pattern"] == NOT_BLANK


@pytest.mark.parametrize("field", ["reporter_name", "description"])
def test_text_with_a_nul_character_is_refused_before_the_database(web, field):
    response = web.client().post("/api/v1/tickets", json=report(web, **{field: "A\x00B"}), headers=web.headers)
    assert list(assert_refusal(response, 422)["fields"]) == [field]
    response = web.client().post("/api/v1/crews/A%00B/positions", json={"lon": 0, "lat": 0}, headers=web.headers)
    assert list(assert_refusal(response, 404)["fields"]) == ["code"]


def test_every_bad_field_is_named_at_once_by_the_model(web):
    body = report(web, channel="fax", odour="yes", location={"lat": "x", "lon": 1}, odor=True,
                  appointment={"start": NOW.isoformat()}, duration_minutes=True)
    del body["phone"]
    fields = assert_refusal(web.client().post("/api/v1/tickets", json=body, headers=web.headers), 422)["fields"]
    assert set(fields) == {"channel", "odour", "location", "odor", "appointment", "duration_minutes", "phone"}
    assert fields["phone"] == "required" and fields["odor"] == "unknown field"
    assert fields["location"].endswith("lat: Input should be a valid number")


def test_the_answers_are_required_but_may_be_null(web):
    doc = web.client().get("/api/v1/openapi.json", headers=web.headers).get_json()
    ticket_in = doc["components"]["schemas"]["TicketIn"]
    # Spelled out: compared with a constant built from the same model, the test could not fail.
    assert set(ticket_in["required"]) == {"channel", "reporter_name", "phone", "address", "symptom", "started_at",
                                          "odour", "noise", "people_on_site", "ventilated", "valve_closed"}
    assert ticket_in["additionalProperties"] is False
    for name in ("odour", "noise", "people_on_site", "ventilated", "valve_closed"):
        assert {s.get("type") for s in ticket_in["properties"][name]["anyOf"]} == {"boolean", "null"}


def test_a_whole_number_written_5_0_is_an_integer_but_true_is_not(web):
    client = web.client()
    assert_refusal(client.post("/api/v1/workorders/999/ack", json={"version": 5.0}, headers=web.headers), 404)
    for version in (True, "5", 5.5):
        response = client.post("/api/v1/workorders/999/ack", json={"version": version}, headers=web.headers)
        assert list(assert_refusal(response, 422)["fields"]) == ["version"]


def test_every_status_an_operation_answers_is_documented(web):
    doc = web.client().get("/api/v1/openapi.json", headers=web.headers).get_json()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            assert "401" in codes, (method, path)
            if "x-action" in op:
                assert "403" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in op:
                assert {"400", "413", "422"} <= codes, (method, path)
            for code, answer in op["responses"].items():
                if code.startswith("4"):
                    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")


def test_unknown_crew_or_recommendation_is_404_and_a_crew_off_shift_409(web):
    client = web.client()
    ticket = client.post("/api/v1/tickets", json=report(web), headers=web.headers).get_json()
    url = f"/api/v1/tickets/{ticket['id']}/dispatch"
    body = assert_refusal(client.post(url, json={"recommendation_id": 1, "crew_id": 999}, headers=web.headers), 404)
    assert list(body["fields"]) == ["crew_id"]
    body = assert_refusal(client.post(url, json={"recommendation_id": 999, "crew_id": 1}, headers=web.headers), 404)
    assert list(body["fields"]) == ["recommendation_id"]
    rec = client.get(f"/api/v1/tickets/{ticket['id']}/recommendations", headers=web.headers).get_json()
    body = {"recommendation_id": rec["recommendation_id"], "crew_id": 1, "override_reason": "only crew"}
    assert list(assert_refusal(client.post(url, json=body, headers=web.headers), 409)["fields"]) == ["crew_id"]


def test_responses_match_their_models(web):
    client = web.client()
    slot = {"start": (NOW + timedelta(days=1)).isoformat(), "end": (NOW + timedelta(days=1, hours=2)).isoformat()}
    # maintenance needs no skill, so the one crew (leak repair) can keep the slot (R6.4)
    for payload in (report(web), report(web, symptom="maintenance", odour=False, appointment=slot)):
        created = client.post("/api/v1/tickets", json=payload, headers=web.headers)
        assert created.status_code == 201, created.get_json()
        TicketOut.model_validate(created.get_json())
        TicketOut.model_validate(client.get(created.headers["Location"], headers=web.headers).get_json())


def test_work_order_json_matches_its_model(tmp_path):
    from tests.integration.test_api_orders import dispatch_cr01, supervisor
    from tests.integration.test_api_orders import web as orders_world

    web = orders_world.__wrapped__(tmp_path)
    order = dispatch_cr01(web.client(), web, supervisor(web))
    WorkOrderOut.model_validate(order)
