"""Clones (source_volid), GET /volumes/summary, GET /extensions and user messages."""

from __future__ import annotations

import pytest

from fake_cinder.core import messages
from tests.helpers.api import CEPH_VOLUME, CONNECTOR, SERVER, UNKNOWN, VOLUME, fault

# -- clones ---------------------------------------------------------------------------------------


def clone(api, source: str = CEPH_VOLUME, **fields):
    return api.post("volumes", {"volume": {"source_volid": source, **fields}})


def test_a_clone_shows_its_source_and_takes_its_size_and_type(api, fake):
    response = clone(api, name="copy")
    assert response.status_code == 202
    created = response.get_json()["volume"]
    assert created["source_volid"] == CEPH_VOLUME
    assert created["size"] == 4 and created["volume_type"] == "ceph"
    assert created["metadata"] == {}  # Cinder copies no user metadata
    shown = api.volume(created["id"])
    assert shown["source_volid"] == CEPH_VOLUME and shown["status"] == "available"
    assert fake.volume(created["id"])["source_volid"] == CEPH_VOLUME
    assert clone(api, size=5).get_json()["volume"]["size"] == 5


def test_clone_refusals_change_nothing(api, fake):
    before = len(fake.volumes())
    assert fault(clone(api, UNKNOWN, size=1)) == (404, f"Volume {UNKNOWN} could not be found.")
    assert fault(clone(api, size=1)) == (
        400, "Invalid input received: Volume size '1'GB cannot be smaller than original "
             "volume size  4GB. They must be >= original volume size.")
    fake.store.volumes[CEPH_VOLUME].status = "error"
    assert fault(clone(api)) == (
        400, "Invalid volume: Originating source volume status must be one of "
             "'available, in-use' values")
    snapshot = fake.add_snapshot(VOLUME)
    assert fault(clone(api, VOLUME, snapshot_id=snapshot["id"])) == (
        400, "Invalid input received: May specify only one of backup, imageRef, snapshot, "
             "source volume")
    assert fault(clone(api, "not-a-uuid"))[0] == 400
    multiattach = fake.store.find_volume_type("multiattach")
    assert fault(clone(api, VOLUME, volume_type="multiattach")) == (
        400, f"Invalid input received: Invalid volume_type provided: {multiattach.id} "
             "(requested type is not compatible; either match source volume, or omit type "
             "argument).")
    assert len(fake.volumes()) == before


def test_an_in_use_volume_can_be_cloned_and_clones_count_against_quota(api, fake):
    attachment = api.create(VOLUME, SERVER, connector=CONNECTOR)
    api.complete(attachment["id"])
    assert clone(api, VOLUME).status_code == 202
    fake.set_quotas("demo", volumes=len(fake.volumes(project_id="demo")))
    assert fault(clone(api, VOLUME))[0] == 413


# -- summary --------------------------------------------------------------------------------------
def test_summary(api, fake):
    fake.set_volume_metadata(VOLUME, {"k": "v", "x": "1"})
    fake.set_volume_metadata(CEPH_VOLUME, {"k": "w"})
    fake.add_volume(project_id="other", size=9, metadata={"o": "1"})
    assert fault(api.as_(version="3.11").get("volumes/summary")) == (
        404, "The resource could not be found.")
    assert api.as_(version="3.35").get("volumes/summary").get_json() == {
        "volume-summary": {"total_count": 3, "total_size": 7}}
    assert api.get("volumes/summary").get_json() == {"volume-summary": {
        "total_count": 3, "total_size": 7,
        "metadata": {"k": ["v", "w"], "x": ["1"]}}}
    # all_tenants counts for admins only; other parameters are ignored.
    assert api.get("volumes/summary", query={"all_tenants": "1"}).get_json()[
        "volume-summary"]["total_count"] == 3
    admin = api.as_(roles="admin")
    everything = admin.get("volumes/summary", query={"all_tenants": "true", "foo": "1"})
    assert everything.get_json()["volume-summary"]["total_size"] == 16


# -- extensions -----------------------------------------------------------------------------------
def test_extensions(api):
    listed = api.as_(version=None).get("extensions").get_json()["extensions"]
    assert len(listed) == 32
    assert {"os-volume-transfer", "os-quota-sets", "os-volume-actions"} <= {
        e["alias"] for e in listed}
    shown = api.get("extensions/os-volume-transfer").get_json()["extension"]
    assert shown == {"name": "VolumeTransfer", "alias": "os-volume-transfer",
                     "description": "Volume transfer management support.",
                     "updated": "2013-05-29T00:00:00+00:00", "links": []}
    assert fault(api.get("extensions/nope")) == (404, "The resource could not be found.")


# -- messages -------------------------------------------------------------------------------------
def test_messages_need_3_3(api):
    assert fault(api.as_(version="3.2").get("messages"))[0] == 404
    assert api.as_(version="3.3").get("messages").get_json() == {"messages": []}
    assert fault(api.get(f"messages/{UNKNOWN}")) == (
        404, f"Message {UNKNOWN} could not be found.")
    assert fault(api.delete(f"messages/{UNKNOWN}")) == (
        404, f"Message {UNKNOWN} could not be found.")


def test_a_backend_failure_records_cinders_message(api, fake):
    attachment = api.create(VOLUME, SERVER)
    fake.inject("attachment_update", backend_failure=True)
    failed = api.put(f"attachments/{attachment['id']}", {"attachment": {"connector": CONNECTOR}},
                     service=True)
    assert failed.status_code == 500
    [listed] = api.get("messages").get_json()["messages"]
    assert listed["event_id"] == "VOLUME_VOLUME_004_002"
    assert listed["user_message"] == "update attachment:Driver is not initialized at present."
    assert listed["resource_type"] == "VOLUME" and listed["resource_uuid"] == VOLUME
    assert listed["message_level"] == "ERROR"
    assert listed["request_id"] == failed.headers["X-OpenStack-Request-Id"]
    assert listed["guaranteed_until"] > listed["created_at"]
    shown = api.get(f"messages/{listed['id']}").get_json()["message"]
    assert shown == listed
    assert fault(api.as_(roles="reader").delete(f"messages/{listed['id']}")) == (
        403, "Policy doesn't allow message:delete to be performed.")
    deleted = api.delete(f"messages/{listed['id']}")
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert fake.messages() == []


def test_listing_and_visibility(api, fake):
    own = fake.add_message("demo", action="EXTEND_VOLUME", detail="DRIVER_FAILED_EXTEND",
                           resource_uuid=VOLUME)
    theirs = fake.add_message("other", action="SCHEDULE_ALLOCATE_VOLUME",
                              detail="NO_BACKEND_AVAILABLE")
    assert own["event_id"] == "VOLUME_VOLUME_007_010"
    # Cinder lists every project's messages (its list query has no project filter) but
    # shows and deletes only the caller's own.
    listed = api.get("messages").get_json()["messages"]
    assert [m["id"] for m in listed] == [theirs["id"], own["id"]]
    assert "resource_uuid" not in listed[0]
    assert fault(api.get(f"messages/{theirs['id']}"))[0] == 404
    assert api.as_(project="x", roles="admin").get(f"messages/{theirs['id']}").status_code == 200
    filtered = api.get("messages", query={"resource_uuid": VOLUME}).get_json()["messages"]
    assert [m["id"] for m in filtered] == [own["id"]]
    assert fault(api.get("messages", query={"foo": "1"})) == (
        400, "Invalid filters foo are found in query options.")
    assert api.as_(version="3.30").get("messages", query={"foo": "1"}).get_json() == {
        "messages": []}
    # Before 3.5 no parameter counts.
    assert len(api.as_(version="3.4").get("messages", query={"limit": "1"}).get_json()[
        "messages"]) == 2
    paged = api.get("messages", query={"limit": "1"}).get_json()
    assert len(paged["messages"]) == 1 and "messages_links" in paged
    assert fake.message(own["id"])["user_message"] == (
        "extend volume:Volume Driver failed to extend volume.")


def test_core_api_for_other_parts_of_the_fake(fake):
    message = messages.record(fake.store, "demo", messages.Action.SCHEDULE_ALLOCATE_VOLUME,
                              resource_uuid=VOLUME, detail=messages.Detail.NO_BACKEND_AVAILABLE)
    assert messages.user_message(message) == (
        "schedule allocate volume:Could not find any available weighted backend.")
    assert message.event_id == "VOLUME_VOLUME_001_003"
    state = fake.dump()
    assert state["messages"][0]["event_id"] == "VOLUME_VOLUME_001_003"
    fake.reset(project_id="demo")
    assert fake.messages() == []
    fake.load(state)
    assert fake.dump() == state
    with pytest.raises(ValueError):
        fake.add_message("demo", action="NOPE")


def test_a_create_whose_backend_fails_ends_in_error_with_the_schedulers_message(api, fake):
    fault_handle = fake.inject("volume_create", backend_failure=True)
    response = api.post("volumes", {"volume": {"size": 1, "name": "doomed"}})
    assert response.status_code == 202  # Cinder answers before its services run
    created = response.get_json()["volume"]
    assert created["status"] == "creating" and fault_handle.fired == 1
    assert api.volume(created["id"])["status"] == "error"
    [message] = api.get("messages", query={"resource_uuid": created["id"]}).get_json()[
        "messages"]
    assert message["event_id"] == "VOLUME_VOLUME_001_003"
    assert message["user_message"] == (
        "schedule allocate volume:Could not find any available weighted backend.")
    assert message["request_id"] == response.headers["X-OpenStack-Request-Id"]
    # Refused creates never reach the backend: the fault waits for one that does.
    again = fake.inject("volume_create", backend_failure=True)
    assert fault(api.post("volumes", {"volume": {"size": 0}}))[0] == 400
    assert again.fired == 0


def test_a_bad_limit_is_refused_at_every_version(api):
    assert fault(api.as_(version="3.3").get("messages", query={"limit": "x"})) == (
        400, "limit param must be an integer")
