"""Coverage heatmap and what-if on the Coquimbo network at H3 resolution 9, 60 crews (issue 13).

Targets: the heatmap for 60 crews ≤ 50 ms, and the what-if for each of the 60 crews in turn ≤ 1 s in
total. Cases, all on the real network with crews on 60 random nodes (fixed seed), each against a
baseline measured in the same run:

- ``heatmap, cold``: what the reader does when a crew has moved or the hour changed: one search seeded
  from every crew (:func:`optimizer.coverage.nearest_minutes`), each hex's median minutes, population
  sums, the headline shares and the 90th percentile. Baseline: the same from the full crew × node
  matrix (:func:`optimizer.coverage.crew_times`), the way the first version of the reader worked.
- ``expected coverage``: MEXCLP's 1 − q^k from searches stopped at the threshold
  (:func:`optimizer.coverage.reach_counts`), against counting in the full matrix.
- ``what-if x 60``: every crew removed in turn, each a seeded search from the 59 others (the reader's
  way), against the naive what-if (a new full matrix from the 59 others for each crew; ``--quick``: 10 of
  them, scaled to 60). Both must give the same per-node minutes.
- ``reader``: :func:`ops.reads.coverage.coverage` whole, database reads included, on the demo world grown
  to 60 crews on shift (the page's server time after a control change; target 1 s).
- ``page update``: what the coverage page's callback does after a control change: the reader, the
  class-1/2 demand of 28 days, the risk hexes, the figure and the headline built and the figure
  serialised to JSON (:mod:`dashboard.components.coverage_map`, ``coverage_table``); target 1 s.
- ``where to stand``: :func:`ops.reads.standing.suggest_standing` whole on the same world (database reads,
  weights, candidates on main roads, the MIP, the check on nodes, the assignment), MCLP and MEXCLP, every
  idle crew free to move and the busy ones fixed; target 2 s each.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench.report import report, timed

HEATMAP_TARGET_S = 0.050
WHAT_IF_TARGET_S = 1.0
READER_TARGET_S = 1.0
STANDING_TARGET_S = 2.0
CREWS = 60
RESOLUTION = 9
MINUTES = 30


def heatmap(index, best, weights):
    """What the reader computes from the nearest-crew minutes per node (without the database)."""
    from optimizer.coverage import hex_median, hex_sum, weighted_quantile, weighted_share

    minutes = hex_median(index, best)
    population = hex_sum(index, weights)
    shares = [weighted_share(best, weights, t) for t in (15, 30, MINUTES)]
    return minutes, population, shares, weighted_quantile(best, weights)


def run(*, quick: bool = False, cache_root: Path | None = None) -> dict:
    """Measure, print the table and write the JSON."""
    from data.coquimbo import load_coquimbo
    from ops.settings import get_settings
    from optimizer.coverage import (
        crew_times,
        expected_from_counts,
        hex_index,
        hex_median,
        nearest_minutes,
        reach_counts,
        weighted_share,
    )

    repeats = 5 if quick else 20
    cache_root = cache_root or get_settings().cache_dir / "network"
    area = load_coquimbo(cache_root)
    net = area.network
    rng = np.random.default_rng(13)
    crews = rng.choice(net.n_nodes, size=CREWS, replace=False)
    weights = rng.random(net.n_nodes)  # the speed does not depend on the weights' values
    hour = 18
    index = hex_index(net, RESOLUTION)
    rows = []
    net.graph_at(hour)  # the hourly graph is built once per process, as in the app

    t_cold, _ = timed(lambda: heatmap(index, nearest_minutes(net, crews, hour=hour), weights), repeats)
    t_matrix, _ = timed(lambda: heatmap(index, crew_times(net, crews, hour=hour).min(axis=0), weights), repeats)
    times = crew_times(net, crews, hour=hour)
    same = bool(np.allclose(nearest_minutes(net, crews, hour=hour), times.min(axis=0)))
    rows.append({"case": f"heatmap, cold ({CREWS} crews, seeded search)", "seconds": t_cold,
                 "baseline": f"full matrix {t_matrix * 1000:.0f} ms", "ratio": t_cold / t_matrix,
                 "detail": (f"{len(index.hex_ids)} hexes at res {RESOLUTION}; target {HEATMAP_TARGET_S * 1000:.0f} ms, "
                            f"meets: {t_cold <= HEATMAP_TARGET_S}; "
                            + ("same minutes" if same else "MINUTES DIFFER FROM THE MATRIX"))})

    busy = 0.2
    t_expected, _ = timed(lambda: expected_from_counts(reach_counts(net, crews, MINUTES, hour=hour), busy), repeats)
    def expected_from_matrix():
        return expected_from_counts((crew_times(net, crews, hour=hour) <= MINUTES).sum(axis=0), busy)

    t_expected_matrix, _ = timed(expected_from_matrix, max(3, repeats // 4))
    agree_expected = bool(np.allclose(expected_from_counts(reach_counts(net, crews, MINUTES, hour=hour), busy),
                                      expected_from_matrix()))
    rows.append({"case": f"expected coverage (MEXCLP, {MINUTES} min)", "seconds": t_expected,
                 "baseline": f"full matrix {t_expected_matrix * 1000:.0f} ms", "ratio": t_expected / t_expected_matrix,
                 "detail": "searches stop at the threshold; "
                           + ("same values" if agree_expected else "VALUES DIFFER FROM THE MATRIX")})

    def what_if_all():
        out = []
        for k in range(CREWS):
            after = nearest_minutes(net, np.delete(crews, k), hour=hour)
            out.append((hex_median(index, after), weighted_share(after, weights, MINUTES)))
        return out

    t_what_if, _ = timed(what_if_all, max(3, repeats // 4))
    naive_n = 10 if quick else CREWS
    agree, naive = same and agree_expected, []
    for k in range(naive_n):
        start = time.perf_counter()
        rest = np.delete(crews, k)
        slow = crew_times(net, rest, hour=hour).min(axis=0)
        hex_median(index, slow)
        weighted_share(slow, weights, MINUTES)
        naive.append(time.perf_counter() - start)
        agree &= bool(np.allclose(slow, nearest_minutes(net, rest, hour=hour)))
    naive_total = statistics.mean(naive) * CREWS
    rows.append({"case": f"what-if x {CREWS} crews (seeded search each)", "seconds": t_what_if,
                 "baseline": f"naive matrix each {naive_total:.2f} s", "ratio": t_what_if / naive_total,
                 "detail": (f"target {WHAT_IF_TARGET_S:.0f} s, meets: {t_what_if <= WHAT_IF_TARGET_S}; "
                            + ("same minutes as the baseline" if agree else "MINUTES DIFFER FROM THE BASELINE")
                            + (f"; baseline timed on {naive_n} crews, scaled" if naive_n < CREWS else ""))})

    notes = [f"network: {net.n_nodes} nodes, {net.n_arcs} arcs; hour {hour} speeds; res {RESOLUTION}: "
             f"{len(index.hex_ids)} hexes"]
    rows.extend(_reader_rows(area, repeats, notes))
    path = report("coverage", rows, quick=quick, notes=notes)
    if not agree:
        raise SystemExit("coverage minutes or expected coverage disagree with the matrix / naive recomputation")
    return {"path": str(path), "rows": rows}


def _reader_rows(area, repeats: int, notes: list[str]) -> list[dict]:
    """The reader whole on the demo world with 60 crews on shift, in a temporary SQLite database."""
    from bench.board_data import BoardSize, build_board
    from ops.db import make_engine, make_session_factory
    from ops.reads.coverage import CoverageQuery, coverage
    from ops.reads.standing import suggest_standing
    from ops.settings import Settings

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="coverage-bench-") as tmp:
        settings = Settings(var_dir=Path(tmp), database_url="")
        counts = build_board(settings, area, BoardSize(open_tickets=50, crews=CREWS, history=0), now=now)
        notes.append(f"reader world: {counts}")
        engine = make_engine(settings.sqlalchemy_url)
        sessions = make_session_factory(engine, read_only=True)
        with sessions() as db:
            base = CoverageQuery(minutes=MINUTES, scope="on_shift", resolution=RESOLUTION, hour=12)
            start = time.perf_counter()
            report_ = coverage(db, area.network, now, base)
            first = time.perf_counter() - start
            crew_ids = [s.crew_id for s in report_.sources]
            t_control, _ = timed(lambda: coverage(db, area.network, now, CoverageQuery(
                minutes=15, scope="on_shift", resolution=RESOLUTION, hour=12)), repeats)
            what_ifs = crew_ids[: min(len(crew_ids), 10)]
            t_what_if = statistics.median(
                timed(lambda c=c: coverage(db, area.network, now, CoverageQuery(
                    minutes=MINUTES, scope="on_shift", resolution=RESOLUTION, hour=12, exclude_crew=c)), 1)[0]
                for c in what_ifs) if what_ifs else 0.0
            what_if_crew = crew_ids[0] if crew_ids else None
            t_page, _ = timed(lambda: _page_update(db, area.network, now, CoverageQuery(
                minutes=15, scope="on_shift", resolution=RESOLUTION, hour=12, exclude_crew=what_if_crew)), repeats)
            standing = []
            for minutes in (15, MINUTES):
                for model in ("mclp", "mexclp"):
                    query = CoverageQuery(minutes=minutes, scope="on_shift", resolution=RESOLUTION, hour=12)
                    samples = []
                    for _ in range(max(1, repeats // 5)):
                        start = time.perf_counter()
                        plan = suggest_standing(db, area.network, now, query, model=model, streets=area.node_street)
                        samples.append(time.perf_counter() - start)
                    standing.append((minutes, model, statistics.median(samples), plan))
        engine.dispose()
    n = len(report_.sources)
    for case, seconds, detail in [
        (f"reader, first call ({n} crews)", first, "node weights, hexes and searches built"),
        ("reader, a control changed (minutes)", t_control, "weights cached; nearest and reach searched again; DB read again"),
        ("reader, what-if of one crew", t_what_if, f"median over {len(what_ifs)} crews"),
        ("page update (reader + demand + figure + JSON)", t_page, "the coverage page's callback after a control"),
    ]:
        rows.append({"case": case, "seconds": seconds, "baseline": f"target {READER_TARGET_S:.0f} s",
                     "ratio": seconds / READER_TARGET_S, "detail": detail})
    for minutes, model, seconds, plan in standing:
        rows.append({"case": f"where to stand, {model.upper()} {minutes} min ({len(plan.movable)} idle, "
                             f"{len(plan.fixed)} fixed)", "seconds": seconds,
                     "baseline": f"target {STANDING_TARGET_S:.0f} s", "ratio": seconds / STANDING_TARGET_S,
                     "detail": f"{plan.status}; share {plan.share_before:.4f} standing still -> "
                               f"{plan.share_after:.4f}, {len(plan.moves)} moves"})
    return rows


def _page_update(db, network, now, query) -> str:
    """The coverage page's callback body without Flask: reader, demand, risk, figure, headline, JSON."""
    import plotly.io as pio

    from dashboard.components.coverage_map import coverage_figure
    from dashboard.components.coverage_table import headline, risk_rows
    from ops.reads.coverage import DEMAND_PERIOD, coverage, demand, risk_hexes

    def same(text: str) -> str:
        return text

    report_ = coverage(db, network, now, query)
    hexes = demand(db, network, now, now - DEMAND_PERIOD, now, resolution=query.resolution)
    figure = coverage_figure(report_, hexes, view="minutes", show_demand=True, bounds=network.bounds, _=same)
    risk_rows(risk_hexes(report_, hexes), same)
    headline(report_, same)
    return pio.to_json(figure)
