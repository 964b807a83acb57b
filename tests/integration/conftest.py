"""Database fixtures for integration tests, on every backend the product supports.

Each test gets its own database: a fresh SQLite file always, and a freshly created PostgreSQL schema
when ``TEST_DATABASE_URL`` is set, so tests are independent and can run in parallel (pytest-xdist).
In CI (``CI=true``) the PostgreSQL half is mandatory: a missing ``TEST_DATABASE_URL`` fails instead of
skipping, so a misconfigured pipeline cannot pass on SQLite alone.

Fixtures for later service tests: ``session_factory`` (a migrated database), ``engine``,
``migrated_url``, ``db_url``, ``backend`` and ``build`` (minimal valid rows).
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from ops.db import DatabaseUnavailable, make_engine, make_session_factory, upgrade
from ops.models import Crew, Customer, Ticket, User, WorkOrder
from ops.settings import Settings
from ops.vocabulary import (
    Answer,
    Channel,
    CrewStatus,
    Judgement,
    ShiftPattern,
    Skill,
    Symptom,
    TicketClass,
    TicketStatus,
    WorkOrderStatus,
)

POSTGRES_HINT = "e.g. TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test"

#: A fixed, timezone-aware "now" so tests never depend on the wall clock.
T0 = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def _postgres_url_or_skip() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        return Settings(database_url=url).sqlalchemy_url  # same normalisation as the app
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(
            f"CI=true but TEST_DATABASE_URL is not set: the PostgreSQL integration tests must run in CI ({POSTGRES_HINT})",
            pytrace=False,
        )
    pytest.skip(f"PostgreSQL backend not tested: set TEST_DATABASE_URL to run it ({POSTGRES_HINT})")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database URL (not yet migrated), one per test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gasdispatch.sqlite'}"
        return
    base = make_url(_postgres_url_or_skip())
    schema = f"gd_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT",
                        poolclass=sa.NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except DatabaseUnavailable as exc:
        admin.dispose()
        pytest.fail(f"TEST_DATABASE_URL is set but unusable: {exc}", pytrace=False)
    # Every connection made from this URL sees only the test's schema.
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def backend(db_url: str) -> str:
    """``"sqlite"`` or ``"postgresql"``."""
    return make_url(db_url).get_backend_name()


@pytest.fixture
def migrated_url(db_url: str) -> str:
    upgrade(db_url)
    return db_url


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    eng = make_engine(migrated_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on a migrated database, per backend: what service tests build on."""
    return make_session_factory(engine)


class Builders:
    """Minimal valid rows, so a test spells out only the fields it is about."""

    def __init__(self) -> None:
        self._seq = itertools.count(1)

    def user(self, **kw: Any) -> User:
        n = next(self._seq)
        return User(**{"username": f"user{n}", "display_name": f"User {n}", "created_at": T0, **kw})

    def customer(self, **kw: Any) -> Customer:
        n = next(self._seq)
        return Customer(**{
            "customer_no": f"C{n:06d}", "name": f"Customer {n}", "phone": "0512-555-0100",
            "address": "Av. del Mar 1200", "door_no": f"{n}B", "lon": -71.25, "lat": -29.95, **kw,
        })

    def crew(self, **kw: Any) -> Crew:
        n = next(self._seq)
        return Crew(**{
            "code": f"CR{n:03d}", "name": f"Crew {n}", "skills": [Skill.LEAK_REPAIR.value],
            "shift_pattern": ShiftPattern.DAY, "shift_start_hour": 8, "shift_end_hour": 20,
            "status": CrewStatus.AVAILABLE, **kw,
        })

    def ticket(self, **kw: Any) -> Ticket:
        n = next(self._seq)
        return Ticket(**{
            "ticket_no": f"T{n:08d}", "channel": Channel.HOTLINE, "received_at": T0, "created_at": T0,
            "reporter_name": "Ana Rojas", "reporter_phone": "0512-555-0199",
            "address": "Calle Balmaceda 455", "door_no": "3", "lon": -71.25, "lat": -29.9,
            "symptom": Symptom.GAS_LEAK, "fault_started_at": T0 - timedelta(minutes=20),
            "odour": Answer.YES, "abnormal_noise": Answer.NO, "people_on_site": Answer.YES,
            "ventilated": Answer.UNKNOWN, "valve_closed": Answer.NO,
            "agent_judgement": Judgement.EMERGENCY, "proposed_class": TicketClass.EMERGENCY,
            "ticket_class": TicketClass.EMERGENCY, "rule_version": "2025.1",
            "depart_deadline": T0 + timedelta(minutes=30), "onsite_target": T0 + timedelta(minutes=60),
            "status": TicketStatus.NEW, **kw,
        })

    def work_order(self, ticket: Ticket, crew: Crew, **kw: Any) -> WorkOrder:
        return WorkOrder(**{
            "ticket": ticket, "crew": crew, "status": WorkOrderStatus.DISPATCHED,
            "dispatched_at": T0 + timedelta(minutes=2), **kw,
        })


@pytest.fixture
def build() -> Builders:
    return Builders()


@pytest.fixture
def t0() -> datetime:
    """The instant the ``build`` rows are received at (``T0``)."""
    return T0
