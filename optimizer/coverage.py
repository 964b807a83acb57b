"""Coverage on the road network: how long the nearest crew needs to reach every node, and what-ifs.

The searches run on the forward graph (crew → place, the direction a crew drives) and never build
the crew × node matrix a map does not need: the nearest crew's minutes are one search seeded from
every crew at once (a what-if is the same search without the crews taken off), and MEXCLP's
expected coverage (Daskin 1983) needs only how many crews reach each node, from searches stopped
at the threshold. :func:`crew_times` (the matrix) is for the covering models' candidate places.

Places are road nodes. They are grouped into H3 hexagons for drawing, with ids as **strings** (the
64-bit integer ids exceed 2^53 and are rounded in a browser) and boundaries as GeoJSON [lng, lat]
(h3 returns (lat, lng)). No database here: weights come in as arrays.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import h3
import numpy as np
from scipy.sparse import csgraph

from optimizer.network import RoadNetwork

__all__ = [
    "DEFAULT_LIMIT_MIN",
    "HexIndex",
    "crew_times",
    "expected_from_counts",
    "hex_index",
    "hex_median",
    "hex_sum",
    "nearest_minutes",
    "reach_counts",
    "reverse_times",
    "weighted_quantile",
    "weighted_share",
]

#: Searches stop here: a place no crew reaches in three hours is "not covered", whatever the exact time.
DEFAULT_LIMIT_MIN = 180


def crew_times(network: RoadNetwork, nodes: np.ndarray | list[int], *, hour: int | None = None,
               limit_min: float = DEFAULT_LIMIT_MIN) -> np.ndarray:
    """Minutes from each source node to every node (n_sources × n_nodes), ``inf`` beyond ``limit_min``.

    One multi-source call: scipy runs the searches in C, and the limit prunes each search once it
    passes the largest time anyone asks about, which matters on a big extract.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    if len(nodes) == 0:
        return np.full((0, network.n_nodes), np.inf)
    seconds = csgraph.dijkstra(network.graph_at(hour), directed=True, indices=nodes, limit=float(limit_min) * 60.0)
    return np.atleast_2d(seconds) / 60.0


def nearest_minutes(network: RoadNetwork, nodes: np.ndarray | list[int], *, hour: int | None = None) -> np.ndarray:
    """Minutes from the nearest source to every node (``inf`` if none reaches it), without the matrix.

    One search seeded from every source at once (``min_only``): on Coquimbo with 60 crews about 2 ms
    against 80 ms for the full matrix, so the heatmap and a what-if (the same search without the
    crews taken off) never need :func:`crew_times`.
    """
    nodes = np.unique(np.asarray(nodes, dtype=np.int64))
    if len(nodes) == 0:
        return np.full(network.n_nodes, np.inf)
    return csgraph.dijkstra(network.graph_at(hour), directed=True, indices=nodes, min_only=True) / 60.0


def reach_counts(network: RoadNetwork, nodes: np.ndarray | list[int], minutes: float, *,
                 hour: int | None = None) -> np.ndarray:
    """How many sources reach each node within ``minutes`` (two crews on one node count twice).

    What MEXCLP's expected coverage needs, and all it needs: each search stops at ``minutes``, so a
    15-minute threshold explores a fraction of the graph a full matrix would.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    if len(nodes) == 0:
        return np.zeros(network.n_nodes, dtype=np.int64)
    # The search runs a hair past the threshold; the count compares minutes, as crew_times' callers do.
    seconds = np.atleast_2d(csgraph.dijkstra(network.graph_at(hour), directed=True, indices=nodes,
                                             limit=float(minutes) * 60.0 * (1 + 1e-9)))
    return (seconds / 60.0 <= minutes).sum(axis=0)


def reverse_times(network: RoadNetwork, node: int, *, hour: int | None = None) -> np.ndarray:
    """Minutes from every node to ``node``: one search on the transposed graph ("who can reach this point").

    One-way streets make this differ from the forward search from ``node``.
    """
    return network.one_to_all(int(node), hour=hour, reverse=True) / 60.0


def expected_from_counts(k: np.ndarray, busy: float) -> np.ndarray:
    """Per node, the chance that some free crew reaches it in time: 1 − q^k, ``k`` the crews within reach
    (:func:`reach_counts`) and ``q`` the system-wide busy fraction, each crew busy independently (Daskin
    1983). Batta, Dolan & Krishnamurthy (1989) showed this misstates the hypercube's figure while ranking
    positions alike: it is the quick view, not a prediction."""
    if not 0.0 <= busy < 1.0:
        raise ValueError(f"busy fraction must lie in [0, 1), got {busy}")
    return 1.0 - np.power(busy, k)


def weighted_share(node_minutes: np.ndarray, weights: np.ndarray, minutes: float) -> float:
    """Share of the weight (population, customers or nodes) whose nearest crew is within ``minutes``."""
    total = float(weights.sum())
    if total <= 0:
        return 0.0
    return float(weights[node_minutes <= minutes].sum()) / total


def weighted_quantile(node_minutes: np.ndarray, weights: np.ndarray, q: float = 0.9) -> float:
    """The time within which a share ``q`` of the weight is reached (``inf`` if it never is).

    The smallest time t with weight(minutes ≤ t) ≥ q · total: a lower quantile, so "90% are within
    p90" holds exactly rather than by interpolation.
    """
    positive = weights > 0
    if not positive.any():
        return float("inf")
    m, w = node_minutes[positive], weights[positive]
    order = np.argsort(m, kind="stable")
    cum = np.cumsum(w[order])
    i = int(np.searchsorted(cum, q * cum[-1] * (1 - 1e-12), side="left"))
    return float(m[order][min(i, len(m) - 1)])


# ----------------------------------------------------------------------------- H3 hexagons
@dataclass(frozen=True)
class HexIndex:
    """Nodes grouped into H3 cells of one resolution: ``node_hex[i]`` indexes ``hex_ids``."""

    resolution: int
    hex_ids: tuple[str, ...]
    node_hex: np.ndarray
    #: Nodes per hex, and each hex's closed ring of [lng, lat] pairs (GeoJSON order).
    counts: np.ndarray
    boundaries: tuple[tuple[tuple[float, float], ...], ...]


_HEXES: weakref.WeakKeyDictionary[RoadNetwork, dict[int, HexIndex]] = weakref.WeakKeyDictionary()


def hex_index(network: RoadNetwork, resolution: int) -> HexIndex:
    """The nodes' H3 cells at ``resolution`` (7..10 are useful for a city), cached per network."""
    if not 0 <= resolution <= 15:
        raise ValueError(f"H3 resolution must be 0..15, got {resolution}")
    per_net = _HEXES.setdefault(network, {})
    cached = per_net.get(resolution)
    if cached is not None:
        return cached
    cells = [h3.latlng_to_cell(float(la), float(lo), resolution)
             for lo, la in zip(network.lon.tolist(), network.lat.tolist(), strict=True)]
    hex_ids, node_hex = np.unique(np.asarray(cells, dtype=object).astype(str), return_inverse=True)
    boundaries = []
    for cell in hex_ids.tolist():
        ring = [(round(lng, 6), round(lat, 6)) for lat, lng in h3.cell_to_boundary(cell)]
        ring.append(ring[0])
        boundaries.append(tuple(ring))
    index = HexIndex(resolution=resolution, hex_ids=tuple(hex_ids.tolist()), node_hex=node_hex.astype(np.int64),
                     counts=np.bincount(node_hex, minlength=len(hex_ids)), boundaries=tuple(boundaries))
    per_net[resolution] = index
    return index


def hex_sum(index: HexIndex, node_values: np.ndarray) -> np.ndarray:
    """Sum of a per-node quantity (population, customers) over each hex."""
    return np.bincount(index.node_hex, weights=node_values, minlength=len(index.hex_ids))


def hex_median(index: HexIndex, node_minutes: np.ndarray) -> np.ndarray:
    """Each hex's minutes: the median over its road nodes.

    The median, not the minimum: a hex cut by an arterial has one or two nodes a crew reaches fast
    while the streets behind them take longer, and the minimum would paint the whole hex with the
    arterial's time. Nodes rather than people are the unit here, so a hex's colour does not jump
    when a district's population estimate changes; the headline shares are weighted by people.
    An even count averages the two middle values (``inf`` if either is unreached).
    """
    n_hex = len(index.hex_ids)
    order = np.lexsort((node_minutes, index.node_hex))
    sorted_minutes = node_minutes[order]
    starts = np.zeros(n_hex, dtype=np.int64)
    starts[1:] = np.cumsum(index.counts)[:-1]
    lo = starts + (index.counts - 1) // 2
    hi = starts + index.counts // 2
    with np.errstate(invalid="ignore"):
        return (sorted_minutes[lo] + sorted_minutes[hi]) / 2.0
