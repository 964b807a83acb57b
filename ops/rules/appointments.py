"""R6.4 appointment slots: which two-hour windows a class-3 customer is offered, in local time.

The slots of a day run from ``appointment_first_hour`` in steps of ``appointment_slot_hours`` while
they end by ``appointment_last_hour`` (defaults: 08–10 … 18–20, six slots), on the local calendar of
the utility's zone; a day that skips or repeats an hour (daylight saving) keeps its wall-clock slots.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ops.clock import as_utc, require_aware
from ops.rules.settings import RuleSettings, local_zone, resolve

__all__ = ["appointment_days", "day_slots", "slot_end_for", "slot_is_offered"]


def day_slots(day: date, rules: RuleSettings | None = None) -> list[tuple[datetime, datetime]]:
    """(start, end) of every slot offered on local ``day``, aware in the utility's zone."""
    r = resolve(rules)
    zone = local_zone(r)
    out = []
    hour = r.appointment_first_hour
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    while hour + r.appointment_slot_hours <= r.appointment_last_hour:
        end_hour = hour + r.appointment_slot_hours
        # wall-clock arithmetic (same tzinfo): 24 is the next day's midnight
        out.append((midnight + timedelta(hours=hour), midnight + timedelta(hours=end_hour)))
        hour = end_hour
    return out


def appointment_days(now: datetime, rules: RuleSettings | None = None) -> list[date]:
    """The local days whose slots are offered at ``now``: today and the days after it."""
    r = resolve(rules)
    today = require_aware(now, "now").astimezone(local_zone(r)).date()
    return [today + timedelta(days=k) for k in range(r.appointment_days)]


def slot_end_for(start: datetime, rules: RuleSettings | None = None) -> datetime:
    """The end of the slot that starts at ``start`` (elapsed time, as deadlines are measured)."""
    return as_utc(require_aware(start, "slot_start")) + timedelta(hours=resolve(rules).appointment_slot_hours)


def slot_is_offered(start: datetime, rules: RuleSettings | None = None) -> bool:
    """Whether ``start`` is the start of one of its local day's offered slots."""
    local = require_aware(start, "slot_start").astimezone(local_zone(rules))
    return any(as_utc(s) == as_utc(start) for s, _ in day_slots(local.date(), rules))
