"""Volume and volume type rules: create, look up, list, delete, reset status."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from . import backends, quotas
from .context import Caller, admin_caller
from .errors import (
    BadRequest,
    Conflict,
    InvalidInput,
    InvalidVolume,
    NotFound,
    VolumeNotFound,
    VolumeTypeNotFound,
)
from .indexed_lists import Lister, Source
from .listing import FALSE_STRINGS, TRUE_STRINGS, ListQuery, check_sort_keys
from .models import ATTACHED, Snapshot, Volume, VolumeType
from .policy import allows, authorize
from .store import Store
from .transitions import VOLUME as VOLUME_RECORD
from .uuids import is_uuid_like

DEFAULT_TYPE_NAME = "__DEFAULT__"
# Volume metadata key that picks the fake backend's protocol for one volume.
PROTOCOL_METADATA_KEY = "fake_cinder:protocol"
# Statuses from which Cinder lets a volume be deleted (without cascade or force).
DELETABLE_STATUSES = ("available", "error", "error_restoring", "error_extending",
                      "error_managing")
# Cinder's build_or_str of those statuses, in its refusal message.
_DELETABLE_STATUS_TEXT = "status must be " + " or ".join(DELETABLE_STATUSES) + " and"
# resource_filters.json "volume": what non-admins may filter volume lists by.
ALLOWED_FILTERS = frozenset({"name", "status", "metadata", "bootable", "migration_status",
                             "availability_zone", "group_id", "size", "created_at",
                             "updated_at", "consumes_quota"})
# Cinder's Volume columns (filters and sort keys) mapped to the fake's attribute names;
# "metadata" is the volume_metadata relationship, which the filter code special-cases.
MODEL_COLUMNS = {
    "id": "id", "display_name": "name", "display_description": "description",
    "status": "status", "attach_status": "attach_status", "size": "size",
    "availability_zone": "availability_zone", "bootable": "bootable",
    "multiattach": "multiattach", "user_id": "user_id", "project_id": "project_id",
    "volume_type_id": "volume_type_id", "host": "host", "created_at": "created_at",
    "updated_at": "updated_at", "migration_status": "migration_status",
    "encryption_key_id": "encryption_key_id", "metadata": "metadata",
    "source_volid": "source_volid",
}
SORT_COLUMNS = {k: v for k, v in MODEL_COLUMNS.items() if k != "metadata"}
_BOOLEAN_COLUMNS = ("bootable", "multiattach")
VOLUME_STATUSES = (
    "creating", "available", "deleting", "error", "error_deleting", "error_managing",
    "managing", "attaching", "in-use", "detaching", "maintenance", "restoring-backup",
    "error_restoring", "reserved", "awaiting-transfer", "backing-up", "error_backing-up",
    "error_extending", "downloading", "uploading", "retyping", "extending")


def is_multiattach(store: Store, volume: Volume) -> bool:
    volume_type = store.volume_types.get(volume.volume_type_id or "")
    return volume.multiattach or bool(volume_type and volume_type.multiattach)


# Admin metadata keys that volume views show among the metadata (Cinder's
# _visible_admin_metadata_keys); they override user metadata of the same name.
VISIBLE_ADMIN_METADATA = ("readonly", "attached_mode")


def visible_metadata(volume: Volume) -> dict[str, str]:
    """The volume's ``metadata`` as Cinder's volume views show it."""
    shown = dict(volume.metadata)
    shown.update((k, v) for k, v in volume.admin_metadata.items() if k in VISIBLE_ADMIN_METADATA)
    return shown


def is_readonly(volume: Volume) -> bool:
    """Cinder's readonly flag: admin metadata (os-update_readonly_flag), not user metadata."""
    return volume.admin_metadata.get("readonly") == "True"


def protocol_of(store: Store, volume: Volume) -> str | None:
    """The connection protocol: the volume's own, else that of the backend it is on,
    else its type's storage_protocol (a volume on no known backend)."""
    if volume.protocol:
        return volume.protocol
    backend = store.backends.get((volume.host or "").partition("#")[0])
    if backend is not None:
        return backend.storage_protocol
    volume_type = store.volume_types.get(volume.volume_type_id or "")
    return volume_type.protocol if volume_type else None


# -- volume types ---------------------------------------------------------------------------------
def create_volume_type(store: Store, caller: Caller | None, name: str,
                       description: str | None = None,
                       extra_specs: dict[str, str | None] | None = None,
                       is_public: bool = True, type_id: str | None = None) -> VolumeType:
    with store.lock:
        if any(t.name == name for t in store.volume_types.values()):
            raise Conflict(f"Volume Type {name} already exists.")
        if type_id is not None and type_id in store.volume_types:
            raise Conflict(f"Volume Type {type_id} already exists.")
        volume_type = VolumeType(
            id=type_id or store.clock.new_id(), name=name, description=description,
            is_public=is_public,
            extra_specs=dict(extra_specs or {}),
            project_id=caller.project_id if caller and not is_public else None)
        return store.add_volume_type(volume_type)


def _type_visible(caller: Caller, volume_type: VolumeType) -> bool:
    return (volume_type.is_public or caller.is_admin
            or caller.project_id in volume_type.access_projects)


def get_volume_type(store: Store, caller: Caller, type_id: str) -> VolumeType:
    with store.lock:
        volume_type = store.volume_types.get(type_id)
        if volume_type is None or not _type_visible(caller, volume_type):
            raise VolumeTypeNotFound(type_id)
        return volume_type


def list_volume_types(store: Store, caller: Caller,
                      is_public: bool | None = True) -> list[VolumeType]:
    """Cinder's list: public types and those of the caller's project by default, even
    for admins; only admins may ask for private ones (False) or all (None)."""
    if not caller.is_admin:
        is_public = True
    with store.lock:
        # Cinder's default order: newest first (created_at, then id, descending).
        types = list(reversed(store.volume_types.values()))
        if is_public is None:
            return list(types)
        if is_public is False:
            return [t for t in types if not t.is_public]
        return [t for t in types if t.is_public or caller.project_id in t.access_projects]


def default_volume_type(store: Store) -> VolumeType:
    """Cinder always has a default type; create it on first use."""
    with store.lock:
        found = store.find_volume_type(DEFAULT_TYPE_NAME)
        if found is None:
            found = create_volume_type(store, None, DEFAULT_TYPE_NAME,
                                       description="Default Volume Type")
        return found


def lookup_volume_type(store: Store, caller: Caller, name_or_id: str) -> VolumeType:
    """Cinder's get_by_name_or_id: an id (then a name) when uuid-like, else a name."""
    with store.lock:
        found = (store.find_volume_type(name_or_id) if is_uuid_like(name_or_id)
                 else store.find_volume_type_by_name(name_or_id))
        if found is None or not _type_visible(caller, found):
            if is_uuid_like(name_or_id):
                raise VolumeTypeNotFound(name_or_id)
            raise NotFound(f"Volume type with name {name_or_id} could not be found.")
        return found


# -- volumes --------------------------------------------------------------------------------------
def create_volume(store: Store, caller: Caller, size: int | None, name: str | None = None,
                  description: str | None = None, volume_type: str | None = None,
                  metadata: dict[str, str] | None = None,
                  availability_zone: str | None = None, bootable: bool = False,
                  protocol: str | None = None, status: str = "available",
                  volume_id: str | None = None, multiattach: bool | None = None,
                  check_quota: bool = False, snapshot: Snapshot | None = None,
                  source_volume: Volume | None = None,
                  image_metadata: dict[str, str] | None = None, host: str | None = None,
                  request_id: str | None = None, group_id: str | None = None,
                  asynchronous: bool = False, failing: bool = False) -> Volume:
    """Create a volume in ``status`` on the pool the scheduler chose (``host``: on that
    pool, unchecked), or at once in ``error`` when no pool fits, as Cinder's scheduler
    leaves it; ``check_quota``: Cinder's quota reservation (the API's creates), under the
    same lock. ``asynchronous`` (the API's creates): a volume a pool took is ``creating``,
    with no host, until the volume_create transition ends (on its pool; ``failing``: in
    ``error``, never scheduled); an immediate progression gives the synchronous result.
    A volume of an encrypted type gets a new encryption key id. From a ``snapshot``: its
    volume type unless another is asked for, at least its size, bootable as its volume,
    on its pool and in its zone. A clone of a ``source_volume`` likewise
    (core/clones.py). ``image_metadata``: a volume created from an image is bootable and
    keeps it. ``request_id``: the API request's, for the user message of a volume no pool
    took."""
    with store.lock:
        if volume_type:
            found = lookup_volume_type(store, caller, volume_type)
        elif snapshot is not None and snapshot.volume_type_id in store.volume_types:
            found = store.volume_types[snapshot.volume_type_id]
        elif source_volume is not None and source_volume.volume_type_id in store.volume_types:
            found = store.volume_types[source_volume.volume_type_id]
        else:
            found = default_volume_type(store)
        if snapshot is not None and source_volume is not None:
            raise InvalidInput("May specify only one of backup, imageRef, snapshot, "
                               "source volume")
        # The volume the new one is made from: Cinder puts it on that volume's pool.
        origin = store.volumes.get(snapshot.volume_id) if snapshot is not None else None
        if snapshot is not None:
            bootable = _check_snapshot_source(store, snapshot, found, size) or bootable
            if availability_zone is None and origin is not None:
                availability_zone = origin.availability_zone
        if source_volume is not None:
            from .clones import check_clone_source  # clones builds on this module

            bootable = check_clone_source(store, source_volume, found, size) or bootable
            availability_zone = availability_zone or source_volume.availability_zone
            origin = source_volume
        # Cinder's create flow: _extract_size, then the availability zone.
        if size is None or size < 1:
            raise InvalidInput(f"Volume size '{size}' must be an integer and greater than 0")
        zones = backends.check_availability_zone(store, availability_zone, found)
        if volume_id is not None and volume_id in store.volumes:
            raise Conflict(f"Volume {volume_id} already exists.")
        if check_quota:
            quotas.check_volume_create(store, caller.project_id, size, found)
        # Cinder's snapshot_same_host (and a clone's source): where the origin volume is.
        placed = ((host, availability_zone or backends.DEFAULT_ZONE) if host
                  else backends.place_volume(store, found, size, zones,
                                             origin.host if origin is not None else None))
        if placed is None:
            status = "error"
        now = store.clock.now()
        volume = Volume(
            id=volume_id or store.clock.new_id(), project_id=caller.project_id,
            user_id=caller.user_id, size=size, status=status, name=name,
            description=description, volume_type_id=found.id,
            multiattach=found.multiattach if multiattach is None else multiattach,
            bootable=bootable or image_metadata is not None,
            availability_zone=placed[1] if placed else zones[0] if zones else "nova",
            metadata=dict(metadata or {}), created_at=now, updated_at=now, protocol=protocol,
            snapshot_id=snapshot.id if snapshot is not None else None,
            source_volid=source_volume.id if source_volume is not None else None,
            image_metadata=dict(image_metadata or {}), group_id=group_id,
            encryption_key_id=store.clock.new_id() if found.id in store.encryptions else None,
            host=placed[0] if placed else None)
        store.add_volume(volume)
        if placed is None:
            backends.no_valid_backend(store, volume, request_id)
        elif asynchronous:
            # The scheduler chose its pool; the volume shows it once the manager created it
            # (a create that fails never gets one).
            scheduled = volume.host
            volume.host = None
            store.transitions.begin(
                "volume_create_from_image" if image_metadata else "volume_create", volume,
                failing=failing, changes={"host": scheduled})
        return volume


def _check_snapshot_source(store: Store, snapshot: Snapshot, volume_type: VolumeType,
                           size: int | None) -> bool:
    """Cinder's checks of a volume created from a snapshot, in its order: a type whose
    encryption differs from the snapshot's, the snapshot's status, the size. Returns
    whether the snapshot's volume was bootable."""
    if not retype_is_possible(store, snapshot.volume_type_id, volume_type):
        raise InvalidInput(f"Invalid volume_type provided: {volume_type.id} (requested type "
                           "is not compatible; recommend omitting the type argument).")
    if snapshot.status != "available":
        raise BadRequest("Invalid snapshot: Originating snapshot status must be one of "
                         "'available' values")
    if size is not None and 0 < size < snapshot.size:
        raise InvalidInput(f"Volume size '{size}'GB cannot be smaller than the snapshot size "
                           f"{snapshot.size}GB. They must be >= original snapshot size.")
    origin = store.volumes.get(snapshot.volume_id)
    return bool(origin and origin.bootable)


BACKEND_NAME_SPEC = "volume_backend_name"


def retype_is_possible(store: Store, source_type_id: str | None, target: VolumeType) -> bool:
    """Cinder's _retype_is_possible, for a volume made from a snapshot or a volume in
    another type: the same encryption, and both types naming the same backend (Cinder
    also lets it pass when exactly one of its volume services is disabled, which the
    fake has none of)."""
    if target.id == source_type_id:
        return True
    if encryption_specs(store, target.id) != encryption_specs(store, source_type_id):
        return False
    source = store.volume_types.get(source_type_id or "")
    wanted = source.extra_specs.get(BACKEND_NAME_SPEC) if source is not None else None
    return bool(wanted) and wanted == target.extra_specs.get(BACKEND_NAME_SPEC)


def encryption_specs(store: Store, type_id: str | None) -> tuple[Any, ...] | None:
    encryption = store.encryptions.get(type_id or "")
    if encryption is None:
        return None
    return (encryption.cipher, encryption.key_size, encryption.provider,
            encryption.control_location)


def load_volume(store: Store, caller: Caller, volume_id: str) -> Volume:
    """Cinder's Volume.get_by_id: the volume, if the caller's project may read it."""
    with store.lock:
        volume = store.volumes.get(volume_id)
        if volume is None or not caller.can_see(volume.project_id):
            raise VolumeNotFound(volume_id)
        return volume


def show_volume(store: Store, caller: Caller, volume_id: str) -> Volume:
    """A read of the volume (GET volumes/{id}): it counts as a poll of its transition."""
    with store.lock:
        get_volume(store, caller, volume_id)
        store.transitions.observe(VOLUME_RECORD, [volume_id])
        return get_volume(store, caller, volume_id)  # a delete may just have ended


def get_volume(store: Store, caller: Caller, volume_id: str) -> Volume:
    """Cinder's volume API get: the volume, then volume:get, whose refusal is a 404 so
    that the caller learns nothing of it (a caller with no role: Not Found)."""
    with store.lock:
        volume = load_volume(store, caller, volume_id)
        if not allows(caller, "volume:get", volume.project_id):
            raise VolumeNotFound(volume_id)
        return volume


def rename_volume_params(query: ListQuery) -> None:
    """The REST API says name where Cinder's database says display_name."""
    query.sort_keys = ["display_name" if k == "name" else k for k in query.sort_keys]
    if "name" in query.filters:
        query.filters["display_name"] = query.filters.pop("name")
    query.matches_nothing = any(key not in MODEL_COLUMNS for key in query.filters)


def volume_filter_values(filters: Mapping[str, str], strict_booleans: bool) -> dict[str, Any]:
    """Cinder's check_volume_filters: booleans parsed, other values read as Python
    literals when they are (size=1 is the number 1, metadata a dict), else strings."""
    values: dict[str, Any] = {}
    for key, raw in filters.items():
        if key in _BOOLEAN_COLUMNS:
            lowered = raw.strip().lower()
            if strict_booleans:
                # Microversion 3.2 and later: only oslo's boolean strings.
                if lowered not in TRUE_STRINGS + FALSE_STRINGS:
                    raise InvalidInput(f"'{key} = {raw}'")
                values[key] = lowered in TRUE_STRINGS
            else:
                values[key] = raw not in ("False", "false", "FALSE")
        elif key == "display_name":
            values[key] = raw
        else:
            try:
                values[key] = ast.literal_eval(raw)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                values[key] = raw
    return values


def _volume_matches(volume: Volume, filters: Mapping[str, Any]) -> bool:
    for key, wanted in filters.items():
        if key == "metadata":
            if not isinstance(wanted, dict) or any(
                    volume.metadata.get(str(k)) != v for k, v in wanted.items()):
                return False
        elif isinstance(wanted, (list, tuple, set, frozenset)):
            if getattr(volume, MODEL_COLUMNS[key]) not in wanted:
                return False
        elif getattr(volume, MODEL_COLUMNS[key]) != wanted:
            return False
    return True


# Cinder hides migration targets (their migration_status) from non-admins.
MIGRATION_TARGET = ("migration_status", "target:")


def volume_source(store: Store) -> Source:
    return Source(store.volume_index, store.project_volumes, store.project_volume,
                  store.project_volume_keys, MIGRATION_TARGET)


def list_volumes(store: Store, caller: Caller, query: ListQuery,
                 filters: Mapping[str, Any], count: bool = True
                 ) -> tuple[list[Volume], int | None]:
    """One page of volumes in Cinder's order (default: newest first), and with ``count``
    how many volumes match the filters on all pages (Cinder's with_count).

    ``filters`` are the query's filters after volume_filter_values. The page and the
    count are read from the store's indexes (core/indexed_lists.py), so their cost
    does not grow with the project for the orders and filters it indexes.
    """
    authorize(caller, "volume:get_all")
    with store.lock:
        if query.matches_nothing or "metadata" in filters and not isinstance(
                filters["metadata"], dict):
            return [], 0 if count else None
        # A read of each volume in the list's scope.
        store.transitions.observe_scope(VOLUME_RECORD, None if query.all_tenants
                                        else caller.project_id)
        # Cinder reads the list with an elevated context (viewable_admin_meta), so the
        # marker may be another project's volume: its values place the page.
        marker = load_volume(store, admin_caller(), query.marker) if query.marker else None
        check_sort_keys(query, SORT_COLUMNS)
        projects = store.volume_projects() if query.all_tenants else [caller.project_id]
        lister = Lister(volume_source(store), query, SORT_COLUMNS, filters,
                        lambda volume: _volume_matches(volume, filters), caller.is_admin)
        total = lister.count(projects) if count else None
        return lister.page(projects, marker), total


def _snapshots_block_delete(store: Store, caller: Caller, volume: Volume, force: bool,
                            cascade: bool) -> bool:
    """Cinder's snapshot filters of a volume delete: without cascade any snapshot
    refuses it; with cascade (unless forced) snapshots that are not available or
    error do, and for non-admins snapshots of other projects too."""
    snapshots = store.volume_snapshots(volume.id)
    if not cascade:
        return bool(snapshots)
    if force:
        return False
    return any(s.status not in ("available", "error")
               or (not caller.is_admin and s.project_id != volume.project_id)
               for s in snapshots)


def delete_volume(store: Store, caller: Caller, volume_id: str, force: bool = False,
                  cascade: bool = False, failing: bool = False) -> None:
    """Cinder's volume delete: ``force`` (3.23; volume:force_delete, asked before
    volume:delete) skips the status condition; ``cascade`` deletes the volume's
    snapshots with it.

    The volume is ``deleting`` (its cascaded snapshots too) until the volume_delete
    transition ends: it is gone, or (``failing``) left in ``error_deleting``."""
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        if force:
            authorize(caller, "volume:force_delete", volume.project_id)
        authorize(caller, "volume:delete", volume.project_id)
        # Cinder's conditional update looks at the volume's own fields only: its
        # attachments go with it (volume_destroy) unless it is attached.
        if ((not force and volume.status not in DELETABLE_STATUSES)
                or volume.attach_status == ATTACHED or volume.group_id is not None
                or volume.migration_status not in (None, "deleting", "error", "success")
                or _snapshots_block_delete(store, caller, volume, force, cascade)):
            refused = "" if force else _DELETABLE_STATUS_TEXT
            raise InvalidVolume(f"Volume {refused} must not be migrating, attached, belong "
                                "to a group, have snapshots, awaiting a transfer, or be "
                                "disassociated from snapshots after volume transfer.")
        for snapshot in store.volume_snapshots(volume_id):
            snapshot.status = "deleting"  # cascade: the manager deletes them first
        store.transitions.begin("volume_delete", volume, failing=failing)


ATTACH_STATUSES = ["attached", "detached"]  # a list in Cinder's message, not a tuple
MIGRATION_STATUSES = ("migrating", "error", "success", "completing", "none", "starting")


def _check_reset_body(changes: dict[str, Any]) -> dict[str, Any]:
    """Cinder's reset_status_volume schema formats; returns the lower-cased update."""
    if not any(changes.get(k) for k in ("status", "attach_status", "migration_status")):
        raise BadRequest("Must specify 'status', 'attach_status' or 'migration_status' "
                         "for update.")
    checks = (("status", "Volume status", VOLUME_STATUSES),
              ("attach_status", "Volume attach status", ATTACH_STATUSES),
              ("migration_status", "Volume migration status", MIGRATION_STATUSES))
    update: dict[str, Any] = {}
    for key, label, valid in checks:
        value = changes.get(key)
        if not value:
            continue
        if value.lower() not in valid:
            raise BadRequest(f"{label}: {value} is invalid, valid statuses are: {valid!r}.")
        update[key] = value.lower()
    if update.get("migration_status") == "none":
        update["migration_status"] = None
    return update


def reset_status(store: Store, caller: Caller, volume_id: str, changes: dict[str, Any]) -> None:
    """The admin action os-reset_status (cinder/api/contrib/admin_actions.py): checks in
    Cinder's order: the body, the volume (404), its policy (403), the new status."""
    update = _check_reset_body(changes)
    with store.lock:
        volume = load_volume(store, caller, volume_id)
        authorize(caller, "volume_extension:volume_admin_actions:reset_status",
                  volume.project_id)
        # Cinder means ('deleting', 'error_deleting', 'detaching') but a missing comma
        # joins the last two, so only "deleting" is refused.
        if update.get("status") == "deleting":
            raise BadRequest("Cannot reset-state to deleting")
        attachments = store.volume_attachments(volume_id)
        if update.get("status") == "in-use" and not attachments:
            raise BadRequest("Cannot reset-state to in-use because volume does not have "
                             "any attachments.")
        for key, value in update.items():
            setattr(volume, key, value)
        volume.updated_at = store.clock.now()
        if update.get("attach_status") == "detached":
            # Cinder then detaches every attachment in its database (db.volume_detached
            # for each, as an admin: no attachment policy).
            from .attachments import detach_from_volume  # attachments imports this module
            for attachment in attachments:
                detach_from_volume(store, volume, attachment)


def update_volume(store: Store, caller: Caller, volume_id: str,
                  changes: dict[str, Any]) -> Volume:
    """Cinder's API.update: ``changes`` holds name, description and metadata (which
    replaces the volume's), as the handler cleaned them."""
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        authorize(caller, "volume:update", volume.project_id)  # a reader gets 403
        if volume.status == "maintenance":
            raise InvalidVolume("The volume cannot be updated during maintenance.")
        if "name" in changes:
            volume.name = changes["name"]
        if "description" in changes:
            volume.description = changes["description"]
        if "metadata" in changes:
            volume.metadata = dict(changes["metadata"])
        if changes:
            volume.updated_at = store.clock.now()
        return volume
