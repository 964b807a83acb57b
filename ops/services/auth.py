"""Logging in and out: server-side sessions, throttled password checks, password changes (R13.1).

A browser holds only a random session token; the server stores its SHA-256 digest in
``user_sessions`` and resolves it to the user and their *current* roles on every request, so that
disabling an account, removing a role or changing a password takes effect at once rather than when
a signed cookie expires.

Every function takes ``now`` (timezone-aware) and works in the caller's transaction: it writes its
rows and its audit event (R13.1) and never commits. **A failed login raises after writing its
``login_attempts`` row and its audit event**, and those rows are what the throttle counts, so the
caller must commit them rather than let the exception roll the transaction back. Either catch the
exception inside the ``transaction()`` block, or use :func:`login_and_commit`, which does exactly that.

``last_seen_at`` and the API tokens' ``last_used_at`` are bookkeeping, not actions, and are not
audited; every other change here is.
"""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ops.audit import record
from ops.errors import ServiceError
from ops.models import AuditEvent, LoginAttempt, User, UserSession
from ops.permissions import SYSTEM_ACTOR, Actor, PermissionDenied, actor_for_user, require
from ops.services.accounts import (
    MIN_PASSWORD_LENGTH,
    check_password_policy,
    get_user,
    hash_password,
    verify_password,
)
from ops.settings import DEMO_SECRET_KEY, Settings

__all__ = [
    "INVALID_CREDENTIALS_MESSAGE",
    "LOGIN_MAX_FAILURES",
    "LOGIN_WINDOW",
    "MIN_PASSWORD_LENGTH",
    "SESSION_LIFETIME",
    "AuthError",
    "InvalidCredentials",
    "LoginResult",
    "LoginThrottled",
    "change_password",
    "check_password_policy",
    "hash_password",
    "hash_token",
    "is_stale",
    "login",
    "login_and_commit",
    "logout",
    "production_problems",
    "resolve_session",
    "revoke_sessions",
    "set_password",
    "touch_session",
    "verify_password",
]

#: Failed logins for one username, or from one address, are counted over this window ...
LOGIN_WINDOW = timedelta(seconds=60)
#: ... and once this many have failed, further attempts are refused without checking the password.
LOGIN_MAX_FAILURES = 9
#: A session lasts this long from login, however active (a shift plus margin); then log in again.
SESSION_LIFETIME = timedelta(hours=12)
#: ``last_seen_at`` is written at most this often, so that page polling does not write every second.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)

#: The one message for an unknown user, a wrong password and a disabled account alike, so that the
#: login form does not reveal which usernames exist.
INVALID_CREDENTIALS_MESSAGE = "invalid username or password"

#: Longest raw token looked up at all; anything longer is not one of ours.
MAX_RAW_TOKEN_LENGTH = 256


class AuthError(Exception):
    """A login refused; the message is safe to show on the login form."""


class InvalidCredentials(AuthError):  # noqa: N818 - reads as what happened
    """Unknown user, wrong password or disabled account: deliberately indistinguishable."""

    def __init__(self) -> None:
        super().__init__(INVALID_CREDENTIALS_MESSAGE)


class LoginThrottled(AuthError):  # noqa: N818
    """Too many failed logins for this username or from this address within ``LOGIN_WINDOW``."""

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(f"too many failed logins; try again in {retry_after_seconds} seconds")


@dataclass(frozen=True)
class LoginResult:
    """A successful login. ``raw_token`` goes into the session cookie and is stored nowhere else."""

    user: User
    actor: Actor
    raw_token: str
    expires_at: datetime
    session_id: int


def hash_token(raw_token: str) -> str:
    """The SHA-256 hex digest under which a session or API token is stored and looked up."""
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def is_stale(last_seen: datetime | None, now: datetime) -> bool:
    """Whether a ``last_seen_at`` / ``last_used_at`` stamp is due to be rewritten.

    One rule for sessions and API tokens, so that a read-only check can tell whether the
    following write transaction is needed at all.
    """
    return last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION


def _aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got naive {now.isoformat()}")


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the username is unknown, so both cases take the same scrypt time."""
    return hash_password(secrets.token_urlsafe(16))


def _recent_failures(session: Session, username: str, ip: str | None, now: datetime) -> list[datetime]:
    who = LoginAttempt.username == username
    if ip:
        who = sa.or_(who, LoginAttempt.ip == ip)
    return list(session.scalars(
        sa.select(LoginAttempt.at)
        .where(who, LoginAttempt.success.is_(False), LoginAttempt.throttled.is_(False),
               LoginAttempt.at > now - LOGIN_WINDOW, LoginAttempt.at <= now)
        .order_by(LoginAttempt.at)
    ))


def login(
    session: Session, username: str, password: str, *, ip: str | None, user_agent: str = "", now: datetime,
) -> LoginResult:
    """Check a username and password and open a server-side session (R13.1: who is acting).

    Throttling: when ``LOGIN_MAX_FAILURES`` logins have failed for this username or from this
    address within ``LOGIN_WINDOW``, the attempt is refused with :class:`LoginThrottled` *before*
    the password is checked, so a right password is refused too until the window has passed; the
    refusal itself does not count as a failure, so waiting is always enough. Otherwise a wrong
    password, an unknown username or a disabled account raise :class:`InvalidCredentials` with one
    generic message. Every attempt is written to ``login_attempts`` and the audit log (see the
    module docstring: the caller must commit them even when this raises).
    """
    _aware(now)
    name = (username or "").strip().lower()[:200]
    ip = (ip or "").strip()[:64] or None
    agent = (user_agent or "")[:300] or None
    anonymous = f"login attempt from {ip or 'an unknown address'}"

    failures = _recent_failures(session, name, ip, now)
    if len(failures) >= LOGIN_MAX_FAILURES:
        frees_at = failures[len(failures) - LOGIN_MAX_FAILURES] + LOGIN_WINDOW
        retry_after = max(1, math.ceil((frees_at - now).total_seconds()))
        session.add(LoginAttempt(username=name, ip=ip, at=now, success=False, throttled=True))
        record(session, actor_id=None, actor_label=anonymous, action="auth.login_throttled", entity="user",
               entity_id=None, after={"username": name, "ip": ip, "retry_after_seconds": retry_after}, at=now)
        session.flush()
        raise LoginThrottled(retry_after)

    user = session.scalar(sa.select(User).where(User.username == name)) if name else None
    password_ok = verify_password(user.password_hash if user is not None else _dummy_hash(), password or "")
    if user is None or not password_ok or not user.active:
        reason = ("unknown_user" if user is None else "no_password" if not user.password_hash
                  else "wrong_password" if not password_ok else "disabled")
        session.add(LoginAttempt(username=name, ip=ip, at=now, success=False))
        record(session, actor_id=None, actor_label=anonymous, action="auth.login_failed", entity="user",
               entity_id=user.id if user is not None else None,
               after={"username": name, "ip": ip, "user_agent": agent, "reason": reason}, at=now)
        session.flush()
        raise InvalidCredentials()

    raw_token = secrets.token_urlsafe(32)
    row = UserSession(token_hash=hash_token(raw_token), user_id=user.id, created_at=now, last_seen_at=now,
                      expires_at=now + SESSION_LIFETIME, ip=ip, user_agent=agent)
    session.add(row)
    session.add(LoginAttempt(username=name, ip=ip, at=now, success=True))
    session.flush()
    actor = actor_for_user(user)
    record(session, actor_id=actor.user_id, actor_label=actor.label, action="auth.login", entity="user_session",
           entity_id=row.id, after={"user_id": user.id, "ip": ip, "user_agent": agent,
                                    "expires_at": row.expires_at}, at=now)
    return LoginResult(user=user, actor=actor, raw_token=raw_token, expires_at=row.expires_at, session_id=row.id)


def login_and_commit(
    session_factory: sessionmaker[Session], username: str, password: str, *, ip: str | None,
    user_agent: str = "", now: datetime,
) -> LoginResult:
    """:func:`login` in its own transaction that commits the attempt even when the login fails.

    For the login route: it re-raises :class:`AuthError` only after the failed attempt and its
    audit event are stored, so the throttle sees them.
    """
    error: AuthError | None = None
    with session_factory() as session, session.begin():
        try:
            return login(session, username, password, ip=ip, user_agent=user_agent, now=now)
        except AuthError as exc:
            error = exc
    assert error is not None  # the block either returned or caught
    raise error


def _active_session(session: Session, raw_token: str | None, now: datetime) -> UserSession | None:
    if not raw_token or not isinstance(raw_token, str) or len(raw_token) > MAX_RAW_TOKEN_LENGTH:
        return None
    row = session.scalar(sa.select(UserSession).where(UserSession.token_hash == hash_token(raw_token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


def resolve_session(
    session: Session, raw_token: str | None, *, now: datetime, touch: bool = True,
) -> tuple[User, Actor] | None:
    """The user behind a session cookie and their actor, with the roles they hold *now*.

    ``None`` for an unknown, revoked or expired token, or a disabled user. With ``touch`` it also
    updates ``last_seen_at`` at most once per ``LAST_SEEN_RESOLUTION`` (the caller commits); the web
    layer passes ``touch=False`` from a read-only session on every request and calls
    :func:`touch_session` in a write transaction only when the minute has passed, so that checking
    who is asking never takes SQLite's write lock.
    """
    _aware(now)
    row = _active_session(session, raw_token, now)
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if touch:
        _touch(session, row, now)
    return user, actor_for_user(user)


def touch_session(session: Session, raw_token: str | None, *, now: datetime) -> None:
    """Record that the session was used (at most once per ``LAST_SEEN_RESOLUTION``)."""
    _aware(now)
    row = _active_session(session, raw_token, now)
    if row is not None:
        _touch(session, row, now)


def _touch(session: Session, row: UserSession, now: datetime) -> None:
    if is_stale(row.last_seen_at, now):
        row.last_seen_at = now
        session.flush()


def logout(session: Session, raw_token: str | None, *, now: datetime) -> None:
    """End the session behind ``raw_token``; an unknown or already ended session is a no-op."""
    _aware(now)
    row = _active_session(session, raw_token, now)
    if row is None:
        return
    row.revoked_at = now
    session.flush()
    user = session.get(User, row.user_id)
    actor = actor_for_user(user) if user is not None else SYSTEM_ACTOR
    record(session, actor_id=row.user_id, actor_label=actor.label, action="auth.logout", entity="user_session",
           entity_id=row.id, after={"revoked_at": now}, at=now)


def revoke_sessions(
    session: Session, user_id: int, *, now: datetime, except_token_hash: str | None = None,
    actor: Actor | None = None, reason: str | None = None,
) -> int:
    """Revoke every open session of ``user_id`` except the one hashed ``except_token_hash``.

    Returns how many were revoked; when any were, writes an ``auth.sessions_revoked`` audit event
    attributed to ``actor`` (the system when omitted) with ``reason`` as its note.
    """
    _aware(now)
    query = sa.update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if except_token_hash is not None:
        query = query.where(UserSession.token_hash != except_token_hash)
    count = session.execute(query.values(revoked_at=now)).rowcount or 0
    if count:
        who = actor or SYSTEM_ACTOR
        record(session, actor_id=who.user_id, actor_label=who.label, action="auth.sessions_revoked",
               entity="user", entity_id=user_id, after={"sessions_revoked": count}, note=reason, at=now)
    return count


def _set_hash(user: User, password: str, now: datetime) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = now


def change_password(
    session: Session, actor: Actor, user_id: int, *, old_password: str, new_password: str, now: datetime,
    current_token: str | None = None,
) -> User:
    """A user changes their own password (``account.self``), proving they know the current one.

    Every other session of the user is revoked (all of them unless ``current_token``, the raw token
    of the session making the change, is given), so a stolen session dies with the old password.
    API tokens are separate credentials and stay. The audit event holds no hash.
    """
    _aware(now)
    require(actor, "account.self")
    if actor.user_id is None or actor.user_id != user_id:
        raise PermissionDenied(actor, "account.self", "account.own_password_only")
    user = get_user(session, user_id)
    if not verify_password(user.password_hash, old_password or ""):
        raise ServiceError("password.wrong", "old_password")
    check_password_policy(new_password, username=user.username, field="new_password")
    if new_password == old_password:
        raise ServiceError("password.unchanged", "new_password")
    return _replace_password(session, actor, user, new_password, now=now, current_token=current_token,
                             action="user.change_password", reason="password changed")


def set_password(
    session: Session, actor: Actor, user_id: int, new_password: str, now: datetime, *,
    current_token: str | None = None,
) -> User:
    """An admin sets (resets) a user's password (``user.manage``), without knowing the old one.

    All the user's sessions are revoked (except ``current_token``'s, for an admin resetting their
    own); API tokens stay. The audit event holds no hash.
    """
    _aware(now)
    require(actor, "user.manage")
    user = get_user(session, user_id)
    check_password_policy(new_password, username=user.username)
    return _replace_password(session, actor, user, new_password, now=now, current_token=current_token,
                             action="user.set_password", reason="password set by an administrator")


def _replace_password(
    session: Session, actor: Actor, user: User, new_password: str, *, now: datetime,
    current_token: str | None, action: str, reason: str,
) -> User:
    """Store the new hash and end every other session, so a stolen one dies with the old password."""
    _set_hash(user, new_password, now)
    session.flush()
    keep = hash_token(current_token) if current_token else None
    revoked = revoke_sessions(session, user.id, now=now, except_token_hash=keep, actor=actor, reason=reason)
    record(session, actor_id=actor.user_id, actor_label=actor.label, action=action,
           entity="user", entity_id=user.id,
           after={"password_changed_at": now, "sessions_revoked": revoked}, at=now)
    return user


#: Same value as data.demo.DEMO_PASSWORD, for an installation that does not ship the demo package.
_DEMO_PASSWORD_FALLBACK = "demo-only-change-me"
_DEMO_MARKER = "demo.seed"
MIN_SECRET_KEY_LENGTH = 32


def _demo_password() -> str:
    try:
        from data.demo import DEMO_PASSWORD
    except ImportError:
        return _DEMO_PASSWORD_FALLBACK
    return DEMO_PASSWORD


def production_problems(settings: Settings, session: Session) -> list[str]:
    """What makes this deployment unsafe to run as production; ``[]`` outside production.

    The demo's secret key would let anyone sign cookies, and a demo password is printed in the
    README, so both are refused in production (R13.1: an action is attributable only if nobody else
    can log in as its author). Checking passwords costs one scrypt (about 0.1 s) per active user,
    once at start-up.
    """
    if settings.env != "production":
        return []
    problems: list[str] = []
    hint = "set SECRET_KEY to a random value, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    if settings.secret_key == DEMO_SECRET_KEY:
        problems.append(f"SECRET_KEY is the demo key; {hint}")
    elif len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters; {hint}")
    demo_password = _demo_password()
    rows = session.execute(
        sa.select(User.username, User.password_hash)
        .where(User.active.is_(True), User.password_hash.is_not(None)).order_by(User.username)
    ).all()
    weak = [name for name, password_hash in rows if verify_password(password_hash, demo_password)]
    if weak:
        problems.append(f"active users with the demo password: {', '.join(weak)}; "
                        "set new passwords or disable these accounts")
    if session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == _DEMO_MARKER).limit(1)) is not None:
        problems.append("the database holds the demo scenario (gasdispatch demo); production needs its own database")
    return problems
