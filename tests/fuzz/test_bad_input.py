"""A corpus of bad requests, sent as raw bytes over a real socket.

Each must get its 4xx with Cinder's fault body (or WebOb's shape where Cinder's router
is not reached: no identity, unknown route, over-size body; BEHAVIOR.md §5) and must
leave the state exactly as it was (``fake.dump()`` before and after).
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass

import pytest

from fake_cinder import FakeCinder
from fake_cinder.api.app import MAX_REQUEST_BODY_SIZE
from fake_cinder.api.error_bodies import CINDER_ERROR_NAMES
from fake_cinder.api.microversions import MIN_VERSION

VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"  # demo's volume in the default fixtures
SHARED = "1d7f3c52-6c2b-4e1f-8b58-2a7e4d3c9f22"  # demo's multiattach volume
INSTANCE = "8a3c1b2d-0000-4000-8000-000000000001"
AUTH = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.54"}
JSON_TYPE = {"Content-Type": "application/json"}
ATTACHMENT = "{attachment}"  # replaced by the id of an attachment that exists


def _nested(depth: int) -> str:
    """A connector good enough for the iSCSI backend, with ``depth`` levels under "deep"."""
    return '{"initiator": "iqn.1993-08.org.debian:01:n", "deep": ' + (
        '{"k": ' * depth + "1" + "}" * depth) + "}"


def _create(connector: str, volume: str = VOLUME) -> bytes:
    """A create body (on an available volume) with the connector spliced in as JSON text."""
    head = json.dumps({"attachment": {"volume_uuid": volume, "instance_uuid": INSTANCE}})
    return (head[:-2] + f', "connector": {connector}}}}}').encode()


def _j(data: object) -> bytes:
    return json.dumps(data).encode()


@dataclass(frozen=True)
class Bad:
    name: str
    method: str
    path: str
    status: int
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = tuple(AUTH.items()) + tuple(JSON_TYPE.items())
    webob: bool = False  # WebOb's error shape instead of Cinder's fault

    def without(self, *names: str) -> tuple[tuple[str, str], ...]:
        return tuple((k, v) for k, v in self.headers if k not in names)


def _h(**extra: str) -> tuple[tuple[str, str], ...]:
    return tuple({**AUTH, **JSON_TYPE, **{k.replace("_", "-"): v
                                          for k, v in extra.items()}}.items())


CORPUS = [
    # malformed JSON
    Bad("truncated", "POST", "/v3/demo/attachments", 400, b'{"attachment": {"volume_uuid": '),
    Bad("not json", "POST", "/v3/demo/attachments", 400, b"volume_uuid=abc"),
    Bad("invalid utf-8", "POST", "/v3/demo/attachments", 400, b'{"attachment": "\xff\xfe"}'),
    Bad("utf-8 byte-order mark", "POST", "/v3/demo/attachments", 400,
        b"\xef\xbb\xbf" + _j({"attachment": {"volume_uuid": VOLUME}})),
    Bad("utf-16", "POST", "/v3/demo/attachments", 400,
        json.dumps({"attachment": {"volume_uuid": VOLUME}}).encode("utf-16")),
    Bad("json array", "POST", "/v3/demo/attachments", 400, b"[]"),
    # Nova's volume attachments: its schema, before the server is looked at
    Bad("nova: json array", "POST", f"/compute/v2.1/servers/{INSTANCE}/os-volume_attachments",
        400, b"[]"),
    Bad("nova: no volumeAttachment", "PUT",
        f"/compute/v2.1/servers/{INSTANCE}/os-volume_attachments/{VOLUME}", 400, b"{}"),
    Bad("json null", "POST", "/v3/demo/attachments", 400, b"null"),
    Bad("json string", "PUT", f"/v3/demo/attachments/{ATTACHMENT}", 400, b'"connector"'),
    Bad("empty object", "PUT", f"/v3/demo/attachments/{ATTACHMENT}", 400, b"{}"),
    Bad("no body", "PUT", f"/v3/demo/attachments/{ATTACHMENT}", 400, None),
    Bad("action list", "POST", f"/v3/demo/attachments/{ATTACHMENT}/action", 400, b"[]"),
    Bad("action number", "POST", f"/v3/demo/attachments/{ATTACHMENT}/action", 404, b"7"),
    Bad("two actions", "POST", f"/v3/demo/attachments/{ATTACHMENT}/action", 400,
        b'{"os-complete": null, "os-x": null}'),
    Bad("unknown action", "POST", f"/v3/demo/attachments/{ATTACHMENT}/action", 400,
        b'{"os-detach": {}}'),
    Bad("NaN uuid", "POST", "/v3/demo/attachments", 400,
        b'{"attachment": {"volume_uuid": NaN}}'),
    Bad("extra key", "POST", "/v3/demo/attachments", 400,
        _j({"attachment": {"volume_uuid": VOLUME, "foo": 1}})),
    # wrong and missing content types
    Bad("text/plain", "POST", "/v3/demo/attachments", 415,
        _j({"attachment": {"volume_uuid": VOLUME}}),
        _h(Content_Type="text/plain")),
    Bad("xml", "PUT", f"/v3/demo/attachments/{ATTACHMENT}", 415, b"<attachment/>",
        _h(Content_Type="application/xml")),
    Bad("form", "POST", "/v3/demo/volumes", 415, b"size=1",
        _h(Content_Type="application/x-www-form-urlencoded")),
    Bad("no content type", "POST", "/v3/demo/attachments", 415,
        _j({"attachment": {"volume_uuid": VOLUME}}), tuple(AUTH.items())),
    Bad("body on GET", "GET", "/v3/demo/attachments", 415, b"hello",
        _h(Content_Type="text/plain")),
    # oversized bodies
    Bad("oversized", "POST", "/v3/demo/attachments", 413,
        b'{"attachment": {"volume_uuid": "' + b"a" * MAX_REQUEST_BODY_SIZE + b'"}}',
        webob=True),
    Bad("oversized types", "POST", "/v3/demo/types", 413,
        b" " * (MAX_REQUEST_BODY_SIZE + 1), webob=True),
    # huge and negative limits, bad paging
    Bad("negative limit", "GET", "/v3/demo/attachments?limit=-1", 400),
    Bad("huge negative limit", "GET", "/v3/demo/attachments?limit=-" + "9" * 400, 400),
    Bad("float limit", "GET", "/v3/demo/attachments/detail?limit=1e400", 400),
    Bad("limit word", "GET", "/v3/demo/attachments?limit=lots", 400),
    Bad("negative offset", "GET", "/v3/demo/attachments?offset=-3", 400),
    Bad("bad sort dir", "GET", "/v3/demo/attachments?sort=created_at:sideways", 400),
    Bad("bad sort key", "GET", "/v3/demo/attachments?sort=%E2%98%83", 400),
    Bad("sort and sort_key", "GET", "/v3/demo/attachments?sort=id&sort_key=id", 400),
    Bad("unknown marker", "GET", "/v3/demo/attachments?marker=not-a-uuid", 404),
    # non-UUID ids
    Bad("show non-uuid", "GET", "/v3/demo/attachments/not-a-uuid", 404),
    Bad("update non-uuid", "PUT", "/v3/demo/attachments/1", 404,
        b'{"attachment": {"connector": {"initiator": "iqn.x"}}}'),
    Bad("delete non-uuid", "DELETE", "/v3/demo/attachments/%2E%2E", 404),
    Bad("complete non-uuid", "POST", "/v3/demo/attachments/x/action", 404,
        b'{"os-complete": null}'),
    Bad("volume non-uuid", "POST", "/v3/demo/attachments", 400,
        b'{"attachment": {"volume_uuid": "not-a-uuid"}}'),
    Bad("instance non-uuid", "POST", "/v3/demo/attachments", 400,
        _j({"attachment": {"volume_uuid": VOLUME, "instance_uuid": 7}})),
    Bad("unknown volume", "POST", "/v3/demo/attachments", 404,
        b'{"attachment": {"volume_uuid": "00000000-0000-4000-8000-000000000000"}}'),
    Bad("show volume non-uuid", "GET", "/v3/demo/volumes/%F0%9F%92%A5", 404),
    Bad("delete volume non-uuid", "DELETE", "/v3/demo/volumes/null", 404),
    # unicode and control characters
    Bad("unicode id", "GET", "/v3/demo/attachments/%E2%98%83", 404),
    Bad("NUL id", "GET", "/v3/demo/attachments/%00", 404),
    Bad("control char uuid", "POST", "/v3/demo/attachments", 400,
        _j({"attachment": {"volume_uuid": VOLUME + "\x00"}})),
    Bad("unicode connector", "POST", "/v3/demo/attachments", 400,
        _create('{"\u0125\u00f6st": "\\u0007\u2603", "\\u0000": "\U0001f4a5"}')),
    Bad("control chars in project header", "GET", "/v3/demo/attachments", 400, None,
        tuple({**AUTH, "X-Auth-Token": "demo:demo\x01\x7f"}.items())),
    Bad("latin-1 version header", "GET", "/v3/demo/attachments", 400, None,
        tuple({**AUTH, "OpenStack-API-Version": "volume 3.\u00b2"}.items())),
    Bad("empty type name", "POST", "/v3/demo/types", 400, b'{"volume_type": {"name": ""}}'),
    Bad("unicode reset status", "POST", f"/v3/demo/volumes/{VOLUME}/action", 400,
        '{"os-reset_status": {"status": "\u0430vailable"}}'.encode()),
    # deeply nested connectors
    Bad("nested connector", "POST", "/v3/demo/attachments", 400, _create(_nested(40))),
    Bad("very nested connector", "POST", "/v3/demo/attachments", 400, _create(_nested(5000))),
    Bad("nested update", "PUT", f"/v3/demo/attachments/{ATTACHMENT}", 400,
        b'{"attachment": {"connector": ' + _nested(200).encode() + b"}}"),
    Bad("nested action", "POST", f"/v3/demo/attachments/{ATTACHMENT}/action", 400,
        b'{"os-complete": ' + b"[" * 3000 + b"]" * 3000 + b"}"),
    # wrong methods
    Bad("PATCH attachment", "PATCH", f"/v3/demo/attachments/{ATTACHMENT}", 404,
        b'{"attachment": {}}', webob=True),
    Bad("DELETE collection", "DELETE", "/v3/demo/attachments", 404, webob=True),
    Bad("PUT volumes", "PUT", "/v3/demo/volumes", 404, b"{}", webob=True),
    Bad("POST detail", "POST", "/v3/demo/attachments/detail", 404, b"{}", webob=True),
    Bad("GET action", "GET", f"/v3/demo/attachments/{ATTACHMENT}/action", 404, webob=True),
    # unknown routes
    Bad("unknown collection", "GET", "/v3/demo/backups", 404, webob=True),
    Bad("too deep path", "GET", f"/v3/demo/attachments/{ATTACHMENT}/action/x", 404,
        webob=True),
    Bad("v2", "GET", "/v2/demo/volumes", 404, webob=True),
    Bad("unicode route", "GET", "/v3/demo/%E2%98%83", 404, webob=True),
    # identity, project and version
    Bad("no identity", "GET", "/v3/demo/attachments", 401, None,
        (("OpenStack-API-Version", "volume 3.54"),), webob=True),
    Bad("other project in url", "GET", "/v3/0ddba11-0000/attachments", 400),
    Bad("unknown readable project in url", "GET", "/v3/someone-else/attachments", 404,
        webob=True),
    Bad("unsupported version", "GET", "/v3/demo/attachments", 406, None,
        _h(OpenStack_API_Version="volume 3.99")),
    Bad("malformed version", "GET", "/v3/demo/attachments", 400, None,
        _h(OpenStack_API_Version="volume 3.27.1")),
    Bad("below the route's version", "POST", f"/v3/demo/attachments/{ATTACHMENT}/action", 404,
        b'{"os-complete": null}', _h(OpenStack_API_Version="volume 3.43")),
]


pytestmark = pytest.mark.fake_cinder_state("default.json", seed=5)


@pytest.fixture
def served(fake: FakeCinder, live_server_url: str) -> tuple[FakeCinder, int, str]:
    port = int(live_server_url.rsplit(":", 1)[1])
    # An attachment to aim at: attaching, with a connector, on demo's multiattach volume.
    status, body = _send(port, "POST", "/v3/demo/attachments", tuple(
        {**AUTH, **JSON_TYPE}.items()), _create('{"initiator": "iqn.x"}', SHARED))
    assert status == 200, body
    return fake, port, json.loads(body)["attachment"]["id"]


def _send(port: int, method: str, path: str, headers: tuple[tuple[str, str], ...],
          body: bytes | None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value.encode("latin-1", "replace"))
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("bad", CORPUS, ids=[bad.name for bad in CORPUS])
def test_bad_input_gets_a_fault_and_changes_nothing(served, bad: Bad) -> None:
    fake, port, attachment = served
    before = fake.dump()
    status, raw = _send(port, bad.method, bad.path.replace(ATTACHMENT, attachment),
                        bad.headers, bad.body)
    assert status == bad.status, raw[:300]
    body = json.loads(raw)
    shape = "webob_fault" if bad.webob else "fault"
    assert fake.schemas.errors(shape, "response", MIN_VERSION, body) == [], body
    if bad.webob:
        assert body["code"].startswith(f"{status} ")
    else:
        ((name, fault),) = body.items()
        assert name == CINDER_ERROR_NAMES.get(status, "computeFault") and fault["code"] == status
        assert fault["message"]
    assert fake.dump() == before


def test_huge_limit_is_capped_not_refused(served) -> None:
    """Cinder reads any positive limit; a huge one lists everything and changes nothing."""
    fake, port, _ = served
    before = fake.dump()
    status, raw = _send(port, "GET", "/v3/demo/attachments?limit=" + "9" * 400,
                        tuple(AUTH.items()), None)
    assert status == 200
    assert len(json.loads(raw)["attachments"]) == len(before["attachments"])
    assert fake.dump() == before
