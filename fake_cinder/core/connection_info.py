"""The fake's storage driver: connection properties for a volume and a host.

``initialize_connection`` returns what a Cinder volume driver's
``initialize_connection`` returns, ``{"driver_volume_type": ..., "data": {...}}``,
for one of four protocols, with the keys os-brick's connector for that protocol
reads.  Each protocol imitates one real Cinder configuration:

* ``iscsi``: the LVM driver with the ``lioadm`` target helper and the default
  options (one portal, ``target_prefix`` ``iqn.2010-10.org.openstack:``, port
  3260, CHAP credentials stored in ``provider_auth``), see
  ``cinder/volume/targets/iscsi.py`` and ``lio.py``.
* ``rbd``: the RBD driver with cephx auth (``rbd_user`` ``cinder``, pool
  ``volumes``), see ``cinder/volume/drivers/rbd.py``.
* ``fibre_channel``: a typical array FC driver (``FibreChannelDriver``
  subclass) that maps every initiator port to every target port.
* ``nvmeof``: the LVM driver with the ``nvmet`` target helper, ``nvmet_tcp``,
  no shared targets and ``nvmeof_conn_info_version = 2``, see
  ``cinder/volume/targets/nvmeof.py`` and ``nvmet.py``.

Every value is a pure function of the volume id and the fake backend's name
(plus the connector where the real driver reads it), so the same inputs always
give equal results.  The manager-level keys (``access_mode``, ``encrypted``,
``qos_specs``, ``cacheable``, ``attachment_id``, ``enforce_multipath``) are the
caller's business and are not set here.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = [
    "DEFAULT_PROTOCOL",
    "PROTOCOLS",
    "SERVICE_UUID",
    "InvalidConnector",
    "initialize_connection",
    "normalize_protocol",
    "shares_targets",
]

_ISCSI = "iscsi"
_RBD = "rbd"
_FIBRE_CHANNEL = "fibre_channel"
_NVMEOF = "nvmeof"

PROTOCOLS: tuple[str, ...] = (_ISCSI, _RBD, _FIBRE_CHANNEL, _NVMEOF)
DEFAULT_PROTOCOL = _ISCSI

# The backend every fake volume lives on (``host`` minus the pool).  It salts
# every backend-wide value (portals, WWNs, the Ceph secret) and the per-volume
# secrets, and never depends on the attachment.
_BACKEND_NAME = "fake-host@fake-backend"

# The uuid of the volume service that manages the backend: Cinder's manager writes it
# into every volume it creates (service_uuid, from 3.48).
SERVICE_UUID = "3f0e8d5c-6a1b-4c7e-9d2f-8b4a1c6e0f35"

# iSCSI, as cinder.volume.targets.iscsi.ISCSITarget with LioAdm.
_ISCSI_TARGET_PREFIX = "iqn.2010-10.org.openstack:"  # Cinder's target_prefix default
_VOLUME_NAME_TEMPLATE = "volume-%s"  # Cinder's volume_name_template default
_TARGET_IP_ADDRESS = "192.0.2.10"
_TARGET_SECONDARY_IP_ADDRESSES: tuple[str, ...] = ()
_ISCSI_PORT = 3260
_LIO_LUN = 0  # LioAdm._get_target_and_lun: "For lio, the lun starts at lun 0."
_CHAP_USERNAME_LENGTH = 20  # volume_utils.generate_username default
_CHAP_PASSWORD_LENGTH = 16  # volume_utils.generate_password default
# volume_utils.DEFAULT_PASSWORD_SYMBOLS: no 0, 1, I, O or l.
_PASSWORD_SYMBOLS = ("23456789", "ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz")

# RBD, as cinder.volume.drivers.rbd.RBDDriver.
_RBD_POOL = "volumes"
_RBD_USER = "cinder"
_CEPH_CLUSTER_NAME = "ceph"
_CEPH_MONITORS = ("192.0.2.21", "192.0.2.22", "192.0.2.23")
_CEPH_MON_PORT = "6789"  # RBDDriver._get_mon_addrs returns the ports as strings

# Fibre Channel: two target ports, one per fabric.
_FC_TARGET_PORT_COUNT = 2

# NVMe-oF, as cinder.volume.targets.nvmet.NVMET (non-shared targets).
_NVMET_SUBSYSTEM_PREFIX = "nvme-subsystem-1"  # target_prefix as devstack sets it
_NVMET_PORT = "4420"  # from provider_location, so a string, as nvmet sends it
_NVMET_TRANSPORT = "tcp"  # target_protocol nvmet_tcp
_NVMET_NS_ID = "10"  # nvmet_ns_id default, also a string from provider_location

_ALIASES = {
    "iscsi": _ISCSI,
    "rbd": _RBD,
    "ceph": _RBD,
    "fc": _FIBRE_CHANNEL,
    "fibrechannel": _FIBRE_CHANNEL,
    "fiberchannel": _FIBRE_CHANNEL,
    "nvme": _NVMEOF,
    "nvmeof": _NVMEOF,
    "nvmetcp": _NVMEOF,
    "nvmeroce": _NVMEOF,
    "nvmefc": _NVMEOF,
}


def shares_targets(protocol: str | None) -> bool | None:
    """A volume's ``shared_targets``, as Cinder's manager derives it from its driver.

    The fake's drivers report no ``shared_targets`` of their own, so Cinder's default
    applies: True for iSCSI, None for NVMe-oF (os-brick must lock regardless), False for
    the protocols that need no locking (RBD, Fibre Channel).
    """
    canonical = normalize_protocol(protocol)
    if canonical == _NVMEOF:
        return None
    return canonical == _ISCSI


class InvalidConnector(ValueError):
    """The connector lacks what the protocol needs (Cinder's InvalidConnectorException).

    ``missing`` names the connector key; the message is Cinder's.
    """

    def __init__(self, missing: str) -> None:
        super().__init__(f"Connector doesn't have required information: {missing}")
        self.missing = missing


def normalize_protocol(name: str | None) -> str:
    """Map a protocol name or alias (any case, ``-``/``_``/space ignored) to one of PROTOCOLS.

    None gives DEFAULT_PROTOCOL; Cinder's storage_protocol spellings ("iSCSI", "FC",
    "fibre_channel", "ceph", "NVMe-oF", "NVMe-TCP", ...) are accepted.  Anything
    else raises ValueError.
    """
    if name is None:
        return DEFAULT_PROTOCOL
    if isinstance(name, str):
        key = "".join(ch for ch in name.strip().lower() if ch not in "-_ ")
        protocol = _ALIASES.get(key)
        if protocol is not None:
            return protocol
    raise ValueError(f"Unknown connection protocol: {name!r}")


def initialize_connection(protocol: str, volume_id: str, volume_size: int,
                          connector: dict[str, Any]) -> dict[str, Any]:
    """Validate ``connector`` for ``protocol`` and return the driver's connection info.

    The result is ``{"driver_volume_type": <protocol>, "data": {...}}``, freshly built
    on every call; ``connector`` is only read.  Raises InvalidConnector when the
    connector lacks a key the protocol needs, ValueError for an unknown protocol or
    a bad volume id or size, and TypeError when ``connector`` is not a mapping.
    """
    canonical = normalize_protocol(protocol)
    if not isinstance(volume_id, str) or not volume_id:
        raise ValueError(f"Invalid volume id: {volume_id!r}")
    if isinstance(volume_size, bool) or not isinstance(volume_size, int) or volume_size < 0:
        raise ValueError(f"Invalid volume size: {volume_size!r}")
    if not isinstance(connector, Mapping):
        raise TypeError(f"connector must be a mapping, not {type(connector).__name__}")
    _VALIDATORS[canonical](connector)
    data = _BUILDERS[canonical](volume_id, connector)
    return {"driver_volume_type": canonical, "data": data}


# ----------------------------------------------------------------- validation


def _require_key(connector: Mapping[str, Any], key: str) -> None:
    # ISCSITarget / NVMeOF validate_connector: presence only.
    if key not in connector:
        raise InvalidConnector(key)


def _require_setting(connector: Mapping[str, Any], key: str) -> None:
    # FibreChannelDriver.validate_connector_has_setting: present and non-empty.
    if not connector.get(key):
        raise InvalidConnector(key)


def _validate_iscsi(connector: Mapping[str, Any]) -> None:
    _require_key(connector, "initiator")


def _validate_rbd(connector: Mapping[str, Any]) -> None:
    # RBDDriver inherits VolumeDriver.validate_connector, which checks nothing.
    return None


def _validate_fc(connector: Mapping[str, Any]) -> None:
    _require_setting(connector, "wwpns")
    _require_setting(connector, "wwnns")


def _validate_nvmeof(connector: Mapping[str, Any]) -> None:
    _require_key(connector, "nqn")


# -------------------------------------------------------------- derived values


def _digest(*parts: str) -> bytes:
    text = "\x1f".join((_BACKEND_NAME, *parts))
    return hashlib.sha256(text.encode("utf-8")).digest()


def _byte_stream(*parts: str) -> Iterator[int]:
    """An endless deterministic byte stream (SHA-256 in counter mode)."""
    counter = 0
    while True:
        yield from _digest(*parts, str(counter))
        counter += 1


# A pure function of its arguments, re-derived on every connect of the same volume.
@functools.lru_cache(maxsize=1024)
def _derive_secret(purpose: str, volume_id: str, length: int) -> str:
    """A password-like string shaped like Cinder's generate_password output.

    At least one character from each symbol group, the rest from all groups,
    then a deterministic shuffle; only the seed differs from Cinder (a hash of
    the backend, the purpose and the volume id instead of os.urandom).
    """
    stream = _byte_stream("secret", purpose, volume_id)
    chars = [group[next(stream) % len(group)] for group in _PASSWORD_SYMBOLS][:length]
    alphabet = "".join(_PASSWORD_SYMBOLS)
    chars.extend(alphabet[next(stream) % len(alphabet)] for _ in range(length - len(chars)))
    for i in range(len(chars) - 1, 0, -1):  # Fisher-Yates
        j = next(stream) % (i + 1)
        chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def _volume_name(volume_id: str) -> str:
    return _VOLUME_NAME_TEMPLATE % volume_id


def _fc_target_wwns() -> list[str]:
    """The backend's target port WWPNs: 16 lower-case hex digits, as os-brick compares them.

    NAA type 5 (IEEE registered): "5", a 24-bit company id shared by the array's
    ports, then 36 bits per port.
    """
    company_id = _digest("fc-company-id").hex()[:6]
    return ["5" + company_id + _digest("fc-target-port", str(i)).hex()[:9]
            for i in range(_FC_TARGET_PORT_COUNT)]


def _fc_lun(volume_id: str) -> int:
    """The LUN the array maps the volume at: 1..254, fixed per volume."""
    return 1 + int.from_bytes(_digest("fc-lun", volume_id)[:4], "big") % 254


def _ceph_secret_uuid() -> str:
    """The libvirt secret uuid (Cinder defaults it to the cluster FSID)."""
    return str(uuid.UUID(bytes=_digest("ceph-fsid")[:16], version=4))


# -------------------------------------------------------------------- builders


def _build_iscsi(volume_id: str, connector: Mapping[str, Any]) -> dict[str, Any]:
    iqn = _ISCSI_TARGET_PREFIX + _volume_name(volume_id)
    portals = [f"{ip}:{_ISCSI_PORT}"
               for ip in (_TARGET_IP_ADDRESS, *_TARGET_SECONDARY_IP_ADDRESSES)]
    data: dict[str, Any] = {"target_discovered": False}
    # ISCSITarget._get_iscsi_properties: the lists when there are several portals
    # or the connector asks for multipath.
    if len(portals) > 1 or connector.get("multipath"):
        data["target_portals"] = list(portals)
        data["target_iqns"] = [iqn] * len(portals)
        data["target_luns"] = [_LIO_LUN] * len(portals)
    data.update({
        "target_portal": portals[0],
        "target_iqn": iqn,
        "target_lun": _LIO_LUN,
        "volume_id": volume_id,
        "auth_method": "CHAP",
        "auth_username": _derive_secret("chap-username", volume_id, _CHAP_USERNAME_LENGTH),
        "auth_password": _derive_secret("chap-password", volume_id, _CHAP_PASSWORD_LENGTH),
    })
    return data


def _build_rbd(volume_id: str, connector: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": f"{_RBD_POOL}/{_volume_name(volume_id)}",
        "hosts": list(_CEPH_MONITORS),
        "ports": [_CEPH_MON_PORT] * len(_CEPH_MONITORS),
        "cluster_name": _CEPH_CLUSTER_NAME,
        "auth_enabled": True,
        "auth_username": _RBD_USER,
        "secret_type": "ceph",
        "secret_uuid": _ceph_secret_uuid(),
        "volume_id": volume_id,
        "discard": True,
    }


def _wwpn_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(wwpn) for wwpn in value]


def _build_fc(volume_id: str, connector: Mapping[str, Any]) -> dict[str, Any]:
    targets = _fc_target_wwns()
    initiator_target_map = {wwpn: list(targets) for wwpn in _wwpn_list(connector["wwpns"])}
    return {
        "target_discovered": True,
        "target_lun": _fc_lun(volume_id),
        "target_wwn": targets,
        "initiator_target_map": initiator_target_map,
        "volume_id": volume_id,
    }


def _build_nvmeof(volume_id: str, connector: Mapping[str, Any]) -> dict[str, Any]:
    ips = (_TARGET_IP_ADDRESS, *_TARGET_SECONDARY_IP_ADDRESSES)
    return {
        # NVMET._get_target_nqn without shared targets: nqn.<target_prefix>-<volume id>
        "target_nqn": f"nqn.{_NVMET_SUBSYSTEM_PREFIX}-{volume_id}",
        # NVMET._get_nvme_uuid is volume.name_id, the volume id unless migrated.
        "vol_uuid": volume_id,
        "portals": [[ip, _NVMET_PORT, _NVMET_TRANSPORT] for ip in ips],
        "ns_id": _NVMET_NS_ID,
    }


_VALIDATORS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    _ISCSI: _validate_iscsi,
    _RBD: _validate_rbd,
    _FIBRE_CHANNEL: _validate_fc,
    _NVMEOF: _validate_nvmeof,
}

_BUILDERS: dict[str, Callable[[str, Mapping[str, Any]], dict[str, Any]]] = {
    _ISCSI: _build_iscsi,
    _RBD: _build_rbd,
    _FIBRE_CHANNEL: _build_fc,
    _NVMEOF: _build_nvmeof,
}
