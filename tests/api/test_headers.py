"""BEHAVIOR.md section 1: the headers of v3 responses, and where they are absent."""

from __future__ import annotations

import re

import pytest
from werkzeug.wrappers import Response

from tests.helpers.api import CONNECTOR, UNKNOWN, VOLUME

REQUEST_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
VERSION_HEADERS = ("OpenStack-API-Version", "Vary", "X-Compute-Request-Id")


def assert_router_headers(response, version: str) -> None:
    headers = response.headers
    assert headers["OpenStack-API-Version"] == f"volume {version}"
    assert headers["Vary"] == "OpenStack-API-Version"
    assert REQUEST_ID.match(headers["X-OpenStack-Request-Id"])
    assert headers["X-Compute-Request-Id"] == headers["X-OpenStack-Request-Id"]


def assert_no_version_headers(response) -> None:
    for name in VERSION_HEADERS:
        assert name not in response.headers, name
    assert REQUEST_ID.match(response.headers["X-OpenStack-Request-Id"])


def test_success_without_version_header_is_3_0(api):
    response = api.get(f"volumes/{VOLUME}", version=None)
    assert response.status_code == 200
    assert_router_headers(response, "3.0")


def test_latest_is_echoed_as_3_71(api):
    response = api.get("attachments", version="latest")
    assert response.status_code == 200
    assert_router_headers(response, "3.71")


@pytest.mark.parametrize("version", ["3.27", "3.44", "3.54", "3.60"])
def test_requested_version_is_echoed(api, version):
    response = api.get("attachments", version=version)
    assert response.status_code == 200
    assert_router_headers(response, version)


def test_request_ids_differ_between_requests(api):
    first = api.get("attachments").headers["X-OpenStack-Request-Id"]
    second = api.get("attachments").headers["X-OpenStack-Request-Id"]
    assert first != second


def test_400_inside_the_router_carries_the_headers(api):
    response = api.post("attachments", {"attachment": {"volume_uuid": "nope"}}, version="3.27")
    assert response.status_code == 400
    assert_router_headers(response, "3.27")


def test_404_inside_the_router_carries_the_headers(api):
    response = api.get(f"attachments/{UNKNOWN}", version="3.30")
    assert response.status_code == 404
    assert_router_headers(response, "3.30")


def test_version_gate_404_carries_the_headers(api):
    response = api.get("attachments", version="3.26")
    assert response.status_code == 404
    assert_router_headers(response, "3.26")


@pytest.mark.parametrize("version", ["3.99", "3.72", "4.0"])
def test_406_echoes_the_requested_version(api, version):
    response = api.get("attachments", version=version)
    assert response.status_code == 406
    assert_router_headers(response, version)


def test_415_carries_the_headers(api):
    response = api.post("attachments", data="{}", content_type="text/plain", version="3.27")
    assert response.status_code == 415
    assert_router_headers(response, "3.27")


def test_500_carries_the_headers(api, monkeypatch, fake):
    from fake_cinder.api import attachments

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(attachments.core, "show_attachment", broken)
    fake.raise_errors = False  # the plugin's fixture would fail the test on the bug
    response = api.get(f"attachments/{UNKNOWN}", version="3.27")
    assert response.status_code == 500
    assert_router_headers(response, "3.27")
    assert "computeFault" in response.get_json()
    assert [str(error) for error in fake.errors] == ["boom"]


@pytest.mark.parametrize("value", ["volume foo", "volume 3.27.1", "volume 3."])
def test_malformed_version_400_has_no_version_headers(api, value):
    response = api.get("attachments", version=None, extra={"OpenStack-API-Version": value})
    assert response.status_code == 400
    assert "OpenStack-API-Version" not in response.headers
    assert "Vary" not in response.headers


def test_406_for_2_0_has_no_version_header(api):
    response = api.get("attachments", version="2.0")
    assert response.status_code == 406
    assert "OpenStack-API-Version" not in response.headers
    assert "Vary" not in response.headers


def test_401_has_only_the_request_id(api):
    response = api.get("attachments", project=None)
    assert response.status_code == 401
    assert_no_version_headers(response)


def test_routing_404_has_only_the_request_id(api):
    response = api.get("no-such-collection")
    assert response.status_code == 404
    assert_no_version_headers(response)


def test_413_has_only_the_request_id(api):
    response = api.post("attachments", data=b"x" * 114689, content_type="application/json")
    assert response.status_code == 413
    assert_no_version_headers(response)


def test_json_content_type_on_json_responses(api):
    response = api.get("attachments")
    assert response.headers["Content-Type"] == "application/json"
    assert api.get(f"attachments/{UNKNOWN}").headers["Content-Type"] == "application/json"


def test_json_content_type_on_the_empty_204_of_os_complete(api):
    attachment = api.create(connector=CONNECTOR)
    response = api.post(f"attachments/{attachment['id']}/action", {"os-complete": None})
    assert response.status_code == 204
    assert response.get_data() == b""
    assert response.headers["Content-Type"] == "application/json"
    assert_router_headers(response, "3.71")


def test_v3_without_slash_redirects(client):
    response = client.get("/v3", headers={"X-Project-Id": "demo"})
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost/v3/"


def test_v3_redirect_uses_the_request_host(client):
    response = client.get("/v3", headers={"X-Project-Id": "demo"},
                          base_url="http://cinder.example.org:8776")
    assert response.status_code == 302
    assert response.headers["Location"] == "http://cinder.example.org:8776/v3/"


def test_legacy_version_header_is_ignored(api):
    legacy = {"X-OpenStack-Volume-API-Version": "3.27"}
    response = api.get("attachments", version=None, extra=legacy)
    assert response.status_code == 404
    assert_router_headers(response, "3.0")
    response = api.get(f"volumes/{VOLUME}", version=None,
                       extra={"X-OpenStack-Volume-API-Version": "9.9"})
    assert response.status_code == 200
    assert_router_headers(response, "3.0")


def test_v3_without_slash_needs_identity_too(client):
    response = client.get("/v3")
    assert response.status_code == 401


def _as_sent(app_call):
    """(status, headers, body) an app call hands the server."""
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, list(headers)

    iterable = app_call(start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return seen["status"], seen["headers"], body


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("made", [
    lambda: Response(b'{"volume": {}}', status=200, content_type="application/json"),
    lambda: Response(b"", status=204, content_type="application/json"),
    lambda: Response(b'{"itemNotFound": {}}', status=404, content_type="application/json"),
    lambda: Response(b"{}", status=202, headers={"Location": "/v3/x"}),
    lambda: Response(b"{}", status=200, headers={"Content-Location": "x"}),
    lambda: Response(iter([b"a", b"b"]), status=200),  # streamed: no length
    lambda: Response(b"ok", status=304),
], ids=["json", "204", "404", "location", "content-location", "streamed", "304"])
def test_send_hands_the_server_what_werkzeug_would(made, method):
    """``api.app.send`` skips werkzeug's header fix-ups only where they change nothing:
    the same status, headers and body as the response's own ``__call__``, and
    ``call_on_close`` callbacks still run."""
    from werkzeug.test import EnvironBuilder

    from fake_cinder.api.app import send

    environ = EnvironBuilder(method=method).get_environ()
    closed = []
    ours, theirs = made(), made()
    ours.call_on_close(lambda: closed.append("ours"))
    theirs.call_on_close(lambda: closed.append("theirs"))
    assert _as_sent(lambda start: send(ours, environ, start)) == \
        _as_sent(lambda start: theirs(environ, start))
    assert closed == ["ours", "theirs"]


def test_send_takes_the_fake_answers_as_they_are():
    """A JSON answer of the fake's does not go through werkzeug's header fix-ups."""
    from werkzeug.test import EnvironBuilder

    from fake_cinder.api.app import send

    answer = Response(b'{"volume": {}}', status=200, content_type="application/json")

    def copied(environ):
        raise AssertionError("werkzeug's get_wsgi_headers was called")

    answer.get_wsgi_headers = copied
    status, headers, body = _as_sent(
        lambda start: send(answer, EnvironBuilder().get_environ(), start))
    assert (status, body) == ("200 OK", b'{"volume": {}}')
    assert ("Content-Length", "14") in headers


@pytest.mark.parametrize("status,body", [
    (200, b'{"attachment": {"id": "x"}}'), (202, b'{"volume": {}}'), (204, b""),
])
@pytest.mark.parametrize("version", [None, "3.54"], ids=["unversioned", "versioned"])
def test_send_answer_hands_the_server_what_the_werkzeug_response_would(status, body, version):
    """An operation's JSON answer skips building a werkzeug response only where that
    changes nothing: the same status line, headers (in order) and body as the response
    ``as_response`` makes of it (what response hooks and Flask see)."""
    from werkzeug.test import EnvironBuilder

    from fake_cinder.api import microversions as mv
    from fake_cinder.api.app import as_response, send_answer
    from fake_cinder.api.request_record import RequestRecord
    from fake_cinder.api.routing import JsonAnswer

    record = RequestRecord(None, "req-1")  # type: ignore[arg-type]
    record.api_version = mv.APIVersion.parse(version) if version else None
    environ = EnvironBuilder(method="POST").get_environ()
    ours = _as_sent(lambda start: send_answer(JsonAnswer(status, body), record, start))
    theirs = _as_sent(lambda start: as_response(JsonAnswer(status, body), record)(
        environ, start))
    assert ours == theirs
    assert ours[0].startswith(str(status))
