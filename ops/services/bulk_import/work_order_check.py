"""Validating the work orders of a historical ticket (R7–R10): each timeline, then their sequence.

The status of each order is derived from the milestones it reached, not read from the file, so an
in-progress record is imported open at the right stage and the live services can carry it on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ops.services.bulk_import.callback_check import check_callback
from ops.services.bulk_import.fields import aware, between, is_whole, known, not_before, text
from ops.services.bulk_import.history_context import HistoryContext
from ops.services.bulk_import.history_plans import OrderPlan
from ops.services.bulk_import.problems import FieldError
from ops.services.bulk_import.records import CallbackIn, RepairRecordIn, WorkOrderTimeline
from ops.services.bulk_import.repair_check import check_repair
from ops.vocabulary import Answer, RepairResult, TicketClass, WorkOrderStatus

__all__ = ["check_work_order", "check_work_orders"]

_STAGES = ("dispatched_at", "acknowledged_at", "departed_at", "arrived_at", "completed_at")
_STAGE_STATUS = {
    "dispatched_at": WorkOrderStatus.DISPATCHED,
    "acknowledged_at": WorkOrderStatus.ACKNOWLEDGED,
    "departed_at": WorkOrderStatus.EN_ROUTE,
    "arrived_at": WorkOrderStatus.ON_SITE,
    "completed_at": WorkOrderStatus.COMPLETED,
}


def check_work_order(
    k: int, wo: WorkOrderTimeline, ticket_class: TicketClass, received_at: datetime, now: datetime,
    ctx: HistoryContext,
) -> OrderPlan:
    """One timeline, with its repair record and callback; ``k`` is its place in the ticket."""
    p = f"work_orders[{k}]."
    if not isinstance(wo, WorkOrderTimeline):
        raise FieldError(f"work_orders[{k}]", f"expected a WorkOrderTimeline, got {type(wo).__name__}")
    code = text(wo.crew_code, p + "crew_code")
    assert code is not None
    crew_id = known(ctx.crews, code, p + "crew_code", "crew")
    aware(wo.dispatched_at, p + "dispatched_at")  # a work order exists from its dispatch on
    # Milestones: aware, no gaps, in order, not in the future.
    previous_name, previous = "received_at", received_at
    reached = None
    gap = None
    for stage in _STAGES:
        value = aware(getattr(wo, stage), p + stage, required=False)
        if value is None:
            gap = gap or stage
            continue
        if gap is not None:
            raise FieldError(p + gap, f"is missing although {stage} is given (milestones are reached in order)")
        between(value, p + stage, previous, previous_name, now, "now")
        previous_name, previous, reached = p + stage, value, stage
    assert reached is not None  # dispatched_at is required
    status = _STAGE_STATUS[reached]
    pre_alerted = aware(wo.pre_alerted_at, p + "pre_alerted_at", required=False)
    if pre_alerted is not None:
        between(pre_alerted, p + "pre_alerted_at", received_at, "received_at", wo.dispatched_at, "dispatched_at")
    if wo.auto_dispatched and ticket_class is not TicketClass.EMERGENCY:
        raise FieldError(p + "auto_dispatched", "only a class-1 ticket is dispatched automatically (R7.3)")
    if wo.eta_seconds_at_dispatch is not None and not is_whole(wo.eta_seconds_at_dispatch):
        raise FieldError(p + "eta_seconds_at_dispatch", "must be a non-negative whole number of seconds")
    cancelled = aware(wo.cancelled_at, p + "cancelled_at", required=False)
    if cancelled is not None:
        if status is WorkOrderStatus.COMPLETED:
            raise FieldError(p + "cancelled_at", "a completed work order cannot also be cancelled")
        between(cancelled, p + "cancelled_at", previous, previous_name, now, "now")
        text(wo.cancel_reason, p + "cancel_reason")
        status = WorkOrderStatus.CANCELLED
    plan = OrderPlan(wo, crew_id, status, ctx.user(wo.dispatched_by, p + "dispatched_by"))

    if wo.repair is not None and not isinstance(wo.repair, RepairRecordIn):
        raise FieldError(p + "repair", f"expected a RepairRecordIn, got {type(wo.repair).__name__}")
    if wo.callback is not None and not isinstance(wo.callback, CallbackIn):
        raise FieldError(p + "callback", f"expected a CallbackIn, got {type(wo.callback).__name__}")
    completed = status is WorkOrderStatus.COMPLETED
    # R9: completion needs the repair record, and a record is filed only on completion.
    if wo.repair is None:
        if completed:
            raise FieldError(p + "repair", "a completed work order needs its repair record (R9)")
    else:
        if not completed:
            raise FieldError(p + "repair", "a repair record is filed only when the work order is completed (R9)")
        plan.repair_result, plan.filed_by_id = check_repair(wo.repair, p + "repair.", wo, ticket_class, ctx)
    # R10: the callback comes after completion.
    if wo.callback is not None:
        if not completed:
            raise FieldError(p + "callback", "a callback is made only after the work order is completed (R10)")
        assert wo.completed_at is not None
        plan.callback_status, plan.callback_answers, plan.callback_agent_id = check_callback(
            wo.callback, p + "callback.", wo.completed_at, now, ctx)
    if completed:
        # R10.3: "not fixed" (in the record, or in the callback) reopens the ticket.
        plan.reopened = plan.repair_result is not RepairResult.FIXED or (
            plan.callback_answers.get("fully_fixed") is Answer.NO
        )
    return plan


def check_work_orders(
    work_orders: Sequence[WorkOrderTimeline], ticket_class: TicketClass, received_at: datetime,
    now: datetime, ctx: HistoryContext, batch_busy: dict[int, str],
) -> list[OrderPlan]:
    """The orders in dispatch order: a visit follows the end of the one before it, and only when
    that one did not fix the fault (R10.3) or was cancelled; only the last may still be active, and
    never with a crew busy elsewhere (``ctx.busy_crews`` in the database, ``batch_busy`` in the batch).
    """
    orders: list[OrderPlan] = []
    for k, wo in enumerate(work_orders):
        plan = check_work_order(k, wo, ticket_class, received_at, now, ctx)
        if orders:
            prev = orders[-1]
            prev_end = prev.source.completed_at or prev.source.cancelled_at
            if prev_end is None:
                raise FieldError(f"work_orders[{k}]", f"work order {k - 1} is still active; only one may be")
            not_before(wo.dispatched_at, prev_end, f"work_orders[{k}].dispatched_at",
                       f"the end of work order {k - 1}")
            if prev.status is WorkOrderStatus.COMPLETED and not prev.reopened:
                raise FieldError(f"work_orders[{k}]", f"work order {k - 1} fixed the fault; a further visit "
                                                      "needs a repair result or callback saying it was not fixed")
        if plan.status.is_active:
            other = ctx.busy_crews.get(plan.crew_id) or batch_busy.get(plan.crew_id)
            if other is not None:
                raise FieldError(f"work_orders[{k}].crew_code",
                                 f"crew {wo.crew_code!r} already has an active work order (ticket {other})")
        orders.append(plan)
    return orders
