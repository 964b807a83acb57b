"""Solomon parser, DIMACS distances and the independent verifier (bench/solomon.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import solomon
from optimizer.routing_model import solve

#: A copy of C101 and its BKS inside the repository, so the tests need nothing outside it.
DATA = Path(__file__).resolve().parents[1] / "data" / "solomon"
C101 = solomon.instances_dir(DATA) / "C101.txt"


@pytest.fixture(scope="module")
def c101() -> solomon.Instance:
    assert C101.exists(), f"Solomon instances expected at {C101}"
    return solomon.parse(C101)


def test_parse_c101(c101: solomon.Instance) -> None:
    assert (c101.name, c101.vehicles, c101.capacity, c101.n) == ("C101", 25, 200, 101)
    assert tuple(c101.xy[0]) == (40, 50) and c101.due[0] == 12360
    assert (c101.demand[1], c101.ready[1], c101.due[1], c101.service[1]) == (10, 9120, 9670, 900)
    # Depot (40,50) to customer 1 (45,68): sqrt(349) = 18.681... -> truncated to 18.6 = 186 tenths.
    assert c101.dist[0, 1] == 186 == c101.dist[1, 0]
    # (40,50) to (45,70): sqrt(425) = 20.615... -> 206 tenths.
    assert c101.dist[0, 2] == 206
    assert solomon.load_bks(DATA)["C101"] == (10, 827.3)


def test_verifier_rejects_broken_solutions(c101: solomon.Instance) -> None:
    everyone = list(range(1, c101.n))
    with pytest.raises(AssertionError, match="exactly once"):
        solomon.verify(c101, [everyone[:-1]])
    with pytest.raises(AssertionError, match="load"):
        solomon.verify(c101, [everyone])
    with pytest.raises(AssertionError, match="vehicles"):
        solomon.verify(c101, [[c] for c in everyone])
    # Customers 1 (due 967) then 3 (ready 65, due 146): 3 is served far too late.
    rest = [c for c in everyone if c not in (1, 3)]
    routes = [[1, 3]] + [rest[i:i + 10] for i in range(0, len(rest), 10)]
    with pytest.raises(AssertionError, match="customer 3"):
        solomon.verify(c101, routes[:25])


def test_c101_solve_is_verified_independently(c101: solomon.Instance) -> None:
    sol = solve(solomon.to_problem(c101), time_limit_s=2, strategy="ils")
    assert sol.status == "feasible" and not sol.dropped
    dist = solomon.verify(c101, sol.routes)
    assert dist * 10 == pytest.approx(sol.objective)
    assert 827.3 <= dist <= 827.3 * 1.02


def test_run_writes_summary_json(tmp_path) -> None:
    out = tmp_path / "s.json"
    result = solomon.run(["C101"], 0.5, out, DATA)
    saved = json.loads(out.read_text())
    assert saved["ours"] == result["ours"]
    for key in ("ours", "baseline"):
        assert set(saved[key]) >= {"mean_gap_pct", "median_gap_pct", "max_gap_pct", "vehicles"}
    assert saved["rows"][0]["ours"]["verified"] and saved["rows"][0]["baseline"]["verified"]


def test_cli_bench_solomon(tmp_path, capsys) -> None:
    from dashboard.cli import main

    out = tmp_path / "cli.json"
    assert main(["bench", "solomon", "--dir", str(DATA), "--instances", "C101", "--seconds", "0.3",
                 "--json", str(out)]) == 0
    assert json.loads(out.read_text())["rows"][0]["instance"] == "C101"
    assert main(["bench", "solomon", "--dir", str(DATA), "--instances", "NOPE1", "--seconds", "0.3"]) == 2
    assert "unknown instance" in capsys.readouterr().err
