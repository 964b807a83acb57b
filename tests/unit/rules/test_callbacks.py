"""R10 callback deadlines and order.

Each test is named after the RULES.md rule it checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ops.rules import RuleSettings, callback_due, callback_order_key
from tests.unit.rules.common import C1, C2, C3, DEFAULTS, SANTIAGO, T0


def test_r10_2_callback_48h_for_emergency():
    assert callback_due(C1, T0, rules=DEFAULTS) == T0 + timedelta(hours=48)


@pytest.mark.parametrize("cls", [C2, C3])
def test_r10_2_callback_24h_for_general_repairs(cls):
    assert callback_due(cls, T0, rules=DEFAULTS) == T0 + timedelta(hours=24)


def test_r10_2_callback_across_dst_is_elapsed_time():
    """Chile falls back at 00:00 on 2026-04-05: 24 h after 12:00 on the 4th is 11:00 on the 5th."""
    completed = datetime(2026, 4, 4, 12, 0, tzinfo=SANTIAGO)
    due = callback_due(C2, completed, rules=DEFAULTS)
    assert due.replace(tzinfo=None) == datetime(2026, 4, 5, 11, 0)


def test_r10_2_callback_env_override(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GASDISPATCH_RULE_CALLBACK_CLASS1_HOURS", "36")
    assert callback_due(C1, T0, rules=RuleSettings()) == T0 + timedelta(hours=36)


def test_r10_1_emergency_and_complaint_callbacks_first():
    soon = T0 + timedelta(hours=1)
    later = T0 + timedelta(hours=40)
    queue = {
        "general_soon": callback_order_key(C2, soon),
        "scheduled_soon": callback_order_key(C3, soon + timedelta(minutes=5)),
        "emergency_later": callback_order_key(C1, later),
        "complaint_later": callback_order_key(C3, later + timedelta(minutes=1), complaint=True),
    }
    order = sorted(queue, key=queue.__getitem__)
    assert order == ["emergency_later", "complaint_later", "general_soon", "scheduled_soon"]
