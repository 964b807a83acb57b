"""``gasdispatch``: the command line for operators, scripts and ``make run``.

Every failure a person can fix (an unreachable database, a bad network file, a bad setting) ends
with one line saying what is wrong and what to do, and exit status 2; never a traceback wall.

``gasdispatch --help`` and a mistyped command answer at once (about 0.1 s): the settings, SQLAlchemy,
the services, the road network and the benchmarks (0.2 s to 2 s each) are imported inside the
command that needs them, each such import marked "deferred".
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ops.errors import ServiceError, english
from ops.permissions import SCOPES, SYSTEM_ACTOR, PermissionDenied
from ops.vocabulary import Role


class UserError(Exception):
    """A problem the operator can fix; printed as one message."""


def _settings():
    # deferred: pydantic-settings and the environment (0.2 s)
    from ops.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise UserError(f"invalid configuration: {problems}") from exc


def _load_area(settings):
    # deferred: numpy and the network (0.5 s)
    from data.service_area import ServiceAreaError, load_service_area

    try:
        return load_service_area(settings.network_source, settings.cache_dir / "network")
    except ServiceAreaError as exc:
        raise UserError(str(exc)) from exc


def cmd_migrate(args: argparse.Namespace) -> None:
    # deferred: SQLAlchemy and Alembic (0.7 s)
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
    # deferred: the demo scenario and SQLAlchemy (1.5 s)
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


def demo_feed_enabled(args: argparse.Namespace, environ: Mapping[str, str]) -> bool:
    """``--no-demo-feed`` or ``GASDISPATCH_DEMO_FEED=0`` (also ``false``/``no``/``off``) turn it off."""
    value = environ.get("GASDISPATCH_DEMO_FEED", "1").strip().lower()
    return not args.no_demo_feed and value not in ("0", "false", "no", "off")


def scheduler_command(args: argparse.Namespace, environ: Mapping[str, str], parent_pid: int) -> list[str] | None:
    """The ``gasdispatch scheduler`` that ``serve`` starts next to the web server (``None``: none).

    It exits with the server: it watches ``parent_pid`` (the server keeps this process's pid when
    it replaces itself with gunicorn), and Ctrl-C reaches it through the shared process group.
    """
    if args.no_scheduler:
        return None
    command = [sys.executable, "-m", "dashboard.cli", "scheduler", "--exit-with-parent", str(parent_pid)]
    if demo_feed_enabled(args, environ):
        command.append("--demo-feed")
    return command


def gunicorn_command(args: argparse.Namespace) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "dashboard.app:server",
        "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers), "--threads", "4",
        "--timeout", "120", "--no-control-socket", "--access-logfile", "-",
    ]


def cmd_serve(args: argparse.Namespace) -> None:
    """Start the one clock (``gasdispatch scheduler``, with the demo feed unless it is turned off),
    then replace this process with gunicorn.

    The scheduler stays a child of this pid, which gunicorn's master keeps, and it exits as soon as
    its parent is gone; Ctrl-C in the terminal reaches both through their shared process group.
    """
    # deferred: SQLAlchemy (0.7 s)
    from ops.db import check_database

    settings = _settings()
    ok, detail = check_database(settings.sqlalchemy_url)
    if not ok:
        raise UserError(detail)
    _load_area(settings)  # build the cache once here, before the workers start
    # deferred: Dash and Flask (2 s)
    from dashboard.app import UnsafeProductionError, refuse_unsafe_production

    try:
        refuse_unsafe_production(settings)
    except UnsafeProductionError as exc:
        raise UserError(str(exc)) from exc
    if args.no_demo_feed:
        os.environ["GASDISPATCH_DEMO_FEED"] = "0"
    url = f"http://{args.host}:{args.port}"
    print(f"\nGas Dispatch is serving on {url}\n")
    _print_logins(settings)
    scheduler = scheduler_command(args, os.environ, os.getpid())
    if scheduler is not None:
        feed = "with the demo feed" if "--demo-feed" in scheduler else "without the demo feed"
        print(f"Starting the scheduler (escalations, auto-dispatch) {feed}.\n")
        sys.stdout.flush()
        subprocess.Popen(scheduler)
    sys.stdout.flush()
    os.execv(sys.executable, gunicorn_command(args))


def _watch_parent(parent_pid: int, stop: threading.Event) -> None:
    """Set ``stop`` once ``parent_pid`` is gone (this process has been re-parented); checked every second."""

    def watch() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent_pid:
                print("scheduler: the server has stopped; stopping too", flush=True)
                stop.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _demo_feed(args: argparse.Namespace, area):
    """The demo feed's step for the scheduler's tick, or ``None`` without ``--demo-feed``."""
    if not args.demo_feed:
        return None
    # deferred: the demo and the optimizer (2 s)
    from data.demo.feed import DemoFeed, FeedConfig

    confirm = None if args.no_auto_confirm else timedelta(minutes=args.auto_confirm_after)
    try:
        config = FeedConfig(mean_interarrival=timedelta(minutes=args.mean_interarrival), auto_confirm_after=confirm)
    except ValueError as exc:
        raise UserError(f"demo feed: {exc}") from exc
    return DemoFeed(area, seed=args.feed_seed, config=config).step


def _plan_budgets(args: argparse.Namespace, settings) -> dict[str, float]:
    """The plan-in-force search budgets: the command line's, else the settings', else the scheduler's own."""
    budgets = {"plan_budget_s": args.plan_budget if args.plan_budget is not None else settings.plan_budget_s,
               "event_plan_budget_s": (args.event_plan_budget if args.event_plan_budget is not None
                                       else settings.event_plan_budget_s)}
    for name, value in budgets.items():
        if value is not None and not 0 < value <= 60:
            raise UserError(f"--{name.removesuffix('_s').replace('_', '-')}: {value:g} s is not between 0 and 60")
    return {k: v for k, v in budgets.items() if v is not None}


def cmd_scheduler(args: argparse.Namespace) -> None:
    """The one clock (R7.2-R7.4): tick every --interval seconds while holding the database lease.

    ``gasdispatch serve`` (and so ``make run``) starts one; in production it is the Procfile's
    ``clock:`` line. A second one started by mistake stays idle until the first one's lease expires,
    so nothing acts twice. ``--demo-feed`` adds the demo's simulated live work to each tick (on a
    seeded demo database only), under the same lease.
    """
    # deferred: SQLAlchemy and the optimizer (1.7 s)
    from ops.db import DatabaseUnavailable, make_engine, make_session_factory
    from ops.scheduler import run_forever, tick

    settings = _settings()
    budgets = _plan_budgets(args, settings)
    if args.check_interval < 0:
        raise UserError(f"--check-interval: {args.check_interval:g} s is negative (0 turns event replans off)")
    area = _load_area(settings)
    sessions = make_session_factory(make_engine(settings.sqlalchemy_url))
    holder = f"{socket.gethostname()}:{os.getpid()}"
    feed = _demo_feed(args, area)
    if args.once:
        try:
            report = tick(sessions, datetime.now(UTC), area.network, holder, feed=feed, replan_every_s=0,
                          **budgets)
        except DatabaseUnavailable as exc:
            raise UserError(str(exc)) from exc
        print("another process holds the scheduler lease" if report is None else report)
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if args.exit_with_parent is not None:
        _watch_parent(args.exit_with_parent, stop)
    with_feed = " with the demo feed" if feed is not None else ""
    print(f"scheduler {holder}: ticking every {args.interval:g} s{with_feed} (Ctrl-C to stop)", flush=True)
    run_forever(sessions, lambda: datetime.now(UTC), area.network, holder, interval_s=args.interval, stop=stop,
                feed=feed, check_s=args.check_interval or None, **budgets)


def _print_logins(settings) -> None:
    # deferred: the demo scenario (1.5 s)
    from data.demo import DEMO_PASSWORD, demo_logins

    logins = demo_logins(settings)
    if not logins:
        return
    print("Demo logins (local use only; every demo user's password is "
          f"{DEMO_PASSWORD!r}):")
    for username, roles in logins:
        print(f"  {username:<12} {', '.join(roles)}")
    print()


# -- accounts and API tokens (issue 3) -------------------------------------------------------------

#: How the services' field names read on this command line.
_CLI_FIELDS = {
    "username": "NAME", "display_name": "--display-name", "roles": "--role", "language": "--language",
    "crew_code": "--crew", "password": "password", "scopes": "--scope", "name": "--name",
    "user_id": "--user", "token_id": "ID", "expires_at": "--expires",
}


def _cli_actor():
    """The operator at the server's command line: the system role, named for the audit log (R13.1)."""
    try:
        who = getpass.getuser()
    except (OSError, KeyError):
        who = "unknown"
    return replace(SYSTEM_ACTOR, label=f"system (gasdispatch CLI, OS user {who})")


@contextlib.contextmanager
def _accounts_db() -> Iterator:
    """A session factory on the migrated database; account and permission errors become UserError."""
    # deferred: SQLAlchemy (0.7 s)
    from ops.db import DatabaseUnavailable, make_engine, make_session_factory, upgrade

    settings = _settings()
    try:
        upgrade(settings.sqlalchemy_url)
        engine = make_engine(settings.sqlalchemy_url)
    except DatabaseUnavailable as exc:
        raise UserError(str(exc)) from exc
    try:
        yield make_session_factory(engine)
    except PermissionDenied as exc:
        raise UserError(str(exc)) from exc
    except ServiceError as exc:
        raise UserError("; ".join(f"{_CLI_FIELDS.get(p.field, p.field)}: {english(p)}" if p.field else english(p)
                                  for p in exc.problems)) from exc
    except DatabaseUnavailable as exc:
        raise UserError(str(exc)) from exc
    finally:
        engine.dispose()


def _read_password(username: str) -> str:
    """The first line of standard input when it is not a terminal (scripts), else asked twice."""
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        line = stdin.readline() if stdin is not None else ""
        password = line.rstrip("\r\n")
        if not password:
            raise UserError("no password given: pipe it as the first line of standard input")
        return password
    first = getpass.getpass(f"password for {username}: ")
    if first != getpass.getpass("repeat the password: "):
        raise UserError("the two passwords differ; nothing was created")
    return first


def cmd_user_create(args: argparse.Namespace) -> None:
    # deferred: SQLAlchemy and the services (0.8 s)
    from ops import unit_of_work
    from ops.services.accounts import create_user

    username = args.name.strip().lower()
    if Role.CREW_MEMBER.value in args.role and not args.crew:
        raise UserError("a crew member must be linked to a crew: pass --crew CODE")
    password = _read_password(username)
    with _accounts_db() as factory:
        user = unit_of_work.run(factory, lambda session: create_user(
            session, _cli_actor(), username=username, display_name=args.display_name or args.name,
            roles=args.role, password=password, now=datetime.now(UTC), language=args.language,
            crew_code=args.crew,
        ))
    roles = ", ".join(sorted(r.value for r in user.role_set))
    print(f"user {user.username} created ({roles})")


def cmd_user_list(args: argparse.Namespace) -> None:
    # deferred: SQLAlchemy and the services (0.8 s)
    from ops.db import transaction
    from ops.services.accounts import list_users

    with _accounts_db() as factory, transaction(factory) as session:
        users = list_users(session)
        rows = [(u.id, u.username, "active" if u.active else "disabled",
                 ",".join(sorted(r.value for r in u.role_set)), u.display_name) for u in users]
    if not rows:
        print("no users")
        return
    for user_id, username, state, roles, display_name in rows:
        print(f"{user_id:>5}  {username:<20} {state:<8}  {roles:<30} {display_name}")


def _token_owner(session, username: str | None):
    # deferred: SQLAlchemy and the models (0.5 s)
    import sqlalchemy as sa

    from ops.models import User, UserRole

    if username:
        user = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
        if user is None:
            raise UserError(f"--user: no user named {username!r}")
        return user
    admins = list(session.scalars(
        sa.select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN, User.active.is_(True)).order_by(User.username)
    ))
    if len(admins) == 1:
        return admins[0]
    if not admins:
        raise UserError("there is no active admin user to own the token; pass --user USERNAME")
    names = ", ".join(a.username for a in admins)
    raise UserError(f"several active admins ({names}): pass --user USERNAME to say whose token it is")


def cmd_token_create(args: argparse.Namespace) -> None:
    # deferred: SQLAlchemy and the services (0.8 s)
    from ops import unit_of_work
    from ops.services.tokens import create_token

    expires_at = None
    if args.expires:
        try:
            expires_at = datetime.fromisoformat(args.expires)
        except ValueError:
            raise UserError(f"--expires: {args.expires!r} is not an ISO 8601 time") from None
        if expires_at.tzinfo is None:
            raise UserError("--expires must include a UTC offset, e.g. 2027-01-31T00:00:00+00:00")

    def create(session: Any) -> tuple[str, str]:
        owner = _token_owner(session, args.user)
        token, raw = create_token(
            session, _cli_actor(), user_id=owner.id, name=args.name, scopes=args.scope, crew_code=args.crew,
            now=datetime.now(UTC), expires_at=expires_at,
        )
        return (f"token #{token.id} {token.name!r} for {owner.username} "
                f"(scopes: {', '.join(token.scopes)}) created; it is shown only now, store it safely:"), raw

    with _accounts_db() as factory:
        summary, raw = unit_of_work.run(factory, create)
    # Only the token goes to standard output, so that TOKEN=$(gasdispatch token create ...) works.
    print(summary, file=sys.stderr)
    print(raw)


def cmd_token_revoke(args: argparse.Namespace) -> None:
    # deferred: SQLAlchemy and the services (0.8 s)
    from ops import unit_of_work
    from ops.services.tokens import revoke_token

    with _accounts_db() as factory:
        token = unit_of_work.run(factory, lambda session: revoke_token(session, _cli_actor(), args.id,
                                                                        now=datetime.now(UTC)))
    print(f"token #{args.id} {token.name!r} revoked")


def cmd_token_list(args: argparse.Namespace) -> None:
    # deferred: SQLAlchemy and the services (0.8 s)
    from ops.db import transaction
    from ops.models import User
    from ops.services.tokens import list_tokens

    now = datetime.now(UTC)
    with _accounts_db() as factory, transaction(factory) as session:
        owner = _token_owner(session, args.user) if args.user else None
        rows = []
        for t in list_tokens(session, owner.id if owner else None):
            user = session.get(User, t.user_id)
            state = ("revoked" if t.revoked_at else
                     "expired" if t.expires_at is not None and t.expires_at <= now else "active")
            used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never used"
            rows.append(f"{t.id:>5}  {t.prefix}…  {state:<7}  {user.username if user else '?':<16} "
                        f"{','.join(t.scopes):<28} {t.name}  ({used})")
    print("\n".join(rows) if rows else "no API tokens")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gasdispatch", description="Gas Dispatch operations and dispatch")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="serve the dashboard (gunicorn)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-demo-feed", action="store_true",
                   help="do not run the simulated live feed of the demo (crews moving, new reports); "
                        "GASDISPATCH_DEMO_FEED=0 does the same")
    p.add_argument("--no-scheduler", action="store_true",
                   help="do not start the scheduler (run 'gasdispatch scheduler' elsewhere)")
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

    p = sub.add_parser("scheduler", help="run the escalation clock (R7.2-R7.4, auto-dispatch); one per deployment")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between ticks (default 5)")
    p.add_argument("--once", action="store_true", help="run one tick and exit")
    p.add_argument("--check-interval", type=float, default=1.0,
                   help="seconds between looks for replan requests left by events (default 1; 0: timer only)")
    p.add_argument("--plan-budget", type=float, default=None,
                   help="seconds the once-a-minute plan may search (default GASDISPATCH_PLAN_BUDGET_S, else 2)")
    p.add_argument("--event-plan-budget", type=float, default=None,
                   help="seconds a plan asked for by an event may search "
                        "(default GASDISPATCH_EVENT_PLAN_BUDGET_S, else 1.5)")
    p.add_argument("--demo-feed", action="store_true",
                   help="also run the demo's simulated live work (seeded demo databases only; never in production)")
    p.add_argument("--feed-seed", type=int, default=7, help="random seed of the demo feed (default 7)")
    p.add_argument("--mean-interarrival", type=float, default=3.0,
                   help="demo feed: mean minutes between new reports (default 3)")
    p.add_argument("--auto-confirm-after", type=float, default=4.0,
                   help="demo feed: minutes a class-2/3 ticket waits before the demo supervisor confirms it")
    p.add_argument("--no-auto-confirm", action="store_true",
                   help="demo feed: leave class-2/3 tickets for a person to confirm")
    p.add_argument("--exit-with-parent", type=int, metavar="PID", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_scheduler)

    _add_account_commands(sub)
    _add_bench_commands(sub)
    return parser


def _import_bench():
    """Import the ``bench`` package, which lives in the repository but is not installed."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    # deferred: importable only once the repository is on sys.path (above)
    import bench

    return bench


def cmd_bench_solomon(args: argparse.Namespace) -> None:
    _import_bench()
    # deferred: needs _import_bench(), and the optimizer (1 s)
    from bench import solomon

    directory = args.dir or solomon.DEFAULT_DIR
    if not solomon.instances_dir(directory).is_dir():
        raise UserError(f"no Solomon instances under {directory}: pass --dir with a folder of *.txt files")
    names = [x.strip() for x in (args.instances or "").split(",") if x.strip()] or None
    available = set(solomon.list_instances(directory))
    missing = [x for x in names or [] if x not in available]
    if missing:
        raise UserError(f"unknown instance(s) {', '.join(missing)} in {solomon.instances_dir(directory)}")
    solomon.run(names, args.seconds, args.json, directory)


def cmd_bench_dispatch(args: argparse.Namespace) -> None:
    _import_bench()
    # deferred: needs _import_bench(), and the optimizer and the demo (2 s)
    from bench import dispatch_bench

    if args.snapshots < 1:
        raise UserError("--snapshots must be at least 1")
    dispatch_bench.run(args.snapshots, args.json, quick=args.quick)


def _add_bench_commands(sub) -> None:
    """``gasdispatch bench <name>``: one sub-command per benchmark (add ``dispatch`` alongside)."""
    bench = sub.add_parser("bench", help="optimizer benchmarks").add_subparsers(
        dest="bench_command", required=True)
    p = bench.add_parser("solomon", help="Solomon VRPTW: our model (ILS) vs plain OR-Tools (PCI+GLS)")
    p.add_argument("--dir", type=Path, default=None,
                   help="folder of Solomon-format instances (default: ../shared/benchmarks/solomon)")
    p.add_argument("--instances", help="comma-separated instance names, e.g. C101,R101 (default: all)")
    p.add_argument("--seconds", type=float, default=10.0, help="time limit per instance and solver")
    p.add_argument("--json", type=Path, default=None, help="where to write the JSON (default: bench/results/)")
    p.set_defaults(func=cmd_bench_solomon)
    p = bench.add_parser("dispatch", help="dispatch snapshots on Coquimbo: optimizer vs greedy, latency")
    p.add_argument("--snapshots", type=int, default=20, help="how many seeded snapshots (60 crews x 300 tickets)")
    p.add_argument("--quick", action="store_true", help="skip the 60 s reference plans")
    p.add_argument("--json", type=Path, default=None, help="where to write the JSON (default: bench/results/)")
    p.set_defaults(func=cmd_bench_dispatch)


def _add_account_commands(sub) -> None:
    people = [r.value for r in Role if r is not Role.SYSTEM]
    user = sub.add_parser("user", help="user accounts").add_subparsers(dest="user_command", required=True)
    p = user.add_parser("create", help="create a user; the password is read from standard input or asked for")
    p.add_argument("name", help="the login name (lower-case letters, digits, '.', '_', '-')")
    p.add_argument("--role", action="append", required=True,
                   help=f"repeat for several roles: {', '.join(people)}")
    p.add_argument("--display-name", help="the name shown in the audit log (default: NAME)")
    p.add_argument("--language", default="zh_CN", help="zh_CN (default) or en")
    p.add_argument("--crew", help="the crew code a crew_member belongs to")
    p.set_defaults(func=cmd_user_create)
    p = user.add_parser("list", help="list user accounts")
    p.set_defaults(func=cmd_user_list)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    p = token.add_parser("create", help="create an API token; prints it once, alone on standard output")
    p.add_argument("--name", required=True, help="what uses the token, e.g. 'GPS gateway crew C01'")
    p.add_argument("--scope", action="append", required=True,
                   help=f"repeat for several scopes ({', '.join(SCOPES)}); never more than the user may do")
    p.add_argument("--user", help="the token's user (default: the only active admin)")
    p.add_argument("--crew", help="the crew code, for the crew scope")
    p.add_argument("--expires", help="expiry time, ISO 8601 with offset (default: never)")
    p.set_defaults(func=cmd_token_create)
    p = token.add_parser("revoke", help="revoke an API token")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_token_revoke)
    p = token.add_parser("list", help="list API tokens")
    p.add_argument("--user", help="only this user's tokens")
    p.set_defaults(func=cmd_token_list)


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
