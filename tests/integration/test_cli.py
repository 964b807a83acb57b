"""`gasdispatch` on bad input: one clear message and exit status 2, never a traceback wall."""

from __future__ import annotations

import pytest

from dashboard.cli import main
from ops.settings import get_settings


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("GASDISPATCH_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_unreachable_database_url_is_one_clear_message(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:hunter2@127.0.0.1:1/nowhere")
    status, _, err = run(capsys, "migrate")
    assert status == 2
    assert err.startswith("gasdispatch: error: Cannot connect to the database at postgresql+psycopg://postgres:***@127.0.0.1:1/nowhere")
    assert "DATABASE_URL" in err and "Traceback" not in err and "hunter2" not in err
    assert len(err.strip().splitlines()) == 1


def test_serve_refuses_to_start_without_a_database(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    status, _, err = run(capsys, "serve", "--port", "1")
    assert status == 2 and "Cannot connect" in err


def test_corrupt_osm_extract_is_one_clear_message(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "area.osm.pbf"
    bad.write_bytes(b"\x00\x01 definitely not protobuf")
    monkeypatch.setenv("GASDISPATCH_NETWORK_SOURCE", str(bad))
    status, _, err = run(capsys, "network")
    assert status == 2
    assert "GASDISPATCH_NETWORK_SOURCE" in err and "Traceback" not in err
    cache = tmp_path / "cache" / "network"
    assert not cache.exists() or not any(cache.iterdir())  # no half-written cache


def test_missing_osm_extract_names_the_setting(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("GASDISPATCH_NETWORK_SOURCE", str(tmp_path / "nope.osm.pbf"))
    status, _, err = run(capsys, "network")
    assert status == 2 and "not found" in err and "GASDISPATCH_NETWORK_SOURCE" in err


def test_bad_setting_names_the_field(monkeypatch, capsys):
    monkeypatch.setenv("GASDISPATCH_TIMEZONE", "Mars/Olympus_Mons")
    status, _, err = run(capsys, "migrate")
    assert status == 2
    assert "invalid configuration" in err and "timezone" in err and "Mars/Olympus_Mons" in err


def test_migrate_then_network_describe_the_real_area(capsys):
    status, out, _ = run(capsys, "migrate")
    assert status == 0 and "up to date" in out
    status, out, _ = run(capsys, "network")
    assert status == 0
    assert "coquimbo: 15492 nodes" in out and "133 districts" in out and "population 451834" in out
