"""Importing ticket history: every record of the batch is checked before any is written.

Checking is per sub-record (:mod:`.ticket_check`, :mod:`.work_order_check`, :mod:`.repair_check`,
:mod:`.callback_check`, :mod:`.complaint_check`) against what :class:`.HistoryContext` looked up
once for the batch; writing (:mod:`.history_write`) happens only when no record was refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from ops.permissions import Actor, require
from ops.rules import DEFAULT_TABLE, RuleSettings, RuleTable
from ops.services.bulk_import.fields import check_now, inside_check
from ops.services.bulk_import.history_context import HistoryContext
from ops.services.bulk_import.history_plans import TicketPlan
from ops.services.bulk_import.history_write import new_counts, write_chunk
from ops.services.bulk_import.problems import validate_each
from ops.services.bulk_import.records import AreaCheck, HistoricalTicket, ImportSummary
from ops.services.bulk_import.storage import DEFAULT_CHUNK, chunks
from ops.services.bulk_import.ticket_check import check_ticket

__all__ = ["import_history"]


def _ticket_key(rec: object) -> str | None:
    ticket_no = getattr(rec, "ticket_no", None)
    return ticket_no if isinstance(ticket_no, str) else None


def import_history(
    session: Session,
    actor: Actor,
    records: Sequence[HistoricalTicket],
    *,
    area: AreaCheck,
    now: datetime,
    rules: RuleSettings | None = None,
    table: RuleTable = DEFAULT_TABLE,
    source: str = "import",
    chunk_size: int = DEFAULT_CHUNK,
) -> ImportSummary:
    """Validate and save a batch of tickets with their work orders, repairs, callbacks and complaints.

    ``now`` is the moment of the import: no milestone may lie after it, and it stamps the audit
    events. ``area`` is the service area's bounds or a predicate ``(lon, lat) -> bool``. Raises
    :class:`ImportRejected` (nothing saved) or :class:`ops.permissions.PermissionDenied`.
    """
    require(actor, "history.import")
    check_now(now)
    inside = inside_check(area)
    ctx = HistoryContext(session, records)
    batch_ticket_nos: set[str] = set()
    batch_busy: dict[int, str] = {}

    def check(i: int, rec: HistoricalTicket) -> TicketPlan:
        plan = check_ticket(i, rec, now=now, ctx=ctx, inside=inside, table=table, rules=rules,
                            batch_ticket_nos=batch_ticket_nos, batch_busy=batch_busy)
        for order in plan.orders:
            if order.status.is_active:  # the crew is taken for the records that follow
                batch_busy[order.crew_id] = plan.values["ticket_no"]
        return plan

    plans = validate_each(records, check, key=_ticket_key)
    counts = new_counts()
    ids: list[int] = []
    with session.begin_nested():
        for part in chunks(plans, chunk_size):
            ids.extend(write_chunk(session, actor, part, now=now, rules=rules, source=source, counts=counts))
    return ImportSummary("tickets", len(ids), tuple(ids), counts)
