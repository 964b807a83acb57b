"""The API contract under fuzzing: schemathesis generates requests from /api/v1/openapi.json.

Every response must be documented (status code, content type, body schema), no request may end in a
5xx, and no schema-valid request may be refused (400/422): schemathesis's default checks, all of them,
on its examples, coverage (boundary values, methods a path does not serve) and fuzzing phases. Three
tokens, so that the routes a token may not use are exercised too: one that may do everything, a
read-only one and a crew device's. Derandomized, so a run is the same on every machine.

A report's schema cannot state what only the world knows: where the service area is, which
customers exist, what time it is. Like the ids of existing records, those facts come from the
fixture: a schema-valid report is placed at a point of the grid, started before now, without a
customer number, a standby is sent to a point of the grid, and a class-3 request gets its slot, as does a class change to class 3 (the
refusals themselves are tested in test_api_tickets.py and test_board_actions.py). Nothing else of a generated request is touched.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, Phase, settings

from dashboard import api, api_docs
from ops.db import transaction
from ops.models import User
from ops.permissions import SCOPES, SYSTEM_ACTOR
from ops.rules.classification import REQUEST_SYMPTOMS
from ops.vocabulary import Role
from tests.integration.web_fixtures import NOW, PASSWORD, build_web_app


def _document() -> dict:
    """The document as the app serves it, built without a database so that tests can be collected from it."""
    app = Flask(__name__)
    api.register(app)
    with app.test_request_context():
        return api_docs.describe()


class LateApp:
    """The WSGI app under test, which the fixture builds after the schema was loaded (at import)."""

    server = None

    def __call__(self, environ, start_response):
        return self.server(environ, start_response)


DOCUMENT = _document()
APP = LateApp()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.app = APP  # every request, the checks' own probes included, goes to the app in process
#: The token that may do everything gets every phase (examples, coverage, fuzzing): over 1,000 cases.
EVERY_PHASE = settings(max_examples=20, derandomize=True, database=None, deadline=None,
                       suppress_health_check=list(HealthCheck))
#: The narrower tokens are fuzzed only: what they may not do is refused before any body is read.
FUZZING = settings(EVERY_PHASE, max_examples=15, phases=[Phase.generate, Phase.shrink])
MIN_CASES = 1000
CASES: Counter[str] = Counter()
OPERATIONS: dict[str, set[str]] = {"all": set(), "read": set(), "crew": set()}


def _started(value: object) -> bool:
    try:
        return datetime.fromisoformat(str(value)) <= NOW
    except ValueError:
        return False


def _before(since: object, until: object) -> bool:
    """Whether ``since`` is before ``until`` (now when absent); false when either is not a time."""
    try:
        end = datetime.fromisoformat(str(until)) if until is not None else NOW
        return datetime.fromisoformat(str(since)) < end
    except (ValueError, TypeError):
        return False


def in_this_world(case, web) -> None:
    """Give a schema-valid report the facts the schema cannot state (see the module docstring)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    if (case.method, case.path) == ("GET", "/appointments/slots") and isinstance(case.query, dict):
        net = web.area.network
        node = len(str(case.query.get("symptom", ""))) % net.n_nodes
        case.query.update(lat=float(net.lat[node]), lon=float(net.lon[node]))
        case.query.pop("date", None)  # the days offered depend on the clock
        return
    if (case.method, case.path) in (("GET", "/coverage"), ("GET", "/coverage/demand"),
                                    ("GET", "/coverage/positions")) and isinstance(case.query, dict):
        # the world's one crew and depot (an unknown one is a 422, tested in test_api_coverage.py) and a
        # period that ends after it starts; how many crews are idle depends on what the other cases did
        # to the one crew (more than are idle is a 422, tested in test_api_positions.py)
        for name in ("exclude_crew", "exclude_depot"):
            if name in case.query:
                case.query[name] = 1
        case.query.pop("crews", None)
        since, until = case.query.get("since"), case.query.get("until")
        if since is not None and not _before(since, until):
            case.query.pop("since")
        return
    if not isinstance(case.body, dict):
        return
    slot = {"start": (NOW + timedelta(days=1)).isoformat(), "end": (NOW + timedelta(days=1, hours=2)).isoformat()}
    if (case.method, case.path) == ("POST", "/tickets/{ticket_id}/appointment"):
        # another offered slot than the one booked below; the token's supervisor may force it (R6.4)
        case.body.update(slot_start=(NOW + timedelta(days=2)).isoformat(), force=True)
        return
    if (case.method, case.path) == ("POST", "/tickets/{ticket_id}/class"):
        if case.body.get("class") == 3:  # lowering to class 3 books a slot (R6.4)
            case.body["appointment"] = slot
        return
    if (case.method, case.path) == ("POST", "/crews/{crew_id}/standby"):
        net = web.area.network
        node = len(str(case.body.get("note", ""))) % net.n_nodes
        case.body.update(lat=float(net.lat[node]), lon=float(net.lon[node]))
        return
    if (case.method, case.path) != ("POST", "/tickets"):
        return
    body, net = case.body, web.area.network
    node = len(str(body.get("reporter_name", ""))) % net.n_nodes
    body["location"] = {"lat": float(net.lat[node]), "lon": float(net.lon[node])}
    body["customer_number"] = None
    if not _started(body.get("started_at")):
        body["started_at"] = (NOW - timedelta(minutes=5)).isoformat()
    if body.get("symptom") in REQUEST_SYMPTOMS:
        body["appointment"] = slot
        # the one crew repairs leaks only, so no crew can keep an installation's slot (R6.4): the
        # token's supervisor books it anyway, as the schema allows
        body["appointment_force"] = True
        body["appointment_reason"] = "fuzzed booking"


def call(case, web, token: str) -> None:
    CASES[token] += 1
    OPERATIONS[token].add(case.operation.label)
    in_this_world(case, web)
    case.call_and_validate(headers=web.headers[token])


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from ops.services.accounts import create_user
    from ops.services.tokens import create_token

    web = build_web_app(tmp_path_factory.mktemp("api-fuzz"))
    roles = [Role.SUPERVISOR, Role.CREW_MEMBER, Role.HOTLINE_AGENT, Role.ADMIN]
    with transaction(web.sessions()) as db:
        create_user(db, SYSTEM_ACTOR, username="everything", display_name="Everything", roles=roles,
                    password=PASSWORD, now=NOW, language="en", crew_code="CR01")
        ids = dict(db.execute(sa.select(User.username, User.id)).all())
        tokens = {
            "all": create_token(db, SYSTEM_ACTOR, user_id=ids["everything"], name="all", scopes=list(SCOPES),
                                crew_code="CR01", now=NOW)[1],
            "read": create_token(db, SYSTEM_ACTOR, user_id=ids["everything"], name="read",
                                 scopes=["tickets:read", "kpis:read", "coverage:read"], now=NOW)[1],
            "crew": create_token(db, SYSTEM_ACTOR, user_id=ids["crew_member"], name="device",
                                 scopes=["crew", "orders:ack", "orders:update", "repairs:file", "tickets:read"],
                                 crew_code="CR01", now=NOW)[1],
        }
    APP.server = web.server
    web.headers = {kind: {"Authorization": f"Bearer {raw}"} for kind, raw in tokens.items()}
    return web


def test_the_fuzzed_document_is_the_one_served(web):
    response = web.client().get("/api/v1/openapi.json", headers=web.headers["read"])
    assert response.status_code == 200 and response.get_json() == DOCUMENT


@pytest.fixture(scope="module", autouse=True)
def enough_cases():
    """After the module: the all-scopes run, when it ran whole, tried at least MIN_CASES requests."""
    yield
    if len(OPERATIONS["all"]) == len(list(schema.get_all_operations())):
        assert CASES["all"] >= MIN_CASES, CASES


@schema.parametrize()
@EVERY_PHASE
def test_a_token_that_may_do_everything(case, web):
    call(case, web, "all")


@schema.parametrize()
@FUZZING
def test_a_read_only_token(case, web):
    call(case, web, "read")


@schema.parametrize()
@FUZZING
def test_a_crew_device_token(case, web):
    call(case, web, "crew")
