"""Volume types' extra specs and access lists, QoS specs and quota classes through the
Python API, state files (dump/load, schemas/state.json), reset, and concurrent calls."""

from __future__ import annotations

import threading

import pytest

from fake_cinder import FakeCinder
from fake_cinder.core.state_files import StateError

QOS_ID = "5f0c7c1e-0000-4000-8000-000000000001"
TYPE_ID = "5f0c7c1e-0000-4000-8000-000000000002"


def populated() -> FakeCinder:
    fake = FakeCinder(seed=3)
    fake.add_volume_type("gold", extra_specs={"a": "1"})
    fake.add_volume_type("mine", is_public=False, project_id="demo")
    fake.add_type_access("mine", "friend")
    fake.set_type_extra_specs("gold", {"b": "2", "a": None})
    fake.add_qos_specs("fast", consumer="both", specs={"iops": "100"}, volume_types=["gold"])
    fake.set_quota_class("gold-class", volumes=20)
    fake.set_quota_class("default", backups=3)
    return fake


def test_python_api_and_round_trip():
    fake = populated()
    state = fake.dump()
    gold = next(t for t in state["volume_types"] if t["name"] == "gold")
    [qos] = fake.qos_specs()
    assert gold["extra_specs"] == {"b": "2"} and gold["qos_specs_id"] == qos["id"]
    assert next(t for t in state["volume_types"] if t["name"] == "mine")["projects"] == [
        "friend"]
    assert state["qos_specs"] == [qos]
    assert (qos["name"], qos["consumer"], qos["specs"]) == ("fast", "both", {"iops": "100"})
    assert state["quotas"]["classes"] == {"gold-class": {"volumes": 20}}
    assert state["quotas"]["defaults"] == {"backups": 3}
    assert [t["name"] for t in fake.volume_types()] == ["gold", "mine"]
    assert fake.volume_types()[0]["qos_specs_id"] == qos["id"]
    other = FakeCinder()
    other.load(state)
    assert other.dump() == state
    # A type without QoS or access list is written as before.
    plain = FakeCinder()
    plain.add_volume_type("plain")
    assert set(plain.dump()["volume_types"][0]) == {"id", "name", "description", "is_public",
                                                   "extra_specs", "project_id"}


def test_the_api_sees_what_the_python_api_set():
    fake = populated()
    client = fake.app.test_client()
    friend = {"X-User-Id": "u", "X-Project-Id": "friend", "X-Roles": "member"}
    listed = client.get("/v3/friend/types", headers=friend).get_json()["volume_types"]
    assert "mine" in {t["name"] for t in listed}
    admin = {"X-User-Id": "u", "X-Project-Id": "admin", "X-Roles": "admin"}
    shown = client.get("/v3/admin/os-quota-class-sets/gold-class", headers=admin).get_json()
    assert shown["quota_class_set"]["volumes"] == 20
    assert shown["quota_class_set"]["backups"] == 3


def test_state_files_name_qos_specs_by_name_and_are_checked():
    fake = FakeCinder()
    fake.load({"qos_specs": [{"id": QOS_ID, "name": "fast"}],
               "volume_types": [{"id": TYPE_ID, "name": "gold", "qos_specs_id": "fast"}]})
    assert fake.dump()["volume_types"][0]["qos_specs_id"] == QOS_ID
    with pytest.raises(StateError, match=r"volume_types\[0\]\.qos_specs_id: unknown QoS"):
        FakeCinder().load({"volume_types": [{"id": TYPE_ID, "name": "g",
                                             "qos_specs_id": "nope"}]})
    with pytest.raises(StateError, match="duplicate QoS specs name"):
        FakeCinder().load({"qos_specs": [{"id": QOS_ID, "name": "a"},
                                         {"id": TYPE_ID, "name": "a"}]})
    with pytest.raises(StateError, match=r"quotas\.classes\.gold\.colour"):
        FakeCinder().load({"quotas": {"classes": {"gold": {"colour": 1}}}})
    with pytest.raises(StateError, match="consumer"):
        FakeCinder().load({"qos_specs": [{"id": QOS_ID, "name": "a", "consumer": "x"}]})


def test_reset_forgets_them():
    fake = FakeCinder()
    fake.add_volume_type("gold")
    fake.add_qos_specs("fast", volume_types=["gold"])
    fake.set_quota_class("gold-class", volumes=1)
    fake.reset()
    assert fake.qos_specs() == [] and "quotas" not in fake.dump()


def test_python_api_refusals():
    fake = populated()
    with pytest.raises(ValueError, match="unknown volume type"):
        fake.set_type_extra_specs("nope", {"a": "1"})
    with pytest.raises(ValueError, match="already exists"):
        fake.add_type_access("mine", "friend")
    with pytest.raises(ValueError, match="QoS Specs fast already exists"):
        fake.add_qos_specs("fast")
    with pytest.raises(ValueError, match="Bad key"):
        fake.set_quota_class("gold-class", colour=1)
    fake.add_volume(volume_type="gold")
    with pytest.raises(ValueError, match="still in use"):
        fake.delete_volume_type("gold")
    fake.update_volume_type("mine", name="ours", is_public=True)
    fake.disassociate_qos_specs("fast")
    assert fake.dump()["volume_types"][0].get("qos_specs_id") is None


def test_concurrent_access_grants_and_associations_are_one_step_each():
    fake = FakeCinder()
    fake.add_volume_type("mine", is_public=False, project_id="demo")
    for name in ("a", "b", "c", "d"):
        fake.add_qos_specs(name)
    fake.add_volume_type("gold")
    client = fake.app.test_client()
    admin = {"X-User-Id": "u", "X-Project-Id": "admin", "X-Roles": "admin"}
    type_id = fake.store.find_volume_type("mine").id
    gold_id = fake.store.find_volume_type("gold").id
    statuses: list[int] = []
    lock = threading.Lock()

    def grant() -> None:
        response = client.post(f"/v3/admin/types/{type_id}/action", headers=admin,
                               json={"addProjectAccess": {"project": "friend"}})
        with lock:
            statuses.append(response.status_code)

    def associate(qos_id: str) -> None:
        response = client.get(f"/v3/admin/qos-specs/{qos_id}/associate?vol_type_id={gold_id}",
                              headers=admin)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=grant) for _ in range(8)]
    threads += [threading.Thread(target=associate, args=(q["id"],)) for q in fake.qos_specs()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [202, 202] + [400] * 3 + [409] * 7
    assert fake.dump()["volume_types"][0]["projects"] == ["friend"]


def test_control_api_lists_types_with_qos_and_access(client, fake):
    fake.add_volume_type("mine", is_public=False, project_id="demo")
    fake.add_type_access("mine", "friend")
    fake.add_qos_specs("fast", consumer="front-end", volume_types=["mine"])
    fake.add_volume(volume_type="mine")
    listed = client.get("/_fake/types").get_json()["volume_types"]
    mine = next(t for t in listed if t["name"] == "mine")
    assert mine["access_projects"] == ["demo", "friend"] and mine["volumes"] == 1
    assert (mine["qos_specs"]["name"], mine["encrypted"]) == ("fast", False)
