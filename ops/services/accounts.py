"""User accounts: who can log in, with which roles and rights (R13.1: every action is attributable).

Every function here checks the actor with ``ops.permissions.require`` first, validates its input
into an :class:`ops.errors.ServiceError` that names the offending form field, and writes its audit event in the
caller's transaction (never commits). Passwords are stored only as salted scrypt hashes, and no hash
ever reaches the audit log (``ops.audit.SECRET_FIELDS``).

The password helpers live here rather than in ``ops.services.auth`` (which re-exports them) because
creating a user needs them and the login code builds on this module, not the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ops.audit import record, snapshot
from ops.errors import ConflictError, NotFoundError, ServiceError
from ops.models import ApiToken, Crew, CrewMember, User, UserRight, UserRole, UserSession
from ops.permissions import GRANTABLE_RIGHTS, Actor, require
from ops.vocabulary import Role

__all__ = [
    "LANGUAGES",
    "MIN_PASSWORD_LENGTH",
    "check_password_policy",
    "create_user",
    "get_user",
    "grant_right",
    "hash_password",
    "link_crew_member",
    "list_users",
    "revoke_right",
    "set_active",
    "set_language",
    "set_roles",
    "verify_password",
]

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
MIN_PASSWORD_LENGTH = 10
#: Longer input is refused rather than hashed: scrypt over megabytes is a cheap way to load a server.
MAX_PASSWORD_LENGTH = 1024
LANGUAGES: tuple[str, ...] = ("zh_CN", "en")


# -- passwords -------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password``; the clear text is never stored anywhere."""
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; ``False`` for an account without a password."""
    if not password_hash:
        return False
    try:
        return check_password_hash(password_hash, password)
    except (ValueError, TypeError):  # a malformed or foreign hash matches nothing
        return False


def check_password_policy(password: str, *, username: str, field: str = "password") -> None:
    """Refuse a password that is too short (``MIN_PASSWORD_LENGTH``) or equal to the username.

    Raises :class:`ops.errors.ServiceError` naming ``field`` (the form field the password was typed into).
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError("password.too_short", field, {"min": MIN_PASSWORD_LENGTH})
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ServiceError("text.max_length", field, {"max": MAX_PASSWORD_LENGTH})
    if password.strip().lower() == username.strip().lower():
        raise ServiceError("password.is_username", field)


# -- helpers ---------------------------------------------------------------------------------------


def _audit(session: Session, actor: Actor, action: str, user: User, *, now: datetime,
           before: dict | None = None, after: dict | None = None, note: str | None = None) -> None:
    record(session, actor_id=actor.user_id, actor_label=actor.label, action=action, entity="user",
           entity_id=user.id, before=before, after=after, note=note, at=now)


def get_user(session: Session, user_id: int) -> User:
    """The user with ``user_id``, or :class:`ops.errors.NotFoundError` on ``user_id``."""
    user = session.get(User, user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    if user is None:
        raise NotFoundError("user.not_found", "user_id", {"value": repr(user_id)})
    return user


def _user(session: Session, user: User | int) -> User:
    return user if isinstance(user, User) else get_user(session, user)


def list_users(session: Session) -> list[User]:
    """Every user, by username (for the admin page and ``gasdispatch user list``)."""
    return list(session.scalars(sa.select(User).order_by(User.username)))


def _parse_roles(roles: Iterable[Role | str]) -> list[Role]:
    if isinstance(roles, str):
        roles = [roles]
    parsed = set()
    for value in roles:
        try:
            parsed.add(Role(value))
        except ValueError:
            known = ", ".join(r.value for r in Role if r is not Role.SYSTEM)
            raise ServiceError("role.unknown", "roles", {"value": repr(value), "known": known}) from None
    if not parsed:
        raise ServiceError("role.required", "roles")
    if Role.SYSTEM in parsed:
        raise ServiceError("role.system_reserved", "roles")
    return sorted(parsed)


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ServiceError("language.unsupported", "language", {"value": repr(language), "known": " or ".join(LANGUAGES)})


def _other_active_admins(session: Session, user_id: int) -> int:
    return session.scalar(
        sa.select(sa.func.count(sa.distinct(User.id)))
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN, User.active.is_(True), User.id != user_id)
    ) or 0


def _crew_link(session: Session, user_id: int) -> CrewMember | None:
    return session.scalar(sa.select(CrewMember).where(CrewMember.user_id == user_id))


def _link_crew(session: Session, actor: Actor, user: User, crew_code: str, *, now: datetime) -> CrewMember:
    """Link ``user`` to the crew ``crew_code``: an unlinked member row of that name, or a new one.

    A person belongs to one crew at a time (``crew_members.user_id`` is unique), so an existing
    link to another crew is moved.
    """
    code = (crew_code or "").strip()
    crew = session.scalar(sa.select(Crew).where(Crew.code == code)) if code else None
    if crew is None:
        raise ServiceError("crew.code_unknown", "crew_code", {"code": repr(crew_code)})
    current = _crew_link(session, user.id)
    if current is not None and current.crew_id == crew.id:
        return current
    before = None
    if current is not None:
        before = {"crew_id": current.crew_id, "crew_member_id": current.id}
        current.user_id = None
        session.flush()
    member = session.scalar(
        sa.select(CrewMember)
        .where(CrewMember.crew_id == crew.id, CrewMember.user_id.is_(None), CrewMember.name == user.display_name)
        .order_by(CrewMember.id).limit(1)
    )
    if member is None:
        member = CrewMember(crew_id=crew.id, name=user.display_name)
        session.add(member)
    member.user_id = user.id
    session.flush()
    _audit(session, actor, "crew_member.link", user, now=now, before=before,
           after={"crew_id": crew.id, "crew_code": crew.code, "crew_member_id": member.id})
    return member


# -- services --------------------------------------------------------------------------------------


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
    crew_code: str | None = None,
) -> User:
    """Create an active user with ``roles`` and a hashed password (never stored in clear).

    ``password=None`` creates an account that cannot log in yet (e.g. imported staff who must set
    one first). ``crew_code`` links a crew member's login to that crew (the crew page shows their
    crew's work); a crew member created without it can be linked later, by ``link_crew_member`` or
    by ``ops.services.crews.create_crew`` naming the user as a member, as the demo does. The audit
    event snapshots the new row without its password hash.
    """
    require(actor, "user.create")
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise ServiceError("username.invalid", "username")
    if not display_name.strip():
        raise ServiceError("display_name.required", "display_name")
    role_set = _parse_roles(roles)
    _check_language(language)
    if password is not None:
        check_password_policy(password, username=username)
    if crew_code is not None and Role.CREW_MEMBER not in role_set:
        raise ServiceError("crew_link.members_only", "crew_code")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ServiceError("username.taken", "username", {"value": repr(username)})

    user = User(
        username=username,
        display_name=display_name.strip(),
        password_hash=hash_password(password) if password is not None else None,
        password_changed_at=now if password is not None else None,
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
    if crew_code is not None:
        _link_crew(session, actor, user, crew_code, now=now)
    return user


def grant_right(session: Session, actor: Actor, user: User | int, right: str, *, now: datetime) -> User:
    """Grant ``user`` a single right on top of their roles, e.g. R7.5's dispatch-confirm right.

    Who granted it and when is kept on the row and in the audit log (R13.1).
    """
    require(actor, "user.grant_right")
    user = _user(session, user)
    if right not in GRANTABLE_RIGHTS:
        raise ServiceError("right.unknown", "right", {"value": repr(right), "known": sorted(GRANTABLE_RIGHTS)})
    if right in user.right_set:
        return user
    user.rights.append(UserRight(right=right, granted_by_id=actor.user_id, granted_at=now))
    session.flush()
    record(session, actor_id=actor.user_id, actor_label=actor.label, action="user.grant_right",
           entity="user", entity_id=user.id, after={"right": right}, at=now)
    return user


def revoke_right(session: Session, actor: Actor, user: User | int, right: str, *, now: datetime) -> User:
    """Take a granted right away again (R7.5); a right the user does not hold is a no-op.

    Takes effect on the user's next request: sessions and tokens read the rights afresh.
    """
    require(actor, "user.manage")
    user = _user(session, user)
    if right not in GRANTABLE_RIGHTS:
        raise ServiceError("right.unknown", "right", {"value": repr(right), "known": sorted(GRANTABLE_RIGHTS)})
    held = next((r for r in user.rights if r.right == right), None)
    if held is None:
        return user
    before = {"right": right, "granted_by_id": held.granted_by_id, "granted_at": held.granted_at}
    user.rights.remove(held)
    session.flush()
    _audit(session, actor, "user.revoke_right", user, now=now, before=before)
    return user


def set_roles(
    session: Session, actor: Actor, user_id: int, roles: Iterable[Role | str], *, now: datetime,
    crew_code: str | None = None,
) -> User:
    """Replace the user's roles. Takes effect on their next request (sessions and tokens re-read roles).

    A ``crew_member`` must be linked to a crew: either already (``crew_members.user_id``) or through
    ``crew_code``. The last active admin cannot lose the admin role, or nobody could manage accounts.
    """
    require(actor, "user.manage")
    user = get_user(session, user_id)
    role_set = _parse_roles(roles)
    if crew_code is not None and Role.CREW_MEMBER not in role_set:
        raise ServiceError("crew_link.members_only", "crew_code")
    if Role.CREW_MEMBER in role_set and crew_code is None and _crew_link(session, user.id) is None:
        raise ServiceError("crew_link.required", "crew_code")
    if (Role.ADMIN in user.role_set and Role.ADMIN not in role_set and user.active
            and _other_active_admins(session, user.id) == 0):
        raise ConflictError("admin.last", "roles")
    before = sorted(r.value for r in user.role_set)
    if set(role_set) != user.role_set:
        for held in [r for r in user.roles if r.role not in role_set]:
            user.roles.remove(held)
        for role in role_set:
            if role not in user.role_set:
                user.roles.append(UserRole(role=role))
        session.flush()
        _audit(session, actor, "user.set_roles", user, now=now, before={"roles": before},
               after={"roles": [r.value for r in role_set]})
    if crew_code is not None:
        _link_crew(session, actor, user, crew_code, now=now)
    return user


def set_active(session: Session, actor: Actor, user_id: int, active: bool, *, now: datetime) -> User:
    """Enable or disable an account. Disabling also revokes every session and API token it has.

    A disabled user cannot log in, and ``actor_for_user`` gives them no role, so nothing they left
    running keeps acting for them. Re-enabling does not bring the old sessions or tokens back.
    An admin cannot disable their own account, and the last active admin cannot be disabled.
    """
    require(actor, "user.manage")
    user = get_user(session, user_id)
    if not isinstance(active, bool):
        raise ServiceError("active.invalid", "active", {"value": repr(active)})
    if user.active == active:
        return user
    if not active:
        if actor.user_id == user.id:
            raise ServiceError("active.self", "active")
        if Role.ADMIN in user.role_set and _other_active_admins(session, user.id) == 0:
            raise ConflictError("admin.last", "active")
    user.active = active
    after: dict = {"active": active}
    if not active:
        sessions = session.execute(
            sa.update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
        tokens = session.execute(
            sa.update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
        after |= {"sessions_revoked": sessions, "tokens_revoked": tokens}
    session.flush()
    _audit(session, actor, "user.enable" if active else "user.disable", user, now=now,
           before={"active": not active}, after=after)
    return user


def set_language(session: Session, actor: Actor, user_id: int, language: str, *, now: datetime) -> User:
    """Set the user's interface language: their own (``account.self``) or anyone's (``user.manage``)."""
    require(actor, "account.self" if actor.user_id is not None and actor.user_id == user_id else "user.manage")
    user = get_user(session, user_id)
    _check_language(language)
    if user.language == language:
        return user
    before = user.language
    user.language = language
    session.flush()
    _audit(session, actor, "user.set_language", user, now=now, before={"language": before},
           after={"language": language})
    return user


def link_crew_member(session: Session, actor: Actor, user_id: int, crew_code: str, *, now: datetime) -> CrewMember:
    """Link a crew member's login to the crew ``crew_code`` (moving it from another crew if needed)."""
    require(actor, "user.manage")
    user = get_user(session, user_id)
    if Role.CREW_MEMBER not in user.role_set:
        raise ServiceError("crew_link.members_only", "crew_code")
    return _link_crew(session, actor, user, crew_code, now=now)
