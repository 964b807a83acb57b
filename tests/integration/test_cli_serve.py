"""`gasdispatch serve` starts the one clock next to gunicorn, with the demo feed unless it is turned off."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest

from dashboard import cli
from ops.settings import get_settings


@pytest.fixture
def served(monkeypatch, tmp_path):
    """``serve`` on a migrated SQLite file, with the scheduler spawn and the exec into gunicorn recorded."""
    monkeypatch.setenv("GASDISPATCH_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("GASDISPATCH_DEMO_FEED", "")  # recorded, so serve's own setting is undone after
    monkeypatch.delenv("GASDISPATCH_DEMO_FEED")
    get_settings.cache_clear()
    assert cli.main(["migrate"]) == 0
    monkeypatch.setattr(cli, "_load_area", lambda settings: SimpleNamespace())
    calls: dict[str, list] = {"spawned": [], "exec": []}

    class ExecError(Exception):
        pass

    def fake_exec(path, argv):
        calls["exec"].append(argv)
        raise ExecError

    monkeypatch.setattr(subprocess, "Popen", lambda argv, *a, **kw: calls["spawned"].append(argv))
    monkeypatch.setattr(os, "execv", fake_exec)

    def serve(*argv: str) -> dict[str, list]:
        calls["spawned"].clear()
        calls["exec"].clear()
        with pytest.raises(ExecError):
            cli.main(["serve", "--port", "8099", *argv])
        return calls

    yield serve
    get_settings.cache_clear()


def test_serve_starts_one_scheduler_with_the_demo_feed_then_gunicorn(served):
    calls = served()
    assert calls["spawned"] == [[sys.executable, "-m", "dashboard.cli", "scheduler", "--exit-with-parent",
                                 str(os.getpid()), "--demo-feed"]]
    gunicorn = calls["exec"][0]
    assert gunicorn[1:4] == ["-m", "gunicorn", "dashboard.app:server"] and "127.0.0.1:8099" in gunicorn


def test_no_demo_feed_flag_or_environment_turns_the_feed_off_but_not_the_clock(served, monkeypatch):
    calls = served("--no-demo-feed")
    assert len(calls["spawned"]) == 1 and "--demo-feed" not in calls["spawned"][0]
    assert os.environ["GASDISPATCH_DEMO_FEED"] == "0"
    monkeypatch.setenv("GASDISPATCH_DEMO_FEED", "0")
    assert "--demo-feed" not in served()["spawned"][0]
    monkeypatch.setenv("GASDISPATCH_DEMO_FEED", "1")
    assert "--demo-feed" in served()["spawned"][0]


def test_no_scheduler_starts_only_gunicorn(served):
    calls = served("--no-scheduler")
    assert calls["spawned"] == [] and calls["exec"]


def test_demo_feed_switch_reads_the_usual_false_words():
    args = SimpleNamespace(no_demo_feed=False, no_scheduler=False)
    for value, expected in (("0", False), ("off", False), ("No", False), ("1", True), ("", True)):
        assert cli.demo_feed_enabled(args, {"GASDISPATCH_DEMO_FEED": value}) is expected
    assert cli.demo_feed_enabled(args, {}) is True
    assert cli.demo_feed_enabled(SimpleNamespace(no_demo_feed=True), {}) is False


def test_the_scheduler_stops_when_its_parent_is_gone():
    stop = threading.Event()
    cli._watch_parent(os.getppid(), stop)  # our parent is alive: keep going
    assert not stop.wait(1.5)
    stop.set()
    orphan = threading.Event()
    cli._watch_parent(os.getppid() + 1_000_000, orphan)  # "re-parented": stop
    assert orphan.wait(3.0)


def test_scheduler_flags_parse():
    args = cli.build_parser().parse_args(["scheduler", "--demo-feed", "--no-auto-confirm", "--feed-seed", "3"])
    assert args.demo_feed and args.no_auto_confirm and args.feed_seed == 3 and args.exit_with_parent is None
    assert cli.build_parser().parse_args(["scheduler"]).demo_feed is False  # production: off by default
