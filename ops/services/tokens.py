"""API tokens: bearer credentials for scripts and devices, never more powerful than their user.

A token acts as its user, narrowed to its scopes (``ops.permissions.SCOPES``, ``token_actor``):
an action needs both the user's current roles (or R7.5 right) and a scope naming it. The user row
is read afresh on every request, so disabling the user or removing a role takes effect at once on
every token they own. Only the SHA-256 digest of a token is stored; the raw token is shown once, at
creation, and appears neither in the database nor in the audit log (R13.1 attributes each use to
the token's user, through the actor's label).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.audit import record, snapshot
from ops.errors import NotFoundError, ServiceError, check_aware
from ops.models import ApiToken, Crew, CrewMember, User
from ops.permissions import SCOPES, Actor, actor_for_user, allowed, require, token_actor
from ops.services.auth import LAST_SEEN_RESOLUTION, MAX_RAW_TOKEN_LENGTH, hash_token, is_stale

__all__ = [
    "TOKEN_PREFIX",
    "TokenIdentity",
    "authenticate_token",
    "create_token",
    "list_tokens",
    "revoke_token",
    "touch_token",
]

#: Every raw token starts with this, so a leaked one is recognisable (e.g. by secret scanners).
TOKEN_PREFIX = "gd_"
#: How many leading characters of the raw token are kept for display.
DISPLAY_PREFIX_LENGTH = 12
MAX_NAME_LENGTH = 100
#: The scope that binds a token to one crew.
CREW_SCOPE = "crew"


@dataclass(frozen=True)
class TokenIdentity:
    """Who an API request acts as: the token's user, narrowed to the token's scopes.

    ``actor`` is the *scoped* actor (``token_actor``): services that call ``require(actor, ...)``
    with it enforce the scopes on their own. ``user_actor`` is the user's unnarrowed actor, for
    display only. ``crew_id`` is the one crew a ``crew``-scoped token may report for; it is ``None``
    (and the ``crew`` scope absent from ``scopes``) once the user no longer belongs to that crew.
    ``last_used_at`` is the stamp as it was read, so a caller that authenticated read-only can tell
    whether :func:`touch_token` is due (:meth:`use_unrecorded`).
    """

    token_id: int
    name: str
    user_id: int
    actor: Actor
    user_actor: Actor
    scopes: frozenset[str]
    crew_id: int | None
    last_used_at: datetime | None = None

    def use_unrecorded(self, now: datetime) -> bool:
        """This use is not yet reflected in ``last_used_at`` (it is older than the resolution)."""
        return is_stale(self.last_used_at, now)

    def allowed(self, action: str) -> bool:
        """The user may do ``action`` and one of the token's scopes names it."""
        return allowed(self.actor, action)

    def require(self, action: str) -> None:
        """:func:`ops.permissions.require` for this token's actor."""
        require(self.actor, action)


def _member_of(session: Session, user_id: int, crew_id: int) -> bool:
    return session.scalar(
        sa.select(CrewMember.id).where(CrewMember.user_id == user_id, CrewMember.crew_id == crew_id)
    ) is not None


def create_token(
    session: Session,
    actor: Actor,
    *,
    user_id: int,
    name: str,
    scopes: Iterable[str],
    crew_code: str | None = None,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user_id`` and return it with its raw value, which is shown only now.

    Refused (a ``ServiceError`` naming the field) for an unknown scope, a scope whose action the user
    may not perform themselves (a token never widens its user's rights), a ``crew`` scope without
    a crew the user belongs to, or an expiry not in the future. Audited as ``token.create`` with
    the display prefix, never the token.
    """
    require(actor, "token.manage")
    check_aware(now, "now")
    user = session.get(User, user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    if user is None:
        raise NotFoundError("user.not_found", "user_id", {"value": repr(user_id)})
    if not user.active:
        raise ServiceError("user.disabled", "user_id", {"user": user.username})
    name = (name or "").strip()
    if not name:
        raise ServiceError("token.name_required", "name")
    if len(name) > MAX_NAME_LENGTH:
        raise ServiceError("text.max_length", "name", {"max": MAX_NAME_LENGTH})
    wanted = sorted({scopes} if isinstance(scopes, str) else set(scopes))
    known = ", ".join(SCOPES)
    if not wanted:
        raise ServiceError("scope.required", "scopes", {"known": known})
    for scope in wanted:
        if scope not in SCOPES:
            raise ServiceError("scope.unknown", "scopes", {"value": repr(scope), "known": known})
    owner = actor_for_user(user)
    for scope in wanted:
        if not allowed(owner, SCOPES[scope]):
            raise ServiceError("scope.not_allowed", "scopes",
                               {"user": user.username, "action": SCOPES[scope], "scope": repr(scope)})
    crew: Crew | None = None
    if CREW_SCOPE in wanted:
        if not (crew_code or "").strip():
            raise ServiceError("token.crew_required", "crew_code")
        crew = session.scalar(sa.select(Crew).where(Crew.code == crew_code.strip()))
        if crew is None:
            raise ServiceError("crew.code_unknown", "crew_code", {"code": repr(crew_code)})
        if not _member_of(session, user.id, crew.id):
            raise ServiceError("token.not_member", "crew_code", {"user": user.username, "crew": crew.code})
    elif crew_code is not None:
        raise ServiceError("token.crew_scope_only", "crew_code")
    if expires_at is not None:
        check_aware(expires_at, "expires_at")
        if expires_at <= now:
            raise ServiceError("token.expiry_past", "expires_at")

    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, prefix=raw[:DISPLAY_PREFIX_LENGTH], token_hash=hash_token(raw),
        scopes=wanted, crew_id=crew.id if crew else None, created_at=now, created_by_id=actor.user_id,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    record(session, actor_id=actor.user_id, actor_label=actor.label, action="token.create", entity="api_token",
           entity_id=token.id, after={**_public(token), "username": user.username}, at=now)
    return token, raw


def _public(token: ApiToken) -> dict:
    """The token's row for the audit log, without its hash."""
    return {k: v for k, v in snapshot(token).items() if k != "token_hash"}


def revoke_token(session: Session, actor: Actor, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke a token for good; revoking a revoked token is a no-op. Audited as ``token.revoke``."""
    require(actor, "token.manage")
    check_aware(now, "now")
    token = session.get(ApiToken, token_id) if isinstance(token_id, int) and not isinstance(token_id, bool) else None
    if token is None:
        raise NotFoundError("token.not_found", "token_id", {"value": repr(token_id)})
    if token.revoked_at is not None:
        return token
    token.revoked_at = now
    session.flush()
    record(session, actor_id=actor.user_id, actor_label=actor.label, action="token.revoke", entity="api_token",
           entity_id=token.id, before={"revoked_at": None}, after={"revoked_at": now}, at=now)
    return token


def list_tokens(session: Session, user_id: int | None = None, *, include_revoked: bool = True) -> list[ApiToken]:
    """Tokens (of one user, or all), newest first; the caller checks ``token.manage``."""
    query = sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(session.scalars(query))


def authenticate_token(
    session: Session, raw_token: str | None, *, now: datetime, touch: bool = True,
) -> TokenIdentity | None:
    """The identity behind a bearer token, or ``None`` if unknown, revoked, expired or its user disabled.

    The user's roles are read now, so the token can do only what its user may do today. With
    ``touch`` it also updates ``last_used_at`` at most once per ``LAST_SEEN_RESOLUTION`` (the caller
    commits). The API passes ``touch=False`` from a read-only session on every request and calls
    :func:`touch_token` in a short write transaction only when ``identity.use_unrecorded(now)``,
    as the web layer does for page sessions, so that most API calls never take SQLite's write lock.
    """
    check_aware(now, "now")
    if not raw_token or not isinstance(raw_token, str) or len(raw_token) > MAX_RAW_TOKEN_LENGTH:
        return None
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(raw_token)))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    scopes = frozenset(token.scopes) & frozenset(SCOPES)
    crew_id = token.crew_id
    if CREW_SCOPE in scopes and (crew_id is None or not _member_of(session, user.id, crew_id)):
        scopes -= {CREW_SCOPE}
        crew_id = None
    if CREW_SCOPE not in scopes:
        crew_id = None
    last_used_at = token.last_used_at
    if touch:
        touch_token(session, token.id, now=now)
    user_actor = actor_for_user(user)
    # Stored in every audit event it writes and shown as is in any language: no English words in it.
    label = f"{user_actor.label} · API #{token.id} {token.name!r}"[:200]
    return TokenIdentity(
        token_id=token.id, name=token.name, user_id=user.id, actor=token_actor(user_actor, scopes, label=label),
        user_actor=user_actor, scopes=scopes, crew_id=crew_id, last_used_at=last_used_at,
    )


def touch_token(session: Session, token_id: int, *, now: datetime) -> None:
    """Record that the token was used, at most once per ``LAST_SEEN_RESOLUTION`` (the caller commits).

    One conditional UPDATE rather than read-compare-write: when two requests both found the stamp
    stale, the second one's UPDATE matches no row instead of moving the stamp again.
    """
    check_aware(now, "now")
    session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token_id,
               sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_SEEN_RESOLUTION))
        .values(last_used_at=now)
    )
