"""Intake (R4, R5, R6): a report from any channel becomes a classified ticket with its deadlines.

One service for every door: the hotline page (a Dash form) and the REST API both build a
:class:`ReportIn` and call :func:`create_ticket` inside ``ops.db.transaction``, so that the
classification (R6.5), the deadlines (R6), the R6.2 safety script and call-back task, the first
reporter (R5.6) and the audit event (R13.1) are written together or not at all.

For the form, the pieces are also callable on their own, without writing anything:
:func:`preview_classification` (the class the system would propose while the agent is still
typing), :func:`resolve_location` and :func:`find_duplicates` (the R5.6 hint shown before saving).
After saving, :func:`record_safety_instruction` time-stamps each line of the script the agent reads,
:func:`change_class` raises (or, with a supervisor, lowers) the class, and :func:`link_report` adds a
caller to an existing ticket instead of creating a second one;
:func:`complete_callback_task` closes (or records an unanswered try at) an R6.2 call-back.

Every validation error is an :class:`ops.errors.ServiceError` naming the field(s) in the API's spelling
(``location``, ``started_at``, ``appointment`` ...), so a form and a JSON client can both point at
what to fix. Unknown yes/no answers are stored as ``unknown`` and classified as the worst case (R5.3).
"""

from ops.services.intake.after import change_class, link_report, record_safety_instruction
from ops.services.intake.callbacks import complete_callback_task
from ops.services.intake.create import create_ticket, replay_idempotent
from ops.services.intake.duplicates import find_duplicates
from ops.services.intake.location import resolve_location
from ops.services.intake.report import (
    CHANNEL_ALIASES,
    LONGEST_CALL,
    DuplicateHit,
    IntakeResult,
    ReportIn,
    ResolvedLocation,
    as_answer,
    preview_classification,
    ticket_reasons,
    ticket_safety_script,
)

__all__ = [
    "CHANNEL_ALIASES",
    "LONGEST_CALL",
    "DuplicateHit",
    "IntakeResult",
    "ReportIn",
    "ResolvedLocation",
    "as_answer",
    "change_class",
    "complete_callback_task",
    "create_ticket",
    "find_duplicates",
    "link_report",
    "preview_classification",
    "record_safety_instruction",
    "replay_idempotent",
    "resolve_location",
    "ticket_reasons",
    "ticket_safety_script",
]
