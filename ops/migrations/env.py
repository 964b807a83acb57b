"""Alembic environment for the operational record.

Used two ways: programmatically by ``ops.db.upgrade`` (which hands over an open connection in
``config.attributes["connection"]``), and from the command line with ``alembic -c ops/alembic.ini``,
where the URL comes from ``-x url=...``, the ini file, or the application's settings, in that order.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from ops.models import Base
from ops.models.base import IntEnumType, UTCDateTime

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from ops.settings import get_settings

    return get_settings().sqlalchemy_url


def _render_item(type_: str, obj: Any, _autogen_context: Any) -> str | bool:
    """Autogenerate renders our column types as the plain types they store.

    A revision then never imports application code, which may change after the revision is written.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, IntEnumType):
        return "sa.Integer()"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead, on SQLite only.
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    from ops.db import _build_engine

    engine = _build_engine(_url(), sqlite_foreign_keys=False)
    try:
        with engine.begin() as conn:
            _run_on(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
