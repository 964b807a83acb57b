"""The REST API's request and response bodies as pydantic models: one description of each payload.

The same model validates the request in the route and becomes its schema in ``/api/v1/openapi.json``
(:mod:`dashboard.api_docs`), so the two cannot drift apart. A model says everything about a payload
that can be judged without the database or the clock: types (strict, so JSON ``true`` is not a
number), required and nullable fields, lengths, ranges, closed lists. What needs the database (the
customer exists, the point lies in the service area, the order is in the right state) stays in the
service, which names the field at fault in the same 422 body.

Response models describe what the routes render; the routes build their JSON by hand, and the
fuzz test (tests/integration/test_api_fuzz.py) checks every response against these schemas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from ops.errors import ID_MAX, Problem, ServiceError
from ops.parts import PARTS
from ops.services.dispatching import MAX_K
from ops.services.intake.report import MAX_KEY_LENGTH, MAX_TEXT
from ops.services.standby import MAX_NOTE as MAX_STANDBY_NOTE
from ops.vocabulary import Judgement, RepairResult, Symptom

__all__ = [
    "ID_MAX",
    "MODELS",
    "AppointmentIn",
    "DispatchIn",
    "ErrorOut",
    "MeOut",
    "NotFixedIn",
    "PositionIn",
    "PositionOut",
    "ReadingIn",
    "ReasonIn",
    "ReassignIn",
    "RecommendationsOut",
    "RepairIn",
    "SlotsOut",
    "SlotsQuery",
    "StandbyClearIn",
    "StandbyIn",
    "StandbyOut",
    "StepIn",
    "TicketIn",
    "TicketListOut",
    "TicketOut",
    "Time",
    "WorkOrderOut",
    "parse",
    "parse_query",
]

#: The largest value of an INTEGER column (ids, versions, counts): PostgreSQL's is 32-bit. A larger
#: id names nothing (404); binding it in a query would make PostgreSQL (and SQLite beyond 64 bits) fail.
INT32_MAX = 2**31 - 1  # also ops.errors.ID_MAX: the database's integer columns
#: The longest Idempotency-Key header intake keeps.
IDEMPOTENCY_KEY_MAX = MAX_KEY_LENGTH
#: The API's spelling of the intake channels (``app`` is ``web_app`` inside).
CHANNEL_VALUES = ("hotline", "app", "wechat", "counter")
#: Text that must say something: one character that is not whitespace (Python's ``str.isspace``,
#: which the services' ``strip()`` uses; the ``python-re`` engine below applies the same class), and
#: no NUL anywhere, which PostgreSQL cannot store in a text column.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
NO_NUL = r"^[^\x00]*$"
_PHONE = r"^\s*\+?[0-9()./-][0-9 ()./-]{3,38}[0-9()./-]\s*$"


def _representable(value: datetime) -> datetime:
    """Refuse a time that has no UTC equivalent (year 9999 at a negative offset), which nothing can store."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range once converted to UTC") from None
    return value


def _whole_number(value: Any) -> Any:
    """JSON Schema counts ``5.0`` as an integer; so does the API (``true`` and ``"5"`` are still refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def integer(ge: int, le: int, description: str | None = None) -> Any:
    """A whole number in ``[ge, le]``, constraints first so that they reach the schema as minimum/maximum."""
    return Annotated[int, Field(ge=ge, le=le, description=description), BeforeValidator(_whole_number)]


Time = Annotated[AwareDatetime, AfterValidator(_representable),
                 Field(description="ISO 8601 with its UTC offset, e.g. 2026-11-26T15:00:00-03:00")]
Id = integer(1, ID_MAX)
Version = integer(1, ID_MAX, "the order's version as last read; a stale one is a 409")


def text(max_length: int, description: str | None = None) -> Any:
    """A required text of up to ``max_length`` characters that is not blank."""
    return Annotated[str, Field(min_length=1, max_length=max_length, pattern=NOT_BLANK, description=description)]


def optional_text(max_length: int, description: str | None = None) -> Any:
    """An optional text (blank counts as absent, as in the services)."""
    return Annotated[str | None, Field(max_length=max_length, pattern=NO_NUL, description=description)]


class Model(BaseModel):
    """Strict: unknown fields are named, JSON ``true`` is no number and ``"1"`` no integer."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")


_ANSWER = "true = yes, false = no, null = unknown (the worst case, R5.3); must be present (R5.2)"
Answer = Annotated[bool | None, Field(description=_ANSWER)]


# ----------------------------------------------------------------------------- requests
class Point(Model):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class Slot(Model):
    start: Time
    end: Time


class TicketIn(Model):
    """A report (R5): the five yes/no answers are required and may be null (unknown)."""

    channel: Literal[CHANNEL_VALUES]  # type: ignore[valid-type]
    reporter_name: text(200)
    phone: Annotated[str, Field(min_length=5, max_length=40, pattern=_PHONE, description="digits, spaces, + ( ) . / -")]
    customer_number: optional_text(32, "optional for a non-customer") = None
    address: text(500)
    door_no: optional_text(50) = None
    location: Point | None = Field(None, description=(
        "the point of the fault (map click, GPS): used unless the customer's premises are known, before any "
        "street named in the address; a point outside the service area is refused (422)"))
    symptom: Symptom
    started_at: Time
    duration_minutes: integer(0, INT32_MAX) | None = None
    odour: Answer
    noise: Answer
    people_on_site: Answer
    ventilated: Answer
    valve_closed: Answer
    description: optional_text(MAX_TEXT) = None
    urgency: Judgement = Judgement.GENERAL
    special_requests: optional_text(MAX_TEXT) = None
    appointment: Slot | None = Field(None, description="required when the ticket is class 3 (R6.4)")
    appointment_force: bool = Field(False, description=(
        "book a slot no crew can keep (GET /appointments/slots grades it not_possible): supervisors only, "
        "with appointment_reason"))
    appointment_reason: optional_text(500, "why a slot no crew can keep is booked anyway") = None
    major_leak: bool = Field(False, description="adds the fire and police calls to the safety guidance (R6.2)")


class DispatchIn(Model):
    recommendation_id: Id
    crew_id: Id
    override_reason: Annotated[str | None, Field(min_length=1, max_length=MAX_TEXT, pattern=NOT_BLANK,
                                                 description="required when crew_id is not the top recommendation")] = None


class StepIn(Model):
    version: Version | None = None


class ReadingIn(StepIn):
    ppm: Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
    measured_at: Time | None = None


#: R8.4: only parts that meet the national standard may be fitted.
PartCode = Literal[tuple(code for code, part in PARTS.items() if part.meets_standard)]  # type: ignore[misc]


class PartIn(Model):
    code: PartCode = Field(description="from the parts list (ops.parts)")  # type: ignore[valid-type]
    qty: integer(1, INT32_MAX) = 1


class RepairIn(StepIn):
    """R9.1: the repair record; ``fixed`` also needs the gas restored after the safety check (R8.6)."""

    model_config = ConfigDict(json_schema_extra={"allOf": [{
        "if": {"anyOf": [{"not": {"required": ["result"]}},
                         {"properties": {"result": {"const": "fixed"}}, "required": ["result"]}]},
        "then": {"properties": {"gas_restored_after_check": {"const": True}},
                 "required": ["gas_restored_after_check"]},
    }]})

    cause: text(MAX_TEXT)
    measures: text(MAX_TEXT)
    parts: list[PartIn] = Field(default_factory=list, max_length=100)
    result: RepairResult = RepairResult.FIXED
    customer_name: text(200)
    customer_confirmed: Literal[True] = Field(description="the customer confirmed the record (R9.1)")
    customer_confirmed_at: Time | None = None
    safety_advice_given: Literal[True] = Field(description="safety advice was given (R8.5)")
    gas_restored_after_check: bool = Field(False, description=(
        "R8.6: gas restored only after the repair was checked as safe; must be true when result is fixed"))


class ReasonIn(StepIn):
    reason: text(MAX_TEXT)


class NotFixedIn(ReasonIn):
    measures: optional_text(MAX_TEXT) = None


class ClassChangeIn(Model):
    """R6.5: raise a class, or lower it (from class 1 only a supervisor); every change says why."""

    class_: Literal[1, 2, 3] = Field(alias="class", description="the new class")
    reason: text(MAX_TEXT, "why: every change needs one (R6.5 logs who and why)")
    appointment: Slot | None = Field(None, description=(
        "lowering to class 3: the customer's appointment slot (R6.4); the booked one is kept otherwise"))
    appointment_force: bool = Field(False, description=(
        "book a slot no crew can keep (graded as at intake): supervisors only, the reason is the override's"))


class ReassignIn(ReasonIn):
    crew_id: Id
    recommendation_id: Id | None = None


class MoveIn(StepIn):
    crew_id: Id | None = Field(description="the crew to move the order to; null = back to unassigned")
    position: integer(1, 10_000, "place in the crew's queue, 1 = next; the end of the queue if absent") | None = None
    reason: optional_text(MAX_TEXT, "required where the rules ask for one: moving a current order off its crew, "
                                    "unassigning, or a crew other than the recommended one") = None


class StandbyIn(Model):
    lon: Annotated[float, Field(ge=-180, le=180)]
    lat: Annotated[float, Field(ge=-90, le=90)]
    note: optional_text(MAX_STANDBY_NOTE, "what the crew should know, e.g. why there") = None


class StandbyClearIn(Model):
    note: optional_text(MAX_TEXT, "why the standby is withdrawn") = None


class PositionIn(Model):
    lon: Annotated[float, Field(ge=-180, le=180)]
    lat: Annotated[float, Field(ge=-90, le=90)]
    at: Time | None = Field(None, description="when the fix was taken; now if absent")


class RecommendIn(Model):
    k: integer(1, MAX_K) = 3


# ----------------------------------------------------------------------------- responses
class Out(BaseModel):
    """A response: every field the route renders is listed; clients must ignore fields added later."""

    model_config = ConfigDict(extra="allow")


class ErrorOut(Out):
    error: str
    code: str = Field(description="a stable code for the refusal, e.g. required, ticket.not_found, order.stale")
    fields: dict[str, str] = Field(description="every offending field, with what is wrong with it (may be empty)")
    action: str | None = Field(None, description="403: the action the token or its user may not perform")


class MeOut(Out):
    user_id: int
    actor: str
    roles: list[str]
    scopes: list[str]
    crew_id: int | None


class TicketRowOut(Out):
    ticket_no: str
    class_: int = Field(alias="class")
    status: str
    symptom: str
    address: str
    district: str | None
    lon: float
    lat: float
    received_at: datetime
    crew: str | None
    next_deadline: str | None
    next_deadline_at: datetime | None
    seconds_left: float | None


class TicketListOut(Out):
    tickets: list[TicketRowOut]


class LocationOut(Out):
    lon: float
    lat: float
    approximate: bool = Field(description="placed on the typed street only")


class ReasonOut(Out):
    code: str
    message: str
    rule: str | None


class GuidanceOut(Out):
    code: str
    text: str


class CallbackTaskOut(Out):
    id: int
    due_at: datetime
    status: str


class DuplicateOut(Out):
    id: int
    ticket_no: str
    distance_m: float


class EmergencyContactOut(Out):
    name: str | None
    phone: str | None
    note: str | None
    lives_alone: bool
    vulnerable: bool


class TicketOut(Out):
    id: int
    ticket_no: str
    status: str
    class_: Literal[1, 2, 3] = Field(alias="class")
    proposed_class: Literal[1, 2, 3]
    rule_version: str
    channel: Literal[CHANNEL_VALUES]  # type: ignore[valid-type]
    symptom: str
    received_at: datetime
    address: str
    location: LocationOut
    deadlines: dict[str, datetime] = Field(
        description="depart_by, dispatch_by, onsite_target, onsite_limit, slot_start, slot_end")
    classification_reasons: list[ReasonOut]
    safety_guidance: list[GuidanceOut] = Field(description="class 1 only: show it to the reporter now (R6.2)")
    callback_task: CallbackTaskOut | None
    possible_duplicates: list[DuplicateOut]
    emergency_contact: EmergencyContactOut | None = Field(description=(
        "R4.2: the customer's emergency contact and care flags (lives alone, vulnerable); null if none"))


class OptionOut(Out):
    rank: int
    crew_id: int
    crew_code: str
    eta: datetime
    departure: datetime
    slack_s: dict[str, float | None] = Field(description="seconds to spare per deadline (negative: late)")
    displaces: list[Any]
    explanation: str


class RecommendationsOut(Out):
    recommendation_id: int
    ticket_id: int
    created_at: datetime
    used_fallback: bool
    note: str
    options: list[OptionOut]


class WorkOrderOut(Out):
    id: int
    ticket_id: int
    crew_id: int
    status: str
    version: int
    recommended_crew_id: int | None
    recommendation_id: int | None
    decision: str | None
    missing_skill: str | None = Field(None, description=(
        "the skill the ticket needs that the chosen crew lacks (an override; the order was still sent)"))
    override_reason: str | None
    auto_dispatched: bool
    pre_alerted_at: datetime | None
    dispatched_at: datetime | None
    acknowledged_at: datetime | None
    departed_at: datetime | None
    arrived_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    escalated_at: datetime | None
    eta_seconds_at_dispatch: float | None


class SlotsQuery(BaseModel):
    """``GET /appointments/slots``: query parameters are text, so numbers and dates are parsed from it."""

    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
    symptom: Symptom = Field(description="the work asked for; its expected length and skill come from it")
    date: Annotated[dt.date | None, Field(description=(
        "one local day (YYYY-MM-DD) among the days offered; without it every offered day"))] = None


class AppointmentIn(Model):
    """Move a booked class-3 appointment to another offered slot, with the customer's agreement (R6.4)."""

    slot_start: Time = Field(description="the start of an offered slot (GET /appointments/slots)")
    reason: text(500, "what the customer asked and agreed to")
    force: bool = Field(False, description="book a slot no crew can keep: supervisors only")


class GradedSlotOut(Out):
    start: datetime
    end: datetime
    grade: Literal["feasible", "tight", "not_possible"] = Field(description=(
        "feasible: a crew can keep it with time to spare; tight: with less than the configured margin; "
        "not_possible: no crew can (only a supervisor may book it, with a reason)"))
    crew_id: int | None
    crew_code: str | None
    extra_drive_minutes: int | None = Field(description="the driving the job adds to that crew's day")
    slack_minutes: int | None = Field(description="the least time the insertion leaves to spare")
    arrival: datetime | None = Field(description="when that crew would arrive (it waits if before the slot)")


class SlotsOut(Out):
    service_minutes: int
    required_skill: str | None
    unplaced: int = Field(description="booked class-3 jobs on these days that no crew can keep already")
    slots: list[GradedSlotOut]


class MoveOut(Out):
    order: WorkOrderOut | None = Field(description="the order that holds the ticket now; null: back to unassigned")


class ScheduleOrderOut(Out):
    kind: Literal["committed", "proposed"]
    order_id: int | None = Field(description="null for a proposal of the plan in force")
    ticket_id: int
    ticket_no: str
    ticket_class: int
    status: str
    position: int = Field(description="0 = the current order, 1.. = queued (or the proposal's place on the route)")
    address: str
    planned_start: datetime = Field(description="when the crew sets off for it")
    eta: datetime
    work_start: datetime
    end: datetime
    deadline: datetime | None
    deadline_name: str | None
    window_start: datetime | None
    window_end: datetime | None
    late: bool
    planned: bool = Field(description="times from the plan in force (true) or estimated from the order (false)")


class ScheduleOut(Out):
    crew_id: int
    code: str
    status: str
    shift_start: datetime
    shift_end: datetime
    plan_at: datetime | None
    orders: list[ScheduleOrderOut]


class QueueEntryOut(Out):
    order_id: int
    ticket_id: int
    ticket_no: str
    ticket_class: int
    status: str
    position: int
    address: str | None
    window_start: datetime | None
    window_end: datetime | None
    deadline: datetime | None
    version: int


class CrewOut(Out):
    id: int
    code: str
    name: str
    status: str
    position: Point | None
    position_at: datetime | None
    shift_start: datetime
    shift_end: datetime
    current_order: QueueEntryOut | None
    queue: list[QueueEntryOut]


class CrewListOut(Out):
    crews: list[CrewOut]


class StandbyPositionOut(Out):
    lon: float
    lat: float
    note: str | None
    since: datetime
    by: str = Field(description="who sent it, as the audit log names them")


class StandbyOut(Out):
    crew_id: int
    standby: StandbyPositionOut | None = Field(description="null: the crew has no standby position")


class PositionOut(Out):
    crew: str
    lon: float
    lat: float


#: Every model that appears in the document, by the name it has there.
MODELS: Mapping[str, type[BaseModel]] = {m.__name__: m for m in (
    TicketIn, DispatchIn, StepIn, ReadingIn, RepairIn, ReasonIn, NotFixedIn, ReassignIn, MoveIn, PositionIn,
    RecommendIn, AppointmentIn, ClassChangeIn, ErrorOut, MeOut, TicketListOut, TicketOut, RecommendationsOut,
    WorkOrderOut, PositionOut, SlotsOut, CrewListOut, ScheduleOut, MoveOut, StandbyIn, StandbyClearIn, StandbyOut,
)}


# ----------------------------------------------------------------------------- validation
M = TypeVar("M", bound=BaseModel)


def _field_name(loc: tuple[int | str, ...]) -> str:
    """The field a 422 names: the top-level field with list positions (``parts[0]``), as the services do."""
    name = str(loc[0]) if loc else "body"
    for part in loc[1:]:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            break
    return name


def _detail(error: Mapping[str, Any]) -> str:
    inner = [str(p) for p in error["loc"][1:] if not isinstance(p, int)]
    return f"{'.'.join(inner)}: {error['msg']}" if inner else str(error["msg"])


#: The services' own message for a top-level field's error, where one says it better than pydantic.
_CODES = {"missing": "required", "extra_forbidden": "request.unknown_field", "string_too_long": "too_long",
          "string_type": "text_required", "timezone_aware": "offset_time_required",
          "literal_error": "not_allowed_value", "enum": "not_allowed_value"}


def _code(error: Mapping[str, Any]) -> str | None:
    if len(error["loc"]) != 1:
        return None
    kind = error["type"]
    if kind == "string_pattern_mismatch" and "\x00" in str(error.get("input", "")):
        return None  # the detail says what the pattern wants
    if kind in ("string_pattern_mismatch", "string_too_short"):
        return "phone_invalid" if error["loc"] == ("phone",) else "required"  # the others only refuse blanks
    return _CODES.get(kind)


def problems_of(exc: ValidationError) -> list[Problem]:
    """One problem per bad field (the first error for each), in the order pydantic found them."""
    seen: dict[str, Problem] = {}
    for error in exc.errors(include_url=False):
        name = _field_name(error["loc"])
        if name not in seen:
            code = _code(error)
            seen[name] = Problem(code, name) if code else Problem("request.invalid", name, {"detail": _detail(error)})
    return list(seen.values())


def parse_query(model: type[M], args: Mapping[str, str]) -> M:
    """Query parameters as ``model``, or a :class:`ServiceError` naming every bad parameter (422)."""
    try:
        return model.model_validate(dict(args))
    except ValidationError as exc:
        raise ServiceError.of(problems_of(exc)) from None


def parse(model: type[M], raw: bytes) -> M:
    """The JSON body as ``model``, or a :class:`ServiceError` naming every bad field at once (422)."""
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise ServiceError.of(problems_of(exc)) from None
