"""Validating the R11.3 complaints about a historical ticket."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ops.services.bulk_import.fields import aware, between, enum, text
from ops.services.bulk_import.history_context import HistoryContext
from ops.services.bulk_import.history_plans import OrderPlan
from ops.services.bulk_import.problems import FieldError
from ops.services.bulk_import.records import ComplaintIn
from ops.vocabulary import Channel, ComplaintStatus, WorkOrderStatus

__all__ = ["check_complaints"]


def _order_complained_about(orders: Sequence[OrderPlan], at: datetime) -> int | None:
    """The last work order completed by the time of the complaint: the visit it is about."""
    about = None
    for k, order in enumerate(orders):
        done_at = order.source.completed_at
        if order.status is WorkOrderStatus.COMPLETED and done_at is not None and done_at <= at:
            about = k
    return about


def check_complaints(
    complaints: Sequence[ComplaintIn], *, received_at: datetime, now: datetime, orders: Sequence[OrderPlan],
    reporter_name: str | None, reporter_phone: str | None, ctx: HistoryContext,
) -> list[dict[str, Any]]:
    """The complaints as column values, with ``order_index`` for the work order each is about.

    A complaint without a complainant is the reporter's, who is the one a ticket has on record.
    """
    checked = []
    for j, comp in enumerate(complaints):
        c = f"complaints[{j}]."
        if not isinstance(comp, ComplaintIn):
            raise FieldError(f"complaints[{j}]", f"expected a ComplaintIn, got {type(comp).__name__}")
        at = aware(comp.received_at, c + "received_at")
        assert at is not None
        between(at, c + "received_at", received_at, "the ticket's received_at", now, "now")
        status = enum(ComplaintStatus, comp.status, c + "status")
        resolved_at = aware(comp.resolved_at, c + "resolved_at", required=False)
        if status is ComplaintStatus.RESOLVED and resolved_at is None:
            raise FieldError(c + "resolved_at", "a resolved complaint needs its resolution time")
        if status is not ComplaintStatus.RESOLVED and resolved_at is not None:
            raise FieldError(c + "resolved_at", f"a complaint still {status.value} has no resolution time")
        if resolved_at is not None:
            between(resolved_at, c + "resolved_at", at, "received_at", now, "now")
        checked.append({
            "received_at": at,
            "channel": enum(Channel, comp.channel, c + "channel"),
            "description": text(comp.description, c + "description"),
            "complainant_name": text(comp.complainant_name, c + "complainant_name", required=False,
                                     limit=200) or reporter_name,
            "complainant_phone": text(comp.complainant_phone, c + "complainant_phone", required=False,
                                      limit=40) or reporter_phone,
            "handler_id": ctx.user(comp.handler, c + "handler"),
            "status": status,
            "resolved_at": resolved_at,
            "resolution": text(comp.resolution, c + "resolution", required=False),
            "customer_satisfied": comp.customer_satisfied,
            "order_index": _order_complained_about(orders, at),
        })
    return checked
