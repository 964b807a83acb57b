"""An app on a fresh SQLite database with one user per role, for tests that go through HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from data.service_area import ServiceArea
from ops.db import transaction, upgrade
from ops.permissions import SYSTEM_ACTOR
from ops.settings import Settings
from ops.vocabulary import Role
from optimizer.network import grid_network

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)

#: One login per role; the crew member is linked to the crew created below.
ROLE_USERS = {role.value: role for role in Role if role is not Role.SYSTEM}


def grid_area(directory: Path, node_street: list[str] | None = None) -> ServiceArea:
    net = grid_network(4, 4)
    area = ServiceArea("grid", net, {"type": "FeatureCollection", "features": []},
                       {"type": "FeatureCollection", "features": []}, node_street or [""] * net.n_nodes)
    area.save(directory / "grid")
    return ServiceArea.load(directory / "grid")


@dataclass
class WebApp:
    app: object
    settings: Settings
    area: ServiceArea

    @property
    def server(self):
        return self.app.server

    def client(self):
        return self.server.test_client()

    def sessions(self):
        return self.server.extensions["gasdispatch"].sessions


def build_web_app(tmp_path: Path, *, https: bool | None = None, node_street: list[str] | None = None) -> WebApp:
    from dashboard.app import create_app
    from ops.services.accounts import create_user
    from ops.services.crews import CrewMemberIn, create_crew, create_depot

    settings = Settings(var_dir=tmp_path, https=https)
    upgrade(settings.sqlalchemy_url)
    area = grid_area(tmp_path, node_street)
    app = create_app(settings, service_area=area)
    ctx = app.server.extensions["gasdispatch"]
    ctx.clock = lambda: NOW
    with transaction(ctx.sessions) as db:
        depot = create_depot(db, SYSTEM_ACTOR, name="Depot Centro", lon=float(area.network.lon[0]),
                             lat=float(area.network.lat[0]), now=NOW)
        create_crew(db, SYSTEM_ACTOR, code="CR01", name="Cuadrilla 1", depot_id=depot.id,
                    skills=["leak_repair"], shift_pattern="day", shift_start_hour=8, shift_end_hour=20,
                    members=[CrewMemberIn(name="Ana")], now=NOW)
        for username, role in ROLE_USERS.items():
            kwargs = {"crew_code": "CR01"} if role is Role.CREW_MEMBER else {}
            create_user(db, SYSTEM_ACTOR, username=username, display_name=username.replace("_", " ").title(),
                        roles=[role], password=PASSWORD, now=NOW, language="en", **kwargs)
    return WebApp(app, settings, area)


CSRF_PATTERN = re.compile(r'name="csrf" value="([^"]+)"')


def login(client, username: str, password: str = PASSWORD):
    """Log in through the HTML form (with its CSRF token); returns the POST response."""
    page = client.get("/login")
    token = CSRF_PATTERN.search(page.get_data(as_text=True)).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf": token,
                                       "next": "/"})


def callback_request(output: str, inputs: list[dict] | None = None, state: list[dict] | None = None) -> dict:
    """A hand-made /_dash-update-component body, as a script bypassing the UI would send it."""
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in parts]
    return {"output": output, "outputs": outputs if output.startswith("..") else outputs[0],
            "inputs": inputs or [], "state": state or [],
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs or []]}
