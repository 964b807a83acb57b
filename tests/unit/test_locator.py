"""data.area_locator.AreaLocator: the offline street match, the service-area test and districts (R5.1)."""

from __future__ import annotations

import pytest

from data.area_locator import AreaLocator
from data.service_area import ServiceArea
from ops.locator import Locator, normalise_street_text
from optimizer.network import grid_network

#: One street per row of a 4 × 4 grid (100 m apart), as OpenStreetMap names them in Coquimbo.
ROW_STREETS = ["Avenida Francisco de Aguirre", "Calle Balmaceda", "Pasaje Las Peñas", "Los Carrera"]


def area(streets: list[str] | None = None, districts: dict | None = None) -> ServiceArea:
    net = grid_network(4, 4)
    names = streets or [ROW_STREETS[i // 4] for i in range(net.n_nodes)]
    return ServiceArea("grid", net, districts or {"type": "FeatureCollection", "features": []},
                       {"type": "FeatureCollection", "features": []}, names)


def row_lat(locator: AreaLocator, row: int) -> float:
    return float(locator.area.network.lat[row * 4])


@pytest.fixture(scope="module")
def locator() -> AreaLocator:
    return AreaLocator(area())


def test_area_locator_is_an_ops_locator(locator):
    assert isinstance(locator, Locator)


@pytest.mark.parametrize(("typed", "street"), [
    ("Avenida Francisco de Aguirre 1234", "Avenida Francisco de Aguirre"),
    ("AVENIDA   FRANCISCO DE AGUIRRE", "Avenida Francisco de Aguirre"),
    ("av. francisco de aguirre 55, depto 3", "Avenida Francisco de Aguirre"),
    ("Avda Francisco de Aguirre", "Avenida Francisco de Aguirre"),
    ("Av. Fco. de Aguirre 250", "Avenida Francisco de Aguirre"),
    ("Francisco de Aguirre 900", "Avenida Francisco de Aguirre"),  # street type left out
    ("pasaje las penas 12", "Pasaje Las Peñas"),                   # accent left out
    ("Pje. Las Peñas", "Pasaje Las Peñas"),
    ("calle balmaceda 455", "Calle Balmaceda"),
    ("Los Carrera 1010, Coquimbo", "Los Carrera"),
])
def test_r5_1_street_match_ignores_case_accents_spacing_and_abbreviations(locator, typed, street):
    match = locator.match_street(typed)
    assert match is not None and match.street == street
    row = ROW_STREETS.index(street)
    assert match.lat == pytest.approx(row_lat(locator, row))


@pytest.mark.parametrize("typed", ["", "   ", "Calle Inexistente 12", "Aguirre", "balmacedas 4"])
def test_r5_1_no_match_for_unknown_or_partial_words(locator, typed):
    assert locator.match_street(typed) is None


def test_r5_1_longest_street_name_wins_over_a_shorter_one_inside_it():
    names = ["Los Carrera"] * 8 + ["Avenida Los Carrera"] * 8
    loc = AreaLocator(area(names))
    assert loc.match_street("Avenida Los Carrera 200").street == "Avenida Los Carrera"
    assert loc.match_street("Los Carrera 200").street == "Los Carrera"


def test_r5_1_ties_are_broken_by_name_deterministically():
    names = ["Calle Prat"] * 8 + ["Calle Colo Colo"] * 8
    loc = AreaLocator(area(names))
    # Both named in one text: the longer name wins ...
    assert loc.match_street("esquina Calle Prat con Calle Colo Colo").street == "Calle Colo Colo"
    # ... and between names of equal length, the first by name, on every call.
    names = ["Calle Sol"] * 8 + ["Calle Mar"] * 8
    loc = AreaLocator(area(names))
    for _ in range(3):
        assert loc.match_street("Calle Sol con Calle Mar").street == "Calle Mar"


def test_r5_1_street_point_is_a_node_of_that_street(locator):
    match = locator.match_street("Calle Balmaceda")
    net = locator.area.network
    nodes = {(float(net.lon[i]), float(net.lat[i])) for i in range(4, 8)}
    assert (match.lon, match.lat) in nodes


def test_r5_1_inside_the_service_area_near_roads_only(locator):
    net = locator.area.network
    assert locator.inside(float(net.lon[5]), float(net.lat[5]))
    assert locator.inside(float(net.lon[0]) - 0.003, float(net.lat[0]))       # ~300 m off the grid
    assert not locator.inside(float(net.lon[0]) - 0.05, float(net.lat[0]))    # ~5 km off
    assert not locator.inside(-70.65, -33.45)                                   # Santiago


def test_district_code_from_the_area_polygons():
    net = grid_network(4, 4)
    lon0, lat0, lon1, lat1 = net.bounds
    mid = (lon0 + lon1) / 2
    square = lambda a, b: {"type": "Polygon", "coordinates": [[[a, lat0 - 0.01], [b, lat0 - 0.01],  # noqa: E731
                                                                 [b, lat1 + 0.01], [a, lat1 + 0.01],
                                                                 [a, lat0 - 0.01]]]}
    districts = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "Z002"}, "geometry": square(mid, lon1 + 0.01)},
        {"type": "Feature", "properties": {"code": "Z001"}, "geometry": square(lon0 - 0.01, mid)},
    ]}
    loc = AreaLocator(area(districts=districts))
    assert loc.district_code(lon0, lat0) == "Z001"
    assert loc.district_code(lon1, lat0) == "Z002"
    assert loc.district_code(lon0 - 1, lat0) is None
    assert AreaLocator(area()).district_code(lon0, lat0) is None


def test_normalise_street_text():
    assert normalise_street_text("  Av.  Peñuelas  Nº 12 ") == "avenida penuelas no 12"  # NFKD makes º an o
    assert normalise_street_text("PJE. ÑANDÚ") == "pasaje nandu"


@pytest.fixture(scope="module")
def coquimbo(tmp_path_factory) -> AreaLocator:
    from data.coquimbo import load_coquimbo

    return AreaLocator(load_coquimbo(tmp_path_factory.mktemp("coquimbo-cache")))


@pytest.mark.parametrize(("typed", "street"), [
    ("Avenida Francisco de Aguirre 250", "Avenida Francisco de Aguirre"),
    ("av. fco. de aguirre 250", "Avenida Francisco de Aguirre"),
    ("AVDA. DEL MAR 3000", "Avenida del Mar"),
    ("Aldunate 1200, Coquimbo", "Aldunate"),
])
def test_r5_1_street_match_on_the_real_coquimbo_network(coquimbo, typed, street):
    match = coquimbo.match_street(typed)
    assert match is not None and match.street == street
    assert coquimbo.inside(match.lon, match.lat)
    assert coquimbo.district_code(match.lon, match.lat) is not None


def test_r5_1_santiago_is_outside_the_coquimbo_service_area(coquimbo):
    assert not coquimbo.inside(-70.65, -33.45)
