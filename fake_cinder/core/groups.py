"""Generic volume groups (cinder/volume/group_types.py, cinder/group/api.py and the
volume manager's group methods): group types with their group specs, groups of volumes
and group snapshots.

The fake has no scheduler or volume manager running in the background: what Cinder's
manager finishes later (a group becoming ``available``, its volumes added or removed,
a group or group snapshot deleted) is done at once, under the store's lock, after the
API's checks. Every group lives on the fake's single backend, so adding a volume never
fails Cinder's "not local to this node" check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import backends, quotas
from .context import Caller
from .errors import BadRequest, Conflict, InvalidInput, InvalidVolume, NotFound
from .listing import ListQuery, check_sort_keys, sorted_after
from .models import (
    Group,
    GroupSnapshot,
    GroupType,
    Snapshot,
    Volume,
    record_from_dict,
    record_to_dict,
)
from .policy import authorize
from .store import Store
from .uuids import is_uuid_like
from .volumes import (
    create_volume,
    lookup_volume_type,
)

# Cinder's GroupStatus and the reset-status schemas' group snapshot statuses.
GROUP_STATUSES = ("error", "available", "creating", "deleting", "deleted", "updating",
                  "in-use", "error_deleting")
GROUP_SNAPSHOT_STATUSES = ("error", "available", "creating", "deleting", "deleted",
                           "updating", "error_deleting")
VALID_ADD_VOLUME_STATUSES = ("available", "in-use")
VALID_REMOVE_VOLUME_STATUSES = ("available", "in-use", "error", "error_deleting")
# Cinder's Group and GroupSnapshot columns (filters and sort keys) -> the fake's names.
GROUP_COLUMNS = {
    "id": "id", "user_id": "user_id", "project_id": "project_id", "host": "host",
    "availability_zone": "availability_zone", "name": "name", "description": "description",
    "group_type_id": "group_type_id", "status": "status",
    "group_snapshot_id": "group_snapshot_id", "source_group_id": "source_group_id",
    "created_at": "created_at", "updated_at": "updated_at",
}
GROUP_SNAPSHOT_COLUMNS = {
    "id": "id", "group_id": "group_id", "user_id": "user_id", "project_id": "project_id",
    "name": "name", "description": "description", "status": "status",
    "group_type_id": "group_type_id", "created_at": "created_at", "updated_at": "updated_at",
}
GROUP_TYPE_COLUMNS = {"id": "id", "name": "name", "description": "description",
                      "is_public": "is_public", "created_at": "created_at"}


class InvalidGroup(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid Group: {reason}")


class InvalidGroupSnapshot(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid GroupSnapshot: {reason}")


class GroupTypeNotFound(NotFound):
    def __init__(self, group_type_id: str) -> None:
        super().__init__(f"Group type {group_type_id} could not be found.")


class GroupNotFound(NotFound):
    def __init__(self, group_id: str) -> None:
        super().__init__(f"Group {group_id} could not be found.")


class GroupSnapshotNotFound(NotFound):
    def __init__(self, group_snapshot_id: str) -> None:
        super().__init__(f"GroupSnapshot {group_snapshot_id} could not be found.")


# -- group types ----------------------------------------------------------------------------------
# Cinder's database migrations create this type for consistency groups migrated to groups;
# groups of it are refused. Older than any other type (types list newest first).
CGSNAPSHOT_TYPE_NAME = "default_cgsnapshot_type"
CGSNAPSHOT_TYPE_CREATED_AT = "2000-01-01T00:00:00.000000"


def _ensure_cgsnapshot_type(store: Store) -> GroupType:
    """The migration's type, made on the API's first use of group types (as the
    __DEFAULT__ volume type is on first use)."""
    with store.lock:
        found = _find_type_by_name(store, CGSNAPSHOT_TYPE_NAME)
        if found is None:
            found = GroupType(id=store.clock.new_id(), name=CGSNAPSHOT_TYPE_NAME,
                              description="Default group type for migrating cgsnapshot",
                              group_specs={"consistent_group_snapshot_enabled": "<is> True"},
                              created_at=CGSNAPSHOT_TYPE_CREATED_AT)
            store.group_types[found.id] = found
        return found


def _check_not_cgsnapshot_type(store: Store, group_type_id: str) -> None:
    if group_type_id == _ensure_cgsnapshot_type(store).id:
        raise BadRequest(f"Group_type {group_type_id} is reserved for migrating CGs to "
                         "groups. Migrated group can only be operated by CG APIs.")


def _find_type_by_name(store: Store, name: str) -> GroupType | None:
    return next((t for t in store.group_types.values() if t.name == name), None)


def _type_by_name(store: Store, name: str) -> GroupType:
    found = _find_type_by_name(store, name)
    if found is None:
        raise NotFound(f"Group type with name {name} could not be found.")
    return found


def create_group_type(store: Store, caller: Caller | None, name: str,
                      group_specs: Mapping[str, Any] | None = None, is_public: bool = True,
                      description: str | None = None) -> GroupType:
    """A new group type (``caller`` None: the Python API's, unchecked)."""
    if caller is not None:
        authorize(caller, "group:group_types:create")
    with store.lock:
        if caller is not None:
            _ensure_cgsnapshot_type(store)
        if _find_type_by_name(store, name) is not None:
            raise Conflict(f"Group Type {name} already exists.")
        group_type = GroupType(id=store.clock.new_id(), name=name, description=description,
                               is_public=is_public,
                               group_specs={str(k): str(v) for k, v in
                                            (group_specs or {}).items() if v is not None},
                               created_at=store.clock.now())
        store.group_types[group_type.id] = group_type
        return group_type


def get_group_type(store: Store, group_type_id: str) -> GroupType:
    """Cinder's get_group_type: any type, public or not, by id (show is open to all)."""
    with store.lock:
        _ensure_cgsnapshot_type(store)
        group_type = store.group_types.get(group_type_id)
        if group_type is None:
            raise GroupTypeNotFound(group_type_id)
        return group_type


def default_group_type(store: Store) -> GroupType:
    """GET /group_types/default: Cinder's default_group_type option is unset (as in the
    conformance harness), so there is none."""
    raise NotFound("Default group type can not be found.")


def update_group_type(store: Store, caller: Caller, group_type_id: str, name: str | None,
                      description: str | None, is_public: bool | None) -> GroupType:
    authorize(caller, "group:group_types:update")
    if name is not None and name and not name.strip():
        raise BadRequest("Group type name can not be empty.")
    if name is None and description is None and is_public is None:
        raise BadRequest("Specify group type name, description or a combination thereof.")
    with store.lock:
        group_type = get_group_type(store, group_type_id)
        if name:
            other = _find_type_by_name(store, name)
            if other is not None and other.id != group_type.id:
                raise Conflict(f"Group Type {group_type_id} already exists.")
            group_type.name = name
        if description is not None:
            group_type.description = description
        if is_public is not None:
            group_type.is_public = is_public
        return group_type


def delete_group_type(store: Store, caller: Caller, group_type_id: str) -> None:
    authorize(caller, "group:group_types:delete")
    with store.lock:
        group_type = get_group_type(store, group_type_id)
        if any(g.group_type_id == group_type.id for g in store.groups.values()):
            raise BadRequest(f"Target group type is still in use. Group Type {group_type.id} "
                             "deletion is not allowed with groups present with the type.")
        del store.group_types[group_type.id]


def list_group_types(store: Store, caller: Caller, query: ListQuery,
                     is_public: bool | None) -> list[GroupType]:
    """Public types for non-admins; admins get ``is_public`` (None: all)."""
    with store.lock:
        _ensure_cgsnapshot_type(store)
        check_sort_keys(query, GROUP_TYPE_COLUMNS)
        shown = [t for t in store.group_types.values()
                 if is_public is None or t.is_public == is_public]
        marker = get_group_type(store, query.marker) if query.marker else None
        ordered = sorted_after(shown, query, GROUP_TYPE_COLUMNS, marker)
        return ordered[query.offset:query.offset + query.limit]


# -- group specs ----------------------------------------------------------------------------------
def group_specs(store: Store, caller: Caller, group_type_id: str) -> dict[str, str]:
    authorize(caller, "group:group_types_specs:get_all")
    with store.lock:
        return dict(get_group_type(store, group_type_id).group_specs)


def group_spec(store: Store, caller: Caller, group_type_id: str, key: str) -> str:
    authorize(caller, "group:group_types_specs:get")
    with store.lock:
        specs = get_group_type(store, group_type_id).group_specs
        if key not in specs:
            raise NotFound(f"Group Type {group_type_id} has no extra spec with key {key}.")
        return specs[key]


def set_group_specs(store: Store, caller: Caller | None, group_type_id: str,
                    specs: Mapping[str, Any], *, policy: str = "group:group_types_specs:create",
                    key: str | None = None) -> None:
    """Create or update specs; a single-key update names its key in the URL too."""
    if caller is not None:
        authorize(caller, policy)
    with store.lock:
        group_type = get_group_type(store, group_type_id)
        if key is not None and key not in specs:
            raise BadRequest("Request body and URI mismatch")
        # Cinder stores a null spec value as null; the fake keeps strings (a null is "").
        group_type.group_specs.update({str(k): "" if v is None else str(v)
                                       for k, v in specs.items()})


def delete_group_spec(store: Store, caller: Caller, group_type_id: str, key: str) -> None:
    authorize(caller, "group:group_types_specs:delete")
    with store.lock:
        group_type = get_group_type(store, group_type_id)
        if key not in group_type.group_specs:
            raise NotFound(f"Group Type {group_type_id} has no specs with key {key}.")
        del group_type.group_specs[key]


# -- groups ---------------------------------------------------------------------------------------
def get_group(store: Store, caller: Caller, group_id: str) -> Group:
    with store.lock:
        group = store.groups.get(group_id)
        if group is None or not caller.can_see(group.project_id):
            raise GroupNotFound(group_id)
        authorize(caller, "group:get", group.project_id)
        return group


def group_volumes(store: Store, group_id: str) -> list[Volume]:
    with store.lock:
        return [v for v in store.volumes.values() if v.group_id == group_id]


def _lookup_group_type(store: Store, name_or_id: str) -> GroupType:
    """Cinder's create: an id (then a name) when uuid-like, else a name."""
    _ensure_cgsnapshot_type(store)
    if not is_uuid_like(name_or_id):
        return _type_by_name(store, name_or_id)
    found = store.group_types.get(name_or_id) or _find_type_by_name(store, name_or_id)
    if found is None:
        raise GroupTypeNotFound(name_or_id)
    return found


def _check_group_quota(store: Store, project_id: str) -> None:
    allowed = quotas.limits(store, project_id)["groups"]
    used = sum(1 for g in store.groups.values() if g.project_id == project_id)
    if 0 <= allowed < used + 1:
        raise quotas.QuotaError("GroupLimitExceeded",
                                f"Maximum number of groups allowed ({allowed}) exceeded")


def create_group(store: Store, caller: Caller, group_type: str, volume_types: list[str],
                 name: str | None = None, description: str | None = None,
                 availability_zone: str | None = None) -> Group:
    """A new group, available at once: Cinder's checks in its order (the controller's
    group type name and migration type, the policy, the volume types, the group type,
    the zone, the groups quota)."""
    with store.lock:
        _ensure_cgsnapshot_type(store)
        named = group_type if is_uuid_like(group_type) else _type_by_name(store, group_type).id
        _check_not_cgsnapshot_type(store, named)
        authorize(caller, "group:create")
        type_ids: list[str] = []
        for requested in volume_types:
            volume_type = lookup_volume_type(store, caller, requested)
            if volume_type.id not in type_ids:
                type_ids.append(volume_type.id)
        found_type = _lookup_group_type(store, group_type)
        # Cinder's group API checks the zone against the volume services' zones.
        zone = availability_zone or backends.DEFAULT_ZONE
        if zone not in [name for name, _available in backends.availability_zones(store)]:
            raise BadRequest(f"Invalid input received: Availability zone '{zone}' is invalid.")
        _check_group_quota(store, caller.project_id)
        now = store.clock.now()
        group = Group(id=store.clock.new_id(), project_id=caller.project_id,
                      user_id=caller.user_id, group_type_id=found_type.id,
                      volume_type_ids=type_ids, name=name, description=description,
                      availability_zone=zone, created_at=now, updated_at=now)
        store.groups[group.id] = group
        return group


def create_group_from_source(store: Store, caller: Caller, name: str | None,
                             description: str | None, group_snapshot_id: str | None,
                             source_group_id: str | None) -> Group:
    """A group cloned from another group or made from a group snapshot: a new volume
    for each source volume or member snapshot (Cinder's create_from_src)."""
    authorize(caller, "group:create")
    with store.lock:
        group_snapshot = (get_group_snapshot(store, caller, group_snapshot_id)
                          if group_snapshot_id else None)
        source_group = get_group(store, caller, source_group_id) if source_group_id else None
        if group_snapshot is not None:
            members: list[Snapshot] = group_snapshot_members(store, group_snapshot.id)
            if not members:
                raise InvalidGroup("Group snapshot is empty. No group will be created.")
            template = store.groups.get(group_snapshot.group_id)
            type_id = group_snapshot.group_type_id
        else:
            assert source_group is not None
            volumes = group_volumes(store, source_group.id)
            if not volumes:
                raise InvalidGroup("Source Group is empty. No group will be created.")
            template = source_group
            type_id = source_group.group_type_id
        _check_group_quota(store, caller.project_id)
        now = store.clock.now()
        group = Group(id=store.clock.new_id(), project_id=caller.project_id,
                      user_id=caller.user_id, group_type_id=type_id,
                      volume_type_ids=list(template.volume_type_ids) if template else [],
                      name=name, description=description,
                      availability_zone=template.availability_zone if template else "nova",
                      group_snapshot_id=group_snapshot_id, source_group_id=source_group_id,
                      created_at=now, updated_at=now)
        store.groups[group.id] = group
        if group_snapshot is not None:
            for snapshot in members:
                volume = create_volume(store, caller, snapshot.size, name=snapshot.name,
                                       volume_type=snapshot.volume_type_id, snapshot=snapshot)
                volume.group_id = group.id
        else:
            for source in volumes:
                volume = create_volume(store, caller, source.size, name=source.name,
                                       volume_type=source.volume_type_id,
                                       source_volume=source)
                volume.group_id = group.id
        return group


def group_of_new_volume(store: Store, caller: Caller, group_id: str | None,
                        volume_type: str | None) -> Group | None:
    """The group a new volume is created in, checked as Cinder's create does: the group
    is the caller's, the volume names its type, one of the group's."""
    if group_id is None:
        return None
    with store.lock:
        group = get_group(store, caller, group_id)
        if not volume_type:
            raise InvalidInput("volume_type must be provided when creating a volume in a "
                               "group.")
        found = lookup_volume_type(store, caller, volume_type)
        if found.id not in group.volume_type_ids:
            raise InvalidInput(f"Invalid volume_type provided: {found.name} (requested type "
                               "must be supported by this group).")
        return group


def _split_ids(raw: str | None) -> list[str]:
    return raw.strip(",").split(",") if raw else []


def update_group(store: Store, caller: Caller, group_id: str, name: str | None,
                 description: str | None, add_volumes: str | None,
                 remove_volumes: str | None) -> Group:
    """Rename, describe, add and remove volumes, with Cinder's checks and texts."""
    with store.lock:
        group = get_group(store, caller, group_id)
        authorize(caller, "group:update", group.project_id)
        if name == group.name:
            name = None
        if description == group.description:
            description = None
        add_ids = _split_ids(add_volumes)
        remove_ids = _split_ids(remove_volumes)
        both = [uuid for uuid in add_ids if uuid in remove_ids]
        if both:
            raise InvalidVolume(f"UUIDs {both} are in both add and remove volume list.")
        members = group_volumes(store, group.id)
        to_add = _volumes_to_add(store, caller, group, members, add_ids) if add_ids else []
        to_remove = _volumes_to_remove(group, members, remove_ids) if remove_ids else []
        if name is None and description is None and not to_add and not to_remove:
            raise InvalidGroup(f"Cannot update group {group.id} because no valid name, "
                               "description, add_volumes, or remove_volumes were provided.")
        if (to_add or to_remove) and group.status != "available":
            raise InvalidGroup("Group status must be available.")
        if name is not None:
            group.name = name
        if description is not None:
            group.description = description
        for volume in to_add:
            volume.group_id = group.id
        for volume in to_remove:
            volume.group_id = None
        group.status = "available"
        group.updated_at = store.clock.now()
        return group


def _volumes_to_remove(group: Group, members: list[Volume],
                       remove_ids: list[str]) -> list[Volume]:
    found: list[Volume] = []
    for volume in members:
        if volume.id in remove_ids:
            if volume.status not in VALID_REMOVE_VOLUME_STATUSES:
                raise InvalidVolume(
                    f"Cannot remove volume {volume.id} from group {group.id} because volume "
                    f"is in an invalid state: {volume.status}. Valid states are: "
                    f"{VALID_REMOVE_VOLUME_STATUSES}.")
            found.append(volume)
    # Cinder looks each id up as a substring of the ids it found (a comma-joined string).
    joined = ",".join(v.id for v in found)
    for volume_id in remove_ids:
        if volume_id not in joined:
            raise InvalidVolume(f"Cannot remove volume {volume_id} from group {group.id} "
                                "because it is not in the group.")
    return found


def _volumes_to_add(store: Store, caller: Caller, group: Group, members: list[Volume],
                    add_ids: list[str]) -> list[Volume]:
    member_ids = {v.id for v in members}
    found: list[Volume] = []
    for volume_id in [i for i in add_ids if i not in member_ids]:
        volume = store.volumes.get(volume_id)
        # Volume.get_by_id with the caller's context: another project's is not found.
        if volume is None or not caller.can_see(volume.project_id):
            raise InvalidVolume(f"Cannot add volume {volume_id} to group {group.id} because "
                                "volume cannot be found.")
        prefix = f"Cannot add volume {volume.id} to group {group.id}"
        if volume.group_id:
            raise InvalidVolume(f"{prefix} because it is already in group {volume.group_id}.")
        if volume.project_id != group.project_id:
            raise InvalidVolume(f"{prefix} as they belong to different projects.")
        if not volume.volume_type_id:
            raise InvalidVolume(f"{prefix} because it has no volume type.")
        if volume.volume_type_id not in group.volume_type_ids:
            raise InvalidVolume(f"{prefix} because volume type {volume.volume_type_id} is "
                                "not supported by the group.")
        if volume.status not in VALID_ADD_VOLUME_STATUSES:
            raise InvalidVolume(f"{prefix} because volume is in an invalid state: "
                                f"{volume.status}. Valid states are: "
                                f"{VALID_ADD_VOLUME_STATUSES}.")
        found.append(volume)
    return found


def delete_group(store: Store, caller: Caller, group_id: str,
                 delete_volumes: bool = False) -> None:
    """Delete a group (and with ``delete_volumes`` its volumes), with Cinder's checks;
    the manager's part (the records going) follows at once."""
    with store.lock:
        group = get_group(store, caller, group_id)
        authorize(caller, "group:delete", group.project_id)
        if not delete_volumes and group.status not in ("available", "error"):
            raise InvalidGroup("Group status must be available or error, but current "
                               f"status is: {group.status}")
        if any(s.group_id == group.id for s in store.group_snapshots.values()):
            raise InvalidGroup("Group has existing snapshots.")
        volumes = group_volumes(store, group.id)
        if volumes and not delete_volumes:
            raise InvalidGroup(f"Group {group.id} still contains volumes. The delete-volumes "
                               "flag is required to delete it.")
        for volume in volumes:
            if volume.attach_status == "attached":
                raise InvalidGroup(f"Volume in group {group.id} is attached. Need to detach "
                                   "first.")
            if store.volume_snapshots(volume.id):
                raise InvalidGroup("Volume in group still has dependent snapshots.")
        if any(g.source_group_id == group.id and g.status == "creating"
               for g in store.groups.values()):
            raise InvalidGroup(
                f"Cannot delete group {group.id}. Group status must be available or error "
                "and must not have dependent group snapshots, and it cannot be the source "
                "for an ongoing group or group snapshot creation.")
        for volume in volumes:
            store.remove_volume(volume.id)
        del store.groups[group.id]


def checked_status(raw: str, snapshot: bool = False) -> str:
    """Cinder's group_status and group_snapshot_status formats (checked with the body,
    before the record is looked up). Both accept only group snapshot statuses; the
    group's message lists the group statuses."""
    kind = "GroupSnapshot Status" if snapshot else "Group Status"
    if not raw.strip():
        raise BadRequest(f"Invalid {kind}: The 'status' can not be empty.")
    if raw.lower() not in GROUP_SNAPSHOT_STATUSES:
        if snapshot:
            raise BadRequest(f"Invalid {kind}: Group snapshot status: {raw} is invalid, valid "
                             f"statuses are: {GROUP_SNAPSHOT_STATUSES}.")
        raise BadRequest(f"Invalid {kind}: Group status: {raw} is invalid, valid status are: "
                         f"{GROUP_STATUSES}.")
    return raw.lower()


def reset_group_status(store: Store, caller: Caller, group_id: str, status: str) -> Group:
    status = checked_status(status)
    with store.lock:
        group = get_group(store, caller, group_id)
        authorize(caller, "group:reset_status", group.project_id)
        group.status = status
        group.updated_at = store.clock.now()
        return group


def _matches(record: Any, filters: Mapping[str, str], columns: Mapping[str, str]) -> bool:
    return all(str(getattr(record, columns[key])) == wanted if key in columns else False
               for key, wanted in filters.items())


def list_groups(store: Store, caller: Caller, query: ListQuery) -> list[Group]:
    authorize(caller, "group:get_all")
    with store.lock:
        check_sort_keys(query, GROUP_COLUMNS)
        marker = get_group(store, caller, query.marker) if query.marker else None
        shown = [g for g in store.groups.values()
                 if query.all_tenants or g.project_id == caller.project_id]
        ordered = sorted_after(shown, query, GROUP_COLUMNS, marker)
        matching = [g for g in ordered if _matches(g, query.filters, GROUP_COLUMNS)]
        return matching[query.offset:query.offset + query.limit]


# -- group snapshots ------------------------------------------------------------------------------
def get_group_snapshot(store: Store, caller: Caller, group_snapshot_id: str) -> GroupSnapshot:
    with store.lock:
        found = store.group_snapshots.get(group_snapshot_id)
        if found is None or not caller.can_see(found.project_id):
            raise GroupSnapshotNotFound(group_snapshot_id)
        authorize(caller, "group:get_group_snapshot", found.project_id)
        return found


def group_snapshot_members(store: Store, group_snapshot_id: str) -> list[Snapshot]:
    with store.lock:
        return [s for s in store.snapshots.values()
                if s.group_snapshot_id == group_snapshot_id]


def create_group_snapshot(store: Store, caller: Caller, group_id: str, name: str | None,
                          description: str | None) -> GroupSnapshot:
    """A snapshot of every volume of the group, each a snapshot naming the group
    snapshot, counted against the snapshot quotas."""
    with store.lock:
        group = get_group(store, caller, group_id)
        authorize(caller, "group:create_group_snapshot", group.project_id)
        volumes = group_volumes(store, group.id)
        for volume in volumes:
            if volume.status not in ("available", "in-use"):
                raise InvalidVolume(f"Volume {volume.id} status must be available or in-use, "
                                    f"but current status is: {volume.status}.")
        now = store.clock.now()
        group_snapshot = GroupSnapshot(
            id=store.clock.new_id(), group_id=group.id, project_id=caller.project_id,
            group_type_id=group.group_type_id, user_id=caller.user_id, name=name,
            description=description, created_at=now, updated_at=now)
        members = []
        for volume in volumes:
            volume_type = store.volume_types.get(volume.volume_type_id or "")
            quotas.check_snapshot_create(store, volume.project_id, volume.size, volume_type)
            members.append(Snapshot(
                id=store.clock.new_id(), volume_id=volume.id, project_id=volume.project_id,
                user_id=caller.user_id, size=volume.size, name=name, description=description,
                created_at=now, updated_at=now, volume_type_id=volume.volume_type_id,
                encryption_key_id=volume.encryption_key_id,
                group_snapshot_id=group_snapshot.id))
            # Each member counts against the quota before the next is checked.
            store.add_snapshot(members[-1])
        store.group_snapshots[group_snapshot.id] = group_snapshot
        return group_snapshot


def delete_group_snapshot(store: Store, caller: Caller, group_snapshot_id: str) -> None:
    with store.lock:
        group_snapshot = get_group_snapshot(store, caller, group_snapshot_id)
        authorize(caller, "group:delete_group_snapshot", group_snapshot.project_id)
        if (group_snapshot.status not in ("available", "error")
                or any(g.group_snapshot_id == group_snapshot.id and g.status == "creating"
                       for g in store.groups.values())):
            raise InvalidGroupSnapshot(
                "GroupSnapshot status must be available or error, and no Group can be "
                "currently using it as source for its creation.")
        for snapshot in group_snapshot_members(store, group_snapshot.id):
            store.remove_snapshot(snapshot.id)
        del store.group_snapshots[group_snapshot.id]


def reset_group_snapshot_status(store: Store, caller: Caller, group_snapshot_id: str,
                                status: str) -> GroupSnapshot:
    status = checked_status(status, snapshot=True)
    with store.lock:
        group_snapshot = get_group_snapshot(store, caller, group_snapshot_id)
        authorize(caller, "group:reset_group_snapshot_status", group_snapshot.project_id)
        group_snapshot.status = status
        group_snapshot.updated_at = store.clock.now()
        return group_snapshot


def list_group_snapshots(store: Store, caller: Caller, query: ListQuery) -> list[GroupSnapshot]:
    authorize(caller, "group:get_all_group_snapshots")
    with store.lock:
        check_sort_keys(query, GROUP_SNAPSHOT_COLUMNS)
        marker = get_group_snapshot(store, caller, query.marker) if query.marker else None
        shown = [g for g in store.group_snapshots.values()
                 if query.all_tenants or g.project_id == caller.project_id]
        ordered = sorted_after(shown, query, GROUP_SNAPSHOT_COLUMNS, marker)
        matching = [g for g in ordered if _matches(g, query.filters, GROUP_SNAPSHOT_COLUMNS)]
        return matching[query.offset:query.offset + query.limit]


# -- state files ----------------------------------------------------------------------------------
SECTIONS = ("group_types", "groups", "group_snapshots")


def dump_groups(store: Store) -> dict[str, list[dict[str, Any]]]:
    """The groups' sections of a state, only those holding something."""
    with store.lock:
        state: dict[str, list[dict[str, Any]]] = {}
        for section, records in (("group_types", store.group_types),
                                 ("groups", store.groups),
                                 ("group_snapshots", store.group_snapshots)):
            if records:
                state[section] = [record_to_dict(r) for r in sorted(
                    records.values(), key=lambda r: (r.created_at, r.id))]
        return state


def state_problem(state: Mapping[str, Any]) -> tuple[str, str] | None:
    """What a schema cannot check in the groups' sections: duplicate ids and references
    (a group's type, a group snapshot's group, a volume's group); (JSON path, problem)."""
    known: dict[str, set[str]] = {}
    for section, kind in (("group_types", "group type"), ("groups", "group"),
                          ("group_snapshots", "group snapshot")):
        ids = known[section] = set()
        for index, data in enumerate(state.get(section, [])):
            if data["id"] in ids:
                return f"$.{section}[{index}].id", f"duplicate {kind} id {data['id']}"
            ids.add(data["id"])
    for section, key, target in (("groups", "group_type_id", "group_types"),
                                 ("group_snapshots", "group_id", "groups")):
        for index, data in enumerate(state.get(section, [])):
            if data[key] not in known[target]:
                return f"$.{section}[{index}].{key}", f"unknown {target[:-1]} {data[key]}"
    for index, data in enumerate(state.get("volumes", [])):
        if data.get("group_id") is not None and data["group_id"] not in known["groups"]:
            return f"$.volumes[{index}].group_id", f"unknown group {data['group_id']}"
    return None


def group_records(state: Mapping[str, Any], store: Store
                  ) -> tuple[list[GroupType], list[Group], list[GroupSnapshot]]:
    """Fresh records of the groups' sections (timestamps stamped when missing)."""
    def stamped(record: Any) -> Any:
        if not record.created_at:
            record.created_at = store.clock.now()
        return record

    return ([stamped(record_from_dict(GroupType, dict(d))) for d in state.get("group_types", [])],
            [stamped(record_from_dict(Group, dict(d))) for d in state.get("groups", [])],
            [stamped(record_from_dict(GroupSnapshot, dict(d)))
             for d in state.get("group_snapshots", [])])


def install(store: Store, records: tuple[list[GroupType], list[Group], list[GroupSnapshot]]
            ) -> None:
    types, groups, group_snapshots = records
    store.group_types.update((t.id, t) for t in types)
    store.groups.update((g.id, g) for g in groups)
    store.group_snapshots.update((s.id, s) for s in group_snapshots)
