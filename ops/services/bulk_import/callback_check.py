"""Validating the R10.3 callback recorded after a completed historical work order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ops.services.bulk_import.fields import aware, between, enum, is_whole, text
from ops.services.bulk_import.history_context import HistoryContext
from ops.services.bulk_import.problems import FieldError
from ops.services.bulk_import.records import CallbackIn
from ops.vocabulary import Answer, FollowUpStatus

__all__ = ["check_callback"]

_QUESTIONS = ("arrived_on_time", "courteous", "fully_fixed")


def check_callback(
    cb: CallbackIn, prefix: str, completed_at: datetime, now: datetime, ctx: HistoryContext,
) -> tuple[FollowUpStatus, dict[str, Any], int | None]:
    """The callback's status, the customer's answers (as follow-up columns) and the agent's id.

    Only a call that was made is imported; a pending one is the follow-up task the writer creates
    anyway (R10.1), so it is refused rather than silently taken for done.
    """
    called = aware(cb.called_at, prefix + "called_at")
    assert called is not None
    between(called, prefix + "called_at", completed_at, "completed_at", now, "now")
    status = enum(FollowUpStatus, cb.status, prefix + "status")
    if not is_whole(cb.attempts, low=1):
        raise FieldError(prefix + "attempts", "a recorded callback has at least one attempt")
    if status is FollowUpStatus.PENDING:
        raise FieldError(prefix + "status", "a recorded callback is done or unreachable; leave it out if pending")
    answers: dict[str, Any] = {}
    if status is FollowUpStatus.DONE:
        if not is_whole(cb.score, low=1, high=5):
            raise FieldError(prefix + "score", f"{cb.score!r} is not a score from 1 to 5 (R10.3)")
        for name in _QUESTIONS:
            answers[name] = enum(Answer, getattr(cb, name), prefix + name)
        answers["score"] = cb.score
    elif cb.score is not None:
        raise FieldError(prefix + "score", "an unreachable customer gave no score")
    answers["suggestions"] = text(cb.suggestions, prefix + "suggestions", required=False)
    return status, answers, ctx.user(cb.agent, prefix + "agent")
