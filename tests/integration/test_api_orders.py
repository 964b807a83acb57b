"""The dispatch loop over HTTP: recommendations, dispatch, every work-order step; 422/409/403/404."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ops.db import transaction
from ops.models import AuditEvent, Crew, Recommendation, User, WorkOrder
from ops.permissions import SYSTEM_ACTOR
from ops.services import crews, intake
from ops.vocabulary import TicketStatus
from tests.integration.web_fixtures import NOW, build_web_app

REPAIR = {"cause": "worn hose", "measures": "replaced the hose", "parts": [{"code": "HOSE-1.5", "qty": 1}],
          "result": "fixed", "customer_name": "Ana Rojas", "customer_confirmed": True, "safety_advice_given": True,
          "gas_restored_after_check": True}


@pytest.fixture
def web(tmp_path):
    web = build_web_app(tmp_path)
    net = web.area.network
    with transaction(web.sessions()) as db:
        cr01 = db.scalar(sa.select(Crew).where(Crew.code == "CR01"))
        crews.set_status(db, SYSTEM_ACTOR, cr01, "available", at=NOW)
        crews.create_crew(db, SYSTEM_ACTOR, code="CR02", name="Cuadrilla 2", depot_id=None, skills=["leak_repair"],
                          shift_pattern="day", shift_start_hour=8, shift_end_hour=20, status="available", now=NOW)
        cr02 = db.scalar(sa.select(Crew).where(Crew.code == "CR02"))
        cr02.last_lon, cr02.last_lat = float(net.lon[15]), float(net.lat[15])  # the far corner
        from data.area_locator import AreaLocator

        report = intake.ReportIn(channel="hotline", reporter_name="Ana", phone="+56 9 5555 0100", address="Calle 1",
                                 symptom="gas_leak", started_at=NOW, lon=float(net.lon[1]), lat=float(net.lat[1]),
                                 odour=True, urgency="emergency")
        web.ticket_id = intake.create_ticket(db, SYSTEM_ACTOR, report, now=NOW, locator=AreaLocator(web.area)).ticket.id
        web.crew_ids = {"CR01": cr01.id, "CR02": cr02.id}
    return web


def token(web, username: str, scopes: list[str], crew_code: str | None = None) -> dict[str, str]:
    from ops.services.tokens import create_token

    with transaction(web.sessions()) as db:
        user_id = db.scalar(sa.select(User.id).where(User.username == username))
        _, raw = create_token(db, SYSTEM_ACTOR, user_id=user_id, name=f"{username} {scopes}", scopes=scopes,
                              crew_code=crew_code, now=NOW)
    return {"Authorization": f"Bearer {raw}"}


def supervisor(web):
    return token(web, "supervisor", ["dispatch", "dispatch:recommend", "tickets:read", "orders:update"])


def crew(web):
    return token(web, "crew_member", ["crew", "orders:ack", "orders:update", "repairs:file"], crew_code="CR01")


def recommend(client, web, headers) -> dict:
    response = client.post(f"/api/v1/tickets/{web.ticket_id}/recommendations", json={"k": 3}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def dispatch_cr01(client, web, office) -> dict:
    """The recommended crew CR01 confirmed for the ticket by the office; returns the new order."""
    rec = recommend(client, web, office)
    return client.post(f"/api/v1/tickets/{web.ticket_id}/dispatch", headers=office,
                       json={"recommendation_id": rec["recommendation_id"], "crew_id": web.crew_ids["CR01"]}).get_json()


def test_recommendations_are_ranked_and_stored(web):
    client, headers = web.client(), supervisor(web)
    body = recommend(client, web, headers)
    assert body["used_fallback"] is False
    assert [o["crew_id"] for o in body["options"]] == [web.crew_ids["CR01"], web.crew_ids["CR02"]]
    top = body["options"][0]
    assert set(top) >= {"crew_id", "eta", "departure", "slack_s", "displaces", "explanation"}
    assert set(top["slack_s"]) == {"depart_by", "onsite_target"}
    with web.sessions()() as db:
        assert db.get(Recommendation, body["recommendation_id"]).payload["options"][0]["crew_id"] == top["crew_id"]
    assert client.get(f"/api/v1/tickets/{web.ticket_id}/recommendations?k=0", headers=headers).status_code == 422
    assert client.get("/api/v1/tickets/999/recommendations", headers=headers).status_code == 404


def test_post_is_the_documented_way_and_the_get_still_works_deprecated(web):
    client, headers = web.client(), supervisor(web)
    url = f"/api/v1/tickets/{web.ticket_id}/recommendations"
    for body in (None, {}):  # the body may be left out: k is 3
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 201 and response.get_json()["recommendation_id"]
    for bad, field in (({"k": 0}, "k"), ({"k": 11}, "k"), ({"k": "2"}, "k"), ({"k": True}, "k"),
                       ({"k": 2, "crew": 1}, "crew")):
        response = client.post(url, json=bad, headers=headers)
        assert response.status_code == 422 and set(response.get_json()["fields"]) == {field}, bad
    response = client.post("/api/v1/tickets/999/recommendations", json={"k": 1}, headers=headers)
    assert response.status_code == 404 and response.get_json()["code"] == "ticket.not_found"
    old = client.get(url + "?k=2", headers=headers)
    assert old.status_code == 200 and len(old.get_json()["options"]) == 2
    with web.sessions()() as db:
        stored = db.scalars(sa.select(Recommendation.id).where(Recommendation.ticket_id == web.ticket_id)).all()
        audited = db.scalars(sa.select(AuditEvent.after).where(AuditEvent.action == "dispatch.recommend")).all()
    assert old.get_json()["recommendation_id"] in stored and len(stored) == 3
    assert {a["recommendation_id"] for a in audited} == set(stored)
    doc = client.get("/api/v1/openapi.json", headers=headers).get_json()
    ops = doc["paths"]["/tickets/{ticket_id}/recommendations"]
    assert ops["get"]["deprecated"] is True and not ops["post"].get("deprecated")
    assert ops["post"]["x-scope"] == "dispatch:recommend" and {"201", "404", "422"} <= set(ops["post"]["responses"])
    assert ops["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/RecommendIn")


def test_storing_a_recommendation_needs_its_own_scope_and_role(web):
    client = web.client()
    url = f"/api/v1/tickets/{web.ticket_id}/recommendations"
    reader = token(web, "supervisor", ["tickets:read"])  # the GET's old action is no longer enough
    assert client.post(url, json={}, headers=reader).status_code == 403
    assert client.get(url, headers=reader).status_code == 403
    agent = token(web, "hotline_agent", ["tickets:read"])
    assert client.post(url, json={}, headers=agent).status_code == 403
    dispatcher = token(web, "dispatcher", ["dispatch:recommend"])
    assert client.post(url, json={}, headers=dispatcher).status_code == 201


def test_dispatch_needs_an_override_reason_for_another_crew_and_refuses_a_second_dispatch(web):
    client, headers = web.client(), supervisor(web)
    rec = recommend(client, web, headers)
    url = f"/api/v1/tickets/{web.ticket_id}/dispatch"
    response = client.post(url, json={}, headers=headers)
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"recommendation_id", "crew_id"}
    response = client.post(url, json={"recommendation_id": rec["recommendation_id"], "crew_id": web.crew_ids["CR02"]},
                           headers=headers)
    assert response.status_code == 422 and "override_reason" in response.get_json()["fields"]
    response = client.post(url, json={"recommendation_id": rec["recommendation_id"], "crew_id": web.crew_ids["CR02"],
                                      "override_reason": "CR01 is refuelling"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["recommended_crew_id"] == web.crew_ids["CR01"] and order["decision"] == "override"
    response = client.post(url, json={"recommendation_id": rec["recommendation_id"], "crew_id": web.crew_ids["CR01"]},
                           headers=headers)
    assert response.status_code == 409 and "status" in response.get_json()["fields"]


def test_the_crew_runs_the_whole_loop_over_the_api(web):
    client, office, device = web.client(), supervisor(web), crew(web)
    order = dispatch_cr01(client, web, office)
    base = f"/api/v1/workorders/{order['id']}"
    response = client.post(f"{base}/arrive", json={}, headers=device)
    assert response.status_code == 409 and response.get_json()["fields"] == {"status": response.get_json()["fields"]["status"]}
    response = client.post(f"{base}/ack", json={"version": order["version"] + 5}, headers=device)
    assert response.status_code == 409 and "version" in response.get_json()["fields"]
    ack = client.post(f"{base}/ack", json={"version": order["version"]}, headers=device)
    assert ack.status_code == 200 and ack.get_json()["acknowledged_at"] == NOW.isoformat()
    assert client.post(f"{base}/depart", headers=device).status_code == 200
    assert client.post(f"{base}/arrive", json={}, headers=device).status_code == 200
    response = client.post(f"{base}/complete", json=REPAIR, headers=device)
    assert response.status_code == 422 and "gas_reading" in response.get_json()["fields"]
    response = client.post(f"{base}/readings", json={"ppm": "high"}, headers=device)
    assert response.status_code == 422 and "ppm" in response.get_json()["fields"]
    assert client.post(f"{base}/readings", json={"ppm": 35.5}, headers=device).status_code == 201
    response = client.post(f"{base}/complete", json={**REPAIR, "parts": [{"code": "HOSE-OLD"}]}, headers=device)
    assert response.status_code == 422 and "parts[0]" in response.get_json()["fields"]
    without_check = {k: v for k, v in REPAIR.items() if k != "gas_restored_after_check"}
    for body in (without_check, {**REPAIR, "gas_restored_after_check": False}):  # R8.6
        response = client.post(f"{base}/complete", json=body, headers=device)
        assert response.status_code == 422 and list(response.get_json()["fields"]) == ["gas_restored_after_check"]
    done = client.post(f"{base}/complete", json=REPAIR, headers=device)
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    with web.sessions()() as db:
        order_row = db.get(WorkOrder, order["id"])
        assert order_row.ticket.status is TicketStatus.COMPLETED
        steps = db.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity == "work_order",
                                                             AuditEvent.entity_id == str(order["id"]))
                           .order_by(AuditEvent.id)).all()
    assert steps == ["dispatch.confirm", "order.acknowledge", "order.depart", "order.arrive", "order.reading",
                     "order.complete"]


def test_roles_scopes_and_crews_are_checked(web):
    client, office = web.client(), supervisor(web)
    reader = token(web, "dispatcher", ["tickets:read"])
    rec = recommend(client, web, office)
    body = {"recommendation_id": rec["recommendation_id"], "crew_id": web.crew_ids["CR02"], "override_reason": "x"}
    response = client.post(f"/api/v1/tickets/{web.ticket_id}/dispatch", json=body, headers=reader)
    assert response.status_code == 403
    order = client.post(f"/api/v1/tickets/{web.ticket_id}/dispatch", json=body, headers=office).get_json()
    device = crew(web)  # bound to CR01: the order is CR02's
    response = client.post(f"/api/v1/workorders/{order['id']}/ack", json={}, headers=device)
    assert response.status_code == 403
    response = client.post(f"/api/v1/workorders/{order['id']}/cancel", json={"reason": "no"}, headers=device)
    assert response.status_code == 403  # crews do not cancel orders
    response = client.post(f"/api/v1/workorders/{order['id']}/cancel", json={}, headers=office)
    assert response.status_code == 422 and "reason" in response.get_json()["fields"]
    response = client.post(f"/api/v1/workorders/{order['id']}/reassign", headers=office,
                           json={"crew_id": web.crew_ids["CR01"], "reason": "CR02 stuck in traffic"})
    assert response.status_code == 201 and response.get_json()["crew_id"] == web.crew_ids["CR01"]
    response = client.post(f"/api/v1/workorders/{response.get_json()['id']}/cancel", headers=office,
                           json={"reason": "the customer fixed it"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert client.post("/api/v1/workorders/999/ack", json={}, headers=device).status_code == 404


def test_not_fixed_over_the_api_requeues_the_ticket(web):
    client, office, device = web.client(), supervisor(web), crew(web)
    order = dispatch_cr01(client, web, office)
    base = f"/api/v1/workorders/{order['id']}"
    for step in ("ack", "depart", "arrive"):
        assert client.post(f"{base}/{step}", json={}, headers=device).status_code == 200
    client.post(f"{base}/readings", json={"ppm": 0, "measured_at": NOW.isoformat()}, headers=device)
    response = client.post(f"{base}/not-fixed", json={"reason": "main valve seized: needs the network team"},
                           headers=device)
    assert response.status_code == 200
    assert client.get(f"/api/v1/tickets/{web.ticket_id}", headers=office).get_json()["status"] == "new"


def test_positions_accept_the_crew_id_or_code(web):
    client, device = web.client(), crew(web)
    lon, lat = float(web.area.network.lon[2]), float(web.area.network.lat[2])
    for ref in ("CR01", str(web.crew_ids["CR01"])):
        response = client.post(f"/api/v1/crews/{ref}/positions", json={"lon": lon, "lat": lat}, headers=device)
        assert response.status_code == 201, ref


def test_the_new_routes_are_in_openapi(web):
    client = web.client()
    doc = client.get("/api/v1/openapi.json", headers=supervisor(web)).get_json()
    for path in ("/tickets/{ticket_id}/recommendations", "/tickets/{ticket_id}/dispatch",
                 "/workorders/{order_id}/ack", "/workorders/{order_id}/complete", "/workorders/{order_id}/reassign"):
        assert path in doc["paths"], path
    assert doc["paths"]["/workorders/{order_id}/ack"]["post"]["x-scope"] == "orders:ack"
    dispatch = doc["paths"]["/tickets/{ticket_id}/dispatch"]["post"]
    assert dispatch["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/DispatchIn")
    assert {"201", "409", "422", "403"} <= set(dispatch["responses"])
    assert "override_reason" in doc["components"]["schemas"]["DispatchIn"]["properties"]
