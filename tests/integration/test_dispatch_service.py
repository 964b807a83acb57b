"""Recommendations and the plan in force as a service: who may store them, the audit trail, previews."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from ops.db import transaction
from ops.errors import NotFoundError, ServiceError
from ops.models import AuditEvent, PlanInForce, Recommendation
from ops.permissions import SYSTEM_ACTOR, Actor, PermissionDenied
from ops.services.dispatching import recommend, replan
from ops.vocabulary import Role
from tests.integration.dispatch_world import NETWORK, SUPERVISOR, World

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
DISPATCHER = Actor(user_id=None, label="dispatcher Wu", roles=frozenset({Role.DISPATCHER}))
MANAGER = Actor(user_id=None, label="manager Ana", roles=frozenset({Role.MANAGER}))


@pytest.fixture
def world(session_factory):
    with transaction(session_factory) as db:
        yield World(db, NOW)


def counts(db) -> tuple[int, int, int]:
    return tuple(db.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Recommendation, PlanInForce,
                                                                                AuditEvent))


def test_a_stored_recommendation_is_audited_with_who_asked(world):
    crew = world.crew(13)
    t = world.ticket(14, 1)
    rec = recommend(world.db, DISPATCHER, t.id, 2, now=NOW, network=NETWORK)
    assert rec.recommendation_id is not None
    assert world.db.get(Recommendation, rec.recommendation_id).payload == rec.to_payload()
    event = world.db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dispatch.recommend"))
    assert (event.actor_label, event.entity, event.entity_id) == ("dispatcher Wu", "ticket", str(t.id))
    assert event.after["recommendation_id"] == rec.recommendation_id and event.after["crew_ids"] == [crew.id]
    assert event.after["k"] == 2


def test_a_manager_previews_a_recommendation_and_nothing_is_written(world):
    world.crew(13)
    t = world.ticket(14, 1)
    before = counts(world.db)
    preview = recommend(world.db, MANAGER, t.id, now=NOW, network=NETWORK, store=False)
    assert preview.recommendation_id is None and preview.options
    world.db.flush()
    assert counts(world.db) == before
    with pytest.raises(PermissionDenied):
        recommend(world.db, MANAGER, t.id, now=NOW, network=NETWORK)


def test_recommend_refuses_a_bad_k_and_an_unknown_ticket(world):
    t = world.ticket(14, 1)
    for k in (0, 11, True):
        with pytest.raises(ServiceError) as refused:
            recommend(world.db, SUPERVISOR, t.id, k, now=NOW, network=NETWORK)
        assert (refused.value.code, refused.value.field) == ("dispatch.k_range", "k")
    with pytest.raises(NotFoundError):
        recommend(world.db, SUPERVISOR, 999_999, now=NOW, network=NETWORK)
    with pytest.raises(NotFoundError):
        recommend(world.db, SUPERVISOR, 2**70, now=NOW, network=NETWORK)


def test_plan_all_replaces_the_plan_in_force_only_for_those_who_may(world):
    world.crew(13)
    world.ticket(14, 2)
    before = counts(world.db)
    preview = replan(world.db, MANAGER, 0.5, now=NOW, network=NETWORK, store=False)
    assert preview.proposals and preview.proposals[0].recommendation_id is None
    world.db.flush()
    assert counts(world.db) == before
    with pytest.raises(PermissionDenied):
        replan(world.db, MANAGER, 0.5, now=NOW, network=NETWORK)

    stored = replan(world.db, DISPATCHER, 0.5, now=NOW, network=NETWORK)
    assert stored.proposals[0].recommendation_id is not None
    plan_id = world.db.scalar(sa.select(PlanInForce.id))
    event = world.db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dispatch.plan"))
    assert (event.actor_label, event.entity, event.entity_id) == ("dispatcher Wu", "plan_in_force", str(plan_id))
    assert event.before == {"plan_id": None} and event.after["source"] == "plan_all"
    # The scheduler (the system) replans too; the next event names the plan it replaced.
    replan(world.db, SYSTEM_ACTOR, 0.5, now=NOW, network=NETWORK)
    last = world.db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "dispatch.plan")
                            .order_by(AuditEvent.id.desc())).first()
    assert last.before == {"plan_id": plan_id} and last.actor_label == "system"


def test_a_recommendation_stored_under_the_old_slack_names_is_still_confirmed_and_displayed(world):
    """No stored row is rewritten: an old payload is read by the one adapter wherever it is used."""
    from ops.audit import record
    from ops.reads.audit_search import audit_event
    from ops.recommendations import StoredRecommendation
    from ops.services.work_orders import confirm_dispatch

    crew = world.crew(13)
    t = world.ticket(14, 2)
    now_s = int(NOW.timestamp())
    old = {"ticket_id": t.id, "ticket_no": t.ticket_no, "ticket_class": 2, "created_at": NOW.isoformat(),
           "now_s": now_s, "k": 3, "used_fallback": False, "note": "", "plan_in_force": None,
           "options": [{"rank": 1, "crew_id": crew.id, "crew_code": crew.code, "eta": NOW.isoformat(),
                        "eta_s": now_s + 90, "departure": NOW.isoformat(), "departure_s": now_s,
                        "slack_s": {"onsite_4h": 3000, "onsite_8h": 17000}, "displaces": [],
                        "explanation": "nearest crew", "cost": 1, "cost_delta": 0, "diverted": False,
                        "busy": False}]}
    row = Recommendation(ticket_id=t.id, created_at=NOW, used_fallback=False, payload=old)
    world.db.add(row)
    world.db.flush()
    order = confirm_dispatch(world.db, SUPERVISOR, t.id, crew.id, row.id, NOW)
    assert order.recommendation["decision"] == "followed" and order.eta_seconds_at_dispatch == 90
    assert order.recommendation["options"][0]["slack_s"] == {"onsite_target": 3000, "onsite_limit": 17000}
    world.db.expire(row)
    assert world.db.get(Recommendation, row.id).payload == old  # the stored row is left as it was
    event = record(world.db, actor_id=None, actor_label="dispatcher before the rename", action="dispatch.confirm",
                   entity="work_order", entity_id=order.id, recommendation={"recommendation_id": row.id, **old},
                   at=NOW)
    world.db.flush()
    detail = audit_event(world.db, event.id)
    assert detail.recommendation == {"recommendation_id": row.id, **old}  # the append-only entry, as written
    shown = StoredRecommendation.from_payload(detail.recommendation)
    assert shown.recommendation_id == row.id and shown.top.slack_s == {"onsite_target": 3000, "onsite_limit": 17000}
