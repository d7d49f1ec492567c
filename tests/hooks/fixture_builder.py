"""Builds fixtures/multiattach.json, error-states.json and large.json through the fake's
own API, so their records are exactly what the fake itself stores.

Run ``python tests/hooks/fixture_builder.py`` to rewrite them; a test checks that
the committed files are what this builds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from fake_cinder import FakeCinder

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NOVA = {"OpenStack-API-Version": "volume 3.54", "X-Service-Roles": "service"}


def _instance(number: int) -> str:
    return f"8a3c1b2d-0000-4000-8000-{number:012d}"


def _connector(host: str) -> dict[str, Any]:
    return {"initiator": f"iqn.1993-08.org.debian:01:{host}", "host": host,
            "ip": "192.0.2.10", "platform": "x86_64", "os_type": "linux", "multipath": False}


class _Nova:
    """Nova's attach and detach flows against a fake, through its HTTP API."""

    def __init__(self, fake: FakeCinder, project: str) -> None:
        self.client = fake.app.test_client()
        self.base = f"/v3/{project}"
        self.headers = {**NOVA, "X-Auth-Token": f"nova:{project}"}

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.client.open(self.base + path, method=method, headers=self.headers,
                                    json=body)
        assert response.status_code < 300, (method, path, response.json)
        return response.get_json(silent=True)

    def reserve(self, volume_id: str, instance: str) -> str:
        created = self._call("POST", "/attachments", {"attachment": {
            "volume_uuid": volume_id, "instance_uuid": instance}})
        return created["attachment"]["id"]

    def connect(self, attachment_id: str, host: str) -> None:
        self._call("PUT", f"/attachments/{attachment_id}",
                   {"attachment": {"connector": _connector(host)}})

    def attach(self, volume_id: str, instance: str, host: str) -> str:
        attachment_id = self.reserve(volume_id, instance)
        self.connect(attachment_id, host)
        self._call("POST", f"/attachments/{attachment_id}/action", {"os-complete": None})
        return attachment_id


def _default_types(fake: FakeCinder) -> None:
    fake.add_volume_type("__DEFAULT__", description="Default Volume Type")
    fake.add_volume_type("multiattach", multiattach=True,
                         description="Volumes that can be attached to several instances")


def multiattach() -> dict[str, Any]:
    """A multiattach volume attached to three instances on two hosts, one attachment
    still attaching, and a plain volume attached to one of the instances."""
    fake = FakeCinder(seed=1001)
    _default_types(fake)
    shared = fake.add_volume(project_id="demo", name="shared-data", size=10,
                             volume_type="multiattach")["id"]
    plain = fake.add_volume(project_id="demo", name="boot-disk", size=20)["id"]
    nova = _Nova(fake, "demo")
    nova.attach(shared, _instance(1), "compute-1")
    nova.attach(shared, _instance(2), "compute-1")
    nova.attach(plain, _instance(1), "compute-1")
    nova.connect(nova.reserve(shared, _instance(3)), "compute-2")
    return fake.dump()


def error_states() -> dict[str, Any]:
    """Volumes and attachments in the states failures leave behind."""
    fake = FakeCinder(seed=1002)
    _default_types(fake)
    for status in ("error", "error_deleting", "error_extending", "error_restoring"):
        fake.add_volume(project_id="demo", name=f"volume-{status}", status=status)
    nova = _Nova(fake, "demo")
    # A backend failure on update: the attachment is left error_attaching.
    stuck = fake.add_volume(project_id="demo", name="attach-failed")["id"]
    fake.inject("attachment_update", backend_failure=True)
    failed = nova.reserve(stuck, _instance(11))
    nova.client.put(f"{nova.base}/attachments/{failed}", headers=nova.headers,
                    json={"attachment": {"connector": _connector("compute-1")}})
    # A backend failure on delete: the attachment is left error_detaching.
    detach = fake.add_volume(project_id="demo", name="detach-failed")["id"]
    attached = nova.attach(detach, _instance(12), "compute-1")
    fake.inject("attachment_delete", backend_failure=True)
    nova.client.delete(f"{nova.base}/attachments/{attached}", headers=nova.headers)
    # Reserved and never connected (Nova died before attachment_update).
    fake.add_volume(project_id="demo", name="reserved-forever")
    nova.reserve(fake.volumes(name="reserved-forever")[0]["id"], _instance(13))
    state = fake.dump()
    # The failed update's user message names its request, whose id the server drew at
    # random: a fixed one keeps the file reproducible.
    for number, message in enumerate(state.get("messages", []), 1):
        message["request_id"] = f"req-00000000-0000-4000-8000-{number:012d}"
    return state


def large() -> dict[str, Any]:
    """Eight projects, 480 volumes and 520 attachments (reserved, attaching, attached;
    multiattach, iSCSI and RBD)."""
    fake = FakeCinder(seed=1003)
    _default_types(fake)
    fake.add_volume_type("ceph", protocol="ceph", description="RBD volumes")
    fake.add_backend("fake-host@ceph", storage_protocol="ceph", vendor_name="Ceph",
                     driver_version="1.2.0", pools=[{
                         "name": "volumes", "total_capacity_gb": 5000, "multiattach": False,
                         "thin_provisioning_support": True,
                         "thick_provisioning_support": False}])
    for project_number in range(8):
        project = f"project-{project_number}"
        nova = _Nova(fake, project)
        for number in range(60):
            volume_type = ("multiattach", "ceph", "__DEFAULT__")[number % 3]
            volume = fake.add_volume(project_id=project, name=f"{project}-vol-{number}",
                                     size=1 + number % 50, volume_type=volume_type)["id"]
            instance = _instance(project_number * 1000 + number)
            if number % 4 == 0:
                continue  # available
            if number % 4 == 1:
                nova.reserve(volume, instance)
            elif number % 4 == 2:
                nova.attach(volume, instance, f"compute-{number % 5}")
            else:
                nova.attach(volume, instance, f"compute-{number % 5}")
                if volume_type == "multiattach":
                    nova.attach(volume, _instance(900000 + number), "compute-9")
                nova.reserve(volume, instance)  # the same instance again (a migration)
    return fake.dump()


BUILDERS = {"multiattach.json": multiattach, "error-states.json": error_states,
            "large.json": large}


def render(state: dict[str, Any], compact: bool = False) -> str:
    if compact:
        return "\n".join(["{", ",\n".join(
            f' "{key}": [\n' + ",\n".join(
                "  " + json.dumps(record, separators=(",", ":")) for record in value) + "\n ]"
            for key, value in state.items()), "}"]) + "\n"
    return json.dumps(state, indent=2) + "\n"


def build(name: str) -> str:
    return render(BUILDERS[name](), compact=name == "large.json")


if __name__ == "__main__":
    for file_name in sys.argv[1:] or BUILDERS:
        (FIXTURES / file_name).write_text(build(file_name), encoding="utf-8")
        print(f"wrote fixtures/{file_name}")
