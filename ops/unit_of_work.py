"""Running one service call: the one way every entry point (API, pages, CLI, scheduler, demo feed) writes.

The service itself checks the actor, validates and writes the change with its audit event; what is
left for the caller is the same everywhere and lives here once: open the transaction, commit or roll
back, and, for a request that carries an idempotency key, answer a lost race with the winner's result
instead of an error. A refusal (:class:`ops.errors.ServiceError`) leaves the database as it was, and
the caller's edge turns it into words (``dashboard.errors``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ops.db import transaction
from ops.errors import ConflictError

__all__ = ["run"]

T = TypeVar("T")


def run(sessions: sessionmaker[Session], work: Callable[[Session], T], *,
        replay: Callable[[Session], T | None] | None = None) -> T:
    """Run ``work`` in one transaction and return what it returns (render inside it: rows stay usable).

    ``replay`` is for idempotent requests: when the database refuses the write as a duplicate
    (another request with the same idempotency key committed first, e.g. a double click or a
    client's retry), it is called in a fresh transaction and its result is the answer. A concurrent
    change that is not such a replay (a double dispatch refused by a unique index, a stale version)
    is a :class:`~ops.errors.ConflictError` naming ``status``.
    """
    try:
        with transaction(sessions) as db:
            return work(db)
    except sa.exc.IntegrityError as exc:
        # ``from exc``: the answer is a 409, but the log keeps which constraint refused what.
        if replay is None:
            raise ConflictError("conflict", "status") from exc
        with transaction(sessions) as db:
            result = replay(db)
        if result is None:
            raise ConflictError("conflict", "status") from exc
        return result
    except StaleDataError as exc:
        raise ConflictError("conflict", "status") from exc
