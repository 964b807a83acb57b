"""R6.2 (product): closing the call-back task a class-1 report without a voice call created.

A report from the app, WeChat or the counter only showed the safety guidance on a screen; a hotline
agent must ring the reporter, read the script and confirm people are leaving. The task stays in the
hotline queue until the agent says the reporter was reached; every unanswered attempt is kept in the
audit log (R13.1), so the queue can show how often someone already tried.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ops.audit import record, snapshot
from ops.errors import Problems, ServiceError, check_aware
from ops.models import IntakeCallbackTask
from ops.permissions import Actor, require
from ops.services.intake.report import MAX_TEXT
from ops.vocabulary import FollowUpStatus

#: Audit vocabulary of the task, also read by ``ops.reads.caller_lookup.pending_callback_tasks``.
AUDIT_ENTITY = "intake_callback_task"
ACTION_DONE = "intake.callback_done"
ACTION_ATTEMPT = "intake.callback_attempt"


def complete_callback_task(
    db: Session,
    actor: Actor,
    task_id: int,
    now: datetime,
    *,
    note: str | None = None,
    reached: bool = True,
) -> IntakeCallbackTask:
    """Record one call-back to the reporter; with ``reached`` the task is done, otherwise it stays pending.

    Runs in the caller's transaction: the task's new state and its audit event commit together.
    An unanswered call is not a failure of the task (the reporter may be leaving the premises, as told),
    so it is only recorded as an attempt and the task stays at the top of the queue.
    """
    require(actor, "ticket.create")
    check_aware(now, "now")
    problems = Problems()
    if note is not None and not isinstance(note, str):
        problems.add("text_required", "note")
    elif note is not None and len(note.strip()) > MAX_TEXT:
        problems.add("too_long", "note")
    if not isinstance(reached, bool):
        problems.add("yes_or_no", "reached")
    valid_id = isinstance(task_id, int) and not isinstance(task_id, bool)
    task = db.get(IntakeCallbackTask, task_id) if valid_id else None
    if task is None:
        problems.add("callback_task.not_found", "task_id")
    problems.raise_if_any()
    assert task is not None
    if task.status is not FollowUpStatus.PENDING:
        raise ServiceError("callback_task.done", "status")
    text = note.strip() if note and note.strip() else None
    before = snapshot(task)
    if reached:
        task.status = FollowUpStatus.DONE
        task.done_at = now
        task.done_by_id = actor.user_id
        action = ACTION_DONE
    else:
        action = ACTION_ATTEMPT
        text = text or "no answer"
    db.flush()
    record(db, actor_id=actor.user_id, actor_label=actor.label, action=action, entity=AUDIT_ENTITY,
           entity_id=task.id, before=before, after={**snapshot(task), "reached": reached}, note=text, at=now)
    return task
