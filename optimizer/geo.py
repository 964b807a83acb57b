"""Distances on the Earth's surface, for code that needs metres without a road network.

Kept free of numpy so that light modules (the R5.6 duplicate hint in ``ops.rules``) can use it
without loading the optimizer's numerical stack. The radius is the one the road network's local
projection uses, so a straight-line and a network distance are measured on the same sphere.
"""

from __future__ import annotations

import math

__all__ = ["EARTH_RADIUS_M", "haversine_m"]

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres; lon/lat order as in GeoJSON and shapely."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
