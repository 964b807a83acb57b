"""Importing the service area's districts: code, name, population and polygon.

The polygons are what later imports locate customers and tickets in, so a district is refused
unless its geometry is a non-empty (multi)polygon; the centroid is computed, not trusted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from shapely.geometry import shape
from sqlalchemy.orm import Session

from ops.audit import snapshot
from ops.models import District
from ops.permissions import Actor, require
from ops.services.bulk_import.fields import check_now, is_whole, new_key, text
from ops.services.bulk_import.problems import FieldError, validate_each
from ops.services.bulk_import.records import DistrictIn, ImportSummary
from ops.services.bulk_import.storage import audit_imported, lookup

__all__ = ["import_districts"]

_AUDIT_FIELDS = ("id", "code", "name", "population", "centroid_lon", "centroid_lat", "source")


def import_districts(
    session: Session, actor: Actor, districts: Sequence[DistrictIn], *, now: datetime,
    source: str = "import",
) -> ImportSummary:
    """Add the service area's districts (code, name, population, polygon); centroids are computed."""
    require(actor, "districts.import")
    check_now(now)
    existing = lookup(session, District.id, District.code, (d.code for d in districts if isinstance(d.code, str)))
    seen: set[str] = set()

    def check(_: int, item: DistrictIn) -> District:
        code = new_key(item.code, "code", "district", existing, seen)
        name = text(item.name, "name", limit=200)
        if item.population is not None and not is_whole(item.population):
            raise FieldError("population", f"{item.population!r} is not a non-negative whole number")
        try:
            raw = item.geometry if isinstance(item.geometry, str) else json.dumps(item.geometry)
            geom = shape(json.loads(raw))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise FieldError("geometry", f"not a GeoJSON geometry ({exc})") from None
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            raise FieldError("geometry", f"must be a non-empty Polygon or MultiPolygon, got {geom.geom_type}")
        centroid = geom.centroid
        return District(
            code=code, name=name, population=item.population,
            centroid_lon=float(centroid.x), centroid_lat=float(centroid.y),
            geometry_geojson=raw, source=text(item.source, "source", limit=200),
        )

    prepared = validate_each(districts, check, key=lambda item: getattr(item, "code", None))
    with session.begin_nested():
        session.add_all(prepared)
        session.flush()
        for district in prepared:
            audit_imported(session, actor, action="district.import", entity="district",
                           entity_id=district.id, after=snapshot(district, _AUDIT_FIELDS),
                           now=now, source=source)
        session.flush()
    return ImportSummary("districts", len(prepared), tuple(d.id for d in prepared))
