"""Road network and travel times: the one model that dispatch, coverage and simulation share.

The network is a directed graph in CSR form whose arc weights are free-flow driving seconds. Only
the largest strongly connected component is kept: a node outside it is a place a crew can reach but
not leave (or the reverse), and a travel-time matrix with infinities in it would make the solver drop
tickets for reasons nobody on the dispatch floor could see.

Everything here takes and returns plain numpy arrays, so the live dispatcher, the simulator and the
benchmarks call exactly the same code. Loaders (``data/``) produce a :class:`RoadNetwork` from their
source through :meth:`RoadNetwork.from_arcs`.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from optimizer.geo import EARTH_RADIUS_M

CACHE_FORMAT = 3

#: Free-flow speed by OSM road class (km/h) where a link carries no speed of its own.
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 90.0,
    "motorway_link": 60.0,
    "trunk": 70.0,
    "trunk_link": 50.0,
    "primary": 50.0,
    "primary_link": 40.0,
    "secondary": 45.0,
    "secondary_link": 35.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 30.0,
}
FALLBACK_SPEED_KMH = 25.0

#: Road classes whose traffic swings with the hour; local streets keep close to free flow.
ARTERIAL_CLASSES = frozenset(
    {"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
     "secondary", "secondary_link"}
)


class NetworkError(ValueError):
    """A network cannot be built from the given data; the message says what to fix."""


def _default_arterial_factors() -> tuple[float, ...]:
    # Share of free-flow speed on arterials by hour of day: morning and evening peaks, quiet nights.
    return (1.0, 1.0, 1.0, 1.0, 1.0, 0.95, 0.85, 0.65, 0.6, 0.75, 0.85, 0.85,
            0.8, 0.8, 0.85, 0.85, 0.8, 0.65, 0.6, 0.7, 0.85, 0.9, 0.95, 1.0)


def _default_local_factors() -> tuple[float, ...]:
    return (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.95, 0.85, 0.85, 0.9, 0.95, 0.95,
            0.9, 0.9, 0.95, 0.95, 0.9, 0.85, 0.85, 0.9, 0.95, 1.0, 1.0, 1.0)


@dataclass(frozen=True)
class SpeedProfile:
    """Hourly share of free-flow speed, separately for arterials and local streets.

    Congestion does not scale all roads alike: at 8 a.m. the arterials slow down much more than
    residential streets, so the fastest route itself changes with the hour, not only its duration.
    """

    arterial: tuple[float, ...] = field(default_factory=_default_arterial_factors)
    local: tuple[float, ...] = field(default_factory=_default_local_factors)

    def __post_init__(self) -> None:
        for name in ("arterial", "local"):
            values = getattr(self, name)
            if len(values) != 24:
                raise NetworkError(f"speed profile {name!r} needs 24 hourly factors, got {len(values)}")
            if not all(0.05 <= v <= 1.5 for v in values):
                raise NetworkError(f"speed profile {name!r} factors must lie in [0.05, 1.5]")

    @classmethod
    def free_flow(cls) -> SpeedProfile:
        return cls(arterial=(1.0,) * 24, local=(1.0,) * 24)


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection around the service area's centre, in metres.

    Over a city-sized area (tens of km) its distortion is far below GPS error, and it keeps the
    optimizer free of pyproj.
    """

    lon0: float
    lat0: float

    def forward(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = math.radians(1.0) * EARTH_RADIUS_M
        x = (np.asarray(lon, dtype=float) - self.lon0) * k * math.cos(math.radians(self.lat0))
        y = (np.asarray(lat, dtype=float) - self.lat0) * k
        return x, y


@dataclass(eq=False)
class RoadNetwork:
    """A strongly connected directed road graph with free-flow travel times in seconds.

    ``arc_*`` arrays are aligned with the CSR data of :attr:`graph`; node arrays are indexed by the
    compact node index used everywhere in the optimizer. ``node_ids`` keeps the source's own ids.
    """

    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    graph: sparse.csr_matrix
    arc_length_m: np.ndarray
    arc_arterial: np.ndarray
    source: str = ""
    speed_profile: SpeedProfile = field(default_factory=SpeedProfile)
    _tree: cKDTree | None = field(default=None, init=False, repr=False)
    _projection: LocalProjection | None = field(default=None, init=False, repr=False)
    _hourly: dict[int, sparse.csr_matrix] = field(default_factory=dict, init=False, repr=False)

    # ----------------------------------------------------------------------------- construction
    @classmethod
    def from_arcs(
        cls,
        *,
        node_ids: Sequence[int] | np.ndarray,
        lon: Sequence[float] | np.ndarray,
        lat: Sequence[float] | np.ndarray,
        arc_from: Sequence[int] | np.ndarray,
        arc_to: Sequence[int] | np.ndarray,
        length_m: Sequence[float] | np.ndarray,
        speed_kmh: Sequence[float] | np.ndarray,
        arterial: Sequence[bool] | np.ndarray | None = None,
        source: str = "",
        speed_profile: SpeedProfile | None = None,
    ) -> RoadNetwork:
        """Build from directed arcs given as source node ids; keeps the largest SCC.

        Parallel arcs between the same pair keep the fastest. A loader turns each two-way road
        into two arcs before calling this, so direction handling lives in one place per format.
        """
        node_ids = np.asarray(node_ids, dtype=np.int64)
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        arc_from = np.asarray(arc_from, dtype=np.int64)
        arc_to = np.asarray(arc_to, dtype=np.int64)
        length_m = np.asarray(length_m, dtype=float)
        speed_kmh = np.asarray(speed_kmh, dtype=float)
        arterial = (np.zeros(len(arc_from), dtype=bool) if arterial is None
                    else np.asarray(arterial, dtype=bool))
        if not (len(node_ids) == len(lon) == len(lat)):
            raise NetworkError("node_ids, lon and lat must have the same length")
        if not (len(arc_from) == len(arc_to) == len(length_m) == len(speed_kmh) == len(arterial)):
            raise NetworkError("arc arrays must all have the same length")
        if len(node_ids) == 0 or len(arc_from) == 0:
            raise NetworkError("the network has no nodes or no drivable arcs")
        if len(np.unique(node_ids)) != len(node_ids):
            raise NetworkError("node ids must be unique")
        if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
            raise NetworkError("node coordinates must be finite numbers")
        if (length_m < 0).any() or not np.isfinite(length_m).all():
            raise NetworkError("arc lengths must be finite and non-negative")
        if (speed_kmh <= 0).any() or not np.isfinite(speed_kmh).all():
            raise NetworkError("arc speeds must be finite and positive")

        order = np.argsort(node_ids)
        sorted_ids = node_ids[order]
        pos_from = np.searchsorted(sorted_ids, arc_from)
        pos_to = np.searchsorted(sorted_ids, arc_to)
        pos_from = np.clip(pos_from, 0, len(sorted_ids) - 1)
        pos_to = np.clip(pos_to, 0, len(sorted_ids) - 1)
        known = (sorted_ids[pos_from] == arc_from) & (sorted_ids[pos_to] == arc_to)
        if not known.any():
            raise NetworkError("no arc connects two known nodes")
        u = order[pos_from[known]]
        v = order[pos_to[known]]
        length_m, speed_kmh, arterial = length_m[known], speed_kmh[known], arterial[known]
        loops = u == v
        u, v, length_m, speed_kmh, arterial = (a[~loops] for a in (u, v, length_m, speed_kmh, arterial))
        seconds = length_m / (speed_kmh / 3.6)
        # A zero weight is an absent entry in CSR: give very short arcs a floor of 0.1 s.
        seconds = np.maximum(seconds, 0.1)

        n = len(node_ids)
        full = sparse.csr_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
        _, labels = csgraph.connected_components(full, directed=True, connection="strong")
        biggest = np.bincount(labels).argmax()
        keep_nodes = np.flatnonzero(labels == biggest)
        new_index = np.full(n, -1, dtype=np.int64)
        new_index[keep_nodes] = np.arange(len(keep_nodes))
        keep_arcs = (new_index[u] >= 0) & (new_index[v] >= 0)
        u, v = new_index[u[keep_arcs]], new_index[v[keep_arcs]]
        seconds, length_m, arterial = seconds[keep_arcs], length_m[keep_arcs], arterial[keep_arcs]

        # Parallel arcs: keep the fastest. Sort by (u, v, seconds) and take the first of each pair.
        order = np.lexsort((seconds, v, u))
        u, v, seconds, length_m, arterial = (a[order] for a in (u, v, seconds, length_m, arterial))
        first = np.ones(len(u), dtype=bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        u, v, seconds, length_m, arterial = (a[first] for a in (u, v, seconds, length_m, arterial))

        m = len(keep_nodes)
        indptr = np.zeros(m + 1, dtype=np.int64)
        np.add.at(indptr, u + 1, 1)
        indptr = np.cumsum(indptr)
        graph = sparse.csr_matrix((seconds, v.astype(np.int32), indptr), shape=(m, m))
        return cls(
            node_ids=node_ids[keep_nodes],
            lon=lon[keep_nodes],
            lat=lat[keep_nodes],
            graph=graph,
            arc_length_m=length_m,
            arc_arterial=arterial,
            source=source,
            speed_profile=speed_profile or SpeedProfile(),
        )

    # ----------------------------------------------------------------------------- properties
    @property
    def n_nodes(self) -> int:
        return self.graph.shape[0]

    @property
    def n_arcs(self) -> int:
        return self.graph.nnz

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of the drivable network."""
        return (float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max()))

    @property
    def projection(self) -> LocalProjection:
        if self._projection is None:
            self._projection = LocalProjection(float(self.lon.mean()), float(self.lat.mean()))
        return self._projection

    # ----------------------------------------------------------------------------- snapping
    def snap(
        self, lon: float | Sequence[float] | np.ndarray, lat: float | Sequence[float] | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest network node for each point, and the straight-line distance to it in metres.

        The distance is returned so that callers can refuse a point far outside the service area
        instead of silently routing a crew to the nearest edge of the map.
        """
        if self._tree is None:
            self._tree = cKDTree(np.column_stack(self.projection.forward(self.lon, self.lat)))
        x, y = self.projection.forward(np.atleast_1d(lon), np.atleast_1d(lat))
        dist, idx = self._tree.query(np.column_stack([x, y]))
        return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=float)

    # ----------------------------------------------------------------------------- travel times
    def graph_at(self, hour: int | None = None) -> sparse.csr_matrix:
        """The graph with arc times for a given hour of day (None: free flow)."""
        if hour is None:
            return self.graph
        if not 0 <= hour <= 23:
            raise ValueError(f"hour must be 0..23, got {hour}")
        cached = self._hourly.get(hour)
        if cached is None:
            factor = np.where(
                self.arc_arterial, self.speed_profile.arterial[hour], self.speed_profile.local[hour]
            )
            cached = sparse.csr_matrix(
                (self.graph.data / factor, self.graph.indices, self.graph.indptr), shape=self.graph.shape
            )
            self._hourly[hour] = cached
        return cached

    def travel_times(
        self,
        sources: Sequence[int] | np.ndarray,
        targets: Sequence[int] | np.ndarray,
        *,
        hour: int | None = None,
    ) -> np.ndarray:
        """Driving seconds from each source node to each target node (len(sources) × len(targets)).

        Dijkstra runs from whichever side is smaller: forward from the sources, or backward from
        the targets on the transposed graph (which gives the same directed times, read the other way).
        """
        sources = np.asarray(sources, dtype=np.int64)
        targets = np.asarray(targets, dtype=np.int64)
        if len(sources) == 0 or len(targets) == 0:
            return np.zeros((len(sources), len(targets)))
        graph = self.graph_at(hour)
        uniq_s, inv_s = np.unique(sources, return_inverse=True)
        uniq_t, inv_t = np.unique(targets, return_inverse=True)
        if len(uniq_s) <= len(uniq_t):
            dist = csgraph.dijkstra(graph, directed=True, indices=uniq_s)
            return dist[np.ix_(inv_s, uniq_t[inv_t])]
        dist = csgraph.dijkstra(graph.T.tocsr(), directed=True, indices=uniq_t)
        return dist[np.ix_(inv_t, uniq_s[inv_s])].T

    def one_to_all(self, source: int, *, hour: int | None = None, reverse: bool = False) -> np.ndarray:
        """Seconds from ``source`` to every node (or, with ``reverse``, from every node to it)."""
        graph = self.graph_at(hour)
        if reverse:
            graph = graph.T.tocsr()
        return csgraph.dijkstra(graph, directed=True, indices=int(source))

    def path(self, source: int, target: int, *, hour: int | None = None) -> np.ndarray:
        """The fastest drivable node sequence from ``source`` to ``target`` (both included)."""
        _, pred = csgraph.dijkstra(
            self.graph_at(hour), directed=True, indices=int(source), return_predecessors=True
        )
        if source != target and pred[target] < 0:
            raise NetworkError(f"node {target} is unreachable from node {source}")
        nodes = [int(target)]
        while nodes[-1] != source:
            nodes.append(int(pred[nodes[-1]]))
        return np.asarray(nodes[::-1], dtype=np.int64)

    def path_coordinates(self, source: int, target: int, *, hour: int | None = None) -> list[tuple[float, float]]:
        """(lon, lat) vertices of the fastest path, for drawing a crew's route on the map."""
        nodes = self.path(source, target, hour=hour)
        return list(zip(self.lon[nodes].tolist(), self.lat[nodes].tolist(), strict=True))

    # ----------------------------------------------------------------------------- cache
    def save(self, path: Path, *, meta: dict | None = None) -> None:
        """Write atomically: a crash mid-write leaves the old cache (or none), never half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    node_ids=self.node_ids, lon=self.lon, lat=self.lat,
                    data=self.graph.data, indices=self.graph.indices, indptr=self.graph.indptr,
                    arc_length_m=self.arc_length_m, arc_arterial=self.arc_arterial,
                    arterial_factors=np.asarray(self.speed_profile.arterial),
                    local_factors=np.asarray(self.speed_profile.local),
                    meta=np.asarray(json.dumps({"format": CACHE_FORMAT, "source": self.source, **(meta or {})})),
                )
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> tuple[RoadNetwork, dict]:
        """Read a cache written by :meth:`save`; raises NetworkError if it is not one of ours."""
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if meta.get("format") != CACHE_FORMAT:
                    raise NetworkError(f"{path} is an outdated network cache (format {meta.get('format')})")
                n = len(z["node_ids"])
                net = cls(
                    node_ids=z["node_ids"], lon=z["lon"], lat=z["lat"],
                    graph=sparse.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=(n, n)),
                    arc_length_m=z["arc_length_m"], arc_arterial=z["arc_arterial"],
                    source=meta.get("source", ""),
                    speed_profile=SpeedProfile(
                        arterial=tuple(z["arterial_factors"].tolist()),
                        local=tuple(z["local_factors"].tolist()),
                    ),
                )
        except (OSError, KeyError, ValueError) as exc:
            if isinstance(exc, NetworkError):
                raise
            raise NetworkError(f"{path} is not a readable network cache: {exc}") from exc
        return net, meta


def speed_for(road_class: str | None, given_kmh: float | None = None) -> float:
    """The speed to use for a link: its own when it has a sane one, else the class default."""
    if given_kmh is not None and math.isfinite(given_kmh) and 5.0 <= given_kmh <= 130.0:
        return float(given_kmh)
    return DEFAULT_SPEEDS_KMH.get(road_class or "", FALLBACK_SPEED_KMH)


def grid_network(rows: int, cols: int, *, spacing_m: float = 100.0, speed_kmh: float = 36.0,
                 one_way_rows: Sequence[int] = (), lon0: float = -71.25, lat0: float = -29.95) -> RoadNetwork:
    """A small synthetic street grid for tests: two-way streets, optional one-way rows (east-bound).

    At 36 km/h an arc of 100 m takes exactly 10 s, so expected times are easy to reason about.
    """
    k = math.radians(1.0) * EARTH_RADIUS_M
    dlat = spacing_m / k
    dlon = spacing_m / (k * math.cos(math.radians(lat0)))
    ids, lons, lats = [], [], []
    for r in range(rows):
        for c in range(cols):
            ids.append(r * cols + c)
            lons.append(lon0 + c * dlon)
            lats.append(lat0 + r * dlat)
    frm, to = [], []
    one_way = set(one_way_rows)
    for r in range(rows):
        for c in range(cols - 1):
            a, b = r * cols + c, r * cols + c + 1
            frm.append(a)
            to.append(b)
            if r not in one_way:
                frm.append(b)
                to.append(a)
    for r in range(rows - 1):
        for c in range(cols):
            a, b = r * cols + c, (r + 1) * cols + c
            frm += [a, b]
            to += [b, a]
    n_arcs = len(frm)
    return RoadNetwork.from_arcs(
        node_ids=ids, lon=lons, lat=lats, arc_from=frm, arc_to=to,
        length_m=[spacing_m] * n_arcs, speed_kmh=[speed_kmh] * n_arcs, source="grid",
        speed_profile=SpeedProfile.free_flow(),
    )
