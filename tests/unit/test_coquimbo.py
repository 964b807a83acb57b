"""The bundled Coquimbo service area, built from the real aequilibrae model."""

from __future__ import annotations

import sqlite3
import zipfile

import numpy as np
import pytest

from data.coquimbo import DATABASE_NAME, coquimbo_zip, load_coquimbo
from data.service_area import ServiceAreaError


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    return load_coquimbo(tmp_path_factory.mktemp("cache"))


def test_largest_strongly_connected_part_of_the_real_network(area):
    net = area.network
    # ARCHITECTURE.md measured 15,492 nodes in the largest strongly connected part.
    assert net.n_nodes == 15_492
    assert 33_000 < net.n_arcs < 34_100
    lon0, lat0, lon1, lat1 = net.bounds
    assert -71.4 < lon0 < lon1 < -71.1 and -30.1 < lat0 < lat1 < -29.8


def test_zones_become_districts_with_population(area):
    features = area.districts["features"]
    assert len(features) == 133
    assert area.population == 451_834
    assert {"code", "name", "population"} <= set(features[0]["properties"])


def test_one_way_links_are_one_way_in_the_graph(area, tmp_path):
    """direction 1 is a→b only: the graph must hold a→b and, unless another road exists, not b→a."""
    with zipfile.ZipFile(coquimbo_zip()) as archive:
        member = next(n for n in archive.namelist() if n.endswith(DATABASE_NAME))
        db = archive.extract(member, tmp_path)
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT a_node, b_node, direction FROM links WHERE instr(modes, 'c') > 0 "
        "AND link_type != 'centroid_connector'"
    ).fetchall()
    con.close()
    pairs = {(a, b) for a, b, d in rows if d >= 0} | {(b, a) for a, b, d in rows if d <= 0}
    index = {int(n): i for i, n in enumerate(area.network.node_ids)}
    checked = 0
    for a, b, direction in rows:
        if direction != 1 or a not in index or b not in index or (b, a) in pairs:
            continue
        assert area.network.graph[index[a], index[b]] > 0
        assert area.network.graph[index[b], index[a]] == 0
        checked += 1
    assert checked > 100


def test_travel_times_are_finite_and_plausible(area):
    rng = np.random.default_rng(1)
    m = area.network.travel_times(rng.integers(0, area.network.n_nodes, 20),
                                  rng.integers(0, area.network.n_nodes, 50))
    assert np.isfinite(m).all()
    # Across an urban area of ~18 × 28 km, no trip should exceed an hour at free flow.
    assert 0 < np.median(m) < 3600 and m.max() < 3600


def test_streets_name_most_nodes(area):
    named = sum(1 for s in area.node_street if s)
    assert named > 0.8 * area.network.n_nodes


def test_second_load_comes_from_the_cache(area):
    again = load_coquimbo(area.cache_path.parent)
    assert again.cache_path == area.cache_path
    assert np.array_equal(again.network.graph.data, area.network.graph.data)


def test_corrupt_model_file_gives_one_clear_error_and_no_cache(tmp_path):
    bad = tmp_path / "coquimbo.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    cache = tmp_path / "cache"
    with pytest.raises(ServiceAreaError, match="not a valid zip archive"):
        load_coquimbo(cache, zip_path=bad)
    assert not cache.exists() or not any(cache.iterdir())


def test_missing_aequilibrae_data_file_says_what_to_do(tmp_path, monkeypatch):
    import data.coquimbo as coquimbo

    monkeypatch.setattr(coquimbo, "ZIP_RELATIVE", coquimbo.ZIP_RELATIVE.with_name("missing.zip"))
    with pytest.raises(ServiceAreaError, match="Reinstall it"):
        coquimbo_zip()
