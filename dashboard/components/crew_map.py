"""The crew page's small map: the crew, its job and the drive between them along the road graph.

Offline like the dispatch map (``white-bg`` style, roads and districts from ``/geo/*.geojson``), so a
van with a patchy connection never waits on a tile server. The route is the shortest path on the
same road network the optimizer plans with, so it is the drive the ETA was computed for.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import plotly.graph_objects as go

from dashboard.components.dispatch_map import CLASS_COLOURS, CREW_COLOURS, base_layers
from optimizer.network import RoadNetwork

Translate = Callable[[str], str]


def route_coordinates(network: RoadNetwork | None, start: tuple[float, float],
                      end: tuple[float, float]) -> tuple[list[float], list[float]]:
    """The drivable path from ``start`` to ``end`` (lon, lat) along the road graph, or nothing without
    a network.

    The graph's nodes are junctions, so the nearest junction to the crew or to the job can lie past
    the other one (two points on one long road snap to the same far junction): joining them to it
    drew a spike out to that junction and back. The path between the snapped junctions is therefore
    entered and left where it passes closest to the crew and to the job (on the same road, that is
    straight from one to the other), as the crew drives it.
    """
    if network is None:
        return [], []
    nodes, _ = network.snap([start[0], end[0]], [start[1], end[1]])
    path = network.path_coordinates(int(nodes[0]), int(nodes[1]))
    inner = _between(path, start, end)
    return [start[0], *(p[0] for p in inner), end[0]], [start[1], *(p[1] for p in inner), end[1]]


def _between(path: list[tuple[float, float]], start: tuple[float, float],
             end: tuple[float, float]) -> list[tuple[float, float]]:
    """The part of the polyline ``path`` from its point nearest ``start`` to its point nearest ``end``
    (searched after the first), so the drawn route never runs past the crew or the job and back."""
    if len(path) < 2:
        return []
    i, a = _nearest_on(path, start, 0, 0.0)
    j, b = _nearest_on(path, end, i, a[2])
    if (i, a[2]) >= (j, b[2]):
        return []
    return [a[:2], *path[i + 1:j + 1], b[:2]]


def _nearest_on(path: list[tuple[float, float]], point: tuple[float, float], first: int,
                t_min: float) -> tuple[int, tuple[float, float, float]]:
    """Segment index and (lon, lat, fraction along it) of the point of ``path`` nearest ``point``,
    from segment ``first`` at fraction ``t_min`` on (distances in a local flat metric)."""
    kx = math.cos(math.radians(point[1]))
    best: tuple[float, int, tuple[float, float, float]] | None = None
    for k in range(first, len(path) - 1):
        (x0, y0), (x1, y1) = path[k], path[k + 1]
        dx, dy = (x1 - x0) * kx, y1 - y0
        span = dx * dx + dy * dy
        t = 0.0 if span == 0 else ((point[0] - x0) * kx * dx + (point[1] - y0) * dy) / span
        t = min(1.0, max(t_min if k == first else 0.0, t))
        x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        d = ((point[0] - x) * kx) ** 2 + (point[1] - y) ** 2
        if best is None or d < best[0]:
            best = (d, k, (x, y, t))
    assert best is not None
    return best[1], best[2]


def fit_zoom(span_lon: float, span_lat: float, lat: float, width_px: int = 340, height_px: int = 220) -> float:
    """The zoom that shows both spans in a phone-wide map (512-pixel tiles, Mercator near ``lat``).

    With a margin so the markers do not sit on the edge, and never closer than street level.
    """
    margin = 1.5
    lon_deg = max(span_lon, 0.002) * margin
    lat_deg = max(span_lat, 0.002) * margin / math.cos(math.radians(lat))
    zoom = min(math.log2(360 * width_px / (512 * lon_deg)), math.log2(360 * height_px / (512 * lat_deg)))
    return max(8.0, min(16.0, zoom))


#: The standby marker's colour: not a ticket class, so none of theirs.
STANDBY_COLOUR = "#0dcaf0"


def crew_map_figure(
    job: tuple[float, float],
    ticket_class: int,
    crew: tuple[float, float] | None,
    crew_status: str,
    *,
    _: Translate,
    network: RoadNetwork | None = None,
    show_route: bool = True,
    tile_url: str = "",
) -> go.Figure:
    """Job marker, crew marker and (while the crew still has to drive) the route, framed to fit."""
    return _figure(job, CLASS_COLOURS.get(ticket_class, "#1f77b4"), _("Job"), crew, crew_status, _=_,
                   network=network, show_route=show_route, tile_url=tile_url)


def standby_map_figure(
    standby: tuple[float, float],
    crew: tuple[float, float] | None,
    crew_status: str,
    *,
    _: Translate,
    network: RoadNetwork | None = None,
    tile_url: str = "",
) -> go.Figure:
    """Where the office asked the crew to wait, the crew and the drive there: the job map without a job."""
    return _figure(standby, STANDBY_COLOUR, _("Standby position"), crew, crew_status, _=_, network=network,
                   show_route=True, tile_url=tile_url)


def _figure(
    target: tuple[float, float],
    colour: str,
    name: str,
    crew: tuple[float, float] | None,
    crew_status: str,
    *,
    _: Translate,
    network: RoadNetwork | None,
    show_route: bool,
    tile_url: str,
) -> go.Figure:
    fig = go.Figure()
    lons, lats = [target[0]], [target[1]]
    if crew is not None and show_route:
        route_lon, route_lat = route_coordinates(network, crew, target)
        fig.add_trace(go.Scattermap(lon=route_lon, lat=route_lat, mode="lines", name=_("Route"),
                                    line={"width": 4, "color": "#6f42c1"}, hoverinfo="skip", showlegend=False))
        lons += route_lon
        lats += route_lat
    if crew is not None:
        fig.add_trace(go.Scattermap(lon=[crew[0]], lat=[crew[1]], mode="markers", marker={"size": 20, "color": "#212529"},
                                    hoverinfo="skip", showlegend=False))  # a dark ring, as on the dispatch map
        fig.add_trace(go.Scattermap(lon=[crew[0]], lat=[crew[1]], mode="markers", name=_("Crew"),
                                    marker={"size": 15, "color": CREW_COLOURS.get(crew_status, "#7f7f7f")},
                                    hovertext=[_("Crew")], hoverinfo="text", showlegend=False))
        lons.append(crew[0])
        lats.append(crew[1])
    fig.add_trace(go.Scattermap(lon=[target[0]], lat=[target[1]], mode="markers", name=name,
                                marker={"size": 17, "color": colour}, hovertext=[name], hoverinfo="text",
                                showlegend=False))
    zoom = fit_zoom(max(lons) - min(lons), max(lats) - min(lats), (max(lats) + min(lats)) / 2)
    fig.update_layout(
        map={"style": "white-bg", "center": {"lon": (max(lons) + min(lons)) / 2, "lat": (max(lats) + min(lats)) / 2},
             "zoom": zoom, "layers": base_layers(tile_url)},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        uirevision="crew-map",
    )
    return fig
