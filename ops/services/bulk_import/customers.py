"""Importing customers: supplied premises (R5.1) and their R4.2 emergency contacts.

A customer's district is taken from the file when given, otherwise from the map (the district
polygon that contains the premises), so the districts are imported first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.audit import snapshot
from ops.models import Customer, District
from ops.permissions import Actor, require
from ops.services.bulk_import.fields import (
    check_now,
    coordinates,
    inside_check,
    known,
    new_key,
    text,
)
from ops.services.bulk_import.problems import FieldError, validate_each
from ops.services.bulk_import.records import AreaCheck, CustomerIn, ImportSummary
from ops.services.bulk_import.storage import (
    DEFAULT_CHUNK,
    DistrictLocator,
    audit_imported,
    chunks,
    lookup,
)

__all__ = ["import_customers"]


def import_customers(
    session: Session, actor: Actor, customers: Sequence[CustomerIn], *, area: AreaCheck,
    now: datetime, source: str = "import", chunk_size: int = DEFAULT_CHUNK,
) -> ImportSummary:
    """Add customers (R5.1 addresses, R4.2 emergency contacts); the district comes from the map if not given."""
    require(actor, "customers.import")
    check_now(now)
    inside = inside_check(area)
    numbers = [c.customer_no for c in customers if isinstance(c.customer_no, str)]
    existing = lookup(session, Customer.id, Customer.customer_no, numbers)
    districts = dict(session.execute(sa.select(District.code, District.id)).tuples().all())
    locator = DistrictLocator(session)
    seen: set[str] = set()

    def check(_: int, item: CustomerIn) -> Customer:
        number = new_key(item.customer_no, "customer_no", "customer", existing, seen)
        lon = lat = None
        if item.lon is not None or item.lat is not None:
            lon, lat = coordinates(item.lon, item.lat, inside)
        if item.district_code is not None:
            district_id = known(districts, item.district_code, "district_code", "district")
        else:
            district_id = locator.locate(lon, lat)
        has_contact = bool(item.emergency_contact_name or item.emergency_contact_phone)
        if has_contact and not (item.emergency_contact_name and item.emergency_contact_phone):
            missing = "emergency_contact_phone" if item.emergency_contact_name else "emergency_contact_name"
            raise FieldError(missing, "an emergency contact needs both a name and a phone (R4.2)")
        return Customer(
            customer_no=number,
            name=text(item.name, "name", limit=200),
            phone=text(item.phone, "phone", required=False, limit=40),
            address=text(item.address, "address", limit=500),
            door_no=text(item.door_no, "door_no", required=False, limit=50),
            lon=lon, lat=lat, district_id=district_id,
            emergency_contact_name=text(item.emergency_contact_name, "emergency_contact_name",
                                        required=False, limit=200),
            emergency_contact_phone=text(item.emergency_contact_phone, "emergency_contact_phone",
                                         required=False, limit=40),
            emergency_contact_note=text(item.emergency_contact_note, "emergency_contact_note",
                                        required=False, limit=500),
            lives_alone=bool(item.lives_alone), vulnerable=bool(item.vulnerable),
        )

    prepared = validate_each(customers, check, key=lambda item: getattr(item, "customer_no", None))
    with session.begin_nested():
        for part in chunks(prepared, chunk_size):
            session.add_all(part)
            session.flush()
            for customer in part:
                audit_imported(session, actor, action="customer.import", entity="customer",
                               entity_id=customer.id, after=snapshot(customer), now=now, source=source)
        session.flush()
    return ImportSummary("customers", len(prepared), tuple(c.id for c in prepared))
