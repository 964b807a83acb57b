"""Dispatch snapshots: optimizer against greedy, class by class, plus recommend latency and budget gap.

For each seeded snapshot on the Coquimbo network (60 crews, 300 open tickets; ``optimizer.snapshots``)
the greedy nearest-crew plan and ``optimizer.dispatch.plan`` at a 5-s budget are scored by the same
``evaluate``. The comparison goes from the most urgent class down (class-1 departures ≤ 30 min,
class-1 arrival, class-2 on site ≤ 4 h / ≤ 8 h, class 3 in slot), then lateness, drive and the
objective, because one weighted sum could hide a class-1 loss behind many class-3 gains.

Also: ``recommend`` latency for a new class-1 ticket against the plan in force (target p50 ≤ 150 ms,
p95 ≤ 400 ms), and, unless ``quick``, the plan@5 s objective against a 60-s run (target gap ≤ 2%,
measured on the controllable objective: lateness sunk before ``now`` is the same for every plan).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np

from bench.report import RESULTS_DIR, report
from optimizer.dispatch import plan, recommend
from optimizer.greedy import greedy_plan
from optimizer.snapshots import evaluate, make_snapshot, make_ticket

#: (metric, better is "higher" or "lower"), from the most urgent down.
METRICS = [
    ("class1_depart_by", "higher"),
    ("class1_mean_arrival_min", "lower"),
    ("class1_unserved", "lower"),
    ("class2_onsite_target", "higher"),
    ("class2_onsite_limit", "higher"),
    ("class2_unserved", "lower"),
    ("class3_in_slot", "higher"),
    ("class3_unserved", "lower"),
    ("total_lateness_min", "lower"),
    ("total_drive_min", "lower"),
    ("objective", "lower"),
]
COMPLIANCE = ("class1_depart_by", "class2_onsite_target", "class2_onsite_limit")


def _load_network(cache_root: Path | None):
    """The Coquimbo network, from the same cache as the app (``GASDISPATCH_VAR_DIR``) by default."""
    from data.coquimbo import load_coquimbo
    from ops.settings import get_settings

    root = cache_root or get_settings().cache_dir / "network"
    return load_coquimbo(root).network


#: Share of class 1 among the open tickets of a surge snapshot (an ordinary one has 4%).
SURGE_SHARE = 0.15


def diverted(result, state) -> int:
    """Crews en route to class 2/3 work whose plan now sends them to a class 1 first (preemption)."""
    by_id = {t.id: t for t in state.tickets}
    count = 0
    for c in state.crews:
        jobs = result.routes.get(c.id, [])
        if (c.interruptible and c.current_ticket_id is not None and jobs
                and jobs[0].ticket_id != c.current_ticket_id and by_id[jobs[0].ticket_id].ticket_class == 1):
            count += 1
    return count


def _surge(net, seeds: int, budget_s: float) -> list[dict]:
    """Greedy against the optimizer on class-1-heavy snapshots, where preemption matters."""
    out = []
    for k in range(seeds):
        state = make_snapshot(net, 5_000 + k, class1_share=SURGE_SHARE)
        g = greedy_plan(state)
        o = plan(state, budget_s)
        out.append({"seed": 5_000 + k, "greedy": evaluate(g, state), "optimizer": evaluate(o, state),
                    "diverted_greedy": diverted(g, state), "diverted_optimizer": diverted(o, state),
                    "plan_note": o.note})
    return out


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def run(snapshots: int = 20, json_path: Path | None = None, quick: bool = False, *,
        budget_s: float = 5.0, long_budget_s: float = 60.0, recommends_per_snapshot: int = 10,
        cache_root: Path | None = None, surge_seeds: int = 1) -> dict:
    """Run the benchmark, print the table, write JSON; returns the JSON payload."""
    net = _load_network(cache_root)
    per_snapshot = []
    latencies: list[float] = []
    gaps: list[float] = []
    for seed in range(snapshots):
        state = make_snapshot(net, seed)
        t0 = time.perf_counter()
        state.node_matrix()
        matrix_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        g = greedy_plan(state)
        greedy_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        o = plan(state, budget_s)
        plan_s = time.perf_counter() - t0
        ge, oe = evaluate(g, state), evaluate(o, state)
        rec = {"seed": seed, "greedy": ge, "optimizer": oe, "matrix_s": matrix_s, "greedy_s": greedy_s,
               "plan_s": plan_s, "plan_note": o.note, "used_fallback": o.used_fallback}
        rng = np.random.default_rng(10_000 + seed)
        for k in range(recommends_per_snapshot):
            t = make_ticket(900_000 + k, 1, int(rng.integers(0, net.n_nodes)), state.now_s,
                            service_s=2400, required_skill="emergency")
            t0 = time.perf_counter()
            recommend(t, state, k=3, current=o)
            latencies.append(time.perf_counter() - t0)
        if not quick:
            long = plan(state, long_budget_s)
            le = evaluate(long, state)
            ref = le["objective_controllable"]
            gap = 100.0 * (oe["objective_controllable"] - ref) / max(ref, 1)
            rec["long"] = le
            rec["gap_5s_vs_60s_pct"] = gap
            gaps.append(gap)
        per_snapshot.append(rec)
        print(f"snapshot {seed}: greedy obj {ge['objective']:,}  optimizer obj {oe['objective']:,}  "
              f"({o.note})", flush=True)

    surge = _surge(net, surge_seeds, budget_s) if surge_seeds else []

    def total(side: str, m: str) -> float:
        return float(sum(r[side][m] for r in per_snapshot))

    header = f"{'metric (sum over snapshots)':<30} {'optimizer':>14} {'greedy':>14}  {'opt better/equal/worse':>24}"
    print(f"\n== dispatch ({'quick' if quick else 'full'}; {snapshots} snapshots, plan budget {budget_s:g} s)")
    print(header)
    print("-" * len(header))
    rows_cmp = []
    for m, better in METRICS:
        b = e = w = 0
        for r in per_snapshot:
            ov, gv = r["optimizer"][m], r["greedy"][m]
            if ov == gv:
                e += 1
            elif (ov > gv) == (better == "higher"):
                b += 1
            else:
                w += 1
        agg = total
        if m == "class1_mean_arrival_min":
            ov_t = statistics.mean(r["optimizer"][m] for r in per_snapshot)
            gv_t = statistics.mean(r["greedy"][m] for r in per_snapshot)
        else:
            ov_t, gv_t = agg("optimizer", m), agg("greedy", m)
        rows_cmp.append({"metric": m, "better": better, "optimizer": ov_t, "greedy": gv_t,
                         "snapshots_better": b, "equal": e, "worse": w})
        print(f"{m:<30} {ov_t:>14,.1f} {gv_t:>14,.1f}  {f'{b}/{e}/{w}':>24}")
    never_worse = all(all((r["optimizer"][m] >= r["greedy"][m]) for m in COMPLIANCE) for r in per_snapshot)
    strictly_better = all(r["optimizer"]["objective"] < r["greedy"]["objective"] for r in per_snapshot)
    p50, p95 = _pct(latencies, 50) * 1000, _pct(latencies, 95) * 1000
    print(f"recommend (class 1, k=3): p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(latencies)} calls "
          f"(target 150 / 400)")
    print(f"target: never worse on class-1/class-2 compliance: {never_worse}; "
          f"strictly better objective on every snapshot: {strictly_better}")
    if gaps:
        print(f"plan@{budget_s:g}s vs plan@{long_budget_s:g}s (controllable objective): "
              f"mean gap {statistics.mean(gaps):.2f}%, max {max(gaps):.2f}% (target ≤ 2%)")

    if surge:
        print(f"\nclass-1 surge ({len(surge)} snapshot(s), {SURGE_SHARE:.0%} of open tickets class 1):")
        for m in ("class1_depart_by", "class1_mean_arrival_min", "class1_unserved", "class2_onsite_target",
                  "total_lateness_min"):
            print(f"  {m:<28} optimizer {sum(r['optimizer'][m] for r in surge):>10,.1f}   "
                  f"greedy {sum(r['greedy'][m] for r in surge):>10,.1f}")
        print(f"  crews diverted to a class 1   optimizer {sum(r['diverted_optimizer'] for r in surge):>10}   "
              f"greedy {sum(r['diverted_greedy'] for r in surge):>10}")

    timing_rows = [
        {"case": "node matrix 360 x 360", "seconds": statistics.median(r["matrix_s"] for r in per_snapshot),
         "baseline": "", "ratio": None, "detail": "crews + tickets, at the snapshot's hour"},
        {"case": "greedy plan 60 x 300", "seconds": statistics.median(r["greedy_s"] for r in per_snapshot),
         "baseline": "", "ratio": None, "detail": "after the matrix; target well under 1 s"},
        {"case": f"plan() at {budget_s:g} s budget", "seconds": statistics.median(r["plan_s"] for r in per_snapshot),
         "baseline": "", "ratio": None, "detail": "GLS from the class-1-matched greedy start"},
        {"case": "recommend class 1 (p50)", "seconds": p50 / 1000, "baseline": "", "ratio": None,
         "detail": f"p95 {p95:.1f} ms; insertion into the plan in force"},
    ]
    notes = [f"never worse on class-1/2 compliance: {never_worse}",
             f"strictly better objective on every snapshot: {strictly_better}"]
    if gaps:
        notes.append(f"gap plan@{budget_s:g}s vs @{long_budget_s:g}s: mean {statistics.mean(gaps):.2f}%, "
                     f"max {max(gaps):.2f}%")
    path = report("dispatch", timing_rows, quick=quick, notes=notes)
    payload = {
        "benchmark": "dispatch", "quick": quick, "snapshots": snapshots, "budget_s": budget_s,
        "comparison": rows_cmp, "recommend_ms": {"p50": p50, "p95": p95, "n": len(latencies)},
        "gap_5s_vs_60s_pct": {"mean": statistics.mean(gaps), "max": max(gaps)} if gaps else None,
        "never_worse_on_compliance": never_worse, "strictly_better_objective": strictly_better,
        "per_snapshot": per_snapshot, "surge": surge, "timing": timing_rows,
    }
    text = json.dumps(payload, indent=2, default=float)
    path.write_text(text, encoding="utf-8")
    if json_path is not None:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(text, encoding="utf-8")
    assert RESULTS_DIR in path.parents
    return payload


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(prog="python -m bench.dispatch_bench")
    ap.add_argument("--snapshots", type=int, default=20)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    run(a.snapshots, a.json, a.quick)
