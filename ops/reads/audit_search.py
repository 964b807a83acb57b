"""The audit page's read model (R13.1): who did what, when, and what the system recommended.

Read-only by construction: this module only SELECTs, and the log itself refuses UPDATE and DELETE
(``ops.audit`` and the migration's triggers). Every filter value reaches the database as a bound
parameter; the substring and prefix filters escape LIKE's wildcards (``%``, ``_`` and the escape
character) so that whatever a user types matches literally and never widens the search.

Events name what they are about by ``entity`` and ``entity_id`` (the row's id as text). A ticket
filter also finds the events of that ticket's work orders, repair records, follow-up callbacks and
complaints; a crew filter also finds the events of that crew's work orders and their repair records.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ops.errors import ServiceError
from ops.models import AuditEvent, Complaint, Crew, FollowUp, RepairRecord, Ticket, User, WorkOrder

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "AuditDetail",
    "AuditFilter",
    "AuditFilterError",
    "AuditRow",
    "Change",
    "audit_actions",
    "audit_crews",
    "audit_event",
    "change_summary",
    "changes",
    "local_period",
    "search_audit",
    "value_text",
]

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000

#: The longest value each text filter accepts (the widest column it is compared with).
MAX_LENGTHS: Mapping[str, int] = {"person": 200, "ticket_no": 32, "crew_code": 32, "action": 64}

_SUMMARY_MAX = 240
_VALUE_MAX = 60
_EMPTY = "—"


class AuditFilterError(ServiceError):
    """A filter value the search refuses; ``field`` names it and ``code`` says why.

    The codes are ``audit.until_before_since``, ``audit.naive``, ``audit.too_long``, ``audit.limit``
    and ``audit.not_text``/``audit.not_datetime``/``audit.not_date``, so a page can say it in the
    user's language with its own field labels.
    """


@dataclass(frozen=True)
class AuditFilter:
    """What to look for; every field is optional and empty text means "any".

    ``person`` is a case-insensitive substring of the actor label recorded with the event or of the
    acting user's username. ``ticket_no`` and ``crew_code`` are exact (case-insensitive). ``action``
    is exact, or a prefix: ``"auth"`` and ``"auth."`` both match ``auth.login``. The period is
    ``since <= at < until``, both kept in UTC.
    """

    person: str | None = None
    ticket_no: str | None = None
    crew_code: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_imported: bool = True
    limit: int = DEFAULT_LIMIT

    def __post_init__(self) -> None:
        for name, max_len in MAX_LENGTHS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise AuditFilterError("audit.not_text", name, {"type": type(value).__name__})
            value = value.strip()
            if len(value) > max_len:
                raise AuditFilterError("audit.too_long", name, {"max": max_len, "length": len(value)})
            object.__setattr__(self, name, value or None)
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, datetime):
                raise AuditFilterError("audit.not_datetime", name, {"type": type(value).__name__})
            if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
                raise AuditFilterError("audit.naive", name, {"value": value.isoformat()})
            # In UTC: aware datetimes sharing a zone compare by wall clock, which DST makes wrong.
            object.__setattr__(self, name, value.astimezone(UTC))
        if self.since is not None and self.until is not None and self.until < self.since:
            raise AuditFilterError("audit.until_before_since", "until",
                                   {"until": self.until.isoformat(), "since": self.since.isoformat()})
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or not 1 <= self.limit <= MAX_LIMIT:
            raise AuditFilterError("audit.limit", "limit", {"max": MAX_LIMIT, "value": repr(self.limit)})


@dataclass(frozen=True)
class Change:
    """One field of an event that changed: stored values, so the page can show codes in its language.

    ``created`` is an event with no ``before`` (a creation or an import): only ``new`` is meaningful.
    A field that disappeared has ``new`` ``None``.
    """

    field: str
    old: Any
    new: Any
    created: bool = False


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_label: str
    action: str
    entity: str
    entity_id: str | None
    #: What the entity is called on other pages (ticket number, crew code, username), if known.
    reference: str | None
    #: The changed fields; :func:`change_summary` writes them as ``"status: dispatched → acknowledged"``.
    changes: tuple[Change, ...]
    #: Whether the system's recommendation at that moment was recorded with the event (R13.1).
    has_recommendation: bool
    imported: bool
    note: str | None


@dataclass(frozen=True)
class AuditDetail:
    """One event in full, for the page's detail panel."""

    row: AuditRow
    actor_id: int | None
    before: Any
    after: Any
    recommendation: Any


def local_period(start: date | None, end: date | None, timezone: str) -> tuple[datetime | None, datetime | None]:
    """The instants ``since``/``until`` for local calendar days ``start`` to ``end`` (both included).

    A day begins at local midnight in ``timezone``; ``until`` is the midnight after ``end``. On a day
    whose midnight does not exist (a daylight-saving jump at 00:00, as in Chile) the day begins at
    the first instant that does. Raises :class:`AuditFilterError` naming ``until`` when ``end`` is
    before ``start``.
    """
    if start is not None and end is not None and end < start:
        raise AuditFilterError("audit.until_before_since", "until",
                               {"until": end.isoformat(), "since": start.isoformat()})
    zone = ZoneInfo(timezone)
    return (
        _local_midnight(start, zone) if start is not None else None,
        _local_midnight(end + timedelta(days=1), zone) if end is not None else None,
    )


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # fold=0 on a skipped midnight takes the offset before the jump, i.e. the first real instant of the day.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _id_text(column: Any) -> Any:
    """An integer id as the text ``entity_id`` holds (the same on SQLite and PostgreSQL)."""
    return sa.cast(column, sa.String(64))


def _entity_in(entity: str, ids: sa.Select[Any]) -> ColumnElement[bool]:
    return sa.and_(AuditEvent.entity == entity, AuditEvent.entity_id.in_(ids))


def _conditions(flt: AuditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if flt.person:
        usernames = sa.select(User.id).where(User.username.icontains(flt.person, autoescape=True))
        conditions.append(sa.or_(
            AuditEvent.actor_label.icontains(flt.person, autoescape=True),
            AuditEvent.actor_id.in_(usernames),
        ))
    if flt.ticket_no:
        tickets = sa.select(Ticket.id).where(sa.func.lower(Ticket.ticket_no) == flt.ticket_no.lower())
        orders = sa.select(WorkOrder.id).where(WorkOrder.ticket_id.in_(tickets))
        conditions.append(sa.or_(
            _entity_in("ticket", sa.select(_id_text(Ticket.id)).where(Ticket.id.in_(tickets))),
            _entity_in("work_order", sa.select(_id_text(WorkOrder.id)).where(WorkOrder.id.in_(orders))),
            _entity_in("repair_record", sa.select(_id_text(RepairRecord.id))
                       .where(RepairRecord.work_order_id.in_(orders))),
            _entity_in("follow_up", sa.select(_id_text(FollowUp.id)).where(FollowUp.ticket_id.in_(tickets))),
            _entity_in("complaint", sa.select(_id_text(Complaint.id)).where(Complaint.ticket_id.in_(tickets))),
        ))
    if flt.crew_code:
        crews = sa.select(Crew.id).where(sa.func.lower(Crew.code) == flt.crew_code.lower())
        orders = sa.select(WorkOrder.id).where(WorkOrder.crew_id.in_(crews))
        conditions.append(sa.or_(
            _entity_in("crew", sa.select(_id_text(Crew.id)).where(Crew.id.in_(crews))),
            _entity_in("work_order", sa.select(_id_text(WorkOrder.id)).where(WorkOrder.id.in_(orders))),
            _entity_in("repair_record", sa.select(_id_text(RepairRecord.id))
                       .where(RepairRecord.work_order_id.in_(orders))),
        ))
    if flt.action:
        prefix = flt.action if flt.action.endswith(".") else flt.action + "."
        conditions.append(sa.or_(
            AuditEvent.action == flt.action,
            AuditEvent.action.startswith(prefix, autoescape=True),
        ))
    if flt.since is not None:
        conditions.append(AuditEvent.at >= flt.since)
    if flt.until is not None:
        conditions.append(AuditEvent.at < flt.until)
    if not flt.include_imported:
        conditions.append(AuditEvent.imported.is_(False))
    return conditions


_ROW_COLUMNS = (
    AuditEvent.id, AuditEvent.at, AuditEvent.actor_label, AuditEvent.action, AuditEvent.entity,
    AuditEvent.entity_id, AuditEvent.before, AuditEvent.after,
    AuditEvent.recommendation.is_not(None).label("has_recommendation"), AuditEvent.imported, AuditEvent.note,
)


def search_audit(session: Session, flt: AuditFilter) -> tuple[list[AuditRow], int]:
    """Events matching ``flt``, newest first, at most ``flt.limit``; and how many match in all."""
    conditions = _conditions(flt)
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(*conditions)) or 0
    result = session.execute(
        sa.select(*_ROW_COLUMNS).where(*conditions)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(flt.limit)
    ).all()
    references = _references(session, ((r.entity, r.entity_id) for r in result))
    return [_row(r, references) for r in result], int(total)


def audit_event(session: Session, event_id: int) -> AuditDetail | None:
    """One event with its full before/after and recommendation; ``None`` if there is none."""
    event = session.get(AuditEvent, event_id)
    if event is None:
        return None
    references = _references(session, [(event.entity, event.entity_id)])
    row = AuditRow(
        id=event.id, at=event.at, actor_label=event.actor_label, action=event.action, entity=event.entity,
        entity_id=event.entity_id, reference=references.get((event.entity, event.entity_id)),
        changes=changes(event.before, event.after),
        has_recommendation=event.recommendation is not None, imported=bool(event.imported), note=event.note,
    )
    return AuditDetail(row=row, actor_id=event.actor_id, before=event.before, after=event.after,
                       recommendation=event.recommendation)


def audit_actions(session: Session) -> list[str]:
    """Every action the log holds, sorted: the choices of the page's action filter."""
    return list(session.scalars(sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def audit_crews(session: Session) -> list[tuple[str, str]]:
    """``(code, name)`` of every crew, retired ones included: old events still name them."""
    return [(code, name) for code, name in session.execute(sa.select(Crew.code, Crew.name).order_by(Crew.code))]


def _row(r: Any, references: Mapping[tuple[str, str | None], str]) -> AuditRow:
    return AuditRow(
        id=r.id, at=r.at, actor_label=r.actor_label, action=r.action, entity=r.entity, entity_id=r.entity_id,
        reference=references.get((r.entity, r.entity_id)), changes=changes(r.before, r.after),
        has_recommendation=bool(r.has_recommendation), imported=bool(r.imported), note=r.note,
    )


def _references(session: Session, keys: Iterable[tuple[str, str | None]]) -> dict[tuple[str, str | None], str]:
    """What the page can show instead of a bare id: a few batched lookups, one per kind of entity."""
    ids: dict[str, set[int]] = defaultdict(set)
    for entity, entity_id in keys:
        if entity_id is not None and entity_id.isascii() and entity_id.isdigit():
            ids[entity].add(int(entity_id))
    found: dict[tuple[str, str | None], str] = {}

    def put(entity: str, query: sa.Select[Any]) -> None:
        if ids.get(entity):
            for key, text in session.execute(query):
                found[(entity, str(key))] = text

    put("ticket", sa.select(Ticket.id, Ticket.ticket_no).where(Ticket.id.in_(ids["ticket"])))
    put("crew", sa.select(Crew.id, Crew.code).where(Crew.id.in_(ids["crew"])))
    put("user", sa.select(User.id, User.username).where(User.id.in_(ids["user"])))
    if ids.get("work_order"):
        for order_id, ticket_no, crew_code in session.execute(
            sa.select(WorkOrder.id, Ticket.ticket_no, Crew.code)
            .join(Ticket, Ticket.id == WorkOrder.ticket_id).join(Crew, Crew.id == WorkOrder.crew_id)
            .where(WorkOrder.id.in_(ids["work_order"]))
        ):
            found[("work_order", str(order_id))] = f"{ticket_no} / {crew_code}"
    put("repair_record", sa.select(RepairRecord.id, Ticket.ticket_no)
        .join(WorkOrder, WorkOrder.id == RepairRecord.work_order_id).join(Ticket, Ticket.id == WorkOrder.ticket_id)
        .where(RepairRecord.id.in_(ids["repair_record"])))
    put("follow_up", sa.select(FollowUp.id, Ticket.ticket_no).join(Ticket, Ticket.id == FollowUp.ticket_id)
        .where(FollowUp.id.in_(ids["follow_up"])))
    return found


def value_text(value: Any) -> str:
    """A stored value on one line, cut to a readable length; ``—`` for none."""
    if value is None:
        return _EMPTY
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = " ".join(text.split())  # one line, whatever the note or address held
    return text if len(text) <= _VALUE_MAX else text[: _VALUE_MAX - 1] + "…"


def changes(before: Any, after: Any) -> tuple[Change, ...]:
    """The fields of ``after`` that differ from ``before``, then those that disappeared.

    With no ``before`` (a creation or an import) every new value is listed; unchanged fields are left out.
    """
    old = before if isinstance(before, Mapping) else ({} if before is None else {"value": before})
    new = after if isinstance(after, Mapping) else ({} if after is None else {"value": after})
    found: list[Change] = []
    for key in [*new.keys(), *(k for k in old if k not in new)]:
        if before is None:
            found.append(Change(str(key), None, new[key], created=True))
        elif key not in old or key not in new or old[key] != new[key]:
            found.append(Change(str(key), old.get(key), new.get(key)))
    return tuple(found)


def change_summary(items: Iterable[Change], *, show: Callable[[Any], str] = value_text,
                   max_len: int = _SUMMARY_MAX) -> str:
    """The changes on one line: ``"status: dispatched → acknowledged"``, ``"code: CR001"`` for a
    creation, ``"crew: CR001 → —"`` for a field that disappeared; cut at ``max_len``.

    ``show`` writes one value: the page passes one that names stored codes in the reader's language.
    """
    parts = [f"{c.field}: {show(c.new)}" if c.created else f"{c.field}: {show(c.old)} → {show(c.new)}"
             for c in items]
    text = "; ".join(parts)
    return text if len(text) <= max_len else text[: max_len - 1] + "…"
