"""A full attach lifecycle per connection protocol of the fake backend.

The connection_info of each protocol carries what os-brick's connector for that
protocol reads, plus the keys Cinder's volume manager adds itself.
"""

from __future__ import annotations

import pytest

from tests.helpers.api import CEPH_VOLUME, CONNECTOR, SERVER, VOLUME, fault

MANAGER_KEYS = {"driver_volume_type", "attachment_id", "access_mode", "encrypted", "cacheable",
                "qos_specs", "enforce_multipath"}
FC_CONNECTOR = dict(CONNECTOR, wwpns=["10000090fa0d6754", "10000090fa0d6755"],
                    wwnns=["20000090fa0d6754", "20000090fa0d6755"])
NVME_CONNECTOR = dict(CONNECTOR, nqn="nqn.2014-08.org.nvmexpress:uuid:4c4c4544-0042",
                      nvme_hostid="8b7c0f44-9c1e-4d55-a4f3-2f6b1c0d9e21")


def typed_volume(fake, api, admin, protocol: str) -> str:
    """A volume of a type asking for ``protocol``, placed on a backend that reports it."""
    fake.add_backend(f"fake-host@{protocol.lower()}", storage_protocol=protocol)
    name = f"type-{protocol}"
    response = admin.post("types", {"volume_type": {
        "name": name, "extra_specs": {"storage_protocol": protocol}}})
    assert response.status_code == 200, response.get_json()
    return api.new_volume(name)


def lifecycle(api, volume_id: str, connector: dict) -> dict:
    """Reserve, connect, complete and delete; returns the connection_info of the update."""
    reserved = api.create(volume_id, SERVER)
    assert api.volume(volume_id)["status"] == "reserved"
    info = api.update(reserved["id"], connector)["connection_info"]
    assert api.show(reserved["id"])["connection_info"] == info
    assert api.volume(volume_id)["status"] == "attaching"
    api.complete(reserved["id"])
    assert api.volume(volume_id)["status"] == "in-use"
    assert api.remove(reserved["id"]) == []
    assert api.volume(volume_id)["status"] == "available"
    assert info["attachment_id"] == reserved["id"]
    assert info["access_mode"] == "rw"
    assert info["qos_specs"] is None
    return info


def test_iscsi_is_the_default(api):
    info = lifecycle(api, VOLUME, CONNECTOR)
    assert info["driver_volume_type"] == "iscsi"
    assert set(info) == MANAGER_KEYS | {"target_discovered", "target_portal", "target_iqn",
                                        "target_lun", "volume_id", "auth_method",
                                        "auth_username", "auth_password"}
    assert info["target_iqn"] == f"iqn.2010-10.org.openstack:volume-{VOLUME}"
    assert "target_portals" not in info


def test_iscsi_multipath_gets_the_portal_lists(api):
    info = lifecycle(api, VOLUME, dict(CONNECTOR, multipath=True))
    assert info["driver_volume_type"] == "iscsi"
    assert info["target_portals"] == [info["target_portal"]]
    assert info["target_iqns"] == [info["target_iqn"]]
    assert info["target_luns"] == [info["target_lun"]]


def test_rbd_via_the_ceph_volume_type(api):
    info = lifecycle(api, CEPH_VOLUME, CONNECTOR)
    assert info["driver_volume_type"] == "rbd"
    assert set(info) == MANAGER_KEYS | {"name", "hosts", "ports", "cluster_name",
                                        "auth_enabled", "auth_username", "secret_type",
                                        "secret_uuid", "volume_id", "discard"}
    assert info["name"] == f"volumes/volume-{CEPH_VOLUME}"
    assert len(info["hosts"]) == len(info["ports"])


def test_rbd_needs_no_initiator(api):
    connector = {"host": "compute-1", "ip": "10.0.0.5"}
    info = lifecycle(api, CEPH_VOLUME, connector)
    assert info["driver_volume_type"] == "rbd"


@pytest.mark.parametrize("spelling", ["FC", "fibre_channel"])
def test_fibre_channel(fake, api, admin, spelling):
    volume_id = typed_volume(fake, api, admin, spelling)
    info = lifecycle(api, volume_id, FC_CONNECTOR)
    assert info["driver_volume_type"] == "fibre_channel"
    assert set(info) == MANAGER_KEYS | {"target_discovered", "target_lun", "target_wwn",
                                        "initiator_target_map", "volume_id"}
    assert set(info["initiator_target_map"]) == set(FC_CONNECTOR["wwpns"])
    for targets in info["initiator_target_map"].values():
        assert targets == info["target_wwn"]


@pytest.mark.parametrize("spelling", ["NVMe-oF", "nvmeof", "NVMe-TCP"])
def test_nvmeof(fake, api, admin, spelling):
    volume_id = typed_volume(fake, api, admin, spelling)
    info = lifecycle(api, volume_id, NVME_CONNECTOR)
    assert info["driver_volume_type"] == "nvmeof"
    assert set(info) == MANAGER_KEYS | {"target_nqn", "vol_uuid", "portals", "ns_id"}
    assert info["vol_uuid"] == volume_id
    assert all(len(portal) == 3 for portal in info["portals"])


@pytest.mark.parametrize(("protocol", "driver_volume_type"), [
    ("rbd", "rbd"), ("fc", "fibre_channel"), ("nvmeof", "nvmeof"), ("iscsi", "iscsi")])
def test_protocol_per_volume_by_metadata(api, protocol, driver_volume_type):
    response = api.post("volumes", {"volume": {
        "size": 1, "metadata": {"fake_cinder:protocol": protocol}}})
    volume_id = response.get_json()["volume"]["id"]
    connector = dict(FC_CONNECTOR, nqn=NVME_CONNECTOR["nqn"])
    assert lifecycle(api, volume_id, connector)["driver_volume_type"] == driver_volume_type


def test_create_with_a_connector_uses_the_volume_protocol(api):
    created = api.create(CEPH_VOLUME, SERVER, connector=CONNECTOR)
    assert created["connection_info"]["driver_volume_type"] == "rbd"


@pytest.mark.parametrize(("protocol", "connector", "missing"), [
    ("iSCSI", {"host": "h"}, "initiator"),
    ("FC", {"host": "h", "wwnns": ["20000090fa0d6754"]}, "wwpns"),
    ("FC", {"host": "h", "wwpns": ["10000090fa0d6754"]}, "wwnns"),
    ("NVMe-oF", {"host": "h"}, "nqn"),
])
def test_connector_lacking_what_the_protocol_needs(fake, api, admin, protocol, connector,
                                                   missing):
    volume_id = typed_volume(fake, api, admin, protocol)
    reserved = api.create(volume_id, SERVER)
    response = api.put(f"attachments/{reserved['id']}", {"attachment": {"connector": connector}})
    assert fault(response) == (400, "Invalid input received: Connector doesn't have required "
                                    f"information: {missing}")
    assert api.show(reserved["id"])["status"] == "reserved"
    assert api.volume(volume_id)["status"] == "reserved"
