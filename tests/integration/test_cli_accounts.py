"""`gasdispatch user` and `gasdispatch token`: accounts and API tokens from the server's command line.

The operator acts with the system role under a label naming the OS user (R13.1); every failure is
one line and exit status 2.
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from dashboard import cli
from dashboard.cli import main
from ops.db import make_engine, make_session_factory, transaction
from ops.models import AuditEvent, User
from ops.services import tokens
from ops.services.auth import login
from ops.settings import get_settings

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def settings_on_test_db(monkeypatch, tmp_path, db_url):
    monkeypatch.setenv("GASDISPATCH_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def sessions(db_url):
    engine = make_engine(db_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def run(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def create_user(capsys, monkeypatch, name: str, *roles: str) -> None:
    args = [a for r in roles for a in ("--role", r)]
    status, out, err = run(capsys, monkeypatch, "user", "create", name, *args, stdin=PASSWORD + "\n")
    assert status == 0, err
    assert out.strip() == f"user {name} created ({', '.join(sorted(roles))})"


def test_user_create_reads_the_password_from_stdin_and_token_create_prints_a_working_token(
    capsys, monkeypatch, sessions
):
    create_user(capsys, monkeypatch, "alice", "admin")
    status, out, err = run(capsys, monkeypatch, "token", "create", "--name", "nightly report",
                           "--scope", "kpis:read", "--scope", "tickets:read")
    assert status == 0, err
    raw = out.strip().splitlines()[-1]
    assert out.strip() == raw and raw.startswith("gd_")
    assert "alice" in err and "shown only now" in err and raw not in err
    with transaction(sessions) as s:
        identity = tokens.authenticate_token(s, raw, now=_now())
        assert identity is not None and identity.allowed("kpi.read") and not identity.allowed("user.manage")
        user = s.scalar(sa.select(User).where(User.username == "alice"))
        assert identity.user_id == user.id
        assert s.scalar(sa.select(User.password_hash).where(User.id == user.id)).startswith("scrypt:")
        creators = s.scalars(sa.select(AuditEvent.actor_label)
                             .where(AuditEvent.action.in_(["user.create", "token.create"]))).all()
    assert len(creators) == 2 and all(label.startswith("system (gasdispatch CLI, OS user ") for label in creators)

    status, out, _ = run(capsys, monkeypatch, "token", "list")
    assert status == 0 and raw[:12] in out and raw not in out and "nightly report" in out
    status, out, _ = run(capsys, monkeypatch, "token", "revoke", str(identity.token_id))
    assert status == 0 and "revoked" in out
    with transaction(sessions) as s:
        assert tokens.authenticate_token(s, raw, now=_now()) is None
    with transaction(sessions) as s:
        assert login(s, "alice", PASSWORD, ip="127.0.0.1", now=_now()).user.id == user.id


def _now() -> datetime:
    return datetime.now(UTC)


def test_token_create_without_user_needs_exactly_one_active_admin(capsys, monkeypatch):
    status, _, err = run(capsys, monkeypatch, "token", "create", "--name", "x", "--scope", "tickets:read")
    assert status == 2 and "no active admin" in err and "--user" in err
    create_user(capsys, monkeypatch, "root1", "admin")
    create_user(capsys, monkeypatch, "root2", "admin", "manager")
    status, _, err = run(capsys, monkeypatch, "token", "create", "--name", "x", "--scope", "tickets:read")
    assert status == 2 and "root1, root2" in err and "--user" in err
    status, out, _ = run(capsys, monkeypatch, "token", "create", "--name", "x", "--scope", "kpis:read",
                         "--user", "root2")
    assert status == 0 and out.strip().startswith("gd_")


@pytest.mark.parametrize(("argv", "stdin", "expected"), [
    (["user", "create", "bob", "--role", "dispatcher"], "short\n", "password: use at least 10 characters"),
    (["user", "create", "bob", "--role", "dispatcher"], "", "no password given"),
    (["user", "create", "bob", "--role", "chief"], PASSWORD, "--role: unknown role 'chief'"),
    (["user", "create", "bob", "--role", "crew_member"], PASSWORD, "pass --crew CODE"),
    (["user", "create", "bob", "--role", "crew_member", "--crew", "C9"], PASSWORD, "--crew: no crew with code 'C9'"),
    (["user", "create", "Bob Smith", "--role", "planner"], PASSWORD, "NAME: use 2-80 lower-case"),
    (["token", "create", "--name", "x", "--scope", "root", "--user", "nobody"], "", "--user: no user named"),
    (["token", "revoke", "42"], "", "ID: no API token with id 42"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, monkeypatch, argv, stdin, expected):
    status, out, err = run(capsys, monkeypatch, *argv, stdin=stdin)
    assert status == 2 and out == ""
    assert err.startswith("gasdispatch: error: ") and expected in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_token_scopes_the_user_may_not_use_are_refused(capsys, monkeypatch, sessions):
    create_user(capsys, monkeypatch, "li", "dispatcher")
    status, _, err = run(capsys, monkeypatch, "token", "create", "--name", "x", "--scope", "admin", "--user", "li")
    assert status == 2 and "--scope: user li may not user.manage" in err
    status, _, err = run(capsys, monkeypatch, "token", "create", "--name", "x", "--scope", "root", "--user", "li")
    assert status == 2 and "unknown scope 'root'" in err
    with sessions() as s:
        assert not s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "token.create")).all()


def test_on_a_terminal_the_password_is_asked_twice(capsys, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(sys, "stdin", Terminal())
    assert main(["user", "create", "carl", "--role", "planner"]) == 2
    assert "differ" in capsys.readouterr().err
    answers = iter([PASSWORD, PASSWORD])
    assert main(["user", "create", "carl", "--role", "planner", "--display-name", "Carl P"]) == 0
    assert capsys.readouterr().out.strip() == "user carl created (planner)"


def test_user_list_shows_roles_and_state(capsys, monkeypatch):
    status, out, _ = run(capsys, monkeypatch, "user", "list")
    assert status == 0 and out.strip() == "no users"
    create_user(capsys, monkeypatch, "zhang", "supervisor", "dispatcher")
    status, out, _ = run(capsys, monkeypatch, "user", "list")
    assert status == 0
    assert "zhang" in out and "active" in out and "dispatcher,supervisor" in out
