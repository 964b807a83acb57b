"""Everything the validation of a history batch looks up in the database, fetched once per batch.

Thousands of tickets name a few dozen crews and users; looking each name up per record would make
an import of a few thousand tickets take minutes instead of seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.models import Crew, Customer, District, Ticket, User, UserRole, WorkOrder
from ops.services.bulk_import.fields import known
from ops.services.bulk_import.records import (
    CallbackIn,
    ComplaintIn,
    HistoricalTicket,
    RepairRecordIn,
    WorkOrderTimeline,
)
from ops.services.bulk_import.storage import IN_CHUNK, DistrictLocator, chunks, lookup
from ops.vocabulary import Role, WorkOrderStatus

__all__ = ["HistoryContext"]

T = TypeVar("T")


def _sequence(value: Any, kind: type[T]) -> list[T]:
    """The items of ``value`` that are ``kind`` (lookups only; validation reports the rest)."""
    if not isinstance(value, list | tuple):
        return []
    return [item for item in value if isinstance(item, kind)]


def _usernames(rec: HistoricalTicket) -> set[str]:
    """Every user a record names, wherever in the record it names one."""
    names = [rec.class_changed_by, rec.created_by, rec.safety_script_given_by]
    for wo in _sequence(rec.work_orders, WorkOrderTimeline):
        names.append(wo.dispatched_by)
        if isinstance(wo.repair, RepairRecordIn):
            names.append(wo.repair.filed_by)
        if isinstance(wo.callback, CallbackIn):
            names.append(wo.callback.agent)
    names.extend(complaint.handler for complaint in _sequence(rec.complaints, ComplaintIn))
    return {name for name in names if isinstance(name, str)}


class HistoryContext:
    """The users, roles, crews, customers, districts and existing tickets a batch refers to."""

    def __init__(self, session: Session, records: Sequence[HistoricalTicket]) -> None:
        records = _sequence(records, HistoricalTicket)  # validation reports anything else
        usernames: set[str] = set()
        crew_codes: set[str] = set()
        customer_nos: set[str] = set()
        for rec in records:
            usernames |= _usernames(rec)
            crew_codes.update(wo.crew_code for wo in _sequence(rec.work_orders, WorkOrderTimeline)
                              if isinstance(wo.crew_code, str))
            if isinstance(rec.customer_no, str):
                customer_nos.add(rec.customer_no)
        self.users: dict[str, int] = lookup(session, User.id, User.username, usernames)
        self.roles: dict[int, set[Role]] = {}
        if self.users:
            for user_id, role in session.execute(
                sa.select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(list(self.users.values())))
            ):
                self.roles.setdefault(user_id, set()).add(Role(role))
        self.crews: dict[str, int] = lookup(session, Crew.id, Crew.code, crew_codes)
        self.customers: dict[str, tuple[int, int | None]] = {}
        for part in chunks(sorted(customer_nos), IN_CHUNK):
            for number, cid, did in session.execute(
                sa.select(Customer.customer_no, Customer.id, Customer.district_id)
                .where(Customer.customer_no.in_(part))
            ):
                self.customers[number] = (cid, did)
        self.districts: dict[str, int] = dict(session.execute(sa.select(District.code, District.id)).tuples().all())
        self.existing_ticket_nos: set[str] = set(lookup(
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
        self._locator: DistrictLocator | None = None
        self._session = session

    def user(self, username: str | None, name: str) -> int | None:
        """The id of the user named in field ``name``; ``None`` where the record names nobody."""
        if username is None:
            return None
        return known(self.users, username, name, "user")

    def locate(self, lon: float, lat: float) -> int | None:
        """The district containing the point; the polygons are loaded only if a record needs them."""
        if self._locator is None:
            self._locator = DistrictLocator(self._session)
        return self._locator.locate(lon, lat)
