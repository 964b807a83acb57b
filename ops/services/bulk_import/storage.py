"""Database reads and writes shared by the importers: batched lookups, districts, the audit trail.

A batch holds thousands of records, so lookups are done once per batch in slices (never once per
record) and inserts are flushed a chunk at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry import shape
from sqlalchemy.orm import Session

from ops.audit import record
from ops.models import District
from ops.permissions import Actor

__all__ = ["DEFAULT_CHUNK", "IN_CHUNK", "DistrictLocator", "audit_imported", "chunks", "lookup"]

DEFAULT_CHUNK = 500
#: Keeps ``IN (...)`` lists well under every backend's bound-parameter limit.
IN_CHUNK = 500

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size``, for inserts and ``IN`` lists of bounded size."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def lookup(session: Session, column: Any, key_column: Any, keys: Iterable[str]) -> dict[str, Any]:
    """``{key: value}`` for the keys that exist, queried in slices to respect parameter limits."""
    found: dict[str, Any] = {}
    distinct = sorted(set(keys))
    for part in chunks(distinct, IN_CHUNK):
        for key, value in session.execute(sa.select(key_column, column).where(key_column.in_(part))):
            found[key] = value
    return found


class DistrictLocator:
    """Which stored district contains a point (the first by code when polygons overlap)."""

    def __init__(self, session: Session) -> None:
        self._build(session.execute(
            sa.select(District.id, District.geometry_geojson).order_by(District.code)
        ).all())

    @classmethod
    def of_rows(cls, rows: Iterable[tuple[int, str | None]]) -> DistrictLocator:
        """From (id, GeoJSON text) rows already read, ordered by code (the coverage reader's own query)."""
        locator = cls.__new__(cls)
        locator._build(rows)
        return locator

    def _build(self, rows: Iterable[tuple[int, str | None]]) -> None:
        self._ids: list[int] = []
        geoms = []
        for district_id, geojson in rows:
            if not geojson:
                continue
            try:
                geom = shape(json.loads(geojson))
            except (ValueError, TypeError, AttributeError, KeyError):
                continue
            shapely.prepare(geom)
            self._ids.append(district_id)
            geoms.append(geom)
        self._tree = shapely.STRtree(geoms) if geoms else None

    def locate(self, lon: float | None, lat: float | None) -> int | None:
        """The district's id, or ``None`` for an unknown point or one outside every district."""
        if self._tree is None or lon is None or lat is None:
            return None
        hits = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        return self._ids[int(min(hits))] if len(hits) else None

    def locate_many(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """:meth:`locate` for many points in one tree query: district ids, -1 outside every district."""
        found = np.full(len(lon), -1, dtype=np.int64)
        if self._tree is None or len(lon) == 0:
            return found
        points, hits = self._tree.query(shapely.points(lon, lat), predicate="intersects")
        first = np.full(len(lon), len(self._ids), dtype=np.int64)
        np.minimum.at(first, points, hits)  # the first by code, as in locate()
        inside = first < len(self._ids)
        found[inside] = np.asarray(self._ids, dtype=np.int64)[first[inside]]
        return found


def audit_imported(session: Session, actor: Actor, *, action: str, entity: str, entity_id: int,
                   after: Mapping[str, Any], now: datetime, source: str) -> None:
    """R13.1: an imported row is audited as imported, so it is never taken for one made here."""
    record(session, actor_id=actor.user_id, actor_label=actor.label, action=action, entity=entity,
           entity_id=entity_id, after=after, imported=True, note=source, at=now)
