"""Importing a utility's records (districts, customers, ticket history) through the live rules.

The demo writes its 90 days of history through this package, and a utility moving onto the product
will load its own records through the very same path. So it validates like a real importer:
vocabularies, timezone-aware timestamps in lifecycle order, coordinates inside the service area,
the R6.5 class against :func:`ops.rules.classify`, R9 (no completed order without a repair record),
R10 (callbacks only after completion), known crews, customers and users. Every error names the
record and the field, because a person has to find it in a spreadsheet of thousands of rows.

What the importer computes rather than trusts: the proposed class and rule version (R6.5), the
stored deadlines (:func:`ops.rules.deadlines_for`, R6), the ticket and work-order statuses (derived
from the milestones reached, so an in-progress record is imported open at the right stage), and the
R10 follow-up tasks (due by :func:`ops.rules.callback_due`; pending until a callback is recorded).

All or nothing per call: every record of a batch is validated before anything is written, and the
writes happen inside a SAVEPOINT, so a rejected batch leaves no trace while data saved earlier (by
an earlier call, even in the same transaction) stays. Each imported record gets an audit event with
``imported=True`` in the caller's transaction (R13.1). Inserts are batched (one flush per chunk), so
a few thousand tickets import in seconds.

The modules: :mod:`.records` (what goes in), :mod:`.problems` (what a refusal says),
:mod:`.districts`, :mod:`.customers` and :mod:`.history` (one per kind of import; history is
checked per sub-record by the ``*_check`` modules and written by :mod:`.history_write`).
"""

from ops.services.bulk_import.customers import import_customers
from ops.services.bulk_import.districts import import_districts
from ops.services.bulk_import.history import import_history
from ops.services.bulk_import.problems import MAX_PROBLEMS, ImportProblem, ImportRejected
from ops.services.bulk_import.records import (
    AreaCheck,
    CallbackIn,
    ComplaintIn,
    CustomerIn,
    DistrictIn,
    HistoricalTicket,
    ImportSummary,
    RepairRecordIn,
    WorkOrderTimeline,
)
from ops.services.bulk_import.storage import DEFAULT_CHUNK

__all__ = [
    "DEFAULT_CHUNK",
    "MAX_PROBLEMS",
    "AreaCheck",
    "CallbackIn",
    "ComplaintIn",
    "CustomerIn",
    "DistrictIn",
    "HistoricalTicket",
    "ImportProblem",
    "ImportRejected",
    "ImportSummary",
    "RepairRecordIn",
    "WorkOrderTimeline",
    "import_customers",
    "import_districts",
    "import_history",
]
