"""Creating user accounts: who can log in, with which roles (R13.1: every action is attributable)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ops.audit import record, snapshot
from ops.models import User, UserRight, UserRole
from ops.permissions import GRANTABLE_RIGHTS, Actor, require
from ops.vocabulary import Role

__all__ = ["AccountError", "create_user", "grant_right"]

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """Invalid account data; ``field`` names the form field to attach the message to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    roles: Iterable[Role | str],
    password: str | None,
    now: datetime,
    language: str = "zh_CN",
) -> User:
    """Create an active user with ``roles`` and a hashed password (never stored in clear).

    ``password=None`` creates an account that cannot log in yet (e.g. imported staff who must set
    one first). The audit event snapshots the new row without its password hash.
    """
    require(actor, "user.create")
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise AccountError("username", "use 2-80 lower-case letters, digits, '.', '_' or '-'")
    if not display_name.strip():
        raise AccountError("display_name", "a display name is required")
    try:
        role_set = sorted({Role(r) for r in roles})
    except ValueError as exc:
        raise AccountError("roles", str(exc)) from None
    if not role_set:
        raise AccountError("roles", "a user needs at least one role")
    if Role.SYSTEM in role_set:
        raise AccountError("roles", "the system role belongs to the scheduler and importers, not to people")
    if language not in ("zh_CN", "en"):
        raise AccountError("language", f"unsupported language {language!r} (zh_CN or en)")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password", f"use at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise AccountError("username", f"{username!r} is already taken")

    user = User(
        username=username,
        display_name=display_name.strip(),
        password_hash=generate_password_hash(password) if password is not None else None,
        language=language,
        active=True,
        created_at=now,
        roles=[UserRole(role=r) for r in role_set],
    )
    session.add(user)
    session.flush()
    record(
        session, actor_id=actor.user_id, actor_label=actor.label, action="user.create",
        entity="user", entity_id=user.id,
        after={**snapshot(user), "roles": [r.value for r in role_set]}, at=now,
    )
    return user


def grant_right(session: Session, actor: Actor, user: User, right: str, *, now: datetime) -> User:
    """Grant ``user`` a single right on top of their roles, e.g. R7.5's dispatch-confirm right.

    Who granted it and when is kept on the row and in the audit log (R13.1).
    """
    require(actor, "user.grant_right")
    if right not in GRANTABLE_RIGHTS:
        raise AccountError("right", f"{right!r} is not a grantable right ({', '.join(sorted(GRANTABLE_RIGHTS))})")
    if right in user.right_set:
        return user
    user.rights.append(UserRight(right=right, granted_by_id=actor.user_id, granted_at=now))
    session.flush()
    record(session, actor_id=actor.user_id, actor_label=actor.label, action="user.grant_right",
           entity="user", entity_id=user.id, after={"right": right}, at=now)
    return user
