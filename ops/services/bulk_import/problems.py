"""How an import finds, collects and reports what is wrong with a batch.

A person fixes a refused file in a spreadsheet of thousands of rows, so each problem names the
record (its position and its key) and the field, and one refusal lists many problems at once
(up to :data:`MAX_PROBLEMS`) so that one round of fixes can address most of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["MAX_PROBLEMS", "FieldError", "ImportProblem", "ImportRejected", "validate_each"]

#: Bound on the problems collected per call: enough to fix a file in a few rounds, not a flood.
MAX_PROBLEMS = 50

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class ImportProblem:
    """One invalid field of one record; ``record_index`` is the position in the batch (0-based)."""

    record_index: int
    record_key: str | None
    field: str
    message: str

    def __str__(self) -> str:
        key = f" ({self.record_key})" if self.record_key else ""
        return f"record {self.record_index}{key}: {self.field}: {self.message}"


class ImportRejected(ValueError):  # noqa: N818 - the name the brief and callers use
    """A batch was refused; nothing of it was saved.

    ``record_index``, ``field`` and ``message`` describe the first problem; ``problems`` lists all
    that were found (up to :data:`MAX_PROBLEMS`), so one round of fixes can address most of them.
    """

    def __init__(self, record_index: int, field: str, message: str, *,
                 record_key: str | None = None, problems: Sequence[ImportProblem] = ()) -> None:
        self.record_index = record_index
        self.field = field
        self.message = message
        self.record_key = record_key
        first = ImportProblem(record_index, record_key, field, message)
        self.problems: tuple[ImportProblem, ...] = tuple(problems) or (first,)
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        super().__init__(f"import rejected, nothing saved: {first}{suffix}")


class FieldError(Exception):
    """One field of the record being checked is invalid.

    Internal to the package: :func:`validate_each` turns it into an :class:`ImportProblem` that
    also names the record, which the field checks deep inside a record do not know.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def validate_each(
    items: Sequence[T], check: Callable[[int, T], R], key: Callable[[T], str | None],
) -> list[R]:
    """``check`` every item, or raise :class:`ImportRejected` listing the problems found.

    Checking goes on past a refused record, so one refusal reports many, until
    :data:`MAX_PROBLEMS`. ``key`` names a refused record for the person fixing the file.
    """
    problems: list[ImportProblem] = []
    checked: list[R] = []
    for i, item in enumerate(items):
        try:
            checked.append(check(i, item))
        except FieldError as exc:
            problems.append(ImportProblem(i, key(item), exc.field, exc.message))
            if len(problems) >= MAX_PROBLEMS:
                break
    if problems:
        first = problems[0]
        raise ImportRejected(first.record_index, first.field, first.message,
                             record_key=first.record_key, problems=problems)
    return checked
