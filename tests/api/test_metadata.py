"""Volume and snapshot metadata sub-resources: Cinder 29's answers (checked against a
running Cinder 29 by conformance/scenarios_volfeat.py), ETags (3.15), policies."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.helpers.api import UNKNOWN, VOLUME, fault

META = f"volumes/{VOLUME}/metadata"


def test_crud_as_tempest_does(api, fake):
    created = api.post(META, {"metadata": {"key1": "value1", "key4": "<value&special_chars>"}})
    assert created.status_code == 200
    assert created.get_json() == {"metadata": {"key1": "value1",
                                               "key4": "<value&special_chars>"}}
    replaced = api.put(META, {"metadata": {"key4": "value4", "key1": "value1_update"}})
    assert replaced.get_json() == {"metadata": {"key4": "value4", "key1": "value1_update"}}
    assert api.delete(f"{META}/key1").status_code == 200
    assert fake.volume_metadata(VOLUME) == {"key4": "value4"}
    assert api.volume()["metadata"] == {"key4": "value4"}


def test_one_item(api):
    api.post(META, {"metadata": {"a": "1", "b": "2"}})
    updated = api.put(f"{META}/b", {"meta": {"b": "3"}})
    assert updated.get_json() == {"meta": {"b": "3"}}
    assert api.get(f"{META}/b").get_json() == {"meta": {"b": "3"}}
    assert fault(api.put(f"{META}/x", {"meta": {"b": "3"}})) == (
        400, "Request body and URI mismatch")
    assert fault(api.put(f"{META}/b", {"meta": {"b": "3", "x": "1"}})) == (
        400, "Invalid input for field/attribute meta. Value: {'b': '3', 'x': '1'}. "
             "{'b': '3', 'x': '1'} has too many properties")
    assert fault(api.get(f"{META}/zz")) == (
        404, f"Volume {VOLUME} has no metadata with key zz.")
    assert fault(api.delete(f"{META}/zz")) == (
        404, f"Volume {VOLUME} has no metadata with key zz.")


def test_index_carries_an_etag_from_3_15(api):
    api.post(META, {"metadata": {"a": "1"}})
    old = api.as_(version="3.14").get(META)
    assert old.content_type == "application/json" and "ETag" not in old.headers
    new = api.get(META)
    # Cinder returns a bare WebOb response: its default content type, the JSON as body.
    assert new.content_type == "text/html; charset=UTF-8"
    assert json.loads(new.get_data()) == {"metadata": {"a": "1"}}
    expected = hashlib.md5(b'{"metadata": {"a": "1"}}', usedforsecurity=False).hexdigest()
    assert new.headers["ETag"] == expected
    assert new.headers["OpenStack-API-Version"] == "volume 3.71"


def test_if_match_guards_updates(api, fake):
    api.post(META, {"metadata": {"a": "1"}})
    etag = api.get(META).headers["ETag"]
    stale = api.put(META, {"metadata": {"b": "2"}}, extra={"If-Match": '"0000"'})
    assert stale.status_code == 412 and stale.get_data() == b""
    assert api.put(f"{META}/a", {"meta": {"a": "2"}},
                   extra={"If-Match": '"0000"'}).status_code == 412
    assert fake.volume_metadata(VOLUME) == {"a": "1"}
    fresh = api.put(META, {"metadata": {"b": "2"}}, extra={"If-Match": f'"{etag}"'})
    assert fresh.status_code == 200
    # Before 3.15 the header means nothing.
    assert api.as_(version="3.14").put(META, {"metadata": {"c": "3"}},
                                       extra={"If-Match": '"0000"'}).status_code == 200


@pytest.mark.parametrize(("body", "message"), [
    ({"metadata": {"b!": "2"}}, "Invalid input for field/attribute metadata. Value: "
     "{'b!': '2'}. 'b!' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'"),
    ({"metadata": {"k": 1}}, "Invalid input for field/attribute k. Value: 1. 1 is not of "
     "type 'string'"),
    ({"meta": {"k": "x"}}, "'metadata' is a required property"),
])
def test_bad_bodies_change_nothing(api, fake, body, message):
    assert fault(api.post(META, body)) == (400, message)
    assert fake.volume_metadata(VOLUME) == {}


def test_policies_and_tenancy(api, fake):
    api.post(META, {"metadata": {"a": "1"}})
    reader = api.as_(roles="reader")
    assert reader.get(META).status_code == 200
    assert fault(reader.post(META, {"metadata": {"r": "1"}})) == (
        403, "Policy doesn't allow volume:create_volume_metadata to be performed.")
    assert fault(reader.put(META, {"metadata": {}})) == (
        403, "Policy doesn't allow volume:update_volume_metadata to be performed.")
    # The key is looked up before the delete policy.
    assert fault(reader.delete(f"{META}/zz"))[0] == 404
    assert fault(reader.delete(f"{META}/a")) == (
        403, "Policy doesn't allow volume:delete_volume_metadata to be performed.")
    other = api.as_(project="other")
    assert fault(other.get(f"volumes/{VOLUME}/metadata", url_project=False)) == (
        404, f"Volume {VOLUME} could not be found.")
    assert fault(api.get(f"volumes/{UNKNOWN}/metadata")) == (
        404, f"Volume {UNKNOWN} could not be found.")
    assert fake.volume_metadata(VOLUME) == {"a": "1"}


def test_maintenance_freezes_volume_metadata(api, fake):
    api.post(META, {"metadata": {"a": "1"}})
    fake.store.volumes[VOLUME].status = "maintenance"
    assert fault(api.post(META, {"metadata": {"b": "2"}})) == (
        400, "Invalid volume: Updating volume metadata is not allowed for volumes in "
             "maintenance status.")
    assert fault(api.delete(f"{META}/a")) == (
        400, "Invalid volume: Deleting volume metadata is not allowed for volumes in "
             "maintenance status.")


def test_user_metadata_only(api, fake):
    """Admin metadata (os-update_readonly_flag's) shows in the volume, not here."""
    response = api.post(f"volumes/{VOLUME}/action",
                        {"os-update_readonly_flag": {"readonly": True}})
    assert response.status_code == 202
    assert api.volume()["metadata"] == {"readonly": "True"}
    assert json.loads(api.get(META).get_data()) == {"metadata": {}}


def test_snapshot_metadata(api, fake):
    snapshot = fake.add_snapshot(VOLUME, metadata={"a": "1"})
    path = f"snapshots/{snapshot['id']}/metadata"
    assert api.get(path).get_json() == {"metadata": {"a": "1"}}
    assert api.post(path, {"metadata": {"b": "2"}}).get_json() == {
        "metadata": {"a": "1", "b": "2"}}
    assert api.put(f"{path}/b", {"meta": {"b": "3"}}).get_json() == {"meta": {"b": "3"}}
    assert api.put(path, {"metadata": {"c": "4"}}).get_json() == {"metadata": {"c": "4"}}
    assert api.get(f"{path}/c").get_json() == {"meta": {"c": "4"}}
    assert fault(api.get(f"{path}/a")) == (
        404, f"Snapshot {snapshot['id']} has no metadata with key a.")
    assert api.delete(f"{path}/c").status_code == 200
    assert fake.snapshot_metadata(snapshot["id"]) == {}
    # Snapshot keys take no "/" (volume keys do); unknown top-level keys are ignored.
    assert fault(api.post(path, {"metadata": {"a/b": "1"}}))[0] == 400
    assert api.post(path, {"metadata": {"x": "1"}, "extra": 1}).status_code == 200
    assert fault(api.as_(roles="reader").put(path, {"metadata": {}})) == (
        403, "Policy doesn't allow volume:update_snapshot_metadata to be performed.")
    assert fault(api.get(f"snapshots/{UNKNOWN}/metadata")) == (
        404, f"Snapshot {UNKNOWN} could not be found.")


def test_python_api(fake):
    assert fake.set_volume_metadata(VOLUME, {"a": "1"}) == {"a": "1"}
    assert fake.set_volume_metadata(VOLUME, {"b": "2"}) == {"a": "1", "b": "2"}
    assert fake.set_volume_metadata(VOLUME, {"c": "3"}, replace=True) == {"c": "3"}
    assert fake.volume_metadata(VOLUME) == {"c": "3"}
    with pytest.raises(KeyError):
        fake.volume_metadata(UNKNOWN)
    with pytest.raises(ValueError):
        fake.set_volume_metadata(VOLUME, {"a": 1})  # type: ignore[dict-item]
    state = fake.dump()
    fake.reset()
    assert fake.volume_metadata(VOLUME) == {}
    fake.load(state)
    assert fake.volume_metadata(VOLUME) == {"c": "3"}
