"""Where a report is (R5.1): the customer's premises, a point someone picked, or a typed street.

It runs before saving too, so the hotline form shows the place the ticket will get while the agent
is still on the call; reads only.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.errors import ServiceError
from ops.locator import Locator
from ops.models import Customer
from ops.services.intake.report import ResolvedLocation

__all__ = ["resolve_location", "valid_lon_lat"]


def valid_lon_lat(lon: Any, lat: Any) -> bool:
    """Finite numbers within the globe's bounds (JSON ``true`` is no coordinate); shared with standby."""
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
    2. explicit ``lon``/``lat`` (a map click, the app's GPS): someone pointed at the place;
    3. the street named in the typed address, matched against the road network (approximate:
       a point on that street, no house numbers offline).

    An explicit point is never replaced by a street match: one outside the service area (or not a
    valid longitude and latitude) is refused, whatever the address says, rather than the ticket
    being moved quietly to a street of the same name.

    Raises :class:`ops.errors.ServiceError` on ``customer_number`` for an unknown customer (a typo must not
    silently drop the link to the premises and its emergency contact, R4.2), and on ``location``
    when nothing resolves or the point lies outside the service area.
    """
    customer = None
    if customer_number:
        customer = db.scalar(sa.select(Customer).where(Customer.customer_no == customer_number.strip()))
        if customer is None:
            raise ServiceError("customer.not_found", "customer_number")
    if customer is not None and customer.lon is not None and customer.lat is not None:
        if not locator.inside(customer.lon, customer.lat):
            raise ServiceError("location.premises_outside", "location")
        resolved = ResolvedLocation(customer.lon, customer.lat, approximate=False, source="customer")
    elif lon is not None or lat is not None:
        if not valid_lon_lat(lon, lat):
            raise ServiceError("location.invalid", "location")
        if not locator.inside(float(lon), float(lat)):  # type: ignore[arg-type]
            raise ServiceError("location.outside", "location")
        resolved = ResolvedLocation(float(lon), float(lat), approximate=False,  # type: ignore[arg-type]
                                    source="coordinates")
    else:
        match = locator.match_street(address) if address else None
        if match is None:
            raise ServiceError("location.unknown", "location")
        resolved = ResolvedLocation(match.lon, match.lat, approximate=True, source="street", street=match.street)
    code = locator.district_code(resolved.lon, resolved.lat)
    return ResolvedLocation(resolved.lon, resolved.lat, resolved.approximate, resolved.source, resolved.street,
                            code), customer
