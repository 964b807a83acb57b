"""Who may do what: the one place where a service asks "is this actor allowed?" (R13.1, R7.5).

Every service calls :func:`require` before it validates or writes anything, so a page or API route
that forgets a check cannot open a hole: the service refuses on its own. The matrix is deliberately
a plain dict of action → roles, readable in review and testable row by row; single rights that an
admin grants on top of a role (R7.5: a dispatcher with the confirm right) are named after the action
they unlock and travel on the :class:`Actor`.

API tokens (ops.services.tokens) act with the rights of their user *narrowed* by their scopes: each
scope in :data:`SCOPES` stands for one action, and an actor carrying scopes may do an action only if
its roles (or granted rights) allow it **and** one of its scopes names it. A scope can therefore
never widen what the user may do, and a user who later loses a role loses that ability on every
token at once, because the roles are read afresh from the user row on each request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ops.errors import ForbiddenError
from ops.vocabulary import Role

if TYPE_CHECKING:
    from ops.models import User

__all__ = [
    "ACTIONS",
    "GRANTABLE_RIGHTS",
    "HUMAN_ROLES",
    "SCOPES",
    "SYSTEM_ACTOR",
    "Actor",
    "PermissionDenied",
    "actor_for_user",
    "allowed",
    "require",
    "scope_actions",
    "token_actor",
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
    #: ``None`` for a person at the dashboard (no narrowing); for an API token, the token's scopes,
    #: which narrow what the roles allow (see :func:`allowed`) and never widen it.
    scopes: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ValueError("label: an actor needs a label for the audit log (R13.1)")
        object.__setattr__(self, "roles", frozenset(Role(r) for r in self.roles))
        object.__setattr__(self, "rights", frozenset(self.rights))
        if self.scopes is not None:
            unknown = sorted(set(self.scopes) - set(SCOPES))
            if unknown:
                raise ValueError(f"scopes: unknown scope(s) {', '.join(unknown)}")
            object.__setattr__(self, "scopes", frozenset(self.scopes))

    def has_role(self, role: Role | str) -> bool:
        return Role(role) in self.roles


#: The scheduler and the importers act under this identity; it has no user row.
SYSTEM_ACTOR = Actor(user_id=None, label="system", roles=frozenset({Role.SYSTEM}))


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


_OPERATIONS = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})

#: Every role a person can hold: all but the system's own.
HUMAN_ROLES: frozenset[Role] = frozenset(r for r in Role if r is not Role.SYSTEM)

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
    # R6.4: the graded appointment slots a caller is offered, and moving a booked one with the
    # customer's agreement; booking a slot no crew can keep is a supervisor's override.
    "appointment.read": _roles(Role.HOTLINE_AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM),
    "ticket.reschedule": _roles(Role.HOTLINE_AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM),
    "appointment.force": _roles(Role.SUPERVISOR),
    # R7.1/R7.5: the supervisor confirms; a dispatcher only with the granted right; R7.3 the scheduler.
    "dispatch.confirm": _roles(Role.SUPERVISOR, Role.SYSTEM),
    # R7.1/R13.1: computing *and storing* a recommendation (what a later decision is judged against),
    # and replacing the plan in force that the R7.3 auto-dispatch uses. Other board viewers preview.
    "dispatch.recommend": _roles(Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM),
    "dispatch.plan": _roles(Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM),
    # R7.2 and R8: the crew on its own page (the scheduler for simulated crews).
    "order.acknowledge": _roles(Role.CREW_MEMBER, Role.SYSTEM),
    "order.update_status": _roles(Role.CREW_MEMBER, Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM),
    "repair.file": _roles(Role.CREW_MEMBER, Role.SYSTEM),  # R9
    # R7.2-R7.4: the office says it has seen an escalation (the scheduler raises, never closes, them).
    "alert.acknowledge": _roles(Role.DISPATCHER, Role.SUPERVISOR),
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
    # Where an idle crew should wait (the coverage page's suggestion); any order clears it.
    "crew.standby": _roles(Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM),
    # Pages and API reads. The dispatch board shows live tickets and crews (R1.2, R7).
    "board.view": _roles(Role.DISPATCHER, Role.SUPERVISOR, Role.HOTLINE_AGENT, Role.MANAGER, Role.ADMIN),
    "ticket.read": _roles(
        Role.HOTLINE_AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.CALLBACK_AGENT, Role.QUALITY_INSPECTOR,
        Role.MANAGER, Role.CREW_MEMBER, Role.ADMIN, Role.SYSTEM,
    ),
    "kpi.read": _roles(Role.MANAGER, Role.PLANNER, Role.SUPERVISOR, Role.ADMIN),  # R14
    "coverage.read": _roles(Role.MANAGER, Role.PLANNER, Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN),
    # R13.1: those who trace late responses and violations to the people responsible.
    "audit.view": _roles(Role.SUPERVISOR, Role.MANAGER, Role.QUALITY_INSPECTOR, Role.ADMIN),
    # Accounts: disable/enable, set roles, revoke rights, reset passwords. The system role is the
    # operator's command line on the server (``gasdispatch user`` / ``gasdispatch token``).
    "user.manage": _roles(Role.ADMIN, Role.SYSTEM),
    "token.manage": _roles(Role.ADMIN, Role.SYSTEM),
    # A person's own account: change their password and language, log out.
    "account.self": HUMAN_ROLES,
})

#: API token scopes, each standing for the one action it lets a token perform (if the token's user
#: may perform it at all: see :func:`allowed`).
SCOPES: MappingProxyType[str, str] = MappingProxyType({
    "tickets:read": "ticket.read",
    "tickets:write": "ticket.create",
    "appointments:read": "appointment.read",
    "appointments:write": "ticket.reschedule",
    "appointments:force": "appointment.force",  # with tickets:write or appointments:write, supervisors only
    "tickets:class": "ticket.change_class",  # R6.5
    "dispatch": "dispatch.confirm",  # R7.5: only for a supervisor or a dispatcher with the right
    "dispatch:recommend": "dispatch.recommend",
    "dispatch:plan": "dispatch.plan",
    # The schedule board's reads: the crews with their queues and each crew's timeline.
    "board:read": "board.view",
    "crew": "crew.report_position",
    "crews:standby": "crew.standby",
    # The crew device's steps on its own orders (a crew member acts only on its own crew's orders).
    "orders:ack": "order.acknowledge",
    "orders:update": "order.update_status",
    "repairs:file": "repair.file",
    "kpis:read": "kpi.read",
    "coverage:read": "coverage.read",
    "admin": "user.manage",
})

#: Rights an admin may grant on top of a role, named after the action they unlock (R7.5).
GRANTABLE_RIGHTS: frozenset[str] = frozenset({"dispatch.confirm"})


class PermissionDenied(ForbiddenError, PermissionError):  # noqa: N818 - the name every caller expects
    """The actor may not perform the action; the message names both, for the page and the log.

    A :class:`ops.errors.ServiceError` like every other refusal, so an edge handles it in one place;
    ``code``/``params`` let a service say more precisely why (e.g. "dispatchers and supervisors only").
    """

    def __init__(self, actor: Actor, action: str, code: str = "permission.denied",
                 params: Mapping[str, Any] | None = None) -> None:
        self.actor = actor
        self.action = action
        roles = ", ".join(sorted(r.value for r in actor.roles)) or "no role"
        scopes = "" if actor.scopes is None else f"; token scopes: {', '.join(sorted(actor.scopes)) or 'none'}"
        super().__init__(code, None, {"actor": f"{actor.label} ({roles}{scopes})", "action": action,
                                      **(params or {})})


def allowed(actor: Actor, action: str) -> bool:
    """Whether ``actor`` may perform ``action``; unknown actions are never allowed.

    The roles (or an R7.5 granted right) must allow it, and for a scoped actor (an API token) one of
    its scopes must name the action too: scopes only ever narrow.
    """
    roles = ACTIONS.get(action)
    if roles is None:
        return False
    if actor.scopes is not None and action not in scope_actions(actor.scopes):
        return False
    if actor.roles & roles:
        return True
    return action in GRANTABLE_RIGHTS and action in actor.rights


def scope_actions(scopes: Iterable[str]) -> frozenset[str]:
    """The actions named by ``scopes``; unknown scope names name nothing."""
    return frozenset(SCOPES[s] for s in scopes if s in SCOPES)


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


def token_actor(user_actor: Actor, scopes: Iterable[str], *, label: str | None = None) -> Actor:
    """The actor of an API token: its user's actor narrowed to ``scopes`` (never widened).

    Pass the user's *current* actor (``actor_for_user`` on the freshly loaded row), so that a role
    the user has lost since the token was made is lost by the token too. Scopes already on
    ``user_actor`` are intersected, so narrowing twice cannot widen. Raises ``ValueError`` for an
    unknown scope name.
    """
    wanted = frozenset(scopes)
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise ValueError(f"scopes: unknown scope(s) {', '.join(unknown)}")
    if user_actor.scopes is not None:
        wanted &= user_actor.scopes
    return replace(user_actor, scopes=wanted, label=label or user_actor.label)
