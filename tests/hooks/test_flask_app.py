"""fake.app is a real Flask app: what a user adds to it (a blueprint, a before_request hook,
a WSGI middleware; flask_extension.py) works on every entry point, over a real socket where
there is one, and the fake's own URLs keep Cinder's answers and the journal."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, jsonify, request_started

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path
from tests.helpers.attach_calls import BASE, NOVA

from .flask_extension import extend

VOLUMES = f"{BASE}/volumes"
EXTENSION = Path(__file__).with_name("flask_extension.py")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


Get = Callable[..., Answer]


def _over_http(url: str) -> Get:
    def get(path: str, headers: dict[str, str] | None = None) -> Answer:
        response = requests.get(f"{url}{path}", headers=headers or {}, timeout=10)
        return Answer(response.status_code, dict(response.headers), response.json())
    return get


def _through(client: Any) -> Get:
    def get(path: str, headers: dict[str, str] | None = None) -> Answer:
        response = client.get(path, headers=headers or {})
        return Answer(response.status_code, dict(response.headers), response.get_json())
    return get


def check_extended(get: Get, journal: Callable[[], list[tuple[str | None, int | None]]]) -> None:
    """The same checks on every entry point: the user's additions and the fake's own URLs."""
    image = get("/neighbour/images/cirros")  # the blueprint's route
    assert (image.status, image.body) == (200, {"image": {"id": "cirros", "status": "active"}})
    assert image.headers["X-Stamp"] == "middleware"
    missing = get("/neighbour/missing")  # the blueprint's error handler
    assert (missing.status, missing.body) == (404, {"error": "no such thing"})
    listed = get(VOLUMES, NOVA)  # the fake's URL: Cinder's answer, and the middleware
    assert listed.status == 200 and len(listed.body["volumes"]) == 3
    assert listed.headers["OpenStack-API-Version"] == "volume 3.54"
    assert listed.headers["X-OpenStack-Request-Id"].startswith("req-")
    assert listed.headers["X-Stamp"] == "middleware"
    unknown = get(f"{BASE}/nothing", NOVA)  # still Cinder's routing 404, not Flask's page
    assert unknown.status == 404 and unknown.body["title"] == "Not Found"
    blocked = get(VOLUMES, {**NOVA, "X-Block": "yes"})  # the hook runs before the fake's URL
    assert (blocked.status, blocked.body) == (418, {"blocked": VOLUMES})
    assert blocked.headers["X-Stamp"] == "middleware"
    assert journal() == [("glance_image_show", 200), (None, 404), ("volume_list", 200),
                         (None, 404), (None, 418)]


def _journal_of(fake: FakeCinder) -> Callable[[], list[tuple[str | None, int | None]]]:
    return lambda: [(e.operation, e.status) for e in fake.journal.entries()]


@pytest.fixture
def extended() -> FakeCinder:
    fake = FakeCinder(fixture_path("default.json"))
    extend(fake.app)
    return fake


def test_flask_test_client(extended: FakeCinder) -> None:
    check_extended(_through(extended.app.test_client()), _journal_of(extended))
    extended.journal.assert_called("glance_image_show", times=1, status=200)


@pytest.fixture
def app(extended: FakeCinder) -> Flask:
    return extended.app  # pytest-flask's client talks to it


def test_pytest_flask_client(client: Any, extended: FakeCinder) -> None:
    check_extended(_through(client), _journal_of(extended))


def test_fake_serve(extended: FakeCinder) -> None:
    with extended.serve() as server:
        check_extended(_over_http(server.url), _journal_of(extended))


def test_the_plugins_server(fake_cinder: FakeCinder, fake_cinder_server: Any) -> None:
    fake_cinder.load(fixture_path("default.json"))
    extend(fake_cinder.app)
    check_extended(_over_http(fake_cinder_server.url), _journal_of(fake_cinder))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """`fake-cinder serve --app-hook flask_extension:extend`, the module beside it."""
    shutil.copy(EXTENSION, tmp_path / EXTENSION.name)
    command = [sys.executable, "-m", "fake_cinder.cli", "serve", "--port", "0",
               "--log-level", "ERROR", "--app-hook", "flask_extension:extend"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("fake-cinder listening on "), line
        yield line.split()[-1]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0


def test_fake_cinder_serve_with_an_app_hook(served: str) -> None:
    def journal() -> list[tuple[str | None, int | None]]:
        entries = requests.get(f"{served}/_fake/requests", timeout=10).json()["requests"]
        return [(e["operation"], e["status"]) for e in entries]

    check_extended(_over_http(served), journal)


def test_a_bad_app_hook_is_a_usage_error(tmp_path: Path) -> None:
    for hook, problem in [("nowhere", "is not MODULE:FUNCTION"),
                          ("no_such_module:extend", "cannot import no_such_module"),
                          ("json:no_such_function", "json has no function no_such_function")]:
        done = subprocess.run([sys.executable, "-m", "fake_cinder.cli", "serve", "--port", "0",
                               "--app-hook", hook], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 2 and problem in done.stderr, done.stderr


def test_a_users_route_beside_a_fake_url(extended: FakeCinder) -> None:
    """The app's own routes are matched first; a URL they have for other methods only
    stays the fake's for its methods."""
    extended.app.add_url_rule(f"{VOLUMES}", "patch_volumes", lambda: jsonify(patched=True),
                              methods=["PATCH"], operation="volumes_patch")
    client = extended.app.test_client()
    assert client.patch(VOLUMES, headers=NOVA).get_json() == {"patched": True}
    assert len(client.get(VOLUMES, headers=NOVA).get_json()["volumes"]) == 3
    assert [(e.operation, e.status) for e in extended.journal.entries()] == [
        ("volumes_patch", 200), ("volume_list", 200)]


def test_after_request_and_errorhandler_of_the_app(extended: FakeCinder) -> None:
    extended.app.after_request(lambda response: (response.headers.update(
        {"X-After": "yes"}), response)[1])
    extended.app.register_error_handler(ZeroDivisionError, lambda e: ("divided", 400))
    extended.app.add_url_rule("/divide", "divide", lambda: str(1 // 0))
    client = extended.app.test_client()
    divided = client.get("/divide")
    assert (divided.status_code, divided.get_data(), divided.headers["X-After"]) == (
        400, b"divided", "yes")
    assert client.get(VOLUMES, headers=NOVA).headers["X-After"] == "yes"
    # The fake's own errors are Cinder's answers, not the app's error handlers'.
    assert client.get(f"{VOLUMES}/nothing", headers=NOVA).status_code == 404


def test_a_users_operation_name_is_its_own(extended: FakeCinder) -> None:
    with pytest.raises(ValueError, match="one of the fake's own operations"):
        extended.app.add_url_rule("/x", "x", lambda: "x", operation="volume_show")
    with pytest.raises(TypeError):
        extended.app.add_url_rule("/y", "y", lambda: "y", operation=3)
    with pytest.raises(ValueError, match="unknown operation 'glance_image_shwo'"):
        extended.journal.entries("glance_image_shwo")


def test_flask_handles_requests_only_once_a_user_adds_to_the_app() -> None:
    """Without additions the fake's URLs skip Flask's request handling (its cost is as much
    as the fake's own work); with a hook, Flask's signals fire as in any Flask app."""
    fake = FakeCinder(fixture_path("default.json"))
    started: list[str] = []

    def on_start(sender: Flask, **extra: Any) -> None:
        started.append("started")

    request_started.connect(on_start, fake.app)
    try:
        client = fake.app.test_client()
        assert client.get(VOLUMES, headers=NOVA).status_code == 200
        assert started == []
        fake.app.before_request(lambda: None)
        assert client.get(VOLUMES, headers=NOVA).status_code == 200
        assert started == ["started"]
    finally:
        request_started.disconnect(on_start, fake.app)


def test_a_dropped_connection_through_flasks_handling(extended: FakeCinder) -> None:
    """An injected drop still closes the connection when Flask serves the request."""
    extended.inject("volume_list", drop_connection=True)
    with extended.serve() as server, pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}{VOLUMES}", headers=NOVA, timeout=10)
    assert [(e.operation, e.status) for e in extended.journal.entries()] == [
        ("volume_list", None)]
