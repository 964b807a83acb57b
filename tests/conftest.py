"""Suite-wide fixtures: a per-worker Dash port and cache directory for pytest-xdist runs."""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture(autouse=True, scope="session")
def _dash_port_per_xdist_worker(worker_id: str) -> None:
    # dash.testing numbers its servers from 58050 in every process; give each worker its own range.
    from dash.testing.application_runners import BaseDashRunner

    if worker_id != "master":
        BaseDashRunner._next_port = 58050 + 100 * (int(worker_id.removeprefix("gw")) + 1)


@pytest.fixture(autouse=True, scope="session")
def _isolated_var_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> None:
    # Nothing a test does may touch the developer's own demo database or cache.
    os.environ["GASDISPATCH_VAR_DIR"] = str(tmp_path_factory.mktemp(f"var-{worker_id}"))
    os.environ.pop("DATABASE_URL", None)
