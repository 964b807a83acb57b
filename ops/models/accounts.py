"""People who log in, their roles and the single rights an admin grants on top (R7.5)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.models.base import Base, UTCDateTime, fk, pk, str_enum
from ops.vocabulary import Role


class User(Base):
    """A person (or the system account) every audited action is attributed to (R13.1)."""

    __tablename__ = "users"

    id: Mapped[int] = pk()
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    language: Mapped[str] = mapped_column(sa.String(8), default="zh_CN", server_default="zh_CN")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the password was last set or changed; null for an account created before migration 0002
    #: or one that has never had a password.
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    rights: Mapped[list[UserRight]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin",
        foreign_keys="UserRight.user_id",
    )

    __table_args__ = (sa.CheckConstraint("language IN ('zh_CN', 'en')", name="language"),)

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.roles)

    @property
    def right_set(self) -> frozenset[str]:
        return frozenset(r.right for r in self.rights)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")


class UserRight(Base):
    """A single extra right, e.g. R7.5's dispatch-confirm right for a dispatcher; who granted it is kept."""

    __tablename__ = "user_rights"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    right: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    granted_by_id: Mapped[int | None] = fk("users.id", nullable=True, index=False)
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="rights", foreign_keys=[user_id])
