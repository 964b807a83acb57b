"""When a crew works on a given day: the one function every reader of shifts goes through.

Today a crew has one daily shift, ``shift_start_hour``–``shift_end_hour`` in the utility's local
time (an end at or before the start runs past midnight). A later issue adds weekday rosters and
days off: they belong in :func:`shift_for`, and its callers (appointment grading first) follow.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from ops.rules import RuleSettings, local_zone, to_local

__all__ = ["CrewShiftColumns", "shift_for", "shift_in_force"]


class CrewShiftColumns(Protocol):
    """What :func:`shift_for` reads: an ORM ``Crew`` or a row selecting these columns."""

    @property
    def active(self) -> bool: ...
    @property
    def shift_start_hour(self) -> int: ...
    @property
    def shift_end_hour(self) -> int: ...


def shift_for(crew: CrewShiftColumns, day: date, rules: RuleSettings | None = None) -> tuple[datetime, datetime] | None:
    """(start, end) in UTC of the shift ``crew`` starts on local ``day``, or ``None`` if it does not work.

    A shift that starts on ``day`` and runs past midnight belongs to ``day``: the night crew of the
    1st works 22:00 on the 1st to 06:00 on the 2nd.
    """
    if not crew.active:
        return None
    zone = local_zone(rules)
    start = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(hours=int(crew.shift_start_hour))
    length = (int(crew.shift_end_hour) - int(crew.shift_start_hour)) % 24 or 24
    return start.astimezone(UTC), (start + timedelta(hours=length)).astimezone(UTC)


def shift_in_force(crew: CrewShiftColumns, now: datetime, rules: RuleSettings | None = None) -> tuple[datetime, datetime]:
    """The shift that started last before ``now`` (today's, or last night's), as (start, end) in UTC.

    Its end is never before ``now``: a crew still marked on shift after its end can take nothing new,
    rather than silently tomorrow's shift. The planner's shift end and the schedule board's window.
    """
    day = to_local(now, rules).date()
    for started in (day, day - timedelta(days=1)):
        shift = shift_for(crew, started, rules)
        if shift is not None and shift[0] <= now:
            return shift[0], max(shift[1], now)
    return now, now  # a crew that works no shift (inactive)
