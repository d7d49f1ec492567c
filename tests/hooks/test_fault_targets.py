"""What an injected fault can be aimed at: each operation declares it (Operation.fault_targets:
the records its URL names, or the volume its body names); a fault aimed elsewhere could never
fire and is refused."""

from __future__ import annotations

import pytest

from fake_cinder import FakeCinder
from fake_cinder.api.app import ROUTER
from fake_cinder.api.fault_injection import FaultTargets
from tests.helpers.attach_calls import BASE, NOVA

ADMIN = {"X-Auth-Token": "admin:demo", "X-Roles": "admin",
         "OpenStack-API-Version": "volume 3.71"}


@pytest.fixture
def fake() -> FakeCinder:
    fake = FakeCinder(seed=5)
    fake.add_volume_type("__DEFAULT__")
    return fake


def test_every_operation_declares_its_targets() -> None:
    targets = {op.name: op.fault_targets for route in ROUTER.routes for op in route.operations}
    assert all(isinstance(t, FaultTargets) for t in targets.values())
    assert targets["volume_create"].options == ("project_id",)
    assert targets["attachment_create"].options == ("project_id", "volume_id")
    assert targets["attachment_update"].options == ("project_id", "volume_id", "attachment_id")
    assert targets["snapshot_delete"].options == ("project_id", "volume_id", "snapshot_id")
    assert targets["snapshot_create"].options == ("project_id", "volume_id")
    assert targets["volume_extend"].options == ("project_id", "volume_id")


@pytest.mark.parametrize(("operation", "options", "problem"), [
    ("volume_create", {"volume_id": "v"}, "volume_create cannot be aimed at volume_id; its "
                                          "calls have project_id"),
    ("volume_show", {"attachment_id": "a"}, "cannot be aimed at attachment_id"),
    ("attachment_show", {"snapshot_id": "s", "volume_id": "v"}, "aimed at snapshot_id;"),
])
def test_a_fault_that_could_never_fire_is_refused(fake: FakeCinder, operation: str,
                                                  options: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        fake.inject(operation, status=500, **options)
    assert fake.faults.list() == []
    refused = fake.app.test_client().post("/_fake/faults",
                                          json={"operation": operation, "status": 500, **options})
    assert refused.status_code == 400 and problem.split(";")[0] in refused.json[
        "badRequest"]["message"]


def test_snapshots_by_snapshot_and_by_their_volume(fake: FakeCinder) -> None:
    client = fake.app.test_client()
    volume = fake.add_volume(project_id="demo")["id"]
    other_volume = fake.add_volume(project_id="demo")["id"]
    first = fake.add_snapshot(volume)["id"]
    second = fake.add_snapshot(volume)["id"]
    third = fake.add_snapshot(other_volume)["id"]
    with fake.inject("snapshot_show", status=503, snapshot_id=second, times=None):
        assert [client.get(f"{BASE}/snapshots/{s}", headers=NOVA).status_code
                for s in (first, second, third)] == [200, 503, 200]
    with fake.inject("snapshot_show", status=503, volume_id=other_volume, times=None) as fault:
        assert [client.get(f"{BASE}/snapshots/{s}", headers=NOVA).status_code
                for s in (first, second, third)] == [200, 200, 503]
        assert fault.fired == 1
    # A create names its volume in the body.
    fake.inject("snapshot_create", status=413, volume_id=other_volume)
    created = client.post(f"{BASE}/snapshots", headers=NOVA,
                          json={"snapshot": {"volume_id": volume}})
    assert created.status_code == 202
    refused = client.post(f"{BASE}/snapshots", headers=NOVA,
                          json={"snapshot": {"volume_id": other_volume}})
    assert refused.status_code == 413
    assert [e.fault for e in fake.journal.entries("snapshot_create")] == [None, "fault-3"]


def test_volume_actions_by_their_volume(fake: FakeCinder) -> None:
    client = fake.app.test_client()
    volume = fake.add_volume(project_id="demo")["id"]
    other = fake.add_volume(project_id="demo")["id"]
    fake.inject("volume_extend", status=500, volume_id=other, times=None)
    extend = {"os-extend": {"new_size": 2}}
    assert client.post(f"{BASE}/volumes/{volume}/action", headers=ADMIN,
                       json=extend).status_code == 202
    assert client.post(f"{BASE}/volumes/{other}/action", headers=ADMIN,
                       json=extend).status_code == 500
    assert fake.volume(other)["size"] == 1


def test_a_snapshot_fault_over_the_control_api(fake: FakeCinder) -> None:
    client = fake.app.test_client()
    volume = fake.add_volume(project_id="demo")["id"]
    snapshot = fake.add_snapshot(volume)["id"]
    added = client.post("/_fake/faults", json={"operation": "snapshot_show", "status": 404,
                                               "snapshot_id": snapshot})
    assert added.status_code == 201 and added.json["fault"]["snapshot_id"] == snapshot
    assert client.get(f"{BASE}/snapshots/{snapshot}", headers=NOVA).status_code == 404
