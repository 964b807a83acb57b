"""The hotline page's callbacks, driven as the browser drives them: R5.5 the call's start is received_at.

The page's functions are called in a request of the real app (the hotline agent logged in, the app's
clock moved by the test), so what is checked is what the page stores: a call that starts, lasts
minutes and is then saved gets the start as ``received_at``, and every class-1 clock runs from it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from dash.exceptions import PreventUpdate
from flask import g

from ops.models import AuditEvent, SafetyInstruction, Ticket, User
from ops.permissions import Actor
from ops.vocabulary import Role
from tests.integration.web_fixtures import NOW, WebApp, build_web_app

CALL_STARTS = NOW + timedelta(minutes=1)


@pytest.fixture
def web(tmp_path) -> WebApp:
    return build_web_app(tmp_path)


class Desk:
    """The hotline agent at the page, with the app's clock in the test's hand."""

    def __init__(self, web: WebApp) -> None:
        self.web = web
        self.ctx = web.server.extensions["gasdispatch"]
        self.now = NOW
        self.ctx.clock = lambda: self.now
        self.page: ModuleType = sys.modules["pages.hotline"]  # as Dash's page loader imported it
        with self.ctx.read_session() as db:
            agent_id = db.scalar(sa.select(User.id).where(User.username == "hotline_agent"))
        self.actor = Actor(user_id=agent_id, label="hotline_agent", roles=frozenset({Role.HOTLINE_AGENT}))

    def call(self, function: str, *args: Any, **kwargs: Any) -> Any:
        with self.web.server.test_request_context("/_dash-update-component", method="POST"):
            g.actor = self.actor
            return getattr(self.page, function)(*args, **kwargs)

    def local(self, when: datetime) -> str:
        """A time as the form's datetime-local field holds it, in the service's time zone."""
        return when.astimezone(ZoneInfo(self.ctx.settings.timezone)).strftime("%Y-%m-%dT%H:%M")

    def form(self, **values: Any) -> dict[str, Any]:
        """What the save callback reads: a class-1 gas leak at a point of the map, as typed."""
        net = self.web.area.network
        form = {name: None for name in self.page.FORM_STATES}
        form.update(
            name="Ana Rojas", phone="+56 9 5555 0199", address="Point picked on the map",
            click={"lon": float(net.lon[5]), "lat": float(net.lat[5])}, symptom="gas_leak",
            answers={"odour": "yes", "noise": "unknown", "people_on_site": "yes", "ventilated": "unknown",
                     "valve_closed": "unknown"},
            urgency="general", major=[], started=self.local(NOW - timedelta(minutes=20)),
            requested_class="auto", safety={}, idempotency_key=f"key-{self.now.timestamp()}",
        )
        form.update(values)
        return form

    def save(self, form: dict[str, Any]) -> Ticket:
        out = self.call("save", 1, **form)
        assert isinstance(out["saved"], dict), [text for text in out["errors"] if text]
        with self.ctx.read_session() as db:
            ticket = db.get(Ticket, out["saved"]["id"])
            db.expunge(ticket)
            return ticket


@pytest.fixture
def desk(web: WebApp) -> Iterator[Desk]:
    yield Desk(web)


def test_r5_5_the_call_starts_at_the_first_edit_and_that_is_received_at(desk: Desk):
    desk.now = CALL_STARTS
    started = desk.call("start_call", 1, None)  # the agent types the caller's number
    desk.now += timedelta(seconds=30)
    with pytest.raises(PreventUpdate):  # later edits keep the first stamp
        desk.call("start_call", 2, started)

    # The R6.2 script is read during the call; each tick is stamped by the server as it happens.
    desk.now = CALL_STARTS + timedelta(minutes=2)
    given, error = desk.call("tick_script", ["close_valve"], {}, None)
    assert error == "" and given == {"close_valve": desk.now.isoformat()}

    desk.now = CALL_STARTS + timedelta(minutes=6)  # the call went on; now the agent saves
    ticket = desk.save(desk.form(safety=given, call_start=started))
    assert ticket.received_at == CALL_STARTS and ticket.created_at == desk.now
    assert ticket.depart_deadline == CALL_STARTS + timedelta(minutes=30)  # R6.1, not save + 30
    with desk.ctx.read_session() as db:
        ticks = db.execute(sa.select(SafetyInstruction.code, SafetyInstruction.given_at)
                           .where(SafetyInstruction.ticket_id == ticket.id)).all()
    assert [tuple(t) for t in ticks] == [("close_valve", CALL_STARTS + timedelta(minutes=2))]


def test_r5_5_a_form_left_open_backdates_the_ticket_by_60_minutes_at_most(desk: Desk):
    desk.now = CALL_STARTS
    started = desk.call("start_call", 1, None)
    desk.now = CALL_STARTS + timedelta(hours=3)
    ticket = desk.save(desk.form(call_start=started))
    assert ticket.received_at == desk.now - timedelta(minutes=60)
    with desk.ctx.read_session() as db:
        event = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "ticket.create")).one()
    assert datetime.fromisoformat(event.after["received_at_as_given"]) == CALL_STARTS


@pytest.mark.parametrize("store", [None, "", "not a stamp", {"at": NOW.isoformat()}, NOW.isoformat()])
def test_r5_5_without_a_valid_stamp_the_report_is_received_when_saved(desk: Desk, store):
    """The browser cannot backdate a ticket: only a stamp this server signed counts."""
    desk.now = CALL_STARTS + timedelta(minutes=5)
    ticket = desk.save(desk.form(call_start=store))
    assert ticket.received_at == desk.now
    # and a forged store is replaced by a real stamp, of this edit's time, at the next edit
    from dashboard.components.hotline_call import call_start

    fresh = desk.call("start_call", 1, store)
    with desk.web.server.test_request_context("/"):
        assert call_start(fresh) == desk.now


def test_r5_5_a_stamp_is_signed_for_this_app_and_new_call_starts_without_one(desk: Desk, tmp_path):
    from dashboard.components.hotline_call import call_start

    started = desk.call("start_call", 1, None)
    with desk.web.server.test_request_context("/"):
        assert call_start(started) == NOW
    other = build_web_app(tmp_path / "other")  # another secret key would not accept it
    other.server.secret_key = "x" * 64
    with other.server.test_request_context("/"):
        assert call_start(started) is None
    # "New call" reloads the page: the layout's store starts empty, so the next edit stamps afresh.
    with desk.web.server.test_request_context("/hotline"):
        g.actor = desk.actor
        layout = desk.page.layout()
    stores = [c for c in _walk(layout) if getattr(c, "id", None) == "hl-call-start"]
    assert len(stores) == 1 and getattr(stores[0], "data", None) is None


def _walk(component: Any) -> Iterator[Any]:
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children] if children is not None else []:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)
