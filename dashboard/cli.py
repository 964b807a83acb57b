"""``gasdispatch``: the command line for operators, scripts and ``make run``.

Every failure a person can fix (an unreachable database, a bad network file, a bad setting) ends
with one line saying what is wrong and what to do, and exit status 2; never a traceback wall.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import ValidationError


class UserError(Exception):
    """A problem the operator can fix; printed as one message."""


def _settings():
    from ops.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise UserError(f"invalid configuration: {problems}") from exc


def _load_area(settings):
    from data.service_area import ServiceAreaError, load_service_area

    try:
        return load_service_area(settings.network_source, settings.cache_dir / "network")
    except ServiceAreaError as exc:
        raise UserError(str(exc)) from exc


def cmd_migrate(args: argparse.Namespace) -> None:
    from ops.db import DatabaseUnavailable, mask_url, upgrade

    settings = _settings()
    try:
        upgrade(settings.sqlalchemy_url)
    except DatabaseUnavailable as exc:
        raise UserError(str(exc)) from exc
    print(f"database at {mask_url(settings.sqlalchemy_url)} is up to date")


def cmd_network(args: argparse.Namespace) -> None:
    area = _load_area(_settings())
    net = area.network
    print(f"{area.name}: {net.n_nodes} nodes, {net.n_arcs} arcs, {len(area.districts['features'])} "
          f"districts, population {area.population}; cache {area.cache_path}")


def cmd_demo(args: argparse.Namespace) -> None:
    from data.demo import DemoError, seed_demo
    from ops.db import DatabaseUnavailable

    settings = _settings()
    area = _load_area(settings)
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    if now.tzinfo is None:
        raise UserError("--now must include a UTC offset, e.g. 2026-11-26T12:00:00+00:00")
    try:
        summary = seed_demo(settings, area, seed=args.seed, now=now, reset=args.reset, if_empty=args.if_empty)
    except (DemoError, DatabaseUnavailable) as exc:
        raise UserError(str(exc)) from exc
    print(summary)


def cmd_serve(args: argparse.Namespace) -> None:
    from ops.db import check_database

    settings = _settings()
    ok, detail = check_database(settings.sqlalchemy_url)
    if not ok:
        raise UserError(detail)
    _load_area(settings)  # build the cache once here, before the workers start
    if args.no_demo_feed:
        os.environ["GASDISPATCH_DEMO_FEED"] = "0"
    url = f"http://{args.host}:{args.port}"
    print(f"\nGas Dispatch is serving on {url}\n")
    _print_logins(settings)
    sys.stdout.flush()
    gunicorn = [
        sys.executable, "-m", "gunicorn", "dashboard.app:server",
        "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers), "--threads", "4",
        "--timeout", "120", "--no-control-socket", "--access-logfile", "-",
    ]
    os.execv(sys.executable, gunicorn)


def _print_logins(settings) -> None:
    from data.demo import DEMO_PASSWORD, demo_logins

    logins = demo_logins(settings)
    if not logins:
        return
    print("Demo logins (local use only; every demo user's password is "
          f"{DEMO_PASSWORD!r}):")
    for username, roles in logins:
        print(f"  {username:<12} {', '.join(roles)}")
    print()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gasdispatch", description="Gas Dispatch operations and dispatch")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="serve the dashboard (gunicorn)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-demo-feed", action="store_true",
                   help="do not run the simulated live feed of the demo (crews moving, new reports)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="create or upgrade the database schema")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("network", help="build (or read from cache) the road network and describe it")
    p.set_defaults(func=cmd_network)

    p = sub.add_parser("demo", help="seed the demo scenario")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--reset", action="store_true", help="delete existing demo data first")
    p.add_argument("--if-empty", action="store_true", help="do nothing when the database already has data")
    p.add_argument("--now", help="the scenario's present moment (ISO 8601 with offset); default: now")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except UserError as exc:
        print(f"gasdispatch: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
