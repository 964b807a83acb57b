"""``python -m bench [--quick]``: run every benchmark and print one table per benchmark.

Solomon: ``--quick`` runs one instance per family at 2 s (about 30 s); the full run does all 56
instances at 10 s for both solvers, 2 x 56 x 10 s ≈ 19 minutes on one core. Dispatch: --quick runs 3
snapshots without the 60 s reference plans; the full run does 20 snapshots with them (about 25 minutes).
"""

from __future__ import annotations

import argparse

from bench import dispatch_bench, network_bench, solomon


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for a fast check")
    args = parser.parse_args()
    network_bench.run(quick=args.quick)
    if args.quick:
        solomon.run(solomon.QUICK_INSTANCES, 2.0, quick=True)
        dispatch_bench.run(3, None, quick=True)
    else:
        solomon.run(None, 10.0)
        dispatch_bench.run(20, None, quick=False)


if __name__ == "__main__":
    main()
