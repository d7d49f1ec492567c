"""Volume and volume type rules: create, look up, list, delete, reset status."""

from __future__ import annotations

from typing import Any

from .context import Caller
from .errors import Conflict, InvalidInput, InvalidVolume, VolumeNotFound, VolumeTypeNotFound
from .models import Volume, VolumeType
from .state import Store

DEFAULT_TYPE_NAME = "__DEFAULT__"
# Volume metadata key that picks the fake backend's protocol for one volume.
PROTOCOL_METADATA_KEY = "fake_cinder:protocol"
# Statuses from which Cinder lets a volume be deleted (without cascade or force).
DELETABLE_STATUSES = ("available", "error", "error_restoring", "error_extending",
                      "error_managing")
_DELETE_REFUSED = (
    "Volume status must be available or error or error_restoring or error_extending or "
    "error_managing and must not be migrating, attached, belong to a group, have snapshots, "
    "awaiting a transfer, or be disassociated from snapshots after volume transfer.")
VOLUME_STATUSES = (
    "creating", "available", "deleting", "error", "error_deleting", "error_managing",
    "managing", "attaching", "in-use", "detaching", "maintenance", "restoring-backup",
    "error_restoring", "reserved", "awaiting-transfer", "backing-up", "error_backing-up",
    "error_extending", "downloading", "uploading", "retyping", "extending")


def is_multiattach(store: Store, volume: Volume) -> bool:
    volume_type = store.volume_types.get(volume.volume_type_id or "")
    return volume.multiattach or bool(volume_type and volume_type.multiattach)


def protocol_of(store: Store, volume: Volume) -> str | None:
    if volume.protocol:
        return volume.protocol
    volume_type = store.volume_types.get(volume.volume_type_id or "")
    return volume_type.protocol if volume_type else None


# -- volume types ---------------------------------------------------------------------------------
def create_volume_type(store: Store, caller: Caller | None, name: str,
                       description: str | None = None, extra_specs: dict | None = None,
                       is_public: bool = True, type_id: str | None = None) -> VolumeType:
    with store.lock:
        if any(t.name == name for t in store.volume_types.values()):
            raise Conflict(f"Volume Type {name} already exists.")
        if type_id is not None and type_id in store.volume_types:
            raise Conflict(f"Volume Type {type_id} already exists.")
        volume_type = VolumeType(
            id=type_id or store.clock.new_id(), name=name, description=description,
            is_public=is_public,
            extra_specs={k: v for k, v in (extra_specs or {}).items() if v is not None},
            project_id=caller.project_id if caller and not is_public else None)
        return store.add_volume_type(volume_type)


def _type_visible(caller: Caller, volume_type: VolumeType) -> bool:
    return (volume_type.is_public or caller.is_admin
            or volume_type.project_id == caller.project_id)


def get_volume_type(store: Store, caller: Caller, type_id: str) -> VolumeType:
    with store.lock:
        volume_type = store.volume_types.get(type_id)
        if volume_type is None or not _type_visible(caller, volume_type):
            raise VolumeTypeNotFound(type_id)
        return volume_type


def list_volume_types(store: Store, caller: Caller) -> list[VolumeType]:
    with store.lock:
        return [t for t in store.volume_types.values() if _type_visible(caller, t)]


def default_volume_type(store: Store) -> VolumeType:
    """Cinder always has a default type; create it on first use."""
    with store.lock:
        found = store.find_volume_type(DEFAULT_TYPE_NAME)
        if found is None:
            found = create_volume_type(store, None, DEFAULT_TYPE_NAME,
                                       description="Default Volume Type")
        return found


# -- volumes --------------------------------------------------------------------------------------
def create_volume(store: Store, caller: Caller, size: int, name: str | None = None,
                  description: str | None = None, volume_type: str | None = None,
                  metadata: dict[str, str] | None = None,
                  availability_zone: str | None = None, bootable: bool = False,
                  protocol: str | None = None, status: str = "available",
                  volume_id: str | None = None, multiattach: bool | None = None) -> Volume:
    """Create a volume that is immediately available (the fake has no scheduler)."""
    if size < 1:
        # The schema's minimum only applies to numbers: Cinder's create flow checks strings.
        raise InvalidInput(f"Volume size '{size}' must be an integer and greater than 0")
    with store.lock:
        if volume_type:
            found = store.find_volume_type(volume_type)
            if found is None or not _type_visible(caller, found):
                raise VolumeTypeNotFound(volume_type)
        else:
            found = default_volume_type(store)
        if volume_id is not None and volume_id in store.volumes:
            raise Conflict(f"Volume {volume_id} already exists.")
        now = store.clock.now()
        volume = Volume(
            id=volume_id or store.clock.new_id(), project_id=caller.project_id,
            user_id=caller.user_id, size=size, status=status, name=name,
            description=description, volume_type_id=found.id,
            multiattach=found.multiattach if multiattach is None else multiattach,
            bootable=bootable, availability_zone=availability_zone or "nova",
            metadata=dict(metadata or {}), created_at=now, updated_at=now, protocol=protocol)
        return store.add_volume(volume)


def get_volume(store: Store, caller: Caller, volume_id: str) -> Volume:
    with store.lock:
        volume = store.volumes.get(volume_id)
        if volume is None or not caller.can_see(volume.project_id):
            raise VolumeNotFound(volume_id)
        return volume


def list_volumes(store: Store, caller: Caller, all_tenants: bool = False) -> list[Volume]:
    """Newest first, like Cinder's default created_at desc."""
    with store.lock:
        project = None if (caller.is_admin and all_tenants) else caller.project_id
        volumes = store.project_volumes(project)
    return sorted(volumes, key=lambda v: (v.created_at, v.id), reverse=True)


def delete_volume(store: Store, caller: Caller, volume_id: str) -> None:
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        if (volume.status not in DELETABLE_STATUSES or store.volume_attachments(volume_id)
                or volume.migration_status not in (None, "success", "error")):
            raise InvalidVolume(_DELETE_REFUSED)
        store.remove_volume(volume_id)


def reset_status(store: Store, caller: Caller, volume_id: str, changes: dict[str, Any]) -> None:
    """The admin action os-reset_status: set status fields as given, no questions asked."""
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        for key in ("status", "attach_status", "migration_status"):
            if changes.get(key) is not None:
                setattr(volume, key, changes[key])
        volume.updated_at = store.clock.now()
