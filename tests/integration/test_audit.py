"""R13.1: every action is attributable, and the audit log cannot be rewritten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ops import audit
from ops.audit import AuditLogAppendOnlyError
from ops.db import transaction
from ops.models import AuditEvent, District
from ops.vocabulary import Role, TicketClass, TicketStatus

if TYPE_CHECKING:
    from conftest import Builders


def _event(s: Session, at: datetime, **kw: object) -> AuditEvent:
    return audit.record(s, **{
        "actor_id": None, "actor_label": "scheduler", "action": "ticket.auto_dispatch",
        "entity": "ticket", "entity_id": 1, "at": at, **kw,
    })


def test_r13_1_record_joins_the_callers_transaction_and_never_commits_alone(
    session_factory: sessionmaker[Session], t0: datetime
) -> None:
    with pytest.raises(RuntimeError), transaction(session_factory) as s:
        s.add(District(code="D1", name="Centro", centroid_lon=-71.2, centroid_lat=-29.9, source="t"))
        _event(s, t0, entity="district", entity_id="D1")
        raise RuntimeError("the change failed, so its audit line must vanish too")
    with session_factory() as s:
        assert s.scalars(sa.select(AuditEvent)).all() == []

    with transaction(session_factory) as s:
        _event(s, t0)
    with session_factory() as s:
        assert s.scalars(sa.select(sa.func.count()).select_from(AuditEvent)).one() == 1


def test_r13_1_audit_event_keeps_who_what_when_and_the_recommendation(
    session_factory: sessionmaker[Session], build: Builders, t0: datetime
) -> None:
    with transaction(session_factory) as s:
        supervisor = build.user(username="sup")
        s.add(supervisor)
        s.flush()
        event = audit.record(
            s, actor_id=supervisor.id, actor_label="supervisor sup", action="work_order.override",
            entity="work_order", entity_id=42,
            before={"status": TicketStatus.NEW, "class": TicketClass.EMERGENCY},
            after={"status": TicketStatus.DISPATCHED, "crew": "CR002", "at": t0},
            recommendation={"top": ["CR001", "CR002"], "eta_s": [300, 420]},
            note="CR001 reported a flat tyre", at=t0 + timedelta(seconds=5),
        )
        s.flush()
        event_id = event.id
    with session_factory() as s:
        e = s.get_one(AuditEvent, event_id)
        assert e.actor_id is not None and e.actor_label == "supervisor sup"
        assert e.entity == "work_order" and e.entity_id == "42"
        assert e.before == {"status": "new", "class": 1}
        assert e.after == {"status": "dispatched", "crew": "CR002", "at": "2025-03-14T09:30:00+00:00"}
        assert e.recommendation == {"top": ["CR001", "CR002"], "eta_s": [300, 420]}
        assert e.at == t0 + timedelta(seconds=5)
        assert e.imported is False


def test_record_refuses_a_naive_timestamp_and_an_anonymous_actor(
    session_factory: sessionmaker[Session], t0: datetime
) -> None:
    with session_factory() as s:
        with pytest.raises(ValueError, match="timezone-aware"):
            _event(s, datetime(2025, 3, 14, 9, 30))
        with pytest.raises(ValueError, match="actor_label"):
            _event(s, t0, actor_label="  ")
        with pytest.raises(TypeError, match=r"after\.crew"):
            _event(s, t0, after={"crew": object()})


def test_snapshot_copies_columns_but_never_the_password_hash(build: Builders) -> None:
    user = build.user(password_hash="pbkdf2:sha256:secret", language="en")
    snap = audit.snapshot(user)
    assert snap["username"] == user.username and snap["language"] == "en"
    assert "password_hash" not in snap
    assert snap["created_at"] == "2025-03-14T09:30:00+00:00"


def test_r13_1_database_trigger_refuses_update_and_delete_of_audit_events(
    session_factory: sessionmaker[Session], engine: Engine, t0: datetime
) -> None:
    with transaction(session_factory) as s:
        _event(s, t0)
    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET actor_label = 'someone else'"))
    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT actor_label FROM audit_events")).scalars().all() == ["scheduler"]


def test_postgresql_trigger_also_refuses_truncate(engine: Engine, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE audit_events"))


def test_orm_refuses_to_modify_or_delete_an_audit_event(
    session_factory: sessionmaker[Session], t0: datetime
) -> None:
    with transaction(session_factory) as s:
        event = _event(s, t0)
        s.flush()
        event_id = event.id
    with pytest.raises(AuditLogAppendOnlyError), transaction(session_factory) as s:
        s.get_one(AuditEvent, event_id).note = "rewritten"
    with pytest.raises(AuditLogAppendOnlyError), transaction(session_factory) as s:
        s.delete(s.get_one(AuditEvent, event_id))
    with pytest.raises(AuditLogAppendOnlyError), transaction(session_factory) as s:
        s.execute(sa.update(AuditEvent).values(note="bulk rewrite"))
    with pytest.raises(AuditLogAppendOnlyError), transaction(session_factory) as s:
        s.execute(sa.delete(AuditEvent))


def test_imported_history_is_marked_as_imported(session_factory: sessionmaker[Session]) -> None:
    at = datetime(2019, 6, 1, 12, tzinfo=UTC)
    with transaction(session_factory) as s:
        _event(s, at, actor_label="import", imported=True, after={"role": Role.DISPATCHER})
    with session_factory() as s:
        e = s.scalars(sa.select(AuditEvent)).one()
        assert e.imported and e.at == at and e.after == {"role": "dispatcher"}
