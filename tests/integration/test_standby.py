"""Standby positions (issue 13): sent by the office, audited, refused where they make no sense, and
cleared by any order the crew is given, in that order's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ops.db import transaction
from ops.errors import ConflictError, NotFoundError, ServiceError
from ops.models import AuditEvent, Crew
from ops.permissions import SYSTEM_ACTOR, Actor, PermissionDenied
from ops.services import work_orders as wo
from ops.services.queue import move_order
from ops.services.standby import clear_standby, send_standby
from ops.vocabulary import Role
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World, node_lonlat

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
DISPATCHER = Actor(user_id=None, label="dispatcher Wu", roles=frozenset({Role.DISPATCHER}))


class GridLocator:
    """Inside = within the grid network's bounding box (what AreaLocator answers for the real map)."""

    def inside(self, lon: float, lat: float) -> bool:
        x0, y0, x1, y1 = NETWORK.bounds
        return x0 <= lon <= x1 and y0 <= lat <= y1

    def match_street(self, text: str):
        return None

    def district_code(self, lon: float, lat: float):
        return None


LOCATOR = GridLocator()


@pytest.fixture
def world(session_factory):
    with transaction(session_factory) as db:
        yield World(db, NOW)


def events(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_dispatcher_sends_a_standby_and_it_is_audited(world):
    crew = world.crew(0)
    lon, lat = node_lonlat(20)
    send_standby(world.db, DISPATCHER, crew.id, lon, lat, note="  cover the north  ", now=NOW, locator=LOCATOR)
    assert (crew.standby_lon, crew.standby_lat, crew.standby_note) == (lon, lat, "cover the north")
    assert crew.standby_since == NOW and crew.standby_by == "dispatcher Wu"
    [event] = events(world.db, "crew.standby")
    assert event.entity == "crew" and event.entity_id == str(crew.id) and event.actor_label == "dispatcher Wu"
    assert event.before is None and event.after["lon"] == lon and event.after["note"] == "cover the north"
    # A second one replaces the first; its event keeps what was replaced.
    send_standby(world.db, SUPERVISOR, crew.id, *node_lonlat(5), now=NOW + timedelta(minutes=3), locator=LOCATOR)
    second = events(world.db, "crew.standby")[1]
    assert second.before["lon"] == lon and crew.standby_note is None and crew.standby_by == "supervisor Li"


@pytest.mark.parametrize("role", [Role.HOTLINE_AGENT, Role.CREW_MEMBER, Role.MANAGER, Role.PLANNER, Role.ADMIN])
def test_roles_without_the_action_are_refused_and_nothing_changes(world, role):
    crew = world.crew(0)
    with pytest.raises(PermissionDenied):
        send_standby(world.db, Actor(user_id=None, label="x", roles=frozenset({role})), crew.id,
                     *node_lonlat(3), now=NOW, locator=LOCATOR)
    assert crew.standby_since is None and events(world.db, "crew.standby") == []


def test_the_system_may_send_one(world):
    crew = world.crew(0)
    send_standby(world.db, SYSTEM_ACTOR, crew.id, *node_lonlat(3), now=NOW, locator=LOCATOR)
    assert crew.standby_by == "system"


@pytest.mark.parametrize(("lon", "lat", "code"), [
    (-150.0, 10.0, "location.outside"),   # a real place, far from the service area
    (float("nan"), -29.9, "location.invalid"),
    (-71.0, 95.0, "location.invalid"),
    (True, -29.9, "location.invalid"),
])
def test_a_bad_position_is_refused_naming_the_field(world, lon, lat, code):
    crew = world.crew(0)
    with pytest.raises(ServiceError) as refused:
        send_standby(world.db, DISPATCHER, crew.id, lon, lat, now=NOW, locator=LOCATOR)
    assert (refused.value.code, refused.value.field) == (code, "location")
    assert crew.standby_since is None


def test_an_unknown_or_inactive_crew_and_a_long_note_are_refused(world):
    with pytest.raises(NotFoundError) as missing:
        send_standby(world.db, DISPATCHER, 999_999, *node_lonlat(3), now=NOW, locator=LOCATOR)
    assert missing.value.field == "crew_id"
    crew = world.crew(0)
    with pytest.raises(ServiceError) as long_note:
        send_standby(world.db, DISPATCHER, crew.id, *node_lonlat(3), note="x" * 501, now=NOW, locator=LOCATOR)
    assert (long_note.value.code, long_note.value.field) == ("text.max_length", "note")
    crew.active = False
    with pytest.raises(ServiceError) as inactive:
        send_standby(world.db, DISPATCHER, crew.id, *node_lonlat(3), now=NOW, locator=LOCATOR)
    assert (inactive.value.code, inactive.value.field) == ("crew.inactive", "crew_id")


def test_clearing_by_hand_is_audited_once(world):
    crew = world.crew(0)
    send_standby(world.db, DISPATCHER, crew.id, *node_lonlat(3), now=NOW, locator=LOCATOR)
    clear_standby(world.db, DISPATCHER, crew.id, now=NOW + timedelta(minutes=1), note="rain")
    assert crew.standby_since is None and crew.standby_lon is None and crew.standby_by is None
    [event] = events(world.db, "crew.standby_clear")
    assert event.before["lon"] == node_lonlat(3)[0] and event.note == "rain"
    clear_standby(world.db, DISPATCHER, crew.id, now=NOW + timedelta(minutes=2))  # nothing left to clear
    assert len(events(world.db, "crew.standby_clear")) == 1


def test_a_confirmed_order_clears_the_standby_in_its_transaction(session_factory):
    with transaction(session_factory) as db:
        world = World(db, NOW)
        crew, other = world.crew(13), world.crew(30)
        send_standby(db, DISPATCHER, crew.id, *node_lonlat(20), now=NOW, locator=LOCATOR)
        send_standby(db, DISPATCHER, other.id, *node_lonlat(21), now=NOW, locator=LOCATOR)
        ticket = world.ticket(14, 2)
        order = wo.confirm_dispatch(db, SUPERVISOR, ticket.id, crew.id, None, NOW + timedelta(minutes=1),
                                    override_reason="closest")
        crew_id, other_id, order_id = crew.id, other.id, order.id
    with session_factory() as db:
        crew, other = db.get(Crew, crew_id), db.get(Crew, other_id)
        assert crew.standby_since is None and other.standby_since is not None  # only the crew given work
        [event] = events(db, "crew.standby_clear")
        assert event.entity_id == str(crew_id) and event.after == {"cleared_by_order": order_id}
        assert event.actor_label == "supervisor Li"
        assert event.at == NOW + timedelta(minutes=1)


def test_a_crew_with_an_order_gets_no_standby(world):
    busy = world.crew(13)
    wo.confirm_dispatch(world.db, SUPERVISOR, world.ticket(14, 2).id, busy.id, None, NOW, override_reason="closest")
    with pytest.raises(ConflictError) as refused:
        send_standby(world.db, DISPATCHER, busy.id, *node_lonlat(20), now=NOW, locator=LOCATOR)
    assert (refused.value.code, refused.value.field) == ("crew.busy", "crew_id") and busy.standby_since is None


def test_a_moved_order_clears_the_standby_of_the_crew_it_goes_to(world):
    first_crew, other = world.crew(13), world.crew(30)
    first = wo.confirm_dispatch(world.db, SUPERVISOR, world.ticket(14, 2).id, first_crew.id, None, NOW,
                                override_reason="closest")
    send_standby(world.db, DISPATCHER, other.id, *node_lonlat(21), now=NOW, locator=LOCATOR)
    moved = move_order(world.db, SUPERVISOR, first.id, NOW + timedelta(minutes=2), crew_id=other.id,
                       position=None, reason="closer")
    assert moved.crew_id == other.id and other.standby_since is None
    [event] = events(world.db, "crew.standby_clear")
    assert event.entity_id == str(other.id) and event.after == {"cleared_by_order": moved.id}


def test_an_order_queued_behind_a_later_standby_clears_it(world):
    """A standby sent straight to the database (an import, an older version) still yields to a queued order."""
    busy = world.crew(13)
    wo.confirm_dispatch(world.db, SUPERVISOR, world.ticket(14, 2).id, busy.id, None, NOW, override_reason="closest")
    busy.standby_lon, busy.standby_lat, busy.standby_since = *node_lonlat(20), NOW
    queued = wo.confirm_dispatch(world.db, SUPERVISOR, world.ticket(15, 3).id, busy.id, None,
                                 NOW + timedelta(minutes=1), override_reason="same street")
    assert queued.status.value == "queued" and busy.standby_since is None


def test_the_database_refuses_half_a_standby(world):
    crew = world.crew(0)
    crew.standby_lon = -71.25
    with pytest.raises(sa.exc.IntegrityError):
        world.db.flush()


def test_the_crew_sees_its_standby_on_its_page_with_the_map(tmp_path):
    from data.area_locator import AreaLocator
    from tests.integration.test_role_matrix import rendered_page
    from tests.integration.web_fixtures import NOW as WEB_NOW
    from tests.integration.web_fixtures import build_web_app, login

    web = build_web_app(tmp_path)
    net = web.area.network
    with transaction(web.sessions()) as db:
        crew_id = db.scalar(sa.select(Crew.id).where(Crew.code == "CR01"))
    client = web.client()
    assert login(client, "crew_member").status_code == 302
    assert "crew-standby" not in rendered_page(client, "/crew")
    with transaction(web.sessions()) as db:
        send_standby(db, DISPATCHER, crew_id, float(net.lon[5]), float(net.lat[5]), note="by the school",
                     now=WEB_NOW, locator=AreaLocator(web.area))
    page = rendered_page(client, "/crew")
    assert "crew-standby" in page and "Stand by at" in page and "by the school" in page
    assert "dispatcher Wu" in page and "Standby position" in page  # who sent it; the map's marker
