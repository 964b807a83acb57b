"""The "at risk" fact: a deadline that will be missed, or kept by less than the configured margin.

The scheduler raises its AT_RISK alert when a crew's predicted arrival is late; the board marks a
ticket whose next deadline is that close. Both ask :func:`at_risk`, so the two cannot disagree about
what "at risk" means or move its threshold apart (``RuleSettings.at_risk_margin_minutes``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ops.clock import as_utc, require_aware
from ops.rules import NextDeadline, RuleSettings
from ops.rules.settings import resolve

__all__ = ["at_risk"]


def at_risk(deadline: NextDeadline, now: datetime, *, predicted_at: datetime | None = None,
            rules: RuleSettings | None = None) -> bool:
    """Whether ``deadline`` is met later than the margin before it.

    ``predicted_at`` is when its milestone is expected to be met (a crew's predicted arrival); a
    reader with no prediction (the board has no drive times) passes none, and the earliest the
    milestone can be met is then ``now``.
    """
    earliest = as_utc(require_aware(now, "now"))
    if predicted_at is not None:
        earliest = max(earliest, as_utc(require_aware(predicted_at, "predicted_at")))
    margin = timedelta(minutes=resolve(rules).at_risk_margin_minutes)
    return earliest > as_utc(deadline.at) - margin
