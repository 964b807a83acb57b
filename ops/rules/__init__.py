"""The service rules of RULES.md R5–R7 and R10 as code: the single source of truth.

Pages, services, the optimizer input, the KPIs and the simulator all read deadlines, classes, safety
scripts, escalation times, duplicate hints and callback deadlines from here, so that a rule changes
in one place and every consumer agrees on it. Every number is a default an operator can override
(``GASDISPATCH_RULE_<FIELD>``, :mod:`ops.rules.settings`); every function takes
``rules: RuleSettings | None`` so that tests and the simulator can pass their own settings instead
of the process-wide ones.

One module per rule family: :mod:`~ops.rules.settings`, :mod:`~ops.rules.classification` (R6.5),
:mod:`~ops.rules.deadlines` (R6.1, R6.3, R6.4), :mod:`~ops.rules.safety` (R6.2),
:mod:`~ops.rules.escalation` (R7.2-R7.4), :mod:`~ops.rules.duplicates` (R5.6) and
:mod:`~ops.rules.callbacks` (R10). This package re-exports all of them, so ``from ops.rules import X``
is the import path callers use.

``N_``, ``haversine_m``/``EARTH_RADIUS_M`` are not rules; they live in :mod:`ops.i18n` and
:mod:`optimizer.geo` and are re-exported here only so that existing imports keep working.
"""

from __future__ import annotations

from ops.i18n import N_
from ops.rules.appointments import appointment_days, day_slots, slot_end_for, slot_is_offered
from ops.rules.callbacks import callback_due, callback_order_key
from ops.rules.classification import (
    CLASS1_SYMPTOMS,
    CLASS2_FAULT_SYMPTOMS,
    DEFAULT_TABLE,
    FAULT_SYMPTOMS,
    NO_RULE_MATCHED,
    REQUEST_SYMPTOMS,
    RULE_TABLES,
    ClassChangeError,
    Classification,
    ClassificationInput,
    ClassRule,
    Reason,
    RuleTable,
    check_class_change,
    classify,
)
from ops.rules.deadlines import (
    DEADLINE_LABELS,
    DEADLINE_MESSAGES,
    Deadlines,
    NextDeadline,
    TicketDeadlineColumns,
    arrival_deadline,
    deadlines_for,
    next_deadline,
)
from ops.rules.duplicates import (
    DUPLICATE_RELATED_SYMPTOMS,
    DuplicateCandidate,
    is_possible_duplicate,
    symptoms_related,
)
from ops.rules.escalation import EscalationTimes, escalation_times
from ops.rules.safety import (
    MAJOR_INCIDENT_SYMPTOMS,
    SafetyInstruction,
    needs_callback_task,
    safety_script,
)
from ops.rules.settings import ENV_PREFIX, RuleSettings, get_rule_settings, local_zone, to_local
from optimizer.geo import EARTH_RADIUS_M, haversine_m

__all__ = [
    "CLASS1_SYMPTOMS",
    "CLASS2_FAULT_SYMPTOMS",
    "DEADLINE_LABELS",
    "DEADLINE_MESSAGES",
    "DEFAULT_TABLE",
    "DUPLICATE_RELATED_SYMPTOMS",
    "EARTH_RADIUS_M",
    "ENV_PREFIX",
    "FAULT_SYMPTOMS",
    "MAJOR_INCIDENT_SYMPTOMS",
    "NO_RULE_MATCHED",
    "N_",
    "REQUEST_SYMPTOMS",
    "RULE_TABLES",
    "ClassChangeError",
    "ClassRule",
    "Classification",
    "ClassificationInput",
    "Deadlines",
    "DuplicateCandidate",
    "EscalationTimes",
    "NextDeadline",
    "Reason",
    "RuleSettings",
    "RuleTable",
    "SafetyInstruction",
    "TicketDeadlineColumns",
    "appointment_days",
    "arrival_deadline",
    "callback_due",
    "callback_order_key",
    "check_class_change",
    "classify",
    "day_slots",
    "deadlines_for",
    "escalation_times",
    "get_rule_settings",
    "haversine_m",
    "is_possible_duplicate",
    "local_zone",
    "needs_callback_task",
    "next_deadline",
    "safety_script",
    "slot_end_for",
    "slot_is_offered",
    "symptoms_related",
    "to_local",
]
