"""Acknowledging a scheduler alert (R7.2–R7.4): seen once, by whom and when, and audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ops.db import transaction
from ops.errors import ServiceError
from ops.models import Alert, AuditEvent
from ops.permissions import Actor, PermissionDenied
from ops.reads.open_alerts import open_alerts
from ops.scheduler import run_escalations
from ops.services.alerts import acknowledge_alert
from ops.vocabulary import Role
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
HOTLINE = Actor(user_id=None, label="agent Wu", roles=frozenset({Role.HOTLINE_AGENT}))


@pytest.fixture
def red_alert(session_factory):
    """A class 1 nobody left for: by minute 20 the scheduler has raised its red alert (R7.4)."""
    with transaction(session_factory) as db:
        World(db, NOW).ticket(14, 1)  # no crew at all, so nothing is dispatched
    with transaction(session_factory) as db:
        run_escalations(db, NOW + timedelta(minutes=20), NETWORK)
    with session_factory() as db:
        [alert] = open_alerts(db, kinds=["red"])
    return session_factory, alert.id


def audit_count(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "alert.acknowledge"))


def test_acknowledging_takes_the_alert_off_the_board_and_keeps_who_and_when(red_alert):
    sessions, alert_id = red_alert
    at = NOW + timedelta(minutes=21)
    with transaction(sessions) as db:
        acknowledge_alert(db, SUPERVISOR, alert_id, at, note="calling crew CR03")
    with sessions() as db:
        assert all(a.id != alert_id for a in open_alerts(db))
        [kept] = [a for a in open_alerts(db, include_acknowledged=True) if a.id == alert_id]
        assert kept.acknowledged_at == at
        event = db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "alert.acknowledge"))
        assert event.entity_id == str(alert_id) and event.note == "calling crew CR03"
        assert event.actor_label == SUPERVISOR.label


def test_a_second_acknowledgement_is_refused_and_the_first_stands(red_alert):
    sessions, alert_id = red_alert
    with transaction(sessions) as db:
        acknowledge_alert(db, SUPERVISOR, alert_id, NOW + timedelta(minutes=21))
    with pytest.raises(ServiceError) as exc, transaction(sessions) as db:
        acknowledge_alert(db, SUPERVISOR, alert_id, NOW + timedelta(minutes=25))
    assert exc.value.field == "alert_id"
    with sessions() as db:
        assert db.get(Alert, alert_id).acknowledged_at == NOW + timedelta(minutes=21)
        assert audit_count(db) == 1


@pytest.mark.parametrize("bad, field", [(999_999, "alert_id"), ("1", "alert_id"), (True, "alert_id")])
def test_unknown_alert_is_refused_naming_the_field(red_alert, bad, field):
    sessions, _ = red_alert
    with pytest.raises(ServiceError) as exc, transaction(sessions) as db:
        acknowledge_alert(db, SUPERVISOR, bad, NOW)
    assert exc.value.field == field


def test_a_hotline_agent_may_not_acknowledge(red_alert):
    sessions, alert_id = red_alert
    with pytest.raises(PermissionDenied), transaction(sessions) as db:
        acknowledge_alert(db, HOTLINE, alert_id, NOW)
    with sessions() as db:
        assert db.get(Alert, alert_id).acknowledged_at is None and audit_count(db) == 0
