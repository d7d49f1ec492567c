"""Retype with migration and os-migrate_volume through the real clients, over real
sockets: openstacksdk and python-cinderclient as an admin through the fake Keystone,
against the default fixture's two backends (fake-backend, ceph)."""

from __future__ import annotations

import openstack

from tests.helpers.clients import keystone_cinder

HOME = "fake-host@fake-backend#fake-pool"
CEPH = "fake-host@ceph#volumes"


def test_openstacksdk_retypes_with_migration_and_migrates(live):
    conn = openstack.connect(auth_url=f"{live.url}/identity", username="admin",
                             password="admin", project_name="admin",
                             user_domain_name="Default", project_domain_name="Default",
                             block_storage_api_version="3")
    here = conn.block_storage.create_type(name="here",
                                          extra_specs={"volume_backend_name": "fake-backend"})
    there = conn.block_storage.create_type(name="there",
                                           extra_specs={"volume_backend_name": "ceph"})
    volume = conn.block_storage.create_volume(size=1, volume_type=here.name)
    conn.block_storage.wait_for_status(volume, "available", wait=10)
    conn.block_storage.retype_volume(volume, there.name)  # policy never: it stays
    assert conn.block_storage.get_volume(volume).volume_type == "here"
    conn.block_storage.retype_volume(volume, there.name, migration_policy="on-demand")
    moved = conn.block_storage.get_volume(volume)
    assert (moved.volume_type, moved.host, moved.migration_status) == (
        "there", CEPH, "success")
    assert live.fake.quotas("admin", usage=True)["volumes_there"]["in_use"] == 1
    # Its type wants ceph: the scheduler refuses the other backend (migration error).
    conn.block_storage.migrate_volume(volume, host="fake-host@fake-backend",
                                      lock_volume=True)
    refused = conn.block_storage.get_volume(volume)
    assert (refused.host, refused.status, refused.migration_status) == (
        CEPH, "available", "error")
    plain = conn.block_storage.create_volume(size=1)
    conn.block_storage.wait_for_status(plain, "available", wait=10)
    conn.block_storage.migrate_volume(plain, host="fake-host@ceph")
    assert conn.block_storage.get_volume(plain).host == CEPH


def test_cinderclient_retypes_with_migration_and_migrates(live):
    live.fake.add_volume_type("here", extra_specs={"volume_backend_name": "fake-backend"})
    live.fake.add_volume_type("there", extra_specs={"volume_backend_name": "ceph"})
    cinder = keystone_cinder(live.url, "3.71", user="admin")
    volume = cinder.volumes.create(1, volume_type="here")
    cinder.volumes.retype(volume, "there", "on-demand")
    moved = cinder.volumes.get(volume.id)
    assert (moved.volume_type, getattr(moved, "os-vol-host-attr:host"),
            getattr(moved, "os-vol-mig-status-attr:migstat")) == ("there", CEPH, "success")
    plain = cinder.volumes.create(1)
    assert getattr(cinder.volumes.get(plain.id), "os-vol-host-attr:host") == HOME
    cinder.volumes.migrate_volume(plain, "fake-host@ceph#volumes", False, False)
    migrated = cinder.volumes.get(plain.id)
    assert (getattr(migrated, "os-vol-host-attr:host"), migrated.migration_status) == (
        CEPH, "success")
