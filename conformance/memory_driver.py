"""An in-memory Cinder volume driver for the conformance Cinder (runs inside Cinder).

It stores nothing but a dict of volumes and reports what an LVM backend with the
iSCSI (lioadm) target reports: one pool with capacity, ``multiattach: True`` and
``storage_protocol: iSCSI``, no ``shared_targets`` of its own (so Cinder's manager
marks volumes as sharing targets). Connectors are checked the way Cinder's iSCSI
target checks them (an ``initiator`` is required) and the connection properties
have the keys and values the fake's iSCSI backend gives (``fake_cinder/core/connection_info.py``):
portal 192.0.2.10:3260, target ``iqn.2010-10.org.openstack:volume-<id>``, LUN 0, CHAP.
Only the CHAP credentials differ: random here, as in LVM (the normaliser masks them).
Snapshots, volumes from snapshots and clones are entries too; extends change a size.

A volume's metadata steers the driver as it steers the fake's backend
(``fake_cinder/core/transitions.py``): ``fake_cinder:fail`` names operations that fail
for it and its snapshots (``volume_create``, ``volume_extend``, ``volume_delete``,
``snapshot_create``, ``snapshot_delete``: the driver raises, and Cinder's manager leaves
its failure status), ``fake_cinder:transition: <S>s`` makes them take S seconds (the fake
keeps the transitional status as long), so both servers show the same intermediate
statuses.

The harness's Cinder runs several backends of this driver (cinder_server.BACKENDS), each
one pool named as its backend: ``BACKENDS`` below gives each its capacity, protocol and
provisioning, so the scheduler's choices between them can be compared with the fake's.

Images: a volume created from (or re-imaged with) an image keeps the image's data, which
an upload to a new image sends back to Glance (a volume with no data uploads none).

Migrations (os-retype with ``on-demand`` to a type of another backend, os-migrate_volume)
are driver-assisted: the backends of this one process hand a volume's entry to one
another (``migrate_volume``), so Cinder's manager never falls back to its generic
migration, which attaches both volumes to the host through os-brick (root, a real
target). ``fake_cinder:fail: volume_retype`` makes the migration (and the in-place
retype) raise.
"""

from __future__ import annotations

import io
import secrets
import time
from typing import Any

from cinder import exception
from cinder.volume import driver

FAIL_METADATA_KEY = "fake_cinder:fail"
TRANSITION_METADATA_KEY = "fake_cinder:transition"
TOTAL_CAPACITY_GB = 10000
# volume_backend_name -> what its pool reports, over the iSCSI defaults of _update_volume_stats.
BACKENDS: dict[str, dict[str, Any]] = {
    "memory": {},
    "ceph": {"storage_protocol": "ceph", "total_capacity_gb": 1000,
             "thin_provisioning_support": True, "thick_provisioning_support": False,
             "max_over_subscription_ratio": 2.0, "multiattach": False},
    "east": {"total_capacity_gb": 2000},
    "spare": {"total_capacity_gb": 100},
}
DELETE_SECONDS = 0.3
TARGET_PREFIX = "iqn.2010-10.org.openstack:"
PORTAL = "192.0.2.10:3260"
# Cinder's password symbols leave out look-alike characters (0, 1, I, O, l).
_SYMBOLS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _secret(length: int) -> str:
    return "".join(secrets.choice(_SYMBOLS) for _ in range(length))


class BackendFailure(exception.VolumeBackendAPIException):
    """What the driver raises for an operation its volume's metadata makes fail."""


def _steer(volume: Any, operation: str) -> None:
    """Take the time, or fail, as the volume's metadata says (see the module's text)."""
    metadata = dict(getattr(volume, "metadata", None) or {})
    duration = metadata.get(TRANSITION_METADATA_KEY, "")
    if duration.endswith("s") and duration[:-1].replace(".", "", 1).isdigit():
        time.sleep(float(duration[:-1]))  # green: eventlet patched time.sleep
    failing = [name.strip() for name in metadata.get(FAIL_METADATA_KEY, "").split(",")]
    if operation in failing:
        raise BackendFailure(data=f"{operation} fails for this volume ({FAIL_METADATA_KEY})")


class MemoryISCSIDriver(driver.VolumeDriver):
    """Volumes are entries of a dict; exports are CHAP credentials in provider_auth."""

    VERSION = "1.0.0"
    CI_WIKI_NAME = "fake-cinder-conformance"
    # volume_backend_name -> its driver: where a migration hands a volume over.
    BY_BACKEND: dict[str, MemoryISCSIDriver] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._volumes: dict[str, int] = {}
        self._snapshots: set[str] = set()
        self._data: dict[str, bytes] = {}  # volume id -> the image data written to it
        backend = self.configuration.safe_get("volume_backend_name") if self.configuration \
            else None
        if backend:
            MemoryISCSIDriver.BY_BACKEND[backend] = self

    # -- setup and stats --------------------------------------------------------------------
    def do_setup(self, context: Any) -> None:
        pass

    def check_for_setup_error(self) -> None:
        pass

    def _update_volume_stats(self) -> None:
        used = sum(self._volumes.values())
        backend = self.configuration.safe_get("volume_backend_name") or "memory"
        pool = {
            "pool_name": backend,
            "total_capacity_gb": TOTAL_CAPACITY_GB,
            "reserved_percentage": 0,
            "max_over_subscription_ratio": 1.0,
            "thin_provisioning_support": False,
            "thick_provisioning_support": True,
            "total_volumes": len(self._volumes),
            "multiattach": True,
            "QoS_support": False,
            "backend_state": "up",
        }
        settings = dict(BACKENDS.get(backend, {}))
        protocol = settings.pop("storage_protocol", "iSCSI")
        pool.update(settings)
        pool.update(free_capacity_gb=pool["total_capacity_gb"] - used,
                    allocated_capacity_gb=used, provisioned_capacity_gb=used)
        self._stats = {
            "volume_backend_name": backend,
            "vendor_name": "fake-cinder",
            "driver_version": self.VERSION,
            "storage_protocol": protocol,
            "sparse_copy_volume": True,
            "pools": [pool],
        }

    def get_volume_stats(self, refresh: bool = False) -> dict[str, Any]:
        if refresh or not self._stats:
            self._update_volume_stats()
        return self._stats

    # -- volumes ----------------------------------------------------------------------------
    def create_volume(self, volume: Any) -> dict[str, Any]:
        _steer(volume, "volume_create")
        self._volumes[volume.id] = volume.size
        return {}

    def delete_volume(self, volume: Any) -> None:
        # A real backend takes a while (LVM wipes the volume): the volume stays
        # "deleting" that long, as long as the fake keeps it (VOLUME_DELETE_SECONDS),
        # so a request right after a delete sees the same on both servers.
        time.sleep(DELETE_SECONDS)  # green: eventlet patched time.sleep
        _steer(volume, "volume_delete")
        self._volumes.pop(volume.id, None)
        self._data.pop(volume.id, None)

    def extend_volume(self, volume: Any, new_size: int) -> None:
        _steer(volume, "volume_extend")
        self._volumes[volume.id] = new_size

    # -- images ------------------------------------------------------------------------------
    def copy_image_to_volume(self, context: Any, volume: Any, image_service: Any,
                             image_id: str, disable_sparse: bool = False) -> None:
        # glanceclient checks the data against the image's checksums while it is read.
        self._data[volume.id] = b"".join(image_service.download(context, image_id))

    def copy_image_to_encrypted_volume(self, context: Any, volume: Any, image_service: Any,
                                       image_id: str, disable_sparse: bool = False) -> None:
        self.copy_image_to_volume(context, volume, image_service, image_id)

    def copy_volume_to_image(self, context: Any, volume: Any, image_service: Any,
                             image_meta: dict[str, Any]) -> None:
        # A file, as Cinder's image_utils.upload_volume hands it to glanceclient.
        image_service.update(context, image_meta["id"], {},
                             io.BytesIO(self._data.get(volume.id, b"")))

    # -- snapshots (Nova's snapshots, boot from a volume snapshot) ----------------------------
    def create_snapshot(self, snapshot: Any) -> dict[str, Any]:
        _steer(snapshot.volume, "snapshot_create")
        self._snapshots.add(snapshot.id)
        return {}

    def delete_snapshot(self, snapshot: Any) -> None:
        _steer(snapshot.volume, "snapshot_delete")
        self._snapshots.discard(snapshot.id)

    def create_volume_from_snapshot(self, volume: Any, snapshot: Any) -> dict[str, Any]:
        self._volumes[volume.id] = volume.size
        return {}

    def create_cloned_volume(self, volume: Any, src_vref: Any) -> dict[str, Any]:
        self._volumes[volume.id] = volume.size
        return {}

    # -- retype and migration ---------------------------------------------------------------
    def retype(self, context: Any, volume: Any, new_type: Any, diff: Any,
               host: Any) -> bool:
        """As LVM's: a retype on the same backend needs no work (no migration)."""
        _steer(volume, "volume_retype")
        return True

    def migrate_volume(self, context: Any, volume: Any, host: dict[str, Any]
                       ) -> tuple[bool, dict[str, Any] | None]:
        """Driver-assisted migration to another backend of this process: its entry (size
        and data) moves to the destination's driver. Another driver's backend: not moved
        (Cinder's generic migration would follow)."""
        _steer(volume, "volume_retype")
        backend = (host.get("capabilities") or {}).get("volume_backend_name")
        destination = MemoryISCSIDriver.BY_BACKEND.get(backend or "")
        if destination is None:
            return False, None
        destination._volumes[volume.id] = self._volumes.pop(volume.id, volume.size)
        if volume.id in self._data:
            destination._data[volume.id] = self._data.pop(volume.id)
        return True, None

    # -- exports and connections ------------------------------------------------------------

    def validate_connector(self, connector: dict[str, Any]) -> bool:
        # Cinder's iSCSI targets need the initiator's IQN, and only that.
        if "initiator" not in connector:
            raise exception.InvalidConnectorException(missing="initiator")
        return True

    def _export(self, volume: Any) -> dict[str, Any]:
        if volume.provider_auth:
            return {}
        return {"provider_auth": f"CHAP {_secret(20)} {_secret(16)}",
                "provider_location": f"{PORTAL},1 {TARGET_PREFIX}volume-{volume.id} 0"}

    def create_export(self, context: Any, volume: Any, connector: Any) -> dict[str, Any]:
        return self._export(volume)

    def ensure_export(self, context: Any, volume: Any) -> dict[str, Any]:
        return self._export(volume)

    def remove_export(self, context: Any, volume: Any) -> None:
        pass

    def initialize_connection(self, volume: Any, connector: dict[str, Any]) -> dict[str, Any]:
        iqn = f"{TARGET_PREFIX}volume-{volume.id}"
        _method, username, password = (volume.provider_auth or "CHAP - -").split(" ", 2)
        data: dict[str, Any] = {"target_discovered": False}
        if connector.get("multipath"):
            data.update(target_portals=[PORTAL], target_iqns=[iqn], target_luns=[0])
        data.update(target_portal=PORTAL, target_iqn=iqn, target_lun=0, volume_id=volume.id,
                    auth_method="CHAP", auth_username=username, auth_password=password)
        return {"driver_volume_type": "iscsi", "data": data}

    def terminate_connection(self, volume: Any, connector: Any, **kwargs: Any) -> None:
        pass


__all__ = ["MemoryISCSIDriver"]
