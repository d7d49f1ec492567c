"""Tests for the fake storage driver's connection properties."""

from __future__ import annotations

import copy
import json
import re
import uuid

import pytest

from fake_cinder.core import connection_info
from fake_cinder.core.connection_info import (
    DEFAULT_PROTOCOL,
    PROTOCOLS,
    InvalidConnector,
    initialize_connection,
    normalize_protocol,
)

VOLUME_ID = "9a0d35d0-175a-11e4-8c21-0800200c9a66"
OTHER_VOLUME_ID = "0b6f2a4e-3c1d-4e5f-8a9b-1c2d3e4f5a6b"

# Cinder's volume_utils.DEFAULT_PASSWORD_SYMBOLS.
PASSWORD_GROUPS = ("23456789", "ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def make_connector(**overrides):
    """A connector shaped like os-brick's get_connector_properties output."""
    connector = {
        "platform": "x86_64",
        "os_type": "linux",
        "ip": "10.0.0.5",
        "host": "compute-1",
        "multipath": False,
        "enforce_multipath": False,
        "initiator": "iqn.1994-05.com.redhat:1a2b3c4d5e6f",
        "do_local_attach": False,
        "nvme_hostid": "8b7c0f44-9c1e-4d55-a4f3-2f6b1c0d9e21",
        "uuid": "0f3f2f5e-8a61-4b3a-9d9e-3c7b2d1e0a11",
        "system uuid": "4c4c4544-0042-3510-8052-b4c04f4a3332",
        "nqn": "nqn.2014-08.org.nvmexpress:uuid:4c4c4544-0042-3510-8052-b4c04f4a3332",
        "nvme_native_multipath": True,
        "wwpns": ["10000090fa0d6754", "10000090fa0d6755"],
        "wwnns": ["20000090fa0d6754", "20000090fa0d6755"],
    }
    connector.update(overrides)
    return connector


def connect(protocol, volume_id=VOLUME_ID, size=1, **overrides):
    return initialize_connection(protocol, volume_id, size, make_connector(**overrides))


# ------------------------------------------------------------------ constants


def test_protocols_and_default():
    assert PROTOCOLS == ("iscsi", "rbd", "fibre_channel", "nvmeof")
    assert DEFAULT_PROTOCOL == "iscsi"
    assert DEFAULT_PROTOCOL in PROTOCOLS


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_driver_volume_type_is_the_protocol(protocol):
    info = connect(protocol)
    assert set(info) == {"driver_volume_type", "data"}
    assert info["driver_volume_type"] == protocol
    assert isinstance(info["data"], dict)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_no_manager_level_keys(protocol):
    data = connect(protocol, multipath=True, enforce_multipath=True)["data"]
    for key in ("access_mode", "encrypted", "cacheable", "qos_specs", "attachment_id",
                "enforce_multipath", "driver_volume_type"):
        assert key not in data


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_result_is_json_serializable(protocol):
    info = connect(protocol, multipath=True)
    assert json.loads(json.dumps(info)) == info


# ---------------------------------------------------------------------- iSCSI


def test_iscsi_keys_and_values():
    data = connect("iscsi")["data"]
    assert set(data) == {
        "target_discovered", "target_portal", "target_iqn", "target_lun", "volume_id",
        "auth_method", "auth_username", "auth_password",
    }
    assert data["target_discovered"] is False
    assert data["target_iqn"] == f"iqn.2010-10.org.openstack:volume-{VOLUME_ID}"
    host, port = data["target_portal"].rsplit(":", 1)
    assert re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", host)
    assert port == "3260"
    assert data["target_lun"] == 0 and type(data["target_lun"]) is int
    assert data["volume_id"] == VOLUME_ID
    assert data["auth_method"] == "CHAP"


def test_iscsi_chap_credentials_look_like_cinders():
    data = connect("iscsi")["data"]
    alphabet = set("".join(PASSWORD_GROUPS))
    for value, length in ((data["auth_username"], 20), (data["auth_password"], 16)):
        assert isinstance(value, str) and len(value) == length
        assert set(value) <= alphabet
        for group in PASSWORD_GROUPS:
            assert set(value) & set(group)
    assert data["auth_username"] != data["auth_password"]


def test_iscsi_chap_credentials_differ_per_volume():
    one = connect("iscsi")["data"]
    two = connect("iscsi", volume_id=OTHER_VOLUME_ID)["data"]
    assert one["auth_username"] != two["auth_username"]
    assert one["auth_password"] != two["auth_password"]
    assert one["target_iqn"] != two["target_iqn"]
    assert one["target_portal"] == two["target_portal"]  # the same backend


def test_iscsi_multipath_adds_lists():
    data = connect("iscsi", multipath=True)["data"]
    assert {"target_portals", "target_iqns", "target_luns"} <= set(data)
    portals, iqns, luns = data["target_portals"], data["target_iqns"], data["target_luns"]
    assert isinstance(portals, list) and isinstance(iqns, list) and isinstance(luns, list)
    assert len(portals) == len(iqns) == len(luns) >= 1
    assert portals[0] == data["target_portal"]
    assert all(iqn == data["target_iqn"] for iqn in iqns)
    assert all(lun == data["target_lun"] for lun in luns)
    single = connect("iscsi", multipath=False)["data"]
    assert {k: v for k, v in data.items()
            if k not in ("target_portals", "target_iqns", "target_luns")} == single


@pytest.mark.parametrize("multipath", [False, None, 0])
def test_iscsi_single_path_has_no_lists(multipath):
    data = connect("iscsi", multipath=multipath)["data"]
    assert not {"target_portals", "target_iqns", "target_luns"} & set(data)


def test_iscsi_multipath_absent_means_single_path():
    connector = make_connector()
    del connector["multipath"]
    data = initialize_connection("iscsi", VOLUME_ID, 1, connector)["data"]
    assert "target_portals" not in data


def test_iscsi_lists_are_fresh_objects():
    data = connect("iscsi", multipath=True)["data"]
    data["target_portals"].append("x")
    data["target_iqns"].clear()
    again = connect("iscsi", multipath=True)["data"]
    assert "x" not in again["target_portals"] and again["target_iqns"]


# ------------------------------------------------------------------------ RBD


def test_rbd_keys_and_values():
    data = connect("rbd")["data"]
    assert set(data) == {
        "name", "hosts", "ports", "cluster_name", "auth_enabled", "auth_username",
        "secret_type", "secret_uuid", "volume_id", "discard",
    }
    pool, image = data["name"].split("/")
    assert pool and image == f"volume-{VOLUME_ID}"
    assert isinstance(data["hosts"], list) and data["hosts"]
    assert isinstance(data["ports"], list) and len(data["ports"]) == len(data["hosts"])
    assert all(isinstance(port, str) and port.isdigit() for port in data["ports"])
    assert data["cluster_name"] == "ceph"
    assert data["auth_enabled"] is True
    assert isinstance(data["auth_username"], str) and data["auth_username"]
    assert data["secret_type"] == "ceph"
    assert str(uuid.UUID(data["secret_uuid"])) == data["secret_uuid"]
    assert data["volume_id"] == VOLUME_ID
    assert data["discard"] is True


def test_rbd_backend_values_are_shared_between_volumes():
    one = connect("rbd")["data"]
    two = connect("rbd", volume_id=OTHER_VOLUME_ID)["data"]
    for key in ("hosts", "ports", "cluster_name", "auth_username", "secret_uuid"):
        assert one[key] == two[key]
    assert one["name"] != two["name"]


def test_rbd_needs_nothing_from_the_connector():
    info = initialize_connection("rbd", VOLUME_ID, 1, {})
    assert info["driver_volume_type"] == "rbd"
    assert info["data"] == connect("rbd")["data"]


# --------------------------------------------------------------- Fibre Channel


def test_fc_keys_and_values():
    data = connect("fibre_channel")["data"]
    assert set(data) == {
        "target_discovered", "target_lun", "target_wwn", "initiator_target_map", "volume_id",
    }
    assert data["target_discovered"] is True
    assert type(data["target_lun"]) is int and 0 <= data["target_lun"] < 16384
    wwns = data["target_wwn"]
    assert isinstance(wwns, list) and wwns
    assert all(HEX16.match(wwn) for wwn in wwns)
    assert len(set(wwns)) == len(wwns)
    assert data["volume_id"] == VOLUME_ID


def test_fc_initiator_target_map_covers_every_initiator():
    connector = make_connector(wwpns=["10000090fa0d6754", "10000090fa0d6755", "21000024ff3a2b1c"])
    data = initialize_connection("fibre_channel", VOLUME_ID, 1, connector)["data"]
    itmap = data["initiator_target_map"]
    assert list(itmap) == connector["wwpns"]
    for targets in itmap.values():
        assert targets == data["target_wwn"]
        assert targets is not data["target_wwn"]


def test_fc_targets_shared_lun_per_volume():
    one = connect("fibre_channel")["data"]
    two = connect("fibre_channel", volume_id=OTHER_VOLUME_ID)["data"]
    assert one["target_wwn"] == two["target_wwn"]
    assert one["target_lun"] == connect("fibre_channel", size=50)["data"]["target_lun"]


def test_fc_target_map_does_not_alias_connector():
    connector = make_connector()
    data = initialize_connection("fibre_channel", VOLUME_ID, 1, connector)["data"]
    for targets in data["initiator_target_map"].values():
        targets.append("ffffffffffffffff")
    assert connector == make_connector()
    assert "ffffffffffffffff" not in connect("fibre_channel")["data"]["target_wwn"]


# -------------------------------------------------------------------- NVMe-oF


def test_nvmeof_keys_and_values():
    data = connect("nvmeof")["data"]
    assert set(data) == {"target_nqn", "vol_uuid", "portals", "ns_id"}
    assert data["target_nqn"] == f"nqn.nvme-subsystem-1-{VOLUME_ID}"
    assert str(uuid.UUID(data["vol_uuid"])) == VOLUME_ID
    portals = data["portals"]
    assert isinstance(portals, list) and portals
    for portal in portals:
        assert isinstance(portal, list) and len(portal) == 3
        address, port, transport = portal
        assert re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", address)
        assert str(port) == "4420"
        assert transport in ("tcp", "rdma", "RoCEv2")
    assert str(data["ns_id"]).isdigit()


def test_nvmeof_has_no_old_style_keys():
    data = connect("nvmeof")["data"]
    for key in ("nqn", "target_portal", "target_port", "transport_type"):
        assert key not in data


def test_nvmeof_subsystem_per_volume():
    one = connect("nvmeof")["data"]
    two = connect("nvmeof", volume_id=OTHER_VOLUME_ID)["data"]
    assert one["target_nqn"] != two["target_nqn"]
    assert one["portals"] == two["portals"]


# ---------------------------------------------------- determinism and purity


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_deterministic_and_stable(protocol):
    first = connect(protocol, multipath=True)
    for _ in range(3):
        assert connect(protocol, multipath=True) == first
    assert connect(protocol, multipath=True) is not first


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_independent_of_unread_connector_fields(protocol):
    base = connect(protocol)
    other = connect(protocol, host="compute-2", ip="10.0.0.6", platform="aarch64",
                    uuid="11111111-2222-3333-4444-555555555555", do_local_attach=True,
                    enforce_multipath=True)
    assert other == base


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_volume_id_matters(protocol):
    assert connect(protocol) != connect(protocol, volume_id=OTHER_VOLUME_ID)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_connector_is_not_mutated(protocol):
    connector = make_connector(multipath=True)
    snapshot = copy.deepcopy(connector)
    initialize_connection(protocol, VOLUME_ID, 1, connector)
    assert connector == snapshot


def test_connector_mapping_is_enough():
    from types import MappingProxyType

    connector = MappingProxyType(make_connector())
    assert initialize_connection("iscsi", VOLUME_ID, 1, connector) == connect("iscsi")


def test_accepts_aliases_in_initialize_connection():
    assert connect("iSCSI") == connect("iscsi")
    assert connect("FC")["driver_volume_type"] == "fibre_channel"
    assert connect("ceph")["driver_volume_type"] == "rbd"
    assert connect("NVMe-oF")["driver_volume_type"] == "nvmeof"


# ------------------------------------------------------------ invalid input


@pytest.mark.parametrize(("protocol", "missing"), [
    ("iscsi", "initiator"),
    ("fibre_channel", "wwpns"),
    ("fibre_channel", "wwnns"),
    ("nvmeof", "nqn"),
])
def test_missing_connector_key(protocol, missing):
    connector = make_connector()
    del connector[missing]
    snapshot = copy.deepcopy(connector)
    with pytest.raises(InvalidConnector) as excinfo:
        initialize_connection(protocol, VOLUME_ID, 1, connector)
    assert str(excinfo.value) == f"Connector doesn't have required information: {missing}"
    assert excinfo.value.missing == missing
    assert isinstance(excinfo.value, ValueError)
    assert connector == snapshot


@pytest.mark.parametrize("empty", [[], None, ""])
@pytest.mark.parametrize("key", ["wwpns", "wwnns"])
def test_fc_empty_wwns_are_missing(key, empty):
    with pytest.raises(InvalidConnector, match=f"information: {key}$"):
        connect("fibre_channel", **{key: empty})


def test_fc_checks_wwpns_first():
    with pytest.raises(InvalidConnector) as excinfo:
        initialize_connection("fibre_channel", VOLUME_ID, 1, {})
    assert excinfo.value.missing == "wwpns"


def test_iscsi_and_nvmeof_check_presence_only():
    # Cinder's ISCSITarget/NVMeOF validate_connector only test `key in connector`.
    assert connect("iscsi", initiator=None)["driver_volume_type"] == "iscsi"
    assert connect("nvmeof", nqn="")["driver_volume_type"] == "nvmeof"


def test_host_nqn_alone_is_not_enough_for_nvmeof():
    connector = make_connector()
    connector["host_nqn"] = connector.pop("nqn")
    with pytest.raises(InvalidConnector, match="nqn"):
        initialize_connection("nvmeof", VOLUME_ID, 1, connector)


def test_unknown_protocol_checked_before_connector():
    with pytest.raises(ValueError, match="Unknown connection protocol") as excinfo:
        initialize_connection("nfs", VOLUME_ID, 1, {})
    assert not isinstance(excinfo.value, InvalidConnector)


def test_connector_must_be_a_mapping():
    with pytest.raises(TypeError):
        initialize_connection("rbd", VOLUME_ID, 1, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("volume_id", ["", None, 42])
def test_bad_volume_id(volume_id):
    with pytest.raises(ValueError):
        initialize_connection("rbd", volume_id, 1, {})  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [-1, "1", 1.5, True])
def test_bad_volume_size(size):
    with pytest.raises(ValueError):
        initialize_connection("rbd", VOLUME_ID, size, {})  # type: ignore[arg-type]


# ------------------------------------------------------------ normalization


@pytest.mark.parametrize(("name", "expected"), [
    ("iscsi", "iscsi"), ("iSCSI", "iscsi"), ("ISCSI", "iscsi"), (" iscsi ", "iscsi"),
    ("rbd", "rbd"), ("RBD", "rbd"), ("ceph", "rbd"), ("Ceph", "rbd"),
    ("fc", "fibre_channel"), ("FC", "fibre_channel"), ("fibre_channel", "fibre_channel"),
    ("Fibre Channel", "fibre_channel"), ("fibre-channel", "fibre_channel"),
    ("fiber_channel", "fibre_channel"),
    ("nvme", "nvmeof"), ("NVMe", "nvmeof"), ("nvmeof", "nvmeof"), ("NVMeOF", "nvmeof"),
    ("NVMe-oF", "nvmeof"), ("nvme_of", "nvmeof"), ("NVMe-TCP", "nvmeof"),
])
def test_normalize_aliases(name, expected):
    assert normalize_protocol(name) == expected


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_normalize_is_idempotent(protocol):
    assert normalize_protocol(protocol) == protocol
    assert normalize_protocol(normalize_protocol(protocol.upper())) == protocol


def test_normalize_none_is_default():
    assert normalize_protocol(None) == DEFAULT_PROTOCOL
    info = initialize_connection(None, VOLUME_ID, 1, make_connector())  # type: ignore[arg-type]
    assert info == connect(DEFAULT_PROTOCOL)


@pytest.mark.parametrize("name", ["", "nfs", "iser", "scaleio", "i scsi x", "rbd2", 3])
def test_normalize_unknown(name):
    with pytest.raises(ValueError, match="^Unknown connection protocol: "):
        normalize_protocol(name)  # type: ignore[arg-type]


def test_public_api():
    assert set(connection_info.__all__) == {
        "PROTOCOLS", "DEFAULT_PROTOCOL", "InvalidConnector", "normalize_protocol",
        "initialize_connection", "shares_targets", "SERVICE_UUID",
    }
    assert issubclass(InvalidConnector, ValueError)
