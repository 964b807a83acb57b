"""Depots, crews and where each crew stands at ``now`` (status and the last few GPS pings)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from data.demo.scenario.config import CREW_TEMPLATES, DEPOT_SITES, SHIFT_HOURS, DemoConfig
from data.demo.scenario.geography import District
from data.demo.scenario.people import mobile_number, person_name
from ops.vocabulary import CrewStatus, ShiftPattern, Skill
from optimizer.network import RoadNetwork

if TYPE_CHECKING:
    from data.demo.scenario.history import Simulator

__all__ = [
    "CrewSpec",
    "CrewState",
    "DepotSpec",
    "Ping",
    "bearing",
    "crew_states",
    "crews",
    "depots",
    "on_shift",
]


@dataclass(frozen=True)
class DepotSpec:
    name: str
    node: int
    lon: float
    lat: float
    district_code: str | None


@dataclass(frozen=True)
class CrewSpec:
    code: str
    name: str
    depot: int
    skills: tuple[Skill, ...]
    shift_pattern: ShiftPattern
    shift_start_hour: int
    shift_end_hour: int
    members: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Ping:
    at: datetime
    lon: float
    lat: float
    speed_kmh: float | None = None
    heading_deg: float | None = None


@dataclass(frozen=True)
class CrewState:
    code: str
    status: CrewStatus
    pings: tuple[Ping, ...]


def bearing(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    y = math.sin(math.radians(lon2 - lon1)) * math.cos(math.radians(lat2))
    x = (math.cos(math.radians(lat1)) * math.sin(math.radians(lat2))
         - math.sin(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.cos(math.radians(lon2 - lon1)))
    return round(math.degrees(math.atan2(y, x)) % 360.0, 1) % 360.0


def on_shift(crew: CrewSpec, local_hour: int) -> bool:
    """Whether a local hour falls inside the crew's shift (a night shift runs past midnight)."""
    start, end = crew.shift_start_hour, crew.shift_end_hour
    if start < end:
        return start <= local_hour < end
    return local_hour >= start or local_hour < end


def depots(net: RoadNetwork, geoms: list[District], owner: np.ndarray) -> list[DepotSpec]:
    """Depot nodes at latitude quantiles, near the middle of the network's width there."""
    result: list[DepotSpec] = []
    used: set[int] = set()
    x, y = net.projection.forward(net.lon, net.lat)
    for name, quantile in DEPOT_SITES:
        lat_q = float(np.quantile(net.lat, quantile))
        band = np.flatnonzero(np.abs(net.lat - lat_q) <= 0.004)
        if len(band) < 5:
            band = np.argsort(np.abs(net.lat - lat_q))[:50]
        lon_mid = float(np.median(net.lon[band]))
        tx, ty = net.projection.forward(np.array([lon_mid]), np.array([lat_q]))
        dist = np.hypot(x - tx[0], y - ty[0])
        for node in np.argsort(dist, kind="stable").tolist():
            if node not in used:
                break
        used.add(node)
        d = int(owner[node])
        result.append(DepotSpec(name, int(node), float(net.lon[node]), float(net.lat[node]),
                                geoms[d][0] if d >= 0 else None))
    return result


def crews(rng: np.random.Generator, depots: list[DepotSpec], config: DemoConfig) -> list[CrewSpec]:
    """``config.crews_per_depot`` crews per depot, from :data:`CREW_TEMPLATES` in turn."""
    result = []
    n = 0
    for d, depot in enumerate(depots):
        area_word = depot.name.split()[-1]
        for position in range(config.crews_per_depot):
            pattern, skills = CREW_TEMPLATES[position % len(CREW_TEMPLATES)]
            start, end = SHIFT_HOURS[pattern]
            n += 1
            size = 2 + int(rng.random() < 0.5)
            members = tuple((person_name(rng), mobile_number(rng)) for _ in range(size))
            result.append(CrewSpec(
                code=f"CR{n:02d}", name=f"Cuadrilla {area_word} {position + 1}", depot=d,
                skills=tuple(sorted(skills)), shift_pattern=pattern, shift_start_hour=start,
                shift_end_hour=end, members=members,
            ))
    return result


def _path_position(net: RoadNetwork, path: np.ndarray, fraction: float) -> tuple[float, float, float | None, float | None]:
    """(lon, lat, speed km/h, heading) at ``fraction`` of the travel time along ``path``."""
    if len(path) < 2:
        node = int(path[0])
        return float(net.lon[node]), float(net.lat[node]), None, None
    graph = net.graph
    times, lengths = [], []
    for u, v in zip(path[:-1].tolist(), path[1:].tolist(), strict=True):
        lo, hi = graph.indptr[u], graph.indptr[u + 1]
        j = lo + int(np.flatnonzero(graph.indices[lo:hi] == v)[0])
        times.append(float(graph.data[j]))
        lengths.append(float(net.arc_length_m[j]))
    cum = np.concatenate([[0.0], np.cumsum(times)])
    target = min(max(fraction, 0.0), 1.0) * cum[-1]
    i = int(min(np.searchsorted(cum, target, side="right") - 1, len(times) - 1))
    within = (target - cum[i]) / times[i] if times[i] > 0 else 0.0
    u, v = int(path[i]), int(path[i + 1])
    lon = float(net.lon[u] + within * (net.lon[v] - net.lon[u]))
    lat = float(net.lat[u] + within * (net.lat[v] - net.lat[u]))
    speed = round(lengths[i] / times[i] * 3.6, 1) if times[i] > 0 else None
    return lon, lat, speed, bearing(float(net.lon[u]), float(net.lat[u]), float(net.lon[v]), float(net.lat[v]))


#: The pings each crew posted before ``now``: the demo's GPS interval, not a rule.
_PING_OFFSETS = (timedelta(minutes=9), timedelta(minutes=6), timedelta(minutes=3), timedelta(0))


def crew_states(sim: Simulator, depots: list[DepotSpec]) -> list[CrewState]:
    """Each crew's status at ``now`` and the pings that put it on the map where its work says it is."""
    now = sim.now
    net = sim.net
    hour = sim.local(now).hour
    states = []
    for c, crew in enumerate(sim.crews):
        depot = depots[crew.depot]
        d = sim.active.get(c)
        pings: list[Ping] = []
        if d is not None and d.active is not None:
            a = d.active
            if a["arrived_at"] is not None and a["arrived_at"] <= now:
                status = CrewStatus.ON_SITE
            elif a["departed_at"] is not None and a["departed_at"] <= now:
                status = CrewStatus.EN_ROUTE
            else:
                status = CrewStatus.DISPATCHED
            path = net.path(depot.node, d.node) if status is not CrewStatus.DISPATCHED else None
            for off in _PING_OFFSETS:
                at = now - off
                if status is CrewStatus.DISPATCHED or a["departed_at"] is None or at < a["departed_at"]:
                    pings.append(Ping(at, depot.lon, depot.lat, 0.0, None))
                    continue
                assert path is not None
                total = (a["arrived_at"] - a["departed_at"]).total_seconds()
                fraction = (at - a["departed_at"]).total_seconds() / total if total > 0 else 1.0
                if fraction >= 1.0:
                    pings.append(Ping(at, float(net.lon[d.node]), float(net.lat[d.node]), 0.0, None))
                else:
                    lon, lat, speed, heading = _path_position(net, path, fraction)
                    pings.append(Ping(at, lon, lat, speed, heading))
        elif on_shift(crew, hour):
            status = CrewStatus.AVAILABLE
            last = sim.last_site[c]
            if last is not None and now - last[0] <= timedelta(minutes=60):
                lon, lat = float(net.lon[last[1]]), float(net.lat[last[1]])
            else:
                lon, lat = depot.lon, depot.lat
            pings = [Ping(now - off, lon, lat, 0.0, None) for off in _PING_OFFSETS]
        else:
            status = CrewStatus.OFF_SHIFT
            local_now = sim.local(now)
            end = sim.at_local(local_now.date(), crew.shift_end_hour % 24)
            if end > now:
                end -= timedelta(days=1)
            pings = [Ping(end, depot.lon, depot.lat, 0.0, None)]
        states.append(CrewState(crew.code, status, tuple(pings)))
    return states
