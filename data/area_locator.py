"""The service area as an intake :class:`ops.locator.Locator`: inside test, street match, district.

Everything here works offline, from what ``ServiceArea`` already holds: the road network's node
coordinates, a street name per node and the districts' GeoJSON. There is no geocoder and no house
numbers, so a street match is only a point on the right street (the ticket says so: approximate).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import shapely
from shapely.geometry import shape

from data.service_area import ServiceArea
from ops.locator import StreetMatch, normalise_street_text

#: A point further than this from every road node is outside the area: no crew could drive to it.
DEFAULT_MAX_DISTANCE_M = 1000.0

#: Street-type words people leave out ("Francisco de Aguirre" for "Avenida Francisco de Aguirre").
_STREET_TYPES = ("avenida", "calle", "pasaje", "camino", "ruta", "paseo", "diagonal", "costanera")


class AreaLocator:
    """Answers intake's location questions from one loaded :class:`ServiceArea` (build it once)."""

    def __init__(self, area: ServiceArea, *, max_distance_m: float = DEFAULT_MAX_DISTANCE_M) -> None:
        self.area = area
        self.max_distance_m = max_distance_m
        self._streets = self._street_index(area)
        features = [f for f in area.districts.get("features", []) if f.get("geometry")]
        features.sort(key=lambda f: str(f["properties"].get("code")))
        self._district_codes = [str(f["properties"].get("code")) for f in features]
        geoms = [shape(f["geometry"]) for f in features]
        self._district_tree = shapely.STRtree(geoms) if geoms else None

    @staticmethod
    def _street_index(area: ServiceArea) -> dict[str, tuple[str, float, float]]:
        """Normalised key -> (street name, lon, lat of the street's most central node).

        The most central node (closest to the mean of the street's nodes) keeps a long avenue's
        point on the avenue itself, which its centroid, off a curve, might not be.
        """
        nodes: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(area.node_street):
            if name and name.strip():
                nodes[name.strip()].append(i)
        net = area.network
        points: dict[str, tuple[str, float, float]] = {}
        for name in sorted(nodes):
            idx = np.asarray(nodes[name])
            lon, lat = net.lon[idx], net.lat[idx]
            best = int(idx[np.argmin((lon - lon.mean()) ** 2 + (lat - lat.mean()) ** 2)])
            points[name] = (name, float(net.lon[best]), float(net.lat[best]))
        index: dict[str, tuple[str, float, float]] = {}
        for name in sorted(points):  # sorted: the first name to claim a key keeps it, every run
            key = normalise_street_text(name)
            if key:
                index.setdefault(key, points[name])
        for name in sorted(points):
            key = normalise_street_text(name)
            first, _, rest = key.partition(" ")
            if first in _STREET_TYPES and rest:
                index.setdefault(rest, points[name])
        return index

    def inside(self, lon: float, lat: float) -> bool:
        _, dist = self.area.network.snap(lon, lat)
        return bool(dist[0] <= self.max_distance_m)

    def match_street(self, text: str) -> StreetMatch | None:
        """The longest known street name found as whole words in ``text``; ties by name.

        Longest first, so "Avenida Los Carrera" wins over "Los Carrera" and "Carrera"; a full name
        found as written wins over one found without its street type.
        """
        words = normalise_street_text(text)
        if not words:
            return None
        padded = f" {words} "
        best: tuple[int, str, tuple[str, float, float]] | None = None
        for key, hit in self._streets.items():
            if f" {key} " in padded:
                rank = (-len(key), hit[0])
                if best is None or rank < best[:2]:
                    best = (*rank, hit)
        if best is None:
            return None
        name, lon, lat = best[2]
        return StreetMatch(lon=lon, lat=lat, street=name)

    def district_code(self, lon: float, lat: float) -> str | None:
        if self._district_tree is None:
            return None
        hits = self._district_tree.query(shapely.Point(lon, lat), predicate="intersects")
        return self._district_codes[int(min(hits))] if len(hits) else None
