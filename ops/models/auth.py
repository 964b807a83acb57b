"""Server-side login sessions, login attempts (for throttling) and API tokens (R13.1).

Raw session tokens and API tokens are never stored: only the SHA-256 hex digest of each, so that a
copy of the database (a backup, a read replica, an audit export) cannot be replayed as a login. The
services in ``ops.services.auth`` and ``ops.services.tokens`` look rows up by that digest.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.models.base import Base, UTCDateTime, fk, pk


class UserSession(Base):
    """One browser login: created by ``login``, ended by ``logout``, expiry or a revocation."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = pk()
    #: SHA-256 hex of the raw token held in the browser's cookie.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))


class LoginAttempt(Base):
    """Every login attempt, successful or not; failures within a window throttle further attempts."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = pk()
    #: The username as typed, lower-cased; it need not name an existing user.
    username: Mapped[str] = mapped_column(sa.String(200))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    success: Mapped[bool] = mapped_column(sa.Boolean)
    #: Refused by the throttle without checking the password; not counted as a failure, so a person
    #: retrying during the wait does not extend it.
    throttled: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    __table_args__ = (
        sa.Index("ix_login_attempts_username_at", "username", "at"),
        sa.Index("ix_login_attempts_ip_at", "ip", "at"),
    )


class ApiToken(Base):
    """A bearer token for the API: the rights of its user, narrowed to its scopes (ops.permissions)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = pk()
    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(sa.String(100))
    #: The first characters of the raw token, so people can tell their tokens apart in a list.
    prefix: Mapped[str] = mapped_column(sa.String(12))
    #: SHA-256 hex of the raw token.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Scope names (ops.permissions.SCOPES); a JSON list because it is always read whole.
    scopes: Mapped[list[str]] = mapped_column(sa.JSON())
    #: Set for a token carrying the "crew" scope: the one crew it may report for.
    crew_id: Mapped[int | None] = fk("crews.id", nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
