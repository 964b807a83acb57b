"""ops.services.tokens: API tokens that never outgrow their user, stored only as digests (R13.1)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ops.db import transaction
from ops.errors import ServiceError
from ops.models import ApiToken, AuditEvent, Crew, User
from ops.permissions import SYSTEM_ACTOR, Actor, PermissionDenied, actor_for_user, require
from ops.services import accounts, tokens
from ops.services.auth import hash_token
from ops.services.crews import CrewMemberIn, create_crew
from ops.services.tokens import TokenIdentity
from ops.vocabulary import Role

PASSWORD = "correct horse battery"


@pytest.fixture
def users(session_factory: sessionmaker[Session], t0: datetime) -> dict[str, int]:
    """An admin, a hotline agent, a dispatcher and a crew member of crew C01 (crew C02 has nobody)."""
    ids = {}
    with transaction(session_factory) as s:
        for code in ("C01", "C02"):
            create_crew(s, SYSTEM_ACTOR, code=code, name=f"Crew {code}", depot_id=None, skills=["leak_repair"],
                        shift_pattern="day", shift_start_hour=8, shift_end_hour=20,
                        members=[CrewMemberIn(name="Ana")], now=t0)
        for name, role, crew in [("admin", Role.ADMIN, None), ("hu", Role.HOTLINE_AGENT, None),
                                 ("li", Role.DISPATCHER, None), ("ana", Role.CREW_MEMBER, "C01")]:
            ids[name] = accounts.create_user(s, SYSTEM_ACTOR, username=name, display_name=name.title(),
                                             roles=[role], password=PASSWORD, now=t0, crew_code=crew).id
    return ids


@pytest.fixture
def admin(session_factory: sessionmaker[Session], users: dict[str, int]) -> Actor:
    with session_factory() as s:
        return actor_for_user(s.get(User, users["admin"]))


def create(session_factory, actor: Actor, user_id: int, scopes, now: datetime, **kw) -> tuple[int, str]:
    with transaction(session_factory) as s:
        token, raw = tokens.create_token(s, actor, user_id=user_id, name=kw.pop("name", "script"),
                                         scopes=scopes, now=now, **kw)
        return token.id, raw


def authenticate(session_factory, raw: str, now: datetime) -> TokenIdentity | None:
    with transaction(session_factory) as s:
        return tokens.authenticate_token(s, raw, now=now)


def crew_id(session_factory, code: str) -> int:
    with session_factory() as s:
        return s.scalar(sa.select(Crew.id).where(Crew.code == code))


def test_r13_1_only_the_digest_is_stored_and_the_raw_token_is_nowhere(session_factory, users, admin, t0) -> None:
    token_id, raw = create(session_factory, admin, users["hu"], ["tickets:read", "tickets:write"], t0)
    assert raw.startswith("gd_") and len(raw) > 40
    with session_factory() as s:
        row = s.get(ApiToken, token_id)
        assert row.token_hash == hash_token(raw) and row.prefix == raw[:12]
        assert row.scopes == ["tickets:read", "tickets:write"] and row.created_by_id == users["admin"]
        stored = [tuple(r) for r in s.execute(sa.select(*ApiToken.__table__.columns)).all()]
        audit = s.execute(sa.select(AuditEvent.before, AuditEvent.after, AuditEvent.note)).all()
    assert raw not in repr(stored)
    dumped = json.dumps([tuple(r) for r in audit])
    assert raw not in dumped and hash_token(raw) not in dumped
    with session_factory() as s:
        [event] = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "token.create")).all()
    assert event.actor_id == users["admin"] and event.entity == "api_token" and event.entity_id == str(token_id)
    assert event.after["prefix"] == raw[:12] and event.after["username"] == "hu"


def test_a_token_acts_as_its_user_narrowed_to_its_scopes(session_factory, users, admin, t0) -> None:
    token_id, raw = create(session_factory, admin, users["hu"], ["tickets:read"], t0)
    identity = authenticate(session_factory, raw, t0)
    assert (identity.token_id, identity.user_id, identity.crew_id) == (token_id, users["hu"], None)
    assert identity.scopes == frozenset({"tickets:read"})
    assert identity.allowed("ticket.read")
    # The hotline agent may create tickets, but this token was not given that scope ...
    assert identity.user_actor.has_role(Role.HOTLINE_AGENT) and not identity.allowed("ticket.create")
    # ... and a service handed the token's actor refuses on its own.
    with pytest.raises(PermissionDenied):
        require(identity.actor, "ticket.create")
    assert identity.actor.label == f"Hu · API #{token_id} 'script'" and identity.actor.user_id == users["hu"]


def test_r13_1_a_scope_the_user_may_not_use_is_refused_at_creation(session_factory, users, admin, t0) -> None:
    with pytest.raises(ServiceError) as excinfo, transaction(session_factory) as s:
        tokens.create_token(s, admin, user_id=users["li"], name="x", scopes=["tickets:read", "admin"], now=t0)
    assert excinfo.value.field == "scopes"
    assert "user li may not user.manage" in str(excinfo.value) and "'admin'" in str(excinfo.value)
    # R7.5: the dispatch scope needs the confirm right, which li gets only when granted.
    with pytest.raises(ServiceError, match="'dispatch'"), transaction(session_factory) as s:
        tokens.create_token(s, admin, user_id=users["li"], name="x", scopes=["dispatch"], now=t0)
    with transaction(session_factory) as s:
        accounts.grant_right(s, admin, users["li"], "dispatch.confirm", now=t0)
    _, raw = create(session_factory, admin, users["li"], ["dispatch"], t0)
    assert authenticate(session_factory, raw, t0).allowed("dispatch.confirm")
    with session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


@pytest.mark.parametrize(("scopes", "field", "message"), [
    ([], "scopes", "at least one scope"),
    (["tickets:read", "superpowers"], "scopes", "'superpowers'"),
    (["crew"], "crew_code", "must name its crew"),
])
def test_bad_scopes_are_named(session_factory, users, admin, t0, scopes, field, message) -> None:
    with pytest.raises(ServiceError, match=message) as excinfo, transaction(session_factory) as s:
        tokens.create_token(s, admin, user_id=users["ana"], name="x", scopes=scopes, now=t0)
    assert excinfo.value.field == field


def test_only_token_managers_create_and_revoke_tokens(session_factory, users, t0) -> None:
    with session_factory() as s:
        li = actor_for_user(s.get(User, users["li"]))
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        tokens.create_token(s, li, user_id=users["li"], name="mine", scopes=["tickets:read"], now=t0)
    token_id, _ = create(session_factory, SYSTEM_ACTOR, users["li"], ["tickets:read"], t0)
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        tokens.revoke_token(s, li, token_id, now=t0)


def test_r13_1_a_token_loses_what_its_user_loses(session_factory, users, admin, t0) -> None:
    _, raw = create(session_factory, admin, users["hu"], ["tickets:read", "tickets:write"], t0)
    assert authenticate(session_factory, raw, t0).allowed("ticket.create")
    with transaction(session_factory) as s:
        accounts.set_roles(s, admin, users["hu"], ["callback_agent"], now=t0)
    identity = authenticate(session_factory, raw, t0 + timedelta(minutes=1))
    assert not identity.allowed("ticket.create")  # the callback agent does not take reports ...
    assert identity.allowed("ticket.read")  # ... but still reads tickets


def test_disabled_users_tokens_stop_authenticating(session_factory, users, admin, t0) -> None:
    _, raw = create(session_factory, admin, users["hu"], ["tickets:read"], t0)
    with transaction(session_factory) as s:
        accounts.set_active(s, admin, users["hu"], False, now=t0 + timedelta(minutes=1))
    assert authenticate(session_factory, raw, t0 + timedelta(minutes=2)) is None
    with session_factory() as s:
        assert s.scalars(sa.select(ApiToken.revoked_at)).one() == t0 + timedelta(minutes=1)
        event = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.disable")).one()
        assert event.after["tokens_revoked"] == 1
    with pytest.raises(ServiceError, match="disabled"), transaction(session_factory) as s:
        tokens.create_token(s, admin, user_id=users["hu"], name="x", scopes=["tickets:read"], now=t0)


def test_a_disabled_user_is_refused_even_if_the_token_was_not_revoked(session_factory, users, admin, t0) -> None:
    _, raw = create(session_factory, admin, users["hu"], ["tickets:read"], t0)
    with transaction(session_factory) as s:
        s.get(User, users["hu"]).active = False  # e.g. by a hand-made SQL change
    assert authenticate(session_factory, raw, t0) is None


def test_revoked_expired_and_unknown_tokens_do_not_authenticate(session_factory, users, admin, t0) -> None:
    revoked_id, revoked = create(session_factory, admin, users["hu"], ["tickets:read"], t0)
    _, expiring = create(session_factory, admin, users["hu"], ["tickets:read"], t0,
                         expires_at=t0 + timedelta(days=1))
    with transaction(session_factory) as s:
        tokens.revoke_token(s, admin, revoked_id, now=t0 + timedelta(minutes=1))
        tokens.revoke_token(s, admin, revoked_id, now=t0 + timedelta(minutes=2))  # no-op
    assert authenticate(session_factory, revoked, t0 + timedelta(minutes=3)) is None
    assert authenticate(session_factory, expiring, t0 + timedelta(hours=23)) is not None
    assert authenticate(session_factory, expiring, t0 + timedelta(days=1)) is None
    for raw in ("", "gd_nope", "x" * 5000, hash_token(expiring)):
        assert authenticate(session_factory, raw, t0) is None
    with session_factory() as s:
        revokes = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "token.revoke")).all()
    assert [e.entity_id for e in revokes] == [str(revoked_id)]
    with pytest.raises(ServiceError, match="expiry"), transaction(session_factory) as s:
        tokens.create_token(s, admin, user_id=users["hu"], name="x", scopes=["tickets:read"], now=t0,
                            expires_at=t0)
    with pytest.raises(ServiceError) as excinfo, transaction(session_factory) as s:
        tokens.revoke_token(s, admin, 999, now=t0)
    assert excinfo.value.field == "token_id"


def test_crew_scope_is_bound_to_the_users_own_crew(session_factory, users, admin, t0) -> None:
    with pytest.raises(ServiceError, match="not a member of crew C02") as excinfo, transaction(session_factory) as s:
        tokens.create_token(s, admin, user_id=users["ana"], name="gps", scopes=["crew"], crew_code="C02", now=t0)
    assert excinfo.value.field == "crew_code"
    with pytest.raises(ServiceError, match="no crew"), transaction(session_factory) as s:
        tokens.create_token(s, admin, user_id=users["ana"], name="gps", scopes=["crew"], crew_code="C9", now=t0)
    with pytest.raises(ServiceError, match="only a token with the crew scope"), transaction(session_factory) as s:
        tokens.create_token(s, admin, user_id=users["ana"], name="gps", scopes=["tickets:read"],
                            crew_code="C01", now=t0)
    # A dispatcher is no crew member: the role check refuses before the crew is looked at.
    with pytest.raises(ServiceError, match=r"crew\.report_position"), transaction(session_factory) as s:
        tokens.create_token(s, admin, user_id=users["li"], name="gps", scopes=["crew"], crew_code="C01", now=t0)

    _, raw = create(session_factory, admin, users["ana"], ["crew", "tickets:read"], t0, crew_code="C01")
    identity = authenticate(session_factory, raw, t0)
    assert identity.crew_id == crew_id(session_factory, "C01") and identity.allowed("crew.report_position")
    # Once Ana works for another crew, the token no longer reports for C01 (and not for C02 either).
    with transaction(session_factory) as s:
        accounts.link_crew_member(s, admin, users["ana"], "C02", now=t0)
    identity = authenticate(session_factory, raw, t0 + timedelta(minutes=1))
    assert identity.crew_id is None and identity.scopes == frozenset({"tickets:read"})
    assert not identity.allowed("crew.report_position") and identity.allowed("ticket.read")


def test_last_used_is_written_at_most_once_a_minute(session_factory, users, admin, t0) -> None:
    token_id, raw = create(session_factory, admin, users["hu"], ["tickets:read"], t0)

    def last_used() -> datetime | None:
        with session_factory() as s:
            return s.get(ApiToken, token_id).last_used_at

    assert last_used() is None
    authenticate(session_factory, raw, t0)
    authenticate(session_factory, raw, t0 + timedelta(seconds=59))
    assert last_used() == t0
    authenticate(session_factory, raw, t0 + timedelta(seconds=60))
    assert last_used() == t0 + timedelta(seconds=60)


def test_a_read_only_check_writes_nothing_and_the_touch_is_one_conditional_update(
    session_factory, engine, users, admin, t0,
) -> None:
    """The API's split: authenticate read-only on every call, touch ``last_used_at`` only when stale."""
    token_id, raw = create(session_factory, admin, users["hu"], ["tickets:read"], t0)
    updates: list[str] = []

    def count_updates(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            updates.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count_updates)
    try:
        with session_factory() as s:
            identity = tokens.authenticate_token(s, raw, now=t0, touch=False)
            assert not s.dirty and not s.new
        assert identity is not None and identity.last_used_at is None and identity.use_unrecorded(t0)
        assert updates == []
        with transaction(session_factory) as s:
            tokens.touch_token(s, token_id, now=t0)
        with session_factory() as s:
            identity = tokens.authenticate_token(s, raw, now=t0 + timedelta(seconds=59), touch=False)
        assert identity.last_used_at == t0 and not identity.use_unrecorded(t0 + timedelta(seconds=59))
        # A request that read the stamp before another one refreshed it touches in vain, not twice.
        with transaction(session_factory) as s:
            tokens.touch_token(s, token_id, now=t0 + timedelta(seconds=30))
        assert len(updates) == 2
    finally:
        sa.event.remove(engine, "before_cursor_execute", count_updates)
    with session_factory() as s:
        assert s.get(ApiToken, token_id).last_used_at == t0
        assert tokens.authenticate_token(s, raw, now=t0 + timedelta(seconds=60), touch=False).use_unrecorded(
            t0 + timedelta(seconds=60))


def test_list_tokens_by_user_and_state(session_factory, users, admin, t0) -> None:
    first, _ = create(session_factory, admin, users["hu"], ["tickets:read"], t0, name="one")
    second, _ = create(session_factory, admin, users["hu"], ["tickets:read"], t0 + timedelta(seconds=1), name="two")
    other, _ = create(session_factory, admin, users["li"], ["tickets:read"], t0 + timedelta(seconds=2))
    with transaction(session_factory) as s:
        tokens.revoke_token(s, admin, first, now=t0)
    with session_factory() as s:
        assert [t.id for t in tokens.list_tokens(s)] == [other, second, first]
        assert [t.id for t in tokens.list_tokens(s, users["hu"])] == [second, first]
        assert [t.id for t in tokens.list_tokens(s, users["hu"], include_revoked=False)] == [second]
