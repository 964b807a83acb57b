"""Shifts are read through one function (ops.shifts): the day's shift, and the one in force now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from ops.rules import RuleSettings
from ops.shifts import shift_for, shift_in_force

RULES = RuleSettings(timezone="America/Santiago")  # UTC-3 in December


@dataclass
class Crew:
    shift_start_hour: int
    shift_end_hour: int
    active: bool = True


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


def test_a_night_shift_belongs_to_the_day_it_starts():
    assert shift_for(Crew(20, 8), date(2026, 12, 1), RULES) == (utc(1, 23), utc(2, 11))
    assert shift_for(Crew(20, 8, active=False), date(2026, 12, 1), RULES) is None


def test_the_shift_in_force_is_last_nights_until_it_ends_then_never_ends_before_now():
    night = Crew(20, 8)
    assert shift_in_force(night, utc(2, 10), RULES) == (utc(1, 23), utc(2, 11))  # 07:00 local
    assert shift_in_force(night, utc(2, 12), RULES) == (utc(1, 23), utc(2, 12))  # 09:00: over, ends now
    assert shift_in_force(Crew(8, 20), utc(2, 12), RULES) == (utc(2, 11), utc(2, 23))
