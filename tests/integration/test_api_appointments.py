"""GET /api/v1/appointments/slots and POST /api/v1/tickets/{id}/appointment (R6.4) over HTTP.

The web fixture's one crew (CR01, leak repair, 08:00-20:00 local) works every day; ``NOW`` is 12:00
local, so today's first two slots are over and every later slot of the five days can be kept for
work that needs no skill (maintenance), none for work that needs the installation skill.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from ops.db import transaction
from ops.models import AuditEvent, User
from ops.permissions import SYSTEM_ACTOR
from tests.integration.web_fixtures import NOW, build_web_app

ZONE = ZoneInfo("America/Santiago")
TOMORROW = (NOW.astimezone(ZONE) + timedelta(days=1)).date()


def local(hour: int) -> datetime:
    return datetime(TOMORROW.year, TOMORROW.month, TOMORROW.day, hour, tzinfo=ZONE)


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    return build_web_app(tmp_path_factory.mktemp("api-appointments"))


def headers(web, scopes: list[str], username: str = "hotline_agent") -> dict[str, str]:
    from ops.services.tokens import create_token

    with transaction(web.sessions()) as db:
        user_id = db.scalar(sa.select(User.id).where(User.username == username))
        _, raw = create_token(db, SYSTEM_ACTOR, user_id=user_id, name=f"{username} {scopes}", scopes=scopes, now=NOW)
    return {"Authorization": f"Bearer {raw}"}


def point(web, node: int = 5) -> dict[str, float]:
    return {"lat": float(web.area.network.lat[node]), "lon": float(web.area.network.lon[node])}


def test_the_next_days_slots_are_graded(web):
    h = headers(web, ["appointments:read"])
    response = web.client().get("/api/v1/appointments/slots", query_string={**point(web), "symptom": "maintenance"},
                                headers=h)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["service_minutes"] == 60 and data["required_skill"] is None and len(data["slots"]) == 5 * 6
    by_start = {datetime.fromisoformat(s["start"]).astimezone(UTC): s for s in data["slots"]}
    today_8 = NOW.astimezone(ZONE).replace(hour=8)
    assert by_start[today_8.astimezone(UTC)]["grade"] == "not_possible"  # over
    tomorrow = by_start[local(10).astimezone(UTC)]
    assert tomorrow["grade"] == "feasible" and tomorrow["crew_code"] == "CR01"
    assert tomorrow["extra_drive_minutes"] >= 0 and tomorrow["slack_minutes"] >= 15
    one_day = web.client().get("/api/v1/appointments/slots", headers=h, query_string={
        **point(web), "symptom": "installation", "date": TOMORROW.isoformat()}).get_json()
    assert [s["grade"] for s in one_day["slots"]] == ["not_possible"] * 6  # nobody installs


@pytest.mark.parametrize(("query", "field"), [
    ({"lat": None, "symptom": "maintenance"}, "lat"),  # missing
    ({"lat": "north", "symptom": "maintenance"}, "lat"),
    ({"symptom": "pizza"}, "symptom"),
    ({"symptom": "maintenance", "date": "2030-01-01"}, "date"),
    ({"symptom": "maintenance", "date": "tomorrow"}, "date"),
    ({"symptom": "maintenance", "lat": 10.0, "lon": 10.0}, "lon"),  # far outside the service area
    ({"symptom": "maintenance", "colour": "red"}, "colour"),
])
def test_bad_parameters_are_422_naming_the_field(web, query, field):
    given = {k: v for k, v in {**point(web), **query}.items() if v is not None}
    response = web.client().get("/api/v1/appointments/slots", query_string=given,
                                headers=headers(web, ["appointments:read"]))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["fields"]


def test_a_booked_slot_moves_over_the_api(web):
    write = headers(web, ["tickets:write", "appointments:write"])
    client = web.client()
    report = {"channel": "hotline", "reporter_name": "Ana", "phone": "+56 9 5555 0100", "address": "Calle 1",
              "location": point(web), "symptom": "maintenance", "started_at": NOW.isoformat(), "odour": False,
              "noise": False, "people_on_site": True, "ventilated": True, "valve_closed": True,
              "appointment": {"start": local(10).isoformat(), "end": local(12).isoformat()}}
    created = client.post("/api/v1/tickets", json=report, headers=write)
    assert created.status_code == 201, created.get_json()
    url = f"/api/v1/tickets/{created.get_json()['id']}/appointment"
    refused = client.post(url, json={"slot_start": local(14).isoformat()}, headers=write)
    assert refused.status_code == 422 and list(refused.get_json()["fields"]) == ["reason"]
    refused = client.post(url, json={"slot_start": local(15).isoformat(), "reason": "asked"}, headers=write)
    assert refused.status_code == 422 and list(refused.get_json()["fields"]) == ["slot_start"]
    moved = client.post(url, json={"slot_start": local(14).isoformat(), "reason": "customer asked"}, headers=write)
    assert moved.status_code == 200, moved.get_json()
    deadlines = moved.get_json()["deadlines"]
    assert datetime.fromisoformat(deadlines["slot_start"]) == local(14)
    assert datetime.fromisoformat(deadlines["slot_end"]) == local(16)
    with web.sessions()() as db:
        event = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ticket.reschedule"))
        assert event.actor_label and event.after["reason"] == "customer asked"
    forced = client.post(url, json={"slot_start": local(18).isoformat(), "reason": "x", "force": True}, headers=write)
    assert forced.status_code == 403  # a hotline agent may not force a slot
    read_only = headers(web, ["tickets:read"])
    assert client.post(url, json={"slot_start": local(16).isoformat(), "reason": "x"}, headers=read_only).status_code == 403


def test_filing_a_class3_report_into_a_slot_no_crew_can_keep_is_refused(web):
    write = headers(web, ["tickets:write"])
    report = {"channel": "hotline", "reporter_name": "Ana", "phone": "+56 9 5555 0100", "address": "Calle 1",
              "location": point(web), "symptom": "installation", "started_at": NOW.isoformat(), "odour": False,
              "noise": False, "people_on_site": True, "ventilated": True, "valve_closed": True,
              "appointment": {"start": local(10).isoformat(), "end": local(12).isoformat()}}
    refused = web.client().post("/api/v1/tickets", json=report, headers=write)
    assert refused.status_code == 422 and list(refused.get_json()["fields"]) == ["appointment"]
    supervisor = headers(web, ["tickets:write"], username="supervisor")
    unforced = web.client().post("/api/v1/tickets", headers=supervisor, json={
        **report, "appointment_force": True, "appointment_reason": "borrowed installer"})
    assert unforced.status_code == 403  # forcing needs its own scope, too
    supervisor = headers(web, ["tickets:write", "appointments:force"], username="supervisor")
    forced = web.client().post("/api/v1/tickets", headers=supervisor, json={
        **report, "appointment_force": True, "appointment_reason": "an installer is borrowed from another depot"})
    assert forced.status_code == 201, forced.get_json()
