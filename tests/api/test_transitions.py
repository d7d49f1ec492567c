"""Asynchronous transitions (core/transitions.py) through the API: each operation's
transitional, final and failure statuses, the progressions (immediate, seconds, polls,
manual), async_failure faults, quotas while work is pending, state files, reset, the
control API, the command line and the pytest marker."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from fake_cinder import FakeCinder
from fake_cinder.cli import build_fake, build_parser
from fake_cinder.core.state_files import StateError
from fake_cinder.core.transitions import OPERATIONS, Progression
from tests.helpers.api import Api, fault


@pytest.fixture
def api(client: Any) -> Api:
    return Api(client, roles="admin,member,reader")


def status(api: Api, volume_id: str) -> str:
    return api.volume(volume_id)["status"]


def snapshot_status(api: Api, snapshot_id: str) -> str:
    response = api.get(f"snapshots/{snapshot_id}")
    return response.get_json()["snapshot"]["status"] if response.status_code == 200 else "gone"


def new_snapshot(api: Api, volume_id: str) -> str:
    response = api.post("snapshots", {"snapshot": {"volume_id": volume_id}})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["snapshot"]["id"]


# -- progressions ---------------------------------------------------------------------------------
def test_immediate_is_the_default(api, fake):
    volume_id = api.new_volume()
    assert status(api, volume_id) == "available"
    assert fake.pending() == []
    assert fake.lifecycle(volume_id) == ["creating", "available"]


def test_polls_count_every_read_whatever_its_route(api, fake):
    fake.set_transition("volume_create", polls=3)
    volume_id = api.new_volume()
    [pending] = fake.pending()
    assert (pending["operation"], pending["volume_id"], pending["polls_left"]) == (
        "volume_create", volume_id, 3)
    assert status(api, volume_id) == "creating"                        # read 1: show
    detail = api.get("volumes/detail").get_json()["volumes"]          # read 2: a list
    assert {v["id"]: v["status"] for v in detail}[volume_id] == "creating"
    # read 3: a filtered list the volume is not in still reads it
    filtered = api.get("volumes?status=available").get_json()["volumes"]
    assert volume_id not in [v["id"] for v in filtered]
    assert fake.volume(volume_id)["status"] == "creating"  # Python reads do not count
    assert status(api, volume_id) == "available"                       # read 4
    assert fake.pending() == []


def test_seconds_end_on_their_own(api, fake):
    fake.set_transition("*", seconds=0.05)
    volume_id = api.new_volume()
    assert status(api, volume_id) == "creating"
    assert 0 < fake.pending()[0]["seconds_left"] <= 0.05
    deadline = time.monotonic() + 5
    while fake.volume(volume_id)["status"] != "available":  # the timer, with no reads
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_manual_waits_for_advance_of_one_record_or_all(api, fake):
    fake.set_transition("volume_create", manual=True)
    first, second = api.new_volume(), api.new_volume()
    for _ in range(5):
        assert status(api, first) == "creating"
    [advanced] = fake.advance(volume_id=first)
    assert advanced["volume_id"] == first and advanced["outcome"] == "available"
    assert (status(api, first), status(api, second)) == ("available", "creating")
    assert [p["volume_id"] for p in fake.advance()] == [second]
    assert status(api, second) == "available"
    assert fake.advance() == []


def test_an_operation_setting_overrides_the_default(api, fake):
    fake.set_transition("*", manual=True)
    fake.set_transition("volume_create", immediate=True)
    volume_id = api.new_volume()
    assert status(api, volume_id) == "available"
    assert api.delete(f"volumes/{volume_id}").status_code == 202
    assert status(api, volume_id) == "deleting"
    assert fake.transitions()["progressions"] == {"*": "manual", "volume_create": "immediate"}


@pytest.mark.parametrize("options", [{}, {"seconds": 1, "polls": 1}, {"seconds": -1},
                                     {"polls": 1.5}, {"manual": False}])
def test_set_transition_takes_exactly_one_valid_option(fake, options):
    with pytest.raises(ValueError):
        fake.set_transition("volume_create", **options)


def test_unknown_operations_are_refused_with_the_list(fake):
    with pytest.raises(ValueError, match="volume_create, volume_create_from_image"):
        fake.set_transition("volume_creat", polls=1)


def test_progression_text():
    assert [str(Progression.parse(t)) for t in ("immediate", "manual", "2s", "0.5s",
                                                "3polls", "1poll", "0s")] == [
        "immediate", "manual", "2s", "0.5s", "3polls", "1polls", "immediate"]
    with pytest.raises(ValueError, match="not a progression"):
        Progression.parse("soon")


# -- every operation: transitional, final, failure ------------------------------------------------
def test_every_operation_declares_cinders_statuses():
    assert {name: (op.transitional, op.failure) for name, op in OPERATIONS.items()} == {
        "volume_create": ("creating", "error"),
        "volume_create_from_image": ("downloading", "error"),
        "volume_retype": ("retyping", "previous status"),
        "volume_upload_image": ("uploading", "in-use or available"),
        "volume_delete": ("deleting", "error_deleting"),
        "volume_extend": ("extending", "error_extending"),
        "volume_reimage": ("downloading", "error"),
        "snapshot_create": ("creating", "error"),
        "snapshot_delete": ("deleting", "error_deleting"),
        "snapshot_force_delete": ("deleting", "error_deleting"),
    }


def test_extend_passes_through_extending_and_fails_with_its_size_unchanged(api, fake):
    volume_id = api.new_volume()
    fake.set_transition("volume_extend", manual=True)
    extend = {"os-extend": {"new_size": 3}}
    assert api.post(f"volumes/{volume_id}/action", extend).status_code == 202
    assert (status(api, volume_id), api.volume(volume_id)["size"]) == ("extending", 1)
    fake.advance(volume_id=volume_id)
    assert (status(api, volume_id), api.volume(volume_id)["size"]) == ("available", 3)
    fake.inject("volume_extend", async_failure=True)
    assert api.post(f"volumes/{volume_id}/action",
                    {"os-extend": {"new_size": 5}}).status_code == 202
    assert fake.pending()[0]["outcome"] == "error_extending"
    fake.advance()
    assert (status(api, volume_id), api.volume(volume_id)["size"]) == ("error_extending", 3)
    assert fake.lifecycle(volume_id) == ["creating", "available", "extending", "available",
                                         "extending", "error_extending"]


def test_a_failed_create_ends_in_error_at_once_by_default(api, fake):
    with fake.inject("volume_create", async_failure=True) as fault_handle:
        response = api.post("volumes", {"volume": {"size": 1}})
    assert response.status_code == 202
    assert response.get_json()["volume"]["status"] == "creating"
    assert fault_handle.fired == 1
    assert status(api, response.get_json()["volume"]["id"]) == "error"


def test_delete_passes_through_deleting_and_counts_until_gone(api, fake):
    volume_id = api.new_volume()
    used = fake.quotas("demo", usage=True)["volumes"]["in_use"]
    fake.set_transition("volume_delete", polls=1)
    assert api.delete(f"volumes/{volume_id}").status_code == 202
    assert fake.quotas("demo", usage=True)["volumes"]["in_use"] == used  # still counted
    assert status(api, volume_id) == "deleting"
    assert api.get(f"volumes/{volume_id}").status_code == 404
    assert fake.quotas("demo", usage=True)["volumes"]["in_use"] == used - 1
    assert fake.lifecycle(volume_id)[-2:] == ["deleting", "deleted"]
    fake.journal.assert_lifecycle(volume_id, ["creating", "available", "deleting", "deleted"])


def test_a_failed_delete_leaves_error_deleting_which_may_be_deleted_again(api, fake):
    volume_id = api.new_volume()
    fake.inject("volume_delete", async_failure=True, volume_id=volume_id)
    assert api.delete(f"volumes/{volume_id}").status_code == 202
    assert status(api, volume_id) == "error_deleting"
    # error_deleting is not among Cinder's deletable statuses: only a forced delete.
    refused = api.delete(f"volumes/{volume_id}")
    assert refused.status_code == 400
    assert api.delete(f"volumes/{volume_id}", query={"force": "true"}).status_code == 202
    assert api.get(f"volumes/{volume_id}").status_code == 404


def test_cascade_delete_takes_the_snapshots_when_the_volume_goes(api, fake):
    volume_id = api.new_volume()
    snapshot_id = new_snapshot(api, volume_id)
    fake.set_transition("volume_delete", manual=True)
    assert api.delete(f"volumes/{volume_id}", query={"cascade": "true"}).status_code == 202
    assert snapshot_status(api, snapshot_id) == "deleting"
    fake.advance(volume_id=volume_id)
    assert snapshot_status(api, snapshot_id) == "gone"
    assert fake.snapshots() == []


def test_snapshot_create_and_delete(api, fake):
    volume_id = api.new_volume()
    fake.set_transition("snapshot_create", polls=1)
    snapshot_id = new_snapshot(api, volume_id)
    shown = api.get(f"snapshots/{snapshot_id}").get_json()["snapshot"]
    assert (shown["status"], shown["os-extended-snapshot-attributes:progress"]) == (
        "creating", "0%")
    listed = api.get("snapshots/detail").get_json()["snapshots"]
    assert (listed[0]["status"], listed[0]["os-extended-snapshot-attributes:progress"]) == (
        "available", "100%")
    fake.set_transition("snapshot_delete", manual=True)
    fake.inject("snapshot_delete", async_failure=True, snapshot_id=snapshot_id)
    assert api.delete(f"snapshots/{snapshot_id}").status_code == 202
    assert snapshot_status(api, snapshot_id) == "deleting"
    assert fake.quotas("demo", usage=True)["snapshots"]["in_use"] == 1
    fake.advance(snapshot_id=snapshot_id)
    assert snapshot_status(api, snapshot_id) == "error_deleting"
    # os-force_delete has a transition of its own.
    fake.set_transition("snapshot_force_delete", polls=1)
    assert api.post(f"snapshots/{snapshot_id}/action",
                    {"os-force_delete": {}}).status_code == 202
    assert snapshot_status(api, snapshot_id) == "deleting"
    assert snapshot_status(api, snapshot_id) == "gone"


def test_a_failed_snapshot_create_is_error(api, fake):
    volume_id = api.new_volume()
    fake.inject("snapshot_create", async_failure=True)
    assert snapshot_status(api, new_snapshot(api, volume_id)) == "error"


def test_reimage_passes_through_downloading(api, fake):
    volume_id = api.new_volume()
    fake.set_transition("volume_reimage", polls=1)
    image = fake.add_image(name="cirros", data=b"x" * 1024)
    body = {"os-reimage": {"image_id": image["id"]}}
    assert api.post(f"volumes/{volume_id}/action", body).status_code == 202
    assert [status(api, volume_id) for _ in range(2)] == ["downloading", "available"]
    fake.inject("volume_reimage", async_failure=True)
    assert api.post(f"volumes/{volume_id}/action", body).status_code == 202
    assert [status(api, volume_id) for _ in range(2)] == ["downloading", "error"]


def test_async_failure_is_only_for_asynchronous_operations(fake):
    with pytest.raises(ValueError, match="asynchronous failure can hit"):
        fake.inject("volume_show", async_failure=True)
    with pytest.raises(ValueError, match="one effect"):
        fake.inject("volume_create", async_failure=True, status=500)


def test_a_transitional_volume_refuses_what_cinder_refuses(api, fake):
    fake.set_transition("volume_create", manual=True)
    volume_id = api.new_volume()
    response = api.post("attachments", {"attachment": {"volume_uuid": volume_id}})
    assert fault(response)[0] == 400
    assert "current status is creating" in fault(response)[1]
    refused = api.delete(f"volumes/{volume_id}")
    assert refused.status_code == 400


# -- consistency ----------------------------------------------------------------------------------
def test_pending_work_survives_dump_and_load(api, fake):
    fake.set_transition("volume_extend", polls=2)
    volume_id = api.new_volume()
    extended = api.post(f"volumes/{volume_id}/action", {"os-extend": {"new_size": 2}})
    assert status(api, volume_id) == "extending"
    state = fake.dump()
    assert state["transitions"] == [{"operation": "volume_extend", "record_id": volume_id,
                                     "progression": "2polls", "reads": 1, "failing": False,
                                     "changes": {"size": 2},
                                     "request_id": extended.headers["x-openstack-request-id"]}]
    other = FakeCinder()
    other.load(state)
    assert other.dump() == state
    other_api = Api(other.app.test_client(), roles="admin,member,reader")
    assert [status(other_api, volume_id) for _ in range(2)] == ["extending", "available"]
    assert other_api.volume(volume_id)["size"] == 2


def test_a_state_with_bad_pending_work_is_refused(fake):
    state = fake.dump()
    state["transitions"] = [{"operation": "volume_create", "progression": "manual",
                             "record_id": "7b1e2f6a-0000-4000-8000-000000000009"}]
    with pytest.raises(StateError, match=r"\$\.transitions\[0\]\.record_id: unknown volume"):
        fake.load(state)
    state["transitions"][0].update(operation="volume_show")
    with pytest.raises(StateError, match="not an asynchronous operation"):
        fake.load(state)


def test_reset_cancels_pending_work_and_restores_the_constructors_settings(checked_fake):
    fake = checked_fake("default.json", transitions={"volume_delete": "manual"})
    api = Api(fake.app.test_client())
    fake.set_transition("volume_create", manual=True)
    volume_id = api.new_volume()
    assert len(fake.pending()) == 1
    fake.reset()
    assert fake.pending() == [] and volume_id not in fake.store.volumes
    assert fake.transitions()["progressions"] == {"volume_delete": "manual"}


def test_a_project_reset_cancels_only_its_work(api, fake):
    fake.set_transition("volume_create", manual=True)
    mine = api.new_volume()
    theirs = api.as_(project="other").new_volume()
    fake.reset(project_id="other")
    assert [p["volume_id"] for p in fake.pending()] == [mine]
    assert theirs not in fake.store.volumes


def test_concurrent_reads_never_see_a_volume_go_backwards(checked_fake):
    fake = checked_fake("default.json")
    fake.set_transition("*", polls=20)
    api = Api(fake.app.test_client())
    volume_ids = [api.new_volume() for _ in range(4)]
    order = {"creating": 0, "available": 1}
    errors: list[str] = []

    def reader() -> None:
        client = Api(fake.app.test_client())
        seen = dict.fromkeys(volume_ids, 0)
        for index in range(30):
            if index % 2:
                volumes = client.get("volumes/detail").get_json()["volumes"]
                statuses = {v["id"]: v["status"] for v in volumes}
            else:
                statuses = {v: client.volume(v)["status"] for v in volume_ids}
            for volume_id in volume_ids:
                rank = order[statuses[volume_id]]
                if rank < seen[volume_id]:
                    errors.append(f"{volume_id} went back to {statuses[volume_id]}")
                seen[volume_id] = rank
    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {fake.volume(v)["status"] for v in volume_ids} == {"available"}


# -- control API ----------------------------------------------------------------------------------
def test_control_api(client, fake):
    api = Api(client)
    listed = client.get("/_fake/transitions").get_json()
    assert listed["operations"]["volume_extend"] == {
        "kind": "volume", "transitional": "extending", "final": "in-use or available",
        "failure": "error_extending",
        "messages": ["extend volume:Volume Driver failed to extend volume."]}
    assert listed["progressions"] == {} and listed["pending"] == []
    updated = client.put("/_fake/transitions/volume_create", json={"manual": True})
    assert updated.status_code == 200
    assert updated.get_json()["progressions"] == {"volume_create": "manual"}
    assert client.put("/_fake/transitions/*", json={"polls": 2}).status_code == 200
    volume_id = api.new_volume()
    pending = client.get("/_fake/transitions").get_json()["pending"]
    assert [p["volume_id"] for p in pending] == [volume_id]
    advanced = client.post(f"/_fake/advance?volume_id={volume_id}").get_json()
    assert [a["volume_id"] for a in advanced["advanced"]] == [volume_id]
    assert fake.volume(volume_id)["status"] == "available"
    assert client.post("/_fake/advance").get_json() == {"advanced": []}


@pytest.mark.parametrize(("path", "body"), [
    ("/_fake/transitions/volume_show", {"polls": 1}),
    ("/_fake/transitions/volume_create", {"polls": 1, "seconds": 2}),
    ("/_fake/transitions/volume_create", {"soon": True}),
    ("/_fake/transitions/volume_create", ["manual"]),
    ("/_fake/transitions/volume_create", {"seconds": "2"}),
])
def test_control_api_refuses_bad_transitions(client, fake, path, body):
    response = client.put(path, json=body)
    assert response.status_code == 400
    assert fake.transitions()["progressions"] == {}


def test_control_api_refuses_bad_advance_filters(client):
    assert client.post("/_fake/advance?volume=x").status_code == 400
    assert client.post("/_fake/advance?operation=volume_show").status_code == 400


# -- command line and pytest marker ---------------------------------------------------------------
def test_serve_takes_transitions_and_the_delete_seconds_alias():
    args = build_parser().parse_args([
        "serve", "--transition", "volume_create=2s", "--transition", "snapshot_create=3polls",
        "--transition", "*=manual", "--volume-delete-seconds", "0.5"])
    fake = build_fake(args)
    assert fake.transitions()["progressions"] == {
        "volume_create": "2s", "snapshot_create": "3polls", "*": "manual",
        "volume_delete": "0.5s"}
    assert fake.volume_delete_seconds == 0.5


@pytest.mark.fake_cinder_transitions({"*": "1poll"}, volume_delete="manual")
def test_the_pytest_marker_sets_transitions(fake_cinder):
    assert fake_cinder.transitions()["progressions"] == {"*": "1polls",
                                                         "volume_delete": "manual"}


def test_volume_metadata_steers_one_volumes_backend(api, fake):
    """fake_cinder:fail and fake_cinder:transition: what the conformance harness's driver
    reads too (a black-box client can set them on create)."""
    response = api.post("volumes", {"volume": {"size": 1, "metadata": {
        "fake_cinder:fail": "volume_extend, snapshot_create",
        "fake_cinder:transition": "1polls"}}})
    volume_id = response.get_json()["volume"]["id"]
    assert [status(api, volume_id) for _ in range(2)] == ["creating", "available"]
    api.post(f"volumes/{volume_id}/action", {"os-extend": {"new_size": 2}})
    assert [status(api, volume_id) for _ in range(2)] == ["extending", "error_extending"]
    api.post(f"volumes/{volume_id}/action", {"os-reset_status": {"status": "available"}})
    snapshot_id = new_snapshot(api, volume_id)
    assert [snapshot_status(api, snapshot_id) for _ in range(2)] == ["creating", "error"]
    other = api.new_volume()  # other volumes keep the operations' settings
    assert status(api, other) == "available"


def test_failures_record_cinders_user_messages(api, fake):
    volume_id = api.new_volume()
    fake.set_transition("volume_extend", polls=1)
    fake.inject("volume_extend", async_failure=True)
    extended = api.post(f"volumes/{volume_id}/action", {"os-extend": {"new_size": 2}})
    assert fake.messages(resource_uuid=volume_id) == []  # not before the manager fails
    assert [status(api, volume_id) for _ in range(2)] == ["extending", "error_extending"]
    [message] = fake.messages(resource_uuid=volume_id)
    assert message["user_message"] == "extend volume:Volume Driver failed to extend volume."
    assert message["event_id"] == "VOLUME_VOLUME_007_010"
    assert message["request_id"] == extended.headers["x-openstack-request-id"]
    fake.inject("volume_create", async_failure=True)
    failed = api.new_volume()
    # One per scheduling attempt (Cinder's scheduler_max_attempts, 3), then the scheduler's.
    assert [m["user_message"] for m in fake.messages(resource_uuid=failed)] == [
        "create volume from backend storage:Driver failed to create the volume."] * 3 + [
        "schedule allocate volume:Could not find any available weighted backend."]
    snapshot_volume = api.new_volume()
    fake.inject("snapshot_create", async_failure=True)
    snapshot_id = new_snapshot(api, snapshot_volume)
    [snap_message] = fake.messages(resource_uuid=snapshot_id)
    assert snap_message["resource_type"] == "VOLUME_SNAPSHOT"
    assert snap_message["user_message"] == "create snapshot:Snapshot failed to create."
    fake.inject("volume_delete", async_failure=True)
    api.delete(f"volumes/{snapshot_volume}", query={"cascade": "true"})
    assert [m["event_id"] for m in fake.messages(resource_uuid=snapshot_volume)] == []


def test_a_backend_failure_of_a_create_ends_its_transition(api, fake):
    """backend_failure (the driver is not ready): the create is errored out at once, its
    pending transition with it."""
    fake.set_transition("volume_create", manual=True)
    fake.inject("volume_create", backend_failure=True)
    volume_id = api.new_volume()
    assert fake.pending() == []
    assert status(api, volume_id) == "error"
    assert fake.advance() == []


def test_a_pending_extend_reserves_its_increase(api, fake):
    volume_id = api.new_volume()
    used = fake.quotas("demo", usage=True)["gigabytes"]["in_use"]
    fake.set_quotas("demo", gigabytes=used + 4)
    fake.set_transition("volume_extend", manual=True)
    assert api.post(f"volumes/{volume_id}/action",
                    {"os-extend": {"new_size": 3}}).status_code == 202
    gigabytes = fake.quotas("demo", usage=True)["gigabytes"]
    assert (gigabytes["in_use"], gigabytes["reserved"]) == (used, 2)
    # Cinder counts the reservation: in use + 2 reserved + 3 asked > the limit.
    refused = api.post("volumes", {"volume": {"size": 3}})
    assert fault(refused) == (413, "VolumeSizeExceedsAvailableQuota: Requested volume or "
                                    "snapshot exceeds allowed gigabytes quota. Requested 3G, "
                                    f"quota is {used + 4}G and {used + 2}G has been consumed.")
    fake.advance()
    gigabytes = fake.quotas("demo", usage=True)["gigabytes"]
    assert (gigabytes["in_use"], gigabytes["reserved"]) == (used + 2, 0)


def test_image_operations_pass_through_downloading_and_uploading(api, fake):
    image = fake.add_image(name="cirros", data=b"x" * 1024)
    fake.set_transition("volume_create", polls=1)  # a create from an image takes it too
    created = api.post("volumes", {"volume": {"size": 1, "imageRef": image["id"]}})
    volume_id = created.get_json()["volume"]["id"]
    assert [status(api, volume_id) for _ in range(2)] == ["downloading", "available"]
    fake.set_transition("volume_upload_image", manual=True)
    fake.inject("volume_upload_image", async_failure=True)
    uploaded = api.post(f"volumes/{volume_id}/action",
                        {"os-volume_upload_image": {"image_name": "copy"}})
    assert uploaded.status_code == 202
    assert status(api, volume_id) == "uploading"
    fake.advance(volume_id=volume_id)
    assert status(api, volume_id) == "available"  # Cinder puts the status back either way
    [message] = fake.messages(resource_uuid=volume_id)
    assert message["user_message"] == ("copy volume to image:Failed to upload volume to "
                                       "image at backend.")


def test_retype_passes_through_retyping(api, fake):
    fake.add_volume_type("gold")
    volume_id = api.new_volume()
    fake.set_transition("volume_retype", polls=1)
    assert api.post(f"volumes/{volume_id}/action",
                    {"os-retype": {"new_type": "gold"}}).status_code == 202
    assert api.volume(volume_id)["status"] == "retyping"
    shown = api.volume(volume_id)
    assert (shown["status"], shown["volume_type"]) == ("available", "gold")
    fake.add_volume_type("silver")
    fake.inject("volume_retype", async_failure=True)
    assert api.post(f"volumes/{volume_id}/action",
                    {"os-retype": {"new_type": "silver"}}).status_code == 202
    assert [status(api, volume_id) for _ in range(2)] == ["retyping", "available"]
    assert api.volume(volume_id)["volume_type"] == "gold"  # a failed retype keeps the type


def test_finished_work_keeps_the_stores_indexes_and_counters(api, fake):
    """What the manager changes later (an extend's size, a retype's type, a delete's and a
    cascade's removals) goes through the store: its indexes and usage counters agree with
    a scan of the records when the work ends, and quotas count the result."""
    fake.add_volume_type("gold")
    fake.set_transition("*", manual=True)
    extended, retyped, deleted = (api.new_volume() for _ in range(3))
    fake.advance()
    snapshot_id = new_snapshot(api, deleted)
    fake.advance()
    assert api.post(f"volumes/{extended}/action",
                    {"os-extend": {"new_size": 4}}).status_code == 202
    assert api.post(f"volumes/{retyped}/action",
                    {"os-retype": {"new_type": "gold"}}).status_code == 202
    assert api.delete(f"volumes/{deleted}", query={"cascade": "true"}).status_code == 202
    assert fake.store.check_indexes() == []
    fake.advance()
    assert fake.pending() == []
    assert fake.store.check_indexes() == []
    assert snapshot_id not in {s["id"] for s in fake.snapshots()}
    project = fake.volume(extended)["project_id"]
    usage = api.get(f"os-quota-sets/{project}", query={"usage": "true"}
                    ).get_json()["quota_set"]
    assert (usage["gigabytes_gold"]["in_use"], usage["volumes_gold"]["in_use"]) == (1, 1)
    assert usage["gigabytes"]["reserved"] == 0
