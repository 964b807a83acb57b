"""The core loop end to end in real headless Chromium (issue 6, "What it must show"):

a class-1 report arrives through the REST API; the supervisor's board opens it and recommends crews
with ETAs; the supervisor confirms the top one; the crew acknowledges, departs, arrives, takes a
detector reading and files the repair record on its phone; the ticket leaves the open queue and
waits for its R10 callback. Every timestamp and the audit trail are then read from the database.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
import requests
import sqlalchemy as sa

from tests.browser.test_crew_page import PHONE, _type, acknowledge_depart_arrive, file_repair_record
from tests.browser.test_crew_page import _click as click_on_phone
from tests.browser.test_dispatch_board import _select_row, free_crews, quiet_board
from tests.browser.test_roles_and_languages import log_in

pytestmark = pytest.mark.browser

JOURNEY_PASSWORD = "journey-password-1"


def api_token(ctx, username: str, scopes: list[str]) -> str:
    from ops.db import transaction
    from ops.models import User
    from ops.permissions import SYSTEM_ACTOR
    from ops.services.tokens import create_token

    with transaction(ctx.sessions) as db:
        user_id = db.scalar(sa.select(User.id).where(User.username == username))
        return create_token(db, SYSTEM_ACTOR, user_id=user_id, name="journey", scopes=scopes, now=ctx.clock())[1]


def report_class1_by_api(base_url: str, token: str, lon: float, lat: float, now: datetime) -> dict:
    """What the customer app sends for a smell of gas with people inside (R5, R6.5 → class 1); each report
    its own idempotency key, as each tap of the app's send button of a new report would."""
    body = {
        "channel": "app", "reporter_name": "Ana Rojas", "phone": "+56 9 5555 0142", "address": "Pasaje Tablero",
        "door_no": "7", "symptom": "gas_leak", "started_at": now.isoformat(), "location": {"lon": lon, "lat": lat},
        "odour": True, "noise": False, "people_on_site": True, "ventilated": False, "valve_closed": False,
        "urgency": "emergency", "description": "Strong smell of gas in the kitchen",
    }
    response = requests.post(base_url + "/api/v1/tickets", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"journey-{uuid.uuid4()}"})
    assert response.status_code == 201, response.text
    return response.json()


def crew_login_for(ctx, crew_code: str, prefix: str = "journey") -> str:
    """The admin gives the confirmed crew a member's login (ops.services.accounts), as on a new phone."""
    from ops.db import transaction
    from ops.permissions import SYSTEM_ACTOR
    from ops.services.accounts import create_user

    username = f"{prefix}-{crew_code.lower()}"
    with transaction(ctx.sessions) as db:
        create_user(db, SYSTEM_ACTOR, username=username, display_name=f"Member of {crew_code}",
                    roles=["crew_member"], password=JOURNEY_PASSWORD, language="en", crew_code=crew_code,
                    now=ctx.clock())
    return username


def test_journey001_class1_from_report_to_repair_record_and_callback(dash_duo, demo_app, ctx):
    from ops.models import AuditEvent, Crew, FollowUp, GasReading, RepairRecord, Ticket, WorkOrder
    from ops.reads.open_queue import open_tickets
    from ops.vocabulary import TicketStatus, WorkOrderStatus

    quiet_board(ctx)
    crews = free_crews(ctx, 3)
    with ctx.read_session() as db:
        near = db.get(Crew, crews[0])
        lon, lat = next((near.last_lon + dx, near.last_lat + dy) for dx, dy in
                        ((0.006, 0.004), (-0.006, 0.004), (0.006, -0.004), (-0.006, -0.004), (0.0, 0.0))
                        if ctx.locator.inside(near.last_lon + dx, near.last_lat + dy))
    dash_duo.start_server(demo_app, navigate=False)

    # 1. A class-1 ticket arrives (the customer app, over the API).
    created = report_class1_by_api(dash_duo.server.url, api_token(ctx, "hotline", ["tickets:write"]), lon, lat,
                                   ctx.clock())
    assert created["class"] == 1
    ticket_no, ticket_id = created["ticket_no"], created["id"]

    # 2. The supervisor's board recommends crews with ETAs for it.
    log_in(dash_duo, "supervisor")
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    dash_duo.wait_for_contains_text("#class1-banner", ticket_no, timeout=30)
    _select_row(dash_duo, ticket_no)
    dash_duo.wait_for_text_to_equal("#rec-ticket-no", ticket_no, timeout=30)
    dash_duo.wait_for_element("#rec-body .rec-option", timeout=30)
    etas = [e.text for e in dash_duo.find_elements("#rec-body .rec-eta")]
    assert etas and all("min)" in eta for eta in etas), etas

    # 3. The supervisor confirms the top recommendation.
    top_code = dash_duo.find_elements("#rec-body .rec-option")[0].find_element("css selector", "b").text
    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element("#rec-confirm"))
    dash_duo.wait_for_text_to_equal("#rec-order-crew", top_code, timeout=20)
    dash_duo.wait_for_text_to_equal("#rec-order-status", "Dispatched", timeout=10)
    assert dash_duo.get_logs() == []
    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element("#logout-button"))
    dash_duo.wait_for_element("#login-form", timeout=10)

    # 4. On the crew page: acknowledge, en route, on site, detector reading.
    username = crew_login_for(ctx, top_code)
    dash_duo.driver.set_window_size(*PHONE)
    dash_duo.driver.get(dash_duo.server.url + "/login")
    dash_duo.find_element("#username").send_keys(username)
    dash_duo.find_element("#password").send_keys(JOURNEY_PASSWORD)
    dash_duo.find_element("#login-button").click()
    dash_duo.wait_for_element("#current-user", timeout=20)
    dash_duo.driver.get(dash_duo.server.url + "/crew")
    dash_duo.wait_for_contains_text("#crew-page", ticket_no, timeout=30)
    acknowledge_depart_arrive(dash_duo)
    _type(dash_duo, "#crew-ppm", "120")
    click_on_phone(dash_duo, "#crew-save-reading")
    dash_duo.wait_for_contains_text("#crew-reading", "120 ppm", timeout=20)

    # 5. The repair record (R9), with the customer's confirmation and the safety advice (R8.5).
    file_repair_record(dash_duo, "Loose flare nut behind the cooker",
                       "Valve closed, nut replaced and tightened, leak test passed", "Ana Rojas")
    assert dash_duo.get_logs() == []

    # 6. The ticket has left the open queue and waits for its callback; every step is stored and audited.
    with ctx.read_session() as db:
        assert ticket_no not in {t.ticket_no for t in open_tickets(db, ctx.clock())}
        ticket = db.get(Ticket, ticket_id)
        assert ticket.status is TicketStatus.COMPLETED, ticket.status  # awaiting its callback (R10)
        [order] = db.scalars(sa.select(WorkOrder).where(WorkOrder.ticket_id == ticket_id)).all()
        assert order.status is WorkOrderStatus.COMPLETED and order.crew.code == top_code
        assert order.recommendation["decision"] == "followed" and order.recommended_crew_id == order.crew_id
        stamps = [ticket.received_at, order.dispatched_at, order.acknowledged_at, order.departed_at,
                  order.arrived_at, order.completed_at]
        assert all(s is not None and s.tzinfo is not None for s in stamps) and stamps == sorted(stamps), stamps
        assert db.scalar(sa.select(GasReading.ppm).where(GasReading.work_order_id == order.id)) == 120
        record = db.scalar(sa.select(RepairRecord).where(RepairRecord.work_order_id == order.id))
        assert record.cause == "Loose flare nut behind the cooker" and record.safety_advice_given
        callbacks = db.scalars(sa.select(FollowUp).where(FollowUp.work_order_id == order.id)).all()
        assert callbacks and all(c.due_at > order.completed_at for c in callbacks)
        trail = db.execute(sa.select(AuditEvent.action, AuditEvent.actor_label)
                           .where(sa.or_(sa.and_(AuditEvent.entity == "work_order",
                                                 AuditEvent.entity_id == str(order.id)),
                                         sa.and_(AuditEvent.entity == "ticket",
                                                 AuditEvent.entity_id == str(ticket_id))))
                           .order_by(AuditEvent.id)).all()
    actions = [a for a, _ in trail]
    for step in ("dispatch.confirm", "order.acknowledge", "order.depart", "order.arrive", "order.reading",
                 "order.complete"):
        assert step in actions, (step, actions)
    assert actions.index("dispatch.confirm") < actions.index("order.acknowledge") < actions.index("order.complete")
