"""``/api/v1`` routes of the dispatch loop: recommendations, confirming a dispatch, and each work-order step.

Thin on purpose, like ``api_tickets``: read the JSON as its model from :mod:`dashboard.api_models`
(a 422 names every wrong field), call one ``ops.services.work_orders`` function as a unit of work,
render the order. The service
decides the rest. Status codes: 404 no such ticket/order; 409 an illegal step (``status``), a stale
``version`` or a double dispatch refused by the database; 403 a role, scope or crew that may not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue

from dashboard.api import api, iso, performs, read_body
from dashboard.api_models import (
    DispatchIn,
    NotFixedIn,
    ReadingIn,
    ReasonIn,
    ReassignIn,
    RecommendIn,
    RepairIn,
    StepIn,
)
from dashboard.context import context
from ops import unit_of_work
from ops.errors import ServiceError
from ops.models import WorkOrder
from ops.recommendations import StoredRecommendation
from ops.services import work_orders
from ops.services.dispatching import MAX_K, recommend


def order_json(order: Any) -> dict[str, Any]:
    """A work order as the API shows it (the crew page and the dispatch board read the same fields)."""
    shown = order.recommendation or {}  # two top-level keys of the stored copy: no need to type it all
    return {
        "id": order.id, "ticket_id": order.ticket_id, "crew_id": order.crew_id, "status": order.status.value,
        "version": order.version_id, "recommended_crew_id": order.recommended_crew_id,
        "recommendation_id": shown.get("recommendation_id"),
        "decision": shown.get("decision"), "missing_skill": shown.get("missing_skill"),
        "override_reason": order.override_reason,
        "auto_dispatched": order.auto_dispatched, "pre_alerted_at": iso(order.pre_alerted_at),
        "dispatched_at": iso(order.dispatched_at), "acknowledged_at": iso(order.acknowledged_at),
        "departed_at": iso(order.departed_at), "arrived_at": iso(order.arrived_at),
        "completed_at": iso(order.completed_at), "cancelled_at": iso(order.cancelled_at),
        "cancel_reason": order.cancel_reason, "escalated_at": iso(order.escalated_at),
        "eta_seconds_at_dispatch": order.eta_seconds_at_dispatch,
    }


def _run(call: Callable[[Any, Any, datetime], Any], *, created: bool = False) -> ResponseReturnValue:
    """Run one service call as a unit of work and render the order; a refusal becomes its 4xx body
    (``dashboard.api._refused``) after the transaction rolled back."""
    ctx = context()
    payload = unit_of_work.run(ctx.sessions, lambda db: order_json(call(db, g.identity.actor, ctx.clock())))
    response = jsonify(payload)
    response.status_code = 201 if created else 200
    return response


# ----------------------------------------------------------------------------- recommendations
@api.post("/tickets/<int:ticket_id>/recommendations")
@performs("dispatch.recommend")
def create_recommendation_route(ticket_id: int) -> ResponseReturnValue:
    """Rank the top-k crews for a ticket now and store the ranking (R7.1, R13.1); /dispatch takes its id."""
    body = read_body(RecommendIn, optional=True)
    return _recommend(ticket_id, body.k, created=True)


@api.get("/tickets/<int:ticket_id>/recommendations")
@performs("dispatch.recommend")
def ticket_recommendations_route(ticket_id: int) -> ResponseReturnValue:
    """Deprecated (use POST): the top-k crews for a ticket now, stored (R13.1) like the POST."""
    k_text = request.args.get("k", "3")
    if not k_text.isdigit():  # the range is the service's to check, with the one message for it
        raise ServiceError("dispatch.k_range", "k", {"max": MAX_K})
    return _recommend(ticket_id, int(k_text), created=False)


def _recommend(ticket_id: int, k: int, *, created: bool) -> ResponseReturnValue:
    """Store one ranking through the dispatching service; a refusal is answered by ``dashboard.api``."""
    ctx = context()
    body = unit_of_work.run(ctx.sessions, lambda db: recommendation_json(recommend(
        db, g.identity.actor, ticket_id, k, now=ctx.clock(), network=ctx.service_area.network)))
    response = jsonify(body)
    response.status_code = 201 if created else 200
    return response


#: The keys of an option the API shows (the rest of the stored option is internal: cost, busy).
_OPTION_KEYS = ("rank", "crew_id", "crew_code", "eta", "departure", "slack_s", "displaces", "explanation",
                "cost_delta", "diverted")


def recommendation_json(rec: StoredRecommendation) -> dict[str, Any]:
    """A stored recommendation as the API shows it: the ``recommendation_id`` that ``/dispatch`` needs."""
    return {
        "recommendation_id": rec.recommendation_id, "ticket_id": rec.ticket_id, "created_at": iso(rec.created_at),
        "used_fallback": rec.used_fallback, "note": rec.note,
        "options": [{key: value for key, value in o.to_json().items() if key in _OPTION_KEYS} for o in rec.options],
    }


@api.post("/tickets/<int:ticket_id>/dispatch")
@performs("dispatch.confirm")
def dispatch_ticket_route(ticket_id: int) -> ResponseReturnValue:
    """Confirm a crew for a ticket (R7.1); a crew other than the top recommendation needs override_reason."""
    body = read_body(DispatchIn)
    return _run(lambda db, actor, now: work_orders.confirm_dispatch(
        db, actor, ticket_id, body.crew_id, body.recommendation_id, now, override_reason=body.override_reason),
        created=True)


# ----------------------------------------------------------------------------- work-order steps
def _step(service: Callable, order_id: int) -> ResponseReturnValue:
    """A step whose body holds nothing but the optional ``version``."""
    body = read_body(StepIn, optional=True)
    return _run(lambda db, actor, now: service(db, actor, order_id, now, version=body.version))


@api.post("/workorders/<int:order_id>/ack")
@performs("order.acknowledge")
def order_ack_route(order_id: int) -> ResponseReturnValue:
    """The crew acknowledges the order (R7.2; a late acknowledgement is recorded as late)."""
    return _step(work_orders.acknowledge, order_id)


@api.post("/workorders/<int:order_id>/depart")
@performs("order.update_status")
def order_depart_route(order_id: int) -> ResponseReturnValue:
    """The crew departs for the site (the R6.1 departure)."""
    return _step(work_orders.depart, order_id)


@api.post("/workorders/<int:order_id>/arrive")
@performs("order.update_status")
def order_arrive_route(order_id: int) -> ResponseReturnValue:
    """The crew is on site (R8.2)."""
    return _step(work_orders.arrive, order_id)


@api.post("/workorders/<int:order_id>/readings")
@performs("repair.file")
def order_reading_route(order_id: int) -> ResponseReturnValue:
    """A gas detector reading on site: ppm and measured_at (R8.3; required before a class-1 completes)."""
    body = read_body(ReadingIn)

    def call(db: Any, actor: Any, now: datetime) -> WorkOrder:
        work_orders.record_reading(db, actor, order_id, body.ppm, body.measured_at or now, now,
                                   version=body.version)
        return db.get(WorkOrder, order_id)

    return _run(call, created=True)


@api.post("/workorders/<int:order_id>/complete")
@performs("repair.file")
def order_complete_route(order_id: int) -> ResponseReturnValue:
    """File the repair record and complete the order (R9.1; class 1 needs a reading, R8.3)."""
    body = read_body(RepairIn)
    repair = work_orders.RepairIn(
        cause=body.cause, measures=body.measures, parts=[p.model_dump() for p in body.parts], result=body.result,
        customer_name=body.customer_name, customer_confirmed=body.customer_confirmed,
        customer_confirmed_at=body.customer_confirmed_at, safety_advice_given=body.safety_advice_given,
        gas_restored_after_check=body.gas_restored_after_check)
    return _run(lambda db, actor, now: work_orders.complete(db, actor, order_id, repair, now, version=body.version))


@api.post("/workorders/<int:order_id>/not-fixed")
@performs("repair.file")
def order_not_fixed_route(order_id: int) -> ResponseReturnValue:
    """Close the visit as not fixed (follow-up work needed, with a reason); the ticket is re-queued."""
    body = read_body(NotFixedIn)
    return _run(lambda db, actor, now: work_orders.not_fixed(db, actor, order_id, body.reason, now,
                                                             measures=body.measures, version=body.version))


@api.post("/workorders/<int:order_id>/cancel")
@performs("order.update_status")
def order_cancel_route(order_id: int) -> ResponseReturnValue:
    """Withdraw the crew (dispatcher or supervisor, with a reason); the ticket goes back to the queue."""
    body = read_body(ReasonIn)
    return _run(lambda db, actor, now: work_orders.cancel(db, actor, order_id, body.reason, now,
                                                          version=body.version))


@api.post("/workorders/<int:order_id>/reassign")
@performs("dispatch.confirm")
def order_reassign_route(order_id: int) -> ResponseReturnValue:
    """Move the order to another crew, with a reason (R7.3: the supervisor can still reassign)."""
    body = read_body(ReassignIn)
    return _run(lambda db, actor, now: work_orders.reassign(
        db, actor, order_id, body.crew_id, body.reason, now, recommendation_id=body.recommendation_id,
        version=body.version), created=True)
