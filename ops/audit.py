"""Writing the audit log (R13.1) and keeping it append-only.

Every service records its change through ``record`` in the same session, so the change and its audit
event commit or roll back together; a change without its audit line cannot exist. The log is
append-only three times over: this module's ORM guard refuses to flush a change or a deletion of an
``AuditEvent`` (and bulk ORM UPDATE/DELETE on it), and the migration's database triggers refuse
UPDATE and DELETE from any other client.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from ops.models.audit import AUDIT_APPEND_ONLY_MESSAGE, AuditEvent

__all__ = ["AuditLogAppendOnlyError", "jsonable", "record", "snapshot"]

#: Never copied into the audit log, whatever the caller snapshots.
SECRET_FIELDS = frozenset({"password_hash"})


class AuditLogAppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an audit event."""


def jsonable(value: Any, *, _path: str = "") -> Any:
    """``value`` as plain JSON types: timestamps as ISO 8601 UTC, enums as their stored value.

    Raises ``TypeError`` naming the offending key rather than storing an unreadable ``repr``.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"audit value {_path or 'value'} is not a finite number: {value!r}")
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"audit value {_path or 'value'} is a naive datetime: {value.isoformat()}")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, _path=f"{_path}.{k}" if _path else str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [jsonable(v, _path=f"{_path}[{i}]") for i, v in enumerate(items)]
    raise TypeError(f"audit value {_path or 'value'} of type {type(value).__name__} is not JSON-serialisable")


def snapshot(instance: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The column values of a mapped object, ready to pass as ``before=`` or ``after=``.

    Taken before a change, it records what the row was; secrets such as password hashes are left out.
    """
    mapper = sa.inspect(instance).mapper
    keys = list(fields) if fields is not None else [attr.key for attr in mapper.column_attrs]
    return {key: jsonable(getattr(instance, key), _path=key) for key in keys if key not in SECRET_FIELDS}


def record(
    session: Session,
    *,
    actor_id: int | None,
    actor_label: str,
    action: str,
    entity: str,
    entity_id: int | str | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    recommendation: Mapping[str, Any] | None = None,
    imported: bool = False,
    note: str | None = None,
    at: datetime,
) -> AuditEvent:
    """Add one audit event to the caller's session, in the caller's transaction; never commits.

    ``at`` is passed in (services take ``now``) so the simulator and tests control the clock.
    ``recommendation`` is what the system proposed at that moment (R13.1), e.g. the optimizer's top crews.
    """
    if at.tzinfo is None:
        raise ValueError(f"audit 'at' must be timezone-aware, got naive {at.isoformat()}")
    if not actor_label.strip():
        raise ValueError("audit 'actor_label' must name who acted (a person, 'scheduler', 'import', ...)")
    event_ = AuditEvent(
        at=at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=jsonable(before, _path="before"),
        after=jsonable(after, _path="after"),
        recommendation=jsonable(recommendation, _path="recommendation"),
        imported=imported,
        note=note,
    )
    session.add(event_)
    return event_


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _flush_context: UOWTransaction, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise AuditLogAppendOnlyError(f"{AUDIT_APPEND_ONLY_MESSAGE}: refusing to delete audit event {obj.id}")
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj, include_collections=False):
            raise AuditLogAppendOnlyError(f"{AUDIT_APPEND_ONLY_MESSAGE}: refusing to modify audit event {obj.id}")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(m.class_ is AuditEvent for m in state.all_mappers):
        raise AuditLogAppendOnlyError(f"{AUDIT_APPEND_ONLY_MESSAGE}: refusing a bulk UPDATE/DELETE")
