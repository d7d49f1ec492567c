"""Snapshots: create (force, 3.66's in-use rule), show, lists, delete, os-update_snapshot_status,
and the volume delete they block."""

from __future__ import annotations

import pytest

from fake_cinder.api.snapshots import SNAPSHOT_IN_USE_FLAG_MSG
from tests.helpers.api import CEPH_VOLUME, CONNECTOR, SERVER, UNKNOWN, VOLUME, fault

EXTENDED = "os-extended-snapshot-attributes"


def snap(api, volume_id: str = VOLUME, **fields) -> dict:
    response = api.post("snapshots", {"snapshot": {"volume_id": volume_id, **fields}})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["snapshot"]


def attach(api, volume_id: str = VOLUME) -> None:
    attachment = api.create(volume_id, SERVER, connector=CONNECTOR)
    api.complete(attachment["id"])


def test_create_answers_creating_and_stores_available(api, fake):
    created = snap(api, name="  nightly ", description=" db ", metadata={"k": "v"})
    assert created["status"] == "creating"
    assert (created["name"], created["description"]) == ("nightly", "db")
    assert created["volume_id"] == VOLUME
    assert created["size"] == 1
    assert created["metadata"] == {"k": "v"}
    assert created["updated_at"] is None
    assert created["user_id"] == "user-demo"
    assert created["consumes_quota"] is True and created["group_snapshot_id"] is None
    # The create is not extended with project and progress; show is.
    assert f"{EXTENDED}:progress" not in created
    shown = api.get(f"snapshots/{created['id']}").get_json()["snapshot"]
    assert shown["status"] == "available"
    assert shown[f"{EXTENDED}:progress"] == "100%"
    assert shown[f"{EXTENDED}:project_id"] == "demo"
    assert fake.snapshot(created["id"])["status"] == "available"


def test_display_name_is_the_old_spelling_of_name(api):
    assert snap(api, display_name="old")["name"] == "old"
    assert snap(api, display_name="old", name="new")["name"] == "new"


def test_view_fields_follow_the_microversion(api):
    created = snap(api.as_(version="3.0"))
    assert "user_id" not in created and "group_snapshot_id" not in created
    assert "consumes_quota" not in created
    assert "group_snapshot_id" in snap(api.as_(version="3.14"))
    assert "user_id" in snap(api.as_(version="3.41"))
    assert "consumes_quota" not in snap(api.as_(version="3.64"))


def test_in_use_volume_needs_force_before_3_66(api):
    attach(api)
    old = api.as_(version="3.65")
    response = old.post("snapshots", {"snapshot": {"volume_id": VOLUME}})
    assert fault(response) == (400, f"Invalid volume: Volume {VOLUME} status must be "
                                    "available, but current status is: in-use.")
    response = old.post("snapshots", {"snapshot": {"volume_id": VOLUME, "force": False}})
    assert response.status_code == 400
    assert snap(old, force=True)["status"] == "creating"
    assert snap(old, force="yes")["status"] == "creating"


def test_from_3_66_in_use_needs_no_force_and_refuses_force_false(api, fake):
    attach(api)
    assert snap(api)["status"] == "creating"
    assert snap(api, force=True)["status"] == "creating"
    before = fake.snapshots()
    response = api.post("snapshots", {"snapshot": {"volume_id": VOLUME, "force": "false"}})
    assert fault(response) == (400, SNAPSHOT_IN_USE_FLAG_MSG)
    assert fake.snapshots() == before


@pytest.mark.parametrize(("status", "message"), [
    ("error", "The snapshot cannot be created when the volume is in error status."),
    ("maintenance", "The snapshot cannot be created when the volume is in maintenance mode."),
    ("creating", f"Volume {VOLUME} status must be available, but current status is: "
                 "creating."),
])
def test_volume_status_refusals(api, fake, status, message):
    fake.store.volumes[VOLUME].status = status
    response = api.as_(version="3.65").post("snapshots", {"snapshot": {"volume_id": VOLUME,
                                                                       "force": True}})
    expected = message if status != "creating" else message.replace(
        "available,", "available, in-use,")
    assert fault(response) == (400, f"Invalid volume: {expected}")
    assert fake.snapshots() == []


def test_migrating_volume_refused(api, fake):
    fake.store.volumes[VOLUME].migration_status = "migrating"
    response = api.post("snapshots", {"snapshot": {"volume_id": VOLUME}})
    assert fault(response) == (400, "Invalid volume: Snapshot cannot be created while "
                                    "volume is migrating.")


@pytest.mark.parametrize(("body", "message"), [
    ({}, "'snapshot' is a required property"),
    ({"snapshot": {}}, "'volume_id' is a required property"),
    ({"snapshot": {"volume_id": "nope"}}, "Invalid input for field/attribute volume_id."),
    ({"snapshot": {"volume_id": VOLUME, "force": "maybe"}},
     "Invalid input for field/attribute force."),
    ({"snapshot": {"volume_id": VOLUME, "colour": "red"}},
     "Additional properties are not allowed ('colour' was unexpected)"),
    ({"snapshot": {"volume_id": VOLUME, "name": "x" * 256}},
     "Invalid input for field/attribute name."),
])
def test_bad_bodies_change_nothing(api, fake, body, message):
    response = api.post("snapshots", body)
    status, text = fault(response)
    assert status == 400 and message in text
    assert fake.snapshots() == []


def test_unknown_and_other_projects_volumes_are_not_found(api, fake):
    response = api.post("snapshots", {"snapshot": {"volume_id": UNKNOWN}})
    assert fault(response) == (404, f"Volume {UNKNOWN} could not be found.")
    response = api.post("snapshots", {"snapshot": {"volume_id": None}})
    assert fault(response) == (404, "Volume None could not be found.")
    other = fake.add_volume(project_id="other")["id"]
    response = api.post("snapshots", {"snapshot": {"volume_id": other}})
    assert fault(response) == (404, f"Volume {other} could not be found.")


def test_show_of_unknown_or_other_projects_snapshot_404s(api, admin, fake):
    other = fake.add_volume(project_id="other")["id"]
    theirs = fake.add_snapshot(other)["id"]
    for snapshot_id in (UNKNOWN, theirs):
        response = api.get(f"snapshots/{snapshot_id}")
        assert fault(response) == (404, f"Snapshot {snapshot_id} could not be found.")
    assert admin.get(f"snapshots/{theirs}").status_code == 200


def test_lists_are_newest_first_with_summary_and_detail_views(api):
    first, second = snap(api, name="a"), snap(api, name="b")
    listed = api.get("snapshots").get_json()["snapshots"]
    assert [s["id"] for s in listed] == [second["id"], first["id"]]
    assert set(listed[0]) == {"id", "created_at", "updated_at", "name", "description",
                              "volume_id", "status", "size", "metadata"}
    detailed = api.get("snapshots/detail").get_json()["snapshots"]
    assert detailed[0][f"{EXTENDED}:progress"] == "100%"
    assert detailed[0]["user_id"] == "user-demo"


def test_list_filters_paging_sort_and_count(api, fake):
    first = snap(api, name="a", metadata={"tier": "gold"})
    second = snap(api, name="b")
    other = fake.add_volume(project_id="other")["id"]
    fake.add_snapshot(other)

    def ids(**query):
        response = api.get("snapshots", query=query)
        assert response.status_code == 200, response.get_json()
        return [s["id"] for s in response.get_json()["snapshots"]]

    assert ids(name="a") == [first["id"]]
    assert ids(metadata="{'tier': 'gold'}") == [first["id"]]
    assert ids(volume_id=VOLUME, sort="name:asc") == [first["id"], second["id"]]
    assert ids(status="error") == []
    page = api.get("snapshots", query={"limit": "1"}).get_json()
    assert [s["id"] for s in page["snapshots"]] == [second["id"]]
    assert page["snapshots_links"][0]["rel"] == "next"
    assert ids(limit="1", marker=second["id"]) == [first["id"]]
    counted = api.get("snapshots", query={"with_count": "true"}).get_json()
    assert counted["count"] == 2
    response = api.get("snapshots", query={"colour": "red"})
    assert fault(response) == (400, "Invalid filters colour are found in query options.")


def test_admins_list_all_projects_with_all_tenants(admin, fake):
    other = fake.add_volume(project_id="other")["id"]
    theirs = fake.add_snapshot(other)["id"]
    assert admin.get("snapshots").get_json()["snapshots"] == []
    listed = admin.get("snapshots", query={"all_tenants": "1"}).get_json()["snapshots"]
    assert [s["id"] for s in listed] == [theirs]


def test_delete_removes_it(api, fake):
    created = snap(api)
    response = api.delete(f"snapshots/{created['id']}")
    assert (response.status_code, response.get_data()) == (202, b"")
    # Cinder's bare webob.Response(202): WebOb's default content type.
    assert response.content_type == "text/html; charset=UTF-8"
    assert fake.snapshots() == []
    response = api.delete(f"snapshots/{created['id']}")
    assert fault(response) == (404, f"Snapshot {created['id']} could not be found.")


def test_delete_needs_available_or_error(api, fake):
    creating = fake.add_snapshot(VOLUME, status="creating")["id"]
    response = api.delete(f"snapshots/{creating}")
    assert fault(response) == (400, "Invalid snapshot: Snapshot status must be available or "
                                    "error and must not be part of a group.")
    assert fake.snapshot(creating)["status"] == "creating"
    errored = fake.add_snapshot(VOLUME, status="error")["id"]
    assert api.delete(f"snapshots/{errored}").status_code == 202


# -- os-update_snapshot_status ---------------------------------------------------------------------
def update_status(api, snapshot_id: str, **body):
    return api.post(f"snapshots/{snapshot_id}/action", {"os-update_snapshot_status": body})


def test_nova_assisted_snapshot_transitions(api, fake):
    snapshot_id = fake.add_snapshot(VOLUME, status="creating")["id"]
    response = update_status(api, snapshot_id, status="creating", progress="90%")
    assert (response.status_code, response.get_data()) == (202, b"")
    assert response.content_type == "text/html; charset=UTF-8"
    assert fake.snapshot(snapshot_id)["progress"] == "90%"
    assert update_status(api, snapshot_id, status="available").status_code == 202
    shown = api.get(f"snapshots/{snapshot_id}").get_json()["snapshot"]
    assert shown["status"] == "available"
    assert shown[f"{EXTENDED}:progress"] == "90%"  # no progress sent: kept


def test_deleting_may_become_error_deleting_only(api, fake):
    snapshot_id = fake.add_snapshot(VOLUME, status="deleting")["id"]
    response = update_status(api, snapshot_id, status="available")
    assert fault(response) == (400, "Provided snapshot status available not allowed for "
                                    "snapshot with status deleting.")
    assert update_status(api, snapshot_id, status="error_deleting").status_code == 202
    response = update_status(api, snapshot_id, status="error")
    assert fault(response) == (400, "Snapshot status error_deleting not allowed for "
                                    "update_snapshot_status")


def test_available_snapshot_status_cannot_be_updated(api):
    created = snap(api)
    response = update_status(api, created["id"], status="available")
    assert fault(response) == (400, "Snapshot status available not allowed for "
                                    "update_snapshot_status")


@pytest.mark.parametrize(("body", "message"), [
    ({}, "'status' is a required property"),
    ({"status": "available", "progress": "abc%"},
     "Invalid input received: progress must be an integer percentage"),
    ({"status": "available", "progress": "101%"},
     "Invalid input received: progress must be an integer percentage between 0 and 100"),
    ({"status": "available", "progress": "50"},
     "Invalid input received: progress must be an integer percentage between 0 and 100"),
    ({"status": "available", "extra": 1},
     "Additional properties are not allowed ('extra' was unexpected)"),
])
def test_bad_status_updates_change_nothing(api, fake, body, message):
    snapshot_id = fake.add_snapshot(VOLUME, status="creating")["id"]
    before = fake.snapshot(snapshot_id)
    status, text = fault(update_status(api, snapshot_id, **body))
    assert status == 400 and message in text
    assert fake.snapshot(snapshot_id) == before


def test_status_update_needs_a_member_or_admin(api, fake):
    snapshot_id = fake.add_snapshot(VOLUME, status="creating")["id"]
    response = update_status(api.as_(roles="reader"), snapshot_id, status="available")
    assert fault(response) == (403, "Policy doesn't allow snapshot_extension:snapshot_actions:"
                                    "update_snapshot_status to be performed.")
    response = update_status(api, UNKNOWN, status="available")
    assert fault(response) == (404, f"Snapshot {UNKNOWN} could not be found.")


# -- volume delete ---------------------------------------------------------------------------------
VOLUME_DELETE_REFUSED = (
    "Invalid volume: Volume status must be available or error or error_restoring or "
    "error_extending or error_managing and must not be migrating, attached, belong to a "
    "group, have snapshots, awaiting a transfer, or be disassociated from snapshots after "
    "volume transfer.")


def test_volume_with_snapshots_is_not_deleted(api, fake):
    snap(api)
    response = api.delete(f"volumes/{VOLUME}")
    assert fault(response) == (400, VOLUME_DELETE_REFUSED)
    assert VOLUME in fake.store.volumes


def test_cascade_deletes_the_snapshots_too(api, fake):
    snap(api)
    snap(api)
    response = api.delete(f"volumes/{VOLUME}", query={"cascade": "true"})
    assert response.status_code == 202
    assert VOLUME not in fake.store.volumes
    assert fake.snapshots() == []


def test_cascade_refused_while_a_snapshot_is_busy(api, fake):
    fake.add_snapshot(VOLUME, status="creating")
    response = api.delete(f"volumes/{VOLUME}", query={"cascade": "true"})
    assert fault(response) == (400, VOLUME_DELETE_REFUSED)
    assert len(fake.snapshots()) == 1


def test_cascade_by_a_member_refused_for_other_projects_snapshots(api, admin, fake):
    fake.add_snapshot(VOLUME, project_id="admin")
    response = api.delete(f"volumes/{VOLUME}", query={"cascade": "true"})
    assert fault(response) == (400, VOLUME_DELETE_REFUSED)
    assert admin.delete(f"volumes/{VOLUME}", query={"cascade": "true"}).status_code == 202
    assert fake.snapshots() == []


def test_consumes_quota_filter_from_3_65(api):
    created = snap(api)
    assert [s["id"] for s in api.get("snapshots", query={"consumes_quota": "true"}).get_json()[
        "snapshots"]] == [created["id"]]
    assert api.get("snapshots", query={"consumes_quota": "false"}).get_json()[
        "snapshots"] == []
    response = api.get("snapshots", query={"consumes_quota": "maybe"})
    assert fault(response) == (400, "Value 'maybe' for 'use_quota' is not a boolean.")
    # Before 3.65 it is dropped, so it filters nothing.
    assert len(api.as_(version="3.64").get("snapshots", query={"consumes_quota": "false"})
               .get_json()["snapshots"]) == 1


def test_faults_and_the_journal_name_snapshot_operations(api, fake):
    with fake.inject("snapshot_create", status=503, volume_id=VOLUME) as handle:
        response = api.post("snapshots", {"snapshot": {"volume_id": VOLUME}})
        assert response.status_code == 503
        assert fake.snapshots() == []
        other = api.post("snapshots", {"snapshot": {"volume_id": CEPH_VOLUME}})
        assert other.status_code == 202
        assert handle.fired == 1
    created = snap(api)
    api.get(f"snapshots/{created['id']}")
    api.delete(f"snapshots/{created['id']}")
    operations = [e.operation for e in fake.journal.entries()]
    assert operations[-4:] == ["snapshot_create", "snapshot_create", "snapshot_show",
                               "snapshot_delete"]
    assert [e.status for e in fake.journal.entries("snapshot_create")] == [503, 202, 202]


def test_state_files_carry_snapshots(fake):
    from fake_cinder import FakeCinder
    from fake_cinder.core.state_files import StateError

    fake.add_snapshot(VOLUME, name="kept", status="creating")
    state = fake.dump()
    (row,) = state["snapshots"]
    assert (row["name"], row["status"], row["progress"], row["size"]) == (
        "kept", "creating", "0%", 1)
    again = FakeCinder(state)
    assert again.dump() == state
    # Left out, the project, size and type come from the volume.
    minimal = {**state, "snapshots": [{"id": UNKNOWN, "volume_id": CEPH_VOLUME}]}
    (loaded,) = FakeCinder(minimal).snapshots()
    assert (loaded["project_id"], loaded["size"], loaded["status"]) == ("demo", 4, "available")
    with pytest.raises(StateError, match=r"\$\.snapshots\[0\]\.volume_id: unknown volume"):
        FakeCinder({**state, "snapshots": [{"id": UNKNOWN, "volume_id": SERVER}]})
    # Added to a state without snapshots, the error points into the added part.
    plain = FakeCinder(fake.dump() | {"snapshots": []})
    with pytest.raises(StateError, match=r"\$\.snapshots\[0\]\.volume_id"):
        plain.load({"snapshots": [{"id": UNKNOWN, "volume_id": SERVER}]}, replace=False)
    plain.load({"snapshots": [{"id": UNKNOWN, "volume_id": VOLUME}]}, replace=False)
    assert [s["id"] for s in plain.snapshots()] == [UNKNOWN]
    plain.reset("demo")
    assert plain.snapshots() == []
    again.reset("demo")  # back to its fixtures' snapshot
    assert [s["id"] for s in again.snapshots()] == [row["id"]]


# -- volumes from snapshots ------------------------------------------------------------------------
def test_volume_from_a_snapshot_takes_its_size_type_and_bootable(api, fake):
    fake.store.volumes[CEPH_VOLUME].bootable = True
    created = snap(api, CEPH_VOLUME)
    response = api.post("volumes", {"volume": {"snapshot_id": created["id"]}})
    assert response.status_code == 202, response.get_json()
    volume = response.get_json()["volume"]
    assert (volume["snapshot_id"], volume["size"], volume["volume_type"]) == (
        created["id"], 4, "ceph")
    assert volume["bootable"] == "true"
    assert api.volume(volume["id"])["snapshot_id"] == created["id"]
    bigger = api.post("volumes", {"volume": {"snapshot_id": created["id"], "size": 6,
                                             "volume_type": "ceph"}})
    assert bigger.get_json()["volume"]["size"] == 6
    # Another type only when both name the same backend (Cinder's _retype_is_possible,
    # checked on Cinder 29).
    other_type = api.post("volumes", {"volume": {"snapshot_id": created["id"],
                                                 "volume_type": "multiattach"}})
    assert fault(other_type)[0] == 400
    for name in ("ceph", "multiattach"):
        fake.store.find_volume_type(name).extra_specs["volume_backend_name"] = "b1"
    assert api.post("volumes", {"volume": {"snapshot_id": created["id"],
                                           "volume_type": "multiattach"}}).status_code == 202


def test_volume_from_a_snapshot_refusals(api, admin, fake):
    created = snap(api, CEPH_VOLUME)
    response = api.post("volumes", {"volume": {"snapshot_id": created["id"], "size": 2}})
    assert fault(response) == (400, "Invalid input received: Volume size '2'GB cannot be "
                                    "smaller than the snapshot size 4GB. They must be >= "
                                    "original snapshot size.")
    response = api.post("volumes", {"volume": {"snapshot_id": UNKNOWN}})
    assert fault(response) == (404, f"Snapshot {UNKNOWN} could not be found.")
    busy = fake.add_snapshot(VOLUME, status="creating")["id"]
    response = api.post("volumes", {"volume": {"snapshot_id": busy}})
    assert fault(response) == (400, "Invalid snapshot: Originating snapshot status must be "
                                    "one of 'available' values")
    luks = admin.post("types", {"volume_type": {"name": "luks"}}).get_json()["volume_type"]
    fake.set_volume_type_encryption("luks")
    response = api.post("volumes", {"volume": {"snapshot_id": created["id"],
                                               "volume_type": "luks"}})
    assert fault(response) == (400, f"Invalid input received: Invalid volume_type provided: "
                                    f"{luks['id']} (requested type is not compatible; "
                                    "recommend omitting the type argument).")
    assert len(fake.volumes(project_id="demo")) == 3


# -- admin actions ---------------------------------------------------------------------------------
def test_admins_reset_a_snapshots_status_and_force_delete_it(api, admin, fake):
    created = snap(api)
    path = f"snapshots/{created['id']}/action"
    response = admin.post(path, {"os-reset_status": {"status": "CREATING"}})
    assert (response.status_code, response.get_data()) == (202, b"")
    assert fake.snapshot(created["id"])["status"] == "creating"
    # Now Nova can report on it.
    assert update_status(api, created["id"], status="available").status_code == 202
    admin.post(path, {"os-reset_status": {"status": "deleting"}})
    assert fault(api.delete(f"snapshots/{created['id']}"))[0] == 400
    response = admin.post(path, {"os-force_delete": {}})
    assert (response.status_code, response.get_data()) == (202, b"")
    assert fake.snapshots() == []


def test_snapshot_admin_actions_refusals(api, admin, fake):
    created = snap(api)
    path = f"snapshots/{created['id']}/action"
    before = fake.snapshot(created["id"])
    response = admin.post(path, {"os-reset_status": {"status": "broken"}})
    assert fault(response) == (400, "Snapshot status: broken is invalid, valid statuses are: "
                                    "('error', 'available', 'creating', 'deleting', "
                                    "'deleted', 'updating', 'error_deleting', 'unmanaging', "
                                    "'backing-up', 'restoring').")
    response = api.post(path, {"os-reset_status": {"status": "error"}})
    assert fault(response) == (403, "Policy doesn't allow volume_extension:snapshot_admin_"
                                    "actions:reset_status to be performed.")
    response = api.post(path, {"os-force_delete": None})
    assert fault(response) == (403, "Policy doesn't allow volume_extension:snapshot_admin_"
                                    "actions:force_delete to be performed.")
    response = admin.post(f"snapshots/{UNKNOWN}/action", {"os-force_delete": {}})
    assert fault(response) == (404, f"Snapshot {UNKNOWN} could not be found.")
    assert fake.snapshot(created["id"]) == before


def test_update_name_and_description(api, fake):
    created = snap(api, name="old")
    response = api.put(f"snapshots/{created['id']}",
                       {"snapshot": {"name": " new ", "display_description": "d"}})
    assert response.status_code == 200
    updated = response.get_json()["snapshot"]
    assert (updated["name"], updated["description"]) == ("new", "d")
    assert f"{EXTENDED}:progress" not in updated
    assert fake.snapshot(created["id"])["name"] == "new"
    response = api.put(f"snapshots/{created['id']}", {"snapshot": {}})
    assert fault(response)[0] == 400
    response = api.put(f"snapshots/{UNKNOWN}", {"snapshot": {"name": "x"}})
    assert fault(response) == (404, f"Snapshot {UNKNOWN} could not be found.")


def test_readers_may_only_look(api, fake):
    created = snap(api)
    reader = api.as_(roles="reader")
    response = reader.post("snapshots", {"snapshot": {"volume_id": VOLUME}})
    assert fault(response) == (403, "Policy doesn't allow volume:create_snapshot to be "
                                    "performed.")
    fake.store.volumes[VOLUME].status = "error"  # the policy comes before the status
    response = reader.post("snapshots", {"snapshot": {"volume_id": VOLUME}})
    assert fault(response)[0] == 403
    response = reader.put(f"snapshots/{created['id']}", {"snapshot": {"name": "x"}})
    assert fault(response) == (403, "Policy doesn't allow volume:update_snapshot to be "
                                    "performed.")
    response = reader.delete(f"snapshots/{created['id']}")
    assert fault(response) == (403, "Policy doesn't allow volume:delete_snapshot to be "
                                    "performed.")
    assert reader.get(f"snapshots/{created['id']}").status_code == 200
    assert len(fake.snapshots()) == 1
