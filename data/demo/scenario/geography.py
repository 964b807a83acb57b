"""Where the demo utility works: the service area's districts and which district holds each node."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from data.demo import texts
from data.service_area import ServiceArea
from ops.services.bulk_import import DistrictIn
from optimizer.network import RoadNetwork

__all__ = ["District", "allocate", "districts", "node_districts", "street"]

#: (code, geometry, population) of a district with a non-empty geometry.
District = tuple[str, Any, int]


def districts(area: ServiceArea) -> tuple[list[DistrictIn], list[District]]:
    """The districts as import records, and their shapes for placing customers and depots."""
    features = sorted(area.districts["features"], key=lambda f: str(f["properties"]["code"]))
    result, geoms = [], []
    for feature in features:
        props = feature["properties"]
        geom = shape(feature["geometry"])
        if geom.is_empty:
            continue
        population = int(props.get("population") or 0)
        result.append(DistrictIn(
            code=str(props["code"]), name=str(props.get("name") or props["code"]),
            geometry=json.dumps(feature["geometry"]), population=population, source=f"demo:{area.name}",
        ))
        geoms.append((str(props["code"]), geom, population))
    return result, geoms


def node_districts(net: RoadNetwork, geoms: list[District]) -> np.ndarray:
    """Index into ``geoms`` of the district holding each node, or -1 (the first by code wins)."""
    owner = np.full(net.n_nodes, -1, dtype=np.int64)
    for i, (_, geom, _) in enumerate(geoms):
        free = owner < 0
        if not free.any():
            break
        inside = shapely.contains_xy(geom, net.lon[free], net.lat[free])
        idx = np.flatnonzero(free)[inside]
        owner[idx] = i
    return owner


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder apportionment: whole counts proportional to ``weights`` summing to ``total``."""
    if weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    quota = total * weights / weights.sum()
    counts = np.floor(quota).astype(np.int64)
    short = total - int(counts.sum())
    order = np.lexsort((np.arange(len(weights)), -(quota - counts)))
    counts[order[:short]] += 1
    return counts


def street(area: ServiceArea, node: int) -> str:
    """The street name at ``node``, or the demo's word for a nameless road."""
    name = area.node_street[node] if node < len(area.node_street) else ""
    return name.strip() or texts.NO_STREET
