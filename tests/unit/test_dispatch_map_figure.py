"""Figure builders of the dispatch map: offline base layers, fixed trace order, safe hover text."""

from __future__ import annotations

from datetime import UTC, datetime

from dashboard.components.dispatch_map import (
    TIME_LEFT_BANDS,
    TRACE_INDEX,
    map_figure,
    marker_data,
    time_left_colour,
    time_left_text,
)
from ops.reads.open_queue import CrewRow, TicketRow

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def identity(message: str) -> str:
    return message


def ticket(no: str, cls: int, seconds_left: float | None, address: str = "Av. Francisco de Aguirre 120") -> TicketRow:
    return TicketRow(
        id=1, ticket_no=no, ticket_class=cls, status="new", symptom="gas_leak", address=address,
        district="Z001", lon=-71.25, lat=-29.9, received_at=NOW, crew_code=None,
        deadline_label="depart_by" if seconds_left is not None else None,
        deadline_at=NOW if seconds_left is not None else None, seconds_left=seconds_left,
    )


CREW = CrewRow(id=1, code="C01", name="Cuadrilla Norte 1", status="available", lon=-71.24, lat=-29.91,
               position_at=NOW, ticket_no=None)


def test_map_style_never_needs_the_internet():
    fig = map_figure((-71.3, -30.0, -71.2, -29.8), [], [], _=identity, timezone="America/Santiago")
    assert fig.layout.map.style == "white-bg"
    sources = [layer.source for layer in fig.layout.map.layers]
    assert "/geo/roads.geojson" in sources and "/geo/districts.geojson" in sources
    assert all(not str(s).startswith("http") for s in sources)


def test_tile_url_adds_a_raster_layer_below_the_markers():
    fig = map_figure((-71.3, -30.0, -71.2, -29.8), [], [], _=identity, timezone="UTC",
                     tile_url="http://tiles.local/{z}/{x}/{y}.png")
    raster = fig.layout.map.layers[0]
    assert raster.sourcetype == "raster" and raster.below == "traces"


def test_tickets_go_to_their_class_trace_and_crews_last():
    tickets = [ticket("T1", 1, 600), ticket("T2", 2, 3600), ticket("T3", 2, -60)]
    fig = map_figure((-71.3, -30.0, -71.2, -29.8), tickets, [CREW], _=identity, timezone="UTC")
    assert len(fig.data) == len(TRACE_INDEX)
    assert list(fig.data[TRACE_INDEX["class1"]].customdata) == ["T1"]
    assert list(fig.data[TRACE_INDEX["class2"]].customdata) == ["T2", "T3"]
    assert len(fig.data[TRACE_INDEX["class3"]].lat) == 0
    assert list(fig.data[TRACE_INDEX["crew"]].customdata) == ["C01"]
    assert fig.layout.uirevision  # refreshes keep the user's pan and zoom


def test_ring_colour_follows_the_time_left_to_the_next_deadline():
    overdue, half_hour, two_hours = (colour for _limit, colour, _label in TIME_LEFT_BANDS)
    assert time_left_colour(-1) == overdue
    assert time_left_colour(0) == half_hour and time_left_colour(29 * 60) == half_hour
    assert time_left_colour(30 * 60) == two_hours and time_left_colour(2 * 3600 - 1) == two_hours
    assert time_left_colour(2 * 3600) is None and time_left_colour(None) is None


def test_only_tickets_near_or_past_a_deadline_get_a_ring_in_its_colour():
    tickets = [ticket("T1", 1, 600), ticket("T2", 2, 5 * 3600), ticket("T3", 3, -60), ticket("T4", 2, None)]
    ring = marker_data(tickets, [], _=identity, timezone="UTC")["data"][TRACE_INDEX["time_left"]]
    assert len(ring["lon"]) == 2
    assert ring["marker"]["color"] == [time_left_colour(600), time_left_colour(-60)]


def test_hover_shows_time_left_and_escapes_what_people_typed():
    evil = "<script>alert(1)</script> Calle 5"
    data = marker_data([ticket("T9", 1, -125, address=evil)], [], _=identity, timezone="UTC")
    hover = data["data"][TRACE_INDEX["class1"]]["hovertext"][0]
    assert "<script>" not in hover and "&lt;script&gt;" in hover
    assert "overdue by 0:02" in hover


def test_time_left_text():
    assert time_left_text(None, identity) == "no deadline pending"
    assert time_left_text(3 * 3600 + 5 * 60, identity) == "3:05 left"
    assert time_left_text(-90, identity) == "overdue by 0:01"


def test_crews_en_route_get_their_drivable_route_drawn():
    from optimizer.network import grid_network

    net = grid_network(3, 3)
    moving = CrewRow(id=2, code="C02", name="Sur", status="en_route", lon=float(net.lon[0]),
                     lat=float(net.lat[0]), position_at=NOW, ticket_no="T1",
                     target_lon=float(net.lon[8]), target_lat=float(net.lat[8]))
    data = marker_data([], [CREW, moving], _=identity, timezone="UTC", network=net)
    route = data["data"][TRACE_INDEX["routes"]]
    # Corner to corner on a 3 × 3 grid is 4 blocks: 5 vertices, then the separator.
    assert len(route["lon"]) == 6 and route["lon"][-1] is None
    assert route["lon"][0] == net.lon[0] and route["lat"][4] == net.lat[8]
