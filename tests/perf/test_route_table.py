"""Every fake routes through the one route table compiled once per process; the Flask
app a fake offers is a shell around its WSGI pipeline (no routes of its own)."""

from __future__ import annotations

from fake_cinder import FakeCinder
from fake_cinder.api import app as pipeline
from fake_cinder.resources import fixture_path

HEADERS = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.54"}
VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"


def _fake() -> FakeCinder:
    return FakeCinder(fixture_path("default.json"))


def test_fakes_share_the_compiled_table_but_not_their_state() -> None:
    first, second = _fake(), _fake()
    for fake in (first, second):
        assert fake.app.test_client().get("/identity/v3/").status_code == 200
        assert list(fake.app.url_map.iter_rules()) == []  # Flask routes nothing
    first.store.volumes.clear()
    assert first.app.test_client().get(f"/v3/demo/volumes/{VOLUME}",
                                       headers=HEADERS).status_code == 404
    assert second.app.test_client().get(f"/v3/demo/volumes/{VOLUME}",
                                        headers=HEADERS).status_code == 200
    rules = {rule.rule for rule in pipeline.ROUTE_MAP.iter_rules()}
    assert {"/", "/v3/", "/v3", "/identity/", "/_fake/health", "/openapi.json",
            "/v3/<project_id>/attachments", "/v3/attachments"} <= rules


def test_the_v3_redirect_builds_its_url_from_the_request() -> None:
    response = _fake().app.test_client().get("/v3", headers=HEADERS)
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost/v3/"


def test_options_outside_v3_lists_the_methods_and_v3_answers_cinders_404() -> None:
    client = _fake().app.test_client()
    answered = client.options("/_fake/faults")
    assert answered.status_code == 200
    assert answered.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, POST"
    assert client.options("/identity/v3").headers["Allow"] == "GET, HEAD, OPTIONS"
    assert client.options("/v3/demo/volumes", headers=HEADERS).status_code == 404
    assert client.options("/nowhere").status_code == 404
