"""Retiming the plan after a board move runs after the move committed: it must never undo or hide it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ops import scheduler


def test_a_failed_retime_is_logged_and_leaves_the_request_to_the_scheduler(monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(scheduler, "replan", broken)
    with caplog.at_level("ERROR", logger="ops.scheduler"):
        assert scheduler.retime(None, datetime(2026, 12, 2, tzinfo=UTC), None) is False
    assert "retiming the plan after a move failed" in caplog.text


def test_a_retime_answers_at_once_with_the_retime_budget(monkeypatch):
    seen = {}
    monkeypatch.setattr(scheduler, "replan", lambda *_a, **kw: seen.update(kw) or True)
    assert scheduler.retime(None, datetime(2026, 12, 2, tzinfo=UTC), None) is True
    assert seen == {"every_s": 0, "budget_s": pytest.approx(scheduler.RETIME_BUDGET_S)}
