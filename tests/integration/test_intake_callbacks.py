"""R6.2 (product): the call-back task of a class-1 report without a voice call, queued and closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ops.db import transaction
from ops.errors import ServiceError
from ops.models import AuditEvent, IntakeCallbackTask
from ops.permissions import PermissionDenied
from ops.reads.caller_lookup import pending_callback_tasks
from ops.services import intake
from ops.vocabulary import FollowUpStatus, Role
from tests.integration.conftest import T0
from tests.integration.test_intake import actor, create, report

AGENT = actor(Role.HOTLINE_AGENT)


def _leak(session_factory, **kw) -> intake.IntakeResult:
    return create(session_factory, report(channel="app", symptom="gas_leak", **kw))


def test_r6_2_app_class1_task_is_in_the_pending_queue_oldest_first(session_factory):
    first = _leak(session_factory)
    second = create(session_factory, report(channel="wechat", symptom="gas_leak", reporter_name="Luis Vega"),
                    now=T0 + timedelta(minutes=3))
    create(session_factory, report(channel="app"))  # class 2: no task
    with session_factory() as db:
        rows = pending_callback_tasks(db, T0 + timedelta(minutes=10))
    assert [r.ticket_id for r in rows] == [first.ticket.id, second.ticket.id]
    row = rows[0]
    assert row.task_id == first.callback_task.id and row.ticket_no == first.ticket.ticket_no
    assert row.ticket_class == 1 and row.symptom == "gas_leak" and row.channel == "web_app"
    assert row.phone == "+56 51 255 0199" and row.reporter_name == "Ana Rojas"
    assert row.minutes_waiting == 10 and rows[1].minutes_waiting == 7 and row.attempts == 0


def test_r6_2_completing_removes_the_task_and_records_who_when_and_an_audit_event(session_factory):
    task_id = _leak(session_factory).callback_task.id
    agent = actor(Role.HOTLINE_AGENT, user_id=None)
    done_at = T0 + timedelta(minutes=4)
    with transaction(session_factory) as db:
        intake.complete_callback_task(db, agent, task_id, done_at, note="script read, leaving")
    with session_factory() as db:
        assert pending_callback_tasks(db, done_at) == []
        task = db.get(IntakeCallbackTask, task_id)
        assert task.status is FollowUpStatus.DONE and task.done_at == done_at and task.done_by_id is None
        event = db.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "intake_callback_task",
                                                      AuditEvent.entity_id == str(task_id)))
    assert event.action == "intake.callback_done" and event.actor_label == agent.label
    assert event.note == "script read, leaving" and event.before["status"] == "pending"
    assert event.after["status"] == "done" and event.after["reached"] is True


def test_r6_2_completing_twice_is_refused_naming_status(session_factory):
    task_id = _leak(session_factory).callback_task.id
    with transaction(session_factory) as db:
        intake.complete_callback_task(db, AGENT, task_id, T0)
    with pytest.raises(ServiceError) as err, transaction(session_factory) as db:
        intake.complete_callback_task(db, AGENT, task_id, T0 + timedelta(minutes=1))
    assert err.value.field == "status"


def test_r6_2_unknown_task_and_bad_input_name_their_fields(session_factory):
    with pytest.raises(ServiceError) as err, transaction(session_factory) as db:
        intake.complete_callback_task(db, AGENT, 999_999, T0)
    assert err.value.field == "task_id"
    task_id = _leak(session_factory).callback_task.id
    with pytest.raises(ServiceError) as err, transaction(session_factory) as db:
        intake.complete_callback_task(db, AGENT, task_id, T0, note="x" * 5000)
    assert err.value.field == "note"


def test_r6_2_a_crew_member_cannot_complete_a_task(session_factory):
    task_id = _leak(session_factory).callback_task.id
    with pytest.raises(PermissionDenied), transaction(session_factory) as db:
        intake.complete_callback_task(db, actor(Role.CREW_MEMBER), task_id, T0)
    with session_factory() as db:
        assert db.get(IntakeCallbackTask, task_id).status is FollowUpStatus.PENDING


def test_r6_2_no_answer_keeps_the_task_pending_and_counts_the_attempt(session_factory):
    task_id = _leak(session_factory).callback_task.id
    for minute in (1, 2):
        with transaction(session_factory) as db:
            task = intake.complete_callback_task(db, AGENT, task_id, T0 + timedelta(minutes=minute), reached=False)
            assert task.status is FollowUpStatus.PENDING and task.done_at is None
    with session_factory() as db:
        rows = pending_callback_tasks(db, T0 + timedelta(minutes=5))
        notes = db.scalars(sa.select(AuditEvent.note).where(AuditEvent.action == "intake.callback_attempt")).all()
    assert [r.task_id for r in rows] == [task_id] and rows[0].attempts == 2
    assert notes == ["no answer", "no answer"]
    with transaction(session_factory) as db:
        intake.complete_callback_task(db, AGENT, task_id, T0 + timedelta(minutes=6))
    with session_factory() as db:
        assert pending_callback_tasks(db, T0 + timedelta(minutes=7)) == []
