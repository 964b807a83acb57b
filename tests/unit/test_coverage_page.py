"""The coverage page's figure, table and control helpers, without a browser (issue 13)."""

from __future__ import annotations

import csv
import dataclasses
import io

import h3
import numpy as np
import pytest
from openpyxl import load_workbook

from dashboard.components.coverage_map import (
    TRACE_INDEX,
    clicked_hex,
    coverage_figure,
    expected_bands,
    hex_centre,
    hex_ring,
    minute_bands,
    minute_colours,
    minute_labels,
    stepped_scale,
)
from dashboard.components.coverage_table import control_errors, headline, hex_csv, hex_xlsx
from ops.errors import Problems, ServiceError
from ops.reads.coverage import CoverageQuery, CoverageReport, CoverageSource, DemandHex, HexCoverage
from tests.unit.pages import load_page


def same(text: str) -> str:
    return text


def ring_of(hex_id: str) -> list[list[float]]:
    corners = h3.cell_to_boundary(hex_id)
    return [[lng, lat] for lat, lng in [*corners, corners[0]]]


HEX_A = h3.latlng_to_cell(-29.95, -71.34, 8)
HEX_B = h3.latlng_to_cell(-29.97, -71.30, 8)


def hexcov(hex_id: str, minutes: float | None, before: float | None = None, **kw) -> HexCoverage:
    return HexCoverage(hex_id=hex_id, minutes=minutes, population=kw.get("population", 100.0), customers=3,
                       nodes=4, district="D1", expected=kw.get("expected", 0.8), boundary=ring_of(hex_id),
                       minutes_before=minutes if before is None else before)


def report(minutes: int = 15, *, excluded: bool = False) -> CoverageReport:
    crew = CoverageSource(crew_id=1, code="CR01", lon=-71.34, lat=-29.95, node=0, depot_id=1)
    gone = CoverageSource(crew_id=2, code="CR02", lon=-71.30, lat=-29.97, node=1, depot_id=1)
    hexes = [hexcov(HEX_A, 5.0), hexcov(HEX_B, 40.0, before=12.0 if excluded else None)]
    extra = {"excluded": [gone], "baseline_share": 1.0, "lost_population": 100.0, "lost_customers": 3,
             "changed_hexes": [HEX_B]} if excluded else {}
    return CoverageReport(
        query=CoverageQuery(minutes=minutes, exclude_crew=2 if excluded else None), hour=3, weight_kind="population",
        sources=[crew], hexes=hexes, population_share_15=0.5, population_share_30=0.5, population_share=0.5,
        customer_share_15=0.5, customer_share_30=0.5, customer_share=0.5, share=0.5, p90_minutes=40.0,
        busy_fraction=0.2, busy_fitted=False, expected_share=0.8, **extra)


# ----------------------------------------------------------------------------- stepped scale
@pytest.mark.parametrize(("limit", "minutes", "expected"), [
    # T = 15: bands ≤15, ≤30, beyond 30, unreachable
    (15, [0, 15, 15.01, 30, 31, None], [0, 0, 1, 1, 2, 3]),
    # T = 20 lies between: ≤15, ≤20, ≤30, beyond, unreachable
    (20, [14, 16, 20, 25, 30.5, None], [0, 1, 1, 2, 3, 4]),
    # T = 45 beyond 30: ≤15, ≤30, ≤45, beyond 45, unreachable
    (45, [10, 29, 44, 46, None], [0, 1, 2, 3, 4]),
])
def test_minute_bands_by_hand(limit, minutes, expected):
    assert minute_bands(minutes, limit).tolist() == expected
    assert len(minute_labels(limit, same)) == len(minute_colours(limit)) == max(expected) + 1


def test_band_labels_mark_the_threshold_t():
    assert minute_labels(20, same) == ["≤ 15 min", "≤ 20 min (T)", "≤ 30 min", "beyond 30 min", "unreachable"]
    assert minute_labels(30, same)[1] == "≤ 30 min (T)"


def test_expected_bands_at_their_edges():
    assert expected_bands([1.0, 0.9, 0.8999, 0.7, 0.5, 0.4999, 0.0]).tolist() == [0, 0, 1, 1, 2, 3, 3]


def test_stepped_scale_is_flat_within_each_band():
    scale = stepped_scale(["a", "b", "c"])
    assert scale == [[0, "a"], [1 / 3, "a"], [1 / 3, "b"], [2 / 3, "b"], [2 / 3, "c"], [1, "c"]]


# ----------------------------------------------------------------------------- geometry
def test_hex_ring_is_lng_lat_and_closed():
    ring = hex_ring(HEX_A)
    assert ring.lon[0] == ring.lon[-1] and ring.lat[0] == ring.lat[-1] and len(ring.lon) == 7
    lat, lng = h3.cell_to_latlng(HEX_A)
    assert ring.centre == pytest.approx((lng, lat))
    assert min(ring.lon) < lng < max(ring.lon) and min(ring.lat) < lat < max(ring.lat)
    assert all(-72 < x < -71 for x in ring.lon) and all(-31 < y < -29 for y in ring.lat)
    assert hex_ring("not a hex") is None and hex_ring("") is None


def test_hex_centre_from_the_boundary_is_h3s_centre():
    lat, lng = h3.cell_to_latlng(HEX_B)
    assert hex_centre(hexcov(HEX_B, 1.0)) == pytest.approx((lng, lat), abs=1e-4)


# ----------------------------------------------------------------------------- figure
def test_figure_draws_string_ids_bands_and_changed_outline():
    fig = coverage_figure(report(15, excluded=True), [DemandHex(HEX_B, 2, 1, (7, 8, 9))], view="minutes",
                          show_demand=True, bounds=(-71.4, -30.0, -71.2, -29.9), _=same)
    hexes = fig.data[TRACE_INDEX["hexes"]]
    assert list(hexes.locations) == [HEX_A, HEX_B] and all(isinstance(i, str) for i in hexes.locations)
    assert [f["id"] for f in hexes.geojson["features"]] == [HEX_A, HEX_B] and hexes.featureidkey == "id"
    assert list(hexes.z) == [0, 2]  # 5 min ≤ 15; 40 min beyond 30
    assert list(hexes.colorbar.ticktext) == minute_labels(15, same)
    changed = fig.data[TRACE_INDEX["changed"]]
    assert [v for v in changed.lon if v is not None] == [p[0] for p in ring_of(HEX_B)]
    demand = fig.data[TRACE_INDEX["demand"]]
    assert list(demand.customdata) == [HEX_B]
    assert fig.layout.map.style == "white-bg"
    assert list(fig.data[TRACE_INDEX["excluded"]].hovertext) == ["CR02"]


def test_expected_view_and_hidden_demand():
    fig = coverage_figure(report(), [DemandHex(HEX_B, 2, 1, (7,))], view="expected", show_demand=False,
                          bounds=(0, 0, 1, 1), _=same)
    assert list(fig.data[TRACE_INDEX["hexes"]].z) == [1, 1]  # expected 0.8 on both
    assert len(fig.data[TRACE_INDEX["demand"]].lon) == 0


def test_clicked_hex_reads_hexagons_and_demand_markers_only():
    assert clicked_hex({"points": [{"curveNumber": TRACE_INDEX["hexes"], "location": HEX_A}]}) == HEX_A
    assert clicked_hex({"points": [{"curveNumber": TRACE_INDEX["demand"], "customdata": HEX_B}]}) == HEX_B
    assert clicked_hex({"points": [{"curveNumber": TRACE_INDEX["crews"], "customdata": "CR01"}]}) is None
    assert clicked_hex(None) is None


# ----------------------------------------------------------------------------- tables and exports
def test_hex_csv_and_xlsx_keep_ids_as_text():
    rep = report(excluded=True)
    rows = list(csv.reader(io.StringIO(hex_csv(rep))))
    assert rows[0][:4] == ["hex_id", "district", "minutes", "minutes_before"]
    assert rows[1][0] == HEX_A and rows[2][2:4] == ["40.0", "12.0"]
    sheet = load_workbook(io.BytesIO(hex_xlsx(rep))).active
    assert sheet.cell(2, 1).value == HEX_A and sheet.cell(3, 4).value == 12.0


def test_headline_shows_the_baseline_and_the_loss_in_a_what_if():
    text = str(headline(report(excluded=True), same))
    assert "with every crew: 100.0%" in text and "CR02" in text and "1 hexagons change band" in text
    assert "default busy fraction of 20.0%" in text and "weighted by population" in text
    assert "cov-lost" not in str(headline(report(), same))


@pytest.mark.parametrize(("query", "says"), [
    (CoverageQuery(minutes=15), "No crew is available now"),
    (CoverageQuery(minutes=15, scope="on_shift"), "No crew is on shift now"),
    (CoverageQuery(minutes=15, mode="plan", shift="night"), "No crew works this shift"),
])
def test_an_empty_view_says_why_and_what_to_change(query, says):
    empty = dataclasses.replace(report(), query=query, sources=[])
    text = str(headline(empty, same))
    assert "cov-no-crew" in text and says in text
    assert "cov-no-crew" not in str(headline(report(), same))  # a map with crews needs no excuse


def test_control_errors_name_the_control():
    found = Problems()
    found.add("coverage.minutes", "minutes", {"max": 180})
    found.add("coverage.hour", "hour")
    with pytest.raises(ServiceError) as caught:
        found.raise_if_any()
    lines = control_errors(caught.value, same)
    assert lines[0].startswith("Minutes (T): ") and "180" in lines[0]
    assert lines[1].startswith("Hour of day: ")


# ----------------------------------------------------------------------------- controls → query
def test_control_query(monkeypatch):
    page, registered, actions = load_page(monkeypatch, "coverage")
    assert registered["path"] == "/coverage" and registered["action"] == "coverage.read"
    assert set(actions) == {"coverage.read", "crew.standby"}  # viewing, and sending a suggested standby
    q = page.control_query("custom", 45.0, "plan", True, "night", 2, "7", 9, 3, 4)
    assert q == CoverageQuery(minutes=45, mode="plan", scope="on_shift", shift="night", weekday=2, hour=7,
                              exclude_crew=3, exclude_depot=4, resolution=9)
    live = page.control_query(15, 500, "live", False, "night", 2, None, 8, None, 4)
    assert live == CoverageQuery(minutes=15, mode="live", scope="available", resolution=8)
    assert page.control_query("custom", 500, "live", False, None, None, None, 8, None, None).minutes == 500
    assert page.control_query("custom", 2.5, "live", False, None, None, None, 8, None, None).minutes == 2.5
    assert np.isscalar(page.control_query(30, None, "live", False, None, None, None, None, None, None).resolution)


# ----------------------------------------------------------------------------- where to stand
def test_move_lines_draw_each_move_from_the_crew_with_a_dot_only_at_its_place():
    from dashboard.components.standing_card import move_lines

    plan = {"moves": [{"code": "CR01", "from_lon": 1.0, "from_lat": 2.0, "to_lon": 3.0, "to_lat": 4.0},
                      {"code": "CR02", "from_lon": 5.0, "from_lat": 6.0, "to_lon": 7.0, "to_lat": 8.0}]}
    lines = move_lines(plan)
    assert lines["lon"] == [1.0, 3.0, None, 5.0, 7.0, None] and lines["lat"] == [2.0, 4.0, None, 6.0, 8.0, None]
    assert lines["marker"]["size"] == [0, 11, 0, 0, 11, 0]
    assert move_lines(None)["lon"] == [] and move_lines({"moves": []})["marker"]["size"] == []
    fig = coverage_figure(report(), [], view="minutes", show_demand=False, bounds=(0, 0, 1, 1), _=same)
    assert fig.data[TRACE_INDEX["moves"]].name == "Suggested moves" and len(fig.data) == len(TRACE_INDEX)


def test_moves_list_shows_before_after_and_disables_sending_with_the_reason():
    from dashboard.components.standing_card import crew_count, moves_list

    move = {"crew_id": 7, "code": "CR07", "from_street": "Calle A", "from_district": "D1", "street": None,
            "district": "D2", "minutes": 4.4}
    plan = {"model": "mexclp", "weight_kind": "population", "share_before": 0.5, "share_after": 0.625,
            "covered_before": 1000.0, "covered_after": 1250.0, "busy_fraction": 0.25, "busy_fitted": True,
            "moves": [move]}
    text = str(moves_list(plan, {}, False, same))
    assert "50.0%" in text and "62.5%" in text and "1,250 expected people" in text
    assert "busy fraction of 25.0% fitted" in text
    assert "Calle A (D1) → unnamed road (D2), 4 min" in text
    assert "Only dispatchers and supervisors may send a standby." in text and "disabled=True" in text
    sent = str(moves_list(plan, {"7": "sent"}, True, same))
    assert "Sent as standby" in sent and "cov-stand-reason" not in sent
    refused = str(moves_list(plan, {"7": "the crew has an order"}, True, same))
    assert "Refused: the crew has an order" in refused
    assert crew_count(None) is None and crew_count("") is None and crew_count(3.0) == 3 and crew_count(2.5) == 2.5
