"""Saving a report as a ticket, once (R5, R6, R6.2, R13.1), and replaying an Idempotency-Key.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops import rules
from ops.audit import jsonable, record, snapshot
from ops.errors import ConflictError, ServiceError, check_aware
from ops.locator import Locator
from ops.models import (
    ClassChange,
    District,
    IdempotencyKey,
    IntakeCallbackTask,
    SafetyInstruction,
    Ticket,
    TicketReporter,
)
from ops.permissions import Actor, require
from ops.services.appointments import check_booking, grade_record
from ops.services.intake.duplicates import find_duplicates
from ops.services.intake.location import resolve_location
from ops.services.intake.report import (
    MAX_KEY_LENGTH,
    IntakeResult,
    ReportIn,
    _aware,
    _classification_input,
    _validate,
    ticket_reasons,
    ticket_safety_script,
)
from ops.services.replan import ReplanReason, request_replan
from ops.vocabulary import FollowUpStatus, TicketClass, TicketStatus
from optimizer.network import RoadNetwork


def _owner(actor: Actor) -> str:
    return f"user:{actor.user_id}" if actor.user_id is not None else f"actor:{actor.label}"


def _fingerprint(report: ReportIn) -> str:
    text = json.dumps(jsonable(asdict(report)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _apply_deadlines(ticket: Ticket, deadlines: rules.Deadlines) -> None:
    for column, value in deadlines.to_columns().items():
        setattr(ticket, column, value)


def _deadlines(cls: TicketClass, received_at: datetime, start: datetime | None,
               end: datetime | None) -> rules.Deadlines:
    if cls is TicketClass.SCHEDULED:
        if start is None or end is None:
            raise ServiceError("intake.slot_required", "appointment")
        if not (_aware(start) and _aware(end)):
            raise ServiceError("intake.slot_offset", "appointment")
        if end <= start:
            raise ServiceError("intake.slot_order", "appointment")
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
    :class:`ops.errors.ConflictError` (``intake.key_reused``) when ``report`` differs from the one the key was first used for.
    """
    row = db.scalar(sa.select(IdempotencyKey).where(IdempotencyKey.owner == _owner(actor),
                                                    IdempotencyKey.key == key))
    if row is None:
        return None
    if report is not None and row.fingerprint != _fingerprint(report):
        raise ConflictError("intake.key_reused", "idempotency_key")
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
    network: RoadNetwork | None = None,
) -> IntakeResult:
    """Save a report as a ticket: validated, located, classified, with deadlines and an audit event.

    Call inside ``ops.db.transaction``; on any error nothing is written. With ``idempotency_key`` a
    retry of the same report returns the first ticket (``replayed=True``) instead of a second one;
    with the ``network`` a class-3 slot is graded first (R6.4): one that no crew can keep is refused
    unless a supervisor forces it with a reason (:func:`ops.services.appointments.check_booking`);
    the key is stored under a unique constraint, so even concurrent retries cannot both succeed
    (the loser's transaction raises ``IntegrityError``: call :func:`replay_idempotent` afresh).
    """
    require(actor, "ticket.create")
    check_aware(now, "now")
    if idempotency_key is not None:
        if not idempotency_key.strip() or len(idempotency_key) > MAX_KEY_LENGTH:
            raise ServiceError("intake.key_length", "idempotency_key")
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
            raise ServiceError(exc.code, "class" if exc.field == "ticket_class" else "class_reason",
                               exc.params) from None
    deadlines = _deadlines(final, clean.received_at, report.appointment_start, report.appointment_end)
    booking = None
    if network is not None and final is TicketClass.SCHEDULED:
        assert deadlines.slot_start is not None and deadlines.slot_end is not None
        graded, forced_reason = check_booking(
            db, actor, network, lon=location.lon, lat=location.lat, symptom=clean.symptom,
            start=deadlines.slot_start, end=deadlines.slot_end, now=now, force=report.appointment_forced,
            reason=report.appointment_reason)
        booking = grade_record(graded, forced_reason)

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
        rule_version=classification.rule_version, status=TicketStatus.NEW, created_by_id=actor.user_id,
        **deadlines.to_columns(),
    )
    script = rules.safety_script(clean.symptom, final, major_leak=report.major_leak)
    allowed_codes = _script_codes(ticket)
    for i, (code, _at) in enumerate(clean.safety_given):
        if code not in allowed_codes:
            raise ServiceError("intake.not_script_line", f"safety_given[{i}]")
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
        # R6.2 (product): the reporter sees the guidance at once; the system records it as given
        # (never before the report was received, which a phone's clock may put a little ahead).
        shown_at = max(now, clean.received_at)
        for line in script:
            db.add(SafetyInstruction(ticket_id=ticket.id, code=line.code, given_at=shown_at, given_by_id=None,
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
               "possible_duplicates": [h.ticket.id for h in duplicates],
               # R5.5: a call start clamped to LONGEST_CALL before the save is kept as given.
               **({"received_at_as_given": report.received_at}
                  if report.received_at is not None and report.received_at != clean.received_at else {})},
        recommendation={"proposed_class": proposed, "rule_version": classification.rule_version,
                        "reasons": list(classification.reason_codes),
                        **({"appointment": booking} if booking is not None else {})},
        at=now,
    )
    if TicketClass(final) is TicketClass.EMERGENCY:  # R6.1: a crew departs in 30 min; no stale plan
        request_replan(db, now, ReplanReason.CLASS1)
    return IntakeResult(ticket=ticket, reasons=classification.reasons, safety_script=script, callback_task=task,
                        location=location, possible_duplicates=tuple(duplicates))
