"""Turn geometries into the small GeoJSON the offline base map draws.

Inline GeoJSON is sent to every browser that opens the map, so it is simplified (a few metres of
tolerance is invisible at street zoom) and its coordinates rounded to ~1 m.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely

SIMPLIFY_DEG = 0.00004  # ≈ 4 m
COORD_GRID_DEG = 0.00001  # ≈ 1 m


def lines_by_class(links: gpd.GeoDataFrame, class_column: str, groups: dict[str, set[str]]) -> dict[str, Any]:
    """One MultiLineString feature per group of road classes (e.g. arterial / local)."""
    features = []
    for group, classes in groups.items():
        part = links[links[class_column].isin(classes)]
        if part.empty:
            continue
        merged = shapely.set_precision(
            shapely.simplify(shapely.union_all(part.geometry.values), SIMPLIFY_DEG), COORD_GRID_DEG
        )
        features.append({"type": "Feature", "properties": {"group": group},
                         "geometry": shapely.geometry.mapping(merged)})
    return {"type": "FeatureCollection", "features": features}


def polygons(frame: gpd.GeoDataFrame, properties: list[str], tolerance: float = 0.0002) -> dict[str, Any]:
    """District polygons with the listed properties, simplified for display."""
    features = []
    for row in frame.itertuples(index=False):
        geom = shapely.set_precision(shapely.simplify(row.geometry, tolerance), COORD_GRID_DEG)
        if geom.is_empty:
            continue
        features.append({
            "type": "Feature",
            "properties": {p: _plain(getattr(row, p)) for p in properties},
            "geometry": shapely.geometry.mapping(geom),
        })
    return {"type": "FeatureCollection", "features": features}


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
