"""``python -m bench [name ...] [--quick]``: which benchmarks run (each mocked: nothing is measured here)."""

from __future__ import annotations

import sys

import pytest


def _run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> list[tuple[str, bool | None]]:
    import bench.__main__ as cli

    calls: list[tuple[str, bool | None]] = []
    monkeypatch.setattr(cli.network_bench, "run", lambda **k: calls.append(("network", k["quick"])))
    monkeypatch.setattr(cli.solomon, "run", lambda *a, **k: calls.append(("solomon", k.get("quick", False))))
    monkeypatch.setattr(cli.dispatch_bench, "run", lambda *a, **k: calls.append(("dispatch", k["quick"])))
    monkeypatch.setattr(cli.board_bench, "run", lambda **k: calls.append(("board", k["quick"])))
    monkeypatch.setattr(cli.replan_bench, "run", lambda **k: calls.append(("replan", k["quick"])))
    monkeypatch.setattr(cli.slots_bench, "run", lambda **k: calls.append(("slots", k["quick"])))
    monkeypatch.setattr(cli.coverage_bench, "run", lambda **k: calls.append(("coverage", k["quick"])))
    monkeypatch.setattr(cli.covering_bench, "run", lambda **k: calls.append(("covering", k["quick"])))
    monkeypatch.setattr(sys, "argv", ["python -m bench", *argv])
    cli.main()
    return calls


def test_no_name_runs_every_benchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    assert [n for n, _ in _run(monkeypatch)] == ["network", "solomon", "dispatch", "board", "replan", "slots",
                                              "coverage", "covering"]
    assert all(quick for _, quick in _run(monkeypatch, "--quick"))


def test_a_name_runs_only_that_benchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(monkeypatch, "board", "--quick") == [("board", True)]
    assert _run(monkeypatch, "board") == [("board", False)]
    assert _run(monkeypatch, "replan", "--quick") == [("replan", True)]
    assert _run(monkeypatch, "covering", "--quick") == [("covering", True)]


def test_an_unknown_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as exc:
        _run(monkeypatch, "boards")
    assert exc.value.code == 2
