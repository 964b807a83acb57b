"""GET /healthz: 200 with every dependency up, 503 (with the reason) when one is down."""

from __future__ import annotations

import pytest

from data.service_area import ServiceArea
from ops.db import upgrade
from ops.settings import Settings
from optimizer.network import grid_network


@pytest.fixture(scope="module")
def grid_area(tmp_path_factory) -> ServiceArea:
    net = grid_network(4, 4)
    area = ServiceArea("grid", net, {"type": "FeatureCollection", "features": []},
                       {"type": "FeatureCollection", "features": []}, [""] * net.n_nodes)
    directory = tmp_path_factory.mktemp("cache") / "grid"
    area.save(directory)
    return ServiceArea.load(directory)


def client_for(settings: Settings, area: ServiceArea):
    from dashboard.app import create_app

    return create_app(settings, service_area=area).server.test_client()


def test_healthz_reports_ok_when_database_and_network_cache_answer(tmp_path, grid_area):
    settings = Settings(var_dir=tmp_path)
    upgrade(settings.sqlalchemy_url)
    response = client_for(settings, grid_area).get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["network_cache"]["ok"]
    assert "16 nodes" in body["network_cache"]["detail"]


def test_healthz_is_503_with_the_database_unreachable(tmp_path, grid_area):
    settings = Settings(var_dir=tmp_path, database_url="postgresql://postgres:secret@127.0.0.1:1/nowhere")
    response = client_for(settings, grid_area).get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is False
    assert "Cannot connect" in body["database"]["detail"]
    assert "secret" not in body["database"]["detail"]  # the password is masked
    assert body["network_cache"]["ok"] is True


def test_healthz_is_503_without_a_network_cache(tmp_path):
    settings = Settings(var_dir=tmp_path, network_source=str(tmp_path / "missing.osm.pbf"))
    upgrade(settings.sqlalchemy_url)
    from dashboard.app import create_app

    response = create_app(settings).server.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["network_cache"]["ok"] is False


def test_language_switch_sets_a_cookie_and_stays_on_site(tmp_path, grid_area):
    client = client_for(Settings(var_dir=tmp_path), grid_area)
    response = client.get("/lang/en", headers={"Referer": "http://evil.example/phish"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "gd_lang=en" in response.headers["Set-Cookie"]
    assert "gd_lang" not in client.get("/lang/xx").headers.get("Set-Cookie", "")
