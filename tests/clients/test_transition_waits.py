"""Real clients' wait loops against a live fake whose volume manager takes its time
(core/transitions.py): openstacksdk's wait_for_status and wait_for_delete, and
python-cinderclient polling, through polls and manual progressions, a timeout and an
asynchronous failure."""

from __future__ import annotations

import time

import openstack
import pytest

from tests.helpers.clients import keystone_cinder as cinder

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


def sdk(url: str) -> openstack.connection.Connection:
    return openstack.connect(auth_type="none", block_storage_endpoint_override=f"{url}/v3",
                             block_storage_api_version="3")


def test_openstacksdk_wait_for_status_through_polls(live):
    live.fake.set_transition("volume_create", polls=3)
    storage = sdk(live.url).block_storage
    volume = storage.create_volume(size=1, name="waited")
    assert volume.status == "creating"
    done = storage.wait_for_status(volume, status="available", failures=["error"],
                                   interval=0.001, wait=5)
    assert done.status == "available"
    # Three reads saw it creating, the fourth available: the SDK polled four times.
    shows = live.fake.journal.entries("volume_show", path=f"/v3/volumes/{volume.id}")
    assert [e.response["volume"]["status"] for e in shows] == ["creating"] * 3 + ["available"]


def test_openstacksdk_wait_for_status_sees_an_asynchronous_failure(live):
    live.fake.set_transition("volume_extend", polls=2)
    storage = sdk(live.url).block_storage
    volume = storage.wait_for_status(storage.create_volume(size=1), interval=0.001, wait=5)
    live.fake.inject("volume_extend", async_failure=True)
    storage.extend_volume(volume, 2)
    extending = storage.get_volume(volume.id)  # read 1 of 2
    assert extending.status == "extending"
    with pytest.raises(openstack.exceptions.ResourceFailure, match="error_extending"):
        storage.wait_for_status(extending, status="available", failures=["error_extending"],
                                interval=0.001, wait=5)
    assert storage.get_volume(volume.id).size == 1


def test_openstacksdk_wait_for_delete_times_out_then_succeeds_with_manual(live):
    live.fake.set_transition("volume_delete", manual=True)
    storage = sdk(live.url).block_storage
    volume = storage.wait_for_status(storage.create_volume(size=1), interval=0.001, wait=5)
    storage.delete_volume(volume)
    started = time.monotonic()
    with pytest.raises(openstack.exceptions.ResourceTimeout):
        storage.wait_for_delete(volume, interval=0.01, wait=0.05)
    assert time.monotonic() - started < 2  # a wait loop's timeout, tested in milliseconds
    assert storage.get_volume(volume.id).status == "deleting"
    live.fake.advance(volume_id=volume.id)
    storage.wait_for_delete(volume, interval=0.001, wait=5)
    assert volume.id not in [v["id"] for v in live.fake.volumes()]


def poll(get, wanted: str, timeout: float) -> str:
    """A consumer's polling loop: the status, until ``wanted`` or the time is up."""
    deadline = time.monotonic() + timeout
    status = get().status
    while status != wanted and time.monotonic() < deadline:
        time.sleep(0.005)
        status = get().status
    return status


def test_cinderclient_polling_of_a_snapshot_through_polls_and_manual(live):
    client = cinder(live.url)
    live.fake.set_transition("snapshot_create", polls=2)
    volume_id = live.fake.volumes(project_id="demo")[0]["id"]
    snapshot = client.volume_snapshots.create(volume_id)
    assert snapshot.status == "creating"
    assert poll(lambda: client.volume_snapshots.get(snapshot.id), "available", 5) == "available"
    live.fake.set_transition("snapshot_delete", manual=True)
    client.volume_snapshots.delete(snapshot.id)
    # The loop gives up: still deleting after its timeout.
    assert poll(lambda: client.volume_snapshots.get(snapshot.id), "gone", 0.05) == "deleting"
    assert [p["snapshot_id"] for p in live.fake.pending()] == [snapshot.id]
    live.fake.advance(snapshot_id=snapshot.id)
    assert live.fake.snapshots() == []


def test_cinderclient_create_wait_over_a_server_started_with_transitions():
    from tests.helpers.clients import live_fake

    with live_fake(transitions={"*": "2polls"}) as running:
        client = cinder(running.url)
        volume = client.volumes.create(1, name="polled")
        statuses = [client.volumes.get(volume.id).status for _ in range(3)]
        assert statuses == ["creating", "creating", "available"]
