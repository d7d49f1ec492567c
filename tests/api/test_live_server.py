"""The attach flows and concurrent reserves over a live threaded server, with plain HTTP."""

from __future__ import annotations

import json
import threading
import uuid

import requests

from tests.helpers.api import CONNECTOR, SERVER, SERVER2, SHARED_VOLUME, VOLUME
from tests.helpers.threads import run_threads, slow_status

THREADS = 8


def headers(version: str = "3.71", service: bool = False) -> dict[str, str]:
    result = {"X-User-Id": "demo", "X-Project-Id": "demo", "X-Roles": "member",
              "OpenStack-API-Version": f"volume {version}"}
    if service:
        result["X-Service-Roles"] = "service"
    return result


class Client:
    """Plain HTTP against the live server, as a Nova-like service would talk to Cinder."""

    def __init__(self, base: str) -> None:
        self.base = f"{base}/v3/demo"
        self.session = requests.Session()

    def call(self, method: str, path: str, body=None, **kw) -> requests.Response:
        return self.session.request(method, f"{self.base}/{path}", json=body,
                                    headers=headers(**kw), timeout=10)

    def volume_status(self, volume_id: str) -> str:
        response = self.call("GET", f"volumes/{volume_id}")
        assert response.status_code == 200
        return response.json()["volume"]["status"]


def test_nova_flow_over_http(live_server_url):
    http = Client(live_server_url)
    created = http.call("POST", "attachments", {"attachment": {
        "volume_uuid": VOLUME, "instance_uuid": SERVER}})
    assert created.status_code == 200
    assert created.headers["Content-Type"] == "application/json"
    assert created.headers["OpenStack-API-Version"] == "volume 3.71"
    attachment_id = created.json()["attachment"]["id"]
    assert http.volume_status(VOLUME) == "reserved"

    updated = http.call("PUT", f"attachments/{attachment_id}",
                        {"attachment": {"connector": CONNECTOR}})
    assert updated.status_code == 200
    assert updated.json()["attachment"]["status"] == "reserved"
    assert updated.json()["attachment"]["connection_info"]["driver_volume_type"] == "iscsi"
    assert http.volume_status(VOLUME) == "attaching"

    completed = http.call("POST", f"attachments/{attachment_id}/action", {"os-complete": None})
    assert completed.status_code == 204
    assert completed.content == b""
    volume = http.call("GET", f"volumes/{VOLUME}").json()["volume"]
    assert volume["status"] == "in-use"
    assert volume["attachments"][0]["attachment_id"] == attachment_id

    refused = http.call("DELETE", f"attachments/{attachment_id}")
    assert refused.status_code == 409
    deleted = http.call("DELETE", f"attachments/{attachment_id}", service=True)
    assert deleted.status_code == 200
    assert deleted.json() == {"attachments": []}
    assert http.volume_status(VOLUME) == "available"
    assert http.call("GET", f"attachments/{attachment_id}").status_code == 404


def test_multiattach_flow_over_http(live_server_url):
    http = Client(live_server_url)
    ids = []
    for server in (SERVER, SERVER2):
        created = http.call("POST", "attachments", {"attachment": {
            "volume_uuid": SHARED_VOLUME, "instance_uuid": server, "connector": CONNECTOR}})
        assert created.status_code == 200
        ids.append(created.json()["attachment"]["id"])
        assert http.volume_status(SHARED_VOLUME) == "attaching"
        assert http.call("POST", f"attachments/{ids[-1]}/action",
                         {"os-complete": None}).status_code == 204
        assert http.volume_status(SHARED_VOLUME) == "in-use"
    volume = http.call("GET", f"volumes/{SHARED_VOLUME}").json()["volume"]
    assert {a["server_id"] for a in volume["attachments"]} == {SERVER, SERVER2}
    listed = http.call("GET", "attachments", None).json()["attachments"]
    assert [a["id"] for a in listed] == ids[::-1]

    left = http.call("DELETE", f"attachments/{ids[0]}", service=True)
    assert left.status_code == 200
    assert [a["id"] for a in left.json()["attachments"]] == [ids[1]]
    assert http.volume_status(SHARED_VOLUME) == "in-use"
    left = http.call("DELETE", f"attachments/{ids[1]}", service=True)
    assert left.json() == {"attachments": []}
    assert http.volume_status(SHARED_VOLUME) == "available"


def test_errors_over_http_have_cinder_shapes(live_server_url):
    http = Client(live_server_url)
    response = http.session.get(f"{live_server_url}/v3/demo/attachments", timeout=10)
    assert response.status_code == 401
    assert response.json()["code"] == "401 Unauthorized"
    response = http.session.post(f"{http.base}/attachments", data=b"{not json",
                                 headers={**headers(), "Content-Type": "application/json"},
                                 timeout=10)
    assert response.json() == {"badRequest": {"code": 400,
                                              "message": "Malformed request body"}}
    response = http.session.post(f"{http.base}/attachments", data=b'{"attachment": {}}',
                                 headers=headers(), timeout=10)
    assert response.status_code == 415
    root = http.session.get(f"{live_server_url}/", timeout=10)
    assert root.status_code == 300
    assert root.json()["versions"][0]["links"][1]["href"] == f"{live_server_url}/v3/"
    redirect = http.session.get(f"{live_server_url}/v3", headers=headers(),
                                allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    assert redirect.headers["Location"] == f"{live_server_url}/v3/"


def test_concurrent_reserves_over_http_exactly_one_wins(live_server_url, fake):
    slow_status(fake.store, VOLUME)
    barrier = threading.Barrier(THREADS)
    results: list[requests.Response] = []
    lock = threading.Lock()

    def reserve() -> None:
        body = {"attachment": {"volume_uuid": VOLUME, "instance_uuid": str(uuid.uuid4())}}
        with requests.Session() as session:
            barrier.wait(timeout=10)
            response = session.post(f"{live_server_url}/v3/demo/attachments", json=body,
                                    headers=headers(), timeout=10)
        with lock:
            results.append(response)

    run_threads(reserve, [()] * THREADS)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [400] * (THREADS - 1)
    for response in results:
        if response.status_code == 400:
            assert "must be available or downloading to reserve" in \
                response.json()["badRequest"]["message"]
    assert len(fake.store.attachments) == 1


def chunked(body: bytes, piece: int = 4096):
    """A generator body: requests sends it with Transfer-Encoding: chunked."""
    for start in range(0, len(body), piece):
        yield body[start:start + piece]


def test_chunked_body_over_the_limit_is_a_413(live_server_url, fake):
    body = json.dumps({"attachment": {"volume_uuid": VOLUME, "pad": "x" * 200_000}}).encode()
    response = requests.post(f"{live_server_url}/v3/demo/attachments", data=chunked(body),
                             headers={**headers(), "Content-Type": "application/json"},
                             timeout=10)
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert response.status_code == 413
    assert response.json()["code"] == "413 Request Entity Too Large"
    assert "OpenStack-API-Version" not in response.headers
    assert fake.store.attachments == {}


def test_chunked_body_of_exactly_the_limit_is_read(live_server_url):
    body = json.dumps({"attachment": {"volume_uuid": VOLUME}}).encode()
    body += b" " * (114688 - len(body))
    response = requests.post(f"{live_server_url}/v3/demo/attachments", data=chunked(body),
                             headers={**headers(), "Content-Type": "application/json"},
                             timeout=10)
    assert response.status_code == 200
