"""Board actions that were API-only or silent: a class change over the API (R6.5), the R4.2 emergency
contact on the ticket, a crew without the needed skill recorded on the order, and the R7.2 next-best
crew read back for the panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from data.area_locator import AreaLocator
from ops.db import transaction
from ops.models import AuditEvent, ClassChange, Crew, Ticket, User, WorkOrder
from ops.permissions import SYSTEM_ACTOR
from ops.reads.order_state import ticket_brief
from ops.scheduler import run_escalations
from ops.services import crews, intake
from ops.services import work_orders as wo
from ops.services.bulk_import import CustomerIn, import_customers
from ops.services.dispatching import recommend
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World
from tests.integration.web_fixtures import NOW, build_web_app


@pytest.fixture
def web(tmp_path):
    """CR01 (leak repair) near, CR03 (meters only) on shift; a class-2 ticket of a customer who lives alone."""
    web = build_web_app(tmp_path)
    net = web.area.network
    with transaction(web.sessions()) as db:
        cr01 = db.scalar(sa.select(Crew).where(Crew.code == "CR01"))
        crews.set_status(db, SYSTEM_ACTOR, cr01, "available", at=NOW)
        crews.create_crew(db, SYSTEM_ACTOR, code="CR03", name="Medidores", depot_id=None, skills=["meter"],
                          shift_pattern="day", shift_start_hour=8, shift_end_hour=20, status="available", now=NOW)
        cr03 = db.scalar(sa.select(Crew).where(Crew.code == "CR03"))
        cr03.last_lon, cr03.last_lat = float(net.lon[5]), float(net.lat[5])
        area = net.bounds
        import_customers(db, SYSTEM_ACTOR, [
            CustomerIn("C77", "Rosa Díaz", "Calle 1", float(net.lon[2]), float(net.lat[2]),
                       emergency_contact_name="Marta Díaz", emergency_contact_phone="+56 9 7777 0001",
                       emergency_contact_note="daughter", lives_alone=True, vulnerable=True),
            CustomerIn("C78", "Juan Pérez", "Calle 2", float(net.lon[3]), float(net.lat[3]))], area=area, now=NOW)
        locator = AreaLocator(web.area)

        def report(customer: str | None, symptom: str, **kw) -> int:
            r = intake.ReportIn(channel="hotline", reporter_name="Rosa", phone="+56 9 5555 0100", address="Calle 1",
                                symptom=symptom, started_at=NOW, lon=float(net.lon[2]), lat=float(net.lat[2]),
                                customer_number=customer, **kw)
            return intake.create_ticket(db, SYSTEM_ACTOR, r, now=NOW, locator=locator).ticket.id

        web.ticket_id = report("C77", "no_gas", odour=False)
        web.plain_id = report("C78", "no_gas", odour=False)
        web.leak_id = report(None, "gas_leak", odour=True, urgency="emergency")
        web.crew_ids = {"CR01": cr01.id, "CR03": cr03.id}
    return web


def token(web, username: str, scopes: list[str]) -> dict[str, str]:
    from ops.services.tokens import create_token

    with transaction(web.sessions()) as db:
        user_id = db.scalar(sa.select(User.id).where(User.username == username))
        _, raw = create_token(db, SYSTEM_ACTOR, user_id=user_id, name=f"{username} {scopes}", scopes=scopes, now=NOW)
    return {"Authorization": f"Bearer {raw}"}


# ----------------------------------------------------------------------------- class change (R6.5)
def test_r6_5_class_change_over_the_api_raises_with_a_reason_and_recomputes_the_deadlines(web):
    client, agent = web.client(), token(web, "hotline_agent", ["tickets:class"])
    url = f"/api/v1/tickets/{web.ticket_id}/class"
    refused = client.post(url, json={"class": 1}, headers=agent)
    assert refused.status_code == 422 and set(refused.get_json()["fields"]) == {"reason"}
    bad = client.post(url, json={"class": 4, "reason": "x", "colour": "red"}, headers=agent)
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"class", "colour"}
    response = client.post(url, json={"class": 1, "reason": "the caller now smells gas"}, headers=agent)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["class"] == 1 and body["deadlines"]["depart_by"] == (NOW + timedelta(minutes=30)).isoformat()
    with web.sessions()() as db:
        change = db.scalar(sa.select(ClassChange).where(ClassChange.ticket_id == web.ticket_id))
        assert (int(change.from_class), int(change.to_class), change.reason) == (2, 1, "the caller now smells gas")
        event = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ticket.change_class"))
        assert event.entity_id == str(web.ticket_id) and event.actor_label.startswith("Hotline Agent · API #")
    same = client.post(url, json={"class": 1, "reason": "again"}, headers=agent)
    assert same.status_code == 409 and same.get_json()["code"] == "ticket.same_class"


def test_r6_5_lowering_a_class_1_needs_a_supervisor_and_class_3_its_slot(web):
    client = web.client()
    url = f"/api/v1/tickets/{web.leak_id}/class"
    dispatcher = token(web, "dispatcher", ["tickets:class"])
    refused = client.post(url, json={"class": 2, "reason": "only a smell of sulphur"}, headers=dispatcher)
    assert refused.status_code == 422 and refused.get_json()["code"] == "class.lower_needs_supervisor"
    assert set(refused.get_json()["fields"]) == {"class"}
    boss = token(web, "supervisor", ["tickets:class"])
    no_slot = client.post(url, json={"class": 3, "reason": "a meter swap"}, headers=boss)
    assert no_slot.status_code == 422 and set(no_slot.get_json()["fields"]) == {"appointment"}
    start = NOW + timedelta(days=1)
    slot = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    done = client.post(url, json={"class": 3, "reason": "a meter swap", "appointment": slot}, headers=boss)
    assert done.status_code == 200 and done.get_json()["class"] == 3
    assert done.get_json()["deadlines"]["slot_end"] == (start + timedelta(hours=2)).isoformat()
    with web.sessions()() as db:
        assert int(db.get(Ticket, web.leak_id).ticket_class) == 3


def test_the_class_route_needs_its_scope_and_is_documented(web):
    client = web.client()
    url = f"/api/v1/tickets/{web.ticket_id}/class"
    reader = token(web, "supervisor", ["tickets:read", "tickets:write"])
    assert client.post(url, json={"class": 1, "reason": "x"}, headers=reader).status_code == 403
    manager = token(web, "manager", ["tickets:read"])
    assert client.post(url, json={"class": 1, "reason": "x"}, headers=manager).status_code == 403
    assert client.post("/api/v1/tickets/999/class", json={"class": 1, "reason": "x"},
                       headers=token(web, "supervisor", ["tickets:class"])).status_code == 404
    doc = client.get("/api/v1/openapi.json", headers=reader).get_json()
    op = doc["paths"]["/tickets/{ticket_id}/class"]["post"]
    assert op["x-scope"] == "tickets:class" and op["x-action"] == "ticket.change_class"
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ClassChangeIn")
    assert {"200", "403", "404", "409", "422"} <= set(op["responses"])
    assert "class" in doc["components"]["schemas"]["ClassChangeIn"]["properties"]
    assert "emergency_contact" in doc["components"]["schemas"]["TicketOut"]["properties"]


# ----------------------------------------------------------------------------- emergency contact (R4.2)
def test_r4_2_the_api_ticket_carries_the_customers_emergency_contact(web):
    client, reader = web.client(), token(web, "dispatcher", ["tickets:read"])
    body = client.get(f"/api/v1/tickets/{web.ticket_id}", headers=reader).get_json()
    assert body["emergency_contact"] == {"name": "Marta Díaz", "phone": "+56 9 7777 0001", "note": "daughter",
                                         "lives_alone": True, "vulnerable": True}
    assert client.get(f"/api/v1/tickets/{web.plain_id}", headers=reader).get_json()["emergency_contact"] is None
    assert client.get(f"/api/v1/tickets/{web.leak_id}", headers=reader).get_json()["emergency_contact"] is None
    with web.sessions()() as db:
        brief = ticket_brief(db, db.get(Ticket, web.ticket_id).ticket_no)
    assert brief.contact is not None and brief.contact.phone == "+56 9 7777 0001" and brief.contact.lives_alone


# ----------------------------------------------------------------------------- a crew without the skill
def test_an_override_to_a_crew_without_the_skill_is_sent_and_recorded_as_such(web):
    client = web.client()
    office = token(web, "supervisor", ["dispatch", "dispatch:recommend"])
    rec = client.post(f"/api/v1/tickets/{web.leak_id}/recommendations", json={"k": 3}, headers=office).get_json()
    assert web.crew_ids["CR03"] not in [o["crew_id"] for o in rec["options"]]  # the optimizer never ranks it
    url = f"/api/v1/tickets/{web.leak_id}/dispatch"
    body = {"recommendation_id": rec["recommendation_id"], "crew_id": web.crew_ids["CR03"]}
    assert client.post(url, json=body, headers=office).status_code == 422  # an override still needs its reason
    response = client.post(url, json={**body, "override_reason": "CR01 has a flat tyre"}, headers=office)
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["decision"] == "override" and order["missing_skill"] == "leak_repair"
    with web.sessions()() as db:
        stored = db.get(WorkOrder, order["id"])
        assert stored.recommendation["missing_skill"] == "leak_repair"
        event = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dispatch.confirm",
                                                      AuditEvent.entity_id == str(order["id"])))
        assert event.after["missing_skill"] == "leak_repair" and event.after["decision"] == "override"


def test_a_crew_with_the_skill_records_no_missing_skill(web):
    client = web.client()
    office = token(web, "supervisor", ["dispatch", "dispatch:recommend"])
    rec = client.post(f"/api/v1/tickets/{web.leak_id}/recommendations", json={}, headers=office).get_json()
    response = client.post(f"/api/v1/tickets/{web.leak_id}/dispatch", headers=office,
                           json={"recommendation_id": rec["recommendation_id"], "crew_id": web.crew_ids["CR01"]})
    assert response.status_code == 201 and response.get_json()["missing_skill"] is None
    with web.sessions()() as db:
        event = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dispatch.confirm"))
        assert "missing_skill" not in event.after


def test_a_reassignment_to_a_crew_without_the_skill_is_recorded_too(session_factory):
    """Through the service without any recommendation: the order still keeps the fact."""
    with transaction(session_factory) as db:
        w = World(db, NOW)
        skilled, meters = w.crew(13), w.crew(20, skills=("meter",))
        ticket = w.ticket(14, 1)
        first = wo.confirm_dispatch(db, SUPERVISOR, ticket.id, skilled.id, None, NOW, override_reason="x")
        moved = wo.reassign(db, SUPERVISOR, first.id, meters.id, "the first crew's van broke down", NOW)
        assert moved.recommendation == {"decision": "override", "missing_skill": "leak_repair"}
        assert first.recommendation is None  # no recommendation, no missing skill: nothing to keep


# ----------------------------------------------------------------------------- the R7.2 next-best crew
def test_r7_2_the_panel_reads_the_next_best_crew_of_an_escalated_order_and_sending_it_reassigns(session_factory):
    with transaction(session_factory) as db:
        w = World(db, NOW)
        near, far = w.crew(13), w.crew(35)
        ticket = w.ticket(14, 1)
        rec = recommend(db, SUPERVISOR, ticket.id, now=NOW, network=NETWORK)
        order_id = wo.confirm_dispatch(db, SUPERVISOR, ticket.id, near.id, rec.recommendation_id, NOW).id
        ticket_no, ids = ticket.ticket_no, {"near": near.id, "far": far.id}
    with session_factory() as db:
        assert ticket_brief(db, ticket_no).next_best is None  # not escalated yet
    later = NOW + timedelta(minutes=11)
    with transaction(session_factory) as db:
        assert run_escalations(db, later, NETWORK).escalated == [order_id]
    with session_factory() as db:
        proposal = ticket_brief(db, ticket_no).next_best
    assert proposal is not None and proposal.crew_id == ids["far"] and proposal.recommendation_id is not None
    with transaction(session_factory) as db:
        new = wo.reassign(db, SUPERVISOR, order_id, proposal.crew_id, "no acknowledgement in 10 min", later,
                          recommendation_id=proposal.recommendation_id)
        assert new.crew_id == ids["far"]
        assert new.recommendation["recommendation_id"] == proposal.recommendation_id  # judged against it (R13.1)
    with session_factory() as db:
        brief = ticket_brief(db, ticket_no)
        assert brief.order.crew_id == ids["far"] and brief.next_best is None  # the new order is not escalated


def test_r4_2_the_crew_page_shows_the_contact_of_the_household_it_is_sent_to(web):
    from ops.reads.crew_page import crew_page

    with transaction(web.sessions()) as db:
        wo.confirm_dispatch(db, SYSTEM_ACTOR, web.ticket_id, web.crew_ids["CR01"], None, NOW,
                            override_reason="the nearest crew")
    with web.sessions()() as db:
        user_id = db.scalar(sa.select(User.id).where(User.username == "crew_member"))
        page = crew_page(db, user_id)
    assert page.order.ticket_id == web.ticket_id
    assert page.order.contact is not None and page.order.contact.name == "Marta Díaz"
    assert page.order.contact.lives_alone and page.order.contact.vulnerable
