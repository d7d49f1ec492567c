"""The hook tests' callers (Nova with its service token, a member) and Nova's attach
calls through Flask's test client (``AttachCalls``)."""

from __future__ import annotations

from typing import Any

from fake_cinder import FakeCinder

NOVA = {"X-Auth-Token": "nova:demo", "OpenStack-API-Version": "volume 3.54",
        "X-Service-Roles": "service"}
MEMBER = {"X-Project-Id": "demo", "X-User-Id": "alice", "X-Roles": "member",
          "OpenStack-API-Version": "volume 3.54"}
INSTANCE = "8a3c1b2d-0000-4000-8000-000000000001"
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:abc", "host": "compute-1"}
BASE = "/v3/demo"


class AttachCalls:
    """The attachment calls, through Flask's test client."""

    def __init__(self, fake: FakeCinder, headers: dict[str, str] | None = None) -> None:
        self.client = fake.app.test_client()
        self.headers = headers or NOVA

    def create(self, volume_id: str, instance: str | None = INSTANCE,
               connector: dict[str, Any] | None = None) -> Any:
        body: dict[str, Any] = {"volume_uuid": volume_id}
        if instance:
            body["instance_uuid"] = instance
        if connector:
            body["connector"] = connector
        return self.client.post(f"{BASE}/attachments", headers=self.headers,
                                json={"attachment": body})

    def update(self, attachment_id: str, connector: dict[str, Any] | None = None) -> Any:
        return self.client.put(f"{BASE}/attachments/{attachment_id}", headers=self.headers,
                               json={"attachment": {"connector": connector or CONNECTOR}})

    def complete(self, attachment_id: str) -> Any:
        return self.client.post(f"{BASE}/attachments/{attachment_id}/action",
                                headers=self.headers, json={"os-complete": None})

    def delete(self, attachment_id: str) -> Any:
        return self.client.delete(f"{BASE}/attachments/{attachment_id}", headers=self.headers)

    def show(self, attachment_id: str) -> Any:
        return self.client.get(f"{BASE}/attachments/{attachment_id}", headers=self.headers)

    def attach(self, volume_id: str, instance: str = INSTANCE) -> str:
        attachment_id = self.create(volume_id, instance).json["attachment"]["id"]
        assert self.update(attachment_id).status_code == 200
        assert self.complete(attachment_id).status_code == 204
        return attachment_id
