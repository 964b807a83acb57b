"""The service rules of RULES.md R5–R7 and R10 as code: the single source of truth.

Pages, services, the optimizer input, the KPIs and the simulator all read deadlines, classes, safety
scripts, escalation times, duplicate hints and callback deadlines from here, so that a rule changes
in one place and every consumer agrees on it. Every number is a default an operator can override
(``GASDISPATCH_RULE_<FIELD>``); every function takes ``rules: RuleSettings | None`` so that tests and
the simulator can pass their own settings instead of the process-wide ones.

Time arithmetic is done on elapsed time (in UTC) and returned in the caller's time zone. Python's
aware-datetime arithmetic within one zone is wall-clock arithmetic, which would make a deadline
that spans a daylight-saving change one hour early or late (America/Santiago changes twice a year).

Human-readable messages are English source strings wrapped in :func:`N_`, a no-op marker that
Babel extracts (``pybabel extract -k N_``); the UI translates them at display time.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ops.errors import ServiceError
from ops.settings import check_timezone
from ops.vocabulary import Answer, Channel, Judgement, Role, Symptom, TicketClass

ENV_PREFIX = "GASDISPATCH_RULE_"


def N_(message: str) -> str:  # noqa: N802 - the conventional name of the gettext no-op marker
    """Mark ``message`` for extraction without translating it: rules run outside any request locale."""
    return message


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------

_POSITIVE_FIELDS = (
    "class1_depart_minutes",
    "class1_onsite_target_minutes",
    "class2_dispatch_minutes",
    "class2_onsite_target_minutes",
    "class2_onsite_limit_minutes",
    "ack_minutes",
    "class1_auto_dispatch_minutes",
    "class1_red_alert_minutes",
    "duplicate_radius_m",
    "duplicate_window_hours",
    "callback_class1_hours",
    "callback_general_hours",
)


def _env_name(field_name: str) -> str:
    return f"{ENV_PREFIX}{field_name.upper()}"


class RuleSettings(BaseSettings):
    """Every number of the service rules; each field is set as ``GASDISPATCH_RULE_<FIELD>``.

    RULES.md: "Every number here is a default that an operator can change in configuration."
    The time zone also honours the deployment-wide ``GASDISPATCH_TIMEZONE`` (ops.settings) when
    ``GASDISPATCH_RULE_TIMEZONE`` is not set, so that the two cannot silently disagree.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, populate_by_name=True,
    )

    # R6.1
    class1_depart_minutes: int = Field(30, description="R6.1: a crew departs within this many minutes.")
    class1_onsite_target_minutes: int = Field(60, description="R6.1 (product): on-site target for reporting.")
    # R6.3
    class2_dispatch_minutes: int = Field(120, description="R6.3: class 2 is dispatched within this.")
    class2_onsite_target_minutes: int = Field(240, description="R6.3: class 2 on-site target.")
    class2_onsite_limit_minutes: int = Field(480, description="R6.3: class 2 on-site limit.")
    # R7.2-R7.4
    ack_minutes: int = Field(10, description="R7.2: the crew acknowledges a work order within this.")
    class1_auto_dispatch_minutes: int = Field(3, description="R7.3: unconfirmed class 1 is auto-dispatched.")
    class1_red_alert_minutes: int = Field(20, description="R7.4: class 1 with no crew departed: red alert.")
    # R5.6
    duplicate_radius_m: float = Field(150.0, description="R5.6: likely-duplicate radius in metres.")
    duplicate_window_hours: int = Field(6, description="R5.6: likely-duplicate look-back window.")
    # R10.2
    callback_class1_hours: int = Field(48, description="R10.2: callback deadline for emergency repairs.")
    callback_general_hours: int = Field(24, description="R10.2: callback deadline for classes 2 and 3.")
    # R6.2 / R12.1
    fire_number: str = Field("119", pattern=r"^\+?[0-9]{2,15}$", description="R6.2: fire service number.")
    police_number: str = Field("110", pattern=r"^\+?[0-9]{2,15}$", description="R6.2: police number.")
    timezone: str = Field(
        "America/Santiago",
        validation_alias=AliasChoices(f"{ENV_PREFIX}TIMEZONE", "GASDISPATCH_TIMEZONE"),
        description="IANA zone in which deadlines and slots are shown.",
    )

    @field_validator(*_POSITIVE_FIELDS)
    @classmethod
    def _positive(cls, value: float, info: ValidationInfo) -> float:
        if not value > 0:
            name = info.field_name or "?"
            raise ValueError(f"{name} ({_env_name(name)}) must be positive, got {value}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return check_timezone(value, f"timezone ({ENV_PREFIX}TIMEZONE or GASDISPATCH_TIMEZONE)")

    @model_validator(mode="after")
    def _ordered(self) -> RuleSettings:
        """The escalation ladder only makes sense in order (R7.3 before R7.4 before R6.1, R6.3 target <= limit)."""
        chains = (
            ("class1_auto_dispatch_minutes", "class1_red_alert_minutes", True),
            ("class1_red_alert_minutes", "class1_depart_minutes", True),
            ("class1_depart_minutes", "class1_onsite_target_minutes", False),
            ("class2_dispatch_minutes", "class2_onsite_target_minutes", False),
            ("class2_onsite_target_minutes", "class2_onsite_limit_minutes", False),
        )
        for earlier, later, strict in chains:
            a, b = getattr(self, earlier), getattr(self, later)
            if (a >= b) if strict else (a > b):
                relation = "less than" if strict else "at most"
                raise ValueError(
                    f"{earlier} ({_env_name(earlier)}={a}) must be {relation} "
                    f"{later} ({_env_name(later)}={b})"
                )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@functools.cache
def get_rule_settings() -> RuleSettings:
    """The process-wide rule settings, read once; call ``get_rule_settings.cache_clear()`` to re-read."""
    return RuleSettings()


def _rules(rules: RuleSettings | None) -> RuleSettings:
    return rules if rules is not None else get_rule_settings()


# --------------------------------------------------------------------------------------------
# Time helpers
# --------------------------------------------------------------------------------------------


def _require_aware(value: datetime, field_name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{field_name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field_name} must be timezone-aware (got naive {value.isoformat()})")
    return value


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _after(start: datetime, delta: timedelta) -> datetime:
    """Elapsed-time addition: the result is ``delta`` of real time after ``start``, in start's zone."""
    return (_utc(start) + delta).astimezone(start.tzinfo)


def local_zone(rules: RuleSettings | None = None) -> ZoneInfo:
    """The zone the utility works in; deadlines and slots are shown to people in it."""
    return _rules(rules).zone


def to_local(value: datetime, rules: RuleSettings | None = None) -> datetime:
    """``value`` in the utility's zone; naive datetimes are refused because their instant is unknown."""
    return _require_aware(value, "value").astimezone(local_zone(rules))


# --------------------------------------------------------------------------------------------
# R6.5 classification
# --------------------------------------------------------------------------------------------

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

    Raising a class (towards 1) is always allowed: it can only make the response faster. Lowering
    from class 1 needs the supervisor role and a reason (the reason is what the R6.5 change log
    and the R13.1 accountability trail show); lowering 2 → 3 needs a reason. Only the supervisor
    role counts: admin rights do not carry the operational judgement R6.5 asks for.
    """
    current, new = TicketClass(current), TicketClass(new)
    if new <= current:  # same class, or raised towards 1
        return
    roles = {Role(r) for r in actor_roles}
    if current is TicketClass.EMERGENCY and Role.SUPERVISOR not in roles:
        raise ClassChangeError("class.lower_needs_supervisor", "ticket_class",
                               {"from_class": int(current), "to_class": int(new)})
    if not (reason and reason.strip()):
        raise ClassChangeError("class.lower_needs_reason", "reason",
                               {"from_class": int(current), "to_class": int(new)})


# --------------------------------------------------------------------------------------------
# R6.1, R6.3, R6.4 deadlines
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    """The deadlines of one ticket, measured from ``received_at`` (R6); ``None`` where not applicable."""

    ticket_class: TicketClass
    received_at: datetime
    depart_by: datetime | None = None      # R6.1 class 1
    dispatch_by: datetime | None = None    # R6.3 class 2
    onsite_target: datetime | None = None  # R6.1 (product) class 1, R6.3 class 2
    onsite_limit: datetime | None = None   # R6.3 class 2
    slot_start: datetime | None = None     # R6.4 class 3
    slot_end: datetime | None = None       # R6.4 class 3


def deadlines_for(
    ticket_class: TicketClass | int,
    received_at: datetime,
    *,
    slot_start: datetime | None = None,
    slot_end: datetime | None = None,
    rules: RuleSettings | None = None,
) -> Deadlines:
    """Compute the R6.1/R6.3/R6.4 deadlines, in ``received_at``'s zone.

    A slot passed for class 1 or 2 is ignored: once a ticket is raised out of class 3 the booked
    appointment no longer binds the crew, the class's own deadlines do. Class 3 requires a slot.
    """
    cls = TicketClass(ticket_class)
    _require_aware(received_at, "received_at")
    r = _rules(rules)
    if cls is TicketClass.EMERGENCY:
        return Deadlines(
            cls, received_at,
            depart_by=_after(received_at, timedelta(minutes=r.class1_depart_minutes)),
            onsite_target=_after(received_at, timedelta(minutes=r.class1_onsite_target_minutes)),
        )
    if cls is TicketClass.URGENT:
        return Deadlines(
            cls, received_at,
            dispatch_by=_after(received_at, timedelta(minutes=r.class2_dispatch_minutes)),
            onsite_target=_after(received_at, timedelta(minutes=r.class2_onsite_target_minutes)),
            onsite_limit=_after(received_at, timedelta(minutes=r.class2_onsite_limit_minutes)),
        )
    if slot_start is None:
        raise ValueError("slot_start: a class-3 ticket needs an appointment slot (R6.4)")
    if slot_end is None:
        raise ValueError("slot_end: a class-3 ticket needs an appointment slot (R6.4)")
    _require_aware(slot_start, "slot_start")
    _require_aware(slot_end, "slot_end")
    if _utc(slot_end) <= _utc(slot_start):
        raise ValueError("slot_end: the appointment slot must end after it starts (R6.4)")
    return Deadlines(cls, received_at, slot_start=slot_start, slot_end=slot_end)


#: Display names of the deadline labels returned by :func:`next_deadline`.
DEADLINE_MESSAGES: Mapping[str, str] = MappingProxyType({
    "depart_by": N_("Crew departs by"),
    "dispatch_by": N_("Dispatch by"),
    "onsite_target": N_("On site by (target)"),
    "onsite_limit": N_("On site by (limit)"),
    "slot_start": N_("Appointment slot opens"),
    "slot_end": N_("Appointment slot closes"),
})


@dataclass(frozen=True)
class NextDeadline:
    """The deadline that matters next; ``label`` is a :class:`Deadlines` field name."""

    label: str
    at: datetime

    @property
    def message(self) -> str:
        return DEADLINE_MESSAGES[self.label]

    def time_left(self, now: datetime) -> timedelta:
        """Real time until the deadline; negative once it is overdue."""
        return _utc(self.at) - _utc(_require_aware(now, "now"))

    def is_overdue(self, now: datetime) -> bool:
        return self.time_left(now) < timedelta(0)


def next_deadline(
    deadlines: Deadlines,
    now: datetime,
    *,
    dispatched_at: datetime | None = None,
    departed_at: datetime | None = None,
    arrived_at: datetime | None = None,
) -> NextDeadline | None:
    """The deadline the map hover counts down to (R1.2: the system tracks deadlines, not people).

    The milestones reached so far select the stage; a missed deadline stays the next one until
    its milestone is reached, so an overdue departure keeps showing as overdue. The one exception
    is a class-2 on-site target: once it has passed, the limit is what can still be kept. Class 3
    counts down to the slot opening, then to its close. After arrival nothing is left (``None``).
    """
    _require_aware(now, "now")
    if arrived_at is not None:
        return None
    dispatched = dispatched_at is not None or departed_at is not None
    d = deadlines
    if d.ticket_class is TicketClass.EMERGENCY:
        assert d.depart_by is not None and d.onsite_target is not None
        if departed_at is None:
            return NextDeadline("depart_by", d.depart_by)
        return NextDeadline("onsite_target", d.onsite_target)
    if d.ticket_class is TicketClass.URGENT:
        assert d.dispatch_by is not None and d.onsite_target is not None and d.onsite_limit is not None
        if not dispatched:
            return NextDeadline("dispatch_by", d.dispatch_by)
        if _utc(now) <= _utc(d.onsite_target):
            return NextDeadline("onsite_target", d.onsite_target)
        return NextDeadline("onsite_limit", d.onsite_limit)
    assert d.slot_start is not None and d.slot_end is not None
    if _utc(now) < _utc(d.slot_start):
        return NextDeadline("slot_start", d.slot_start)
    return NextDeadline("slot_end", d.slot_end)


# --------------------------------------------------------------------------------------------
# R6.2 safety script
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SafetyInstruction:
    """One line of the R6.2 safety script; ``code`` is what the system records as given, and when.

    ``message`` is the msgid (with ``%(name)s`` placeholders); ``params`` fills them after
    translation so that a configured emergency number survives any language.
    """

    code: str
    message: str
    params: tuple[tuple[str, str], ...] = ()

    def render(self, gettext: Callable[[str], str] | None = None) -> str:
        template = gettext(self.message) if gettext is not None else self.message
        return template % dict(self.params) if self.params else template


#: R6.2 / R12: symptoms that are a major incident by themselves; a major leak is flagged by the agent.
MAJOR_INCIDENT_SYMPTOMS: frozenset[Symptom] = frozenset({Symptom.FIRE, Symptom.EXPLOSION})

_BASE_SCRIPT = (
    SafetyInstruction("close_valve", N_("Close the gas valve.")),
    SafetyInstruction("open_windows", N_("Open the windows and doors.")),
    SafetyInstruction("no_open_flame", N_("Do not light any flame and do not smoke.")),
    SafetyInstruction("no_electrical_switching", N_("Do not switch any electrical device or light on or off.")),
    SafetyInstruction("leave_premises", N_("Leave the premises and wait outside.")),
)


def safety_script(
    symptom: Symptom | str,
    ticket_class: TicketClass | int,
    *,
    major_leak: bool = False,
    rules: RuleSettings | None = None,
) -> tuple[SafetyInstruction, ...]:
    """The guidance the agent reads on a class-1 call (R6.2); empty for classes 2 and 3.

    Fire and explosion always add the calls to 119 and 110 (R6.2, R12.1). Whether a leak is
    *major* cannot be told from the symptom, so the agent says so with ``major_leak``.
    """
    if TicketClass(ticket_class) is not TicketClass.EMERGENCY:
        return ()
    r = _rules(rules)
    script = list(_BASE_SCRIPT)
    if Symptom(symptom) in MAJOR_INCIDENT_SYMPTOMS or major_leak:
        script.append(SafetyInstruction(
            "call_fire", N_("Phone %(number)s (fire service)."), (("number", r.fire_number),),
        ))
        script.append(SafetyInstruction(
            "call_police", N_("Phone %(number)s (police)."), (("number", r.police_number),),
        ))
    return tuple(script)


def needs_callback_task(channel: Channel | str, ticket_class: TicketClass | int) -> bool:
    """R6.2 (product): a class-1 report without a voice call gets an immediate hotline call-back.

    "Without a voice call" follows ``Channel.is_voice``: only the hotline counts, so a counter
    report also gets the task (the reporter is not at the premises; someone must call there).
    """
    return TicketClass(ticket_class) is TicketClass.EMERGENCY and not Channel(channel).is_voice


# --------------------------------------------------------------------------------------------
# R7.2-R7.4 escalation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationTimes:
    """When the scheduler must act (R7.2-R7.4); ``None`` where the rule does not apply."""

    ack_by: datetime | None            # R7.2: dispatched + 10 min, any class
    auto_dispatch_at: datetime | None  # R7.3: class 1, received + 3 min
    red_alert_at: datetime | None      # R7.4: class 1, received + 20 min


def escalation_times(
    ticket_class: TicketClass | int,
    received_at: datetime,
    dispatched_at: datetime | None = None,
    rules: RuleSettings | None = None,
) -> EscalationTimes:
    """The moments at which an unacknowledged, unconfirmed or undeparted ticket escalates.

    R1.1 (product): the software never lets a class 1 wait on a step it can take itself, hence
    the auto-dispatch; the red alert is for the step it cannot take (a crew actually departing).
    """
    cls = TicketClass(ticket_class)
    _require_aware(received_at, "received_at")
    r = _rules(rules)
    ack_by = None
    if dispatched_at is not None:
        ack_by = _after(_require_aware(dispatched_at, "dispatched_at"), timedelta(minutes=r.ack_minutes))
    if cls is not TicketClass.EMERGENCY:
        return EscalationTimes(ack_by, None, None)
    return EscalationTimes(
        ack_by,
        _after(received_at, timedelta(minutes=r.class1_auto_dispatch_minutes)),
        _after(received_at, timedelta(minutes=r.class1_red_alert_minutes)),
    )


# --------------------------------------------------------------------------------------------
# R5.6 likely duplicates
# --------------------------------------------------------------------------------------------

#: R5.6 (product): symptoms that may describe the same incident. Two reports are related when a
#: group holds both symptoms; a report with an odour answered *yes* also counts as a leak.
#: Scheduled-work requests are per customer and belong to no group.
DUPLICATE_RELATED_SYMPTOMS: tuple[frozenset[Symptom], ...] = (
    # escaping gas and what it causes
    frozenset({Symptom.GAS_LEAK, Symptom.PIPE_DAMAGE, Symptom.FIRE, Symptom.EXPLOSION, Symptom.VALVE_DAMAGE}),
    # supply and pressure: an outage shows up as no gas, a weak flame or a "broken" meter
    frozenset({Symptom.NO_GAS, Symptom.ABNORMAL_FLAME, Symptom.METER_FAULT, Symptom.VALVE_DAMAGE,
               Symptom.PIPE_DAMAGE}),
    # burner trouble reported as either
    frozenset({Symptom.APPLIANCE_FAULT, Symptom.ABNORMAL_FLAME}),
    frozenset({Symptom.OTHER}),
)
_LEAK_GROUP = DUPLICATE_RELATED_SYMPTOMS[0]

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres; lon/lat order as in GeoJSON and shapely."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class DuplicateCandidate:
    """A report as far as R5.6 cares: where, what, when, and whether its ticket is still open."""

    symptom: Symptom
    lon: float
    lat: float
    reported_at: datetime
    is_open: bool = True
    odour: Answer = Answer.NO

    def __post_init__(self) -> None:
        object.__setattr__(self, "symptom", Symptom(self.symptom))
        object.__setattr__(self, "odour", Answer(self.odour))
        if not -180.0 <= self.lon <= 180.0:
            raise ValueError(f"lon: {self.lon} is not a longitude")
        if not -90.0 <= self.lat <= 90.0:
            raise ValueError(f"lat: {self.lat} is not a latitude")
        _require_aware(self.reported_at, "reported_at")


def _groups(report: DuplicateCandidate) -> set[frozenset[Symptom]]:
    groups = {g for g in DUPLICATE_RELATED_SYMPTOMS if report.symptom in g}
    if report.odour is Answer.YES:
        groups.add(_LEAK_GROUP)
    return groups


def symptoms_related(a: DuplicateCandidate, b: DuplicateCandidate) -> bool:
    """R5.6 "related symptom", per :data:`DUPLICATE_RELATED_SYMPTOMS`."""
    return bool(_groups(a) & _groups(b))


def is_possible_duplicate(
    new: DuplicateCandidate,
    existing: DuplicateCandidate,
    now: datetime,
    rules: RuleSettings | None = None,
) -> bool:
    """R5.6: ``existing`` is open, within the radius, reported within the window, with a related symptom.

    Only a hint: the agent decides whether to link. Both bounds are inclusive.
    """
    r = _rules(rules)
    _require_aware(now, "now")
    if not existing.is_open:
        return False
    if _utc(now) - _utc(existing.reported_at) > timedelta(hours=r.duplicate_window_hours):
        return False
    if not symptoms_related(new, existing):
        return False
    return haversine_m(new.lon, new.lat, existing.lon, existing.lat) <= r.duplicate_radius_m


# --------------------------------------------------------------------------------------------
# R10 callbacks
# --------------------------------------------------------------------------------------------


def callback_due(
    ticket_class: TicketClass | int,
    completed_at: datetime,
    rules: RuleSettings | None = None,
) -> datetime:
    """R10.2: the callback deadline, 48 h after completion for class 1 and 24 h for classes 2 and 3."""
    r = _rules(rules)
    _require_aware(completed_at, "completed_at")
    hours = r.callback_class1_hours if TicketClass(ticket_class) is TicketClass.EMERGENCY else r.callback_general_hours
    return _after(completed_at, timedelta(hours=hours))


def callback_order_key(
    ticket_class: TicketClass | int,
    due_at: datetime,
    *,
    complaint: bool = False,
) -> tuple[int, datetime]:
    """Sort key for the callback queue (R10.1): emergency and complaint orders first, then by due time.

    Emergencies come first even though their deadline is longer (48 h): R10.1 ranks them ahead,
    and the due time only orders within a rank.
    """
    first = TicketClass(ticket_class) is TicketClass.EMERGENCY or complaint
    return (0 if first else 1, _utc(_require_aware(due_at, "due_at")))


__all__ = [
    "CLASS1_SYMPTOMS",
    "CLASS2_FAULT_SYMPTOMS",
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
    "callback_due",
    "callback_order_key",
    "check_class_change",
    "classify",
    "deadlines_for",
    "escalation_times",
    "get_rule_settings",
    "haversine_m",
    "is_possible_duplicate",
    "local_zone",
    "needs_callback_task",
    "next_deadline",
    "safety_script",
    "symptoms_related",
    "to_local",
]
