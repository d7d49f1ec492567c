"""Volume and snapshot metadata as sub-resources: list, set (merge or replace), one
key's show, update and delete (cinder/api/v3/volume_metadata.py, snapshot_metadata.py
and volume/api.py).

Checks run in Cinder's order: the record (404), the read policy, the key (404), then
the write policy and the volume's status. The schema has already limited keys and
values to 255 characters, so Cinder's later size checks cannot fail here. Metadata lives
in tables of its own: a change leaves the record's ``updated_at`` as it was.
"""

from __future__ import annotations

from collections.abc import Mapping

from .context import Caller
from .errors import InvalidVolume, NotFound
from .models import Snapshot, Volume
from .policy import authorize
from .snapshots import get_snapshot
from .store import Store
from .volumes import get_volume

# Volume statuses in which Cinder refuses any change of its metadata.
FROZEN_STATUSES = ("maintenance", "uploading")


class VolumeMetadataNotFound(NotFound):
    def __init__(self, volume_id: str, key: str) -> None:
        super().__init__(f"Volume {volume_id} has no metadata with key {key}.")


class SnapshotMetadataNotFound(NotFound):
    def __init__(self, snapshot_id: str, key: str) -> None:
        super().__init__(f"Snapshot {snapshot_id} has no metadata with key {key}.")


# -- volumes --------------------------------------------------------------------------------------
def _readable_volume(store: Store, caller: Caller, volume_id: str) -> Volume:
    volume = get_volume(store, caller, volume_id)
    authorize(caller, "volume:get_volume_metadata", volume.project_id)
    return volume


def volume_metadata(store: Store, caller: Caller, volume_id: str) -> dict[str, str]:
    """The volume's user metadata (admin metadata such as ``readonly`` is not in it)."""
    with store.lock:
        return dict(_readable_volume(store, caller, volume_id).metadata)


def volume_metadata_item(store: Store, caller: Caller, volume_id: str, key: str) -> str:
    with store.lock:
        metadata = _readable_volume(store, caller, volume_id).metadata
        if key not in metadata:
            raise VolumeMetadataNotFound(volume_id, key)
        return metadata[key]


def _check_volume_status(volume: Volume, verb: str) -> None:
    if volume.status in FROZEN_STATUSES:
        raise InvalidVolume(f"{verb} volume metadata is not allowed for volumes in "
                            f"{volume.status} status.")


def set_volume_metadata(store: Store, caller: Caller, volume_id: str,
                        metadata: Mapping[str, str], *, replace: bool = False,
                        policy: str = "volume:update_volume_metadata") -> dict[str, str]:
    """Merge ``metadata`` into the volume's (or, with ``replace``, make it the volume's
    whole metadata); returns the result. ``policy``: the create (POST) or update (PUT)
    policy Cinder checks."""
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        authorize(caller, policy, volume.project_id)
        _check_volume_status(volume, "Updating")
        # A new dict, assigned: the store's metadata counters see the change.
        volume.metadata = dict(metadata) if replace else {**volume.metadata, **metadata}
        return dict(volume.metadata)


def delete_volume_metadata(store: Store, caller: Caller, volume_id: str, key: str) -> None:
    with store.lock:
        volume = _readable_volume(store, caller, volume_id)
        if key not in volume.metadata:
            raise VolumeMetadataNotFound(volume_id, key)
        authorize(caller, "volume:delete_volume_metadata", volume.project_id)
        _check_volume_status(volume, "Deleting")
        volume.metadata = {k: v for k, v in volume.metadata.items() if k != key}


# -- snapshots ------------------------------------------------------------------------------------
def _readable_snapshot(store: Store, caller: Caller, snapshot_id: str) -> Snapshot:
    snapshot = get_snapshot(store, caller, snapshot_id)
    authorize(caller, "volume:get_snapshot_metadata", snapshot.project_id)
    return snapshot


def snapshot_metadata(store: Store, caller: Caller, snapshot_id: str) -> dict[str, str]:
    with store.lock:
        return dict(_readable_snapshot(store, caller, snapshot_id).metadata)


def snapshot_metadata_item(store: Store, caller: Caller, snapshot_id: str, key: str) -> str:
    with store.lock:
        metadata = _readable_snapshot(store, caller, snapshot_id).metadata
        if key not in metadata:
            raise SnapshotMetadataNotFound(snapshot_id, key)
        return metadata[key]


def set_snapshot_metadata(store: Store, caller: Caller, snapshot_id: str,
                          metadata: Mapping[str, str], *, replace: bool = False
                          ) -> dict[str, str]:
    """Merge (or replace) a snapshot's metadata; Cinder has no status rule here."""
    with store.lock:
        snapshot = get_snapshot(store, caller, snapshot_id)
        authorize(caller, "volume:update_snapshot_metadata", snapshot.project_id)
        snapshot.metadata = dict(metadata) if replace else {**snapshot.metadata, **metadata}
        return dict(snapshot.metadata)


def delete_snapshot_metadata(store: Store, caller: Caller, snapshot_id: str, key: str) -> None:
    with store.lock:
        snapshot = _readable_snapshot(store, caller, snapshot_id)
        if key not in snapshot.metadata:
            raise SnapshotMetadataNotFound(snapshot_id, key)
        authorize(caller, "volume:delete_snapshot_metadata", snapshot.project_id)
        del snapshot.metadata[key]
