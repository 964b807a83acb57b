"""The one error type of every ops service: a code, the field at fault and the values of the message.

A service never formats a sentence. It raises ``ServiceError("order.wrong_step", "status",
{"step": "acknowledge", ...})`` and the edge that shows it (a page, the REST API, the CLI) looks the
code up in :mod:`ops.messages`, translates the template into the user's language and only then fills
in the values. Formatting first and translating afterwards can never work: the formatted sentence is
not in any catalog, so a zh_CN user would read English (which is what happened before this module).

One call may report several problems at once (a form with three bad fields gets three messages in one
round trip, an API client one 422 naming every field): :meth:`ServiceError.of` builds such an error
from a list of :class:`Problem`. The subclasses say what *kind* of refusal it is, which the REST edge
turns into a status code; nothing else depends on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Self

from ops.messages import MESSAGES

__all__ = [
    "ID_MAX",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "Problem",
    "Problems",
    "ServiceError",
    "check_aware",
    "english",
    "is_id",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: what (``code``), where (``field``), and the values the message names."""

    code: str
    field: str | None = None
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in MESSAGES:
            # A typo in a service must fail its tests, not show the user a bare code.
            raise KeyError(f"unknown message code {self.code!r}: add it to ops.messages.MESSAGES")
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def template(self) -> str:
        """The English source text (the gettext msgid) with ``%(name)s`` placeholders."""
        return MESSAGES[self.code]


def english(problem: Problem) -> str:
    """The message in the source language, for logs, the CLI and the API (which speaks English)."""
    return problem.template % {k: _plain(v) for k, v in problem.params.items()}


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_plain(v) for v in value)
    return str(getattr(value, "value", value))


class ServiceError(Exception):
    """A service refused a request on its data (HTTP 422 at the API edge).

    ``code``, ``field`` and ``params`` describe the first problem; ``problems`` holds them all.
    """

    #: What kind of refusal this is; the REST edge maps it to a status code.
    kind: ClassVar[str] = "invalid"

    def __init__(self, code: str, field: str | None = None, params: Mapping[str, Any] | None = None, *,
                 more: Iterable[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = (Problem(code, field, params or _EMPTY), *more)
        super().__init__("; ".join(f"{p.field}: {english(p)}" if p.field else english(p) for p in self.problems))

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> Self:
        """One error reporting every problem found (at least one)."""
        first, *rest = problems
        return cls(first.code, first.field, first.params, more=rest)

    @property
    def code(self) -> str:
        return self.problems[0].code

    @property
    def field(self) -> str | None:
        return self.problems[0].field

    @property
    def params(self) -> Mapping[str, Any]:
        return self.problems[0].params

    @property
    def fields(self) -> dict[str, str]:
        """``{field: English message}`` for every problem that names a field (the API's ``fields``)."""
        return {p.field: english(p) for p in self.problems if p.field}


class NotFoundError(ServiceError):
    """The ticket, order, crew, alert... named by the request does not exist (404)."""

    kind = "not_found"


class ConflictError(ServiceError):
    """The request is valid but the record is not in a state that allows it, or changed meanwhile (409)."""

    kind = "conflict"


class ForbiddenError(ServiceError):
    """The actor may do this kind of thing, but not to this record, e.g. another crew's order (403)."""

    kind = "forbidden"


class Problems:
    """Collects the problems of one request so that all of them are reported together.

    >>> found = Problems()
    >>> found.add("required", "cause")
    >>> found.raise_if_any()  # raises ServiceError naming ``cause``
    """

    def __init__(self) -> None:
        self._items: list[Problem] = []

    def add(self, code: str, field: str | None = None, params: Mapping[str, Any] | None = None) -> None:
        self._items.append(Problem(code, field, params or _EMPTY))

    def __contains__(self, field: str) -> bool:
        return any(p.field == field for p in self._items)

    def raise_if_any(self, kind: type[ServiceError] = ServiceError) -> None:
        if self._items:
            raise kind.of(self._items)


#: The largest row id: the id columns are 32-bit integers on PostgreSQL, and a larger number would
#: reach the database as an error (SQLite's overflow, PostgreSQL's out of range) rather than "no such row".
ID_MAX = 2**31 - 1


def is_id(value: object) -> bool:
    """Whether ``value`` can name a row: a whole number (not a bool) from 1 to :data:`ID_MAX`."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= ID_MAX


def check_aware(value: object, field: str) -> None:
    """Refuse a time without its UTC offset: every clock in the rules compares instants (``field`` named)."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ServiceError("aware_time_required", field)
