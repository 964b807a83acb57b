"""Timestamp checks and elapsed-time arithmetic for the rules and services.

Time arithmetic is done on elapsed time (in UTC) and returned in the caller's time zone. Python's
aware-datetime arithmetic within one zone is wall-clock arithmetic, which would make a deadline
that spans a daylight-saving change one hour early or late (America/Santiago changes twice a year).
Naive datetimes are refused outright: their instant is unknown, so no deadline can be measured
from them.

The zone the utility works in is a rule setting: see :func:`ops.rules.local_zone`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["as_utc", "elapsed_after", "epoch", "from_epoch", "require_aware"]


def require_aware(value: datetime, field_name: str) -> datetime:
    """``value`` itself if it is a timezone-aware datetime; ``field_name`` names it in the error otherwise."""
    if not isinstance(value, datetime):
        raise TypeError(f"{field_name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field_name} must be timezone-aware (got naive {value.isoformat()})")
    return value


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC, where subtraction and comparison measure real elapsed time."""
    return value.astimezone(UTC)


def elapsed_after(start: datetime, delta: timedelta) -> datetime:
    """Elapsed-time addition: the result is ``delta`` of real time after ``start``, in start's zone."""
    return (as_utc(start) + delta).astimezone(start.tzinfo)


def epoch(value: datetime) -> int:
    """Whole seconds since the epoch: the optimizer's one clock (it takes plain numbers)."""
    return int(value.timestamp())


def from_epoch(seconds: int | float) -> datetime:
    """The UTC instant of an optimizer time (stored recommendations keep their times as such)."""
    return datetime.fromtimestamp(int(seconds), UTC)
