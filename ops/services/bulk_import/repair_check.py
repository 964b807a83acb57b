"""Validating the repair record of a completed historical work order (R9.1, R8.3–R8.6)."""

from __future__ import annotations

from collections.abc import Mapping

from ops.services.bulk_import.fields import aware, between, enum, is_number, text
from ops.services.bulk_import.history_context import HistoryContext
from ops.services.bulk_import.problems import FieldError
from ops.services.bulk_import.records import RepairRecordIn, WorkOrderTimeline
from ops.vocabulary import RepairResult, TicketClass

__all__ = ["check_repair"]


def check_repair(
    rep: RepairRecordIn, prefix: str, wo: WorkOrderTimeline, ticket_class: TicketClass, ctx: HistoryContext,
) -> tuple[RepairResult, int | None]:
    """The record's result and the id of the user who filed it.

    ``wo`` is completed (the caller checked), so its arrival and completion bound the gas reading.
    ``prefix`` spells the record's place in the ticket (``work_orders[0].repair.``).
    """
    text(rep.cause, prefix + "cause")
    text(rep.measures, prefix + "measures")
    text(rep.customer_confirmation, prefix + "customer_confirmation")
    result = enum(RepairResult, rep.result, prefix + "result")
    for j, part in enumerate(rep.parts_replaced or ()):
        if not isinstance(part, Mapping) or not str(part.get("name", "")).strip():
            raise FieldError(f"{prefix}parts_replaced[{j}]", "each replaced part needs a name (R8.4)")
    reading_at = aware(rep.gas_reading_at, prefix + "gas_reading_at", required=False)
    if (rep.gas_reading_ppm is None) != (reading_at is None):
        raise FieldError(prefix + "gas_reading_at", "a gas reading needs both its value and its time (R8.3)")
    if rep.gas_reading_ppm is not None:
        ppm = rep.gas_reading_ppm
        if not is_number(ppm) or ppm < 0:
            raise FieldError(prefix + "gas_reading_ppm", f"{ppm!r} is not a reading in ppm")
        assert reading_at is not None and wo.arrived_at is not None and wo.completed_at is not None
        between(reading_at, prefix + "gas_reading_at", wo.arrived_at, "arrived_at", wo.completed_at, "completed_at")
    elif ticket_class is TicketClass.EMERGENCY:
        raise FieldError(prefix + "gas_reading_ppm", "a class-1 repair needs the gas detector reading (R8.3)")
    return result, ctx.user(rep.filed_by, prefix + "filed_by")
