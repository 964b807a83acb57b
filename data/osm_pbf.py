"""A utility's own service area, read from an OpenStreetMap ``.osm.pbf`` extract with pyrosm.

© OpenStreetMap contributors (ODbL).

The result has the same structure as the bundled Coquimbo network (:mod:`data.coquimbo`): a
strongly connected :class:`~optimizer.network.RoadNetwork`, districts with ``code``, ``name`` and
``population``, an arterial/local road layer for the map, and a street name per node.

What pyrosm 0.25 gives, as measured on its bundled ``test.osm.pbf``, and what this loader does with it:

* ``get_network("driving", nodes=True)`` returns one edge row per *segment* of a way (between two
  consecutive way nodes, a 2-point line), in the way's drawing order, **once**: a two-way street is
  not split into one row per direction (no ``(v, u)`` row exists for any ``(u, v)`` row in the test
  extract). ``oneway`` is the raw tag text (``"yes"`` or missing there). So the direction rules live
  here: ``yes``/``true``/``1`` → u→v only; ``-1``/``reverse`` → v→u only; ``reversible`` (lanes
  that change direction by the hour) → left out, because the tag does not say which direction is
  open when, and a crew must never be routed against it (a longer ETA is the safer error);
  anything else (missing, ``no``, ``alternating``…) → both ways. A roundabout
  (``junction=roundabout``/``circular``) or a ``highway=motorway`` is one-way u→v unless tagged
  otherwise, as OSM defines. Each (way, u, v) row is used once, and
  :meth:`RoadNetwork.from_arcs` keeps one arc per ordered node pair, so a two-way segment yields
  exactly two arcs and a one-way segment exactly one.
* The ``length`` column of that reader is not in metres in this build: it matched the planar
  length in degrees (≈0.0058 for a ≈400 m segment). Lengths are therefore computed here from each
  segment's coordinates (haversine).
* ``maxspeed`` is raw tag text: ``"50"``, ``"30 mph"``, ``"RU:urban"``, ``"none"``, ``"50;30"``…
  A number (km/h, or mph/knots converted) is used when there is one (the lowest when several are
  given), otherwise the class default of :func:`~optimizer.network.speed_for`.
* ``get_boundaries()`` finds administrative boundaries only where the extract carries them; the
  bundled test extracts (``test``, ``Helsinki``) have none. When they are missing or do not cover the
  network, the districts are H3 hexagons over the network instead.
* A file that is not a PBF raises ``pyrosm.exceptions.InvalidOSMFileError`` (already in ``OSM()``
  for random bytes); a truncated copy of a real one raises protobuf's ``DecodeError`` only in
  ``get_network``; an extract without drivable ways returns ``(None, None)`` with a warning. All of
  these end here as one :class:`~data.service_area.ServiceAreaError` saying what to do.

OSM carries no reliable population per district, so every district's ``population`` is 0: the
product treats it as unknown, and population-weighted figures for an OSM service area need a census
layer the utility adds itself.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import math
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.geojson import lines_by_class, polygons
from data.service_area import (
    ServiceArea,
    ServiceAreaError,
    cached,
    file_key,
    node_streets_from_links,
)
from optimizer.network import ARTERIAL_CLASSES, EARTH_RADIUS_M, NetworkError, RoadNetwork, speed_for

log = logging.getLogger(__name__)

ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
#: Part of the cache key: bump it whenever this module derives a different area from the same file.
OSM_PBF_FORMAT = 1
SOURCE_HINT = "check GASDISPATCH_NETWORK_SOURCE"

FORWARD_VALUES = frozenset({"yes", "true", "1"})
BACKWARD_VALUES = frozenset({"-1", "reverse"})
CLOSED_VALUES = frozenset({"reversible"})
TWO_WAY_VALUES = frozenset({"no", "false", "0"})
ONE_WAY_JUNCTIONS = frozenset({"roundabout", "circular"})
ONE_WAY_CLASSES = frozenset({"motorway"})

KMH_PER_UNIT = {"": 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852}
_SPEED = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots)?$")

#: The finest H3 resolution tried for districts (res 8 ≈ 0.74 km² a cell, res 7 ≈ 5.2 km²), and the
#: most districts wanted: coarser resolutions are used until the network fits in this many cells.
H3_FINEST_RESOLUTION = 8
MAX_DISTRICTS = 250
#: Share of network nodes a set of administrative boundaries must cover to be used as districts.
MIN_BOUNDARY_COVERAGE = 0.95


# ----------------------------------------------------------------------------- entry points
def load_osm_pbf(path: Path, cache_root: Path) -> ServiceArea:
    """The service area of an ``.osm.pbf`` extract, from the on-disk cache when it is there.

    The cache key hashes the file's content (plus the pyrosm version and this loader's format), so
    replacing the extract with a newer download gets a fresh build and never a stale network.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ServiceAreaError(f"road network file {path} not found: {SOURCE_HINT}")
    try:
        key = file_key(path, _pyrosm_version(), f"osm-pbf {OSM_PBF_FORMAT}")
    except OSError as exc:
        raise ServiceAreaError(f"cannot read the road network file {path} ({exc}): {SOURCE_HINT}") from exc
    return cached(cache_root, f"osm-{area_name(path)}", key, lambda: build_osm_pbf(path))


def build_osm_pbf(path: Path) -> ServiceArea:
    """Read the extract and derive the routing graph, districts, map layers and street names.

    Every failure to read or use the file becomes one :class:`ServiceAreaError` with a hint; the
    caller (:func:`~data.service_area.cached`) only writes a cache after this returned.
    """
    path = Path(path)
    if not path.is_file():
        raise ServiceAreaError(f"road network file {path} not found: {SOURCE_HINT}")
    osm, nodes, edges = _read_network(path)
    if edges is None or nodes is None or edges.empty or nodes.empty:
        raise ServiceAreaError(
            f"{path} holds no drivable roads: use an extract that covers the service area's "
            f"streets, and {SOURCE_HINT}"
        )
    try:
        network = network_from_edges(nodes, edges, source=f"osm:{path.name}")
    except NetworkError as exc:
        raise ServiceAreaError(
            f"{path} holds no usable drivable road network ({exc}): use an extract that covers "
            f"the service area's streets, and {SOURCE_HINT}"
        ) from exc
    if network.n_nodes < 2:
        raise ServiceAreaError(
            f"{path} holds no drivable roads that can be driven both to and back: use an extract "
            f"that covers the service area's streets, and {SOURCE_HINT}"
        )
    log.info("%s: %d nodes and %d arcs in the largest strongly connected part (of %d nodes read)",
             path.name, network.n_nodes, network.n_arcs, len(nodes))
    if network.n_nodes < 0.5 * len(nodes):
        # Usually an extract cut into pieces, or a mistagged one-way cutting a town in two.
        log.warning("%s: only %d of %d road nodes are mutually reachable; check the extract covers "
                    "the whole service area", path.name, network.n_nodes, len(nodes))

    road_class = _text(edges, "highway")
    roads = lines_by_class(
        edges.assign(highway=road_class), "highway",
        {"arterial": set(ARTERIAL_CLASSES), "local": set(road_class.tolist()) - set(ARTERIAL_CLASSES)},
    )
    u = edges["u"].to_numpy(dtype=np.int64)
    v = edges["v"].to_numpy(dtype=np.int64)
    streets = node_streets_from_links(network, u, v, _street_names(edges))
    frame = districts_from_boundaries(_read_boundaries(osm, path), network.lon, network.lat)
    if frame is None:
        # Districts are named after real street names only: a bare road number ("170") is a
        # usable address next to a motorway, but a poor name for an area.
        named = node_streets_from_links(network, u, v, _street_names(edges, with_ref=False))
        frame = h3_districts(network.lon, network.lat, named)
    districts = polygons(frame, ["code", "name", "population"])
    # Through JSON once, so a fresh build holds the same lists (not shapely's tuples) as a cached one.
    districts, roads = json.loads(json.dumps(districts)), json.loads(json.dumps(roads))
    return ServiceArea(area_name(path), network, districts, roads, streets)


def area_name(path: Path) -> str:
    """A short name for the area from the file name: ``chile-latest.osm.pbf`` → ``chile-latest``."""
    name = Path(path).name
    for suffix in (".osm.pbf", ".pbf"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "extract"


# ----------------------------------------------------------------------------- reading
def _read_network(path: Path) -> tuple[Any, Any, Any]:
    """pyrosm reader, nodes and edges; any parse failure is a ServiceAreaError (see module doc)."""
    from pyrosm import OSM

    try:
        with warnings.catch_warnings():
            # pyrosm warns (instead of raising) on an empty result; that case is handled by the caller.
            warnings.simplefilter("ignore", UserWarning)
            osm = OSM(str(path), keep_metadata=False, progress=False)
            result = osm.get_network(network_type="driving", nodes=True)
    except Exception as exc:  # pyrosm, protobuf, zlib and OS errors all mean the same to the user
        reason = str(exc).splitlines()[0] if str(exc) else ""
        if len(reason) > 200:
            reason = reason[:200] + "…"
        raise ServiceAreaError(
            f"{path} is not a readable OpenStreetMap .osm.pbf extract, it may be truncated or not a "
            f"PBF file at all ({type(exc).__name__}: {reason}). Download the extract again (e.g. from "
            f"download.geofabrik.de) and {SOURCE_HINT}"
        ) from exc
    nodes, edges = result if isinstance(result, tuple) else (None, result)
    return osm, nodes, edges


def _read_boundaries(osm: Any, path: Path) -> Any:
    """Administrative boundaries of the extract, or None: districts then fall back to H3.

    A failure here is logged rather than raised, because the road network already read is the
    part the product cannot do without, and hexagon districts are a working substitute.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return osm.get_boundaries()
    except Exception as exc:
        log.warning("%s: administrative boundaries unreadable (%s); using H3 districts", path.name, exc)
        return None


# ----------------------------------------------------------------------------- network
def network_from_edges(nodes: Any, edges: Any, *, source: str = "osm") -> RoadNetwork:
    """Directed arcs from pyrosm's per-segment edges; direction rules as in the module docstring."""
    edges = edges.drop_duplicates(subset=[c for c in ("id", "u", "v") if c in edges.columns])
    u = edges["u"].to_numpy(dtype=np.int64)
    v = edges["v"].to_numpy(dtype=np.int64)
    road_class = _text(edges, "highway")
    forward, backward = arc_directions(_text(edges, "oneway"), _text(edges, "junction"), road_class)
    length = segment_lengths_m(edges.geometry.values)
    speed = np.array([speed_for(c, parse_maxspeed(s)) for c, s in
                      zip(road_class.tolist(), _text(edges, "maxspeed").tolist(), strict=True)])
    arterial = np.isin(road_class, list(ARTERIAL_CLASSES))

    node_ids = nodes["id"].to_numpy(dtype=np.int64)
    lon = nodes["lon"].to_numpy(dtype=float) if "lon" in nodes.columns else nodes.geometry.x.to_numpy()
    lat = nodes["lat"].to_numpy(dtype=float) if "lat" in nodes.columns else nodes.geometry.y.to_numpy()
    placed = np.isfinite(lon) & np.isfinite(lat)
    return RoadNetwork.from_arcs(
        node_ids=node_ids[placed],
        lon=lon[placed],
        lat=lat[placed],
        arc_from=np.concatenate([u[forward], v[backward]]),
        arc_to=np.concatenate([v[forward], u[backward]]),
        length_m=np.concatenate([length[forward], length[backward]]),
        speed_kmh=np.concatenate([speed[forward], speed[backward]]),
        arterial=np.concatenate([arterial[forward], arterial[backward]]),
        source=source,
    )


def arc_directions(
    oneway: np.ndarray, junction: np.ndarray, road_class: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the segments drivable u→v and v→u, from lower-cased ``oneway``/``junction``/``highway``."""
    oneway = np.asarray(oneway, dtype=object)
    backward_only = np.isin(oneway, list(BACKWARD_VALUES))
    closed = np.isin(oneway, list(CLOSED_VALUES))
    implied = np.isin(junction, list(ONE_WAY_JUNCTIONS)) | np.isin(road_class, list(ONE_WAY_CLASSES))
    explicit = np.isin(oneway, list(BACKWARD_VALUES | CLOSED_VALUES | TWO_WAY_VALUES))
    forward_only = np.isin(oneway, list(FORWARD_VALUES)) | (implied & ~explicit)
    # forward_only and backward_only never overlap: an explicit '-1' beats an implied one-way.
    return ~backward_only & ~closed, ~forward_only & ~closed


def parse_maxspeed(value: Any) -> float | None:
    """km/h from an OSM ``maxspeed`` value, or None when it names no number (``"RU:urban"``, ``"none"``).

    Several values (``"50;30"``) give the lowest: an optimistic travel time is the worse error for
    a crew that must arrive within a regulated time.
    """
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) and value > 0 else None
    speeds = []
    for part in re.split(r"[;|]", str(value).strip().lower()):
        match = _SPEED.match(part.strip())
        if match:
            number = float(match.group(1).replace(",", "."))
            if number > 0:
                speeds.append(number * KMH_PER_UNIT[match.group(2) or ""])
    return min(speeds) if speeds else None


def segment_lengths_m(lines: Any) -> np.ndarray:
    """Great-circle length in metres of each lon/lat LineString (pyrosm's own column is not metres)."""
    import shapely

    coords, owner = shapely.get_coordinates(np.asarray(lines), return_index=True)
    same = owner[1:] == owner[:-1]
    lon1, lat1 = np.radians(coords[:-1, 0]), np.radians(coords[:-1, 1])
    lon2, lat2 = np.radians(coords[1:, 0]), np.radians(coords[1:, 1])
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    step = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return np.bincount(owner[1:][same], weights=step[same], minlength=len(lines))


# ----------------------------------------------------------------------------- districts
def districts_from_boundaries(
    boundaries: Any, lon: np.ndarray, lat: np.ndarray, *,
    min_coverage: float = MIN_BOUNDARY_COVERAGE, max_districts: int = MAX_DISTRICTS,
) -> Any:
    """Administrative areas as districts, or None when the extract has none that fit.

    The finest ``admin_level`` is chosen whose areas cover at least ``min_coverage`` of the network
    nodes with between 2 and ``max_districts`` areas: a country or region outline alone says
    nothing about where crews are needed, and a half-mapped neighbourhood level would leave many
    addresses without a district. Only the areas that contain a network node are kept.
    """
    import geopandas as gpd
    import shapely

    if boundaries is None or len(boundaries) == 0 or "admin_level" not in boundaries.columns:
        return None
    frame = boundaries
    if "boundary" in frame.columns:
        frame = frame[frame["boundary"].fillna("").astype(str) == "administrative"]
    geoms = np.array([_polygonal(g) for g in frame.geometry.values], dtype=object)
    frame = frame.assign(
        geometry=gpd.GeoSeries(list(geoms), index=frame.index, crs=boundaries.crs),
        level=pd.to_numeric(frame["admin_level"], errors="coerce"),
    )
    frame = frame[frame.geometry.notna() & frame["level"].notna()]
    if frame.empty:
        return None
    points = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    for level in sorted(frame["level"].unique(), reverse=True):
        part = frame[frame["level"] == level]
        tree = shapely.STRtree(part.geometry.values)
        point_idx, area_idx = tree.query(points, predicate="within")
        used = np.unique(area_idx)
        coverage = len(np.unique(point_idx)) / max(len(points), 1)
        if 2 <= len(used) <= max_districts and coverage >= min_coverage:
            chosen = part.iloc[used]
            codes = _unique([_boundary_code(row, int(level), i) for i, row in
                             enumerate(chosen.itertuples(index=False))])
            names = [n if isinstance(n, str) and n else f"Area {c}" for n, c in
                     zip(chosen["name"] if "name" in chosen.columns else [None] * len(chosen),
                         codes, strict=True)]
            log.info("districts: %d administrative areas of admin_level %d cover %.0f%% of nodes",
                     len(chosen), int(level), 100 * coverage)
            return gpd.GeoDataFrame(
                {"code": codes, "name": names, "population": [0] * len(chosen)},
                geometry=list(chosen.geometry.values), crs="EPSG:4326",
            )
    return None


def h3_districts(lon: np.ndarray, lat: np.ndarray, streets: list[str] | None = None) -> Any:
    """H3 hexagons holding network nodes as districts, named after their most frequent street.

    Resolution 8 is tried first, then coarser ones until at most :data:`MAX_DISTRICTS` cells hold
    the network: about a town's or city's worth of districts, like the Coquimbo zones. The code is
    the H3 cell id, so the same place keeps the same district code when the extract is refreshed.
    """
    import geopandas as gpd
    import h3
    import shapely

    cells = np.array([h3.latlng_to_cell(float(y), float(x), H3_FINEST_RESOLUTION)
                      for x, y in zip(np.asarray(lon).tolist(), np.asarray(lat).tolist(), strict=True)],
                     dtype=object)
    resolution = H3_FINEST_RESOLUTION
    while len(set(cells.tolist())) > MAX_DISTRICTS and resolution > 0:
        resolution -= 1
        parent = {c: h3.cell_to_parent(c, resolution) for c in set(cells.tolist())}
        cells = np.array([parent[c] for c in cells.tolist()], dtype=object)

    table = pd.DataFrame({"cell": cells, "street": streets if streets is not None else [""] * len(cells)})
    named = table[table["street"] != ""]
    top = named.groupby("cell")["street"].agg(lambda s: s.value_counts().index[0]).to_dict()
    order = sorted(set(cells.tolist()), key=lambda c: (-h3.cell_to_latlng(c)[0], h3.cell_to_latlng(c)[1]))
    names = _unique([top.get(c) or f"Area {i + 1}" for i, c in enumerate(order)], sep=" ")
    shapes = [shapely.Polygon([(x, y) for y, x in h3.cell_to_boundary(c)]) for c in order]
    log.info("districts: %d H3 cells of resolution %d", len(order), resolution)
    return gpd.GeoDataFrame(
        {"code": [f"H3-{c}" for c in order], "name": names, "population": [0] * len(order)},
        geometry=shapes, crs="EPSG:4326",
    )


def _polygonal(geom: Any) -> Any:
    """The (Multi)Polygon part of a geometry, repaired; None when it has no area."""
    import shapely

    if geom is None or geom.is_empty:
        return None
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        if not parts:
            return None
        geom = shapely.union_all(parts)
    return None if geom.is_empty or geom.area == 0 else geom


def _boundary_code(row: Any, level: int, index: int) -> str:
    osm_id = getattr(row, "id", None)
    osm_type = getattr(row, "osm_type", None)
    if osm_id is not None and not pd.isna(osm_id):
        prefix = str(osm_type)[:1].upper() if isinstance(osm_type, str) and osm_type else "A"
        return f"{prefix}{int(osm_id)}"
    return f"A{level}-{index + 1:03d}"


def _unique(labels: list[str], sep: str = "-") -> list[str]:
    """Make repeated labels distinct by numbering the repeats (``Main St``, ``Main St 2``…)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}{sep}{seen[label]}")
    return out


# ----------------------------------------------------------------------------- helpers
def _text(frame: Any, column: str) -> np.ndarray:
    """A tag column as stripped lower-case text ('' where missing); an absent column is all ''."""
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    return frame[column].fillna("").astype(str).str.strip().str.lower().to_numpy(dtype=object)


def _street_names(edges: Any, *, with_ref: bool = True) -> list[str | None]:
    """The ``name`` of each segment, else its ``ref`` (motorways are often only numbered)."""
    out: list[str | None] = []
    name = edges["name"].tolist() if "name" in edges.columns else [None] * len(edges)
    ref = edges["ref"].tolist() if with_ref and "ref" in edges.columns else [None] * len(edges)
    for n, r in zip(name, ref, strict=True):
        if isinstance(n, str) and n.strip():
            out.append(n.strip())
        elif isinstance(r, str) and r.strip():
            out.append(r.strip())
        else:
            out.append(None)
    return out


def _pyrosm_version() -> str:
    try:
        return importlib.metadata.version("pyrosm")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
