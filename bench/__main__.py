"""``python -m bench [network|solomon|dispatch|board|replan|slots|coverage|covering] [--quick]``: run benchmarks, one table each.

Without a name every benchmark runs. Solomon: ``--quick`` runs one instance per family at 2 s (about
30 s); the full run does all 56 instances at 10 s for both solvers, 2 x 56 x 10 s ≈ 19 minutes on
one core. Dispatch: --quick runs 3 snapshots without the 60 s reference plans; the full run does 20
snapshots with them (about 25 minutes). Board: --quick builds 10,000 history tickets and makes 10
calls per callback (about 2 minutes); the full run builds 100,000 and makes 50 (about 5 minutes).
Replan: --quick saves 5 class-1 reports with event replans and 2 with the timer-only baseline (about
3 minutes, most of it the baseline waiting for its once-a-minute replan); the full run 20 and 5 (about 8). Slots:
grading one caller's 5 days x 6 appointment slots at 60 crews and 500 open tickets (about 2 minutes).
Coverage: the heatmap and the what-if of each of 60 crews at H3 resolution 9, with a naive baseline, and
the coverage reader on the demo grown to 60 crews (--quick times the baseline on 10 crews; about 1 minute).
Covering: MCLP and MEXCLP with 500 candidates and 60 crews on Coquimbo, greedy baseline (about a minute).
"""

from __future__ import annotations

import argparse

from bench import (
    board_bench,
    coverage_bench,
    covering_bench,
    dispatch_bench,
    network_bench,
    replan_bench,
    slots_bench,
    solomon,
)

NAMES = ("network", "solomon", "dispatch", "board", "replan", "slots", "coverage", "covering")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    # No argparse ``choices`` here: with nargs="*" Python 3.11 refuses the empty default as a choice.
    parser.add_argument("names", nargs="*", metavar="name",
                        help=f"which benchmarks to run ({', '.join(NAMES)}); all when none is named")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for a fast check")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in NAMES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    names = args.names or NAMES
    if "network" in names:
        network_bench.run(quick=args.quick)
    if "solomon" in names:
        if args.quick:
            solomon.run(solomon.QUICK_INSTANCES, 2.0, quick=True)
        else:
            solomon.run(None, 10.0)
    if "dispatch" in names:
        if args.quick:
            dispatch_bench.run(3, None, quick=True)
        else:
            dispatch_bench.run(20, None, quick=False)
    if "board" in names:
        board_bench.run(quick=args.quick)
    if "replan" in names:
        replan_bench.run(quick=args.quick)
    if "slots" in names:
        slots_bench.run(quick=args.quick)
    if "coverage" in names:
        coverage_bench.run(quick=args.quick)
    if "covering" in names:
        covering_bench.run(quick=args.quick)


if __name__ == "__main__":
    main()
