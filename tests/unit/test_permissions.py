"""ops.permissions: the action matrix row by row, scoped (API token) actors, and fail-closed checks.

R13.1: every action is attributable to someone allowed to take it; R7.5: the dispatch-confirm right.
"""

from __future__ import annotations

import itertools

import pytest

from ops.models import User, UserRight, UserRole
from ops.permissions import (
    ACTIONS,
    GRANTABLE_RIGHTS,
    HUMAN_ROLES,
    SCOPES,
    SYSTEM_ACTOR,
    Actor,
    PermissionDenied,
    actor_for_user,
    allowed,
    require,
    scope_actions,
    token_actor,
)
from ops.vocabulary import Role

R = Role

#: The rows this issue adds, exactly as the specification lists them.
NEW_ROWS: dict[str, set[Role]] = {
    "board.view": {R.DISPATCHER, R.SUPERVISOR, R.HOTLINE_AGENT, R.MANAGER, R.ADMIN},
    "ticket.read": {R.HOTLINE_AGENT, R.DISPATCHER, R.SUPERVISOR, R.CALLBACK_AGENT, R.QUALITY_INSPECTOR,
                    R.MANAGER, R.CREW_MEMBER, R.ADMIN, R.SYSTEM},
    "kpi.read": {R.MANAGER, R.PLANNER, R.SUPERVISOR, R.ADMIN},
    "coverage.read": {R.MANAGER, R.PLANNER, R.SUPERVISOR, R.DISPATCHER, R.ADMIN},
    "audit.view": {R.SUPERVISOR, R.MANAGER, R.QUALITY_INSPECTOR, R.ADMIN},
    "user.manage": {R.ADMIN, R.SYSTEM},
    "token.manage": {R.ADMIN, R.SYSTEM},
    "account.self": set(Role) - {R.SYSTEM},
    # Issue 11: storing a recommendation and replacing the plan in force (the others preview).
    "dispatch.recommend": {R.DISPATCHER, R.SUPERVISOR, R.SYSTEM},
    "dispatch.plan": {R.DISPATCHER, R.SUPERVISOR, R.SYSTEM},
    # Issue 12 (R6.4): graded slots, moving a booked one, and forcing a slot no crew can keep.
    "appointment.read": {R.HOTLINE_AGENT, R.DISPATCHER, R.SUPERVISOR, R.SYSTEM},
    "ticket.reschedule": {R.HOTLINE_AGENT, R.DISPATCHER, R.SUPERVISOR, R.SYSTEM},
    "appointment.force": {R.SUPERVISOR},
    # Issue 13: sending an idle crew a standby position ("where to stand").
    "crew.standby": {R.DISPATCHER, R.SUPERVISOR, R.SYSTEM},
}

#: Rows that existed before this issue and must not change.
KEPT_ROWS: dict[str, set[Role]] = {
    "dispatch.confirm": {R.SUPERVISOR, R.SYSTEM},
    "ticket.create": {R.HOTLINE_AGENT, R.DISPATCHER, R.SUPERVISOR, R.SYSTEM},
    "user.create": {R.ADMIN, R.SYSTEM},
    "user.grant_right": {R.ADMIN, R.SYSTEM},
    "crew.report_position": {R.CREW_MEMBER, R.SYSTEM},
    "history.import": {R.ADMIN, R.SYSTEM},
}


def actor(*roles: Role, rights: frozenset[str] = frozenset(), scopes: frozenset[str] | None = None) -> Actor:
    return Actor(user_id=1, label="someone", roles=frozenset(roles), rights=rights, scopes=scopes)


@pytest.mark.parametrize(("action", "roles"), sorted({**NEW_ROWS, **KEPT_ROWS}.items()))
def test_r13_1_matrix_row_allows_exactly_its_roles(action: str, roles: set[Role]) -> None:
    assert ACTIONS[action] == frozenset(roles)
    for role in Role:
        assert allowed(actor(role), action) is (role in roles), (action, role)


def test_account_self_is_every_human_role_and_not_the_system() -> None:
    assert frozenset(HUMAN_ROLES) == ACTIONS["account.self"]
    assert not allowed(SYSTEM_ACTOR, "account.self")


def test_scopes_name_existing_actions_as_specified() -> None:
    assert dict(SCOPES) == {
        "tickets:read": "ticket.read", "tickets:write": "ticket.create", "tickets:class": "ticket.change_class",
        "dispatch": "dispatch.confirm",
        "crew": "crew.report_position", "kpis:read": "kpi.read", "coverage:read": "coverage.read",
        "admin": "user.manage", "orders:ack": "order.acknowledge", "orders:update": "order.update_status",
        "repairs:file": "repair.file", "dispatch:recommend": "dispatch.recommend", "dispatch:plan": "dispatch.plan",
        "appointments:read": "appointment.read", "appointments:write": "ticket.reschedule",
        "appointments:force": "appointment.force",
        "board:read": "board.view", "crews:standby": "crew.standby",
    }
    assert set(SCOPES.values()) <= set(ACTIONS)


def _scope_sets() -> list[frozenset[str]]:
    names = sorted(SCOPES)
    return [frozenset()] + [frozenset({s}) for s in names] + [
        frozenset(c) for c in itertools.combinations(names, 2)
    ] + [frozenset(names)]


@pytest.mark.parametrize("role", list(Role))
def test_r13_1_scopes_never_widen_what_the_roles_allow(role: Role) -> None:
    """For every role, right and scope set: a scoped actor may do an action only if its user may."""
    for rights in (frozenset(), frozenset(GRANTABLE_RIGHTS)):
        user = actor(role, rights=rights)
        for scopes in _scope_sets():
            scoped = token_actor(user, scopes)
            for action in ACTIONS:
                expected = allowed(user, action) and action in scope_actions(scopes)
                assert allowed(scoped, action) is expected, (role, rights, sorted(scopes), action)


def test_a_scope_the_user_lacks_grants_nothing() -> None:
    dispatcher = actor(R.DISPATCHER)
    assert not allowed(token_actor(dispatcher, {"admin"}), "user.manage")
    assert not allowed(token_actor(dispatcher, {"kpis:read"}), "kpi.read")


def test_r7_5_dispatch_scope_needs_the_granted_right() -> None:
    plain = actor(R.DISPATCHER)
    granted = actor(R.DISPATCHER, rights=frozenset({"dispatch.confirm"}))
    assert not allowed(token_actor(plain, {"dispatch"}), "dispatch.confirm")
    assert allowed(token_actor(granted, {"dispatch"}), "dispatch.confirm")
    assert not allowed(token_actor(granted, {"tickets:read"}), "dispatch.confirm")


def test_actions_outside_every_scope_are_refused_to_tokens() -> None:
    admin = token_actor(actor(R.ADMIN, R.SUPERVISOR), set(SCOPES))
    for action in ("account.self", "token.manage", "audit.view", "crew.set_status", "user.create"):
        assert not allowed(admin, action), action
        with pytest.raises(PermissionDenied, match="token scopes"):
            require(admin, action)


def test_narrowing_twice_intersects() -> None:
    once = token_actor(actor(R.SUPERVISOR), {"tickets:read", "kpis:read"})
    twice = token_actor(once, {"kpis:read", "dispatch"})
    assert twice.scopes == frozenset({"kpis:read"})
    assert allowed(twice, "kpi.read") and not allowed(twice, "dispatch.confirm")


def test_unknown_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="everything"):
        token_actor(actor(R.ADMIN), {"everything"})
    with pytest.raises(ValueError, match="everything"):
        actor(R.ADMIN, scopes=frozenset({"everything"}))


def test_unknown_action_is_a_key_error_not_a_denial() -> None:
    with pytest.raises(KeyError, match=r"ops\.permissions\.ACTIONS"):
        require(SYSTEM_ACTOR, "tickets.reed")
    assert not allowed(SYSTEM_ACTOR, "tickets.reed")


def test_an_inactive_user_may_do_nothing() -> None:
    user = User(id=7, username="li", display_name="Li Wei", active=False,
                roles=[UserRole(role=r) for r in HUMAN_ROLES],
                rights=[UserRight(right=r) for r in GRANTABLE_RIGHTS])
    nobody = actor_for_user(user)
    assert nobody.roles == frozenset() and nobody.rights == frozenset()
    for action in ACTIONS:
        assert not allowed(nobody, action), action
        assert not allowed(token_actor(nobody, set(SCOPES)), action), action


def test_an_active_user_has_their_roles_and_rights() -> None:
    user = User(id=8, username="zhang", display_name="Zhang", active=True,
                roles=[UserRole(role=R.DISPATCHER)], rights=[UserRight(right="dispatch.confirm")])
    who = actor_for_user(user)
    assert who.user_id == 8 and who.label == "Zhang" and who.scopes is None
    assert allowed(who, "dispatch.confirm") and allowed(who, "board.view") and not allowed(who, "kpi.read")
