"""Checks of single fields, shared by every kind of record.

Each check raises :class:`~ops.services.bulk_import.problems.FieldError` with the field's name as
the caller spells it (``work_orders[1].arrived_at``), so the message leads to the cell to fix.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Mapping
from datetime import datetime
from typing import Any, TypeVar

from ops.services.bulk_import.problems import FieldError
from ops.services.bulk_import.records import AreaCheck

__all__ = [
    "aware",
    "between",
    "check_now",
    "coordinates",
    "enum",
    "inside_check",
    "is_number",
    "is_whole",
    "known",
    "new_key",
    "not_after",
    "not_before",
    "text",
]

T = TypeVar("T")
V = TypeVar("V")


def check_now(now: datetime) -> None:
    """Refuse a naive ``now``: it stamps audit events and bounds every milestone (a caller's bug)."""
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be a timezone-aware datetime, got {now!r}")


def aware(value: Any, name: str, *, required: bool = True) -> datetime | None:
    """A timezone-aware datetime: a naive one would be read in whichever zone the server runs in."""
    if value is None:
        if required:
            raise FieldError(name, "is required")
        return None
    if not isinstance(value, datetime):
        raise FieldError(name, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise FieldError(name, f"must be timezone-aware (got naive {value.isoformat()})")
    return value


def enum(kind: type[T], value: Any, name: str) -> T:
    """The member of ``kind`` for ``value``; the refusal lists the allowed values."""
    try:
        return kind(value)  # type: ignore[call-arg]
    except (ValueError, TypeError):
        allowed = ", ".join(str(m.value) for m in kind)  # type: ignore[attr-defined]
        raise FieldError(name, f"{value!r} is not one of: {allowed}") from None


def text(value: Any, name: str, *, required: bool = True, limit: int | None = None) -> str | None:
    """Stripped text within the column's length; blank counts as missing."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FieldError(name, "is required")
        return None
    if not isinstance(value, str):
        raise FieldError(name, f"must be text, got {type(value).__name__}")
    value = value.strip()
    if limit is not None and len(value) > limit:
        raise FieldError(name, f"is longer than {limit} characters")
    return value


def is_whole(value: Any, *, low: int = 0, high: int | None = None) -> bool:
    """Whether ``value`` is a whole number in ``[low, high]``; ``True`` is not a number of anything."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        return False
    return high is None or value <= high


def is_number(value: Any) -> bool:
    """Whether ``value`` is a finite real number (a measurement or a coordinate), ``bool`` excluded."""
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def known(table: Mapping[str, V], key: str, name: str, noun: str) -> V:
    """What ``key`` refers to in ``table`` (crews, users, districts ... looked up for the batch)."""
    if key not in table:
        raise FieldError(name, f"unknown {noun} {key!r}")
    return table[key]


def new_key(value: Any, name: str, noun: str, existing: Container[str], seen: set[str]) -> str:
    """A record's key (code, number) that is in neither the database nor the batch so far.

    The key joins ``seen`` even if the record fails later, so a second record with it is reported
    as a duplicate too.
    """
    key = text(value, name, limit=32)
    assert key is not None
    if key in existing or key in seen:
        raise FieldError(name, f"{noun} {key!r} already exists")
    seen.add(key)
    return key


def inside_check(area: AreaCheck) -> Callable[[float, float], bool]:
    """The service area as a predicate, whether it was given as bounds or as a predicate."""
    if callable(area):
        return area
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in area)
    except (TypeError, ValueError):
        raise TypeError("area must be (min_lon, min_lat, max_lon, max_lat) or a callable(lon, lat)") from None
    return lambda lon, lat: min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def coordinates(lon: Any, lat: Any, inside: Callable[[float, float], bool]) -> tuple[float, float]:
    """A point in the service area: one outside it is most often swapped or mistyped coordinates."""
    for name, value, bound in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        if not is_number(value):
            raise FieldError(name, f"{value!r} is not a coordinate")
        if not -bound <= value <= bound:
            raise FieldError(name, f"{value!r} is out of range")
    if not inside(float(lon), float(lat)):
        raise FieldError("lon", f"({lon}, {lat}) lies outside the service area")
    return float(lon), float(lat)


def not_after(value: datetime, limit: datetime, name: str, limit_name: str) -> None:
    """Refuse ``value`` later than ``limit``; the message names both, to show which one is wrong."""
    if value > limit:
        raise FieldError(name, f"{value.isoformat()} is after {limit_name} ({limit.isoformat()})")


def not_before(value: datetime, limit: datetime, name: str, limit_name: str) -> None:
    """Refuse ``value`` earlier than ``limit``; the message names both, to show which one is wrong."""
    if value < limit:
        raise FieldError(name, f"{value.isoformat()} is before {limit_name} ({limit.isoformat()})")


def between(value: datetime, name: str, start: datetime, start_name: str,
            end: datetime, end_name: str) -> None:
    """Refuse ``value`` outside ``[start, end]``: a step of a lifecycle after the one before it."""
    not_before(value, start, name, start_name)
    not_after(value, end, name, end_name)
