"""The HTTP tests' helpers: ids of the default fixture state, ``Api`` (requests as a
chosen caller at a chosen microversion, through a test client) and ``fault``."""

from __future__ import annotations

from typing import Any

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
