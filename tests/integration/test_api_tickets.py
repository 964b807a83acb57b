"""POST/GET /api/v1/tickets and /api/v1/openapi.json: filing reports over HTTP, with nothing half-saved."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from dashboard.api import MAX_BODY_BYTES
from dashboard.api_tickets import REQUIRED
from ops.db import transaction
from ops.models import (
    AuditEvent,
    ClassChange,
    IdempotencyKey,
    IntakeCallbackTask,
    SafetyInstruction,
    Ticket,
    TicketReporter,
    User,
)
from ops.permissions import SYSTEM_ACTOR
from tests.integration.web_fixtures import NOW, build_web_app

STREETS = ["Avenida Francisco de Aguirre"] * 4 + ["Calle Balmaceda"] * 4 + ["Los Carrera"] * 8


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    return build_web_app(tmp_path_factory.mktemp("api-tickets"), node_street=STREETS)


def token(web, username: str, scopes: list[str]) -> str:
    from ops.services.tokens import create_token

    with transaction(web.sessions()) as db:
        user_id = db.scalar(sa.select(User.id).where(User.username == username))
        _, raw = create_token(db, SYSTEM_ACTOR, user_id=user_id, name=f"{username} {scopes}", scopes=scopes,
                              now=NOW)
    return raw


@pytest.fixture(scope="module")
def headers(web) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(web, 'hotline_agent', ['tickets:write', 'tickets:read'])}"}


def body(web, **kw) -> dict:
    """A class-2 app report at a point of the grid (no street named)."""
    lon, lat = float(web.area.network.lon[5]), float(web.area.network.lat[5])
    base = {
        "channel": "app", "reporter_name": "Ana Rojas", "phone": "+56 9 5555 0199", "address": "Sin nombre 12",
        "location": {"lat": lat, "lon": lon}, "symptom": "no_gas",
        "started_at": (NOW - timedelta(minutes=30)).isoformat(), "odour": False, "noise": False,
        "people_on_site": True, "ventilated": True, "valve_closed": True,
    }
    return {**base, **kw}


def counts(web) -> dict[str, int]:
    with web.sessions()() as db:
        return {m.__tablename__: db.scalar(sa.select(sa.func.count()).select_from(m)) for m in
                (Ticket, TicketReporter, ClassChange, SafetyInstruction, IntakeCallbackTask, IdempotencyKey,
                 AuditEvent)}


def post(web, headers, payload, **kw):
    return web.client().post("/api/v1/tickets", json=payload, headers={**headers, **kw.pop("extra", {})}, **kw)


def test_create_returns_201_with_class_deadlines_and_reasons(web, headers):
    response = post(web, headers, body(web))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["class"] == 2 and data["proposed_class"] == 2 and data["channel"] == "app"
    assert data["deadlines"] == {"dispatch_by": (NOW + timedelta(hours=2)).isoformat(),
                                 "onsite_target": (NOW + timedelta(hours=4)).isoformat(),
                                 "onsite_limit": (NOW + timedelta(hours=8)).isoformat()}
    assert [r["code"] for r in data["classification_reasons"]] == ["fault_without_odour"]
    assert data["safety_guidance"] == [] and data["callback_task"] is None
    assert response.headers["Location"] == f"/api/v1/tickets/{data['id']}"
    assert data["location"]["approximate"] is False


def test_r6_2_class1_from_the_app_returns_the_safety_guidance_and_a_callback_task(web, headers):
    response = post(web, headers, body(web, symptom="gas_leak", odour=None))
    data = response.get_json()
    assert response.status_code == 201 and data["class"] == 1
    assert [g["code"] for g in data["safety_guidance"]][:2] == ["close_valve", "open_windows"]
    assert data["safety_guidance"][0]["text"] == "Close the gas valve."
    assert data["callback_task"]["due_at"] == NOW.isoformat()
    assert data["deadlines"]["depart_by"] == (NOW + timedelta(minutes=30)).isoformat()


def test_r5_1_typed_street_places_the_ticket_approximately(web, headers):
    response = post(web, headers, body(web, address="Calle Balmaceda 455", location=None))
    data = response.get_json()
    assert response.status_code == 201, data
    assert data["location"]["approximate"] is True
    assert data["location"]["lat"] == pytest.approx(float(web.area.network.lat[4]))


def test_r5_1_an_explicit_point_wins_over_a_typed_street(web, headers):
    net = web.area.network
    point = {"lat": float(net.lat[13]), "lon": float(net.lon[13])}  # on Los Carrera, not Calle Balmaceda
    response = post(web, headers, body(web, address="Calle Balmaceda 455", location=point))
    data = response.get_json()
    assert response.status_code == 201, data
    assert data["location"] == {**point, "approximate": False}


def test_idempotent_retry_returns_the_same_ticket_and_saves_nothing_more(web, headers):
    key = {"Idempotency-Key": "retry-7f3a"}
    first = post(web, headers, body(web), extra=key)
    assert first.status_code == 201
    before = counts(web)
    again = post(web, headers, body(web), extra=key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"] and counts(web) == before
    conflict = post(web, headers, body(web, symptom="meter_fault"), extra=key)
    assert conflict.status_code == 409 and "idempotency_key" in conflict.get_json()["fields"]
    assert counts(web) == before


@pytest.mark.parametrize("field", REQUIRED)
def test_every_missing_required_field_is_named_in_the_422(web, headers, field):
    payload = body(web)
    del payload[field]
    before = counts(web)
    response = post(web, headers, payload)
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == [field]
    assert counts(web) == before


def test_all_missing_fields_are_named_at_once(web, headers):
    response = post(web, headers, {})
    assert response.status_code == 422 and set(response.get_json()["fields"]) == set(REQUIRED)


@pytest.mark.parametrize(("field", "value"), [
    ("channel", "fax"), ("channel", 3), ("reporter_name", 42), ("phone", ["555"]), ("address", None),
    ("symptom", "smoke"), ("started_at", "yesterday"), ("started_at", "2026-11-26T12:00:00"),
    ("odour", "yes"), ("noise", 1), ("valve_closed", "unknown"), ("duration_minutes", "30"),
    ("duration_minutes", True), ("location", {"lat": "x", "lon": 1}), ("location", [1, 2]),
    ("urgency", "asap"), ("appointment", {"start": "2026-11-27T10:00:00+00:00"}),
    ("customer_number", 123), ("description", {"text": "x"}), ("odor", True),
])
def test_wrong_types_are_named_in_the_422(web, headers, field, value):
    before = counts(web)
    response = post(web, headers, body(web, **{field: value}))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["fields"]
    assert counts(web) == before


@pytest.mark.parametrize(("payload", "field", "words"), [
    ({"location": {"lat": -33.45, "lon": -70.65}}, "location", "outside the service area"),
    # R5.1: an explicit point outside the area is refused even when the address names a local street.
    ({"location": {"lat": -33.45, "lon": -70.65}, "address": "Calle Balmaceda 455"}, "location",
     "outside the service area"),
    ({"location": None}, "location", "cannot be found"),
    ({"customer_number": "NOPE-1"}, "customer_number", "no customer"),
    ({"symptom": "installation"}, "appointment", "appointment slot"),
    ({"phone": "call me"}, "phone", "not a phone number"),
])
def test_service_errors_are_422_naming_the_field_and_save_nothing(web, headers, payload, field, words):
    before = counts(web)
    response = post(web, headers, body(web, **payload))
    assert response.status_code == 422
    assert words in response.get_json()["fields"][field]
    assert counts(web) == before


def test_class3_with_an_appointment_is_created(web, headers):
    # maintenance needs no skill: the one crew (leak repair) can keep the slot, so intake accepts it (R6.4)
    slot = {"start": (NOW + timedelta(days=1)).isoformat(), "end": (NOW + timedelta(days=1, hours=2)).isoformat()}
    response = post(web, headers, body(web, symptom="maintenance", appointment=slot))
    data = response.get_json()
    assert response.status_code == 201 and data["class"] == 3
    assert data["deadlines"] == {"slot_start": slot["start"], "slot_end": slot["end"]}


def test_body_over_64_kb_is_413_and_saves_nothing(web, headers):
    before = counts(web)
    response = post(web, headers, body(web, description="x" * (MAX_BODY_BYTES + 1)))
    assert response.status_code == 413 and "bytes" in response.get_json()["error"]
    # Without a Content-Length (a chunked upload) the body is cut off at the limit while it is read.
    big = b'{"description": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    response = web.client().post("/api/v1/tickets", input_stream=io.BytesIO(big),
                                 headers={**headers, "Content-Type": "application/json"},
                                 environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""})
    assert response.status_code == 413 and response.is_json
    assert counts(web) == before


def test_not_json_is_400(web, headers):
    response = web.client().post("/api/v1/tickets", data="channel=app", headers=headers)
    assert response.status_code == 400


def test_a_token_without_tickets_write_gets_403(web):
    read_only = {"Authorization": f"Bearer {token(web, 'hotline_agent', ['tickets:read'])}"}
    before = counts(web)
    assert post(web, read_only, body(web)).status_code == 403
    assert counts(web) == before


def test_get_ticket_status(web, headers):
    created = post(web, headers, body(web, symptom="fire")).get_json()
    response = web.client().get(f"/api/v1/tickets/{created['id']}", headers=headers)
    data = response.get_json()
    assert response.status_code == 200
    assert {k: data[k] for k in ("id", "ticket_no", "status", "class")} == {
        "id": created["id"], "ticket_no": created["ticket_no"], "status": "new", "class": 1}
    assert data["callback_task"]["status"] == "pending" and data["safety_guidance"][-1]["code"] == "call_police"
    assert web.client().get("/api/v1/tickets/999999", headers=headers).status_code == 404


def test_openapi_lists_every_api_route_and_method(web, headers):
    response = web.client().get("/api/v1/openapi.json", headers=headers)
    assert response.status_code == 200
    doc = response.get_json()
    expected = set()
    for rule in web.server.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule.rule[len("/api/v1"):])
            expected |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    listed = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert listed == expected
    assert {("/me", "get"), ("/tickets", "get"), ("/tickets", "post"), ("/tickets/{ticket_id}", "get"),
            ("/crews/{code}/positions", "post"), ("/openapi.json", "get")} <= listed
    post_op = doc["paths"]["/tickets"]["post"]
    assert post_op["x-scope"] == "tickets:write" and {"201", "200", "409", "413", "422"} <= set(post_op["responses"])
    # (which fields are required is spelled out in test_api_contract, not compared with the model itself)
