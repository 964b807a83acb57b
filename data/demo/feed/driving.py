"""A simulated drive along the real road network: where the crew is at any moment of the trip.

A :class:`Trip` is the fastest path (``RoadNetwork.path``) at the hour it starts, with each arc's
time at that hour's speeds, so the crew moves exactly as fast as the optimizer expected and its
pings lie on the streets it drives. Positions between two nodes are interpolated linearly along
the arc, the way a GPS on a straight street segment reports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from data.demo.scenario import bearing
from optimizer.network import RoadNetwork

__all__ = ["Position", "Trip"]


@dataclass(frozen=True)
class Position:
    lon: float
    lat: float
    speed_kmh: float
    heading_deg: float | None


@dataclass
class Trip:
    """One drive from ``nodes[0]`` to ``nodes[-1]`` that left at ``start``."""

    net: RoadNetwork
    nodes: np.ndarray
    cum_s: np.ndarray  #: seconds from the start to each node
    arc_m: np.ndarray  #: length of each arc of the path
    start: datetime
    #: The last time a position of this trip was posted (the departure ping, at first).
    last_ping: datetime

    @classmethod
    def plan(cls, net: RoadNetwork, source: int, target: int, start: datetime, hour: int) -> Trip:
        nodes = net.path(source, target, hour=hour)
        graph = net.graph_at(hour)
        times, lengths = [], []
        for u, v in zip(nodes[:-1].tolist(), nodes[1:].tolist(), strict=True):
            lo, hi = graph.indptr[u], graph.indptr[u + 1]
            j = lo + int(np.flatnonzero(graph.indices[lo:hi] == v)[0])
            times.append(float(graph.data[j]))
            lengths.append(float(net.arc_length_m[j]))
        cum = np.concatenate([[0.0], np.cumsum(times)])
        return cls(net, nodes, cum, np.asarray(lengths), start, start)

    @property
    def duration(self) -> timedelta:
        return timedelta(seconds=round(float(self.cum_s[-1])))

    @property
    def end(self) -> datetime:
        return self.start + self.duration

    def position(self, at: datetime) -> Position:
        """Where the crew is at ``at`` (clamped to the trip), with its speed and heading."""
        net, nodes = self.net, self.nodes
        elapsed = min(max((at - self.start).total_seconds(), 0.0), float(self.cum_s[-1]))
        if len(nodes) < 2 or elapsed >= self.cum_s[-1]:
            last = int(nodes[-1])
            return Position(float(net.lon[last]), float(net.lat[last]), 0.0, None)
        i = int(min(np.searchsorted(self.cum_s, elapsed, side="right") - 1, len(nodes) - 2))
        span = float(self.cum_s[i + 1] - self.cum_s[i])
        within = (elapsed - float(self.cum_s[i])) / span if span > 0 else 0.0
        u, v = int(nodes[i]), int(nodes[i + 1])
        lon = float(net.lon[u] + within * (net.lon[v] - net.lon[u]))
        lat = float(net.lat[u] + within * (net.lat[v] - net.lat[u]))
        speed = round(float(self.arc_m[i]) / span * 3.6, 1) if span > 0 else 0.0
        return Position(lon, lat, speed, bearing(float(net.lon[u]), float(net.lat[u]),
                                                 float(net.lon[v]), float(net.lat[v])))

    def ping_times(self, until: datetime, every: timedelta, limit: int) -> list[datetime]:
        """The pings due after :attr:`last_ping` up to ``until`` (the arrival ping is added by the caller)."""
        until = min(until, self.end)
        times = []
        at = self.last_ping + every
        while at < until:
            times.append(at)
            at += every
        return times[-limit:]
