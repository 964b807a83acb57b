"""The dispatch map in real headless Chromium: roads, districts, tickets and crews, no console errors."""

from __future__ import annotations

import pytest

from dashboard.components.dispatch_map import TRACE_INDEX
from tests.browser.test_roles_and_languages import log_in

pytestmark = pytest.mark.browser


def _map_state(dash_duo) -> dict:
    return dash_duo.driver.execute_script(
        """
        const gd = document.querySelector('#dispatch-map .js-plotly-plot');
        if (!gd || !gd.data) { return null; }
        const layers = (gd.layout.map && gd.layout.map.layers) || [];
        return {
            traces: gd.data.map(t => ({name: t.name, n: (t.lat || []).length})),
            layers: layers.map(l => l.source),
            canvas: !!gd.querySelector('canvas'),
        };
        """
    )


def test_map001_dispatch_map_shows_tickets_crews_and_base_layers(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)  # / redirects to /login
    log_in(dash_duo, "dispatcher")
    dash_duo.wait_for_element("#dispatch-map .js-plotly-plot", timeout=30)
    dash_duo.wait_for_element("#open-tickets-grid .ag-row", timeout=30)
    dash_duo.wait_for_text_to_equal(
        "#attribution", "© OpenStreetMap contributors (ODbL); network from the AequilibraE Coquimbo example"
    )
    state = _map_state(dash_duo)
    assert state and state["canvas"]
    tickets = sum(state["traces"][TRACE_INDEX[f"class{n}"]]["n"] for n in (1, 2, 3))
    crews = state["traces"][TRACE_INDEX["crew"]]["n"]
    assert tickets >= 15, state
    assert crews == 12, state
    assert "/geo/roads.geojson" in state["layers"] and "/geo/districts.geojson" in state["layers"]
    # The side panel lists the same open tickets, most urgent first.
    rows = dash_duo.find_elements("#open-tickets-grid .ag-center-cols-container .ag-row")
    assert len(rows) >= 10
    assert dash_duo.get_logs() == []


def test_map002_language_switch_translates_the_page(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)  # / redirects to /login
    log_in(dash_duo, "supervisor")
    dash_duo.driver.get(dash_duo.server.url + "/lang/zh_CN")
    dash_duo.wait_for_element("#dispatch-map .js-plotly-plot", timeout=30)
    dash_duo.wait_for_contains_text(".navbar", "调度地图", timeout=10)
    dash_duo.wait_for_contains_text("#open-tickets-grid", "剩余时间", timeout=10)
    dash_duo.driver.get(dash_duo.server.url + "/lang/en")
    dash_duo.wait_for_contains_text(".navbar", "Dispatch map", timeout=10)
    assert dash_duo.get_logs() == []
