"""The operator's backends API through the real clients, over real sockets:
python-cinderclient (as an admin through the fake Keystone) and openstacksdk."""

from __future__ import annotations

import openstack

from tests.helpers.clients import keystone_cinder

CEPH = "fake-host@ceph"


def test_cinderclient_services_pools_capabilities_zones(live):
    cinder = keystone_cinder(live.url, "3.71", user="admin")
    services = cinder.services.list()
    assert [(s.binary, s.host) for s in services] == [
        ("cinder-scheduler", "fake-host"), ("cinder-volume", "fake-host@fake-backend"),
        ("cinder-volume", CEPH)]
    assert [s.host for s in cinder.services.list(host=CEPH)] == [CEPH]
    cinder.services.disable_log_reason(CEPH, "cinder-volume", "maintenance")
    [ceph] = cinder.services.list(host=CEPH, binary="cinder-volume")
    assert (ceph.status, ceph.disabled_reason) == ("disabled", "maintenance")
    assert [p.name for p in cinder.pools.list()] == ["fake-host@fake-backend#fake-pool"]
    cinder.services.freeze_host(CEPH)
    cinder.services.thaw_host(CEPH)
    assert cinder.services.list(host=CEPH)[0].status == "enabled"
    [lvm, rbd] = cinder.pools.list(detailed=True)
    assert (rbd.name, rbd.storage_protocol, rbd.vendor_name) == (
        "fake-host@ceph#volumes", "ceph", "Ceph")
    assert lvm.total_capacity_gb == 10000
    capabilities = cinder.capabilities.get(CEPH)
    assert capabilities.namespace == f"OS::Storage::Capabilities::{CEPH}"
    member = keystone_cinder(live.url, "3.71", user="demo")
    assert [z.zoneName for z in member.availability_zones.list()] == ["nova"]


def test_openstacksdk_services_pools_capabilities_zones(live):
    conn = openstack.connect(auth_url=f"{live.url}/identity", username="admin",
                             password="admin", project_name="admin",
                             user_domain_name="Default", project_domain_name="Default",
                             block_storage_api_version="3")
    services = list(conn.block_storage.services())
    assert {s.binary for s in services} == {"cinder-scheduler", "cinder-volume"}
    [ceph] = [s for s in services if s.host == CEPH]
    conn.block_storage.disable_service(ceph, reason="repairs")
    assert live.fake.services()[2]["disabled_reason"] == "repairs"
    pools = {p.name: p for p in conn.block_storage.backend_pools()}
    assert set(pools) == {"fake-host@fake-backend#fake-pool"}
    assert conn.block_storage.get_capabilities(CEPH).vendor_name == "Ceph"
    zones = list(conn.block_storage.availability_zones())
    assert [(z.name, z.state) for z in zones] == [("nova", {"available": True})]
    volume = conn.block_storage.create_volume(size=1, availability_zone="nova")
    conn.block_storage.wait_for_status(volume, "available", wait=10)
    assert live.fake.volume(volume.id)["host"] == "fake-host@fake-backend#fake-pool"
