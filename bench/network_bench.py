"""Road network: build time, cache load, snapping and the crews × tickets travel-time matrix.

Baselines measured in the same run:
- building the network is compared with only reading the raw layers (the I/O floor);
- loading the cache is compared with building from scratch;
- the 60 × 500 matrix is compared with running Dijkstra from the 500 tickets' side on the
  forward graph (what a naive implementation does), which shows what searching from the smaller
  side buys;
- a matrix at the 08:00 peak is compared with the free-flow one (same work, other weights).
"""

from __future__ import annotations

import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
from scipy.sparse import csgraph

from bench.report import report, timed
from data.coquimbo import DATABASE_NAME, build_coquimbo, coquimbo_zip, load_coquimbo


def run(*, quick: bool = False) -> None:
    import geopandas as gpd

    repeats = 3 if quick else 7
    zip_path = coquimbo_zip()
    rows = []

    def read_layers():
        with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(zip_path) as archive:
            member = next(n for n in archive.namelist() if n.endswith(DATABASE_NAME))
            db = archive.extract(member, tmp)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                gpd.read_file(db, layer="links")
                gpd.read_file(db, layer="nodes", columns=["node_id"])
                gpd.read_file(db, layer="zones")

    read_s, _ = timed(read_layers, max(1, repeats // 2))
    build_s, _ = timed(lambda: build_coquimbo(zip_path), max(1, repeats // 2))
    area = build_coquimbo(zip_path)
    net = area.network
    rows.append({"case": "read raw Coquimbo layers (I/O floor)", "seconds": read_s, "baseline": "", "ratio": None,
                 "detail": "links, nodes, zones"})
    rows.append({"case": "build network + districts + map layers", "seconds": build_s,
                 "baseline": "read raw layers", "ratio": build_s / read_s,
                 "detail": f"{net.n_nodes} nodes, {net.n_arcs} arcs (largest SCC)"})

    with tempfile.TemporaryDirectory() as tmp:
        load_coquimbo(Path(tmp))  # first call builds and writes the cache
        load_s, _ = timed(lambda: load_coquimbo(Path(tmp)), repeats)
    rows.append({"case": "load from disk cache", "seconds": load_s, "baseline": "build from source",
                 "ratio": load_s / build_s, "detail": "what every start after the first pays"})

    rng = np.random.default_rng(42)
    crews = rng.integers(0, net.n_nodes, 60)
    tickets = rng.integers(0, net.n_nodes, 500)
    lon = net.lon[tickets] + rng.normal(0, 0.0005, 500)
    lat = net.lat[tickets] + rng.normal(0, 0.0005, 500)
    snap_s, _ = timed(lambda: net.snap(lon, lat), repeats)
    rows.append({"case": "snap 500 points (KD-tree)", "seconds": snap_s, "baseline": "", "ratio": None,
                 "detail": "median of calls; the KD-tree is built on the first"})

    matrix_s, _ = timed(lambda: net.travel_times(crews, tickets), repeats)
    naive_s, _ = timed(lambda: csgraph.dijkstra(net.graph.T.tocsr(), indices=np.unique(tickets)), repeats)
    rows.append({"case": "matrix 60 crews x 500 tickets (free flow)", "seconds": matrix_s,
                 "baseline": "Dijkstra from 500 tickets", "ratio": matrix_s / naive_s,
                 "detail": "searches from the smaller side"})
    net.graph_at(8)  # build the hourly graph once, as a long-running server would
    peak_s, _ = timed(lambda: net.travel_times(crews, tickets, hour=8), repeats)
    rows.append({"case": "matrix 60 x 500 at 08:00 peak", "seconds": peak_s, "baseline": "free-flow matrix",
                 "ratio": peak_s / matrix_s, "detail": "hourly speed factors"})
    m = net.travel_times(crews, tickets)
    rows.append({"case": "  (matrix content)", "seconds": 0.0, "baseline": "", "ratio": None,
                 "detail": f"median {np.median(m) / 60:.1f} min, max {m.max() / 60:.1f} min, all finite: {bool(np.isfinite(m).all())}"})
    report("network", rows, quick=quick)
