"""Importing a utility's records (districts, customers, ticket history) through the live rules.

The demo writes its 90 days of history through this module, and a utility moving onto the product
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
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import shapely
import sqlalchemy as sa
from shapely.geometry import shape
from sqlalchemy.orm import Session

from ops.audit import record, snapshot
from ops.models import (
    ClassChange,
    Complaint,
    Crew,
    Customer,
    District,
    FollowUp,
    RepairRecord,
    SafetyInstruction,
    Ticket,
    User,
    UserRole,
    WorkOrder,
)
from ops.permissions import Actor, require
from ops.rules import (
    DEFAULT_TABLE,
    ClassChangeError,
    ClassificationInput,
    RuleSettings,
    RuleTable,
    callback_due,
    callback_order_key,
    check_class_change,
    classify,
    deadlines_for,
    safety_script,
)
from ops.vocabulary import (
    Answer,
    Channel,
    ComplaintStatus,
    FollowUpStatus,
    Judgement,
    RepairResult,
    Role,
    Symptom,
    TicketClass,
    TicketStatus,
    WorkOrderStatus,
)

__all__ = [
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

#: The service area a coordinate must fall in: ``(min_lon, min_lat, max_lon, max_lat)`` or a predicate.
AreaCheck = tuple[float, float, float, float] | Callable[[float, float], bool]

DEFAULT_CHUNK = 500
#: Bound on the problems collected per call: enough to fix a file in a few rounds, not a flood.
MAX_PROBLEMS = 50
#: Keeps ``IN (...)`` lists well under every backend's bound-parameter limit.
_IN_CHUNK = 500

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """One invalid field of one record; ``record_index`` is the position in the batch (0-based)."""

    record_index: int
    record_key: str | None
    field: str
    message: str

    def __str__(self) -> str:
        key = f" ({self.record_key})" if self.record_key else ""
        return f"record {self.record_index}{key}: {self.field}: {self.message}"


class ImportRejected(ValueError):  # noqa: N818 - the name the brief and callers use
    """A batch was refused; nothing of it was saved.

    ``record_index``, ``field`` and ``message`` describe the first problem; ``problems`` lists all
    that were found (up to :data:`MAX_PROBLEMS`), so one round of fixes can address most of them.
    """

    def __init__(self, record_index: int, field: str, message: str, *,
                 record_key: str | None = None, problems: Sequence[ImportProblem] = ()) -> None:
        self.record_index = record_index
        self.field = field
        self.message = message
        self.record_key = record_key
        first = ImportProblem(record_index, record_key, field, message)
        self.problems: tuple[ImportProblem, ...] = tuple(problems) or (first,)
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        super().__init__(f"import rejected, nothing saved: {first}{suffix}")


class _Invalid(Exception):  # noqa: N818 - internal signal, never escapes this module
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --------------------------------------------------------------------------------------------
# Input records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistrictIn:
    """A zone of the service area; the geometry is GeoJSON (EPSG:4326), as text or a mapping."""

    code: str
    name: str
    geometry: str | Mapping[str, Any]
    population: int | None = None
    source: str = "import"


@dataclass(frozen=True)
class CustomerIn:
    """A supplied premises (R5.1) with its R4.2 emergency contact; coordinates may be unknown."""

    customer_no: str
    name: str
    address: str
    lon: float | None
    lat: float | None
    phone: str | None = None
    door_no: str | None = None
    #: Left empty, the district is found from the coordinates.
    district_code: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_phone: str | None = None
    emergency_contact_note: str | None = None
    lives_alone: bool = False
    vulnerable: bool = False


@dataclass(frozen=True)
class RepairRecordIn:
    """R9.1 (and R8.3–R8.6): what the crew filed; its completion time is the work order's."""

    cause: str
    measures: str
    result: RepairResult | str
    customer_confirmation: str
    #: R8.4: each part as a mapping with at least a ``name`` (e.g. ``standard``, ``qty``).
    parts_replaced: Sequence[Mapping[str, Any]] = ()
    gas_reading_ppm: float | None = None  # R8.3: required for class 1
    gas_reading_at: datetime | None = None
    safety_advice_given: bool = True  # R8.5
    gas_restored_after_check: bool = False  # R8.6
    filed_by: str | None = None  # username


@dataclass(frozen=True)
class CallbackIn:
    """R10.3: the callback made after a completed work order, or the attempts that found nobody."""

    called_at: datetime
    score: int | None
    arrived_on_time: Answer | str | None
    courteous: Answer | str | None
    fully_fixed: Answer | str | None
    suggestions: str | None = None
    agent: str | None = None  # username
    status: FollowUpStatus | str = FollowUpStatus.DONE
    attempts: int = 1


@dataclass(frozen=True)
class WorkOrderTimeline:
    """One crew's assignment to the ticket, as far as it got (R7–R9).

    The milestones must be reached in order, without gaps; the last one reached sets the status
    (dispatched, acknowledged, en route, on site, completed). A cancelled order (reassigned, R7.2
    escalation) carries ``cancelled_at`` instead of a completion.
    """

    crew_code: str
    dispatched_at: datetime
    acknowledged_at: datetime | None = None
    departed_at: datetime | None = None
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    auto_dispatched: bool = False  # R7.3
    dispatched_by: str | None = None  # username; None for the scheduler
    pre_alerted_at: datetime | None = None  # R7.3
    eta_seconds_at_dispatch: int | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    repair: RepairRecordIn | None = None
    callback: CallbackIn | None = None


@dataclass(frozen=True)
class ComplaintIn:
    """R11.3: a complaint about the ticket; it concerns the ticket's last completed work order."""

    received_at: datetime
    channel: Channel | str
    description: str
    complainant_name: str | None = None  # defaults to the reporter
    complainant_phone: str | None = None
    handler: str | None = None  # username
    status: ComplaintStatus | str = ComplaintStatus.OPEN
    resolved_at: datetime | None = None
    resolution: str | None = None
    customer_satisfied: bool | None = None


@dataclass(frozen=True)
class HistoricalTicket:
    """One report and everything that followed it, as R5 records it and R6–R11 continue it.

    ``ticket_class`` is the class the ticket was handled under; left ``None`` it is the class that
    :func:`ops.rules.classify` proposes. A class that differs from the proposal needs
    ``class_change_reason``, and lowering a class 1 needs ``class_changed_by`` to be a supervisor
    (R6.5). ``work_orders`` are in dispatch order; a second visit follows a first one that did not
    fix the fault (R10.3 reopen) or was cancelled.
    """

    ticket_no: str
    channel: Channel | str
    received_at: datetime
    reporter_name: str
    reporter_phone: str
    address: str
    lon: float
    lat: float
    symptom: Symptom | str
    fault_started_at: datetime
    odour: Answer | str
    abnormal_noise: Answer | str
    people_on_site: Answer | str
    ventilated: Answer | str
    valve_closed: Answer | str
    agent_judgement: Judgement | str
    customer_no: str | None = None
    door_no: str | None = None
    district_code: str | None = None
    fault_duration_minutes: int | None = None
    description: str | None = None
    special_requests: str | None = None
    ticket_class: TicketClass | int | None = None
    class_change_reason: str | None = None
    class_changed_by: str | None = None  # username
    class_changed_at: datetime | None = None
    slot_start: datetime | None = None  # R6.4, class 3
    slot_end: datetime | None = None
    created_by: str | None = None  # username of the agent; None for app/WeChat self-service
    #: R6.2: when the safety script was read (hotline, counter) or shown (app, WeChat).
    safety_script_given_at: datetime | None = None
    safety_script_given_by: str | None = None  # username
    major_leak: bool = False
    work_orders: Sequence[WorkOrderTimeline] = ()
    complaints: Sequence[ComplaintIn] = ()


@dataclass(frozen=True)
class ImportSummary:
    """What one call saved; ``ids`` are the new rows' ids in input order."""

    kind: str
    count: int
    ids: tuple[int, ...]
    counts: Mapping[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _aware(value: Any, name: str, *, required: bool = True) -> datetime | None:
    if value is None:
        if required:
            raise _Invalid(name, "is required")
        return None
    if not isinstance(value, datetime):
        raise _Invalid(name, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _Invalid(name, f"must be timezone-aware (got naive {value.isoformat()})")
    return value


def _check_now(now: datetime) -> None:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be a timezone-aware datetime, got {now!r}")


def _enum(kind: type[T], value: Any, name: str) -> T:
    try:
        return kind(value)  # type: ignore[call-arg]
    except (ValueError, TypeError):
        allowed = ", ".join(str(m.value) for m in kind)  # type: ignore[attr-defined]
        raise _Invalid(name, f"{value!r} is not one of: {allowed}") from None


def _text(value: Any, name: str, *, required: bool = True, limit: int | None = None) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Invalid(name, "is required")
        return None
    if not isinstance(value, str):
        raise _Invalid(name, f"must be text, got {type(value).__name__}")
    value = value.strip()
    if limit is not None and len(value) > limit:
        raise _Invalid(name, f"is longer than {limit} characters")
    return value


def _inside_check(area: AreaCheck) -> Callable[[float, float], bool]:
    if callable(area):
        return area
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in area)
    except (TypeError, ValueError):
        raise TypeError("area must be (min_lon, min_lat, max_lon, max_lat) or a callable(lon, lat)") from None
    return lambda lon, lat: min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def _coordinates(lon: Any, lat: Any, inside: Callable[[float, float], bool], prefix: str = "") -> tuple[float, float]:
    for name, value, bound in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise _Invalid(prefix + name, f"{value!r} is not a coordinate")
        if not -bound <= value <= bound:
            raise _Invalid(prefix + name, f"{value!r} is out of range")
    if not inside(float(lon), float(lat)):
        raise _Invalid(prefix + "lon", f"({lon}, {lat}) lies outside the service area")
    return float(lon), float(lat)


def _not_after(value: datetime, limit: datetime, name: str, limit_name: str) -> None:
    if value > limit:
        raise _Invalid(name, f"{value.isoformat()} is after {limit_name} ({limit.isoformat()})")


def _not_before(value: datetime, limit: datetime, name: str, limit_name: str) -> None:
    if value < limit:
        raise _Invalid(name, f"{value.isoformat()} is before {limit_name} ({limit.isoformat()})")


def _lookup(session: Session, column: Any, key_column: Any, keys: Iterable[str]) -> dict[str, Any]:
    """``{key: value}`` for the keys that exist, queried in slices to respect parameter limits."""
    found: dict[str, Any] = {}
    distinct = sorted(set(keys))
    for part in _chunks(distinct, _IN_CHUNK):
        for key, value in session.execute(sa.select(key_column, column).where(key_column.in_(part))):
            found[key] = value
    return found


def _sequence(value: Any, kind: type[T]) -> list[T]:
    """The items of ``value`` that are ``kind`` (lookups only; validation reports the rest)."""
    if not isinstance(value, list | tuple):
        return []
    return [item for item in value if isinstance(item, kind)]


def _reject(problems: list[ImportProblem]) -> None:
    if problems:
        first = problems[0]
        raise ImportRejected(first.record_index, first.field, first.message,
                             record_key=first.record_key, problems=problems)


class _DistrictLocator:
    """Which stored district contains a point (the first by code when polygons overlap)."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(
            sa.select(District.id, District.geometry_geojson).order_by(District.code)
        ).all()
        self._ids: list[int] = []
        geoms = []
        for district_id, text in rows:
            if not text:
                continue
            try:
                geom = shape(json.loads(text))
            except (ValueError, TypeError, AttributeError, KeyError):
                continue
            shapely.prepare(geom)
            self._ids.append(district_id)
            geoms.append(geom)
        self._tree = shapely.STRtree(geoms) if geoms else None

    def locate(self, lon: float | None, lat: float | None) -> int | None:
        if self._tree is None or lon is None or lat is None:
            return None
        hits = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        return self._ids[int(min(hits))] if len(hits) else None


def _audit_imported(session: Session, actor: Actor, *, action: str, entity: str, entity_id: int,
                    after: Mapping[str, Any], now: datetime, source: str) -> None:
    record(session, actor_id=actor.user_id, actor_label=actor.label, action=action, entity=entity,
           entity_id=entity_id, after=after, imported=True, note=f"imported from {source}", at=now)


# --------------------------------------------------------------------------------------------
# Districts
# --------------------------------------------------------------------------------------------


def import_districts(
    session: Session, actor: Actor, districts: Sequence[DistrictIn], *, now: datetime,
    source: str = "import",
) -> ImportSummary:
    """Add the service area's districts (code, name, population, polygon); centroids are computed."""
    require(actor, "districts.import")
    _check_now(now)
    problems: list[ImportProblem] = []
    existing = _lookup(session, District.id, District.code, (d.code for d in districts if isinstance(d.code, str)))
    seen: set[str] = set()
    prepared: list[District] = []
    for i, item in enumerate(districts):
        try:
            code = _text(item.code, "code", limit=32)
            assert code is not None
            if code in existing or code in seen:
                raise _Invalid("code", f"district {code!r} already exists")
            seen.add(code)
            name = _text(item.name, "name", limit=200)
            if item.population is not None and (
                isinstance(item.population, bool) or not isinstance(item.population, int) or item.population < 0
            ):
                raise _Invalid("population", f"{item.population!r} is not a non-negative whole number")
            try:
                raw = item.geometry if isinstance(item.geometry, str) else json.dumps(item.geometry)
                geom = shape(json.loads(raw))
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                raise _Invalid("geometry", f"not a GeoJSON geometry ({exc})") from None
            if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
                raise _Invalid("geometry", f"must be a non-empty Polygon or MultiPolygon, got {geom.geom_type}")
            centroid = geom.centroid
            prepared.append(District(
                code=code, name=name, population=item.population,
                centroid_lon=float(centroid.x), centroid_lat=float(centroid.y),
                geometry_geojson=raw, source=_text(item.source, "source", limit=200),
            ))
        except _Invalid as exc:
            problems.append(ImportProblem(i, getattr(item, "code", None), exc.field, exc.message))
            if len(problems) >= MAX_PROBLEMS:
                break
    _reject(problems)
    with session.begin_nested():
        session.add_all(prepared)
        session.flush()
        for district in prepared:
            _audit_imported(session, actor, action="district.import", entity="district",
                            entity_id=district.id, after=snapshot(district, _DISTRICT_AUDIT_FIELDS),
                            now=now, source=source)
        session.flush()
    return ImportSummary("districts", len(prepared), tuple(d.id for d in prepared))


_DISTRICT_AUDIT_FIELDS = ("id", "code", "name", "population", "centroid_lon", "centroid_lat", "source")


# --------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------


def import_customers(
    session: Session, actor: Actor, customers: Sequence[CustomerIn], *, area: AreaCheck,
    now: datetime, source: str = "import", chunk_size: int = DEFAULT_CHUNK,
) -> ImportSummary:
    """Add customers (R5.1 addresses, R4.2 emergency contacts); the district comes from the map if not given."""
    require(actor, "customers.import")
    _check_now(now)
    inside = _inside_check(area)
    numbers = [c.customer_no for c in customers if isinstance(c.customer_no, str)]
    existing = _lookup(session, Customer.id, Customer.customer_no, numbers)
    districts = dict(session.execute(sa.select(District.code, District.id)).tuples().all())
    locator = _DistrictLocator(session)
    problems: list[ImportProblem] = []
    seen: set[str] = set()
    prepared: list[Customer] = []
    for i, item in enumerate(customers):
        try:
            number = _text(item.customer_no, "customer_no", limit=32)
            assert number is not None
            if number in existing or number in seen:
                raise _Invalid("customer_no", f"customer {number!r} already exists")
            seen.add(number)
            lon = lat = None
            if item.lon is not None or item.lat is not None:
                lon, lat = _coordinates(item.lon, item.lat, inside)
            if item.district_code is not None:
                if item.district_code not in districts:
                    raise _Invalid("district_code", f"unknown district {item.district_code!r}")
                district_id = districts[item.district_code]
            else:
                district_id = locator.locate(lon, lat)
            has_contact = bool(item.emergency_contact_name or item.emergency_contact_phone)
            if has_contact and not (item.emergency_contact_name and item.emergency_contact_phone):
                missing = "emergency_contact_phone" if item.emergency_contact_name else "emergency_contact_name"
                raise _Invalid(missing, "an emergency contact needs both a name and a phone (R4.2)")
            prepared.append(Customer(
                customer_no=number,
                name=_text(item.name, "name", limit=200),
                phone=_text(item.phone, "phone", required=False, limit=40),
                address=_text(item.address, "address", limit=500),
                door_no=_text(item.door_no, "door_no", required=False, limit=50),
                lon=lon, lat=lat, district_id=district_id,
                emergency_contact_name=_text(item.emergency_contact_name, "emergency_contact_name",
                                             required=False, limit=200),
                emergency_contact_phone=_text(item.emergency_contact_phone, "emergency_contact_phone",
                                              required=False, limit=40),
                emergency_contact_note=_text(item.emergency_contact_note, "emergency_contact_note",
                                             required=False, limit=500),
                lives_alone=bool(item.lives_alone), vulnerable=bool(item.vulnerable),
            ))
        except _Invalid as exc:
            problems.append(ImportProblem(i, getattr(item, "customer_no", None), exc.field, exc.message))
            if len(problems) >= MAX_PROBLEMS:
                break
    _reject(problems)
    with session.begin_nested():
        for part in _chunks(prepared, chunk_size):
            session.add_all(part)
            session.flush()
            for customer in part:
                _audit_imported(session, actor, action="customer.import", entity="customer",
                                entity_id=customer.id, after=snapshot(customer), now=now, source=source)
        session.flush()
    return ImportSummary("customers", len(prepared), tuple(c.id for c in prepared))


# --------------------------------------------------------------------------------------------
# Ticket history
# --------------------------------------------------------------------------------------------

_STAGES = ("dispatched_at", "acknowledged_at", "departed_at", "arrived_at", "completed_at")
_STAGE_STATUS = {
    "dispatched_at": WorkOrderStatus.DISPATCHED,
    "acknowledged_at": WorkOrderStatus.ACKNOWLEDGED,
    "departed_at": WorkOrderStatus.EN_ROUTE,
    "arrived_at": WorkOrderStatus.ON_SITE,
    "completed_at": WorkOrderStatus.COMPLETED,
}
_TICKET_STATUS_FOR_ORDER = {
    WorkOrderStatus.DISPATCHED: TicketStatus.DISPATCHED,
    WorkOrderStatus.ACKNOWLEDGED: TicketStatus.ACKNOWLEDGED,
    WorkOrderStatus.EN_ROUTE: TicketStatus.EN_ROUTE,
    WorkOrderStatus.ON_SITE: TicketStatus.ON_SITE,
}


@dataclass
class _OrderPlan:
    source: WorkOrderTimeline
    crew_id: int
    status: WorkOrderStatus
    dispatched_by_id: int | None
    repair_result: RepairResult | None = None
    filed_by_id: int | None = None
    callback_status: FollowUpStatus | None = None
    callback_agent_id: int | None = None
    callback_answers: dict[str, Any] = field(default_factory=dict)
    reopened: bool = False


@dataclass
class _TicketPlan:
    index: int
    source: HistoricalTicket
    values: dict[str, Any]
    orders: list[_OrderPlan]
    class_change: dict[str, Any] | None
    safety_codes: tuple[str, ...]
    safety_given_by_id: int | None
    complaints: list[dict[str, Any]]


class _Context:
    """Everything validation looks up in the database, fetched once per batch."""

    def __init__(self, session: Session, records: Sequence[HistoricalTicket]) -> None:
        usernames: set[str] = set()
        crew_codes: set[str] = set()
        customer_nos: set[str] = set()
        records = _sequence(records, HistoricalTicket)  # validation reports anything else
        for rec in records:
            for name in (rec.class_changed_by, rec.created_by, rec.safety_script_given_by):
                if isinstance(name, str):
                    usernames.add(name)
            for wo in _sequence(rec.work_orders, WorkOrderTimeline):
                if isinstance(wo.crew_code, str):
                    crew_codes.add(wo.crew_code)
                if isinstance(wo.dispatched_by, str):
                    usernames.add(wo.dispatched_by)
                if isinstance(wo.repair, RepairRecordIn) and isinstance(wo.repair.filed_by, str):
                    usernames.add(wo.repair.filed_by)
                if isinstance(wo.callback, CallbackIn) and isinstance(wo.callback.agent, str):
                    usernames.add(wo.callback.agent)
            for complaint in _sequence(rec.complaints, ComplaintIn):
                if isinstance(complaint.handler, str):
                    usernames.add(complaint.handler)
            if isinstance(rec.customer_no, str):
                customer_nos.add(rec.customer_no)
        self.users: dict[str, int] = _lookup(session, User.id, User.username, usernames)
        self.roles: dict[int, set[Role]] = {}
        if self.users:
            for user_id, role in session.execute(
                sa.select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(list(self.users.values())))
            ):
                self.roles.setdefault(user_id, set()).add(Role(role))
        self.crews: dict[str, int] = _lookup(session, Crew.id, Crew.code, crew_codes)
        self.customers: dict[str, tuple[int, int | None]] = {}
        for part in _chunks(sorted(customer_nos), _IN_CHUNK):
            for number, cid, did in session.execute(
                sa.select(Customer.customer_no, Customer.id, Customer.district_id)
                .where(Customer.customer_no.in_(part))
            ):
                self.customers[number] = (cid, did)
        self.districts: dict[str, int] = dict(session.execute(sa.select(District.code, District.id)).tuples().all())
        self.existing_ticket_nos: set[str] = set(_lookup(
            session, Ticket.id, Ticket.ticket_no, (r.ticket_no for r in records if isinstance(r.ticket_no, str))
        ))
        #: crew id -> ticket_no of the work order it is already busy with.
        self.busy_crews: dict[int, str] = {}
        if self.crews:
            active = [s.value for s in WorkOrderStatus if s.is_active]
            for crew_id, ticket_no in session.execute(
                sa.select(WorkOrder.crew_id, Ticket.ticket_no).join(Ticket, Ticket.id == WorkOrder.ticket_id)
                .where(WorkOrder.status.in_(active), WorkOrder.crew_id.in_(list(self.crews.values())))
            ):
                self.busy_crews[crew_id] = ticket_no
        self._locator: _DistrictLocator | None = None
        self._session = session

    def user(self, username: str | None, name: str) -> int | None:
        if username is None:
            return None
        if username not in self.users:
            raise _Invalid(name, f"unknown user {username!r}")
        return self.users[username]

    def locate(self, lon: float, lat: float) -> int | None:
        if self._locator is None:
            self._locator = _DistrictLocator(self._session)
        return self._locator.locate(lon, lat)


def _validate_order(
    k: int, wo: WorkOrderTimeline, ticket_class: TicketClass, received_at: datetime, now: datetime,
    ctx: _Context,
) -> _OrderPlan:
    p = f"work_orders[{k}]."
    if not isinstance(wo, WorkOrderTimeline):
        raise _Invalid(f"work_orders[{k}]", f"expected a WorkOrderTimeline, got {type(wo).__name__}")
    code = _text(wo.crew_code, p + "crew_code")
    if code not in ctx.crews:
        raise _Invalid(p + "crew_code", f"unknown crew {code!r}")
    _aware(wo.dispatched_at, p + "dispatched_at")  # a work order exists from its dispatch on
    # Milestones: aware, no gaps, in order, not in the future.
    previous_name, previous = "received_at", received_at
    reached = None
    gap = None
    for stage in _STAGES:
        value = _aware(getattr(wo, stage), p + stage, required=False)
        if value is None:
            gap = gap or stage
            continue
        if gap is not None:
            raise _Invalid(p + gap, f"is missing although {stage} is given (milestones are reached in order)")
        _not_before(value, previous, p + stage, previous_name)
        _not_after(value, now, p + stage, "now")
        previous_name, previous, reached = p + stage, value, stage
    assert reached is not None  # dispatched_at is required
    status = _STAGE_STATUS[reached]
    pre_alerted = _aware(wo.pre_alerted_at, p + "pre_alerted_at", required=False)
    if pre_alerted is not None:
        _not_before(pre_alerted, received_at, p + "pre_alerted_at", "received_at")
        _not_after(pre_alerted, wo.dispatched_at, p + "pre_alerted_at", "dispatched_at")
    if wo.auto_dispatched and ticket_class is not TicketClass.EMERGENCY:
        raise _Invalid(p + "auto_dispatched", "only a class-1 ticket is dispatched automatically (R7.3)")
    if wo.eta_seconds_at_dispatch is not None and (
        isinstance(wo.eta_seconds_at_dispatch, bool) or not isinstance(wo.eta_seconds_at_dispatch, int)
        or wo.eta_seconds_at_dispatch < 0
    ):
        raise _Invalid(p + "eta_seconds_at_dispatch", "must be a non-negative whole number of seconds")
    cancelled = _aware(wo.cancelled_at, p + "cancelled_at", required=False)
    if cancelled is not None:
        if status is WorkOrderStatus.COMPLETED:
            raise _Invalid(p + "cancelled_at", "a completed work order cannot also be cancelled")
        _not_before(cancelled, previous, p + "cancelled_at", previous_name)
        _not_after(cancelled, now, p + "cancelled_at", "now")
        _text(wo.cancel_reason, p + "cancel_reason")
        status = WorkOrderStatus.CANCELLED
    plan = _OrderPlan(wo, ctx.crews[code], status, ctx.user(wo.dispatched_by, p + "dispatched_by"))

    if wo.repair is not None and not isinstance(wo.repair, RepairRecordIn):
        raise _Invalid(p + "repair", f"expected a RepairRecordIn, got {type(wo.repair).__name__}")
    if wo.callback is not None and not isinstance(wo.callback, CallbackIn):
        raise _Invalid(p + "callback", f"expected a CallbackIn, got {type(wo.callback).__name__}")
    # R9: completion needs the repair record; R8.3 a class-1 record needs the gas reading.
    if wo.repair is None:
        if status is WorkOrderStatus.COMPLETED:
            raise _Invalid(p + "repair", "a completed work order needs its repair record (R9)")
    else:
        r = p + "repair."
        if status is not WorkOrderStatus.COMPLETED:
            raise _Invalid(p + "repair", "a repair record is filed only when the work order is completed (R9)")
        rep = wo.repair
        _text(rep.cause, r + "cause")
        _text(rep.measures, r + "measures")
        _text(rep.customer_confirmation, r + "customer_confirmation")
        plan.repair_result = _enum(RepairResult, rep.result, r + "result")
        for j, part in enumerate(rep.parts_replaced or ()):
            if not isinstance(part, Mapping) or not str(part.get("name", "")).strip():
                raise _Invalid(f"{r}parts_replaced[{j}]", "each replaced part needs a name (R8.4)")
        reading_at = _aware(rep.gas_reading_at, r + "gas_reading_at", required=False)
        if (rep.gas_reading_ppm is None) != (reading_at is None):
            raise _Invalid(r + "gas_reading_at", "a gas reading needs both its value and its time (R8.3)")
        if rep.gas_reading_ppm is not None:
            ppm = rep.gas_reading_ppm
            if isinstance(ppm, bool) or not isinstance(ppm, int | float) or not math.isfinite(ppm) or ppm < 0:
                raise _Invalid(r + "gas_reading_ppm", f"{ppm!r} is not a reading in ppm")
            assert reading_at is not None and wo.arrived_at is not None and wo.completed_at is not None
            _not_before(reading_at, wo.arrived_at, r + "gas_reading_at", "arrived_at")
            _not_after(reading_at, wo.completed_at, r + "gas_reading_at", "completed_at")
        elif ticket_class is TicketClass.EMERGENCY:
            raise _Invalid(r + "gas_reading_ppm", "a class-1 repair needs the gas detector reading (R8.3)")
        plan.filed_by_id = ctx.user(rep.filed_by, r + "filed_by")

    # R10: the callback comes after completion.
    if wo.callback is not None:
        c = p + "callback."
        if status is not WorkOrderStatus.COMPLETED:
            raise _Invalid(p + "callback", "a callback is made only after the work order is completed (R10)")
        cb = wo.callback
        called = _aware(cb.called_at, c + "called_at")
        assert called is not None and wo.completed_at is not None
        _not_before(called, wo.completed_at, c + "called_at", "completed_at")
        _not_after(called, now, c + "called_at", "now")
        plan.callback_status = _enum(FollowUpStatus, cb.status, c + "status")
        if isinstance(cb.attempts, bool) or not isinstance(cb.attempts, int) or cb.attempts < 1:
            raise _Invalid(c + "attempts", "a recorded callback has at least one attempt")
        if plan.callback_status is FollowUpStatus.PENDING:
            raise _Invalid(c + "status", "a recorded callback is done or unreachable; leave it out if pending")
        answers: dict[str, Any] = {}
        if plan.callback_status is FollowUpStatus.DONE:
            if isinstance(cb.score, bool) or not isinstance(cb.score, int) or not 1 <= cb.score <= 5:
                raise _Invalid(c + "score", f"{cb.score!r} is not a score from 1 to 5 (R10.3)")
            for name in ("arrived_on_time", "courteous", "fully_fixed"):
                answers[name] = _enum(Answer, getattr(cb, name), c + name)
            answers["score"] = cb.score
        elif cb.score is not None:
            raise _Invalid(c + "score", "an unreachable customer gave no score")
        answers["suggestions"] = _text(cb.suggestions, c + "suggestions", required=False)
        plan.callback_answers = answers
        plan.callback_agent_id = ctx.user(cb.agent, c + "agent")
    if status is WorkOrderStatus.COMPLETED:
        # R10.3: "not fixed" (in the record, or in the callback) reopens the ticket.
        plan.reopened = plan.repair_result is not RepairResult.FIXED or (
            plan.callback_answers.get("fully_fixed") is Answer.NO
        )
    return plan


def _validate_ticket(
    i: int, rec: HistoricalTicket, *, now: datetime, ctx: _Context,
    inside: Callable[[float, float], bool], table: RuleTable, rules: RuleSettings | None,
    batch_ticket_nos: set[str], batch_busy: dict[int, str],
) -> _TicketPlan:
    if not isinstance(rec, HistoricalTicket):
        raise _Invalid("record", f"expected a HistoricalTicket, got {type(rec).__name__}")
    ticket_no = _text(rec.ticket_no, "ticket_no", limit=32)
    assert ticket_no is not None
    if ticket_no in ctx.existing_ticket_nos or ticket_no in batch_ticket_nos:
        raise _Invalid("ticket_no", f"ticket {ticket_no!r} already exists")
    batch_ticket_nos.add(ticket_no)  # even if this record fails, a second one with its number is a duplicate
    channel = _enum(Channel, rec.channel, "channel")
    received = _aware(rec.received_at, "received_at")
    assert received is not None
    _not_after(received, now, "received_at", "now")
    started = _aware(rec.fault_started_at, "fault_started_at")
    assert started is not None
    _not_after(started, received, "fault_started_at", "received_at")
    if rec.fault_duration_minutes is not None and (
        isinstance(rec.fault_duration_minutes, bool) or not isinstance(rec.fault_duration_minutes, int)
        or rec.fault_duration_minutes < 0
    ):
        raise _Invalid("fault_duration_minutes", "must be a non-negative whole number of minutes")
    symptom = _enum(Symptom, rec.symptom, "symptom")
    answers = {name: _enum(Answer, getattr(rec, name), name)
               for name in ("odour", "abnormal_noise", "people_on_site", "ventilated", "valve_closed")}
    judgement = _enum(Judgement, rec.agent_judgement, "agent_judgement")
    reporter_name = _text(rec.reporter_name, "reporter_name", limit=200)
    reporter_phone = _text(rec.reporter_phone, "reporter_phone", limit=40)
    address = _text(rec.address, "address", limit=500)
    lon, lat = _coordinates(rec.lon, rec.lat, inside)

    customer_id = customer_district = None
    if rec.customer_no is not None:
        if rec.customer_no not in ctx.customers:
            raise _Invalid("customer_no", f"unknown customer {rec.customer_no!r}")
        customer_id, customer_district = ctx.customers[rec.customer_no]
    if rec.district_code is not None:
        if rec.district_code not in ctx.districts:
            raise _Invalid("district_code", f"unknown district {rec.district_code!r}")
        district_id = ctx.districts[rec.district_code]
    else:
        district_id = ctx.locate(lon, lat) or customer_district

    # R6.5: the class is proposed by the rule table; a different class must be explained.
    classification = classify(ClassificationInput(symptom, judgement=judgement, **answers), table)
    proposed = classification.ticket_class
    final = proposed if rec.ticket_class is None else _enum(TicketClass, rec.ticket_class, "ticket_class")
    class_change = None
    if final is not proposed:
        reason = _text(rec.class_change_reason, "class_change_reason", required=False)
        if reason is None:
            raise _Invalid("class_change_reason",
                           f"the ticket is class {int(final)} but the rules propose class {int(proposed)} "
                           f"({', '.join(classification.reason_codes)}); give the reason for the change (R6.5)")
        changed_by = ctx.user(rec.class_changed_by, "class_changed_by")
        roles = ctx.roles.get(changed_by, set()) if changed_by is not None else set()
        try:
            check_class_change(proposed, final, actor_roles=roles, reason=reason)
        except ClassChangeError as exc:
            raise _Invalid("class_changed_by" if exc.field == "ticket_class" else "class_change_reason",
                           str(exc)) from None
        changed_at = _aware(rec.class_changed_at, "class_changed_at", required=False) or received
        _not_before(changed_at, received, "class_changed_at", "received_at")
        _not_after(changed_at, now, "class_changed_at", "now")
        class_change = {"from_class": proposed, "to_class": final, "reason": reason,
                        "actor_id": changed_by, "at": changed_at}
    elif rec.class_change_reason is not None or rec.class_changed_by is not None:
        raise _Invalid("class_change_reason", "the class equals the proposed one; there is no change to explain")

    slot_start = _aware(rec.slot_start, "slot_start", required=False)
    slot_end = _aware(rec.slot_end, "slot_end", required=False)
    if (slot_start is None) != (slot_end is None):
        raise _Invalid("slot_end" if slot_end is None else "slot_start", "a slot needs both a start and an end")
    if final is TicketClass.SCHEDULED and slot_start is None:
        raise _Invalid("slot_start", "a class-3 ticket needs the appointment slot the customer chose (R6.4)")
    if slot_start is not None and slot_end is not None and slot_end <= slot_start:
        raise _Invalid("slot_end", "the appointment slot must end after it starts (R6.4)")
    deadlines = deadlines_for(final, received, slot_start=slot_start, slot_end=slot_end, rules=rules)

    # R6.2: the safety script applies while the ticket is (or was proposed as) class 1.
    safety_codes: tuple[str, ...] = ()
    given_at = _aware(rec.safety_script_given_at, "safety_script_given_at", required=False)
    if given_at is not None:
        script_class = min(proposed, final)
        if script_class is not TicketClass.EMERGENCY:
            raise _Invalid("safety_script_given_at", "the safety script is read for class-1 tickets only (R6.2)")
        _not_before(given_at, received, "safety_script_given_at", "received_at")
        _not_after(given_at, now, "safety_script_given_at", "now")
        safety_codes = tuple(s.code for s in safety_script(symptom, script_class, major_leak=rec.major_leak,
                                                           rules=rules))
    safety_by = ctx.user(rec.safety_script_given_by, "safety_script_given_by")

    # Work orders, in dispatch order; only the last may still be active.
    orders: list[_OrderPlan] = []
    if not isinstance(rec.work_orders, list | tuple):
        raise _Invalid("work_orders", f"must be a list of WorkOrderTimeline, got {type(rec.work_orders).__name__}")
    if not isinstance(rec.complaints, list | tuple):
        raise _Invalid("complaints", f"must be a list of ComplaintIn, got {type(rec.complaints).__name__}")
    for k, wo in enumerate(rec.work_orders):
        plan = _validate_order(k, wo, final, received, now, ctx)
        if orders:
            prev = orders[-1]
            prev_end = prev.source.completed_at or prev.source.cancelled_at
            if prev_end is None:
                raise _Invalid(f"work_orders[{k}]", f"work order {k - 1} is still active; only one may be")
            _not_before(wo.dispatched_at, prev_end, f"work_orders[{k}].dispatched_at",
                        f"the end of work order {k - 1}")
            if prev.status is WorkOrderStatus.COMPLETED and not prev.reopened:
                raise _Invalid(f"work_orders[{k}]", f"work order {k - 1} fixed the fault; a further visit "
                                                    "needs a repair result or callback saying it was not fixed")
        if plan.status.is_active:
            other = ctx.busy_crews.get(plan.crew_id) or batch_busy.get(plan.crew_id)
            if other is not None:
                raise _Invalid(f"work_orders[{k}].crew_code",
                               f"crew {wo.crew_code!r} already has an active work order (ticket {other})")
        orders.append(plan)

    # Status from how far the last work order got (R1.4: open until closed).
    last = orders[-1] if orders else None
    closed_at = None
    if last is None or last.status is WorkOrderStatus.CANCELLED:
        status = TicketStatus.NEW
    elif last.status.is_active:
        status = _TICKET_STATUS_FOR_ORDER[last.status]
    elif last.reopened:
        status = TicketStatus.NEW
    elif last.callback_status is not None:
        status = TicketStatus.CLOSED
        closed_at = last.source.callback.called_at if last.source.callback else None
    else:
        status = TicketStatus.COMPLETED

    complaints = []
    completed_orders = [k for k, o in enumerate(orders) if o.status is WorkOrderStatus.COMPLETED]
    for j, comp in enumerate(rec.complaints):
        c = f"complaints[{j}]."
        if not isinstance(comp, ComplaintIn):
            raise _Invalid(f"complaints[{j}]", f"expected a ComplaintIn, got {type(comp).__name__}")
        at = _aware(comp.received_at, c + "received_at")
        assert at is not None
        _not_before(at, received, c + "received_at", "the ticket's received_at")
        _not_after(at, now, c + "received_at", "now")
        comp_status = _enum(ComplaintStatus, comp.status, c + "status")
        resolved_at = _aware(comp.resolved_at, c + "resolved_at", required=False)
        if comp_status is ComplaintStatus.RESOLVED and resolved_at is None:
            raise _Invalid(c + "resolved_at", "a resolved complaint needs its resolution time")
        if comp_status is not ComplaintStatus.RESOLVED and resolved_at is not None:
            raise _Invalid(c + "resolved_at", f"a complaint still {comp_status.value} has no resolution time")
        if resolved_at is not None:
            _not_before(resolved_at, at, c + "resolved_at", "received_at")
            _not_after(resolved_at, now, c + "resolved_at", "now")
        about = None
        for k in completed_orders:
            done_at = orders[k].source.completed_at
            if done_at is not None and done_at <= at:
                about = k
        complaints.append({
            "received_at": at,
            "channel": _enum(Channel, comp.channel, c + "channel"),
            "description": _text(comp.description, c + "description"),
            "complainant_name": _text(comp.complainant_name, c + "complainant_name", required=False,
                                      limit=200) or reporter_name,
            "complainant_phone": _text(comp.complainant_phone, c + "complainant_phone", required=False,
                                       limit=40) or reporter_phone,
            "handler_id": ctx.user(comp.handler, c + "handler"),
            "status": comp_status,
            "resolved_at": resolved_at,
            "resolution": _text(comp.resolution, c + "resolution", required=False),
            "customer_satisfied": comp.customer_satisfied,
            "order_index": about,
        })

    values = {
        "ticket_no": ticket_no, "channel": channel, "received_at": received, "created_at": received,
        "reporter_name": reporter_name, "reporter_phone": reporter_phone, "customer_id": customer_id,
        "address": address, "door_no": _text(rec.door_no, "door_no", required=False, limit=50),
        "lon": lon, "lat": lat, "district_id": district_id, "symptom": symptom,
        "fault_started_at": started,
        "fault_duration_minutes": rec.fault_duration_minutes,
        "description": _text(rec.description, "description", required=False),
        "agent_judgement": judgement,
        "special_requests": _text(rec.special_requests, "special_requests", required=False),
        "proposed_class": proposed, "ticket_class": final, "rule_version": classification.rule_version,
        "slot_start": slot_start, "slot_end": slot_end,
        "depart_deadline": deadlines.depart_by, "dispatch_deadline": deadlines.dispatch_by,
        "onsite_target": deadlines.onsite_target,
        "onsite_deadline": deadlines.onsite_limit if final is TicketClass.URGENT else deadlines.slot_end,
        "status": status, "created_by_id": ctx.user(rec.created_by, "created_by"), "closed_at": closed_at,
        **answers,
    }
    return _TicketPlan(i, rec, values, orders, class_change, safety_codes, safety_by, complaints)


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
    _check_now(now)
    inside = _inside_check(area)
    ctx = _Context(session, records)
    problems: list[ImportProblem] = []
    plans: list[_TicketPlan] = []
    batch_ticket_nos: set[str] = set()
    batch_busy: dict[int, str] = {}
    for i, rec in enumerate(records):
        try:
            plan = _validate_ticket(i, rec, now=now, ctx=ctx, inside=inside, table=table, rules=rules,
                                    batch_ticket_nos=batch_ticket_nos, batch_busy=batch_busy)
        except _Invalid as exc:
            key = rec.ticket_no if isinstance(getattr(rec, "ticket_no", None), str) else None
            problems.append(ImportProblem(i, key, exc.field, exc.message))
            if len(problems) >= MAX_PROBLEMS:
                break
            continue
        for order in plan.orders:
            if order.status.is_active:
                batch_busy[order.crew_id] = plan.values["ticket_no"]
        plans.append(plan)
    _reject(problems)

    counts = {"tickets": 0, "work_orders": 0, "repair_records": 0, "follow_ups": 0, "callbacks": 0,
              "complaints": 0, "class_changes": 0, "safety_instructions": 0, "open": 0}
    ids: list[int] = []
    with session.begin_nested():
        for part in _chunks(plans, chunk_size):
            ids.extend(_write_chunk(session, actor, part, now=now, rules=rules, source=source, counts=counts))
    return ImportSummary("tickets", len(ids), tuple(ids), counts)


def _write_chunk(
    session: Session, actor: Actor, plans: Sequence[_TicketPlan], *, now: datetime,
    rules: RuleSettings | None, source: str, counts: dict[str, int],
) -> list[int]:
    written: list[tuple[_TicketPlan, Ticket, list[WorkOrder]]] = []
    for plan in plans:
        ticket = Ticket(**plan.values)
        if plan.class_change is not None:
            ticket.class_changes.append(ClassChange(**plan.class_change))
            counts["class_changes"] += 1
        given_at = plan.source.safety_script_given_at
        shown = plan.values["channel"] in (Channel.WEB_APP, Channel.WECHAT)
        for code in plan.safety_codes:
            ticket.safety_instructions.append(SafetyInstruction(
                code=code, given_at=given_at, given_by_id=plan.safety_given_by_id,
                channel=plan.values["channel"], shown_on_screen=shown,
            ))
        counts["safety_instructions"] += len(plan.safety_codes)
        orders = []
        for op in plan.orders:
            wo = op.source
            order = WorkOrder(
                ticket=ticket, crew_id=op.crew_id, status=op.status, auto_dispatched=bool(wo.auto_dispatched),
                pre_alerted_at=wo.pre_alerted_at, dispatched_at=wo.dispatched_at,
                dispatched_by_id=op.dispatched_by_id, acknowledged_at=wo.acknowledged_at,
                departed_at=wo.departed_at, arrived_at=wo.arrived_at, completed_at=wo.completed_at,
                cancelled_at=wo.cancelled_at, cancel_reason=wo.cancel_reason,
                eta_seconds_at_dispatch=wo.eta_seconds_at_dispatch,
            )
            if wo.repair is not None:
                rep = wo.repair
                order.repair_record = RepairRecord(
                    cause=rep.cause.strip(), measures=rep.measures.strip(),
                    parts_replaced=[dict(part) for part in rep.parts_replaced or ()],
                    result=op.repair_result, customer_confirmation=rep.customer_confirmation.strip(),
                    gas_reading_ppm=None if rep.gas_reading_ppm is None else float(rep.gas_reading_ppm),
                    gas_reading_at=rep.gas_reading_at, safety_advice_given=bool(rep.safety_advice_given),
                    gas_restored_after_check=bool(rep.gas_restored_after_check),
                    completed_at=wo.completed_at, filed_by_id=op.filed_by_id,
                )
                counts["repair_records"] += 1
            orders.append(order)
        session.add(ticket)
        written.append((plan, ticket, orders))
    session.flush()

    ids = []
    for plan, ticket, orders in written:
        cls = TicketClass(ticket.ticket_class)
        has_complaint = bool(plan.complaints)
        for op, order in zip(plan.orders, orders, strict=True):
            if op.status is not WorkOrderStatus.COMPLETED:
                continue
            # R10.1/R10.2: every completed work order gets its callback task.
            completed_at = op.source.completed_at
            assert completed_at is not None
            due = callback_due(cls, completed_at, rules)
            cb = op.source.callback
            session.add(FollowUp(
                work_order_id=order.id, ticket_id=ticket.id, due_at=due,
                priority=callback_order_key(cls, due, complaint=has_complaint)[0],
                status=op.callback_status or FollowUpStatus.PENDING, created_at=completed_at,
                attempts=cb.attempts if cb is not None else 0,
                called_at=cb.called_at if cb is not None else None, agent_id=op.callback_agent_id,
                **{k: v for k, v in op.callback_answers.items()},
            ))
            counts["follow_ups"] += 1
            counts["callbacks"] += cb is not None
        for complaint in plan.complaints:
            comp = dict(complaint)
            about = comp.pop("order_index")
            session.add(Complaint(
                customer_id=ticket.customer_id, ticket_id=ticket.id,
                work_order_id=orders[about].id if about is not None else None, **comp,
            ))
            counts["complaints"] += 1
        counts["work_orders"] += len(orders)
        counts["tickets"] += 1
        counts["open"] += TicketStatus(ticket.status).is_open
        _audit_imported(
            session, actor, action="ticket.import", entity="ticket", entity_id=ticket.id,
            after={
                **snapshot(ticket, _TICKET_AUDIT_FIELDS),
                "work_orders": [snapshot(o, _ORDER_AUDIT_FIELDS) for o in orders],
                "class_change": plan.class_change,
                "complaints": len(plan.complaints),
            },
            now=now, source=source,
        )
        ids.append(ticket.id)
    session.flush()
    return ids


_TICKET_AUDIT_FIELDS = (
    "id", "ticket_no", "channel", "received_at", "customer_id", "district_id", "symptom", "odour",
    "agent_judgement", "proposed_class", "ticket_class", "rule_version", "slot_start", "slot_end",
    "depart_deadline", "dispatch_deadline", "onsite_target", "onsite_deadline", "status", "closed_at",
)
_ORDER_AUDIT_FIELDS = (
    "id", "crew_id", "status", "auto_dispatched", "dispatched_at", "acknowledged_at", "departed_at",
    "arrived_at", "completed_at", "cancelled_at",
)
