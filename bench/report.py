"""Timing, the printed table and the JSON record shared by every benchmark."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    """Median wall time of ``repeats`` calls, and every sample."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def report(name: str, rows: list[dict], *, quick: bool, notes: list[str] = ()) -> Path:
    """Print ``rows`` (each with case, seconds, baseline, ratio, detail) and save them as JSON."""
    header = f"{'case':<44} {'median s':>10} {'baseline':<30} {'ratio':>7}  detail"
    print(f"\n== {name} ({'quick' if quick else 'full'}; {os.cpu_count()} cores, {platform.python_version()})")
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = f"{r['ratio']:.2f}" if r.get("ratio") is not None else ""
        print(f"{r['case']:<44} {r['seconds']:>10.4f} {r.get('baseline', ''):<30} {ratio:>7}  {r.get('detail', '')}")
    for note in notes:
        print(f"note: {note}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps({
        "benchmark": name, "quick": quick, "at": stamp, "cpus": os.cpu_count(),
        "python": platform.python_version(), "rows": rows, "notes": list(notes),
    }, indent=2), encoding="utf-8")
    print(f"written {path.relative_to(RESULTS_DIR.parent.parent)}")
    return path
