"""ops.services.auth and the account services, on SQLite and PostgreSQL.

R13.1: every action is attributable, so only the person can act as themselves (passwords,
throttling, sessions that end) and every change to an account is in the audit log, written in the
same transaction as the change.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ops.db import transaction
from ops.errors import ServiceError
from ops.models import AuditEvent, CrewMember, LoginAttempt, User, UserSession
from ops.permissions import SYSTEM_ACTOR, Actor, PermissionDenied, actor_for_user
from ops.services import accounts, auth
from ops.services.auth import (
    INVALID_CREDENTIALS_MESSAGE,
    LOGIN_MAX_FAILURES,
    SESSION_LIFETIME,
    AuthError,
    InvalidCredentials,
    LoginResult,
    LoginThrottled,
)
from ops.settings import DEMO_SECRET_KEY, Settings
from ops.vocabulary import Role

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple and another one"
IP = "10.0.0.7"


@pytest.fixture
def users(session_factory: sessionmaker[Session], t0: datetime) -> dict[str, int]:
    """One admin, one dispatcher and one planner, all with ``PASSWORD``."""
    ids = {}
    with transaction(session_factory) as s:
        for name, role in [("admin", Role.ADMIN), ("li", Role.DISPATCHER), ("wang", Role.PLANNER)]:
            ids[name] = accounts.create_user(s, SYSTEM_ACTOR, username=name, display_name=name.title(),
                                             roles=[role], password=PASSWORD, now=t0).id
    return ids


def actor_of(session_factory: sessionmaker[Session], user_id: int) -> Actor:
    with session_factory() as s:
        return actor_for_user(s.get(User, user_id))


def try_login(session_factory: sessionmaker[Session], username: str, password: str, now: datetime,
              ip: str = IP) -> LoginResult | AuthError:
    """The pattern a login route uses: the failed attempt is committed, then reported."""
    with transaction(session_factory) as s:
        try:
            return auth.login(s, username, password, ip=ip, user_agent="pytest", now=now)
        except AuthError as exc:
            return exc


def events(session_factory: sessionmaker[Session], action: str | None = None) -> list[AuditEvent]:
    with session_factory() as s:
        query = sa.select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return list(s.scalars(query))


def resolve(session_factory: sessionmaker[Session], raw: str, now: datetime):
    with transaction(session_factory) as s:
        return auth.resolve_session(s, raw, now=now)


# -- passwords ---------------------------------------------------------------------------------------


def test_password_hash_is_salted_scrypt_and_verifies() -> None:
    first, second = auth.hash_password(PASSWORD), auth.hash_password(PASSWORD)
    assert first.startswith("scrypt:") and first != second and PASSWORD not in first
    assert auth.verify_password(first, PASSWORD)
    assert not auth.verify_password(first, PASSWORD + "!")
    assert not auth.verify_password(None, PASSWORD) and not auth.verify_password("garbage", PASSWORD)


@pytest.mark.parametrize(("password", "problem"), [("short", "at least 10"), ("Li.Wei.2025", "username")])
def test_password_policy_names_the_field(password: str, problem: str) -> None:
    with pytest.raises(ServiceError, match=problem) as excinfo:
        auth.check_password_policy(password, username="li.wei.2025")
    assert excinfo.value.field == "password"


# -- login -------------------------------------------------------------------------------------------


def test_r13_1_login_opens_a_server_side_session_stored_as_a_digest(session_factory, users, t0) -> None:
    result = try_login(session_factory, " LI ", PASSWORD, t0)
    assert isinstance(result, LoginResult)
    assert result.user.id == users["li"] and result.actor.has_role(Role.DISPATCHER)
    assert result.expires_at == t0 + SESSION_LIFETIME and len(result.raw_token) >= 40
    with session_factory() as s:
        row = s.scalars(sa.select(UserSession)).one()
        assert row.token_hash == auth.hash_token(result.raw_token) != result.raw_token
        assert (row.user_id, row.ip, row.user_agent, row.revoked_at) == (users["li"], IP, "pytest", None)
        attempt = s.scalars(sa.select(LoginAttempt)).one()
        assert (attempt.username, attempt.ip, attempt.success) == ("li", IP, True)
    [event] = events(session_factory, "auth.login")
    assert (event.actor_id, event.entity, event.entity_id) == (users["li"], "user_session", str(row.id))
    assert result.raw_token not in json.dumps(event.after)
    user, actor = resolve(session_factory, result.raw_token, t0 + timedelta(minutes=5))
    assert user.id == users["li"] and actor.user_id == users["li"]


def test_r13_1_wrong_password_and_unknown_user_get_the_same_generic_error(session_factory, users, t0) -> None:
    wrong = try_login(session_factory, "li", "not the password", t0)
    unknown = try_login(session_factory, "nobody", PASSWORD, t0)
    assert isinstance(wrong, InvalidCredentials) and isinstance(unknown, InvalidCredentials)
    assert str(wrong) == str(unknown) == INVALID_CREDENTIALS_MESSAGE
    failed = events(session_factory, "auth.login_failed")
    assert [e.after["username"] for e in failed] == ["li", "nobody"]
    assert failed[0].entity_id == str(users["li"]) and failed[1].entity_id is None
    assert all(e.actor_id is None and IP in e.actor_label for e in failed)
    with session_factory() as s:
        assert s.scalars(sa.select(LoginAttempt.success)).all() == [False, False]
        assert s.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_r13_1_tenth_wrong_password_in_a_minute_is_throttled_and_so_is_the_right_one(
    session_factory, users, t0
) -> None:
    for i in range(LOGIN_MAX_FAILURES):
        assert isinstance(try_login(session_factory, "li", f"wrong {i}", t0 + timedelta(seconds=i)),
                          InvalidCredentials)
    tenth = try_login(session_factory, "li", "wrong again", t0 + timedelta(seconds=20))
    assert isinstance(tenth, LoginThrottled)
    # The oldest failure (t0) leaves the window at t0 + 60 s: 40 s from now.
    assert tenth.retry_after_seconds == 40
    right = try_login(session_factory, "li", PASSWORD, t0 + timedelta(seconds=30))
    assert isinstance(right, LoginThrottled), "the password is not even checked while throttled"
    assert len(events(session_factory, "auth.login_throttled")) == 2
    assert not events(session_factory, "auth.login")
    # Refused attempts do not extend the wait: once the last failure (t0 + 8 s) is 61 s old, the user is in.
    assert isinstance(try_login(session_factory, "li", PASSWORD, t0 + timedelta(seconds=8 + 61)), LoginResult)


def test_r13_1_throttle_counts_failures_from_one_address_across_usernames(session_factory, users, t0) -> None:
    for i in range(LOGIN_MAX_FAILURES):
        try_login(session_factory, f"guess{i}", PASSWORD, t0, ip="203.0.113.9")
    assert isinstance(try_login(session_factory, "wang", PASSWORD, t0, ip="203.0.113.9"), LoginThrottled)
    # Another address is not affected, and the user's own failures were none.
    assert isinstance(try_login(session_factory, "wang", PASSWORD, t0, ip="198.51.100.1"), LoginResult)


def test_login_and_commit_keeps_the_failed_attempt(session_factory, users, t0) -> None:
    with pytest.raises(InvalidCredentials):
        auth.login_and_commit(session_factory, "li", "nope nope nope", ip=IP, now=t0)
    result = auth.login_and_commit(session_factory, "li", PASSWORD, ip=IP, now=t0)
    assert isinstance(result, LoginResult)
    with session_factory() as s:
        assert s.scalars(sa.select(LoginAttempt.success).order_by(LoginAttempt.id)).all() == [False, True]


def test_r13_1_disabled_user_cannot_log_in_and_their_sessions_end(session_factory, users, t0) -> None:
    session_before = try_login(session_factory, "li", PASSWORD, t0)
    admin = actor_of(session_factory, users["admin"])
    with transaction(session_factory) as s:
        accounts.set_active(s, admin, users["li"], False, now=t0 + timedelta(minutes=1))
    assert resolve(session_factory, session_before.raw_token, t0 + timedelta(minutes=2)) is None
    refused = try_login(session_factory, "li", PASSWORD, t0 + timedelta(minutes=2))
    assert isinstance(refused, InvalidCredentials) and str(refused) == INVALID_CREDENTIALS_MESSAGE
    assert events(session_factory, "auth.login_failed")[-1].after["reason"] == "disabled"
    [event] = events(session_factory, "user.disable")
    assert event.actor_id == users["admin"] and event.after == {
        "active": False, "sessions_revoked": 1, "tokens_revoked": 0}
    with transaction(session_factory) as s:
        accounts.set_active(s, admin, users["li"], True, now=t0 + timedelta(minutes=3))
    assert resolve(session_factory, session_before.raw_token, t0 + timedelta(minutes=4)) is None
    assert isinstance(try_login(session_factory, "li", PASSWORD, t0 + timedelta(minutes=4)), LoginResult)


# -- sessions ----------------------------------------------------------------------------------------


def test_resolve_session_after_logout_is_none(session_factory, users, t0) -> None:
    result = try_login(session_factory, "wang", PASSWORD, t0)
    with transaction(session_factory) as s:
        auth.logout(s, result.raw_token, now=t0 + timedelta(minutes=10))
    assert resolve(session_factory, result.raw_token, t0 + timedelta(minutes=11)) is None
    [event] = events(session_factory, "auth.logout")
    assert event.actor_id == users["wang"] and event.entity == "user_session"
    with transaction(session_factory) as s:  # a second logout is a no-op
        auth.logout(s, result.raw_token, now=t0 + timedelta(minutes=12))
    assert len(events(session_factory, "auth.logout")) == 1


def test_sessions_expire_and_unknown_tokens_resolve_to_nothing(session_factory, users, t0) -> None:
    result = try_login(session_factory, "wang", PASSWORD, t0)
    assert resolve(session_factory, result.raw_token, t0 + SESSION_LIFETIME - timedelta(seconds=1)) is not None
    assert resolve(session_factory, result.raw_token, t0 + SESSION_LIFETIME) is None
    for raw in ("", "x" * 10_000, "not-a-token", auth.hash_token(result.raw_token)):
        assert resolve(session_factory, raw, t0) is None


def test_last_seen_is_written_at_most_once_a_minute(session_factory, users, t0) -> None:
    result = try_login(session_factory, "wang", PASSWORD, t0)

    def last_seen() -> datetime:
        with session_factory() as s:
            return s.scalars(sa.select(UserSession.last_seen_at)).one()

    resolve(session_factory, result.raw_token, t0 + timedelta(seconds=59))
    assert last_seen() == t0
    resolve(session_factory, result.raw_token, t0 + timedelta(seconds=60))
    assert last_seen() == t0 + timedelta(seconds=60)


def test_resolving_without_touch_writes_nothing_and_touch_session_does(session_factory, users, t0) -> None:
    """The web layer checks sessions read-only on every request and touches them separately."""
    result = try_login(session_factory, "wang", PASSWORD, t0)
    later = t0 + timedelta(minutes=5)
    with transaction(session_factory) as s:
        assert auth.resolve_session(s, result.raw_token, now=later, touch=False) is not None
        assert not s.dirty and not s.new
    with session_factory() as s:
        assert s.scalars(sa.select(UserSession.last_seen_at)).one() == t0
    with transaction(session_factory) as s:
        auth.touch_session(s, result.raw_token, now=later)
    with session_factory() as s:
        assert s.scalars(sa.select(UserSession.last_seen_at)).one() == later


def test_a_removed_role_is_gone_from_the_next_request(session_factory, users, t0) -> None:
    result = try_login(session_factory, "li", PASSWORD, t0)
    admin = actor_of(session_factory, users["admin"])
    with transaction(session_factory) as s:
        accounts.set_roles(s, admin, users["li"], ["planner"], now=t0)
    _, actor = resolve(session_factory, result.raw_token, t0 + timedelta(minutes=1))
    assert actor.roles == frozenset({Role.PLANNER})


# -- passwords changed and reset ---------------------------------------------------------------------


def test_r13_1_change_password_revokes_other_sessions_and_the_old_password(session_factory, users, t0) -> None:
    here = try_login(session_factory, "li", PASSWORD, t0)
    elsewhere = try_login(session_factory, "li", PASSWORD, t0 + timedelta(seconds=1))
    li = actor_of(session_factory, users["li"])
    with transaction(session_factory) as s:
        auth.change_password(s, li, users["li"], old_password=PASSWORD, new_password=NEW_PASSWORD,
                             now=t0 + timedelta(minutes=1), current_token=here.raw_token)
    later = t0 + timedelta(minutes=2)
    assert resolve(session_factory, here.raw_token, later) is not None
    assert resolve(session_factory, elsewhere.raw_token, later) is None
    assert isinstance(try_login(session_factory, "li", PASSWORD, later), InvalidCredentials)
    assert isinstance(try_login(session_factory, "li", NEW_PASSWORD, later), LoginResult)
    [event] = events(session_factory, "user.change_password")
    assert event.actor_id == users["li"] and event.after["sessions_revoked"] == 1
    with session_factory() as s:
        user = s.get(User, users["li"])
        assert user.password_changed_at == t0 + timedelta(minutes=1)
        dumped = json.dumps([(e.before, e.after) for e in s.scalars(sa.select(AuditEvent))])
    assert "scrypt" not in dumped and NEW_PASSWORD not in dumped and user.password_hash not in dumped


def test_change_password_checks_the_old_password_and_the_policy(session_factory, users, t0) -> None:
    li = actor_of(session_factory, users["li"])
    cases = [("wrong old one", NEW_PASSWORD, "old_password"), (PASSWORD, "short", "new_password"),
             (PASSWORD, PASSWORD, "new_password"), (PASSWORD, "li", "new_password")]
    for old, new, field in cases:
        with pytest.raises(ServiceError) as excinfo, transaction(session_factory) as s:
            auth.change_password(s, li, users["li"], old_password=old, new_password=new, now=t0)
        assert excinfo.value.field == field
    assert not events(session_factory, "user.change_password")


def test_nobody_changes_another_users_password_but_an_admin_resets_it(session_factory, users, t0) -> None:
    wang_session = try_login(session_factory, "wang", PASSWORD, t0)
    li, admin = actor_of(session_factory, users["li"]), actor_of(session_factory, users["admin"])
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        auth.change_password(s, li, users["wang"], old_password=PASSWORD, new_password=NEW_PASSWORD, now=t0)
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        auth.set_password(s, li, users["wang"], NEW_PASSWORD, now=t0)
    with transaction(session_factory) as s:
        auth.set_password(s, admin, users["wang"], NEW_PASSWORD, now=t0 + timedelta(minutes=1))
    assert resolve(session_factory, wang_session.raw_token, t0 + timedelta(minutes=2)) is None
    assert isinstance(try_login(session_factory, "wang", NEW_PASSWORD, t0 + timedelta(minutes=2)), LoginResult)
    [event] = events(session_factory, "user.set_password")
    assert event.actor_id == users["admin"] and event.entity_id == str(users["wang"])
    assert [e.after["sessions_revoked"] for e in events(session_factory, "auth.sessions_revoked")] == [1]


# -- account management ------------------------------------------------------------------------------


def test_set_roles_names_an_unknown_role_and_audits_the_change(session_factory, users, t0) -> None:
    admin = actor_of(session_factory, users["admin"])
    with pytest.raises(ServiceError, match="'chief'") as excinfo, transaction(session_factory) as s:
        accounts.set_roles(s, admin, users["li"], ["dispatcher", "chief"], now=t0)
    assert excinfo.value.field == "roles"
    with transaction(session_factory) as s:
        accounts.set_roles(s, admin, users["li"], ["dispatcher", "supervisor"], now=t0)
    [event] = events(session_factory, "user.set_roles")
    assert event.before == {"roles": ["dispatcher"]} and event.after == {"roles": ["dispatcher", "supervisor"]}
    li = actor_of(session_factory, users["li"])
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        accounts.set_roles(s, li, users["wang"], ["admin"], now=t0)


def test_the_last_active_admin_keeps_the_role_and_the_account(session_factory, users, t0) -> None:
    admin = actor_of(session_factory, users["admin"])
    with pytest.raises(ServiceError, match="last active admin"), transaction(session_factory) as s:
        accounts.set_roles(s, admin, users["admin"], ["planner"], now=t0)
    with pytest.raises(ServiceError, match="your own account"), transaction(session_factory) as s:
        accounts.set_active(s, admin, users["admin"], False, now=t0)
    with pytest.raises(ServiceError, match="last active admin"), transaction(session_factory) as s:
        accounts.set_active(s, SYSTEM_ACTOR, users["admin"], False, now=t0)
    with transaction(session_factory) as s:
        accounts.set_roles(s, admin, users["wang"], ["admin"], now=t0)
        accounts.set_roles(s, admin, users["admin"], ["planner"], now=t0)
    with session_factory() as s:
        assert s.get(User, users["admin"]).role_set == {Role.PLANNER}


def test_crew_member_is_linked_to_one_crew(session_factory, users, build, t0) -> None:
    with transaction(session_factory) as s:
        s.add_all([build.crew(code="C01"), build.crew(code="C02")])
    admin = actor_of(session_factory, users["admin"])
    with pytest.raises(ServiceError) as excinfo, transaction(session_factory) as s:
        accounts.set_roles(s, admin, users["wang"], ["crew_member"], now=t0)
    assert excinfo.value.field == "crew_code"
    with pytest.raises(ServiceError, match="no crew"), transaction(session_factory) as s:
        accounts.create_user(s, SYSTEM_ACTOR, username="ana", display_name="Ana", roles=["crew_member"],
                             password=PASSWORD, now=t0, crew_code="C99")
    with pytest.raises(ServiceError, match="crew_member role"), transaction(session_factory) as s:
        accounts.create_user(s, SYSTEM_ACTOR, username="ana", display_name="Ana", roles=["planner"],
                             password=PASSWORD, now=t0, crew_code="C01")
    with transaction(session_factory) as s:
        ana = accounts.create_user(s, SYSTEM_ACTOR, username="ana", display_name="Ana", roles=["crew_member"],
                                   password=PASSWORD, now=t0, crew_code="C01")
        accounts.set_roles(s, admin, users["wang"], ["crew_member"], now=t0, crew_code="C02")
    with transaction(session_factory) as s:
        accounts.link_crew_member(s, admin, ana.id, "C02", now=t0)
    with session_factory() as s:
        links = s.execute(sa.select(CrewMember.user_id, CrewMember.crew_id, CrewMember.name)
                          .where(CrewMember.user_id.is_not(None)).order_by(CrewMember.user_id)).all()
        crew_ids = dict(s.execute(sa.text("SELECT code, id FROM crews")).tuples().all())
    assert links == [(users["wang"], crew_ids["C02"], "Wang"), (ana.id, crew_ids["C02"], "Ana")]
    moved = events(session_factory, "crew_member.link")
    assert [e.entity_id for e in moved] == [str(ana.id), str(users["wang"]), str(ana.id)]
    assert moved[-1].before["crew_id"] == crew_ids["C01"]


def test_language_is_set_by_the_user_or_an_admin(session_factory, users, t0) -> None:
    li, wang = actor_of(session_factory, users["li"]), actor_of(session_factory, users["wang"])
    admin = actor_of(session_factory, users["admin"])
    with transaction(session_factory) as s:
        accounts.set_language(s, li, users["li"], "en", now=t0)
        accounts.set_language(s, admin, users["wang"], "en", now=t0)
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        accounts.set_language(s, wang, users["li"], "zh_CN", now=t0)
    with pytest.raises(ServiceError) as excinfo, transaction(session_factory) as s:
        accounts.set_language(s, li, users["li"], "fr", now=t0)
    assert excinfo.value.field == "language"
    assert [(e.entity_id, e.after) for e in events(session_factory, "user.set_language")] == [
        (str(users["li"]), {"language": "en"}), (str(users["wang"]), {"language": "en"})]


def test_r7_5_a_granted_right_can_be_revoked(session_factory, users, t0) -> None:
    admin = actor_of(session_factory, users["admin"])
    with transaction(session_factory) as s:
        accounts.grant_right(s, admin, users["li"], "dispatch.confirm", now=t0)
    assert "dispatch.confirm" in actor_of(session_factory, users["li"]).rights
    with transaction(session_factory) as s:
        accounts.revoke_right(s, admin, users["li"], "dispatch.confirm", now=t0)
        accounts.revoke_right(s, admin, users["li"], "dispatch.confirm", now=t0)  # no-op
    assert actor_of(session_factory, users["li"]).rights == frozenset()
    [event] = events(session_factory, "user.revoke_right")
    assert event.before["right"] == "dispatch.confirm" and event.before["granted_by_id"] == users["admin"]


def test_r13_1_a_change_and_its_audit_event_roll_back_together(session_factory, users, t0) -> None:
    admin = actor_of(session_factory, users["admin"])
    with pytest.raises(RuntimeError), transaction(session_factory) as s:
        accounts.set_active(s, admin, users["li"], False, now=t0)
        raise RuntimeError("the request failed after the change")
    with session_factory() as s:
        assert s.get(User, users["li"]).active
    assert not events(session_factory, "user.disable")


# -- production safety -------------------------------------------------------------------------------


def test_production_problems_flag_the_demo_secret_and_the_demo_password(session_factory, users, t0) -> None:
    from data.demo import DEMO_PASSWORD

    with transaction(session_factory) as s:
        accounts.create_user(s, SYSTEM_ACTOR, username="demo", display_name="Demo", roles=["manager"],
                             password=DEMO_PASSWORD, now=t0)
    with session_factory() as s:
        assert auth.production_problems(Settings(env="development"), s) == []
        problems = auth.production_problems(Settings(env="production", secret_key=DEMO_SECRET_KEY), s)
        assert len(problems) == 2
        assert "SECRET_KEY is the demo key" in problems[0]
        assert "demo password: demo;" in problems[1]
        short = auth.production_problems(Settings(env="production", secret_key="too-short"), s)
        assert "shorter than 32" in short[0]
    with transaction(session_factory) as s:
        demo_id = s.scalar(sa.select(User.id).where(User.username == "demo"))
        accounts.set_active(s, SYSTEM_ACTOR, demo_id, False, now=t0)
    with session_factory() as s:
        assert auth.production_problems(Settings(env="production", secret_key="k" * 48), s) == []
