"""Test helpers: ids of the default fixture state, the response schema check, and
``Api``, which sends requests as a chosen caller at a chosen microversion."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from fake_cinder import FakeCinder
from fake_cinder.api import microversions as mv

# The default fixture state (fixtures/default.json), all in project "demo".
VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"          # __DEFAULT__ type (iSCSI)
SHARED_VOLUME = "1d7f3c52-6c2b-4e1f-8b58-2a7e4d3c9f22"   # multiattach type
CEPH_VOLUME = "2e804d63-7d3c-4f20-9c69-3b8f5e4d0a33"     # storage_protocol ceph
SERVER = "8a3c1b2d-0000-4000-8000-000000000001"
SERVER2 = "8a3c1b2d-0000-4000-8000-000000000002"
UNKNOWN = "deadbeef-0000-4000-8000-00000000dead"
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:cad181614cec", "ip": "192.168.1.20",
             "platform": "x86_64", "host": "compute-1", "os_type": "linux",
             "multipath": False, "mountpoint": "/dev/vdb"}
# The statuses the Cinder API answers with an empty body.
EMPTY_STATUSES = (202, 204, 302, 412)  # 412: a metadata PUT whose If-Match is stale


def response_problems(fake: FakeCinder, response: Response, request: Request,
                      record: dict[str, Any]) -> list[str]:
    """What is wrong with one response of the fake, judged by the schemas
    (``record``: what the fake learnt of the request, as its response hooks get it)."""
    status = response.status_code
    raw = response.get_data()
    if status == 302:
        return [] if response.headers.get("Location") else ["302 without Location"]
    body: Any
    if not raw:
        if status in EMPTY_STATUSES:
            return []
        if status != 200:
            return [f"{status} with an empty body"]
        if fake.schemas.find(record.get("operation") or "", "response",
                             record.get("api_version") or mv.MIN_VERSION) is None:
            return []  # an operation that never has a body (quota_delete's empty 200)
        body = None  # Cinder's empty ResponseObject: its schema must allow null
    elif _under(request.path, "/image") and response.mimetype != "application/json":
        return glance_page_problems(response)
    elif response.mimetype == "text/html" and status == 200:
        body = raw.decode()  # a bare string Cinder hands to WebOb: its schema says string
    elif response.mimetype != "application/json":
        return [f"{status} with content type {response.mimetype}"]
    else:
        try:
            body = json.loads(raw)
        except ValueError as exc:
            return [f"{status}: body is not JSON: {exc}"]
    version = record.get("api_version") or mv.MIN_VERSION
    if status >= 400:
        # WebOb's errors (outside Cinder's router) carry a string code; Keystone has its own.
        webob = isinstance(body, dict) and isinstance(body.get("code"), str)
        operation = ("webob_fault" if webob else "keystone_error" if is_keystone_path(
            request.path) else "fault")
        version = mv.MIN_VERSION
    else:
        operation = record.get("operation") or documented_operation(fake, record)
        if operation is None:
            return [f"{status} from an unnamed operation"]
    return [f"{operation} {status}: {problem}"
            for problem in fake.schemas.errors(operation, "response", version, body)]


def glance_page_problems(response: Response) -> list[str]:
    """Glance's answers that are not JSON: image data, and WebOb's HTML error pages (for
    clients that do not ask for JSON, as glanceclient)."""
    status = response.status_code
    if status == 200 and response.mimetype == "application/octet-stream":
        return []
    page = response.get_data(as_text=True)
    if status >= 400 and response.mimetype == "text/html" and f"<h1>{status} " in page:
        return []
    return [f"{status} with content type {response.mimetype}"]


def documented_operation(fake: FakeCinder, record: dict[str, Any]) -> str | None:
    """The response schema's operation of a route described by a RouteDoc (Keystone's,
    compute's): its ``response`` file's, else its own."""
    route = record.get("route")  # the pipeline's record of a route outside /v3
    doc = route.doc if route is not None else None
    if doc is None:
        return None
    entry = fake.schemas.by_name.get(doc.response or "")
    return entry.operation if entry else doc.operation


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def is_keystone_path(path: str) -> bool:
    return _under(path, "/identity")


def is_cinder_path(path: str) -> bool:
    """The APIs the fake serves (Cinder's versions document and /v3, Keystone's /identity,
    Nova's /compute, Glance's /image), not the fake's own extras."""
    return path == "/" or any(_under(path, p) for p in ("/v3", "/identity", "/compute",
                                                        "/image"))


def install_response_check(fake: FakeCinder, problems: list[str]) -> None:
    """Check every Cinder API response of ``fake``; what is wrong goes to ``problems``."""

    def check(request: Request, response: Response, record: dict[str, Any]) -> None:
        if is_cinder_path(request.path):
            problems.extend(f"{request.method} {request.path}: {p}"
                            for p in response_problems(fake, response, request, record))

    fake.response_hooks.append(check)


class Api:
    """Requests as a given caller, with the microversion header, through a test client.

    ``project``/``roles``/``version`` default per helper and can be overridden per call;
    ``version=None`` sends no version header, ``project=None`` no identity.
    """

    def __init__(self, client: Any, project: str = "demo", roles: str = "member",
                 version: str | None = "3.71") -> None:
        self.client = client
        self.project = project
        self.roles = roles
        self.version = version

    def as_(self, project: str | None = None, roles: str | None = None,
            version: str | None = "keep") -> Api:
        return Api(self.client, project or self.project, roles or self.roles,
                   self.version if version == "keep" else version)

    def headers(self, *, project: str | None | bool = True, roles: str | None = None,
                version: str | None | bool = True, service: bool = False,
                extra: dict[str, str] | None = None) -> dict[str, str]:
        headers: dict[str, str] = {}
        project = self.project if project is True else project
        if project:
            headers.update({"X-User-Id": f"user-{project}", "X-Project-Id": project,
                            "X-Roles": roles or self.roles})
        version = self.version if version is True else version
        if version:
            headers["OpenStack-API-Version"] = f"volume {version}"
        if service:
            headers["X-Service-Roles"] = "service"
        headers.update(extra or {})
        return headers

    def url(self, path: str, url_project: str | None | bool = True) -> str:
        if url_project is True:
            url_project = self.project
        return f"/v3/{url_project}/{path}" if url_project else f"/v3/{path}"

    def call(self, method: str, path: str, json: Any = None, *, url_project: Any = True,
             query: dict[str, str] | None = None, data: bytes | str | None = None,
             content_type: str | None = None, **header_args: Any) -> Any:
        kwargs: dict[str, Any] = {"headers": self.headers(**header_args)}
        if json is not None:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
        if content_type is not None:
            kwargs["content_type"] = content_type
        if query is not None:
            kwargs["query_string"] = query
        return self.client.open(self.url(path, url_project), method=method, **kwargs)

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.call("PUT", path, json, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.call("DELETE", path, **kw)

    # -- attachment shortcuts that insist on success ----------------------------------------------
    def create(self, volume_id: str = VOLUME, instance: str | None = SERVER,
               connector: dict | None = None, mode: str | None = None, **kw: Any) -> dict:
        body: dict[str, Any] = {"volume_uuid": volume_id}
        if instance is not None:
            body["instance_uuid"] = instance
        if connector is not None:
            body["connector"] = connector
        if mode is not None:
            body["mode"] = mode
        response = self.post("attachments", {"attachment": body}, **kw)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["attachment"]

    def update(self, attachment_id: str, connector: dict | None = None, **kw: Any) -> dict:
        response = self.put(f"attachments/{attachment_id}",
                            {"attachment": {"connector": connector or CONNECTOR}}, **kw)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["attachment"]

    def complete(self, attachment_id: str, **kw: Any) -> None:
        response = self.post(f"attachments/{attachment_id}/action", {"os-complete": None}, **kw)
        assert response.status_code == 204, response.get_json()

    def remove(self, attachment_id: str, **kw: Any) -> list[dict]:
        kw.setdefault("service", True)
        response = self.delete(f"attachments/{attachment_id}", **kw)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["attachments"]

    def show(self, attachment_id: str, **kw: Any) -> dict:
        response = self.get(f"attachments/{attachment_id}", **kw)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["attachment"]

    def volume(self, volume_id: str = VOLUME, **kw: Any) -> dict:
        response = self.get(f"volumes/{volume_id}", **kw)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["volume"]

    def listing(self, detail: bool = False, **kw: Any) -> list[dict]:
        response = self.get("attachments/detail" if detail else "attachments", **kw)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["attachments"]

    def new_volume(self, volume_type: str | None = None, **kw: Any) -> str:
        body: dict[str, Any] = {"size": 1}
        if volume_type:
            body["volume_type"] = volume_type
        response = self.post("volumes", {"volume": body}, **kw)
        assert response.status_code == 202, response.get_json()
        return response.get_json()["volume"]["id"]


def fault(response: Any) -> tuple[int, str]:
    """(status, message) of a Cinder fault response, checking the fault's name and code."""
    body = response.get_json()
    ((_name, inner),) = body.items()
    assert inner["code"] == response.status_code
    return response.status_code, inner["message"]




def slow_status(store: Any, volume_id: str, delay: float = 0.002) -> None:
    """Replace a stored volume by one whose ``status`` is slow to read.

    Reserving reads the status, then writes it: the delay widens that window so far
    that concurrent reserves overlap in it unless the store's lock serializes them.
    Without this a race would only show when a thread switch fell between two
    bytecodes, so a concurrency test could pass without the lock it is meant to check.
    """
    import dataclasses
    import time

    from fake_cinder.core.models import Volume

    class SlowStatusVolume(Volume):
        __slots__ = ()

        @property  # type: ignore[override]
        def status(self) -> str:
            value = Volume.status.__get__(self)  # the parent's slot
            time.sleep(delay)
            return value

        @status.setter
        def status(self, value: str) -> None:
            Volume.status.__set__(self, value)

    with store.lock:
        volume = store.volumes[volume_id]
        fields = {f.name: getattr(volume, f.name) for f in dataclasses.fields(Volume)}
        store.remove_volume(volume_id)
        store.add_volume(SlowStatusVolume(**fields))


def run_threads(target: Callable[..., Any], jobs: Iterable[tuple[Any, ...]],
                timeout: float = 30) -> None:
    """Run ``target(*job)`` for every job, each in its own thread, and wait for all."""
    threads = [threading.Thread(target=target, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
