"""Browser tests run in real headless Chromium; in CI a missing browser is a failure, not a skip."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import in_ci


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Outside CI a machine without Chromium skips with a clear message; in CI the tests run anyway
    # and fail on the missing browser, so a broken pipeline can never pass by skipping them.
    if in_ci() or (shutil.which("chromedriver") and shutil.which("chromium")):
        return
    message = "headless Chromium not found: apt-get install -y chromium chromium-driver (.ci/run does this)"
    for item in items:
        item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory):
    """One app for the whole session (Dash binds global callbacks to the first app it builds),
    on a freshly seeded demo database and the real Coquimbo network."""
    from dashboard.app import create_app
    from data.coquimbo import load_coquimbo
    from data.demo import seed_demo
    from ops.settings import Settings

    var = tmp_path_factory.mktemp("browser-var")
    settings = Settings(var_dir=var)
    area = load_coquimbo(settings.cache_dir / "network")
    # Seeded at the real present, because the page counts deadlines down on the wall clock.
    seed_demo(settings, area, seed=7, now=datetime.now(UTC).replace(second=0, microsecond=0))
    return create_app(settings, service_area=area)


def _crews_with_an_hour_left(ctx, now) -> int:
    from ops.dispatching import shift_end
    from ops.models import Crew

    with ctx.read_session() as db:
        crews = db.scalars(sa.select(Crew).where(Crew.active.is_(True), Crew.last_lon.is_not(None))).all()
        return sum(1 for c in crews if shift_end(c, now) - now >= timedelta(hours=1))


@pytest.fixture
def ctx(demo_app, monkeypatch):
    """The app's context; in the last hour of a shift (19-20 h and 7-8 h in the demo, when no crew has an
    hour left) its clock runs 90 minutes ahead, into the next shift, for this test only."""
    context = demo_app.server.extensions["gasdispatch"]
    real = context.clock
    if _crews_with_an_hour_left(context, real()) < 3:
        monkeypatch.setattr(context, "clock", lambda: real() + timedelta(minutes=90))
    return context
