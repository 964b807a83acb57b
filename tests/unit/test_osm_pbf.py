"""A service area from an .osm.pbf extract, built from the real test extract bundled with pyrosm.

The extract (``pyrosm/data/test.osm.pbf``, 137 kB, a corner of Kouvola, Finland) ships inside the
pyrosm wheel, so these tests need no network. Measured with pyrosm 0.25: 781 driving segments
between 749 nodes; the largest strongly connected part keeps 647 nodes and 1,237 arcs.
"""

from __future__ import annotations

import math
import socket
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import csgraph

from data.osm_pbf import (
    arc_directions,
    build_osm_pbf,
    districts_from_boundaries,
    load_osm_pbf,
    parse_maxspeed,
)
from data.service_area import ServiceAreaError, load_service_area

ONE_WAY_WAY = 41417076  # Hiidenkirnuntie, tertiary, oneway=yes, 8 segments
TWO_WAY_WAY = 62061747  # Lautakatontie, tertiary, no oneway tag, 20 segments


@pytest.fixture(scope="module")
def pbf() -> Path:
    import pyrosm

    return Path(pyrosm.get_data("test_pbf"))


@pytest.fixture(scope="module")
def raw(pbf):
    """pyrosm's own nodes and edges, to check the graph against the source data."""
    from pyrosm import OSM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return OSM(str(pbf)).get_network(network_type="driving", nodes=True)


@pytest.fixture(scope="module")
def area(pbf, tmp_path_factory):
    return load_osm_pbf(pbf, tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def index(area):
    return {int(n): i for i, n in enumerate(area.network.node_ids.tolist())}


def test_bundled_extract_is_a_local_file(monkeypatch):
    """get_data("test_pbf") must not download: any connection attempt fails the test."""
    import pyrosm

    def refuse(*args, **kwargs):
        raise AssertionError("pyrosm tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    path = Path(pyrosm.get_data("test_pbf"))
    assert path.is_file()
    assert path.parent == Path(pyrosm.__file__).parent / "data"


def test_network_is_strongly_connected_and_non_trivial(area):
    net = area.network
    assert 600 <= net.n_nodes <= 749
    assert 1_150 <= net.n_arcs <= 1_350
    n_parts, _ = csgraph.connected_components(net.graph, directed=True, connection="strong")
    assert n_parts == 1
    assert area.name == "test"
    assert area.cache_path is not None and area.cache_path.name.startswith("osm-test-")


def test_coordinates_fall_inside_the_extract_bounding_box(area, pbf):
    from pyrosm.utils import get_bounding_box

    lon0, lat0, lon1, lat1 = get_bounding_box(str(pbf)).bounds
    net = area.network
    assert ((net.lon >= lon0) & (net.lon <= lon1) & (net.lat >= lat0) & (net.lat <= lat1)).all()


def test_a_one_way_street_yields_exactly_one_direction(area, raw, index):
    _, edges = raw
    segments = edges[edges["id"] == ONE_WAY_WAY]
    assert len(segments) == 8 and (segments["oneway"] == "yes").all()
    for u, v in zip(segments["u"], segments["v"], strict=True):
        assert area.network.graph[index[u], index[v]] > 0
        assert area.network.graph[index[v], index[u]] == 0


def test_a_two_way_street_yields_both_directions(area, raw, index):
    _, edges = raw
    segments = edges[edges["id"] == TWO_WAY_WAY]
    assert len(segments) == 20 and segments["oneway"].isna().all()
    for u, v in zip(segments["u"], segments["v"], strict=True):
        assert area.network.graph[index[u], index[v]] > 0
        assert area.network.graph[index[v], index[u]] > 0


def test_graph_holds_exactly_the_allowed_directions(area, raw, index):
    """Every kept segment gives u→v, plus v→u unless it is one-way; no arc is missing or extra."""
    _, edges = raw
    assert set(edges["oneway"].dropna()) == {"yes"}  # what this extract holds
    expected = set()
    for u, v, oneway in zip(edges["u"], edges["v"], edges["oneway"], strict=True):
        if u in index and v in index:
            expected.add((index[u], index[v]))
            if oneway != "yes":
                expected.add((index[v], index[u]))
    coo = area.network.graph.tocoo()
    actual = set(zip(coo.row.tolist(), coo.col.tolist(), strict=True))
    assert actual == expected
    assert len(actual) == area.network.n_arcs  # one arc per direction, never twice


def test_arc_lengths_are_metres_between_the_nodes(area):
    """Segments are straight, so each arc is the great-circle distance between its two nodes."""
    net = area.network
    coo = net.graph.tocoo()
    lat1, lat2 = np.radians(net.lat[coo.row]), np.radians(net.lat[coo.col])
    dlon = np.radians(net.lon[coo.col] - net.lon[coo.row])
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    metres = 2 * 6_371_008.8 * np.arcsin(np.sqrt(h))
    # CSR data order equals the arc arrays' order.
    assert np.allclose(net.arc_length_m, metres, rtol=1e-6, atol=0.01)
    speed_kmh = net.arc_length_m / net.graph.data * 3.6
    long_enough = net.arc_length_m > 5  # very short arcs carry the 0.1 s floor
    assert (speed_kmh[long_enough] >= 10 - 1e-6).all() and (speed_kmh[long_enough] <= 90 + 1e-6).all()


def test_travel_times_are_finite_between_random_nodes(area):
    net = area.network
    rng = np.random.default_rng(7)
    m = net.travel_times(rng.integers(0, net.n_nodes, 25), rng.integers(0, net.n_nodes, 40))
    assert np.isfinite(m).all()
    # The extract is about 2.2 × 2.2 km: no free-flow trip should take ten minutes.
    assert 0 < np.median(m) < 600 and m.max() < 600


def test_districts_are_h3_cells_covering_the_network(area):
    features = area.districts["features"]
    assert 5 <= len(features) <= 30
    props = [f["properties"] for f in features]
    assert all(set(p) == {"code", "name", "population"} for p in props)
    assert all(p["population"] == 0 for p in props) and area.population == 0
    codes = [p["code"] for p in props]
    assert len(set(codes)) == len(codes) and all(c.startswith("H3-") and len(c) <= 32 for c in codes)
    assert all(p["name"] for p in props)
    shapes = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in features])
    inside = shapely.contains_xy(shapely.buffer(shapes, 1e-5), area.network.lon, area.network.lat)
    assert inside.all()


def test_roads_and_street_names(area):
    groups = {f["properties"]["group"] for f in area.roads["features"]}
    assert groups == {"arterial", "local"}
    assert len(area.node_street) == area.network.n_nodes
    assert sum(1 for s in area.node_street if s) > 0.75 * area.network.n_nodes
    assert "Hiidenkirnuntie" in area.node_street


def test_second_load_comes_from_the_cache(area, pbf, monkeypatch):
    """The second load reads the cache and never parses the extract again (the loader is replaced by one
    that fails), and what it reads is what the build wrote."""
    import data.osm_pbf

    def parse_again(_path):
        raise AssertionError("the extract was parsed again instead of read from the cache")

    monkeypatch.setattr(data.osm_pbf, "build_osm_pbf", parse_again)
    again = load_osm_pbf(pbf, area.cache_path.parent)
    assert again.cache_path == area.cache_path
    for name in ("node_ids", "lon", "lat", "arc_length_m", "arc_arterial"):
        assert np.array_equal(getattr(again.network, name), getattr(area.network, name))
    for name in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(again.network.graph, name), getattr(area.network.graph, name))
    assert again.districts == area.districts and again.roads == area.roads
    assert again.node_street == area.node_street


def test_service_area_source_dispatches_to_the_pbf_loader(area, pbf):
    again = load_service_area(str(pbf), area.cache_path.parent)
    assert again.cache_path == area.cache_path


# ----------------------------------------------------------------------------- bad input
def assert_no_cache(cache: Path) -> None:
    assert not cache.exists() or not any(cache.iterdir()), list(cache.iterdir())


def test_missing_file_says_to_check_the_setting(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(ServiceAreaError, match="not found: check GASDISPATCH_NETWORK_SOURCE"):
        load_osm_pbf(tmp_path / "nowhere.osm.pbf", cache)
    with pytest.raises(ServiceAreaError, match="not found: check GASDISPATCH_NETWORK_SOURCE"):
        load_osm_pbf(tmp_path, cache)  # a directory is not an extract either
    assert_no_cache(cache)


@pytest.mark.parametrize("kind", ["random", "truncated", "empty"])
def test_invalid_pbf_gives_one_clear_error_and_no_cache(tmp_path, pbf, kind):
    data = pbf.read_bytes()
    content = {
        "random": np.random.default_rng(3).bytes(20_000),
        "truncated": data[: len(data) // 2],
        "empty": b"",
    }[kind]
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(content)
    cache = tmp_path / "cache"
    with pytest.raises(ServiceAreaError, match="not a readable OpenStreetMap") as info:
        load_osm_pbf(bad, cache)
    message = str(info.value)
    assert "Download the extract again" in message and "GASDISPATCH_NETWORK_SOURCE" in message
    assert "\n" not in message
    assert_no_cache(cache)


def test_extract_without_drivable_roads(tmp_path, pbf):
    """Only the footpaths of the test extract: a valid PBF that pyrosm reads as no driving network."""
    from pyrosm import OSM

    osm = OSM(str(pbf))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        walking = osm.get_network(network_type="walking")
        paths = walking[walking["highway"].isin(["footway", "path", "steps", "cycleway", "track"])]
        assert len(paths) > 10
        footpaths = tmp_path / "footpaths.osm.pbf"
        osm.write_pbf(paths, str(footpaths), subset_only=True)
    cache = tmp_path / "cache"
    with pytest.raises(ServiceAreaError, match=r"holds no drivable roads.*GASDISPATCH_NETWORK_SOURCE"):
        load_osm_pbf(footpaths, cache)
    assert_no_cache(cache)
    with pytest.raises(ServiceAreaError, match="holds no drivable roads"):
        build_osm_pbf(footpaths)


# ----------------------------------------------------------------------------- tag rules
@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0), ("50 km/h", 50.0), ("30 mph", 30 * 1.609344), ("30mph", 30 * 1.609344),
        ("10 knots", 18.52), ("50;30", 30.0), ("60.5", 60.5), (" 40 ", 40.0),
        ("RU:urban", None), ("none", None), ("signals", None), ("walk", None), ("", None),
        (None, None), (float("nan"), None), (80, 80.0),
    ],
)
def test_parse_maxspeed(value, kmh):
    got = parse_maxspeed(value)
    assert got == kmh if kmh is None else math.isclose(got, kmh)


def test_direction_rules():
    oneway = np.array(["yes", "true", "1", "-1", "reverse", "reversible", "no", "", "alternating",
                       "", "no", "-1", ""], dtype=object)
    junction = np.array([""] * 9 + ["roundabout", "roundabout", "", ""], dtype=object)
    road = np.array(["residential"] * 12 + ["motorway"], dtype=object)
    forward, backward = arc_directions(oneway, junction, road)
    assert forward.tolist() == [1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1]
    assert backward.tolist() == [0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0]


# ----------------------------------------------------------------------------- boundary districts
def _square(x0: float, y0: float, size: float) -> shapely.Polygon:
    return shapely.box(x0, y0, x0 + size, y0 + size)


def test_boundaries_pick_the_finest_level_that_covers_the_network():
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(0.1, 1.9, 200), rng.uniform(0.1, 0.9, 200)
    boundaries = gpd.GeoDataFrame(
        {
            "id": [1, 2, 3, 4],
            "osm_type": ["relation"] * 4,
            "name": ["Country", "West", "East", "Park"],
            "boundary": ["administrative"] * 3 + ["national_park"],
            "admin_level": ["2", "8", "8", None],
        },
        geometry=[_square(-1, -1, 5), _square(0, 0, 1), _square(1, 0, 1), _square(0, 0, 2)],
        crs="EPSG:4326",
    )
    frame = districts_from_boundaries(boundaries, lon, lat)
    assert frame is not None
    assert frame["code"].tolist() == ["R2", "R3"]
    assert frame["name"].tolist() == ["West", "East"]
    assert frame["population"].tolist() == [0, 0]


def test_boundaries_that_miss_most_of_the_network_are_not_used():
    lon, lat = np.linspace(0.05, 9.95, 100), np.full(100, 0.5)
    boundaries = gpd.GeoDataFrame(
        {"name": ["A", "B"], "boundary": ["administrative"] * 2, "admin_level": ["9", "9"]},
        geometry=[_square(0, 0, 1), _square(1, 0, 1)], crs="EPSG:4326",
    )
    assert districts_from_boundaries(boundaries, lon, lat) is None
    assert districts_from_boundaries(None, lon, lat) is None
