"""``python -m bench [--quick]``: run every benchmark and print one table per benchmark."""

from __future__ import annotations

import argparse

from bench import network_bench


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for a fast check")
    args = parser.parse_args()
    network_bench.run(quick=args.quick)


if __name__ == "__main__":
    main()
