"""Database plumbing: engine settings, transactions, and a clear answer when the database is down."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

import ops.db
from ops.db import (
    DatabaseUnavailable,
    check_database,
    make_engine,
    make_session_factory,
    mask_url,
    transaction,
    upgrade,
)
from ops.models import Depot, District

UNREACHABLE = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/none"


def _district(code: str) -> District:
    return District(code=code, name=f"Zone {code}", centroid_lon=-71.2, centroid_lat=-29.9, source="test")


def test_sqlite_engine_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'dir' / 'db.sqlite'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert (tmp_path / "new" / "dir" / "db.sqlite").is_file()
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(sa.exc.IntegrityError), transaction(session_factory) as s:
        s.add(Depot(name="Depot Norte", lon=-71.2, lat=-29.9, district_id=999))


def test_sqlite_write_transactions_take_the_write_lock_at_begin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BEGIN IMMEDIATE: a second writer waits at BEGIN (then times out), not half-way through its work."""
    monkeypatch.setattr(ops.db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    url = f"sqlite:///{tmp_path / 'lock.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    writers, readers = make_session_factory(engine), make_session_factory(engine, read_only=True)
    try:
        with transaction(writers) as first:
            first.scalars(sa.select(District)).all()  # only a read so far, yet the lock is held
            with pytest.raises(OperationalError, match="locked"), transaction(writers) as second:
                second.scalars(sa.select(District)).all()
            # A read-only session still reads while the writer holds the lock (WAL).
            with readers() as reader:
                assert reader.scalars(sa.select(District)).all() == []
            first.add(_district("D1"))
        with readers() as reader:
            assert [d.code for d in reader.scalars(sa.select(District))] == ["D1"]
    finally:
        engine.dispose()


def test_transaction_commits_when_the_block_ends_and_rolls_back_when_it_raises(
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as s:
        s.add(_district("KEEP"))
    with pytest.raises(RuntimeError), transaction(session_factory) as s:
        s.add(_district("DROP"))
        s.flush()
        raise RuntimeError("service validation failed after writing")
    with session_factory() as s:
        assert s.scalars(sa.select(District.code)).all() == ["KEEP"]


def test_session_objects_stay_readable_after_commit(session_factory: sessionmaker[Session]) -> None:
    with transaction(session_factory) as s:
        district = _district("D7")
        s.add(district)
    assert district.code == "D7" and district.id is not None


def test_check_database_is_ok_on_a_working_database(engine: Engine, migrated_url: str) -> None:
    ok, detail = check_database(migrated_url)
    assert ok, detail


def test_check_database_on_an_unreachable_url_says_which_and_what_to_do() -> None:
    started = time.monotonic()
    ok, detail = check_database(UNREACHABLE)
    assert not ok
    assert time.monotonic() - started < 10
    assert "127.0.0.1:1/none" in detail
    assert "s3cret" not in detail and "***" in detail
    assert "DATABASE_URL" in detail
    assert "Traceback" not in detail and "\n" not in detail


def test_an_unreachable_database_raises_one_clear_database_unavailable() -> None:
    engine = make_engine(UNREACHABLE, connect_timeout=3)
    try:
        with pytest.raises(DatabaseUnavailable) as info, engine.connect():
            pass
        message = str(info.value)
        assert message.startswith("Cannot connect to the database at postgresql+psycopg://postgres:***@127.0.0.1:1/none")
        assert "s3cret" not in message
        with pytest.raises(DatabaseUnavailable), transaction(make_session_factory(engine)) as s:
            s.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()


def test_migrating_an_unreachable_database_raises_database_unavailable() -> None:
    with pytest.raises(DatabaseUnavailable, match=r"127\.0\.0\.1:1/none"):
        upgrade(UNREACHABLE)


def test_an_sqlite_path_that_cannot_be_created_is_reported_as_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("")
    ok, detail = check_database(f"sqlite:///{blocker / 'db.sqlite'}")
    assert not ok and "cannot create the directory" in detail and str(blocker) in detail


def test_a_malformed_url_is_reported_as_unavailable_not_as_a_crash() -> None:
    ok, detail = check_database("not a url")
    assert not ok and "not a valid database URL" in detail


def test_mask_url_hides_only_the_password() -> None:
    assert mask_url("postgresql+psycopg://gd:pw@db.internal:5432/ops") == "postgresql+psycopg://gd:***@db.internal:5432/ops"
    assert mask_url("sqlite:////var/lib/gd.sqlite") == "sqlite:////var/lib/gd.sqlite"
