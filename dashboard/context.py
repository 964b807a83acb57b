"""What the pages and routes need from the rest of the system, bound to one Flask app.

Tests build apps with their own settings (a temporary database, a synthetic network), so nothing
here is a module global: pages ask ``context()`` for the app they are serving.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from data.service_area import ServiceArea, load_service_area
from ops.db import make_engine, make_session_factory
from ops.locator import Locator
from ops.settings import Settings

EXTENSION_KEY = "gasdispatch"


class AppContext:
    def __init__(
        self,
        settings: Settings,
        service_area: ServiceArea | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        #: The one source of "now" for pages; tests and the simulator pass their own.
        self.clock = clock or (lambda: datetime.now(UTC))
        self._service_area = service_area
        self._locator: Locator | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._read_sessions: sessionmaker[Session] | None = None
        self._lock = threading.Lock()

    def attach(self, server: Flask) -> None:
        server.extensions[EXTENSION_KEY] = self

    @property
    def service_area(self) -> ServiceArea:
        """Loaded on first use (from the disk cache after the first build) and kept for the process."""
        with self._lock:
            if self._service_area is None:
                self._service_area = load_service_area(
                    self.settings.network_source, self.settings.cache_dir / "network"
                )
            return self._service_area

    @property
    def locator(self) -> Locator:
        """Intake's view of the service area (inside test, street match, district), built once."""
        area = self.service_area  # outside the lock: loading the area takes it too
        with self._lock:
            if self._locator is None:
                # deferred: shapely (0.2 s) serves intake alone; apps start without it
                from data.area_locator import AreaLocator

                self._locator = AreaLocator(area)
            return self._locator

    @property
    def sessions(self) -> sessionmaker[Session]:
        """Sessions for ops services (which write the change and its audit event together)."""
        self._ensure_sessions()
        return self._sessions  # type: ignore[return-value]

    def _ensure_sessions(self) -> None:
        with self._lock:
            if self._sessions is None:
                engine = make_engine(self.settings.sqlalchemy_url)
                self._sessions = make_session_factory(engine)
                self._read_sessions = make_session_factory(engine, read_only=True)

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only session: pages never write except through ops services."""
        self._ensure_sessions()
        with self._read_sessions() as session:  # type: ignore[misc]
            yield session


def context() -> AppContext:
    return current_app.extensions[EXTENSION_KEY]
