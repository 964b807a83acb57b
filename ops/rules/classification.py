"""R6.5 classification: the versioned rule table that proposes a ticket's class, and class changes.

The system proposes and the agent may raise (R5.4), giving a reason as for every change of class;
lowering class 1 is the R6.5 exception that also needs a supervisor (:func:`check_class_change`).
Each ticket stores the version of the table that classified it, so an old classification can be
replayed with the reasons it was given then (:data:`RULE_TABLES`). Reason messages are msgids marked with :func:`ops.i18n.N_`; the UI
translates them at display time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ops.errors import ServiceError
from ops.i18n import N_
from ops.vocabulary import Answer, Judgement, Role, Symptom, TicketClass

__all__ = [
    "CLASS1_SYMPTOMS",
    "CLASS2_FAULT_SYMPTOMS",
    "DEFAULT_TABLE",
    "FAULT_SYMPTOMS",
    "NO_RULE_MATCHED",
    "REQUEST_SYMPTOMS",
    "RULE_TABLES",
    "ClassChangeError",
    "ClassRule",
    "Classification",
    "ClassificationInput",
    "Reason",
    "RuleTable",
    "check_class_change",
    "classify",
]

#: R6.1: symptoms that are class 1 by themselves.
CLASS1_SYMPTOMS: frozenset[Symptom] = frozenset(
    {Symptom.GAS_LEAK, Symptom.PIPE_DAMAGE, Symptom.FIRE, Symptom.EXPLOSION}
)
#: R6.4: scheduled-work requests (the "class-3 request types" of R6.5).
REQUEST_SYMPTOMS: frozenset[Symptom] = frozenset(
    {Symptom.INSTALLATION, Symptom.MODIFICATION, Symptom.CONSULTATION, Symptom.MAINTENANCE}
)
#: R6.5 "any fault symptom": everything that is not a scheduled-work request, ``other`` included.
FAULT_SYMPTOMS: frozenset[Symptom] = frozenset(Symptom) - REQUEST_SYMPTOMS
#: R6.3 / R6.5: faults that are class 2 when there is no odour.
CLASS2_FAULT_SYMPTOMS: frozenset[Symptom] = frozenset(
    {Symptom.NO_GAS, Symptom.ABNORMAL_FLAME, Symptom.METER_FAULT, Symptom.VALVE_DAMAGE, Symptom.APPLIANCE_FAULT}
)

#: The answers a :class:`ClassRule` can test, by attribute of :class:`ClassificationInput`.
_ANSWER_FIELDS = ("odour", "abnormal_noise", "people_on_site", "ventilated", "valve_closed")


@dataclass(frozen=True)
class ClassificationInput:
    """What R5.2–R5.4 record that the class depends on.

    Answers default to ``unknown`` because R5.3 treats unknown as the worst case: a caller that
    forgets to pass an answer can only make the proposal more urgent, never less. The default
    table (R6.5) only reads the symptom, the odour and the judgement; the other answers are here so
    that a later table version can use them without changing any caller.
    """

    symptom: Symptom
    odour: Answer = Answer.UNKNOWN
    abnormal_noise: Answer = Answer.UNKNOWN
    people_on_site: Answer = Answer.UNKNOWN
    ventilated: Answer = Answer.UNKNOWN
    valve_closed: Answer = Answer.UNKNOWN
    judgement: Judgement = Judgement.GENERAL

    def __post_init__(self) -> None:
        # Form values arrive as plain strings; coerce so a typo fails here, not in a rule lookup.
        object.__setattr__(self, "symptom", Symptom(self.symptom))
        object.__setattr__(self, "judgement", Judgement(self.judgement))
        for name in _ANSWER_FIELDS:
            object.__setattr__(self, name, Answer(getattr(self, name)))


@dataclass(frozen=True)
class Reason:
    """Why a class was proposed: ``code`` is stable (stored, tested), ``message`` is a msgid to translate."""

    code: str
    message: str
    rule_id: str = "R6.5"


def _frozen(values: Iterable[Any] | None, kind: type) -> frozenset[Any] | None:
    if values is None:
        return None
    if isinstance(values, str):  # a bare "yes" would otherwise become {"y", "e", "s"}
        values = (values,)
    return frozenset(kind(v) for v in values)


@dataclass(frozen=True)
class ClassRule:
    """One row of an R6.5 rule table: a condition on the report and the class it implies.

    Each condition is a set of accepted values, or ``None`` for "any". A row matches when every
    condition it sets holds.
    """

    code: str
    message: str
    ticket_class: TicketClass
    symptoms: frozenset[Symptom] | None = None
    odour: frozenset[Answer] | None = None
    abnormal_noise: frozenset[Answer] | None = None
    people_on_site: frozenset[Answer] | None = None
    ventilated: frozenset[Answer] | None = None
    valve_closed: frozenset[Answer] | None = None
    judgement: frozenset[Judgement] | None = None

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("code: a class rule needs a stable code")
        object.__setattr__(self, "ticket_class", TicketClass(self.ticket_class))
        object.__setattr__(self, "symptoms", _frozen(self.symptoms, Symptom))
        object.__setattr__(self, "judgement", _frozen(self.judgement, Judgement))
        for name in _ANSWER_FIELDS:
            object.__setattr__(self, name, _frozen(getattr(self, name), Answer))

    def matches(self, report: ClassificationInput) -> bool:
        if self.symptoms is not None and report.symptom not in self.symptoms:
            return False
        if self.judgement is not None and report.judgement not in self.judgement:
            return False
        for name in _ANSWER_FIELDS:
            accepted = getattr(self, name)
            if accepted is not None and getattr(report, name) not in accepted:
                return False
        return True

    @property
    def reason(self) -> Reason:
        return Reason(self.code, self.message)


@dataclass(frozen=True)
class RuleTable:
    """A versioned R6.5 rule table; each ticket stores the ``version`` that classified it.

    Rows are evaluated in order and every matching row counts: the proposed class is the most
    urgent class among the matching rows, and the reasons are those rows, in table order. A row
    can therefore never shadow a more urgent one placed after it (R1.1 safety first), and the
    agent sees every reason that led to the class, e.g. both "leak" and "judged emergency".
    """

    version: str
    rules: tuple[ClassRule, ...]

    def __post_init__(self) -> None:
        if not self.version:
            raise ValueError("version: a rule table needs a version")
        if not self.rules:
            raise ValueError("rules: a rule table needs at least one rule")
        codes = [r.code for r in self.rules]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"rules: duplicate rule codes {duplicates}")

    def gaps(self) -> tuple[ClassificationInput, ...]:
        """Every possible report that no row matches; a complete table returns ``()``."""
        combos = itertools.product(Symptom, *(Answer for _ in _ANSWER_FIELDS), Judgement)
        missing = []
        for symptom, *answers, judgement in combos:
            report = ClassificationInput(symptom, *answers, judgement=judgement)
            if not any(rule.matches(report) for rule in self.rules):
                missing.append(report)
        return tuple(missing)


@dataclass(frozen=True)
class Classification:
    """The proposed class (R5.4: the system proposes, the agent may raise it) and why."""

    ticket_class: TicketClass
    rule_version: str
    reasons: tuple[Reason, ...]

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


_YES_OR_UNKNOWN = frozenset({Answer.YES, Answer.UNKNOWN})
_NO = frozenset({Answer.NO})

#: The default R6.5 table, row for row as RULES.md lists it.
DEFAULT_TABLE = RuleTable(
    version="R6.5-2026.1",
    rules=(
        ClassRule(
            "emergency_symptom",
            N_("A gas leak, ruptured pipe, fire or explosion is always an emergency repair."),
            TicketClass.EMERGENCY,
            symptoms=CLASS1_SYMPTOMS,
        ),
        ClassRule(
            "fault_with_odour",
            N_("A fault with a smell of gas, or where the smell is unknown, is an emergency repair."),
            TicketClass.EMERGENCY,
            symptoms=FAULT_SYMPTOMS,
            odour=_YES_OR_UNKNOWN,
        ),
        ClassRule(
            "request_with_odour",
            N_("A smell of gas was reported with a scheduled-work request: emergency repair."),
            TicketClass.EMERGENCY,
            symptoms=REQUEST_SYMPTOMS,
            odour={Answer.YES},
        ),
        ClassRule(
            "judged_emergency",
            N_("The agent judged the report an emergency."),
            TicketClass.EMERGENCY,
            judgement={Judgement.EMERGENCY},
        ),
        ClassRule(
            "fault_without_odour",
            N_("No gas, abnormal flame, meter, valve or appliance fault without a smell of gas: urgent repair."),
            TicketClass.URGENT,
            symptoms=CLASS2_FAULT_SYMPTOMS,
            odour=_NO,
        ),
        ClassRule(
            "other_default",
            N_("Other faults are urgent repairs by default."),
            TicketClass.URGENT,
            symptoms={Symptom.OTHER},
        ),
        ClassRule(
            "request_without_odour",
            N_("Installation, modification, consultation or maintenance without a smell of gas: scheduled work."),
            TicketClass.SCHEDULED,
            symptoms=REQUEST_SYMPTOMS,
            odour=_NO,
        ),
        ClassRule(
            "request_odour_unknown",
            N_(
                "Scheduled-work request and the caller does not know whether there is a smell of gas: "
                "scheduled work. Raise the class if in doubt."
            ),
            TicketClass.SCHEDULED,
            symptoms=REQUEST_SYMPTOMS,
            odour={Answer.UNKNOWN},
        ),
    ),
)

#: Every table a stored ticket may name, by version, so an old classification can be replayed.
RULE_TABLES: Mapping[str, RuleTable] = MappingProxyType({DEFAULT_TABLE.version: DEFAULT_TABLE})

#: Used only if a custom table leaves a gap: an unclassifiable report is treated as the worst case.
NO_RULE_MATCHED = Reason(
    "no_rule_matched",
    N_("No classification rule matched; treated as an emergency repair until an agent decides."),
    "R1.1",
)


def classify(report: ClassificationInput, table: RuleTable = DEFAULT_TABLE) -> Classification:
    """Propose a class for ``report`` under ``table`` (R6.5, R5.4).

    Reading of R6.5 for the class-3 request types (installation, modification, consultation,
    maintenance): only an odour answered *yes* escalates them to class 1; the table says "yes or
    unknown" for faults but only "yes" for requests, so the difference is deliberate and the table
    wins over R5.3's general "unknown is the worst case". A request with odour *unknown* therefore
    stays class 3, under its own reason code (``request_odour_unknown``) so the agent sees that the
    odour was not established. ``other`` is a fault symptom (R5.2 lists it among the faults), so
    with an odour answered yes or unknown it is class 1, and class 2 otherwise.

    The default table does not read abnormal noise or the R5.3 safety state; the agent's
    "emergency" judgement is how those answers raise a class today.

    A gap in a custom table yields class 1 with reason ``no_rule_matched`` rather than an error:
    the hotline agent is on a call and must be able to save the ticket (R1.1).
    """
    matched = [rule for rule in table.rules if rule.matches(report)]
    if not matched:
        return Classification(TicketClass.EMERGENCY, table.version, (NO_RULE_MATCHED,))
    best = min(rule.ticket_class for rule in matched)
    reasons = tuple(rule.reason for rule in matched if rule.ticket_class == best)
    return Classification(best, table.version, reasons)


class ClassChangeError(ServiceError):
    """A class change that R6.5 forbids; ``field`` names the form field to attach the error to."""


def check_class_change(
    current: TicketClass | int,
    new: TicketClass | int,
    *,
    actor_roles: Iterable[Role | str],
    reason: str | None,
) -> None:
    """Refuse a class change that R6.5 does not allow; return ``None`` when it is allowed.

    R6.5 logs every change of class "with who made it and why", so any change needs a reason,
    a raise included: without one the log could not say why a caller was sent a crew within 30
    minutes. Otherwise raising (towards 1) is open to anyone who takes calls, since it can only
    make the response faster. Lowering from class 1 also needs the supervisor role; only that
    role counts, as admin rights do not carry the operational judgement R6.5 asks for. Keeping
    the class is no change and needs nothing.
    """
    current, new = TicketClass(current), TicketClass(new)
    if new == current:
        return
    classes = {"from_class": int(current), "to_class": int(new)}
    lowered = new > current
    if lowered and current is TicketClass.EMERGENCY and Role.SUPERVISOR not in {Role(r) for r in actor_roles}:
        raise ClassChangeError("class.lower_needs_supervisor", "ticket_class", classes)
    if not (reason and reason.strip()):
        # Lowering says so in its own words; a raise gets the general rule.
        raise ClassChangeError("class.lower_needs_reason" if lowered else "class.change_needs_reason",
                               "reason", classes)
