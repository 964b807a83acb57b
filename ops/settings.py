"""Deployment settings, read once from the environment.

Everything that differs between a laptop demo and a utility's production server lives here, so that
no module reads ``os.environ`` on its own and no path is resolved from the current directory: an
editable install, a wheel and the test suite all find ``assets/``, ``data/`` and the caches the same way.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The checkout (or installed tree) that holds ``assets/``, ``bench/`` and ``docs/``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEMO_SECRET_KEY = "gas-dispatch-demo-secret-key-not-for-production"


class Settings(BaseSettings):
    """Deployment configuration; every field can be set as ``GASDISPATCH_<NAME>`` or its alias."""

    model_config = SettingsConfigDict(env_prefix="GASDISPATCH_", extra="ignore", populate_by_name=True)

    env: Literal["development", "production", "test"] = "development"
    database_url: str = Field(
        default="", validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; empty means the embedded SQLite file under var_dir.",
    )
    redis_url: str = Field(default="", validation_alias="REDIS_URL")
    tile_url: str = Field(default="", validation_alias="TILE_URL")
    secret_key: str = Field(default=DEMO_SECRET_KEY, validation_alias="SECRET_KEY")
    var_dir: Path = PROJECT_ROOT / "var"
    network_source: str = Field(
        default="coquimbo",
        description="'coquimbo' for the bundled AequilibraE network, or a path to a .osm.pbf extract.",
    )
    https: bool | None = Field(
        default=None,
        description="Whether users reach the app over HTTPS (cookies then get Secure); "
        "unset means: yes in production, no otherwise.",
    )
    plan_budget_s: float | None = Field(
        default=None, gt=0, le=60,
        description="Seconds the scheduler's once-a-minute plan in force may search; unset: "
        "ops.scheduler.PLAN_BUDGET_S.",
    )
    event_plan_budget_s: float | None = Field(
        default=None, gt=0, le=60,
        description="Seconds a plan asked for by an event (a new class 1, a confirmation ...) may search; "
        "short, so that it is in force within seconds; unset: ops.scheduler.EVENT_PLAN_BUDGET_S.",
    )
    timezone: str = "America/Santiago"
    default_language: Literal["zh_CN", "en"] = "zh_CN"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return check_timezone(value, "timezone (GASDISPATCH_TIMEZONE)")

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Heroku-style URLs name the driver-less scheme; psycopg 3 is the one we ship.
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url[len("postgres://"):]
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://"):]
            return url
        return f"sqlite:///{self.var_dir / 'gasdispatch.sqlite'}"

    @property
    def secure_cookies(self) -> bool:
        return self.https if self.https is not None else self.env == "production"

    @property
    def cache_dir(self) -> Path:
        return self.var_dir / "cache"

    @property
    def assets_dir(self) -> Path:
        return PROJECT_ROOT / "assets"


def check_timezone(value: str, field: str) -> str:
    """Refuse a zone name the system does not know, naming the setting that held it."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"{field}: unknown time zone {value!r} (expected an IANA name such as America/Santiago)"
        ) from exc
    return value


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` and pass them in instead."""
    return Settings()
