"""Where to stand (issue 13): MCLP and MEXCLP with 500 candidate nodes and 60 crews on Coquimbo.

Target ≤ 2 s for each model. Demand is every road node with weight 1 (the population per node is the
coverage reader's, built in parallel; the model's size does not depend on the weights), grouped into
H3 resolution-9 cells as :func:`optimizer.covering.suggest_positions` does. Cases, at 5 and 10
minutes (at 15 minutes 60 crews cover all of Coquimbo and greedy is already optimal):

- the cover matrix: one Dijkstra from the 500 candidates, limited to T;
- MCLP (60 crews, and 10, where greedy falls short) and MEXCLP (busy fraction 0.3) on that matrix, against the baseline in the same run: greedy
  add-one (the site covering the most still-uncovered weight, 60 times), its time and covered share;
- ``suggest_positions`` whole, for 60 crews at random nodes: candidates, matrix, MCLP, the exact
  check on nodes and the assignment of crews to places.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from bench.report import report, timed
from data.coquimbo import load_coquimbo
from optimizer.covering import (
    candidate_nodes,
    cover_matrix,
    covered_weight,
    expected_covered_weight,
    greedy_mclp,
    hex_anchors,
    mclp,
    mexclp,
    suggest_positions,
)

TARGET_S = 2.0
CREWS = 60
CANDIDATES = 500
FEW_CREWS = 10  # a fleet too small to cover everything: the MIP has work to do
BUSY = 0.3


def run(*, quick: bool = False) -> None:
    repeats = 1 if quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        net = load_coquimbo(Path(tmp)).network
    rng = np.random.default_rng(13)
    crews = rng.choice(net.n_nodes, CREWS, replace=False)
    weights = np.ones(net.n_nodes)
    cand = candidate_nodes(net, [], CANDIDATES)
    anchors, anchor_w = hex_anchors(net, np.arange(net.n_nodes), weights, 9)
    total = float(anchor_w.sum())
    rows: list[dict] = []
    for minutes in ((5,) if quick else (5, 10)):
        cover_s, _ = timed(lambda m=minutes: cover_matrix(net, cand, anchors, m), repeats)
        cover = cover_matrix(net, cand, anchors, minutes)
        rows.append({"case": f"cover matrix {CANDIDATES} x {len(anchors)} hexes, {minutes} min", "seconds": cover_s,
                     "baseline": "", "ratio": None, "detail": "one multi-source Dijkstra"})
        greedy_s, _ = timed(lambda c=cover: greedy_mclp(c, anchor_w, CREWS), repeats)
        greedy = greedy_mclp(cover, anchor_w, CREWS)
        g_share = covered_weight(cover, anchor_w, greedy) / total
        g_exp = expected_covered_weight(cover, anchor_w, greedy, BUSY) / total
        mclp_s, _ = timed(lambda c=cover: mclp(c, anchor_w, CREWS), repeats)
        res = mclp(cover, anchor_w, CREWS)
        rows.append({"case": f"MCLP p={CREWS}, {minutes} min", "seconds": mclp_s,
                     "baseline": f"greedy {greedy_s:.3f}s share {g_share:.4f}", "ratio": mclp_s / greedy_s,
                     "detail": f"{res.status}, share {res.share:.4f}; target <= {TARGET_S} s"})
        few = FEW_CREWS
        few_g = greedy_mclp(cover, anchor_w, few)
        few_s, _ = timed(lambda c=cover: mclp(c, anchor_w, FEW_CREWS), repeats)
        res = mclp(cover, anchor_w, few)
        rows.append({"case": f"MCLP p={few}, {minutes} min", "seconds": few_s,
                     "baseline": f"greedy share {covered_weight(cover, anchor_w, few_g) / total:.4f}", "ratio": None,
                     "detail": f"{res.status}, share {res.share:.4f}"})
        mex_s, _ = timed(lambda c=cover: mexclp(c, anchor_w, CREWS, BUSY), repeats)
        res = mexclp(cover, anchor_w, CREWS, BUSY)
        rows.append({"case": f"MEXCLP p={CREWS} q={BUSY}, {minutes} min", "seconds": mex_s,
                     "baseline": f"greedy {greedy_s:.3f}s exp {g_exp:.4f}", "ratio": mex_s / greedy_s,
                     "detail": f"{res.status}, expected share {res.share:.4f}; target <= {TARGET_S} s"})
        plan_s, _ = timed(lambda m=minutes: suggest_positions(net, crews, weights, m, candidates=cand), repeats)
        plan = suggest_positions(net, crews, weights, minutes, candidates=cand)
        rows.append({"case": f"suggest_positions {CREWS} crews, {minutes} min", "seconds": plan_s,
                     "baseline": f"standing still {plan.share_before:.4f}", "ratio": None,
                     "detail": f"{plan.status}, share {plan.share_after:.4f}, {len(plan.moves)} moves"})
    report("covering", rows, quick=quick, notes=[
        f"Coquimbo, {net.n_nodes} nodes weighted 1, H3 resolution 9; {CANDIDATES} candidates on main roads",
        "baseline: greedy add-one on the same matrix (share covered / expected share at q=0.3)",
    ])
