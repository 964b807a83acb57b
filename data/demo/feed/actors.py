"""Who the demo feed acts as: the demo's own logins, so every change is checked and audited as theirs.

The feed never acts as the system: a new report is saved by the demo hotline agent, a queued ticket
confirmed by the demo supervisor and each order worked by a member of its own crew, through the
same services (and so the same role checks) as a person at the dashboard or a crew device. Each
label says "demo feed", so the audit log tells simulated work from a person's.

The seed links only the first crew to a login; :func:`ensure_crew_logins` gives every other crew
one (through ``ops.services.accounts``, audited), once, the first time the feed runs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.models import AuditEvent, Crew, CrewMember, User
from ops.permissions import SYSTEM_ACTOR, Actor, actor_for_user
from ops.services import accounts

__all__ = ["FEED_LABEL", "crew_actor", "ensure_crew_logins", "is_demo_database", "user_actor"]

#: Appended to every actor label the feed uses, so the audit log shows which work was simulated.
FEED_LABEL = "demo feed"

#: The account that creates crew logins; the seed's marker action tells a demo database apart.
_SETUP_ACTOR = replace(SYSTEM_ACTOR, label=f"system ({FEED_LABEL})")
_DEMO_MARKER = "demo.seed"


def is_demo_database(db: Session) -> bool:
    """Whether ``gasdispatch demo`` seeded this database: the feed never touches real data."""
    return db.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == _DEMO_MARKER).limit(1)) is not None


def user_actor(db: Session, username: str, role_word: str) -> Actor | None:
    """The actor of an active demo login, labelled as the feed's; ``None`` when it is gone."""
    user = db.scalar(sa.select(User).where(User.username == username))
    if user is None or not user.active:
        return None
    return actor_for_user(user, label=f"{user.display_name} ({role_word}, {FEED_LABEL})")


def crew_actor(db: Session, crew: Crew) -> Actor | None:
    """A logged-in member of ``crew`` (its first linked, active login), or ``None``."""
    for member in sorted(crew.members, key=lambda m: m.id):
        if member.user_id is None:
            continue
        user = db.get(User, member.user_id)
        if user is not None and user.active:
            return actor_for_user(user, label=f"{user.display_name} (crew {crew.code}, {FEED_LABEL})")
    return None


def ensure_crew_logins(db: Session, now: datetime, password: str) -> list[str]:
    """Give each crew without a login one for its first member; returns the usernames created."""
    created = []
    linked = sa.select(CrewMember.crew_id).where(CrewMember.user_id.is_not(None))
    for crew in db.scalars(sa.select(Crew).where(Crew.active.is_(True), Crew.id.not_in(linked))
                           .order_by(Crew.id)):
        members = sorted(crew.members, key=lambda m: m.id)
        username = f"crew-{crew.code.lower()}"
        if not members or db.scalar(sa.select(User.id).where(User.username == username)) is not None:
            continue
        accounts.create_user(db, _SETUP_ACTOR, username=username, display_name=members[0].name,
                             roles=["crew_member"], password=password, now=now, crew_code=crew.code)
        created.append(username)
    return created
