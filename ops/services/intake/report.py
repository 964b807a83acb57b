"""What a report is: its fields, their validation and the errors that name them (R5).

Shared by the hotline form and the API: both build a :class:`ReportIn`, and both show an
:class:`ops.errors.ServiceError`'s ``problems`` next to the fields they name. Nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ops import rules
from ops.errors import Problems
from ops.models import IntakeCallbackTask, Ticket
from ops.vocabulary import Answer, Channel, Judgement, Symptom, TicketClass

#: Outside spellings of a channel (the API says ``app``); the stored value is the vocabulary's.
CHANNEL_ALIASES: Mapping[str, Channel] = {"app": Channel.WEB_APP}
MAX_TEXT = 4000
MAX_KEY_LENGTH = 200
#: A report's fault may not start after it was received; clocks on phones drift a little.
CLOCK_SKEW = timedelta(minutes=10)
#: R5.5: the longest a report may have been received before it is saved (a hotline call's start).
#: An earlier ``received_at`` is clamped to this, not refused; see :class:`ReportIn`.
LONGEST_CALL = timedelta(minutes=60)
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")


@dataclass(frozen=True)
class ReportIn:
    """One report as intake receives it (R5.1–R5.5), named as the API names the fields.

    Yes/no answers accept ``Answer``, ``"yes"/"no"/"unknown"``, ``True/False`` or ``None`` (unknown,
    the worst case, R5.3). ``lon``/``lat`` are a map click or the app's GPS; they are used only when
    neither the customer's premises nor the typed street resolves the place (see
    :func:`resolve_location`). ``requested_class`` lets the agent raise the proposed class at once
    (with ``class_reason``, as every change of class, :func:`ops.rules.check_class_change`).
    ``safety_given`` holds the R6.2 lines already read out, as ``(code, when)``.

    ``received_at`` (R5.5) starts every class-1 clock (R6.1 departure, R7.3 auto-dispatch, R7.4 red
    alert), so the hotline passes the time the call started, stamped by its server, and saving
    defaults it to now only for a report that arrives whole (the app, WeChat). It may not lie more
    than :data:`CLOCK_SKEW` after the save (refused), nor more than :data:`LONGEST_CALL` before it:
    an earlier time is **clamped** to that bound rather than refused, because the likely cause is a
    form left open before the call, and refusing would keep an emergency from being saved while the
    caller waits; the clamp still bounds how far a ticket can be backdated, and the audit event
    keeps the time as given. Likewise an R6.2 line is never stamped before ``received_at``: an
    earlier tick is stored at ``received_at``.
    """

    channel: Channel | str
    reporter_name: str
    phone: str
    address: str
    symptom: Symptom | str
    started_at: datetime
    customer_number: str | None = None
    door_no: str | None = None
    lon: float | None = None
    lat: float | None = None
    duration_minutes: int | None = None
    odour: Answer | str | bool | None = None
    noise: Answer | str | bool | None = None
    people_on_site: Answer | str | bool | None = None
    ventilated: Answer | str | bool | None = None
    valve_closed: Answer | str | bool | None = None
    description: str | None = None
    urgency: Judgement | str = Judgement.GENERAL
    special_requests: str | None = None
    appointment_start: datetime | None = None
    appointment_end: datetime | None = None
    #: R6.4: book a slot no crew can keep (a supervisor's override, with its reason).
    appointment_forced: bool = False
    appointment_reason: str | None = None
    received_at: datetime | None = None
    major_leak: bool = False
    requested_class: int | None = None
    class_reason: str | None = None
    safety_given: Sequence[tuple[str, datetime]] = ()


@dataclass(frozen=True)
class ResolvedLocation:
    """Where the ticket is; ``source`` is ``customer``, ``street`` or ``coordinates``."""

    lon: float
    lat: float
    approximate: bool
    source: str
    street: str | None = None
    district_code: str | None = None


@dataclass(frozen=True)
class DuplicateHit:
    """An open ticket that may be the same incident (R5.6), and how far away it is."""

    ticket: Ticket
    distance_m: float


@dataclass(frozen=True)
class IntakeResult:
    """What the caller shows after saving: the ticket, why it got its class, and what to do now.

    ``safety_script`` is non-empty for class 1 (R6.2): the agent reads it, or the app shows it.
    ``replayed`` is True when the idempotency key had already created this ticket.
    """

    ticket: Ticket
    reasons: tuple[rules.Reason, ...]
    safety_script: tuple[rules.SafetyInstruction, ...]
    callback_task: IntakeCallbackTask | None
    location: ResolvedLocation | None
    possible_duplicates: tuple[DuplicateHit, ...] = ()
    replayed: bool = False


# --------------------------------------------------------------------------------------------
# Field coercion
# --------------------------------------------------------------------------------------------


def as_answer(value: Answer | str | bool | None) -> Answer:
    """A yes/no/unknown answer from what forms and JSON send; ``None`` is unknown (R5.3)."""
    if value is None:
        return Answer.UNKNOWN
    if isinstance(value, bool):
        return Answer.YES if value else Answer.NO
    return Answer(value)


def _channel(value: Channel | str) -> Channel:
    if isinstance(value, str) and value in CHANNEL_ALIASES:
        return CHANNEL_ALIASES[value]
    return Channel(value)


def _aware(value: Any) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None


def _text(value: Any, name: str, problems: Problems, *, required: bool, limit: int) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add("required", name)
        return None
    if not isinstance(value, str):
        problems.add("text_required", name)
        return None
    value = value.strip()
    if len(value) > limit:
        problems.add("too_long", name)
        return None
    return value


def _enum(kind: Any, value: Any, name: str, problems: Problems) -> Any:
    try:
        return kind(value)
    except (ValueError, TypeError):
        problems.add("not_allowed_value", name)
        return None


@dataclass
class _Clean:
    """A :class:`ReportIn` after validation: typed, stripped, with the defaults applied."""

    channel: Channel
    reporter_name: str
    phone: str
    address: str
    door_no: str | None
    symptom: Symptom
    started_at: datetime
    received_at: datetime
    duration_minutes: int | None
    answers: dict[str, Answer]
    description: str | None
    judgement: Judgement
    special_requests: str | None
    customer_number: str | None
    requested_class: TicketClass | None
    class_reason: str | None
    safety_given: list[tuple[str, datetime]] = field(default_factory=list)


def _validate(report: ReportIn, now: datetime) -> _Clean:
    problems = Problems()
    channel = symptom = judgement = None
    try:
        channel = _channel(report.channel)
    except (ValueError, TypeError):
        problems.add("not_allowed_value", "channel")
    name = _text(report.reporter_name, "reporter_name", problems, required=True, limit=200)
    phone = _text(report.phone, "phone", problems, required=True, limit=40)
    if phone is not None and not _PHONE.match(phone):
        problems.add("phone_invalid", "phone")
    address = _text(report.address, "address", problems, required=True, limit=500)
    door_no = _text(report.door_no, "door_no", problems, required=False, limit=50)
    customer_number = _text(report.customer_number, "customer_number", problems, required=False, limit=32)
    symptom = _enum(Symptom, report.symptom, "symptom", problems)
    judgement = _enum(Judgement, report.urgency, "urgency", problems)
    answers: dict[str, Answer] = {}
    for key in ("odour", "noise", "people_on_site", "ventilated", "valve_closed"):
        try:
            answers[key] = as_answer(getattr(report, key))
        except (ValueError, TypeError):
            problems.add("yes_no_unknown", key)
    received_at = report.received_at if report.received_at is not None else now
    if not _aware(received_at):
        problems.add("offset_time_required", "received_at")
    elif received_at > now + CLOCK_SKEW:
        problems.add("intake.in_future", "received_at")
    else:
        received_at = max(received_at, now - LONGEST_CALL)
    started_at = report.started_at
    if not _aware(started_at):
        problems.add("offset_time_required", "started_at")
    elif _aware(received_at) and started_at > received_at + CLOCK_SKEW:
        problems.add("intake.started_after_received", "started_at")
    duration = report.duration_minutes
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int) or duration < 0):
        problems.add("minutes_invalid", "duration_minutes")
    description = _text(report.description, "description", problems, required=False, limit=MAX_TEXT)
    special = _text(report.special_requests, "special_requests", problems, required=False, limit=MAX_TEXT)
    requested = None
    if report.requested_class is not None:
        requested = _enum(TicketClass, report.requested_class, "class", problems)
    reason = _text(report.class_reason, "class_reason", problems, required=False, limit=MAX_TEXT)
    given: list[tuple[str, datetime]] = []
    for i, item in enumerate(report.safety_given):
        try:
            code, at = item
        except (TypeError, ValueError):
            problems.add("intake.safety_pair", f"safety_given[{i}]")
            continue
        if not isinstance(code, str) or not _aware(at):
            problems.add("intake.safety_pair", f"safety_given[{i}]")
            continue
        given.append((code, at))
    problems.raise_if_any()
    given = [(code, max(at, received_at)) for code, at in given]
    if duration is None and started_at <= received_at:
        duration = int((received_at - started_at).total_seconds() // 60)
    return _Clean(
        channel=channel, reporter_name=name, phone=phone, address=address, door_no=door_no,  # type: ignore[arg-type]
        symptom=symptom, started_at=started_at, received_at=received_at,  # type: ignore[arg-type]
        duration_minutes=duration, answers=answers, description=description, judgement=judgement,  # type: ignore[arg-type]
        special_requests=special, customer_number=customer_number, requested_class=requested,
        class_reason=reason, safety_given=given,
    )


def _classification_input(symptom: Symptom, answers: Mapping[str, Answer], judgement: Judgement) -> rules.ClassificationInput:
    return rules.ClassificationInput(
        symptom=symptom, odour=answers["odour"], abnormal_noise=answers["noise"],
        people_on_site=answers["people_on_site"], ventilated=answers["ventilated"],
        valve_closed=answers["valve_closed"], judgement=judgement,
    )


def preview_classification(report: ReportIn, table: rules.RuleTable = rules.DEFAULT_TABLE) -> rules.Classification:
    """The class the system would propose for the form as typed so far (R6.5), with its reasons.

    Needs only the symptom; every answer not given yet counts as unknown (R5.3), so the preview can
    only fall as the agent fills in "no" answers, never jump up after saving.
    """
    answers = {k: as_answer(getattr(report, k)) for k in ("odour", "noise", "people_on_site", "ventilated",
                                                          "valve_closed")}
    return rules.classify(_classification_input(Symptom(report.symptom), answers, Judgement(report.urgency)), table)


def ticket_reasons(ticket: Ticket) -> tuple[rules.Reason, ...]:
    """Why the stored ticket was proposed its class, replayed under the table version it recorded."""
    table = rules.RULE_TABLES.get(ticket.rule_version, rules.DEFAULT_TABLE)
    answers = {"odour": ticket.odour, "noise": ticket.abnormal_noise, "people_on_site": ticket.people_on_site,
               "ventilated": ticket.ventilated, "valve_closed": ticket.valve_closed}
    return rules.classify(_classification_input(ticket.symptom, answers, ticket.agent_judgement), table).reasons


def ticket_safety_script(ticket: Ticket, *, major_leak: bool = False) -> tuple[rules.SafetyInstruction, ...]:
    """The R6.2 script for the ticket's current class; empty unless class 1."""
    return rules.safety_script(ticket.symptom, ticket.ticket_class, major_leak=major_leak)
