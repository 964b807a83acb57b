"""Replan on events: from a saved class 1 to the new plan in force (target ≤ 3 s) and to the board (≤ 5 s).

The database is the board benchmark's (:mod:`bench.board_data`: the demo grown to 500 open tickets
and 60 crews on shift; no history, which a plan does not read), on SQLite in a temporary folder or
at ``TEST_DATABASE_URL`` / ``--database-url``. In one child process (Dash binds its callbacks to the
first app a process builds) three things run against it at once, as in a deployment:

- the scheduler's own loop, :func:`ops.scheduler.run_forever`, in a thread, with the production
  defaults: a tick every 5 s, a look for replan requests every second, the event plan budget; its
  clock is the wall clock, counted from the scenario's present;
- a board driver thread that posts the dispatch page's callbacks through the real app (``create_app``,
  a supervisor logged in through the login form), as the browser's timers would: the plan-version poll
  every ``PLAN_POLL_MS`` and, when it answers with a new version, the board's refresh;
- the events: a class-1 report saved through the intake service every 2–5 s (random gaps, so that
  events fall at every phase of the scheduler's loop).

Per event: the time from the intake's commit until a plan in force that was read after it is stored
(the database is polled every 10 ms), and until the board driver's refresh that follows that plan has
returned (the browser's drawing is not counted: the board benchmark measures it).

Baseline, in the same run and on the same database: the scheduler as it was before (the once-a-minute
replan only: ``check_s=None``) and the board's 15-s refresh, for fewer events because each one waits
up to a minute for the timer.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.board_bench import CSRF, LOGIN_USER, _outputs, _percentiles
from bench.board_data import BoardSize, build_board
from bench.report import report

SIZE = BoardSize(open_tickets=500, crews=60, history=0)
TARGET_PLAN_S = 3.0
TARGET_BOARD_S = 5.0
#: Seconds between two events (uniform): several of the scheduler's 1-s checks and 5-s ticks apart.
GAP_S = (2.0, 5.0)
#: How long an event may wait for its plan (and its board refresh) before it counts as missed.
EVENT_TIMEOUT_S = 30.0
BASELINE_TIMEOUT_S = 90.0
HOLDER = "replan-bench"


# --------------------------------------------------------------------------------------------
# The board, driven as the browser's timers would drive it
# --------------------------------------------------------------------------------------------


def board_page() -> Any:
    """The dispatch page's module as the app loaded it (Dash's page registry names it)."""
    import sys

    import dash

    return sys.modules[next(p["module"] for p in dash.page_registry.values() if p["path"] == "/")]


class BoardDriver(threading.Thread):
    """Posts the page's callbacks on the browser's schedule; records each refresh and the plan it followed.

    ``poll=True``: the plan-version poll every ``PLAN_POLL_MS``, then the refresh when it answers with a
    new version (this issue). ``poll=False``: the refresh every ``REFRESH_MS`` (the baseline), with the
    plan version read just before it.
    """

    def __init__(self, app: Any, read_sessions: Any, password: str, *, poll: bool) -> None:
        super().__init__(daemon=True)
        self.app, self.read_sessions, self.password, self.poll = app, read_sessions, password, poll
        self.stop = threading.Event()
        self.refreshed: list[tuple[float, int | None]] = []  # (perf_counter when it returned, plan version)
        self.poll_s: list[float] = []      # the poll's server round trip when nothing changed
        self.refresh_s: list[float] = []   # the refresh's round trip
        self.lock = threading.Lock()
        self.error: BaseException | None = None

    def _key(self, *outputs: str) -> str:
        return next(k for k in self.app.callback_map if all(o in k for o in outputs))

    def _body(self, key: str, inputs: list[dict], state: list[dict]) -> dict:
        outs = _outputs(key)
        return {"output": key, "outputs": outs if key.startswith("..") else outs[0], "inputs": inputs,
                "state": state, "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}

    def _version(self) -> int | None:
        from ops.plan_in_force import plan_version

        with self.read_sessions() as db:
            return plan_version(db)

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the caller: a silent dead thread would read as "slow"
            self.error = exc

    def _run(self) -> None:
        dispatch = board_page()
        client = self.app.server.test_client()
        page = client.get("/login").get_data(as_text=True)
        response = client.post("/login", data={"username": LOGIN_USER, "password": self.password,
                                               "csrf": CSRF.search(page).group(1), "next": "/"})
        if response.status_code not in (200, 302):
            raise RuntimeError(f"login as {LOGIN_USER} failed: {response.status_code}")
        poll_key = self._key("plan-version.data")
        refresh_key = self._key("dispatch-map.figure", "open-tickets-grid.rowData")
        period = (dispatch.PLAN_POLL_MS if self.poll else dispatch.REFRESH_MS) / 1000
        seen, changed, n = self._version(), 0, 0  # the layout's version, as the page was loaded
        next_at = time.perf_counter()
        while not self.stop.is_set():
            next_at += period
            if self.stop.wait(max(0.0, next_at - time.perf_counter())):
                break
            n += 1
            version = seen
            if self.poll:
                start = time.perf_counter()
                answer = client.post("/_dash-update-component", json=self._body(
                    poll_key, [{"id": "plan-version-poll", "property": "n_intervals", "value": n}],
                    [{"id": "plan-version", "property": "data", "value": seen},
                     {"id": "dispatch-changed", "property": "data", "value": changed}]))
                if answer.status_code == 204:
                    self.poll_s.append(time.perf_counter() - start)
                    continue
                if answer.status_code != 200:
                    raise RuntimeError(f"plan-version poll: {answer.status_code}")
                version = answer.get_json()["response"]["plan-version"]["data"]
                changed += 1
            else:
                version = self._version()
            start = time.perf_counter()
            answer = client.post("/_dash-update-component", json=self._body(
                refresh_key, [{"id": "dispatch-refresh", "property": "n_intervals", "value": n},
                              {"id": "dispatch-changed", "property": "data", "value": changed}], []))
            if answer.status_code != 200:
                raise RuntimeError(f"board refresh: {answer.status_code}")
            done = time.perf_counter()
            self.refresh_s.append(done - start)
            seen = version
            with self.lock:
                self.refreshed.append((done, version))

    def refreshed_with(self, version: int, timeout_s: float) -> float | None:
        """When the first refresh that followed plan ``version`` (or a newer one) returned."""
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            if self.error is not None:
                raise RuntimeError("the board driver failed") from self.error
            with self.lock:
                hit = next((t for t, v in self.refreshed if v is not None and v >= version), None)
            if hit is not None:
                return hit
            time.sleep(0.01)
        return None


# --------------------------------------------------------------------------------------------
# One mode (events or timer only), in the child process
# --------------------------------------------------------------------------------------------


def _class1(i: int, lon: float, lat: float, now: datetime) -> Any:
    from ops.services.intake import ReportIn

    return ReportIn(channel="hotline", reporter_name="Bench caller", phone="+56 51 255 0199",
                    address=f"Benchmark report {i}", symptom="fire", started_at=now - timedelta(minutes=5),
                    lon=lon, lat=lat, odour=True, noise=False, people_on_site=True, ventilated=False,
                    valve_closed=False)


def _plan_after(read_sessions: Any, after: datetime, timeout_s: float) -> tuple[float, Any] | None:
    """Poll for the first plan whose state was read at or after ``after``: (when seen, the row)."""
    import sqlalchemy as sa

    from ops.models import PlanInForce

    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        with read_sessions() as db:
            row = db.execute(sa.select(PlanInForce.id, PlanInForce.source, PlanInForce.used_fallback)
                             .where(PlanInForce.created_at >= after).order_by(PlanInForce.id).limit(1)).first()
        if row is not None:
            return time.perf_counter(), row
        time.sleep(0.01)
    return None


def run_mode(app: Any, area: Any, clock: Any, n_events: int, *, events: bool, seed: int, password: str) -> dict:
    """Run the scheduler and the board in ``events`` mode or timer-only, save ``n_events`` class 1s, time each."""
    import sqlalchemy as sa

    from data.area_locator import AreaLocator
    from ops import unit_of_work
    from ops.db import make_session_factory
    from ops.models import Ticket
    from ops.permissions import Actor
    from ops.scheduler import REQUEST_CHECK_S, run_forever
    from ops.services.intake import create_ticket
    from ops.vocabulary import Role, TicketStatus

    ctx = app.server.extensions["gasdispatch"]
    sessions = ctx.sessions
    read_sessions = make_session_factory(sessions.kw["bind"], read_only=True)
    locator = AreaLocator(area)
    agent = Actor(user_id=None, label="benchmark hotline agent", roles=frozenset({Role.HOTLINE_AGENT}))
    with read_sessions() as db:  # real places: where open tickets are
        places = db.execute(sa.select(Ticket.lon, Ticket.lat).where(Ticket.status == TicketStatus.NEW)).all()
    rng = random.Random(seed)
    stop = threading.Event()
    scheduler = threading.Thread(target=run_forever, args=(sessions, clock, area.network, HOLDER), daemon=True,
                                 kwargs={"interval_s": 5.0, "stop": stop,
                                         "check_s": REQUEST_CHECK_S if events else None})
    board = BoardDriver(app, read_sessions, password, poll=events)
    scheduler.start()
    board.start()
    samples: list[dict] = []
    try:
        first = _plan_after(read_sessions, datetime.min.replace(tzinfo=UTC), 120)  # the first tick's plan
        if first is None:
            raise RuntimeError("the scheduler stored no plan in 2 minutes")
        timeout = EVENT_TIMEOUT_S if events else BASELINE_TIMEOUT_S
        for i in range(n_events):
            time.sleep(rng.uniform(*GAP_S))
            lon, lat = rng.choice(places)
            unit_of_work.run(sessions, lambda db, i=i, lon=lon, lat=lat: create_ticket(
                db, agent, _class1(i, lon, lat, clock()), now=clock(), locator=locator))
            saved_at, saved_clock = time.perf_counter(), clock()
            found = _plan_after(read_sessions, saved_clock, timeout)
            if found is None:
                samples.append({"plan_s": None, "board_s": None})
                continue
            seen_at, row = found
            board_at = board.refreshed_with(row.id, timeout)
            samples.append({"plan_s": seen_at - saved_at, "board_s": None if board_at is None else board_at - saved_at,
                            "plan_id": row.id, "source": row.source, "greedy_fallback": bool(row.used_fallback)})
    finally:
        stop.set()
        board.stop.set()
        scheduler.join(60)
        board.join(60)
    if board.error is not None:
        raise RuntimeError("the board driver failed") from board.error
    return {"events": samples, "poll_s": board.poll_s, "refresh_s": board.refresh_s}


def measure(url: str, var_dir: str, now: datetime, n_events: int, n_baseline: int, cache_root: str,
            seed: int) -> dict:
    """In the child: build the app on the database at ``url`` and run both modes (events first)."""
    import logging

    from dashboard.app import create_app
    from data.coquimbo import load_coquimbo
    from data.demo import DEMO_PASSWORD
    from ops.settings import Settings

    logging.getLogger("ops.scheduler").setLevel(logging.WARNING)
    settings = Settings(var_dir=Path(var_dir), database_url="" if url.startswith("sqlite") else url)
    area = load_coquimbo(Path(cache_root))
    app = create_app(settings, service_area=area)
    start = time.perf_counter()

    def clock() -> datetime:  # the wall clock, counted from the scenario's present
        return now + timedelta(seconds=time.perf_counter() - start)

    app.server.extensions["gasdispatch"].clock = clock
    page = board_page()
    result: dict[str, Any] = {"board": {"plan_poll_ms": page.PLAN_POLL_MS, "refresh_ms": page.REFRESH_MS}}
    result["events"] = run_mode(app, area, clock, n_events, events=True, seed=seed, password=DEMO_PASSWORD)
    if n_baseline:
        result["baseline"] = run_mode(app, area, clock, n_baseline, events=False, seed=seed + 1,
                                      password=DEMO_PASSWORD)
    return result


def _measure_in_child(*args: Any) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(measure, args)


# --------------------------------------------------------------------------------------------
# The run and the table
# --------------------------------------------------------------------------------------------


def run(*, quick: bool = False, size: BoardSize = SIZE, events: int | None = None, baseline: int | None = None,
        database_url: str | None = None, json_path: Path | None = None, cache_root: Path | None = None,
        seed: int = 7) -> dict:
    """Build, measure both modes, print the table and write the JSON; returns the JSON payload."""
    from data.coquimbo import load_coquimbo
    from ops.db import downgrade
    from ops.scheduler import DEBOUNCE_S, EVENT_PLAN_BUDGET_S, PLAN_BUDGET_S, REQUEST_CHECK_S
    from ops.settings import Settings, get_settings

    events = events if events is not None else (5 if quick else 20)
    baseline = baseline if baseline is not None else (2 if quick else 5)
    if database_url is None:  # "" means SQLite even where TEST_DATABASE_URL is set (the smoke test)
        database_url = os.environ.get("TEST_DATABASE_URL", "")
    database_url = database_url or None
    cache_root = cache_root or get_settings().cache_dir / "network"
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="replan-bench-") as tmp:
        settings = Settings(var_dir=Path(tmp), database_url=database_url or "")
        if database_url:
            downgrade(settings.sqlalchemy_url, "base")  # the benchmark owns the database it was given
        area = load_coquimbo(cache_root)
        counts = build_board(settings, area, size, now=now)
        print(f"replan: board built: {counts}", flush=True)
        measured = _measure_in_child(settings.sqlalchemy_url, tmp, now, events, baseline, str(cache_root), seed)
    config = {"request_check_s": REQUEST_CHECK_S, "debounce_s": DEBOUNCE_S, "event_plan_budget_s": EVENT_PLAN_BUDGET_S,
              "plan_budget_s": PLAN_BUDGET_S, **measured["board"]}
    rows, notes, verdict = _rows(measured, counts, config)
    path = report("replan", rows, quick=quick, notes=notes)
    payload = {"benchmark": "replan", "quick": quick, "database": "postgresql" if database_url else "sqlite",
               "counts": counts, "config": config, "targets": {"plan_s": TARGET_PLAN_S, "board_s": TARGET_BOARD_S},
               "measured": measured, "rows": rows, "notes": notes, **verdict}
    text = json.dumps(payload, indent=2, default=str)
    path.write_text(text, encoding="utf-8")
    if json_path is not None:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(text, encoding="utf-8")
    return payload


def _stats(values: list[float | None]) -> dict | None:
    got = [v for v in values if v is not None]
    return {**_percentiles(got), "missed": len(values) - len(got)} if got else None


def _detail(s: dict | None, target: float | None = None) -> str:
    if s is None:
        return "no sample"
    text = f"p50 {s['p50']:.2f} s, max {s['max']:.2f} s, n {s['n']}"
    if s["missed"]:
        text += f", {s['missed']} missed"
    if target is not None:
        ok = s["p95"] <= target and not s["missed"]
        text += f"; target {target:g} s: {'ok' if ok else 'OVER'}"
    return text


def _rows(measured: dict, counts: dict, config: dict) -> tuple[list[dict], list[str], dict]:
    ev, base = measured["events"], measured.get("baseline")
    plan = _stats([e["plan_s"] for e in ev["events"]])
    board = _stats([e["board_s"] for e in ev["events"]])
    base_plan = _stats([e["plan_s"] for e in base["events"]]) if base else None
    base_board = _stats([e["board_s"] for e in base["events"]]) if base else None

    def ratio(a: dict | None, b: dict | None) -> float | None:
        return a["p95"] / b["p95"] if a and b and b["p95"] else None

    rows = [
        {"case": "event → plan in force p95", "seconds": plan["p95"] if plan else float("nan"),
         "baseline": "timer only (before)" if base_plan else "", "ratio": ratio(plan, base_plan),
         "detail": _detail(plan, TARGET_PLAN_S), "stats": plan, "baseline_stats": base_plan},
        {"case": "event → board refreshed p95", "seconds": board["p95"] if board else float("nan"),
         "baseline": "15-s refresh (before)" if base_board else "", "ratio": ratio(board, base_board),
         "detail": _detail(board, TARGET_BOARD_S), "stats": board, "baseline_stats": base_board},
    ]
    if base_plan:
        rows.append({"case": "baseline: event → plan in force p95", "seconds": base_plan["p95"], "baseline": "",
                     "ratio": None, "detail": _detail(base_plan) + "; the once-a-minute replan only"})
    if base_board:
        rows.append({"case": "baseline: event → board refreshed p95", "seconds": base_board["p95"], "baseline": "",
                     "ratio": None, "detail": _detail(base_board) + "; the 15-s refresh only"})
    poll = _percentiles(ev["poll_s"]) if ev["poll_s"] else None
    refresh = _percentiles(ev["refresh_s"]) if ev["refresh_s"] else None
    if poll:
        rows.append({"case": "plan-version poll (no change) p95", "seconds": poll["p95"], "baseline": "",
                     "ratio": None, "detail": f"p50 {poll['p50'] * 1000:.0f} ms, n {poll['n']}; "
                                              f"every {config['plan_poll_ms']} ms per open board"})
    if refresh:
        rows.append({"case": "board refresh on a new plan p95", "seconds": refresh["p95"], "baseline": "",
                     "ratio": None, "detail": f"p50 {refresh['p50'] * 1000:.0f} ms, n {refresh['n']}"})
    answered = [e for e in ev["events"] if e.get("source")]
    by_source: dict[str, int] = {}
    for e in answered:
        by_source[e["source"]] = by_source.get(e["source"], 0) + 1
    notes = [
        f"size: {counts}",
        "scheduler: tick every 5 s, requests checked every {request_check_s:g} s, debounce {debounce_s:g} s, "
        "event budget {event_plan_budget_s:g} s, periodic budget {plan_budget_s:g} s; board: poll every "
        "{plan_poll_ms} ms, refresh every {refresh_ms} ms".format(**config),
        "events answered by: " + (", ".join(f"{k} x{v}" for k, v in sorted(by_source.items())) or "none")
        + f"; greedy fallback in {sum(e['greedy_fallback'] for e in answered)} of {len(answered)}",
        "board time = until the refresh after the new plan returned (server side; drawing not counted)",
    ]
    verdict = {"meets_target": bool(plan and board and not plan["missed"] and not board["missed"]
                                    and plan["p95"] <= TARGET_PLAN_S and board["p95"] <= TARGET_BOARD_S)}
    return rows, notes, verdict


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replan_bench")
    parser.add_argument("--quick", action="store_true", help="5 events and 2 timer-only baseline events")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--baseline", type=int, default=None, help="timer-only events (0: none)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (its schema is dropped and rebuilt)")
    parser.add_argument("--json", type=Path, default=None)
    a = parser.parse_args(argv)
    run(quick=a.quick, events=a.events, baseline=a.baseline, database_url=a.database_url, json_path=a.json)


if __name__ == "__main__":
    main()
