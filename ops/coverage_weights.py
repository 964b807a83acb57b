"""Who lives at each road node: districts' population spread over their nodes, customers snapped to nodes.

Coverage shares weigh places by the people there. Population is stored per district (the 133
Coquimbo zones); putting a zone's whole population on its centre would make one hexagon hold
thousands of people and its neighbours none, so each district's population is spread evenly over
the road nodes inside it, and a hexagon's population is the sum over its nodes. A district that
contains no node (a sliver, or a zone with no car road) puts its people on the node nearest its
centroid rather than losing them.

Which weight the figures use: population where the geography carries any, else customers (a user's
``.osm.pbf`` area has population 0), else road nodes. The report names it (``weight_kind``).
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ops.models import Customer, District
from ops.services.bulk_import.storage import DistrictLocator
from optimizer.network import RoadNetwork

__all__ = ["NodeDistricts", "WeightKind", "customers_per_node", "node_districts", "node_weights"]


class WeightKind:
    POPULATION = "population"
    CUSTOMERS = "customers"
    NODES = "nodes"


@dataclass(frozen=True)
class NodeDistricts:
    """Per node: the index of its district in ``codes`` (-1: none) and the population spread on it."""

    codes: tuple[str, ...]
    node_district: np.ndarray
    population: np.ndarray


_CACHE: weakref.WeakKeyDictionary[RoadNetwork, tuple[str, NodeDistricts]] = weakref.WeakKeyDictionary()


def node_districts(db: Session, network: RoadNetwork) -> NodeDistricts:
    """The districts table laid over the network's nodes; recomputed only when the districts change.

    The rows are read on every call (they are few) and hashed; the point-in-polygon work over every
    node is kept per network until that hash changes.
    """
    rows = db.execute(sa.select(District.id, District.code, District.population, District.geometry_geojson,
                                District.centroid_lon, District.centroid_lat).order_by(District.code)).all()
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr((row.id, row.code, row.population, row.centroid_lon, row.centroid_lat)).encode())
        digest.update((row.geometry_geojson or "").encode())
    key = digest.hexdigest()
    cached = _CACHE.get(network)
    if cached is not None and cached[0] == key:
        return cached[1]
    locator = DistrictLocator.of_rows((r.id, r.geometry_geojson) for r in rows)
    ids = locator.locate_many(network.lon, network.lat)
    position = {r.id: i for i, r in enumerate(rows)}
    node_district = np.asarray([position.get(int(i), -1) for i in ids.tolist()], dtype=np.int64)
    population = np.zeros(network.n_nodes)
    counts = np.bincount(node_district[node_district >= 0], minlength=len(rows))
    for i, row in enumerate(rows):
        people = float(row.population or 0)
        if people <= 0:
            continue
        if counts[i] > 0:
            population[node_district == i] += people / counts[i]
        else:
            node = int(network.snap(row.centroid_lon, row.centroid_lat)[0][0])
            population[node] += people
    result = NodeDistricts(codes=tuple(r.code for r in rows), node_district=node_district, population=population)
    _CACHE[network] = (key, result)
    return result


def customers_per_node(db: Session, network: RoadNetwork) -> np.ndarray:
    """How many customers (with a known position) have each node as their nearest road node."""
    points = db.execute(sa.select(Customer.lon, Customer.lat)
                        .where(Customer.lon.is_not(None), Customer.lat.is_not(None))).all()
    if not points:
        return np.zeros(network.n_nodes)
    lon, lat = (np.asarray(c, dtype=float) for c in zip(*points, strict=True))
    nodes = network.snap(lon, lat)[0]
    return np.bincount(nodes, minlength=network.n_nodes).astype(float)


def node_weights(population: np.ndarray, customers: np.ndarray) -> tuple[str, np.ndarray]:
    """The weight the headline figures use and its kind: population if any, else customers, else nodes."""
    if population.sum() > 0:
        return WeightKind.POPULATION, population
    if customers.sum() > 0:
        return WeightKind.CUSTOMERS, customers
    return WeightKind.NODES, np.ones(len(population))
