"""BEHAVIOR.md section 3: the status transitions of attachments and their volumes."""

from __future__ import annotations

import pytest

from tests.helpers.api import CONNECTOR, SERVER, SERVER2, SHARED_VOLUME, UNKNOWN, VOLUME, fault

TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$"
VOLUME_ATTACHMENT_KEYS = {"attached_at", "attachment_id", "device", "host_name", "id",
                          "server_id", "volume_id"}


def reset_status(admin, volume_id: str, status: str) -> None:
    response = admin.post(f"volumes/{volume_id}/action", {"os-reset_status": {"status": status}})
    assert response.status_code == 202, response.get_json()


def attached(api, volume_id: str = VOLUME, instance: str = SERVER) -> str:
    """An attachment through the whole Nova flow: reserve, connect, complete."""
    attachment = api.create(volume_id, instance)
    api.update(attachment["id"], CONNECTOR)
    api.complete(attachment["id"])
    return attachment["id"]


# -- create without a connector: a reserve
@pytest.mark.parametrize("connector", ["absent", None, {}], ids=["absent", "null", "empty"])
def test_create_without_connector_reserves(api, connector):
    body = {"volume_uuid": VOLUME, "instance_uuid": SERVER}
    if connector != "absent":
        body["connector"] = connector
    response = api.post("attachments", {"attachment": body})
    assert response.status_code == 200
    attachment = response.get_json()["attachment"]
    assert attachment == {"id": attachment["id"], "status": "reserved", "instance": SERVER,
                          "volume_id": VOLUME, "attached_at": "", "detached_at": "",
                          "attach_mode": "null", "connection_info": {}}
    assert api.show(attachment["id"]) == attachment
    volume = api.volume()
    assert volume["status"] == "reserved"
    assert volume["attachments"] == []


# -- create with a connector: reserve and connect, stale response
def test_create_with_connector_answers_the_stale_reserved_record(api):
    attachment = api.create(connector=CONNECTOR)
    assert attachment["status"] == "reserved"
    assert attachment["attach_mode"] == "null"
    assert attachment["attached_at"] == ""
    info = attachment["connection_info"]
    assert info["driver_volume_type"] == "iscsi"
    assert info["attachment_id"] == attachment["id"]
    assert info["target_iqn"].endswith(VOLUME)


def test_create_with_connector_stores_an_attaching_attachment(api):
    created = api.create(connector=CONNECTOR)
    stored = api.show(created["id"])
    assert stored["status"] == "attaching"
    assert stored["attached_at"] != ""
    assert stored["attach_mode"] == "null"
    assert stored["connection_info"] == created["connection_info"]
    volume = api.volume()
    assert volume["status"] == "attaching"
    assert volume["attachments"] == []


def test_create_with_connector_and_mode_keeps_the_mode(api):
    created = api.create(connector=CONNECTOR, mode="ro")
    assert created["attach_mode"] == "ro"
    stored = api.show(created["id"])
    assert stored["attach_mode"] == "ro"
    assert stored["connection_info"]["access_mode"] == "rw"


# -- update: connect a reserved attachment, stale response
def test_update_answers_the_stale_record_with_full_connection_info(api):
    reserved = api.create()
    updated = api.update(reserved["id"], CONNECTOR)
    assert {k: updated[k] for k in ("status", "attach_mode", "attached_at")} == {
        "status": "reserved", "attach_mode": "null", "attached_at": ""}
    assert updated["connection_info"]["driver_volume_type"] == "iscsi"
    assert updated["connection_info"]["attachment_id"] == reserved["id"]


def test_update_stores_attaching_rw_with_attached_at(api):
    reserved = api.create()
    updated = api.update(reserved["id"], CONNECTOR)
    stored = api.show(reserved["id"])
    assert stored["status"] == "attaching"
    assert stored["attach_mode"] == "rw"
    assert stored["attached_at"] != ""
    assert stored["connection_info"] == updated["connection_info"]
    volume = api.volume()
    assert volume["status"] == "attaching"
    assert volume["attachments"] == []


def test_update_keeps_the_mode_given_at_create(api):
    reserved = api.create(mode="ro")
    api.update(reserved["id"], CONNECTOR)
    stored = api.show(reserved["id"])
    assert stored["attach_mode"] == "ro"
    assert stored["connection_info"]["access_mode"] == "rw"


def test_update_takes_the_mode_from_the_connector(api):
    reserved = api.create()
    api.update(reserved["id"], dict(CONNECTOR, mode="ro"))
    assert api.show(reserved["id"])["attach_mode"] == "ro"


def test_update_of_an_in_use_attachment_moves_the_volume_back_to_attaching(api):
    attachment_id = attached(api)
    before = api.show(attachment_id)
    assert api.volume()["status"] == "in-use"
    updated = api.update(attachment_id, dict(CONNECTOR, host="compute-2"))
    # Stale: the status, mode and time of before the call.
    assert updated["status"] == "attached"
    assert updated["attach_mode"] == before["attach_mode"] == "rw"
    assert updated["attached_at"] == before["attached_at"]
    assert api.show(attachment_id)["status"] == "attaching"
    assert api.volume()["status"] == "attaching"


# -- complete
def test_complete_attaches_and_lists_the_attachment_on_the_volume(api):
    reserved = api.create()
    api.update(reserved["id"], CONNECTOR)
    response = api.post(f"attachments/{reserved['id']}/action", {"os-complete": None})
    assert response.status_code == 204
    assert response.get_data() == b""
    stored = api.show(reserved["id"])
    assert stored["status"] == "attached"
    volume = api.volume()
    assert volume["status"] == "in-use"
    (entry,) = volume["attachments"]
    assert set(entry) == VOLUME_ATTACHMENT_KEYS
    assert entry["attachment_id"] == reserved["id"]
    assert entry["id"] == entry["volume_id"] == VOLUME
    assert entry["server_id"] == SERVER
    assert entry["device"] == CONNECTOR["mountpoint"]
    assert entry["attached_at"] == stored["attached_at"]


def test_volume_attachment_host_name_is_for_admins_only(api, admin):
    attachment_id = attached(api)
    assert api.volume()["attachments"][0]["host_name"] is None
    (entry,) = admin.volume()["attachments"]
    assert entry["attachment_id"] == attachment_id
    assert entry["host_name"] == CONNECTOR["host"]


def test_complete_on_a_reserved_attachment(api):
    reserved = api.create()
    api.complete(reserved["id"])
    stored = api.show(reserved["id"])
    assert stored["status"] == "attached"
    assert stored["connection_info"] == {}
    assert api.volume()["status"] == "in-use"


# -- delete
def test_delete_of_the_last_attachment_makes_the_volume_available(api):
    attachment_id = attached(api)
    response = api.delete(f"attachments/{attachment_id}", service=True)
    assert response.status_code == 200
    assert response.get_json() == {"attachments": []}
    assert fault(api.get(f"attachments/{attachment_id}"))[0] == 404
    volume = api.volume()
    assert volume["status"] == "available"
    assert volume["attachments"] == []


def test_delete_of_a_reserve_makes_the_volume_available(api):
    reserved = api.create()
    assert api.remove(reserved["id"], service=False) == []
    assert api.volume()["status"] == "available"


@pytest.mark.parametrize(("remaining", "volume_status"), [
    (["attached", "reserved"], "in-use"),
    (["attaching", "reserved"], "attaching"),
    (["detaching", "reserved"], "detaching"),
    (["reserved"], "reserved"),
    (["attached", "attaching", "detaching", "reserved"], "in-use"),
    (["error_attaching", "reserved"], "reserved"),
])
def test_delete_recomputes_the_volume_status_from_what_remains(api, fake, remaining,
                                                               volume_status):
    # The same instance may reserve again and again (Cinder's migration case).
    ids = [api.create(SHARED_VOLUME, SERVER)["id"] for _ in range(len(remaining) + 1)]
    for attachment_id, status in zip(ids[1:], remaining, strict=True):
        fake.store.attachments[attachment_id].attach_status = status
    left = api.remove(ids[0])
    assert sorted(a["id"] for a in left) == sorted(ids[1:])
    assert api.volume(SHARED_VOLUME)["status"] == volume_status


def test_delete_response_is_the_summary_view_of_the_remaining_attachments(api):
    first = attached(api, SHARED_VOLUME, SERVER)
    second = api.create(SHARED_VOLUME, SERVER2, connector=CONNECTOR)
    left = api.remove(first)
    assert left == [{"id": second["id"], "status": "attaching", "instance": SERVER2,
                     "volume_id": SHARED_VOLUME}]


# -- multiattach
def test_multiattach_flow(api):
    first = attached(api, SHARED_VOLUME, SERVER)
    assert api.volume(SHARED_VOLUME)["status"] == "in-use"
    second = api.create(SHARED_VOLUME, SERVER2, connector=CONNECTOR)["id"]
    assert api.volume(SHARED_VOLUME)["status"] == "attaching"
    api.complete(second)
    volume = api.volume(SHARED_VOLUME)
    assert volume["status"] == "in-use"
    assert {a["attachment_id"] for a in volume["attachments"]} == {first, second}
    left = api.remove(first)
    assert [a["id"] for a in left] == [second]
    volume = api.volume(SHARED_VOLUME)
    assert volume["status"] == "in-use"
    assert [a["attachment_id"] for a in volume["attachments"]] == [second]
    assert api.remove(second) == []
    assert api.volume(SHARED_VOLUME)["status"] == "available"


def test_multiattach_volume_in_use_accepts_another_instance(api):
    attached(api, SHARED_VOLUME, SERVER)
    reserved = api.create(SHARED_VOLUME, SERVER2)
    assert reserved["status"] == "reserved"
    assert api.volume(SHARED_VOLUME)["status"] == "reserved"


def test_multiattach_volume_that_is_reserved_refuses_another_reserve(api):
    api.create(SHARED_VOLUME, SERVER)
    response = api.post("attachments", {"attachment": {"volume_uuid": SHARED_VOLUME,
                                                       "instance_uuid": SERVER2}})
    assert fault(response) == (400, f"Invalid volume: Volume {SHARED_VOLUME} status must be "
                                    "available or in-use or downloading to reserve, but the "
                                    "current status is reserved.")


# -- reserving a busy non-multiattach volume
@pytest.mark.parametrize("stage", ["reserved", "attaching", "in-use"])
def test_non_multiattach_volume_refuses_another_instance(api, fake, stage):
    attachment = api.create(VOLUME, SERVER)
    if stage != "reserved":
        api.update(attachment["id"], CONNECTOR)
    if stage == "in-use":
        api.complete(attachment["id"])
    response = api.post("attachments", {"attachment": {"volume_uuid": VOLUME,
                                                       "instance_uuid": SERVER2}})
    assert fault(response) == (400, f"Invalid volume: Volume {VOLUME} status must be "
                                    "available or downloading to reserve, but the current "
                                    f"status is {stage}.")
    assert len(fake.store.attachments) == 1
    assert api.volume()["status"] == stage


def test_non_multiattach_volume_refuses_a_reserve_without_instance(api):
    api.create(VOLUME, SERVER)
    response = api.post("attachments", {"attachment": {"volume_uuid": VOLUME}})
    assert fault(response)[0] == 400


@pytest.mark.parametrize("stage", ["reserved", "in-use"])
def test_same_instance_may_reserve_again(api, fake, stage):
    first = api.create(VOLUME, SERVER)
    if stage == "in-use":
        api.update(first["id"], CONNECTOR)
        api.complete(first["id"])
    second = api.create(VOLUME, SERVER)
    assert second["id"] != first["id"]
    assert second["status"] == "reserved"
    assert api.volume()["status"] == stage
    assert len(fake.store.attachments) == 2


def test_downloading_volume_can_be_reserved(api, admin):
    reset_status(admin, VOLUME, "downloading")
    assert api.create()["status"] == "reserved"
    assert api.volume()["status"] == "reserved"


# -- volumes in error states
@pytest.mark.parametrize("status", ["error", "error_deleting", "error_restoring",
                                    "error_extending", "error_managing", "error_backing-up"])
def test_volume_in_an_error_state_refuses_attachments(api, admin, fake, status):
    reset_status(admin, VOLUME, status)
    response = api.post("attachments", {"attachment": {"volume_uuid": VOLUME,
                                                       "instance_uuid": SERVER}})
    assert fault(response) == (400, "Invalid volume: Volume attachments can not be created if "
                                    "the volume is in an error state. The Volume "
                                    f"{VOLUME} currently has a status of: {status} ")
    assert fake.store.attachments == {}
    # Cinder's view shows error_managing as error (bug 1504007).
    assert api.volume()["status"] == {"error_managing": "error"}.get(status, status)


def test_update_on_a_volume_in_an_error_state_409s(api, admin):
    reserved = api.create()
    reset_status(admin, VOLUME, "error")
    response = api.put(f"attachments/{reserved['id']}", {"attachment": {"connector": CONNECTOR}})
    assert fault(response) == (409, "Resource conflict: Volume attachments can not be updated "
                                    "if the volume is in an error state. The Volume "
                                    f"{VOLUME} currently has a status of: error ")
    assert "conflictingRequest" in response.get_json()
    assert api.show(reserved["id"])["status"] == "reserved"


def test_update_refuses_a_second_connection_of_a_non_multiattach_volume(api):
    first = attached(api, VOLUME, SERVER)
    second = api.create(VOLUME, SERVER)  # the same instance (a migration)
    response = api.put(f"attachments/{second['id']}", {"attachment": {"connector": CONNECTOR}})
    assert fault(response) == (409, "Resource conflict: duplicate connectors detected on "
                                    f"volume {VOLUME}")
    assert api.show(first)["status"] == "attached"
    assert api.show(second["id"])["status"] == "reserved"


# -- details
def test_instance_uuid_omitted_gives_instance_null(api):
    response = api.post("attachments", {"attachment": {"volume_uuid": VOLUME}})
    assert response.status_code == 200
    assert response.get_json()["attachment"]["instance"] is None


def test_create_on_an_unknown_volume_404s(api, fake):
    response = api.post("attachments", {"attachment": {"volume_uuid": UNKNOWN,
                                                       "instance_uuid": SERVER}})
    assert fault(response) == (404, f"Volume {UNKNOWN} could not be found.")
    assert fake.store.attachments == {}


def test_a_bad_connector_changes_nothing(api, fake):
    response = api.post("attachments", {"attachment": {
        "volume_uuid": VOLUME, "instance_uuid": SERVER, "connector": {"host": "compute-1"}}})
    assert fault(response) == (400, "Invalid input received: Connector doesn't have required "
                                    "information: initiator")
    assert fake.store.attachments == {}
    assert api.volume()["status"] == "available"


def test_delete_volume_with_attachments_400s(api):
    api.create()
    response = api.delete(f"volumes/{VOLUME}")
    assert fault(response) == (400, "Invalid volume: Volume status must be available or error or "
                                    "error_restoring or error_extending or error_managing and "
                                    "must not be migrating, attached, belong to a group, have "
                                    "snapshots, awaiting a transfer, or be disassociated from "
                                    "snapshots after volume transfer.")
    assert api.volume()["status"] == "reserved"


def test_delete_volume_after_its_attachments_are_gone(api):
    attachment_id = attached(api)
    api.remove(attachment_id)
    assert api.delete(f"volumes/{VOLUME}").status_code == 202
    assert fault(api.get(f"volumes/{VOLUME}")) == (404, f"Volume {VOLUME} could not be found.")


def test_same_instance_is_refused_while_the_volume_is_attaching(api):
    # Cinder's override only looks at in-use and reserved volumes.
    api.create(VOLUME, SERVER, connector=CONNECTOR)
    response = api.post("attachments", {"attachment": {"volume_uuid": VOLUME,
                                                       "instance_uuid": SERVER}})
    assert fault(response) == (400, f"Invalid volume: Volume {VOLUME} status must be available "
                                    "or downloading to reserve, but the current status is "
                                    "attaching.")


def test_volume_attachment_host_name_for_the_service_role(api):
    attached(api)
    (entry,) = api.volume(roles="member,service")["attachments"]
    assert entry["host_name"] == CONNECTOR["host"]


def test_delete_leaves_the_volume_updated_at_alone(api):
    attachment_id = attached(api)
    before = api.volume()["updated_at"]
    api.remove(attachment_id)
    volume = api.volume()
    assert volume["status"] == "available"
    assert volume["updated_at"] == before


def test_update_after_create_with_connector(api):
    created = api.create(connector=CONNECTOR)
    before = api.show(created["id"])
    updated = api.update(created["id"], dict(CONNECTOR, host="compute-2"))
    # Stale: what was stored before the call (create left attach_mode "null").
    assert (updated["status"], updated["attach_mode"], updated["attached_at"]) == (
        "attaching", "null", before["attached_at"])
    after = api.show(created["id"])
    assert (after["status"], after["attach_mode"]) == ("attaching", "rw")


@pytest.mark.parametrize("volume_uuid", [VOLUME.upper(), "{" + VOLUME + "}"])
def test_uuid_spellings_pass_the_schema_but_name_no_volume(api, volume_uuid):
    response = api.post("attachments", {"attachment": {"volume_uuid": volume_uuid}})
    assert fault(response) == (404, f"Volume {volume_uuid} could not be found.")
