"""Response hooks see every response: the v3 API and every other route (the version
documents, /identity, /_fake/), all served by fake_cinder.api.app.FakeWsgi."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from flask import request
from werkzeug.wrappers import Request, Response

from fake_cinder import FakeCinder
from fake_cinder.core.fault_injection import DroppedConnection
from tests.helpers.attach_calls import BASE, NOVA

VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"
Seen = list[tuple[str, str | None, int, dict[str, Any]]]


pytestmark = pytest.mark.fake_cinder_state("default.json")


@pytest.fixture
def seen(fake: FakeCinder) -> Seen:
    calls: Seen = []

    def hook(request: Request, response: Response, record: dict[str, Any]) -> None:
        calls.append((request.path, record.get("operation"), response.status_code,
                      dict(response.headers)))

    fake.response_hooks.append(hook)
    return calls


def test_hooks_see_v3_flask_and_control_responses(fake: FakeCinder, seen: Seen) -> None:
    client = fake.app.test_client()
    client.get(f"{BASE}/volumes/{VOLUME}", headers=NOVA)
    client.get(f"{BASE}/volumes/{VOLUME}")  # no identity
    client.get("/v3/demo/nowhere", headers=NOVA)
    client.get("/")
    client.get("/identity/v3/")
    client.get("/_fake/health")
    assert [(path, operation, status) for path, operation, status, _h in seen] == [
        (f"{BASE}/volumes/{VOLUME}", "volume_show", 200),
        (f"{BASE}/volumes/{VOLUME}", None, 401),
        ("/v3/demo/nowhere", None, 404),
        ("/", "versions", 300),
        ("/identity/v3/", None, 200),
        ("/_fake/health", None, 200),
    ]
    # The hooks run after Cinder's headers are on the response, on both paths.
    shown, anonymous, unrouted, versions = (headers for _p, _o, _s, headers in seen[:4])
    assert shown["OpenStack-API-Version"] == "volume 3.54"
    assert shown["X-OpenStack-Request-Id"] == shown["X-Compute-Request-Id"]
    for headers in (anonymous, unrouted, versions):
        assert headers["X-OpenStack-Request-Id"].startswith("req-")
    for headers in (anonymous, unrouted):
        assert "OpenStack-API-Version" not in headers
    # Cinder's version document negotiates like the v3 routes (3.0 without a header).
    assert versions["OpenStack-API-Version"] == "volume 3.0"


def test_flasks_hooks_see_the_fakes_requests(fake: FakeCinder, seen: Seen) -> None:
    """fake.app is a real Flask app: its request hooks run around the fake's URLs too,
    and the response hooks and the journal still see every response."""
    flask_saw: list[str] = []
    fake.app.before_request(lambda: flask_saw.append(request.path) and None)
    client = fake.app.test_client()
    assert client.get(f"{BASE}/volumes/{VOLUME}", headers=NOVA).status_code == 200
    assert client.get("/").status_code == 300
    assert flask_saw == [f"{BASE}/volumes/{VOLUME}", "/"]
    assert [e.operation for e in fake.journal.entries()] == ["volume_show", "versions"]
    assert [(operation, status) for _p, operation, status, _h in seen] == [
        ("volume_show", 200), ("versions", 300)]


@pytest.mark.parametrize("through_flask", [False, True])
def test_hooks_read_the_request_body_the_fake_read(fake: FakeCinder,
                                                  through_flask: bool) -> None:
    """The fake reads a body of known length straight from the input: the request's
    get_data() still gives it to a response hook (and a Flask hook that read it first
    leaves it to the fake), over a real connection."""
    bodies: list[bytes] = []
    fake.response_hooks.append(lambda req, _response, _record: bodies.append(req.get_data()))
    if through_flask:
        fake.app.before_request(lambda: request.get_data() and None)
    body = b'{"attachment": {"volume_uuid": "%s"}}' % VOLUME.encode()
    with fake.serve() as server:
        response = requests.post(f"{server.url}{BASE}/attachments", data=body,
                                 headers={**NOVA, "Content-Type": "application/json"},
                                 timeout=5)
    assert response.status_code == 200, response.text
    assert bodies == [body]
    assert fake.journal.entries()[-1].raw_body == body


def test_a_failing_request_still_reaches_the_hooks_over_http(fake: FakeCinder,
                                                             seen: Seen) -> None:
    fake.inject("volume_show", status=503)
    with fake.serve() as server:
        response = requests.get(f"{server.url}{BASE}/volumes/{VOLUME}", headers=NOVA,
                                timeout=5)
    assert response.status_code == 503
    assert [(operation, status) for _p, operation, status, _h in seen] == [
        ("volume_show", 503)]


def test_a_dropped_connection_reaches_the_test_and_the_hooks(fake: FakeCinder,
                                                             seen: Seen) -> None:
    fake.inject("volume_show", drop_connection=True)
    with pytest.raises(DroppedConnection):
        fake.app.test_client().get(f"{BASE}/volumes/{VOLUME}", headers=NOVA).get_data()
    assert [(operation, status) for _p, operation, status, _h in seen] == [
        ("volume_show", 500)]
    assert [e.status for e in fake.journal.entries()] == [None]


class HookBroke(Exception):
    pass


def _broken_hook(request: Request, response: Response, record: dict[str, Any]) -> None:
    raise HookBroke(f"hook broke on {request.path}")


@pytest.mark.parametrize("path", [f"{BASE}/volumes/{VOLUME}", "/identity/v3/"],
                         ids=["v3", "flask"])
def test_a_hook_that_raises_answers_cinders_500_and_fails_the_test(fake: FakeCinder,
                                                                   seen: Seen,
                                                                   path: str) -> None:
    fake.response_hooks.insert(0, _broken_hook)
    # Raised when the block is left, as any unexpected error of the fake is.
    with pytest.raises(HookBroke, match=f"hook broke on {path}"), fake.serve() as server:
        response = requests.get(f"{server.url}{path}", headers=NOVA, timeout=5)
        assert response.status_code == 500
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() == {"computeFault": {"code": 500, "message": (
            "The server has either erred or is incapable of performing the requested "
            "operation.")}}
        assert response.headers["X-OpenStack-Request-Id"].startswith("req-")
    # The later hooks and the journal saw the answer that was sent.
    assert [status for _p, _o, status, _h in seen] == [500]
    assert [e.status for e in fake.journal.entries()] == [500]
    assert fake.errors == []  # raised once, then forgotten

