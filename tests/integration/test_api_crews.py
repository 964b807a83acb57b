"""The schedule board's API: the crews with their current order and queue, one crew's timeline."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.api_models import CrewListOut, ScheduleOut, StandbyOut
from ops.db import transaction
from ops.errors import ServiceError
from ops.models import Crew, Ticket
from ops.permissions import SYSTEM_ACTOR
from ops.scheduler import replan
from ops.services import crews, intake
from ops.services import work_orders as wo
from tests.integration.test_api_orders import token
from tests.integration.web_fixtures import NOW, build_web_app


@pytest.fixture
def web(tmp_path):
    """CR01 on shift with a class-2 order, CR02 on shift and free, a second class-2 ticket unassigned."""
    from data.area_locator import AreaLocator

    web = build_web_app(tmp_path)
    net = web.area.network
    with transaction(web.sessions()) as db:
        cr01 = db.scalar(sa.select(Crew).where(Crew.code == "CR01"))
        cr01.last_lon, cr01.last_lat = float(net.lon[0]), float(net.lat[0])
        crews.set_status(db, SYSTEM_ACTOR, cr01, "available", at=NOW)
        crews.create_crew(db, SYSTEM_ACTOR, code="CR02", name="Cuadrilla 2", depot_id=None, skills=["leak_repair"],
                          shift_pattern="day", shift_start_hour=8, shift_end_hour=20, status="available", now=NOW)
        cr02 = db.scalar(sa.select(Crew).where(Crew.code == "CR02"))
        cr02.last_lon, cr02.last_lat = float(net.lon[15]), float(net.lat[15])
        tickets = []
        for node in (1, 14):
            report = intake.ReportIn(channel="hotline", reporter_name="Ana", phone="+56 9 5555 0100",
                                     address="Calle 1", symptom="no_gas", started_at=NOW, lon=float(net.lon[node]),
                                     lat=float(net.lat[node]), odour=False)
            tickets.append(intake.create_ticket(db, SYSTEM_ACTOR, report, now=NOW,
                                                locator=AreaLocator(web.area)).ticket)
        order = wo.confirm_dispatch(db, SYSTEM_ACTOR, tickets[0].id, cr01.id, None, NOW, override_reason="test")
        web.ids = {"CR01": cr01.id, "CR02": cr02.id, "order": order.id, "t1": tickets[0].ticket_no,
                   "t2": tickets[1].ticket_no}
    replan(web.sessions(), NOW, net, every_s=0, budget_s=0.5)
    return web


def board_token(web, username: str = "dispatcher") -> dict[str, str]:
    return token(web, username, ["board:read"])


def test_crews_lists_every_active_crew_with_its_current_order_and_queue(web):
    response = web.client().get("/api/v1/crews", headers=board_token(web))
    assert response.status_code == 200, response.get_json()
    body = CrewListOut.model_validate(response.get_json()).model_dump()
    by_code = {c["code"]: c for c in body["crews"]}
    assert set(by_code) == {"CR01", "CR02"}
    cr01 = by_code["CR01"]
    assert cr01["current_order"]["order_id"] == web.ids["order"] and cr01["current_order"]["position"] == 0
    assert cr01["current_order"]["ticket_no"] == web.ids["t1"] and cr01["queue"] == []
    assert cr01["status"] == "dispatched" and cr01["position"] is not None
    assert cr01["shift_start"] < NOW < cr01["shift_end"]
    assert by_code["CR02"]["current_order"] is None


def test_a_crews_schedule_orders_its_jobs_with_planned_start_eta_and_end(web):
    client = web.client()
    response = client.get(f"/api/v1/crews/{web.ids['CR01']}/schedule", headers=board_token(web))
    assert response.status_code == 200, response.get_json()
    body = ScheduleOut.model_validate(response.get_json()).model_dump()
    assert body["code"] == "CR01" and body["plan_at"] is not None
    first = body["orders"][0]
    assert first["kind"] == "committed" and first["order_id"] == web.ids["order"] and first["planned"]
    assert first["planned_start"] <= first["eta"] <= first["work_start"] < first["end"]
    starts = [o["planned_start"] for o in body["orders"]]
    assert starts == sorted(starts)
    everyone = [o["ticket_no"] for c in ("CR01", "CR02") for o in client.get(
        f"/api/v1/crews/{web.ids[c]}/schedule", headers=board_token(web)).get_json()["orders"]]
    assert web.ids["t2"] in everyone  # the unassigned ticket is some crew's proposal
    assert client.get("/api/v1/crews/999999/schedule", headers=board_token(web)).status_code == 404


def test_the_board_scope_is_needed(web):
    client = web.client()
    wrong = token(web, "dispatcher", ["tickets:read"])
    assert client.get("/api/v1/crews", headers=wrong).status_code == 403
    crew_token = token(web, "crew_member", ["tickets:read"])  # a crew member may not even carry board:read
    assert client.get("/api/v1/crews", headers=crew_token).status_code == 403
    assert client.get("/api/v1/crews").status_code == 401


def test_openapi_describes_the_board_routes(web):
    doc = web.client().get("/api/v1/openapi.json", headers=board_token(web)).get_json()
    crews_op = doc["paths"]["/crews"]["get"]
    assert crews_op["x-scope"] == "board:read" and "CrewListOut" in str(crews_op["responses"]["200"])
    assert "ScheduleOut" in str(doc["paths"]["/crews/{crew_id}/schedule"]["get"]["responses"]["200"])


def mover(web) -> dict[str, str]:
    return token(web, "supervisor", ["dispatch", "board:read"])


def schedule_of(client, web, code: str) -> list[dict]:
    return client.get(f"/api/v1/crews/{web.ids[code]}/schedule", headers=mover(web)).get_json()["orders"]


def test_moving_an_order_to_another_crew_needs_a_reason_then_retimes_the_plan(web):
    client = web.client()
    url = f"/api/v1/workorders/{web.ids['order']}/move"
    refused = client.post(url, json={"crew_id": web.ids["CR02"]}, headers=mover(web))
    assert refused.status_code == 422 and "reason" in refused.get_json()["fields"]  # R7.6: a current order
    assert [o["ticket_no"] for o in schedule_of(client, web, "CR01") if o["kind"] == "committed"] == [web.ids["t1"]]

    moved = client.post(url, json={"crew_id": web.ids["CR02"], "reason": "CR01 has a flat tyre"}, headers=mover(web))
    assert moved.status_code == 200, moved.get_json()
    order = moved.get_json()["order"]
    assert order["crew_id"] == web.ids["CR02"] and order["status"] == "dispatched"
    mine = [o for o in schedule_of(client, web, "CR02") if o["ticket_no"] == web.ids["t1"]]
    # The plan in force was retimed at once: it times the moved order on its new crew.
    assert mine and mine[0]["kind"] == "committed" and mine[0]["planned"] and mine[0]["position"] == 0
    assert all(o["ticket_no"] != web.ids["t1"] for o in schedule_of(client, web, "CR01"))


def test_back_to_unassigned_and_a_place_in_the_queue(web):
    client = web.client()
    with transaction(web.sessions()) as db:  # t2 queued behind t1 on CR01
        t2 = db.scalar(sa.select(Ticket.id).where(Ticket.ticket_no == web.ids["t2"]))
        queued = wo.confirm_dispatch(db, SYSTEM_ACTOR, t2, web.ids["CR01"], None, NOW, override_reason="queue")
        queued_id = queued.id
    # The current order back into the queue at place 1: the queued one becomes current.
    url = f"/api/v1/workorders/{web.ids['order']}/move"
    swapped = client.post(url, json={"crew_id": web.ids["CR01"], "position": 1, "reason": "t2 is on the way"},
                          headers=mover(web))
    assert swapped.status_code == 200, swapped.get_json()
    committed = [(o["ticket_no"], o["position"]) for o in schedule_of(client, web, "CR01") if o["kind"] == "committed"]
    assert committed == [(web.ids["t2"], 0), (web.ids["t1"], 1)]
    bad = client.post(f"/api/v1/workorders/{queued_id}/move", json={"crew_id": None, "position": 0},
                      headers=mover(web))
    assert bad.status_code == 422 and "position" in bad.get_json()["fields"]
    gone = client.post(f"/api/v1/workorders/{queued_id}/move", json={"crew_id": None, "reason": "customer away"},
                       headers=mover(web))
    assert gone.status_code == 200 and gone.get_json() == {"order": None}
    with web.sessions()() as db:
        assert db.scalar(sa.select(Ticket.status).where(Ticket.id == t2)) == "new"


def test_moving_needs_the_dispatch_scope(web):
    response = web.client().post(f"/api/v1/workorders/{web.ids['order']}/move",
                                 json={"crew_id": None, "reason": "x"}, headers=board_token(web, "supervisor"))
    assert response.status_code == 403


# ----------------------------------------------------------------------------- standby positions
def standby_token(web, username: str = "dispatcher") -> dict[str, str]:
    return token(web, username, ["crews:standby"])


def test_a_standby_is_sent_read_back_and_cleared_by_a_confirmation(web):
    net, client = web.area.network, web.client()
    lon, lat = float(net.lon[10]), float(net.lat[10])
    path = f"/api/v1/crews/{web.ids['CR02']}/standby"
    response = client.post(path, json={"lon": lon, "lat": lat, "note": "cover the port"}, headers=standby_token(web))
    assert response.status_code == 200, response.get_json()
    body = StandbyOut.model_validate(response.get_json()).model_dump()
    assert body["crew_id"] == web.ids["CR02"]
    assert (body["standby"]["lon"], body["standby"]["lat"], body["standby"]["note"]) == (lon, lat, "cover the port")
    assert body["standby"]["by"].startswith("Dispatcher · API #")  # the sender as the audit log names them
    with web.sessions()() as db:
        assert db.get(Crew, web.ids["CR02"]).standby_since is not None
        ticket_id = db.scalar(sa.select(Ticket.id).where(Ticket.ticket_no == web.ids["t2"]))
    with transaction(web.sessions()) as db:
        wo.confirm_dispatch(db, SYSTEM_ACTOR, ticket_id, web.ids["CR02"], None, NOW, override_reason="test")
    with web.sessions()() as db:
        assert db.get(Crew, web.ids["CR02"]).standby_since is None


def test_a_standby_can_be_withdrawn(web):
    client, net = web.client(), web.area.network
    path = f"/api/v1/crews/{web.ids['CR02']}/standby"
    client.post(path, json={"lon": float(net.lon[3]), "lat": float(net.lat[3])}, headers=standby_token(web))
    cleared = client.post(path + "/clear", json={"note": "not needed"}, headers=standby_token(web))
    assert cleared.status_code == 200 and cleared.get_json() == {"crew_id": web.ids["CR02"], "standby": None}
    empty = client.post(path + "/clear", headers=standby_token(web))  # an empty body is fine too
    assert empty.status_code == 200


def test_bad_standby_requests_name_every_bad_field(web):
    client, headers = web.client(), standby_token(web)
    path = f"/api/v1/crews/{web.ids['CR02']}/standby"
    both = client.post(path, json={"lon": 500, "lat": "x"}, headers=headers)
    assert both.status_code == 422 and set(both.get_json()["fields"]) == {"lon", "lat"}
    outside = client.post(path, json={"lon": 10.0, "lat": 10.0}, headers=headers)
    assert outside.status_code == 422 and set(outside.get_json()["fields"]) == {"location"}
    net = web.area.network
    missing = client.post("/api/v1/crews/999999/standby", json={"lon": float(net.lon[3]), "lat": float(net.lat[3])},
                          headers=headers)
    assert missing.status_code == 404


def test_standby_needs_its_scope_and_a_role_that_may(web):
    net = web.area.network
    body = {"lon": float(net.lon[3]), "lat": float(net.lat[3])}
    path = f"/api/v1/crews/{web.ids['CR02']}/standby"
    assert web.client().post(path, json=body, headers=board_token(web)).status_code == 403  # no scope
    with pytest.raises(ServiceError):  # a manager's token cannot even carry the scope
        token(web, "manager", ["crews:standby"])


def test_a_crew_with_an_order_gets_no_standby_over_the_api(web):
    net = web.area.network
    response = web.client().post(f"/api/v1/crews/{web.ids['CR01']}/standby",
                                 json={"lon": float(net.lon[3]), "lat": float(net.lat[3])}, headers=standby_token(web))
    assert response.status_code == 409 and response.get_json()["code"] == "crew.busy"
