"""R7.2-R7.4 escalation times.

Each test is named after the RULES.md rule it checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ops.rules import RuleSettings, escalation_times
from tests.unit.rules.common import C1, C2, C3, DEFAULTS, T0


def test_r7_2_ack_deadline_10_minutes_after_dispatch():
    dispatched = T0 + timedelta(minutes=40)
    assert escalation_times(C2, T0, dispatched, rules=DEFAULTS).ack_by == T0 + timedelta(minutes=50)
    assert escalation_times(C2, T0, rules=DEFAULTS).ack_by is None


def test_r7_6_ack_clock_runs_from_when_the_order_became_current():
    """A queued order (no ``current_since`` yet) has no clock; once promoted, 10 min from the promotion."""
    assert escalation_times(C2, T0, None, rules=DEFAULTS).ack_by is None
    promoted = T0 + timedelta(hours=3)
    assert escalation_times(C2, T0, current_since=promoted, rules=DEFAULTS).ack_by == promoted + timedelta(minutes=10)


def test_r7_3_auto_dispatch_after_3_minutes():
    e = escalation_times(C1, T0, rules=DEFAULTS)
    assert e.auto_dispatch_at == T0 + timedelta(minutes=3)


def test_r7_4_red_alert_after_20_minutes():
    e = escalation_times(C1, T0, T0 + timedelta(minutes=2), rules=DEFAULTS)
    assert e.red_alert_at == T0 + timedelta(minutes=20)
    assert e.ack_by == T0 + timedelta(minutes=12)


@pytest.mark.parametrize("cls", [C2, C3])
def test_r7_3_r7_4_only_for_class1(cls):
    e = escalation_times(cls, T0, rules=DEFAULTS)
    assert (e.auto_dispatch_at, e.red_alert_at) == (None, None)


def test_r7_escalation_needs_aware_times():
    with pytest.raises(ValueError, match="current_since"):
        escalation_times(C1, T0, datetime(2026, 3, 10, 14, 5), rules=DEFAULTS)
    with pytest.raises(ValueError, match="received_at"):
        escalation_times(C1, datetime(2026, 3, 10, 14, 5), rules=DEFAULTS)


def test_r7_3_env_override(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GASDISPATCH_RULE_CLASS1_AUTO_DISPATCH_MINUTES", "5")
    assert escalation_times(C1, T0, rules=RuleSettings()).auto_dispatch_at == T0 + timedelta(minutes=5)
