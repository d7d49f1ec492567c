"""Cinder's invariants over the HTTP API, shared by the state machine and the concurrency test.

``Api`` speaks HTTP through anything with Flask's test-client or requests'
call shape; ``check_invariants`` asks only the API (and ``dump``/``load``),
never the store, whether the state is one real Cinder could be in.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fake_cinder import FakeCinder

VERSION = "volume 3.54"
PROJECTS = ("alpha", "beta")
# BEHAVIOR.md §3: with several attachments the volume follows the "highest" one.
PRIORITY = ("attached", "attaching", "detaching", "reserved")
VOLUME_STATUS = {"attached": "in-use", "attaching": "attaching", "detaching": "detaching",
                 "reserved": "reserved"}


def headers(project: str, role: str = "member", service: bool = False) -> dict[str, str]:
    result = {"X-Project-Id": project, "X-User-Id": f"{role}-{project}", "X-Roles": role,
              "OpenStack-API-Version": VERSION}
    if service:
        result["X-Service-Roles"] = "service"
    return result


def other(project: str) -> str:
    return next(p for p in PROJECTS if p != project)


def derived_status(attachment_statuses: Iterable[str]) -> str:
    """The volume status Cinder recomputes from its remaining attachments (on delete)."""
    live = [s for s in attachment_statuses if not s.startswith("error")]
    if not live:
        return "available"
    return VOLUME_STATUS[min(live, key=PRIORITY.index)]


@dataclass
class Result:
    status: int
    body: Any


# send(method, path, headers, json body or None) -> (status, decoded JSON body or None)
Sender = Callable[[str, str, dict[str, str], Any], tuple[int, Any]]


class Api:
    """A minimal Cinder client over a transport (Flask's test client, or real sockets)."""

    def __init__(self, send: Sender) -> None:
        self._send = send

    def call(self, method: str, path: str, hdrs: dict[str, str], body: Any = None) -> Result:
        return Result(*self._send(method, path, hdrs, body))


def flask_api(fake: FakeCinder) -> Api:
    client = fake.app.test_client()

    def send(method: str, path: str, hdrs: dict[str, str], body: Any) -> tuple[int, Any]:
        kwargs = {} if body is None else {"json": body}
        response = client.open(path, method=method, headers=hdrs, **kwargs)
        return response.status_code, response.get_json(silent=True)
    return Api(send)


def http_api(base_url: str) -> Api:
    """Real sockets through http.client: a cheap client, so the server is what gets loaded."""
    parsed = urlsplit(base_url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)

    def send(method: str, path: str, hdrs: dict[str, str], body: Any) -> tuple[int, Any]:
        payload = None if body is None else json.dumps(body).encode()
        if payload is not None:
            hdrs = {**hdrs, "Content-Type": "application/json"}
        connection.request(method, path, body=payload, headers=hdrs)
        response = connection.getresponse()
        raw = response.read()
        if response.will_close:
            connection.close()  # Werkzeug's HTTP/1.0 server: one request per connection
        return response.status, json.loads(raw) if raw else None
    return Api(send)


def _all_volumes(api: Api, admin: dict[str, str]) -> list[dict[str, Any]]:
    """Every volume, following Cinder's next links (a page holds at most 1000)."""
    volumes: list[dict[str, Any]] = []
    path = "/v3/volumes/detail?all_tenants=1"
    while path:
        page = api.call("GET", path, admin)
        assert page.status == 200, page
        volumes.extend(page.body["volumes"])
        links = page.body.get("volumes_links")
        path = ""
        if links:
            href = urlsplit(links[0]["href"])
            path = f"{href.path}?{href.query}"
    return volumes


def check_invariants(api: Api, fake: FakeCinder, *, expected_volumes: dict[str, str] | None = None,
                     deleted: Iterable[str] = ()) -> None:
    """Every invariant of the issue, asked through the API.

    ``expected_volumes`` maps volume id -> owning project (the volumes that must exist);
    ``deleted`` are attachment ids that must be gone everywhere.
    """
    admin = headers(PROJECTS[0], "admin")
    everything = api.call("GET", "/v3/attachments/detail?all_tenants=1&limit=100000", admin)
    assert everything.status == 200, everything
    attachments = {a["id"]: a for a in everything.body["attachments"]}
    all_volumes = _all_volumes(api, admin)
    by_volume: dict[str, list[dict[str, Any]]] = {v["id"]: [] for v in all_volumes}
    for attachment in attachments.values():
        by_volume[attachment["volume_id"]].append(attachment)

    for volume in all_volumes:
        own = by_volume[volume["id"]]
        statuses = [a["status"] for a in own]
        # The volume's status is the volume form of one of its attachments' statuses, and
        # "available" exactly when it has none (Cinder's derivation, BEHAVIOR.md §3).
        if not own:
            assert volume["status"] == "available", (volume, own)
        else:
            assert volume["status"] in {VOLUME_STATUS[s] for s in statuses}, (volume, own)
        # A volume only lists the attachments that are attached.
        listed = {a["attachment_id"] for a in volume["attachments"]}
        assert listed == {a["id"] for a in own if a["status"] == "attached"}, (volume, own)
        # A non-multiattach volume is never connected to two instances.
        if not volume["multiattach"]:
            connected = {a["instance"] for a in own
                         if a["connection_info"] or a["status"] in ("attaching", "attached")}
            assert len(connected) <= 1, (volume, own)

    if expected_volumes is not None:
        assert set(by_volume) >= set(expected_volumes)

    # Every listed attachment can be shown by its owner and by no other project's member.
    projects = {v["id"]: v["os-vol-tenant-attr:tenant_id"] for v in all_volumes}
    for project in PROJECTS:
        mine = api.call("GET", "/v3/attachments?limit=100000", headers(project))
        assert mine.status == 200, mine
        ids = {a["id"] for a in mine.body["attachments"]}
        assert ids == {i for i, a in attachments.items() if projects[a["volume_id"]] == project}
    for attachment_id, attachment in attachments.items():
        owner = projects[attachment["volume_id"]]
        shown = api.call("GET", f"/v3/{owner}/attachments/{attachment_id}", headers(owner))
        assert shown.status == 200 and shown.body["attachment"] == attachment, shown
        stranger = other(owner)
        hidden = api.call("GET", f"/v3/{stranger}/attachments/{attachment_id}",
                          headers(stranger))
        assert hidden.status == 404 and "itemNotFound" in hidden.body, hidden

    # A deleted attachment is gone everywhere.
    for attachment_id in deleted:
        assert attachment_id not in attachments
        for project in PROJECTS:
            for role in ("member", "admin"):
                gone = api.call("GET", f"/v3/attachments/{attachment_id}", headers(project, role))
                assert gone.status == 404, gone

    # A dump/load round trip changes nothing, neither the data nor what the API answers.
    before = fake.dump()
    fake.load(before)
    assert fake.dump() == before
    again = api.call("GET", "/v3/attachments/detail?all_tenants=1&limit=100000", admin)
    assert again.body == everything.body
