"""The declarative base and the column types every table shares.

Two databases must behave the same (ARCHITECTURE.md: SQLite by default, PostgreSQL at scale), so the
types here deliberately avoid anything only one of them has: enums are strings with CHECK
constraints, timestamps are always UTC and always timezone-aware, JSON is plain ``sa.JSON``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum, IntEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.mutable import MutableList
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator

#: Deterministic constraint names, so that migrations (and SQLite batch mode, which must name what it
#: drops) can refer to every constraint by a name that is the same on both databases.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every model of the operational record."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is UTC on the way in and timezone-aware on the way out, on both databases.

    SQLite has no time zones and would hand back naive datetimes; PostgreSQL hands back the session's
    zone. Deadlines (R6) are compared across both, so a naive value is a bug we refuse at write time
    rather than a silent offset of a few hours.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} rejected: pass a timezone-aware datetime "
                "(e.g. datetime.now(UTC)); the operational record stores UTC only"
            )
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite stores the text without an offset; UTC is implied and re-attached on read.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class IntEnumType(TypeDecorator[IntEnum]):
    """An ``IntEnum`` stored as its integer, so SQL can sort and compare classes (1 before 2)."""

    impl = sa.Integer
    cache_ok = True

    def __init__(self, enum_class: type[IntEnum]) -> None:
        super().__init__()
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(self.enum_class(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> IntEnum | None:
        if value is None:
            return None
        return self.enum_class(value)


def str_enum(enum_class: type[Enum], name: str) -> sa.Enum:
    """A ``StrEnum`` column type stored as its value with a named CHECK constraint.

    ``name`` becomes the CHECK constraint's name, so give each column its own (a ticket has five
    ``Answer`` columns and each needs a distinct constraint).
    """
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
        # Roomy, so that adding a value later only changes the CHECK, not the column type.
        length=max(32, *(len(m.value) for m in enum_class)),
    )


def int_enum_check(column: str, enum_class: type[IntEnum]) -> sa.CheckConstraint:
    """The CHECK that keeps an ``IntEnumType`` column inside its enum."""
    values = ", ".join(str(int(m)) for m in enum_class)
    return sa.CheckConstraint(f"{column} IN ({values})", name=column)


def json_list() -> sa.types.TypeEngine[Any]:
    """A JSON list whose in-place changes (``append``) are noticed by the session."""
    return MutableList.as_mutable(sa.JSON())


def nullable_json() -> sa.JSON:
    """JSON where Python ``None`` is SQL NULL, so "no value" can be queried with ``IS NULL``."""
    return sa.JSON(none_as_null=True)


def pk() -> Any:
    return mapped_column(sa.Integer, primary_key=True)


def fk(target: str, *, ondelete: str | None = None, nullable: bool = False, index: bool = True) -> Any:
    """A foreign-key column; indexed by default because every FK here is also a lookup path."""
    return mapped_column(sa.ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)
