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


#: Near the end of a shift the open queue fills the crews' last hours, so a new ticket may find no crew
#: that can finish it before the shift ends ("no skilled crew can serve it before its shift ends").
SHIFT_LEFT = timedelta(hours=3)


def _time_left_in_shift(ctx, now) -> list[timedelta]:
    from ops.dispatching import shift_end
    from ops.models import Crew

    with ctx.read_session() as db:
        crews = db.scalars(sa.select(Crew).where(Crew.active.is_(True), Crew.last_lon.is_not(None))).all()
        return [shift_end(c, now) - now for c in crews]


@pytest.fixture
def ctx(demo_app, monkeypatch):
    """The app's context; in the last hours of a shift (the demo's shifts change at 8 h and 20 h) its
    clock runs into the next shift, half an hour after the change, for this test only, so the test
    does not depend on the hour the suite happens to run at."""
    context = demo_app.server.extensions["gasdispatch"]
    real = context.clock
    left = _time_left_in_shift(context, real())
    if sum(1 for t in left if t >= SHIFT_LEFT) < 3:
        ahead = max(left) + timedelta(minutes=30)
        monkeypatch.setattr(context, "clock", lambda: real() + ahead)
    return context
