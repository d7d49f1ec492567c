"""Backends through the Python API and state files: add_backend, set_service, dump/load,
reset, and placement under concurrent creates."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from fake_cinder import FakeCinder
from fake_cinder.core.state_files import StateError


def test_the_default_state_has_one_iscsi_backend():
    fake = FakeCinder()
    [backend] = fake.backends()
    assert (backend["host"], backend["storage_protocol"]) == ("fake-host@fake-backend", "iSCSI")
    assert [p["name"] for p in backend["pools"]] == ["fake-pool"]
    volume = fake.add_volume()
    assert volume["host"] == "fake-host@fake-backend#fake-pool"
    assert "backends" not in fake.dump() and "scheduler" not in fake.dump()
    assert [s["binary"] for s in fake.services()] == ["cinder-scheduler", "cinder-volume"]


def test_add_backend_and_its_volumes_connection_protocol():
    fake = FakeCinder()
    fake.add_volume_type("rbd", extra_specs={"storage_protocol": "ceph"})
    added = fake.add_backend("ceph-host@rbd", storage_protocol="ceph", vendor_name="Ceph",
                             pools=[{"name": "volumes", "thin_provisioning_support": True}])
    assert added["volume_backend_name"] == "rbd" and added["created_at"]
    volume = fake.add_volume(volume_type="rbd")
    assert volume["host"] == "ceph-host@rbd#volumes"
    client = fake.app.test_client()
    headers = {"X-Auth-Token": "nova:demo", "OpenStack-API-Version": "volume 3.54",
               "X-Service-Roles": "service"}
    response = client.post("/v3/demo/attachments", headers=headers, json={"attachment": {
        "volume_uuid": volume["id"], "connector": {"host": "compute-1"},
        "instance_uuid": "8a3c1b2d-0000-4000-8000-000000000001"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["attachment"]["connection_info"]["driver_volume_type"] == "rbd"


def test_add_volume_without_a_fitting_backend_is_in_error_or_placed_by_hand():
    fake = FakeCinder()
    fake.add_volume_type("fc", protocol="FC")
    assert fake.add_volume(volume_type="fc")["status"] == "error"
    placed = fake.add_volume(volume_type="fc", host="array@fc#pool1")
    assert (placed["status"], placed["host"]) == ("available", "array@fc#pool1")


@pytest.mark.parametrize(("host", "pools", "problem"), [
    ("no-backend-part", None, "does not match"),
    ("a@b", [], "should be non-empty"),
    ("a@b", [{"name": "p"}, {"name": "p"}], "a pool name appears twice"),
    ("a@b", [{"name": "p#q"}], "does not match"),
])
def test_add_backend_refuses_what_a_state_file_may_not_hold(host, pools, problem):
    fake = FakeCinder()
    with pytest.raises(StateError, match=problem):
        fake.add_backend(host, pools=pools)
    assert len(fake.backends()) == 1


def test_set_service():
    fake = FakeCinder()
    fake.set_service("fake-host@fake-backend", disabled=True, disabled_reason="repairs")
    volume_service = fake.services()[1]
    assert (volume_service["status"], volume_service["disabled_reason"]) == (
        "disabled", "repairs")
    assert fake.add_volume()["status"] == "error"
    fake.set_service("fake-host@fake-backend", disabled=False)
    fake.set_service("fake-host", "cinder-scheduler", state="down")
    assert fake.services()[0]["state"] == "down"
    with pytest.raises(ValueError, match="could not be found on host nohost"):
        fake.set_service("nohost")
    with pytest.raises(ValueError, match="state must be up or down"):
        fake.set_service("fake-host@fake-backend", state="sideways")


def test_dump_load_round_trip_and_reset():
    fake = FakeCinder()
    fake.add_backend("east@lvm", availability_zone="east", state="down",
                     pools=[{"name": "a", "total_capacity_gb": 50, "reserved_percentage": 10,
                             "capabilities": {"compression": True}}])
    fake.set_service("fake-host", "cinder-scheduler", disabled=True, disabled_reason="x")
    state = fake.dump()
    assert [b["host"] for b in state["backends"]] == ["fake-host@fake-backend", "east@lvm"]
    assert state["scheduler"]["disabled"] is True
    other = FakeCinder()
    other.load(state)
    assert other.dump() == state
    other.reset()
    assert len(other.backends()) == 1 and "scheduler" not in other.dump()
    seeded = FakeCinder(state)
    seeded.add_backend("more@lvm")
    seeded.reset()
    assert [b["host"] for b in seeded.backends()] == ["fake-host@fake-backend", "east@lvm"]


def test_load_adding_backends_replaces_those_of_the_same_host():
    fake = FakeCinder()
    fake.load({"backends": [
        {"host": "fake-host@fake-backend", "volume_backend_name": "lvm",
         "pools": [{"name": "fake-pool", "total_capacity_gb": 5}]},
        {"host": "b@c", "volume_backend_name": "c", "pools": [{"name": "p"}]}]},
        replace=False)
    assert [(b["host"], b["volume_backend_name"]) for b in fake.backends()] == [
        ("fake-host@fake-backend", "lvm"), ("b@c", "c")]


def test_a_state_file_backend_without_a_start_time_gets_a_fixed_one():
    state = {"backends": [{"host": "b@c", "volume_backend_name": "c",
                           "pools": [{"name": "p"}]}]}
    assert FakeCinder(state).dump() == FakeCinder(state).dump()


@pytest.mark.parametrize(("backends", "problem"), [
    ([{"host": "b@c", "volume_backend_name": "c", "pools": [{"name": "p"}]}] * 2,
     "duplicate backend host"),
    ([{"host": "b@c", "volume_backend_name": "c", "pools": [{"name": "p"}],
       "state": "sleeping"}], "is not one of"),
    ([{"host": "b@c", "pools": [{"name": "p"}]}], "'volume_backend_name' is a required"),
])
def test_bad_backends_in_a_state_file(backends, problem):
    fake = FakeCinder()
    with pytest.raises(StateError, match=problem):
        fake.load({"backends": backends})
    assert len(fake.backends()) == 1


def test_concurrent_creates_never_overfill_a_pool():
    fake = FakeCinder()
    fake.load({"backends": [{"host": "tiny@lvm", "volume_backend_name": "lvm",
                             "pools": [{"name": "p", "total_capacity_gb": 20}]}]})
    client = fake.app.test_client()
    headers = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.71"}
    fake.set_quotas("demo", volumes=-1, gigabytes=-1)

    def create() -> None:
        response = client.post("/v3/demo/volumes", headers=headers,
                               json={"volume": {"size": 3}})
        assert response.status_code == 202

    threads = [threading.Thread(target=create) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    placed = [v for v in fake.volumes() if v["host"] == "tiny@lvm#p"]
    assert len(placed) == 6 and sum(v["size"] for v in placed) == 18
    assert sum(v["status"] == "error" for v in fake.volumes()) == 6


def test_the_docs_example_runs():
    """docs/backends.md's Python examples, as written, each on its own."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "backends.md").read_text("utf-8")
    examples = re.findall(r"^```python\n(.*?)^```$", page, flags=re.M | re.S)
    assert len(examples) == 2  # the Python API's, and retype with migration's
    for code in examples:
        exec(compile(code, "docs/backends.md", "exec"), {})
