"""The crew page's route line: along the road graph, from the crew to the job, never past either and back."""

from __future__ import annotations

import itertools

from dashboard.components.crew_map import route_coordinates
from optimizer.network import grid_network


def _along(net, a: int, b: int, fraction: float) -> tuple[float, float]:
    return (float(net.lon[a] + fraction * (net.lon[b] - net.lon[a])),
            float(net.lat[a] + fraction * (net.lat[b] - net.lat[a])))


def test_crew_and_job_on_one_road_get_no_spike_to_a_junction_beyond_the_job():
    net = grid_network(2, 2, spacing_m=1000)
    crew, job = _along(net, 0, 1, 0.6), _along(net, 0, 1, 0.8)  # both nearest to junction 1, past the job
    lon, lat = route_coordinates(net, crew, job)
    assert (lon[0], lat[0]) == crew and (lon[-1], lat[-1]) == job
    assert lon == sorted(lon), lon  # eastward all the way: no detour out to junction 1 and back
    assert max(lon) == job[0]


def test_route_leaves_the_road_where_it_passes_the_crew_not_at_the_junction_behind_it():
    net = grid_network(2, 2, spacing_m=1000)
    crew, job = _along(net, 0, 1, 0.3), _along(net, 0, 1, 0.7)  # nearest junctions 0 and 1, outside the pair
    lon, _ = route_coordinates(net, crew, job)
    assert lon == sorted(lon), lon
    assert min(lon) == crew[0] and max(lon) == job[0]


def test_route_turns_at_the_junctions_between_crew_and_job():
    net = grid_network(3, 3, spacing_m=500)
    crew, job = _along(net, 0, 1, 0.1), _along(net, 5, 8, 0.9)  # bottom row to the right column, near the top
    lon, lat = route_coordinates(net, crew, job)
    assert (lon[0], lat[0]) == crew and (lon[-1], lat[-1]) == job
    points = list(zip(lon, lat, strict=True))
    steps = list(itertools.pairwise(points))
    # Along the streets, round the corners, never across a block.
    assert all(a[0] == b[0] or a[1] == b[1] for a, b in steps), steps
    assert len(lon) >= 4


def test_no_network_no_route():
    assert route_coordinates(None, (0.0, 0.0), (1.0, 1.0)) == ([], [])


def test_the_standby_map_shows_the_crew_the_place_and_the_drive_there():
    from dashboard.components.crew_map import STANDBY_COLOUR, standby_map_figure

    net = grid_network(3, 3, spacing_m=500)
    crew, place = _along(net, 0, 1, 0.1), _along(net, 5, 8, 0.9)
    fig = standby_map_figure(place, crew, "available", _=lambda s: s.upper(), network=net)
    by_name = {t.name: t for t in fig.data if t.name}
    assert set(by_name) == {"ROUTE", "CREW", "STANDBY POSITION"}  # translated through the given gettext
    target = by_name["STANDBY POSITION"]
    assert (target.lon[0], target.lat[0]) == place and target.marker.color == STANDBY_COLOUR
    route = by_name["ROUTE"]
    assert (route.lon[0], route.lat[0]) == crew and (route.lon[-1], route.lat[-1]) == place
    # Without a known crew position: the place alone, no route.
    alone = standby_map_figure(place, None, "available", _=str, network=net)
    assert [t.name for t in alone.data] == ["Standby position"]
