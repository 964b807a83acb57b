"""The board benchmark's harness at a tiny size: it builds, logs in, finds the page's callbacks and times them."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def test_board_bench_runs_at_a_tiny_size_and_reports_every_callback(tmp_path, monkeypatch) -> None:
    from bench import board_bench, report
    from bench.board_data import BoardSize

    monkeypatch.setattr(report, "RESULTS_DIR", tmp_path / "results")  # not the developer's bench/results
    out = tmp_path / "board.json"
    board_bench.run(quick=True, size=BoardSize(open_tickets=20, crews=5, history=200, orders_per_crew=3),
                    reference=None,
                    calls=2, browser_loads=0, database_url="", json_path=out,
                    cache_root=tmp_path / "network")

    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["benchmark"] == "board" and saved["calls"] == 2
    assert list((tmp_path / "results").glob("board-*.json")), "the run writes its JSON under results/"
    size = saved["size"]
    counts = size["counts"]
    assert counts["open_tickets"] >= 20 and counts["crews_on_shift"] >= 5 and counts["history_tickets"] >= 200
    callbacks = size["callbacks"]
    # The page layout (through Dash's page routing) and the map's refresh are always there.
    assert "page layout (/ via pages)" in callbacks
    refresh = next(name for name in callbacks if "dispatch-map.figure" in name and "open-tickets-grid.rowData" in name)
    for name, timing in callbacks.items():
        assert timing["n"] == 2, name
        assert 0 < timing["p50"] <= timing["p95"] <= timing["max"], name
        assert timing["status"] in (200, 204), name
        assert timing["bytes"] > 0 or timing["status"] == 204, name  # "no update" (the plan-version poll) is empty
    assert callbacks[refresh]["status"] == 200 and callbacks[refresh]["sql_per_call"] > 0
    assert size["page"]["grid_rows"] == counts["open_tickets"]
    assert size["healthz"]["p50"] > 0 and size["index"]["p50"] > 0
    assert "browser" not in size
    assert saved["worst_p95_s"] == max(t["p95"] for t in callbacks.values())
    schedule = size["schedule"]  # the board tab was drawn: every crew on shift, each added one with 3 orders
    assert schedule["crews"] == counts["crews_on_shift"] and schedule["segments"] >= 2 * 3
    assert any("schedule-graph.figure" in name for name in callbacks)
    cases = [r["case"] for r in saved["rows"]]
    assert any(c.startswith("dispatch-map.figure") for c in cases) and "GET /healthz p50" in cases
