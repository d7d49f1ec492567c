"""Apps share their compiled routes (fake_cinder.api.flask_app) without sharing behaviour."""

from __future__ import annotations

from flask import url_for

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path

HEADERS = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.54"}
VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"


def _fake() -> FakeCinder:
    return FakeCinder(fixture_path("default.json"))


def test_apps_with_the_same_routes_share_one_compiled_matcher() -> None:
    first, second = _fake().app, _fake().app
    for app in (first, second):  # the app routes all but the v3 API (wsgi.V3Api does that)
        assert app.test_client().get("/identity/v3/").status_code == 200
    assert first.url_map._matcher is second.url_map._matcher
    assert sorted(r.rule for r in first.url_map.iter_rules()) == sorted(
        r.rule for r in second.url_map.iter_rules())


def test_a_route_added_later_stays_in_its_own_app() -> None:
    mine, other = _fake().app, _fake().app
    for app in (mine, other):
        list(app.url_map.iter_rules())  # both now use the shared routes
    assert mine.url_map._matcher is other.url_map._matcher
    # Flask allows adding routes until the first request; the map must not leak them.
    mine.add_url_rule("/extra/<name>", "extra", lambda name: f"hello {name}")
    assert mine.test_client().get("/extra/x").get_data(as_text=True) == "hello x"
    assert other.test_client().get("/extra/x").status_code == 404
    assert mine.url_map._matcher is not other.url_map._matcher
    # The app that went private still routes everything it had, and /v3 still works.
    assert mine.test_client().get("/identity/v3/").status_code == 200
    response = mine.test_client().get(f"/v3/demo/volumes/{VOLUME}", headers=HEADERS)
    assert response.status_code == 200
    assert _fake().app.test_client().get("/extra/x").status_code == 404


def test_urls_are_built_on_demand() -> None:
    app = _fake().app
    with app.test_request_context():
        assert url_for("versions_v3") == "/v3/"
        assert url_for("versions_v3", marker="a b") == "/v3/?marker=a+b"
        assert url_for("versions", _external=True) == "http://localhost/"
    response = app.test_client().get("/v3", headers=HEADERS)
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost/v3/"


def test_the_werkzeug_internals_shared_routes_rely_on_are_there() -> None:
    """flask_app.SharedRulesMap adopts a compiled Map's private state and LazyBuildRule
    overrides a private Rule method: a werkzeug release that renames them must fail here,
    loudly, rather than route wrongly (setup.cfg pins the werkzeug range tested)."""
    from werkzeug.routing import Map, Rule
    from werkzeug.routing.matcher import StateMachineMatcher

    compiled = Map([Rule("/v3/<project_id>/volumes", endpoint="volumes")])
    compiled.update()
    assert isinstance(compiled._matcher, StateMachineMatcher)
    assert set(compiled._rules_by_endpoint) == {"volumes"}
    assert compiled._remap is False
    assert callable(Rule._compile_builder)
    assert Map([Rule("/x", endpoint="x")]).bind("localhost").build("x") == "/x"
