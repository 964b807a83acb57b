"""Recommendations and the plan in force (R7.1, R7.3, R13.1): who may store them, and the audit trail.

A stored recommendation is what a dispatcher's later decision is judged against (R13.1: "followed"
or "override"), and the plan in force is what every click inserts into and what the R7.3
auto-dispatch sends crews by. Both are therefore changes, not reads: only dispatchers, supervisors
and the system (the scheduler, the demo feed) may make them (``dispatch.recommend``,
``dispatch.plan``), and each is audited. Anyone who may view the board may *preview* either one:
the same computation, nothing written (``store=False``).

The computation itself (the dispatch state, the ranking, the plan) is :mod:`ops.dispatching`; this
module only decides whether it may be kept, keeps it and says so in the audit log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.audit import record
from ops.dispatching import Proposal, QueuePlan, plan_whole_queue, rank_crews, stored_recommendation
from ops.errors import NotFoundError, ServiceError, check_aware, is_id
from ops.models import PlanInForce, Recommendation
from ops.permissions import Actor, require
from ops.plan_in_force import store_plan
from ops.recommendations import StoredRecommendation
from optimizer.dispatch_types import DispatchState, Plan, TravelTimes
from optimizer.network import RoadNetwork

__all__ = ["MAX_K", "PREVIEW_ACTION", "adopt_plan", "recommend", "replan"]

#: The most crews one recommendation ranks (the API's ``k``).
MAX_K = 10
#: What previewing needs: seeing the board, where the ranking and the plan are shown.
PREVIEW_ACTION = "board.view"


def recommend(db: Session, actor: Actor, ticket_id: int, k: int = 3, *, now: datetime, network: RoadNetwork,
              store: bool = True, travel: TravelTimes | None = None,
              state: DispatchState | None = None) -> StoredRecommendation:
    """The top-``k`` crews for one ticket at ``now`` (R7.1), stored and audited unless ``store`` is false.

    Stored, it is what the panel and the API show and what the work order keeps when the dispatcher
    decides; its ``recommendation_id`` is what ``confirm_dispatch`` takes. A preview is the same
    recommendation with no ``recommendation_id``, and nothing is written.
    ``state`` lets the scheduler rank several tickets from one dispatch state in one tick.
    """
    require(actor, "dispatch.recommend" if store else PREVIEW_ACTION)
    check_aware(now, "now")
    if not is_id(ticket_id):
        raise NotFoundError("ticket.not_found", "ticket_id")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise ServiceError("dispatch.k_range", "k", {"max": MAX_K})
    recommendation = rank_crews(db, ticket_id, now, network, k, travel=travel, state=state).recommendation(now, k)
    return _store(db, actor, recommendation, now) if store else recommendation


def _store(db: Session, actor: Actor, rec: StoredRecommendation, now: datetime) -> StoredRecommendation:
    row = Recommendation(ticket_id=rec.ticket_id, created_at=now, used_fallback=rec.used_fallback,
                         payload=rec.to_payload())
    db.add(row)
    db.flush()
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="dispatch.recommend", entity="ticket",
           entity_id=rec.ticket_id, at=now,
           after={"recommendation_id": row.id, "k": rec.k, "used_fallback": rec.used_fallback,
                  "source": rec.source, "crew_ids": [o.crew_id for o in rec.options]})
    return replace(rec, recommendation_id=row.id)


def adopt_plan(db: Session, actor: Actor, plan: Plan, *, now: datetime, source: str,
               state: DispatchState | None = None) -> PlanInForce:
    """Make a person's ``plan`` the plan in force from ``now`` (clicks insert into it, R7.3 dispatches
    by it), with the audit line that says who replaced which plan. The scheduler's once-a-minute
    refresh of the same cache stores its plan directly (``ops.plan_in_force.store_plan``).
    """
    require(actor, "dispatch.plan")
    check_aware(now, "now")
    replaced = db.scalar(sa.select(PlanInForce.id).order_by(PlanInForce.created_at.desc(), PlanInForce.id.desc())
                         .limit(1))
    row = store_plan(db, plan, now, source, state)
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="dispatch.plan", entity="plan_in_force",
           entity_id=row.id, at=now, before={"plan_id": replaced},
           after={"plan_id": row.id, "source": source, "used_fallback": plan.used_fallback,
                  "crews": len(plan.routes), "jobs": sum(len(jobs) for jobs in plan.routes.values()),
                  "dropped": len(plan.dropped)})
    return row


def replan(db: Session, actor: Actor, budget_s: float = 4.0, *, now: datetime, network: RoadNetwork,
           store: bool = True, travel: TravelTimes | None = None) -> QueuePlan:
    """"Plan all": one plan of the whole queue, a crew proposed for each ticket a crew can take now.

    Stored, the plan becomes the plan in force and each proposal is kept as a recommendation whose
    top option is the plan's crew (R13.1), so confirming it is recorded as "followed" and an
    override is judged against it. A preview (``store=False``) proposes the same and writes nothing:
    its proposals carry no ``recommendation_id`` and cannot be confirmed as they are.
    """
    require(actor, "dispatch.plan" if store else PREVIEW_ACTION)
    check_aware(now, "now")
    result = plan_whole_queue(db, now, network, budget_s, travel=travel)
    if store:
        # A fresh plan of the whole queue is the best one there is: clicks insert into it from now on.
        adopt_plan(db, actor, result.plan, now=now, source="plan_all", state=result.state)
    proposals: list[Proposal] = []
    for draft in result.drafts:
        ticket, option = draft.ticket, draft.option
        rec = stored_recommendation(ticket, now, (option,), used_fallback=result.plan.used_fallback,
                                    note=result.plan.note, k=1, source="plan_all")
        if store:
            rec = _store(db, actor, rec, now)
        proposals.append(Proposal(
            ticket_id=ticket.id, ticket_no=ticket.ticket_no, ticket_class=int(ticket.ticket_class),
            crew_id=option.crew_id, crew_code=option.crew_code, recommendation_id=rec.recommendation_id,
            eta=option.eta, departure=option.departure, slack_s=dict(option.slack_s),
        ))
    proposals.sort(key=lambda p: (p.ticket_class, p.departure, p.ticket_no))
    return QueuePlan(proposals=proposals, queued=result.queued, dropped=result.dropped,
                     used_fallback=result.plan.used_fallback, note=result.plan.note)
