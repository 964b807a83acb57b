"""Writing checked historical tickets: one chunk of plans becomes rows, follow-ups and audit events.

Tickets, work orders and repair records go in with one flush per chunk; the rows that need their
ids (R10 follow-up tasks, complaints, the R13.1 audit event) follow with a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from ops.audit import snapshot
from ops.models import (
    ClassChange,
    Complaint,
    FollowUp,
    RepairRecord,
    SafetyInstruction,
    Ticket,
    WorkOrder,
)
from ops.permissions import Actor
from ops.rules import RuleSettings, callback_due, callback_order_key
from ops.services.bulk_import.history_plans import OrderPlan, TicketPlan
from ops.services.bulk_import.storage import audit_imported
from ops.vocabulary import Channel, FollowUpStatus, TicketClass, TicketStatus, WorkOrderStatus

__all__ = ["new_counts", "write_chunk"]

_TICKET_AUDIT_FIELDS = (
    "id", "ticket_no", "channel", "received_at", "customer_id", "district_id", "symptom", "odour",
    "agent_judgement", "proposed_class", "ticket_class", "rule_version", "slot_start", "slot_end",
    "depart_deadline", "dispatch_deadline", "onsite_target", "onsite_limit", "status", "closed_at",
)
_ORDER_AUDIT_FIELDS = (
    "id", "crew_id", "status", "auto_dispatched", "dispatched_at", "acknowledged_at", "departed_at",
    "arrived_at", "completed_at", "cancelled_at",
)


def new_counts() -> dict[str, int]:
    """The tally :func:`write_chunk` keeps of what it wrote, per kind of row, all at zero."""
    return {"tickets": 0, "work_orders": 0, "repair_records": 0, "follow_ups": 0, "callbacks": 0,
            "complaints": 0, "class_changes": 0, "safety_instructions": 0, "open": 0}


def _ticket(plan: TicketPlan, counts: dict[str, int]) -> Ticket:
    """The ticket row with its class change and safety instructions."""
    ticket = Ticket(**plan.values)
    if plan.class_change is not None:
        ticket.class_changes.append(ClassChange(**plan.class_change))
        counts["class_changes"] += 1
    given_at = plan.source.safety_script_given_at
    shown = plan.values["channel"] in (Channel.WEB_APP, Channel.WECHAT)
    for code in plan.safety_codes:
        ticket.safety_instructions.append(SafetyInstruction(
            code=code, given_at=given_at, given_by_id=plan.safety_given_by_id,
            channel=plan.values["channel"], shown_on_screen=shown,
        ))
    counts["safety_instructions"] += len(plan.safety_codes)
    return ticket


def _work_order(ticket: Ticket, op: OrderPlan, counts: dict[str, int]) -> WorkOrder:
    """The work order row, with its repair record when it has one."""
    wo = op.source
    order = WorkOrder(
        ticket=ticket, crew_id=op.crew_id, status=op.status, auto_dispatched=bool(wo.auto_dispatched),
        pre_alerted_at=wo.pre_alerted_at, dispatched_at=wo.dispatched_at,
        dispatched_by_id=op.dispatched_by_id, acknowledged_at=wo.acknowledged_at,
        departed_at=wo.departed_at, arrived_at=wo.arrived_at, completed_at=wo.completed_at,
        cancelled_at=wo.cancelled_at, cancel_reason=wo.cancel_reason,
        eta_seconds_at_dispatch=wo.eta_seconds_at_dispatch,
    )
    if wo.repair is not None:
        rep = wo.repair
        order.repair_record = RepairRecord(
            cause=rep.cause.strip(), measures=rep.measures.strip(),
            parts_replaced=[dict(part) for part in rep.parts_replaced or ()],
            result=op.repair_result, customer_confirmation=rep.customer_confirmation.strip(),
            gas_reading_ppm=None if rep.gas_reading_ppm is None else float(rep.gas_reading_ppm),
            gas_reading_at=rep.gas_reading_at, safety_advice_given=bool(rep.safety_advice_given),
            gas_restored_after_check=bool(rep.gas_restored_after_check),
            completed_at=wo.completed_at, filed_by_id=op.filed_by_id,
        )
        counts["repair_records"] += 1
    return order


def _follow_ups(session: Session, plan: TicketPlan, ticket: Ticket, orders: Sequence[WorkOrder],
                rules: RuleSettings | None, counts: dict[str, int]) -> None:
    """R10.1/R10.2: every completed work order gets its callback task, done if the call was recorded."""
    cls = TicketClass(ticket.ticket_class)
    has_complaint = bool(plan.complaints)
    for op, order in zip(plan.orders, orders, strict=True):
        if op.status is not WorkOrderStatus.COMPLETED:
            continue
        completed_at = op.source.completed_at
        assert completed_at is not None
        due = callback_due(cls, completed_at, rules)
        cb = op.source.callback
        session.add(FollowUp(
            work_order_id=order.id, ticket_id=ticket.id, due_at=due,
            priority=callback_order_key(cls, due, complaint=has_complaint)[0],
            status=op.callback_status or FollowUpStatus.PENDING, created_at=completed_at,
            attempts=cb.attempts if cb is not None else 0,
            called_at=cb.called_at if cb is not None else None, agent_id=op.callback_agent_id,
            **op.callback_answers,
        ))
        counts["follow_ups"] += 1
        counts["callbacks"] += cb is not None


def _complaints(session: Session, plan: TicketPlan, ticket: Ticket, orders: Sequence[WorkOrder],
                counts: dict[str, int]) -> None:
    """R11.3: the complaints, each tied to the work order it is about (if any was completed)."""
    for complaint in plan.complaints:
        comp = dict(complaint)
        about = comp.pop("order_index")
        session.add(Complaint(
            customer_id=ticket.customer_id, ticket_id=ticket.id,
            work_order_id=orders[about].id if about is not None else None, **comp,
        ))
        counts["complaints"] += 1


def write_chunk(
    session: Session, actor: Actor, plans: Sequence[TicketPlan], *, now: datetime,
    rules: RuleSettings | None, source: str, counts: dict[str, int],
) -> list[int]:
    """Write ``plans`` and return the new tickets' ids in order; ``counts`` is added to."""
    written: list[tuple[TicketPlan, Ticket, list[WorkOrder]]] = []
    for plan in plans:
        ticket = _ticket(plan, counts)
        orders = [_work_order(ticket, op, counts) for op in plan.orders]
        session.add(ticket)
        written.append((plan, ticket, orders))
    session.flush()

    ids = []
    for plan, ticket, orders in written:
        _follow_ups(session, plan, ticket, orders, rules, counts)
        _complaints(session, plan, ticket, orders, counts)
        counts["work_orders"] += len(orders)
        counts["tickets"] += 1
        counts["open"] += TicketStatus(ticket.status).is_open
        audit_imported(
            session, actor, action="ticket.import", entity="ticket", entity_id=ticket.id,
            after={
                **snapshot(ticket, _TICKET_AUDIT_FIELDS),
                "work_orders": [snapshot(o, _ORDER_AUDIT_FIELDS) for o in orders],
                "class_change": plan.class_change,
                "complaints": len(plan.complaints),
            },
            now=now, source=source,
        )
        ids.append(ticket.id)
    session.flush()
    return ids
