"""The records an import takes in, one dataclass per kind of row, and the summary it gives back.

They are typed as the importer wants them, but they are filled from spreadsheets and scripts, so
the validators check every field again: a wrong type is a refused record with its field named,
never a crash halfway through a batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ops.vocabulary import (
    Answer,
    Channel,
    ComplaintStatus,
    FollowUpStatus,
    Judgement,
    RepairResult,
    Symptom,
    TicketClass,
)

__all__ = [
    "AreaCheck",
    "CallbackIn",
    "ComplaintIn",
    "CustomerIn",
    "DistrictIn",
    "HistoricalTicket",
    "ImportSummary",
    "RepairRecordIn",
    "WorkOrderTimeline",
]

#: The service area a coordinate must fall in: ``(min_lon, min_lat, max_lon, max_lat)`` or a predicate.
AreaCheck = tuple[float, float, float, float] | Callable[[float, float], bool]


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
