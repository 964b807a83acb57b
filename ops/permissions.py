"""Who may do what: the one place where a service asks "is this actor allowed?" (R13.1, R7.5).

Every service calls :func:`require` before it validates or writes anything, so a page or API route
that forgets a check cannot open a hole: the service refuses on its own. The matrix is deliberately
a plain dict of action → roles, readable in review and testable row by row; single rights that an
admin grants on top of a role (R7.5: a dispatcher with the confirm right) are named after the action
they unlock and travel on the :class:`Actor`.

This is the minimal version; a later issue extends the matrix and the page-level checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from ops.vocabulary import Role

if TYPE_CHECKING:
    from ops.models import User

__all__ = [
    "ACTIONS",
    "GRANTABLE_RIGHTS",
    "SYSTEM_ACTOR",
    "Actor",
    "PermissionDenied",
    "actor_for_user",
    "allowed",
    "require",
]


@dataclass(frozen=True)
class Actor:
    """Who is acting, as a service sees it: the user's id for the audit log and what they may do.

    ``label`` is written to the audit log as it is at the time ("dispatcher Li Wei", "scheduler"),
    so the trail stays readable after a rename. ``user_id`` is ``None`` for the system (scheduler,
    importers) and for customers' self-service channels.
    """

    user_id: int | None
    label: str
    roles: frozenset[Role]
    rights: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ValueError("label: an actor needs a label for the audit log (R13.1)")
        object.__setattr__(self, "roles", frozenset(Role(r) for r in self.roles))
        object.__setattr__(self, "rights", frozenset(self.rights))

    def has_role(self, role: Role | str) -> bool:
        return Role(role) in self.roles


#: The scheduler and the importers act under this identity; it has no user row.
SYSTEM_ACTOR = Actor(user_id=None, label="system", roles=frozenset({Role.SYSTEM}))


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


_OPERATIONS = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})

#: Which roles may perform which action. An action missing here is refused for everyone (fail closed).
ACTIONS: MappingProxyType[str, frozenset[Role]] = MappingProxyType({
    # Loading another system's records (and the demo's); the audit log marks them imported.
    "history.import": _roles(Role.ADMIN, Role.SYSTEM),
    "districts.import": _roles(Role.ADMIN, Role.SYSTEM),
    "customers.import": _roles(Role.ADMIN, Role.SYSTEM),
    # R4/R5 intake: the hotline agent, and a supervisor or dispatcher taking a call on a busy night.
    "ticket.create": _roles(Role.HOTLINE_AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM),
    # R6.5: the change itself is checked further by ops.rules.check_class_change.
    "ticket.change_class": _roles(Role.HOTLINE_AGENT, Role.DISPATCHER, Role.SUPERVISOR),
    # R7.1/R7.5: the supervisor confirms; a dispatcher only with the granted right; R7.3 the scheduler.
    "dispatch.confirm": _roles(Role.SUPERVISOR, Role.SYSTEM),
    # R7.2 and R8: the crew on its own page (the scheduler for simulated crews).
    "order.acknowledge": _roles(Role.CREW_MEMBER, Role.SYSTEM),
    "order.update_status": _roles(Role.CREW_MEMBER, Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM),
    "repair.file": _roles(Role.CREW_MEMBER, Role.SYSTEM),  # R9
    "callback.record": _roles(Role.CALLBACK_AGENT, Role.SUPERVISOR, Role.SYSTEM),  # R10
    "complaint.create": _roles(
        Role.HOTLINE_AGENT, Role.CALLBACK_AGENT, Role.QUALITY_INSPECTOR, Role.SUPERVISOR, Role.SYSTEM
    ),  # R11.3
    "user.create": _roles(Role.ADMIN, Role.SYSTEM),
    "user.grant_right": _roles(Role.ADMIN, Role.SYSTEM),  # R7.5
    "crew.manage": _OPERATIONS,
    # GPS pings and the crew's own status; dispatchers may correct a status by hand.
    "crew.report_position": _roles(Role.CREW_MEMBER, Role.SYSTEM),
    "crew.set_status": _roles(Role.CREW_MEMBER, Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM),
})

#: Rights an admin may grant on top of a role, named after the action they unlock (R7.5).
GRANTABLE_RIGHTS: frozenset[str] = frozenset({"dispatch.confirm"})


class PermissionDenied(PermissionError):  # noqa: N818 - the name every caller expects
    """The actor may not perform the action; the message names both, for the page and the log."""

    def __init__(self, actor: Actor, action: str, message: str | None = None) -> None:
        self.actor = actor
        self.action = action
        roles = ", ".join(sorted(r.value for r in actor.roles)) or "no role"
        super().__init__(message or f"{actor.label} ({roles}) may not perform '{action}'")


def allowed(actor: Actor, action: str) -> bool:
    """Whether ``actor`` may perform ``action``; unknown actions are never allowed."""
    roles = ACTIONS.get(action)
    if roles is None:
        return False
    if actor.roles & roles:
        return True
    return action in GRANTABLE_RIGHTS and action in actor.rights


def require(actor: Actor, action: str) -> None:
    """The one enforcement point: raise :class:`PermissionDenied` unless ``actor`` may do ``action``.

    An action name that is not in :data:`ACTIONS` is a programming error, reported as such rather
    than as a denial, so that a typo in a service cannot pass unnoticed as "nobody may".
    """
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}: add it to ops.permissions.ACTIONS")
    if not allowed(actor, action):
        raise PermissionDenied(actor, action)


def actor_for_user(user: User, *, label: str | None = None) -> Actor:
    """The actor for a logged-in user; an inactive account can do nothing."""
    roles = user.role_set if user.active else frozenset()
    rights = user.right_set if user.active else frozenset()
    return Actor(user_id=user.id, label=label or user.display_name or user.username, roles=roles, rights=rights)
