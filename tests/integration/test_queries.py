"""The shared facts of ``ops.queries`` on a real database: "awaiting a crew" and "at risk".

The board, the scheduler, the crew page and the demo feed read these instead of their own copies, so
each is checked here once against the work-order steps that change it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ops.db import transaction
from ops.models import Ticket
from ops.queries import at_risk, awaiting_crew
from ops.reads.open_queue import open_tickets
from ops.rules import NextDeadline, get_rule_settings
from ops.scheduler import run_escalations
from ops.services import work_orders as wo
from ops.vocabulary import TicketStatus
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
MARGIN_ENV = "GASDISPATCH_RULE_AT_RISK_MARGIN_MINUTES"


@pytest.fixture
def margin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process-wide rule settings with a 30-minute at-risk margin, read afresh."""
    monkeypatch.setenv(MARGIN_ENV, "30")
    get_rule_settings.cache_clear()
    yield
    get_rule_settings.cache_clear()


@pytest.fixture(autouse=True)
def _default_margin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if MARGIN_ENV in os.environ:
        monkeypatch.delenv(MARGIN_ENV)
    get_rule_settings.cache_clear()
    yield
    get_rule_settings.cache_clear()


def _awaiting(db) -> set[int]:
    return set(db.scalars(sa.select(Ticket.id).where(awaiting_crew())))


def test_awaiting_a_crew_until_one_is_assigned_and_again_once_it_is_withdrawn(session_factory):
    with transaction(session_factory) as db:
        w = World(db, NOW)
        crew = w.crew(0)
        ticket, other = w.ticket(14, 1), w.ticket(20, 2)
        assert _awaiting(db) == {ticket.id, other.id}
        order = wo.confirm_dispatch(db, SUPERVISOR, ticket.id, crew.id, None, NOW, override_reason="test")
        assert _awaiting(db) == {other.id}
        wo.acknowledge(db, w.member(crew), order.id, NOW + timedelta(minutes=1))
        wo.depart(db, w.member(crew), order.id, NOW + timedelta(minutes=1))
        assert _awaiting(db) == {other.id}
        wo.cancel(db, SUPERVISOR, order.id, "wrong crew", NOW + timedelta(minutes=2))
        assert _awaiting(db) == {ticket.id, other.id}  # a withdrawn crew is no longer coming
        other.status = TicketStatus.CANCELLED
        db.flush()
        assert _awaiting(db) == {ticket.id}  # a closed ticket awaits nothing


def test_at_risk_is_a_missed_deadline_or_one_kept_by_less_than_the_margin(margin):
    deadline = NextDeadline("onsite_target", NOW + timedelta(minutes=20))
    assert at_risk(deadline, NOW)  # even a crew leaving now keeps it by less than 30 min
    assert not at_risk(deadline, NOW - timedelta(minutes=11))
    assert at_risk(deadline, NOW - timedelta(minutes=11), predicted_at=NOW)


def test_at_risk_by_default_only_when_the_deadline_would_be_missed():
    deadline = NextDeadline("onsite_target", NOW + timedelta(minutes=20))
    assert not at_risk(deadline, NOW)
    assert not at_risk(deadline, NOW, predicted_at=deadline.at)
    assert at_risk(deadline, NOW, predicted_at=deadline.at + timedelta(seconds=1))
    assert at_risk(deadline, deadline.at + timedelta(seconds=1))  # overdue, whatever the prediction


def test_the_board_marks_the_tickets_at_risk(session_factory):
    with transaction(session_factory) as db:
        w = World(db, NOW)
        late = w.ticket(14, 1, received_at=NOW - timedelta(minutes=40))  # departure 10 min overdue
        fresh = w.ticket(20, 1)
    with session_factory() as db:
        rows = {r.id: r for r in open_tickets(db, NOW)}
    assert rows[late.id].at_risk and not rows[fresh.id].at_risk


def test_the_board_and_the_scheduler_read_the_same_margin(session_factory, margin):
    """A crew predicted on site a few minutes before the target: kept, but by less than 30 minutes."""
    with transaction(session_factory) as db:
        w = World(db, NOW)
        crew = w.crew(13)
        ticket = w.ticket(14, 1, received_at=NOW - timedelta(minutes=45))  # target in 15 min, one node away
        order_id = wo.confirm_dispatch(db, SUPERVISOR, ticket.id, crew.id, None, NOW, override_reason="x").id
        soon = w.ticket(30, 1, received_at=NOW - timedelta(minutes=5))  # departure due in 25 min
        fresh = w.ticket(30, 2)  # dispatch due in 2 h
    with transaction(session_factory) as db:
        report = run_escalations(db, NOW, NETWORK)
    assert report.at_risk == [order_id]
    with session_factory() as db:
        rows = {r.id: r for r in open_tickets(db, NOW)}
    assert rows[soon.id].at_risk and not rows[fresh.id].at_risk


def test_without_a_margin_a_crew_that_keeps_the_target_is_not_at_risk(session_factory):
    with transaction(session_factory) as db:
        w = World(db, NOW)
        crew = w.crew(13)
        ticket = w.ticket(14, 1, received_at=NOW - timedelta(minutes=45))
        wo.confirm_dispatch(db, SUPERVISOR, ticket.id, crew.id, None, NOW, override_reason="x")
        soon = w.ticket(30, 1, received_at=NOW - timedelta(minutes=5))
    with transaction(session_factory) as db:
        assert run_escalations(db, NOW, NETWORK).at_risk == []
    with session_factory() as db:
        assert not {r.id: r for r in open_tickets(db, NOW)}[soon.id].at_risk
