"""Server-side security of the web app: login, sessions, callback guard, API authentication."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest

from ops.db import transaction
from ops.permissions import SYSTEM_ACTOR
from ops.vocabulary import Role
from tests.integration.web_fixtures import NOW, PASSWORD, build_web_app, callback_request, login

REFRESH_OUTPUT = ("..dispatch-map.figure...open-tickets-grid.rowData...dispatch-summary.children...class1-banner.children"
                  "...crew-grid.rowData...alerts-list.children...alerts-tab.label...class1-ids.data..")
REFRESH_INPUTS = [{"id": "dispatch-refresh", "property": "n_intervals", "value": 1},
                  {"id": "dispatch-changed", "property": "data", "value": 0}]


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    return build_web_app(tmp_path_factory.mktemp("web"))


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("gd_session")
    return cookie.value if cookie else None


def test_anonymous_page_request_is_sent_to_login(web):
    response = web.client().get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_anonymous_callback_request_is_401_and_runs_nothing(web):
    response = web.client().post("/_dash-update-component", json=callback_request(REFRESH_OUTPUT, REFRESH_INPUTS))
    assert response.status_code == 401


def test_base_map_layers_need_a_login_and_are_geojson(web):
    client = web.client()
    assert client.get("/geo/roads.geojson").status_code == 302
    login(client, "hotline_agent")
    response = client.get("/geo/roads.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert response.get_json()["type"] == "FeatureCollection"
    assert client.get("/geo/secrets.geojson").status_code == 404


def test_login_page_and_health_stay_public(web):
    client = web.client()
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_successful_login_starts_a_session_cookie_with_safe_flags(web):
    client = web.client()
    response = login(client, "dispatcher")
    assert response.status_code == 302
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("gd_session="))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # local HTTP; see the HTTPS test below
    assert client.get("/").status_code == 200


def test_cookies_are_secure_when_served_over_https(tmp_path):
    web = build_web_app(tmp_path, https=True)
    client = web.client()
    response = login(client, "dispatcher")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("gd_session="))
    assert "Secure" in header


def test_wrong_password_gets_a_generic_message(web):
    """The answer must not tell an attacker which user names exist."""
    client = web.client()
    client.set_cookie("gd_lang", "en")
    wrong_password = login(client, "dispatcher", "not the password")
    unknown_user = login(client, "nobody-here", "not the password")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert "Wrong user name or password." in wrong_password.get_data(as_text=True)
    assert "Wrong user name or password." in unknown_user.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(web):
    client = web.client()
    client.get("/login")
    response = client.post("/login", data={"username": "dispatcher", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_session_fixation_attempt_fails(web):
    """A session id planted before login is not the one that is authenticated afterwards."""
    attacker = web.client()
    attacker.get("/login")
    planted = session_cookie(attacker)
    assert planted

    victim = web.client()
    victim.set_cookie("gd_session", planted)
    assert login(victim, "supervisor").status_code == 302
    assert session_cookie(victim) != planted

    # The attacker still holds only the planted cookie, which is not logged in.
    assert attacker.get("/").status_code == 302


def test_logout_ends_the_session_on_the_server(web):
    client = web.client()
    login(client, "manager")
    stolen = session_cookie(client)
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200  # renders the navbar's logout form
    with client.session_transaction() as flask_session:
        token = flask_session["gd_csrf"]
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 302
    assert client.get("/").status_code == 200  # a forged logout did nothing
    assert client.post("/logout", data={"csrf": token}).status_code == 302

    replay = web.client()
    replay.set_cookie("gd_session", stolen)  # the cookie is still validly signed...
    assert replay.get("/").status_code == 302  # ...but the server has ended its session


def test_tenth_wrong_password_in_a_minute_is_throttled(tmp_path):
    web = build_web_app(tmp_path)
    client = web.client()
    statuses = [login(client, "planner", f"wrong-{i}").status_code for i in range(10)]
    assert statuses[:9] == [401] * 9
    assert statuses[9] == 429
    # Even the right password is refused while throttled.
    assert login(client, "planner").status_code == 429
    # A minute later it works again.
    web.server.extensions["gasdispatch"].clock = lambda: NOW + timedelta(seconds=61)
    assert login(client, "planner").status_code == 302


def test_crafted_callback_without_the_right_is_403(web):
    """A callback agent may not read the dispatch board, even by posting to Dash directly."""
    client = web.client()
    login(client, "callback_agent")
    response = client.post("/_dash-update-component", json=callback_request(REFRESH_OUTPUT, REFRESH_INPUTS))
    assert response.status_code == 403


def test_callback_with_the_right_runs(web):
    client = web.client()
    login(client, "dispatcher")
    response = client.post("/_dash-update-component", json=callback_request(REFRESH_OUTPUT, REFRESH_INPUTS))
    assert response.status_code == 200


def test_unknown_callback_is_refused_for_everyone(web):
    client = web.client()
    login(client, "admin")
    response = client.post("/_dash-update-component", json=callback_request("made-up.children"))
    assert response.status_code == 403


def test_every_callback_declares_its_action(web):
    """Fail closed: a callback registered without secured_callback would be refused for all."""
    from dashboard.security import callback_actions

    missing = [key for key, action in callback_actions(web.app).items()
               if action is None and web.app.callback_map[key].get("callback") is not None]
    assert missing == []


# ---------------------------------------------------------------------------------------- API
def make_token(web, username: str, scopes: list[str], crew_code: str | None = None) -> str:
    import sqlalchemy as sa

    from ops.models import User
    from ops.services.tokens import create_token

    with transaction(web.sessions()) as db:
        user_id = db.scalar(sa.select(User.id).where(User.username == username))
        _, raw = create_token(db, SYSTEM_ACTOR, user_id=user_id, name=f"{username} device",
                              scopes=scopes, crew_code=crew_code, now=NOW)
    return raw


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/does-not-exist", "/api/v1", "/api/v1/me"])
def test_api_without_a_token_is_401_even_where_no_route_exists(web, path):
    response = web.client().get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert web.client().get(path, headers={"Authorization": "Bearer gd_forged"}).status_code == 401


def test_api_token_without_the_scope_is_403(web):
    raw = make_token(web, "manager", ["kpis:read"])
    response = web.client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 403


def test_api_token_with_the_scope_reads_tickets(web):
    raw = make_token(web, "dispatcher", ["tickets:read"])
    client = web.client()
    response = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.get_json() == {"tickets": []}
    assert client.get("/api/v1/nope", headers={"Authorization": f"Bearer {raw}"}).status_code == 404


def test_crew_token_reports_positions_only_for_its_crew(web):
    raw = make_token(web, "crew_member", ["crew"], crew_code="CR01")
    client = web.client()
    headers = {"Authorization": f"Bearer {raw}"}
    lon, lat = float(web.area.network.lon[5]), float(web.area.network.lat[5])
    ok = client.post("/api/v1/crews/CR01/positions", json={"lon": lon, "lat": lat}, headers=headers)
    assert ok.status_code == 201
    bad = client.post("/api/v1/crews/CR01/positions", json={"lon": "east", "lat": lat}, headers=headers)
    # Like every other body, a mistyped ping is a 422 naming the field (it was a bare 400 before the models).
    assert bad.status_code == 422 and "lon" in bad.get_json()["fields"]
    assert client.post("/api/v1/crews/CR99/positions", json={"lon": lon, "lat": lat},
                       headers=headers).status_code == 404


def test_api_body_limit_applies_to_the_api_only(web):
    raw = make_token(web, "crew_member", ["crew"], crew_code="CR01")
    big = {"lon": 0.0, "lat": 0.0, "pad": "x" * 70_000}
    response = web.client().post("/api/v1/crews/CR01/positions", json=big,
                                 headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 413


@contextmanager
def database_writes(web):
    """Counts of write transactions begun and of UPDATEs of ``api_tokens`` while the block runs."""
    import sqlalchemy as sa

    from ops.db import READ_ONLY_OPTION

    engine = web.sessions().kw["bind"]
    counts = {"write_transactions": 0, "token_updates": 0}

    def on_begin(connection) -> None:
        if not connection.get_execution_options().get(READ_ONLY_OPTION):
            counts["write_transactions"] += 1

    def on_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            counts["token_updates"] += 1

    sa.event.listen(engine, "begin", on_begin)
    sa.event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield counts
    finally:
        sa.event.remove(engine, "begin", on_begin)
        sa.event.remove(engine, "before_cursor_execute", on_execute)


def test_api_calls_authenticate_read_only_and_record_use_once_a_minute(web, monkeypatch):
    """Most API calls take no write lock: ``last_used_at`` is written once per interval, not per call."""
    import sqlalchemy as sa

    from ops.models import ApiToken
    from ops.services.auth import hash_token

    raw = make_token(web, "dispatcher", ["tickets:read"])
    headers = {"Authorization": f"Bearer {raw}"}
    ctx = web.server.extensions["gasdispatch"]
    client = web.client()

    def last_used():
        with web.sessions()() as db:
            return db.scalar(sa.select(ApiToken.last_used_at).where(ApiToken.token_hash == hash_token(raw)))

    for minute in range(3):
        start = NOW + timedelta(minutes=minute)
        with database_writes(web) as writes:
            for second in range(0, 60, 6):  # a burst: ten calls within the minute
                monkeypatch.setattr(ctx, "clock", lambda at=start + timedelta(seconds=second): at)
                assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert writes == {"write_transactions": 1, "token_updates": 1}, minute
        assert last_used() == start


def test_revoked_and_expired_tokens_are_refused_by_the_read_only_check(web, monkeypatch):
    import sqlalchemy as sa

    from ops.models import User
    from ops.services.tokens import create_token, revoke_token

    with transaction(web.sessions()) as db:
        user_id = db.scalar(sa.select(User.id).where(User.username == "dispatcher"))
        revoked, revoked_raw = create_token(db, SYSTEM_ACTOR, user_id=user_id, name="old", scopes=["tickets:read"],
                                            now=NOW)
        _, expiring_raw = create_token(db, SYSTEM_ACTOR, user_id=user_id, name="short", scopes=["tickets:read"],
                                       now=NOW, expires_at=NOW + timedelta(minutes=5))
    client = web.client()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {revoked_raw}"}).status_code == 200
    with transaction(web.sessions()) as db:
        revoke_token(db, SYSTEM_ACTOR, revoked.id, now=NOW)
    ctx = web.server.extensions["gasdispatch"]
    monkeypatch.setattr(ctx, "clock", lambda: NOW + timedelta(minutes=5))
    with database_writes(web) as writes:
        for raw in (revoked_raw, expiring_raw):
            assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert writes["write_transactions"] == 0


# ----------------------------------------------------------------------------- through the UI



def create_user_body(web, username: str) -> dict:
    key = next(k for k in web.app.callback_map if k.startswith("..user-result.children@")
               and "create-user" in str(web.app.callback_map[k]["inputs"]))
    values = {"new-username": username, "new-display-name": "Nueva Persona", "new-password": "a long password",
              "new-language": "en", "new-roles": ["planner"], "new-crew": None}
    entry = web.app.callback_map[key]
    state = [{"id": s["id"], "property": s["property"], "value": values[s["id"]]} for s in entry["state"]]
    return callback_request(key, [{"id": "create-user", "property": "n_clicks", "value": 1}], state)


def test_admin_creates_a_user_through_the_accounts_page(web):
    import sqlalchemy as sa

    from ops.models import AuditEvent, User

    client = web.client()
    login(client, "admin")
    response = client.post("/_dash-update-component", json=create_user_body(web, "nueva"))
    assert response.status_code == 200
    with web.sessions()() as db:
        user = db.scalar(sa.select(User).where(User.username == "nueva"))
        assert user is not None and user.role_set == {Role.PLANNER}
        assert db.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.create",
                                                     AuditEvent.entity_id == user.id)) is not None
    # The new person can log in with the password the admin set.
    assert login(web.client(), "nueva", "a long password").status_code == 302


def test_a_dispatcher_cannot_create_users_by_crafting_the_request(web):
    import sqlalchemy as sa

    from ops.models import User

    client = web.client()
    login(client, "dispatcher")
    assert client.post("/_dash-update-component", json=create_user_body(web, "intruso")).status_code == 403
    with web.sessions()() as db:
        assert db.scalar(sa.select(User).where(User.username == "intruso")) is None


def test_production_mode_refuses_the_demo_secret(tmp_path):
    from dashboard.app import UnsafeProductionError, create_app
    from ops.db import upgrade
    from ops.settings import Settings

    settings = Settings(var_dir=tmp_path, env="production")
    upgrade(settings.sqlalchemy_url)
    with pytest.raises(UnsafeProductionError, match="secret"):
        create_app(settings)
