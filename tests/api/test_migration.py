"""Retype with migration: os-retype with ``migration_policy=on-demand`` to a type no pool
of the volume's backend satisfies moves the volume to a pool that does (Cinder's
find_retype_backend, then the volume manager's migrate_volume, driver-assisted), with
``retyping``, ``migration_status`` migrating -> success (or error), the host and zone
changing and the per-type quota moving; ``never`` (the default) leaves it where it was.
conformance/scenarios_migration.py compares the same with Cinder 29."""

from __future__ import annotations

import threading

import pytest

from fake_cinder import FakeCinder
from tests.helpers.api import CONNECTOR, SERVER, fault
from tests.helpers.threads import run_threads

THREADS = 8

HOME = "fake-host@fake-backend#fake-pool"
CEPH = "fake-host@ceph#volumes"  # the default fixture's second backend


def retype(api, volume_id: str, new_type: str, policy: str | None = None):
    body: dict = {"new_type": new_type}
    if policy is not None:
        body["migration_policy"] = policy
    return api.post(f"volumes/{volume_id}/action", {"os-retype": body})


@pytest.fixture
def types(fake: FakeCinder) -> FakeCinder:
    fake.add_volume_type("home", extra_specs={"volume_backend_name": "fake-backend"})
    fake.add_volume_type("on-ceph", extra_specs={"volume_backend_name": "ceph"})
    fake.add_volume_type("nowhere", extra_specs={"volume_backend_name": "nowhere"})
    return fake


def shown(admin, volume_id: str) -> tuple:
    volume = admin.volume(volume_id)
    return (volume["status"], volume["volume_type"], volume["os-vol-host-attr:host"],
            volume["migration_status"], volume["os-vol-mig-status-attr:migstat"])


def test_on_demand_migrates_to_a_backend_that_fits(api, admin, types):
    volume_id = api.new_volume("home")
    assert shown(admin, volume_id) == ("available", "home", HOME, None, None)
    response = retype(api, volume_id, "on-ceph", "on-demand")
    assert (response.status_code, response.get_data()) == (202, b"")
    assert shown(admin, volume_id) == ("available", "on-ceph", CEPH, "success", "success")
    # The owner sees no migration fields (admin-only attributes).
    mine = api.volume(volume_id)
    assert "migration_status" not in mine and "os-vol-mig-status-attr:migstat" not in mine
    assert "os-vol-host-attr:host" not in mine
    usage = types.quotas("demo", usage=True)
    assert (usage["volumes_on-ceph"]["in_use"], usage["volumes_home"]["in_use"]) == (1, 0)
    assert usage["gigabytes_on-ceph"]["in_use"] == 1
    assert types.store.check_indexes() == []
    # A volume migrated once may retype again (success is no active migration), and back.
    assert retype(api, volume_id, "home", "on-demand").status_code == 202
    assert shown(admin, volume_id) == ("available", "home", HOME, "success", "success")


@pytest.mark.parametrize("policy", ["never", None])
def test_never_refuses_a_migration(api, admin, types, policy):
    volume_id = api.new_volume("home")
    assert retype(api, volume_id, "on-ceph", policy).status_code == 202
    assert shown(admin, volume_id) == ("available", "home", HOME, None, None)


def test_no_backend_for_the_new_type_changes_nothing(api, admin, types):
    volume_id = api.new_volume("home")
    assert retype(api, volume_id, "nowhere", "on-demand").status_code == 202
    assert shown(admin, volume_id) == ("available", "home", HOME, None, None)


def test_the_migration_stays_in_the_volumes_zone(api, admin, types):
    types.add_backend("east@far", availability_zone="az-east")
    types.add_volume_type("far", extra_specs={"volume_backend_name": "far"})
    volume_id = api.new_volume("home")
    assert retype(api, volume_id, "far", "on-demand").status_code == 202
    assert shown(admin, volume_id)[1:3] == ("home", HOME)
    # Unless the new type names the zones it may be in.
    types.set_type_extra_specs("far", {"RESKEY:availability_zones": "az-east"})
    assert retype(api, volume_id, "far", "on-demand").status_code == 202
    volume = admin.volume(volume_id)
    assert (volume["volume_type"], volume["os-vol-host-attr:host"],
            volume["availability_zone"]) == ("far", "east@far#far", "az-east")


def test_snapshots_stop_a_migration(api, admin, types):
    volume_id = api.new_volume("home")
    types.add_snapshot(volume_id)
    assert retype(api, volume_id, "on-ceph", "on-demand").status_code == 202
    assert shown(admin, volume_id) == ("available", "home", HOME, None, None)


def test_an_attached_volume_migrates_and_stays_in_use(api, admin, types):
    volume_id = api.new_volume("home")
    attachment = api.create(volume_id, SERVER, connector=CONNECTOR)
    api.complete(attachment["id"])
    assert retype(api, volume_id, "on-ceph", "on-demand").status_code == 202
    assert shown(admin, volume_id) == ("in-use", "on-ceph", CEPH, "success", "success")


def test_the_volume_is_retyping_and_migrating_until_the_manager_is_done(api, admin, types):
    types.set_transition("volume_retype", polls=1)
    volume_id = api.new_volume("home")
    assert retype(api, volume_id, "on-ceph", "on-demand").status_code == 202
    assert shown(admin, volume_id) == ("retyping", "home", HOME, "migrating", "migrating")
    # Another retype or a delete meets an active migration.
    assert retype(api, volume_id, "nowhere", "on-demand").status_code == 400
    assert shown(admin, volume_id) == ("available", "on-ceph", CEPH, "success", "success")
    assert types.lifecycle(volume_id)[-2:] == ["retyping", "available"]


def test_a_failed_migration_leaves_error_and_the_volume_where_it_was(api, admin, types):
    types.inject("volume_retype", async_failure=True, times=1)
    volume_id = api.new_volume("home")
    assert retype(api, volume_id, "on-ceph", "on-demand").status_code == 202
    assert shown(admin, volume_id) == ("available", "home", HOME, "error", "error")
    usage = types.quotas("demo", usage=True)
    assert (usage["volumes_on-ceph"]["in_use"], usage["volumes_home"]["in_use"]) == (0, 1)
    # error is no active migration: the retype may be tried again.
    assert retype(api, volume_id, "on-ceph", "on-demand").status_code == 202
    assert shown(admin, volume_id) == ("available", "on-ceph", CEPH, "success", "success")


def test_a_failed_retype_in_place_with_never_changes_nothing(api, admin, types):
    types.add_volume_type("home-too", extra_specs={"volume_backend_name": "fake-backend"})
    types.inject("volume_retype", async_failure=True, times=1)
    volume_id = api.new_volume("home")
    assert retype(api, volume_id, "home-too", "never").status_code == 202
    assert shown(admin, volume_id) == ("available", "home", HOME, None, None)


def test_a_pending_migration_survives_dump_and_load(types):
    types.set_transition("volume_retype", manual=True)
    volume = types.add_volume(volume_type="home")
    types.retype_volume(volume["id"], "on-ceph", migration_policy="on-demand")
    state = types.dump()
    (pending,) = state["transitions"]
    assert pending["changes"]["host"] == CEPH
    assert pending["failure_changes"] == {"migration_status": "error"}
    types.reset()
    types.load(state)
    assert types.volume(volume["id"])["migration_status"] == "migrating"
    types.advance(volume_id=volume["id"])
    moved = types.volume(volume["id"])
    assert (moved["host"], moved["migration_status"], moved["status"]) == (
        CEPH, "success", "available")


def test_python_api(types):
    volume = types.add_volume(volume_type="home")
    assert types.retype_volume(volume["id"], "on-ceph")["host"] == HOME
    moved = types.retype_volume(volume["id"], "on-ceph", migration_policy="on-demand")
    assert (moved["host"], moved["migration_status"]) == (CEPH, "success")


# -- os-migrate_volume (admins) ---------------------------------------------------------------
def migrate(api, volume_id: str, version: str | None = None, **body):
    client = api.as_(version=version) if version else api
    return client.post(f"volumes/{volume_id}/action", {"os-migrate_volume": body})


def test_an_admin_migrates_a_volume_to_a_backend_or_pool(api, admin, types):
    volume_id = api.new_volume()
    response = migrate(admin, volume_id, host="fake-host@ceph")
    assert (response.status_code, response.get_data()) == (202, b"")
    assert shown(admin, volume_id) == ("available", "__DEFAULT__", CEPH, "success", "success")
    assert migrate(admin, volume_id, host=HOME, lock_volume=True).status_code == 202
    assert shown(admin, volume_id) == ("available", "__DEFAULT__", HOME, "success", "success")
    # Into another zone too: the request names none.
    types.add_backend("east@far", availability_zone="az-east")
    assert migrate(admin, volume_id, host="east@far#far").status_code == 202
    assert admin.volume(volume_id)["availability_zone"] == "az-east"


def test_what_the_api_refuses(api, admin, types):
    volume_id = api.new_volume()
    assert fault(migrate(api, volume_id, host="fake-host@ceph")) == (
        403, "Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume to "
             "be performed.")
    assert fault(migrate(admin, volume_id, host="nowhere@x")) == (
        400, "Invalid host: No available service named 'nowhere@x'")
    assert fault(migrate(admin, volume_id, cluster="c")) == (
        400, "Invalid host: No available service named 'c'")
    assert fault(migrate(admin, volume_id, host="fake-host@ceph", cluster="c")) == (
        400, "Invalid input received: One and only one of cluster and host must be set.")
    assert fault(migrate(admin, volume_id, "3.15", host="fake-host@ceph", cluster="c"))[0] == 400
    refused = (400, f"Invalid volume: Volume {volume_id} status must be available or in-use, "
                    "must not be migrating, have snapshots, be replicated, be part of a "
                    "group and destination host/cluster must be different than the current "
                    "one")
    assert fault(migrate(admin, volume_id, host=HOME)) == refused  # where it is
    types.set_service("fake-host@ceph", disabled=True)
    assert fault(migrate(admin, volume_id, host="fake-host@ceph"))[0] == 400
    types.set_service("fake-host@ceph", disabled=False)
    types.add_snapshot(volume_id)
    assert fault(migrate(admin, volume_id, host="fake-host@ceph")) == refused
    assert shown(admin, volume_id) == ("available", "__DEFAULT__", HOME, None, None)


def test_what_the_scheduler_refuses_leaves_error(api, admin, types):
    volume_id = api.new_volume("multiattach")  # the ceph pool is no multiattach one
    assert migrate(admin, volume_id, host="fake-host@ceph").status_code == 202
    assert shown(admin, volume_id) == ("available", "multiattach", HOME, "error", "error")
    # error is no active migration: another may follow.
    assert migrate(admin, volume_id, host="fake-host@fake-backend").status_code == 202
    assert shown(admin, volume_id)[3] == "success"


def test_migrate_through_the_python_api(types):
    volume = types.add_volume()
    moved = types.migrate_volume(volume["id"], "fake-host@ceph")
    assert (moved["host"], moved["migration_status"]) == (CEPH, "success")
    with pytest.raises(ValueError, match="Invalid host: No available service named 'x@y'"):
        types.migrate_volume(volume["id"], "x@y")
    with pytest.raises(KeyError):
        types.migrate_volume("no-such-volume", "fake-host@ceph")


def test_a_state_files_failure_changes_are_checked(types):
    types.set_transition("volume_retype", manual=True)
    volume = types.add_volume(volume_type="home")
    types.retype_volume(volume["id"], "on-ceph", migration_policy="on-demand")
    state = types.dump()
    state["transitions"][0]["failure_changes"] = {"colour": "red"}
    with pytest.raises(ValueError, match="unknown fields colour"):
        types.load(state)
    assert types.volume(volume["id"])["migration_status"] == "migrating"  # nothing loaded


def test_concurrent_retypes_with_migration_leave_one_consistent_volume(app, types):
    # With the manager's work pending (manual), the first retype wins; the others meet a
    # volume that is retyping (Cinder's conditional update), and nothing is half-moved.
    types.set_transition("volume_retype", manual=True)
    volume = types.add_volume(volume_type="home")
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()
    headers = {"X-Project-Id": "demo", "X-Roles": "member",
               "OpenStack-API-Version": "volume 3.71"}

    def retype_once() -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        response = client.post(f"/v3/demo/volumes/{volume['id']}/action", headers=headers,
                               json={"os-retype": {"new_type": "on-ceph",
                                                   "migration_policy": "on-demand"}})
        with lock:
            statuses.append(response.status_code)

    run_threads(retype_once, [()] * THREADS)
    assert sorted(statuses) == [202] + [400] * (THREADS - 1)
    assert types.volume(volume["id"])["migration_status"] == "migrating"
    types.advance()
    moved = types.volume(volume["id"])
    assert (moved["host"], moved["status"], moved["migration_status"]) == (
        CEPH, "available", "success")
    assert types.store.check_indexes() == []
