"""The replan benchmark's harness at a tiny size: scheduler, board driver and events run, and each event is timed."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def test_replan_bench_runs_at_a_tiny_size_and_times_every_event(tmp_path, monkeypatch) -> None:
    from bench import replan_bench, report
    from bench.board_data import BoardSize

    monkeypatch.setattr(report, "RESULTS_DIR", tmp_path / "results")  # not the developer's bench/results
    out = tmp_path / "replan.json"
    replan_bench.run(quick=True, size=BoardSize(open_tickets=20, crews=5, history=0), events=2, baseline=0,
                     database_url="", json_path=out, cache_root=tmp_path / "network")

    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["benchmark"] == "replan" and list((tmp_path / "results").glob("replan-*.json"))
    events = saved["measured"]["events"]["events"]
    assert len(events) == 2
    for event in events:  # every event was answered by a plan read after it, and the board followed that plan
        assert 0 < event["plan_s"] <= event["board_s"], event
        assert event["source"] in ("replan_request", "scheduler")
    assert "baseline" not in saved["measured"]
    assert saved["measured"]["events"]["poll_s"], "the board driver polled the plan version"
    cases = [r["case"] for r in saved["rows"]]
    assert cases[:2] == ["event → plan in force p95", "event → board refreshed p95"]
