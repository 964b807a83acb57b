"""Dispatch board: the page's callbacks' server time at 500 open tickets, 60 crews, 100,000 closed tickets.

Issue 6's target is p95 ≤ 300 ms per callback. Everything goes through the real app as a browser
would drive it: ``create_app`` on a database built by :mod:`bench.board_data`, a supervisor logged
in through the login form, and the callback bodies POSTed to ``/_dash-update-component``. The
callbacks are discovered, not listed: the page's layout is fetched through Dash's page-routing
callback, and every server callback whose inputs are components of that layout is measured, so
panels added to the page later are measured without touching this file. A callback triggered only
by a click (``n_clicks``) is skipped, because a click may confirm a dispatch (a write); the skipped
ones are listed in the JSON with that reason.

The machine is noisy (2 shared cores), so each size is compared with a reference measured in the
same run: the same callbacks on the plain demo (about 25 open tickets, 12 crews, one day of
history), and the ``/healthz`` round trip (the floor of any request through Flask). Each size runs
in its own process, because Dash binds its global callbacks to the first app a process builds.

Load-to-interactive in headless Chromium (both sizes): from navigation start until the map has
drawn its canvas, the grid shows rows and the Dash renderer has no pending callbacks; the median of
several loads of ``/`` after logging in, after one uncounted load that fills the browser cache. It
is skipped, with the reason printed, where Chromium is missing.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.board_data import BoardSize, build_board
from bench.report import report

#: Issue 12: 60 crews each holding 10 confirmed orders (current + queue), besides the 500 open tickets.
ORDERS_PER_CREW = 10
FULL = BoardSize(open_tickets=500, crews=60, history=100_000, orders_per_crew=ORDERS_PER_CREW)
QUICK = BoardSize(open_tickets=500, crews=60, history=10_000, orders_per_crew=ORDERS_PER_CREW)
#: The plain demo at one day of history (the demo has more than this asks; the counts are reported).
REFERENCE = BoardSize(open_tickets=20, crews=5, history=0)
TARGET_P95_S = 0.300
LOGIN_USER = "supervisor"
#: Inputs that only a click sets: such callbacks may write (confirm, override), so they are skipped.
CLICK_PROPS = frozenset({"n_clicks", "n_submit", "n_clicks_timestamp"})
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


# --------------------------------------------------------------------------------------------
# Callback discovery and payloads
# --------------------------------------------------------------------------------------------


def walk_ids(node: Any) -> Iterator[dict]:
    """Every component (as Dash serialises it) with an ``id`` in a layout tree."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict):
            if "id" in props:
                yield props
            for value in props.values():
                yield from walk_ids(value)
        else:
            for value in node.values():
                yield from walk_ids(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_ids(item)


def _outputs(output: str) -> list[dict]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    result = []
    for part in parts:
        cid, prop = part.rsplit(".", 1)
        result.append({"id": cid, "property": prop.split("@")[0]})
    return result


#: Layout values a dispatcher changes before the callbacks measured are worth measuring: the schedule
#: board is drawn only while its tab is shown.
SHOWN = {("dispatch-view-tabs", "active_tab"): "view-schedule"}
#: The schedule board's drawing and its bars: the issue's size is 60 crews × 10 jobs.
SCHEDULE_OUTPUT = "schedule-graph.figure"


def _value(prop: str, component: dict | None, sample: dict) -> Any:
    """What a browser would send for ``prop``: the layout's value, or a realistic user action."""
    cid = str((component or {}).get("id"))
    if (cid, prop) in SHOWN:
        return SHOWN[(cid, prop)]
    if cid == "schedule-graph" and prop == "clickData":  # a click on a bar: [ticket, order id, kind]
        # Another ticket than the grid's selection, so that neither selection finds its ticket already chosen.
        return {"points": [{"curveNumber": 3, "customdata": [sample["board_ticket"], None, "proposed"]}]} \
            if sample.get("board_ticket") else None
    if component is not None and prop in component and component[prop] is not None:
        return component[prop]
    if prop == "n_intervals":
        return 1
    if prop == "selectedRows":
        return sample.get("rows", [])[:1]
    if prop == "clickData":
        return {"points": [{"customdata": sample["ticket"]}]} if sample.get("ticket") else None
    if prop in ("pathname",):
        return "/"
    return component.get(prop) if component else None


def callback_body(dep: dict, components: dict[str, dict], sample: dict) -> dict | None:
    """The /_dash-update-component body for ``dep``, or None when an input is not on the page."""
    inputs, state = [], []
    for kind, target in (("inputs", inputs), ("state", state)):
        for item in dep.get(kind, []):
            cid, prop = item["id"], item["property"]
            if cid.startswith("{"):
                return None  # pattern-matching ids: not built here
            target.append({"id": cid, "property": prop, "value": _value(prop, components.get(cid), sample)})
    outputs = _outputs(dep["output"])
    triggered = sorted(inputs, key=lambda i: i["property"] not in ("selectedRows", "clickData"))
    return {"output": dep["output"], "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": inputs, "state": state,
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in triggered if i["value"] is not None][:1]}


def in_data_order(deps: list[dict]) -> list[dict]:
    """Callbacks after those whose outputs they read, so that a selection reaches the panel it drives."""
    made = {}
    for dep in deps:
        for out in _outputs(dep["output"]):
            made.setdefault((out["id"], out["property"]), []).append(dep["output"])
    depth = {d["output"]: 0 for d in deps}
    for _ in range(len(deps)):  # longest chain, bounded: cycles (a callback feeding itself) stop here
        changed = False
        for dep in deps:
            for i in dep.get("inputs", []):
                for producer in made.get((i["id"], i["property"]), []):
                    if producer != dep["output"] and depth[dep["output"]] <= depth[producer] < len(deps):
                        depth[dep["output"]] = depth[producer] + 1
                        changed = True
        if not changed:
            break
    return sorted(deps, key=lambda d: depth[d["output"]])


def feed(components: dict[str, dict], response: dict | None) -> None:
    """Put a callback's new output values into the page, as the renderer would for the next callback."""
    for cid, props in ((response or {}).get("response") or {}).items():
        for prop, value in (props or {}).items():
            if isinstance(value, dict) and "__dash_patch_update" in value:
                continue  # a partial update of a figure: the layout's value stands in for it
            if prop == "selectedRows" and isinstance(value, dict):
                continue  # a grid told which rows to select ({"ids": ...}): the grid callback gets a user's click
            components.setdefault(cid, {"id": cid})[prop] = value


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"p50": statistics.median(ordered), "p95": p95, "max": ordered[-1], "n": len(ordered)}


def _time(fn: Any, calls: int) -> tuple[list[float], Any]:
    fn()  # warm: first-call imports and caches are not what a dispatcher waits for
    samples, last = [], None
    for _ in range(calls):
        start = time.perf_counter()
        last = fn()
        samples.append(time.perf_counter() - start)
    return samples, last


# --------------------------------------------------------------------------------------------
# One size, in its own process
# --------------------------------------------------------------------------------------------


def measure(url: str, var_dir: str, now: datetime, calls: int, browser_loads: int, cache_root: str) -> dict:
    """Time the page's callbacks (and optionally the browser load) against the database at ``url``."""
    import sqlalchemy as sa

    from dashboard.app import create_app
    from data.coquimbo import load_coquimbo
    from data.demo import DEMO_PASSWORD
    from ops.settings import Settings

    settings = Settings(var_dir=Path(var_dir), database_url="" if url.startswith("sqlite") else url)
    area = load_coquimbo(Path(cache_root))
    app = create_app(settings, service_area=area)
    ctx = app.server.extensions["gasdispatch"]
    ctx.clock = lambda: now
    # A deployment's scheduler keeps a plan in force (ops.plan_in_force) that clicks insert into.
    from ops.scheduler import replan

    replan(ctx.sessions, now, area.network, every_s=0)
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": LOGIN_USER, "password": DEMO_PASSWORD,
                                           "csrf": CSRF.search(page).group(1), "next": "/"})
    if response.status_code not in (200, 302):
        raise RuntimeError(f"login as {LOGIN_USER} failed: {response.status_code}")

    statements = [0]

    def count(*_args: Any) -> None:
        statements[0] += 1

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    result: dict[str, Any] = {"callbacks": {}, "skipped": {}}

    def timed_get(path: str) -> dict:
        statements[0] = 0
        samples, resp = _time(lambda: client.get(path), calls)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {path}: {resp.status_code}")
        return {**_percentiles(samples), "bytes": len(resp.get_data()), "sql_per_call": statements[0] / (calls + 1)}

    result["healthz"] = timed_get("/healthz")
    result["index"] = timed_get("/")
    deps = client.get("/_dash-dependencies").get_json()
    pages = next(d for d in deps if "_pages_content.children" in d["output"])
    location = {"pathname": "/", "search": "", "hash": "", "href": "http://localhost/"}
    body = {"output": pages["output"], "outputs": _outputs(pages["output"]),
            "inputs": [{**i, "value": location.get(i["property"])} for i in pages["inputs"]],
            "state": [{**s, "value": location.get(s["property"])} for s in pages.get("state", [])],
            "changedPropIds": [f"{pages['inputs'][0]['id']}.{pages['inputs'][0]['property']}"]}
    if not pages["output"].startswith(".."):
        body["outputs"] = body["outputs"][0]
    layout = _post(client, body, calls, statements)
    result["callbacks"]["page layout (/ via pages)"] = layout["timing"]
    components = {str(c["id"]): c for c in walk_ids(layout["json"])}
    grid = components.get("open-tickets-grid", {})
    rows = grid.get("rowData") or []
    sample = {"rows": rows, "ticket": rows[0]["ticket"] if rows else None,
              "board_ticket": rows[-1]["ticket"] if len(rows) > 1 else None}
    result["page"] = {"components": len(components), "grid_rows": len(rows)}
    on_page = [d for d in deps if d is not pages and not d.get("clientside_function")
               and {i["id"] for i in d.get("inputs", [])} & set(components)]
    for dep in in_data_order(on_page):
        ids = {i["id"] for i in dep.get("inputs", [])}
        name = dep["output"]
        if all(i["property"] in CLICK_PROPS for i in dep["inputs"]):
            result["skipped"][name] = "triggered only by a click (may write)"
            continue
        if not ids <= set(components):
            result["skipped"][name] = "an input is not in the page layout"
            continue
        body = callback_body(dep, components, sample)
        if body is None:
            result["skipped"][name] = "pattern-matching ids"
            continue
        posted = _post(client, body, calls, statements)
        result["callbacks"][name] = posted["timing"]
        if SCHEDULE_OUTPUT in name:
            result["schedule"] = schedule_size(posted["json"])
        feed(components, posted["json"])
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
    if browser_loads:
        result["browser"] = load_to_interactive(app, browser_loads, DEMO_PASSWORD)
    return result


def schedule_size(response: dict | None) -> dict[str, int]:
    """Crews, bars (drive and work segments) and traces of the schedule board a callback drew."""
    figure = (((response or {}).get("response") or {}).get("schedule-graph") or {}).get("figure") or {}
    data = figure.get("data") or []
    segments = sum(len(t.get("x") or []) for t in data
                   if t.get("type") == "bar" and t.get("uid") not in ("off-shift", "selected"))
    crews = len(((figure.get("layout") or {}).get("yaxis") or {}).get("tickvals") or [])
    return {"crews": crews, "segments": segments, "traces": len(data)}


def _post(client: Any, body: dict, calls: int, statements: list[int]) -> dict:
    statements[0] = 0
    samples, resp = _time(lambda: client.post("/_dash-update-component", json=body), calls)
    if resp.status_code not in (200, 204):
        raise RuntimeError(f"callback {body['output']}: {resp.status_code} {resp.get_data(as_text=True)[:300]}")
    timing = {**_percentiles(samples), "status": resp.status_code, "bytes": len(resp.get_data()),
              "sql_per_call": statements[0] / (calls + 1)}
    return {"timing": timing, "json": resp.get_json(silent=True)}


# --------------------------------------------------------------------------------------------
# Headless Chromium
# --------------------------------------------------------------------------------------------

READY_JS = """
const gd = document.querySelector('#dispatch-map .js-plotly-plot');
const rows = document.querySelectorAll('#open-tickets-grid .ag-center-cols-container .ag-row').length;
const store = window.store && window.store.getState && window.store.getState();
let pending = 1;
if (store) {
  if (store.pendingCallbacks) { pending = store.pendingCallbacks.length; }
  else {
    const cbs = Object.assign({}, store.callbacks); delete cbs.stored; delete cbs.completed;
    pending = [].concat.apply([], Object.values(cbs)).length;
  }
}
const ready = !!(gd && gd.data && gd.querySelector('canvas') && rows > 0 && pending === 0 && !store.isLoading);
return ready ? performance.now() : null;
"""


def _free_port(start: int = 8063) -> int:
    for port in range(start, start + 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port from 8063")


def browser_missing() -> str | None:
    """Why the browser part cannot run here, or None."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return "headless Chromium not found (apt-get install -y chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (make install-test)"
    return None


def load_to_interactive(app: Any, loads: int, password: str) -> dict:
    """Median time from navigation start to a drawn map, a filled grid and no pending callbacks."""
    reason = browser_missing()
    if reason:
        print(f"browser: skipped: {reason}", flush=True)
        return {"skipped": reason}
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
    port = _free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    base = f"http://127.0.0.1:{port}"
    samples, dom = [], []
    try:
        driver.get(base + "/login")
        driver.find_element(By.NAME, "username").send_keys(LOGIN_USER)
        driver.find_element(By.NAME, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit], form input[type=submit]").click()
        time.sleep(0.5)
        for i in range(loads + 1):  # the first load fills the browser's cache with the JS bundles: not counted
            driver.get(base + "/")
            deadline = time.monotonic() + 60
            ready = None
            while ready is None and time.monotonic() < deadline:
                ready = driver.execute_script(READY_JS)
                if ready is None:
                    time.sleep(0.025)
            if ready is None:
                raise RuntimeError("the dispatch page was not interactive within 60 s")
            if i == 0:
                continue
            samples.append(ready / 1000)
            dom.append(driver.execute_script(
                "const n = performance.getEntriesByType('navigation')[0]; return n ? n.domContentLoadedEventEnd : 0;"
            ) / 1000)
    finally:
        driver.quit()
        server.shutdown()
    return {"median": statistics.median(samples), "samples": samples, "dom_content_loaded": statistics.median(dom),
            "loads": loads}


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def _measure_in_child(*args: Any) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(measure, args)


def run_size(size: BoardSize, *, database_url: str | None, calls: int, browser_loads: int, now: datetime,
             cache_root: Path, workdir: Path) -> dict:
    """Build the board at ``size`` and measure it; the database lives in ``workdir`` (or at the URL)."""
    from data.coquimbo import load_coquimbo
    from ops.db import downgrade
    from ops.settings import Settings

    var = workdir / f"board-{size.open_tickets}-{size.history}"
    var.mkdir(parents=True, exist_ok=True)
    settings = Settings(var_dir=var, database_url=database_url or "")
    if database_url:
        downgrade(settings.sqlalchemy_url, "base")  # the benchmark owns the database it was given
    area = load_coquimbo(cache_root)
    start = time.perf_counter()
    counts = build_board(settings, area, size, now=now)
    build_s = time.perf_counter() - start
    print(f"board {size.label()}: built in {build_s:.1f} s: {counts}", flush=True)
    measured = _measure_in_child(settings.sqlalchemy_url, str(var), now, calls, browser_loads, str(cache_root))
    return {"size": size.__dict__, "counts": counts, "build_s": build_s, **measured}


def run(*, quick: bool = False, size: BoardSize | None = None, reference: BoardSize | None = REFERENCE,
        calls: int | None = None, browser_loads: int | None = None, database_url: str | None = None,
        json_path: Path | None = None, cache_root: Path | None = None) -> dict:
    """Build, measure, print the table and write the JSON; returns the JSON payload."""
    from ops.settings import get_settings

    size = size or (QUICK if quick else FULL)
    calls = calls if calls is not None else (10 if quick else 50)
    browser_loads = browser_loads if browser_loads is not None else (3 if quick else 5)
    if database_url is None:  # "" means SQLite even where TEST_DATABASE_URL is set (the smoke test)
        database_url = os.environ.get("TEST_DATABASE_URL", "")
    database_url = database_url or None
    cache_root = cache_root or get_settings().cache_dir / "network"
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="board-bench-") as tmp:
        workdir = Path(tmp)
        ref = None
        if reference is not None:
            ref = run_size(reference, database_url=database_url, calls=calls, browser_loads=browser_loads, now=now,
                           cache_root=cache_root, workdir=workdir)
        full = run_size(size, database_url=database_url, calls=calls, browser_loads=browser_loads, now=now,
                        cache_root=cache_root, workdir=workdir)
    rows, notes = _rows(full, ref, size, calls)
    path = report("board", rows, quick=quick, notes=notes)
    payload = {"benchmark": "board", "quick": quick, "calls": calls, "target_p95_s": TARGET_P95_S,
               "database": "postgresql" if database_url else "sqlite", "size": full, "reference": ref,
               "rows": rows, "notes": notes,
               "worst_p95_s": max(c["p95"] for c in full["callbacks"].values()),
               "meets_target": all(c["p95"] <= TARGET_P95_S for c in full["callbacks"].values())}
    text = json.dumps(payload, indent=2, default=str)
    path.write_text(text, encoding="utf-8")
    if json_path is not None:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(text, encoding="utf-8")
    return payload


def _short(name: str) -> str:
    """A callback's name for the table: its first output, and how many more there are."""
    outs = _outputs(name) if not name.startswith("page") else []
    if not outs:
        return name
    more = f" +{len(outs) - 1}" if len(outs) > 1 else ""
    return f"{outs[0]['id']}.{outs[0]['property']}{more}"


def _rows(full: dict, ref: dict | None, size: BoardSize, calls: int) -> tuple[list[dict], list[str]]:
    rows = []
    health = full["healthz"]["p50"]
    for name, t in full["callbacks"].items():
        base = (ref or {}).get("callbacks", {}).get(name)
        verdict = "ok" if t["p95"] <= TARGET_P95_S else "OVER"
        rows.append({"case": f"{_short(name)} p95"[:44], "seconds": t["p95"],
                     "baseline": "same at reference size" if base else "", "ratio": t["p95"] / base["p95"] if base else None,
                     "detail": f"p50 {t['p50'] * 1000:.0f} ms, max {t['max'] * 1000:.0f} ms, {t['bytes'] / 1024:.0f} KiB, "
                               f"{t['sql_per_call']:.0f} SQL; target 300 ms: {verdict}; p50 "
                               + (f"{t['p50'] / base['p50']:.1f}x reference, " if base else "")
                               + f"{t['p50'] / health:.0f}x /healthz",
                     "callback": name, "timing": t, "reference_timing": base})
    idx = full["index"]
    rows.append({"case": "GET / (index page) p95", "seconds": idx["p95"], "baseline": "/healthz p95",
                 "ratio": idx["p95"] / full["healthz"]["p95"], "detail": f"p50 {idx['p50'] * 1000:.1f} ms"})
    rows.append({"case": "GET /healthz p50", "seconds": health, "baseline": "", "ratio": None,
                 "detail": f"p95 {full['healthz']['p95'] * 1000:.1f} ms (the Flask floor)"})
    browser = full.get("browser")
    ref_browser = (ref or {}).get("browser") or {}
    if browser and "median" in browser:
        has_ref = "median" in ref_browser
        rows.append({"case": "browser load-to-interactive (median)", "seconds": browser["median"],
                     "baseline": "same at reference size" if has_ref else "",
                     "ratio": browser["median"] / ref_browser["median"] if has_ref else None,
                     "detail": f"{browser['loads']} loads: " + ", ".join(f"{s:.2f}" for s in browser["samples"])
                               + f" s; DOMContentLoaded {browser['dom_content_loaded']:.2f} s"})
    notes = [f"size: {full['counts']}; built in {full['build_s']:.0f} s; {calls} calls per callback after 1 warm-up",
             *([f"schedule board drawn: {full['schedule']['crews']} crews, {full['schedule']['segments']} bar "
                f"segments (drive + work) in {full['schedule']['traces']} traces"] if full.get("schedule") else []),
             f"callbacks on the page: {len(full['callbacks']) - 1} measured; skipped: "
             + ("; ".join(f"{_short(k)} ({v})" for k, v in full["skipped"].items()) or "none")]
    if ref:
        notes.append(f"reference: {ref['counts']}")
    if browser and "skipped" in browser:
        notes.append(f"browser load-to-interactive skipped: {browser['skipped']}")
    return rows, notes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.board_bench")
    parser.add_argument("--quick", action="store_true", help="10,000 history tickets, 10 calls, 3 browser loads")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (its schema is dropped and rebuilt)")
    parser.add_argument("--open", type=int, default=None)
    parser.add_argument("--crews", type=int, default=None)
    parser.add_argument("--history", type=int, default=None)
    parser.add_argument("--orders-per-crew", type=int, default=None,
                        help="confirmed orders (current + queued) of each added crew")
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--browser-loads", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    a = parser.parse_args(argv)
    base = QUICK if a.quick else FULL
    size = BoardSize(a.open if a.open is not None else base.open_tickets, a.crews if a.crews is not None else base.crews,
                     a.history if a.history is not None else base.history,
                     a.orders_per_crew if a.orders_per_crew is not None else base.orders_per_crew)
    run(quick=a.quick, size=size, calls=a.calls, browser_loads=a.browser_loads, database_url=a.database_url,
        json_path=a.json)


if __name__ == "__main__":
    main()
