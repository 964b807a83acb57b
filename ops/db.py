"""Engines, sessions, migrations and the health check, the same way on SQLite and PostgreSQL.

SQLite is the no-setup default and PostgreSQL the scale-out option (ARCHITECTURE.md), and the code
above this module must not care which one it talks to. The differences are settled here: SQLite gets
WAL, enforced foreign keys, a busy timeout and ``BEGIN IMMEDIATE`` so that two writers queue up
instead of one failing half-way with "database is locked"; PostgreSQL gets a connect timeout and
pre-ping. A database that cannot be reached surfaces as one ``DatabaseUnavailable`` with a message a
person can act on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

import ops.audit  # noqa: F401  (installs the ORM guard that keeps the audit log append-only)

#: Where ``env.py`` and ``versions/`` live; resolved from this file so any cwd or install works.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: Execution option marking a session as read-only; on SQLite it then starts with a plain ``BEGIN``
#: and does not take the write lock, so dashboards polling the database never queue behind writers.
READ_ONLY_OPTION = "gasdispatch_read_only"

SQLITE_BUSY_TIMEOUT_MS = 5000
DEFAULT_CONNECT_TIMEOUT_S = 10
HEALTH_CONNECT_TIMEOUT_S = 3


class DatabaseUnavailable(RuntimeError):  # noqa: N818  (the name the rest of the code expects)
    """The configured database cannot be reached; the message says which one and what to do."""

    def __init__(self, url: str | URL, reason: str) -> None:
        self.url = mask_url(url)
        self.reason = reason
        super().__init__(
            f"Cannot connect to the database at {self.url}: {reason}. "
            "Check that the database server is running and reachable, and that DATABASE_URL is "
            "correct (unset DATABASE_URL to use the embedded SQLite file instead)."
        )


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***``, safe for logs and error pages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_sqlite_file(url: URL) -> bool:
    database = url.database or ""
    return database not in ("", ":memory:") and not database.startswith("file:")


def _build_engine(
    url: str | URL,
    *,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_S,
    sqlite_foreign_keys: bool = True,
    **kwargs: Any,
) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(str(url), f"not a valid database URL ({exc})") from None
    backend = parsed.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        if _is_sqlite_file(parsed):
            directory = Path(parsed.database or "").expanduser().parent
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(parsed, f"cannot create the directory {directory} ({exc.strerror})") from None
        connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_MS / 1000
    elif backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        if parsed.get_driver_name() in ("psycopg", "psycopg2"):
            connect_args["connect_timeout"] = connect_timeout
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise DatabaseUnavailable(parsed, f"no driver for this URL ({exc})") from None

    if backend == "sqlite":
        _configure_sqlite(engine, wal=_is_sqlite_file(parsed), foreign_keys=sqlite_foreign_keys)

    @event.listens_for(engine, "handle_error")
    def _unavailable(context: ExceptionContext) -> None:
        # Only failures to obtain a connection at all; errors in a statement stay what they are.
        if context.connection is None and isinstance(context.sqlalchemy_exception, sa.exc.OperationalError):
            raise DatabaseUnavailable(parsed, _first_line(context.original_exception)) from None

    return engine


def _configure_sqlite(engine: Engine, *, wal: bool, foreign_keys: bool) -> None:
    """The pysqlite transaction pattern from SQLAlchemy's SQLite docs, with ``BEGIN IMMEDIATE``.

    pysqlite's own (legacy) transaction handling starts transactions lazily, so a read-then-write
    transaction would upgrade its lock at the write and could fail with "database is locked" after
    doing work. Taking the write lock at ``BEGIN`` makes concurrent writers wait (busy_timeout) instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_S, **kwargs: Any) -> Engine:
    """An engine configured for this application; extra keyword arguments go to ``create_engine``.

    Creating the engine does not connect. The first connection that fails raises
    ``DatabaseUnavailable`` instead of the driver's error.
    """
    return _build_engine(url, connect_timeout=connect_timeout, **kwargs)


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions for services. ``expire_on_commit=False`` so results stay usable after commit.

    ``read_only=True`` is for pages and reports that never write: on SQLite they then do not take the
    write lock (see ``READ_ONLY_OPTION``).
    """
    bind = engine.execution_options(**{READ_ONLY_OPTION: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextlib.contextmanager
def transaction(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit if the block finishes, roll back if it raises.

    A service writes its change and its audit event (ops.audit.record) inside one of these, so
    either both are stored or neither is.
    """
    with session_factory() as session, session.begin():
        yield session


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration built in code, independent of the working directory and of alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolation: a literal % in a password must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run_alembic(url: str, action: str, revision: str) -> None:
    # Foreign keys are off while migrating SQLite: batch mode rebuilds tables by copy-and-rename,
    # which enforced foreign keys would break. Integrity is verified after instead.
    engine = _build_engine(url, sqlite_foreign_keys=False)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
            if connection.dialect.name == "sqlite":
                problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise RuntimeError(f"migration left rows violating foreign keys: {problems[:5]}")
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (default: the newest), creating it if needed."""
    _run_alembic(url, "upgrade", revision)


def downgrade(url: str, revision: str) -> None:
    """Take the database back to ``revision`` (``"base"`` removes every table)."""
    _run_alembic(url, "downgrade", revision)


def check_database(url: str) -> tuple[bool, str]:
    """``(ok, detail)`` for /healthz: a ``SELECT 1`` that gives up after a few seconds, never raises."""
    try:
        engine = _build_engine(url, connect_timeout=HEALTH_CONNECT_TIMEOUT_S, poolclass=sa.NullPool)
    except DatabaseUnavailable as exc:
        return False, str(exc)
    try:
        with engine.connect() as connection:
            connection.execution_options(**{READ_ONLY_OPTION: True})
            connection.exec_driver_sql("SELECT 1").scalar_one()
        return True, f"database reachable at {mask_url(url)}"
    except DatabaseUnavailable as exc:
        return False, str(exc)
    except sa.exc.SQLAlchemyError as exc:
        return False, f"database at {mask_url(url)} answered with an error: {_first_line(exc)}"
    finally:
        engine.dispose()
