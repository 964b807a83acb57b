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
caller to an existing ticket instead of creating a second one.

Every validation error is an :class:`IntakeError` naming the field(s) in the API's spelling
(``location``, ``started_at``, ``appointment`` ...), so a form and a JSON client can both point at
what to fix. Unknown yes/no answers are stored as ``unknown`` and classified as the worst case (R5.3).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops import rules
from ops.audit import jsonable, record, snapshot
from ops.locating import Locator
from ops.models import (
    ClassChange,
    Customer,
    District,
    IdempotencyKey,
    IntakeCallbackTask,
    SafetyInstruction,
    Ticket,
    TicketReporter,
)
from ops.permissions import Actor, require
from ops.vocabulary import (
    Answer,
    Channel,
    FollowUpStatus,
    Judgement,
    Symptom,
    TicketClass,
    TicketStatus,
)

__all__ = [
    "CHANNEL_ALIASES",
    "DuplicateHit",
    "IdempotencyConflictError",
    "IntakeError",
    "IntakeResult",
    "ReportIn",
    "ResolvedLocation",
    "as_answer",
    "change_class",
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

#: Outside spellings of a channel (the API says ``app``); the stored value is the vocabulary's.
CHANNEL_ALIASES: Mapping[str, Channel] = {"app": Channel.WEB_APP}
MAX_TEXT = 4000
MAX_KEY_LENGTH = 200
#: A report's fault may not start after it was received; clocks on phones drift a little.
CLOCK_SKEW = timedelta(minutes=10)
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")


def _msg(message: str) -> str:
    """An English message for the hotline form and the API, to be shown next to its field.

    Meant to be translated in the form, but not yet marked with ``ops.rules.N_``: the catalogs are
    updated by the lead, and the translation test requires every marked string to be in them. When
    they are, replace ``_msg(`` by ``N_(`` in this module and run ``make i18n``.
    """
    return message


class IntakeError(ValueError):
    """Invalid report data. ``problems`` maps each offending field to its message; ``field`` is the first.

    All problems found are reported at once, so an agent fixes the form in one go and an API client
    sees every missing field in one 422.
    """

    def __init__(self, field: str | Mapping[str, str], message: str | None = None) -> None:
        problems = dict(field) if isinstance(field, Mapping) else {field: message or "invalid"}
        if not problems:
            raise ValueError("an IntakeError needs at least one problem")
        self.problems: dict[str, str] = problems
        self.field = next(iter(problems))
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


class IdempotencyConflictError(IntakeError):
    """The idempotency key was already used for a different report (a client bug, never a replay)."""


@dataclass(frozen=True)
class ReportIn:
    """One report as intake receives it (R5.1–R5.5), named as the API names the fields.

    Yes/no answers accept ``Answer``, ``"yes"/"no"/"unknown"``, ``True/False`` or ``None`` (unknown,
    the worst case, R5.3). ``lon``/``lat`` are a map click or the app's GPS; they are used only when
    neither the customer's premises nor the typed street resolves the place (see
    :func:`resolve_location`). ``requested_class`` lets the agent raise the proposed class at once
    (with ``class_reason``; lowering follows :func:`ops.rules.check_class_change`).
    ``safety_given`` holds the R6.2 lines already read out, as ``(code, when)``.
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


def _text(value: Any, name: str, problems: dict[str, str], *, required: bool, limit: int) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems[name] = _msg("required")
        return None
    if not isinstance(value, str):
        problems[name] = _msg("must be text")
        return None
    value = value.strip()
    if len(value) > limit:
        problems[name] = _msg("too long")
        return None
    return value


def _enum(kind: Any, value: Any, name: str, problems: dict[str, str]) -> Any:
    try:
        return kind(value)
    except (ValueError, TypeError):
        problems[name] = _msg("not one of the allowed values")
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
    problems: dict[str, str] = {}
    channel = symptom = judgement = None
    try:
        channel = _channel(report.channel)
    except (ValueError, TypeError):
        problems["channel"] = _msg("not one of the allowed values")
    name = _text(report.reporter_name, "reporter_name", problems, required=True, limit=200)
    phone = _text(report.phone, "phone", problems, required=True, limit=40)
    if phone is not None and not _PHONE.match(phone):
        problems["phone"] = _msg("not a phone number")
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
            problems[key] = _msg("must be yes, no or unknown")
    received_at = report.received_at if report.received_at is not None else now
    if not _aware(received_at):
        problems["received_at"] = _msg("must be a time with its UTC offset")
    elif received_at > now + CLOCK_SKEW:
        problems["received_at"] = _msg("is in the future")
    started_at = report.started_at
    if not _aware(started_at):
        problems["started_at"] = _msg("must be a time with its UTC offset")
    elif _aware(received_at) and started_at > received_at + CLOCK_SKEW:
        problems["started_at"] = _msg("is after the report was received")
    duration = report.duration_minutes
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int) or duration < 0):
        problems["duration_minutes"] = _msg("must be a whole number of minutes, 0 or more")
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
            problems[f"safety_given[{i}]"] = _msg("must be (code, time)")
            continue
        if not isinstance(code, str) or not _aware(at):
            problems[f"safety_given[{i}]"] = _msg("must be (code, time)")
            continue
        given.append((code, at))
    if problems:
        raise IntakeError(problems)
    if duration is None and started_at <= received_at:
        duration = int((received_at - started_at).total_seconds() // 60)
    return _Clean(
        channel=channel, reporter_name=name, phone=phone, address=address, door_no=door_no,  # type: ignore[arg-type]
        symptom=symptom, started_at=started_at, received_at=received_at,  # type: ignore[arg-type]
        duration_minutes=duration, answers=answers, description=description, judgement=judgement,  # type: ignore[arg-type]
        special_requests=special, customer_number=customer_number, requested_class=requested,
        class_reason=reason, safety_given=given,
    )


# --------------------------------------------------------------------------------------------
# Classification, location, duplicates (no writes)
# --------------------------------------------------------------------------------------------


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


def _valid_lon_lat(lon: Any, lat: Any) -> bool:
    for value, bound in ((lon, 180.0), (lat, 90.0)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return False
        if not -bound <= value <= bound:
            return False
    return True


def resolve_location(
    db: Session,
    locator: Locator,
    *,
    address: str | None,
    customer_number: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> tuple[ResolvedLocation, Customer | None]:
    """R5.1: the report's coordinates, offline, from the best source available, in this order.

    1. the customer's premises (exact: the utility geocoded them when connecting the supply);
    2. the street named in the typed address, matched against the road network (approximate:
       a point on that street, no house numbers offline);
    3. explicit ``lon``/``lat`` (a map click, the app's GPS).

    Raises :class:`IntakeError` on ``customer_number`` for an unknown customer (a typo must not
    silently drop the link to the premises and its emergency contact, R4.2), and on ``location``
    when nothing resolves or the point lies outside the service area.
    """
    customer = None
    if customer_number:
        customer = db.scalar(sa.select(Customer).where(Customer.customer_no == customer_number.strip()))
        if customer is None:
            raise IntakeError("customer_number", _msg("no customer with this number"))
    if customer is not None and customer.lon is not None and customer.lat is not None:
        if not locator.inside(customer.lon, customer.lat):
            raise IntakeError("location", _msg("the customer's premises lie outside the service area"))
        resolved = ResolvedLocation(customer.lon, customer.lat, approximate=False, source="customer")
    else:
        match = locator.match_street(address) if address else None
        if match is not None:
            resolved = ResolvedLocation(match.lon, match.lat, approximate=True, source="street",
                                        street=match.street)
        elif lon is not None or lat is not None:
            if not _valid_lon_lat(lon, lat):
                raise IntakeError("location", _msg("not a valid longitude and latitude"))
            if not locator.inside(float(lon), float(lat)):  # type: ignore[arg-type]
                raise IntakeError("location", _msg("lies outside the service area"))
            resolved = ResolvedLocation(float(lon), float(lat), approximate=False,  # type: ignore[arg-type]
                                        source="coordinates")
        else:
            raise IntakeError("location", _msg(
                "cannot be found: give a customer number, a street of the service area, or a point on the map"
            ))
    code = locator.district_code(resolved.lon, resolved.lat)
    return ResolvedLocation(resolved.lon, resolved.lat, resolved.approximate, resolved.source, resolved.street,
                            code), customer


def find_duplicates(
    db: Session,
    *,
    symptom: Symptom | str,
    lon: float,
    lat: float,
    now: datetime,
    odour: Answer | str | bool | None = None,
    exclude_ticket_id: int | None = None,
    settings: rules.RuleSettings | None = None,
) -> list[DuplicateHit]:
    """R5.6: open tickets near the place with a related symptom, reported in the window; nearest first.

    Only a hint: the agent decides whether to :func:`link_report` instead of creating a ticket.
    """
    r = settings or rules.get_rule_settings()
    new = rules.DuplicateCandidate(Symptom(symptom), lon, lat, now, odour=as_answer(odour))
    # A bounding box in degrees a little larger than the radius keeps the scan to the neighbourhood.
    dlat = r.duplicate_radius_m / 111_000 * 1.5
    dlon = dlat / max(0.1, math.cos(math.radians(lat)))
    query = sa.select(Ticket).where(
        Ticket.status.in_([s for s in TicketStatus if s.is_open]),
        Ticket.received_at >= now - timedelta(hours=r.duplicate_window_hours),
        Ticket.lat.between(lat - dlat, lat + dlat),
        Ticket.lon.between(lon - dlon, lon + dlon),
    )
    if exclude_ticket_id is not None:
        query = query.where(Ticket.id != exclude_ticket_id)
    hits = []
    for ticket in db.scalars(query):
        old = rules.DuplicateCandidate(ticket.symptom, ticket.lon, ticket.lat, ticket.received_at,
                                       is_open=ticket.status.is_open, odour=ticket.odour)
        if rules.is_possible_duplicate(new, old, now, r):
            hits.append(DuplicateHit(ticket, rules.haversine_m(lon, lat, ticket.lon, ticket.lat)))
    return sorted(hits, key=lambda h: (h.distance_m, h.ticket.id))


# --------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------


def _owner(actor: Actor) -> str:
    return f"user:{actor.user_id}" if actor.user_id is not None else f"actor:{actor.label}"


def _fingerprint(report: ReportIn) -> str:
    text = json.dumps(jsonable(asdict(report)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _apply_deadlines(ticket: Ticket, deadlines: rules.Deadlines) -> None:
    ticket.depart_deadline = deadlines.depart_by
    ticket.dispatch_deadline = deadlines.dispatch_by
    ticket.onsite_target = deadlines.onsite_target
    ticket.onsite_deadline = deadlines.onsite_limit or deadlines.slot_end


def _deadlines(cls: TicketClass, received_at: datetime, start: datetime | None,
               end: datetime | None) -> rules.Deadlines:
    if cls is TicketClass.SCHEDULED:
        if start is None or end is None:
            raise IntakeError("appointment", _msg("class-3 work needs an appointment slot (start and end)"))
        if not (_aware(start) and _aware(end)):
            raise IntakeError("appointment", _msg("the slot's times need their UTC offset"))
        if end <= start:
            raise IntakeError("appointment", _msg("the slot must end after it starts"))
    return rules.deadlines_for(cls, received_at, slot_start=start, slot_end=end)


def _callback_task(db: Session, ticket: Ticket, now: datetime) -> IntakeCallbackTask | None:
    """R6.2 (product): one pending call-back for a class 1 that came in without a voice call."""
    if not rules.needs_callback_task(ticket.channel, ticket.ticket_class):
        return None
    pending = db.scalar(sa.select(IntakeCallbackTask).where(
        IntakeCallbackTask.ticket_id == ticket.id, IntakeCallbackTask.status == FollowUpStatus.PENDING))
    if pending is not None:
        return pending
    task = IntakeCallbackTask(ticket_id=ticket.id, phone=ticket.reporter_phone, created_at=now, due_at=now,
                              status=FollowUpStatus.PENDING)
    db.add(task)
    return task


def _script_codes(ticket: Ticket) -> set[str]:
    # The agent, not the symptom, judges a leak "major" (R6.2), so the 119/110 lines are always allowed.
    return {s.code for s in rules.safety_script(ticket.symptom, ticket.ticket_class, major_leak=True)}


def replay_idempotent(db: Session, actor: Actor, key: str, report: ReportIn | None = None) -> IntakeResult | None:
    """The ticket an earlier request with this ``Idempotency-Key`` created, or ``None``.

    Keys are per user (a token's user, or a person at the dashboard). Raises
    :class:`IdempotencyConflictError` when ``report`` differs from the one the key was first used for.
    """
    row = db.scalar(sa.select(IdempotencyKey).where(IdempotencyKey.owner == _owner(actor),
                                                    IdempotencyKey.key == key))
    if row is None:
        return None
    if report is not None and row.fingerprint != _fingerprint(report):
        raise IdempotencyConflictError("idempotency_key", _msg("already used for a different report"))
    ticket = db.get(Ticket, row.ticket_id)
    assert ticket is not None  # the key row cascades with its ticket
    task = db.scalar(sa.select(IntakeCallbackTask).where(IntakeCallbackTask.ticket_id == ticket.id)
                     .order_by(IntakeCallbackTask.id))
    return IntakeResult(ticket=ticket, reasons=ticket_reasons(ticket), safety_script=ticket_safety_script(ticket),
                        callback_task=task, location=None, replayed=True)


def create_ticket(
    db: Session,
    actor: Actor,
    report: ReportIn,
    *,
    now: datetime,
    locator: Locator,
    idempotency_key: str | None = None,
    table: rules.RuleTable = rules.DEFAULT_TABLE,
) -> IntakeResult:
    """Save a report as a ticket: validated, located, classified, with deadlines and an audit event.

    Call inside ``ops.db.transaction``; on any error nothing is written. With ``idempotency_key`` a
    retry of the same report returns the first ticket (``replayed=True``) instead of a second one;
    the key is stored under a unique constraint, so even concurrent retries cannot both succeed
    (the loser's transaction raises ``IntegrityError``: call :func:`replay_idempotent` afresh).
    """
    require(actor, "ticket.create")
    if not _aware(now):
        raise IntakeError("now", "must be timezone-aware")
    if idempotency_key is not None:
        if not idempotency_key.strip() or len(idempotency_key) > MAX_KEY_LENGTH:
            raise IntakeError("idempotency_key", _msg("must be 1 to 200 characters"))
        replay = replay_idempotent(db, actor, idempotency_key, report)
        if replay is not None:
            return replay

    clean = _validate(report, now)
    location, customer = resolve_location(db, locator, address=clean.address,
                                          customer_number=clean.customer_number, lon=report.lon, lat=report.lat)
    classification = rules.classify(_classification_input(clean.symptom, clean.answers, clean.judgement), table)
    proposed = classification.ticket_class
    final = clean.requested_class or proposed
    if final != proposed:
        try:
            rules.check_class_change(proposed, final, actor_roles=actor.roles, reason=clean.class_reason)
        except rules.ClassChangeError as exc:
            raise IntakeError("class" if exc.field == "ticket_class" else "class_reason", str(exc)) from None
    deadlines = _deadlines(final, clean.received_at, report.appointment_start, report.appointment_end)

    district_id = None
    if location.district_code is not None:
        district_id = db.scalar(sa.select(District.id).where(District.code == location.district_code))
    ticket = Ticket(
        ticket_no=f"tmp-{uuid.uuid4().hex[:24]}", channel=clean.channel, received_at=clean.received_at,
        created_at=now, reporter_name=clean.reporter_name, reporter_phone=clean.phone,
        customer_id=customer.id if customer else None, address=clean.address, door_no=clean.door_no,
        lon=location.lon, lat=location.lat, location_approximate=location.approximate,
        district_id=district_id, symptom=clean.symptom, fault_started_at=clean.started_at,
        fault_duration_minutes=clean.duration_minutes, odour=clean.answers["odour"],
        abnormal_noise=clean.answers["noise"], description=clean.description,
        people_on_site=clean.answers["people_on_site"], ventilated=clean.answers["ventilated"],
        valve_closed=clean.answers["valve_closed"], agent_judgement=clean.judgement,
        special_requests=clean.special_requests, proposed_class=proposed, ticket_class=final,
        rule_version=classification.rule_version,
        slot_start=deadlines.slot_start, slot_end=deadlines.slot_end, status=TicketStatus.NEW,
        created_by_id=actor.user_id,
    )
    _apply_deadlines(ticket, deadlines)
    script = rules.safety_script(clean.symptom, final, major_leak=report.major_leak)
    allowed_codes = {s.code for s in rules.safety_script(clean.symptom, final, major_leak=True)}
    for i, (code, _at) in enumerate(clean.safety_given):
        if code not in allowed_codes:
            raise IntakeError(f"safety_given[{i}]", _msg("not a line of this ticket's safety script"))
    # Duplicates are looked up before the new ticket is flushed, so it cannot find itself.
    duplicates = find_duplicates(db, symptom=clean.symptom, lon=location.lon, lat=location.lat, now=now,
                                 odour=clean.answers["odour"])
    db.add(ticket)
    db.flush()
    ticket.ticket_no = f"GD-{rules.to_local(clean.received_at):%Y%m%d}-{ticket.id:06d}"
    db.add(TicketReporter(ticket_id=ticket.id, name=clean.reporter_name, phone=clean.phone,
                          channel=clean.channel, received_at=clean.received_at,
                          customer_id=ticket.customer_id, linked_by_id=actor.user_id, note="original report"))
    if final != proposed:
        db.add(ClassChange(ticket_id=ticket.id, from_class=proposed, to_class=final, reason=clean.class_reason,
                           actor_id=actor.user_id, at=now))
    for code, at in clean.safety_given:
        db.add(SafetyInstruction(ticket_id=ticket.id, code=code, given_at=at, given_by_id=actor.user_id,
                                 channel=clean.channel, shown_on_screen=False))
    if script and not clean.channel.is_voice:
        # R6.2 (product): the reporter sees the guidance at once; the system records it as given.
        for line in script:
            db.add(SafetyInstruction(ticket_id=ticket.id, code=line.code, given_at=now, given_by_id=None,
                                     channel=clean.channel, shown_on_screen=True))
    task = _callback_task(db, ticket, now)
    if idempotency_key is not None:
        db.add(IdempotencyKey(owner=_owner(actor), key=idempotency_key, fingerprint=_fingerprint(report),
                              ticket_id=ticket.id, created_at=now))
    db.flush()
    record(
        db, actor_id=actor.user_id, actor_label=actor.label, action="ticket.create", entity="ticket",
        entity_id=ticket.id,
        after={**snapshot(ticket), "location_source": location.source, "street": location.street,
               "callback_task_id": task.id if task else None,
               "safety_read": [code for code, _ in clean.safety_given],
               "safety_shown_on_screen": [line.code for line in script] if not clean.channel.is_voice else [],
               "possible_duplicates": [h.ticket.id for h in duplicates]},
        recommendation={"proposed_class": proposed, "rule_version": classification.rule_version,
                        "reasons": list(classification.reason_codes)},
        at=now,
    )
    return IntakeResult(ticket=ticket, reasons=classification.reasons, safety_script=script, callback_task=task,
                        location=location, possible_duplicates=tuple(duplicates))


def _ticket(db: Session, ticket_id: int) -> Ticket:
    ticket = db.get(Ticket, ticket_id) if isinstance(ticket_id, int) and not isinstance(ticket_id, bool) else None
    if ticket is None:
        raise IntakeError("ticket_id", _msg("no such ticket"))
    return ticket


def change_class(
    db: Session,
    actor: Actor,
    ticket_id: int,
    to_class: TicketClass | int,
    reason: str | None,
    now: datetime,
    *,
    appointment_start: datetime | None = None,
    appointment_end: datetime | None = None,
) -> Ticket:
    """R6.5: raise a class (anyone who takes calls), or lower it (class 1 only by a supervisor, with a reason).

    The deadlines are recomputed from the time the report was received, not from now: the caller
    has been waiting since then. Lowering to class 3 needs an appointment slot (R6.4). Raising a
    non-voice report to class 1 creates the R6.2 call-back task.
    """
    require(actor, "ticket.change_class")
    if not _aware(now):
        raise IntakeError("now", "must be timezone-aware")
    ticket = _ticket(db, ticket_id)
    try:
        new = TicketClass(to_class)
    except (ValueError, TypeError):
        raise IntakeError("class", _msg("not one of the allowed values")) from None
    if new == ticket.ticket_class:
        raise IntakeError("class", _msg("the ticket already has this class"))
    if not ticket.status.is_open:
        raise IntakeError("ticket_id", _msg("the ticket is closed"))
    try:
        rules.check_class_change(ticket.ticket_class, new, actor_roles=actor.roles, reason=reason)
    except rules.ClassChangeError as exc:
        raise IntakeError("class" if exc.field == "ticket_class" else "reason", str(exc)) from None
    start = appointment_start if appointment_start is not None else ticket.slot_start
    end = appointment_end if appointment_end is not None else ticket.slot_end
    deadlines = _deadlines(new, ticket.received_at, start, end)
    before = snapshot(ticket)
    old = ticket.ticket_class
    ticket.ticket_class = new
    if new is TicketClass.SCHEDULED:
        ticket.slot_start, ticket.slot_end = deadlines.slot_start, deadlines.slot_end
    _apply_deadlines(ticket, deadlines)
    change = ClassChange(ticket_id=ticket.id, from_class=old, to_class=new,
                         reason=reason.strip() if reason and reason.strip() else None, actor_id=actor.user_id, at=now)
    db.add(change)
    task = _callback_task(db, ticket, now)
    db.flush()
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="ticket.change_class", entity="ticket",
           entity_id=ticket.id, before=before,
           after={**snapshot(ticket), "callback_task_id": task.id if task else None}, note=change.reason, at=now)
    return ticket


def record_safety_instruction(
    db: Session,
    actor: Actor,
    ticket_id: int,
    code: str,
    now: datetime,
    *,
    shown_on_screen: bool = False,
) -> SafetyInstruction:
    """R6.2: one line of the safety script was read to the caller now; the system records it and when."""
    require(actor, "ticket.create")
    if not _aware(now):
        raise IntakeError("now", "must be timezone-aware")
    ticket = _ticket(db, ticket_id)
    allowed_codes = _script_codes(ticket)
    if not allowed_codes:
        raise IntakeError("code", _msg("only a class-1 ticket has a safety script"))
    if code not in allowed_codes:
        raise IntakeError("code", _msg("not a line of this ticket's safety script"))
    line = SafetyInstruction(ticket_id=ticket.id, code=code, given_at=now, given_by_id=actor.user_id,
                             channel=ticket.channel, shown_on_screen=shown_on_screen)
    db.add(line)
    db.flush()
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="ticket.safety_instruction",
           entity="ticket", entity_id=ticket.id, after=snapshot(line), at=now)
    return line


def link_report(
    db: Session,
    actor: Actor,
    ticket_id: int,
    *,
    reporter_name: str,
    phone: str,
    channel: Channel | str,
    now: datetime,
    customer_number: str | None = None,
    note: str | None = None,
) -> TicketReporter:
    """R5.6: a further caller about an open ticket becomes one of its reporters, not a second ticket.

    The caller is kept (name, phone, channel, time) so that they too get the R10 callback.
    """
    require(actor, "ticket.create")
    if not _aware(now):
        raise IntakeError("now", "must be timezone-aware")
    problems: dict[str, str] = {}
    name = _text(reporter_name, "reporter_name", problems, required=True, limit=200)
    phone_text = _text(phone, "phone", problems, required=True, limit=40)
    if phone_text is not None and not _PHONE.match(phone_text):
        problems["phone"] = _msg("not a phone number")
    note_text = _text(note, "note", problems, required=False, limit=MAX_TEXT)
    number = _text(customer_number, "customer_number", problems, required=False, limit=32)
    try:
        reporter_channel = _channel(channel)
    except (ValueError, TypeError):
        problems["channel"] = _msg("not one of the allowed values")
    if problems:
        raise IntakeError(problems)
    ticket = _ticket(db, ticket_id)
    if not ticket.status.is_open:
        raise IntakeError("ticket_id", _msg("the ticket is closed: create a new ticket"))
    customer_id = None
    if number:
        customer_id = db.scalar(sa.select(Customer.id).where(Customer.customer_no == number))
        if customer_id is None:
            raise IntakeError("customer_number", _msg("no customer with this number"))
    reporter = TicketReporter(ticket_id=ticket.id, name=name, phone=phone_text, channel=reporter_channel,
                              received_at=now, customer_id=customer_id, linked_by_id=actor.user_id, note=note_text)
    db.add(reporter)
    db.flush()
    record(db, actor_id=actor.user_id, actor_label=actor.label, action="ticket.link_report", entity="ticket",
           entity_id=ticket.id, after=snapshot(reporter), at=now)
    return reporter
