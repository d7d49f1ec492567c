"""Volume type management (Cinder's types_manage, types_extra_specs and
volume_type_access extensions): update, delete, extra specs and the access list of
private types. Creating and looking types up is in ``volumes.py``.

Every function takes the store's lock for its checks and writes together, and checks
everything before it changes anything.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import quotas
from .context import Caller
from .errors import BadRequest, Conflict, NotFound, VolumeTypeNotFound
from .models import TRUE_SPEC, VolumeType
from .policy import allows
from .store import Store
from .volumes import DEFAULT_TYPE_NAME, get_volume_type

# Extra specs non-admins see (Cinder's USER_VISIBLE_EXTRA_SPECS; the rest needs the
# admin-only volume_extension:types_extra_specs:read_sensitive).
USER_VISIBLE_EXTRA_SPECS = ("RESKEY:availability_zones", "multiattach", "replication_enabled")


def visible_extra_specs(volume_type: VolumeType, caller: Caller) -> dict[str, str | None]:
    specs = dict(volume_type.extra_specs)  # one step: views are built outside the lock
    if allows(caller, "volume_extension:types_extra_specs:read_sensitive"):
        return specs
    return {k: v for k, v in specs.items() if k in USER_VISIBLE_EXTRA_SPECS}


def _any_type(store: Store, type_id: str) -> VolumeType:
    """The type by id, whoever asks (Cinder's elevated lookups)."""
    found = store.volume_types.get(type_id)
    if found is None:
        raise VolumeTypeNotFound(type_id)
    return found


def in_use(store: Store, type_id: str) -> bool:
    """Whether any volume (of any project) has the type."""
    return any(v.volume_type_id == type_id for v in store.volumes.values())


# -- update and delete ----------------------------------------------------------------------------
def update_volume_type(store: Store, type_id: str, name: str | None,
                       description: str | None, is_public: bool | None) -> VolumeType:
    """Cinder's volume_types.update: None leaves a field as it is; a new name must be
    free, and the type's per-type quotas follow it (update_quota_resource)."""
    with store.lock:
        volume_type = _any_type(store, type_id)
        if name is not None and any(t.name == name and t.id != type_id
                                    for t in store.volume_types.values()):
            raise Conflict(f"Volume Type {name} already exists.")
        if name is not None and name != volume_type.name:
            quotas.rename_type_resources(store, volume_type.name, name)
            volume_type.name = name
        if description is not None:
            volume_type.description = description
        if is_public is not None:
            volume_type.is_public = is_public
        return volume_type


def delete_volume_type(store: Store, type_id: str) -> None:
    """Cinder's volume_types.destroy, in its order: the type must exist, not be the
    default type, not be the only one, and no volume may have it."""
    with store.lock:
        volume_type = _any_type(store, type_id)
        if volume_type.name == DEFAULT_TYPE_NAME:
            raise BadRequest(f"The volume type {type_id} is a default volume type and "
                             "cannot be deleted.")
        if len(store.volume_types) <= 1:
            raise BadRequest(f"The volume type {type_id} is the only currently defined "
                             "volume type and cannot be deleted.")
        # Cinder counts the groups that take the type too (its group_volume_type_mapping).
        if in_use(store, type_id) or any(type_id in g.volume_type_ids
                                         for g in store.groups.values()):
            raise BadRequest("Target volume type is still in use.")
        del store.volume_types[type_id]
        store.encryptions.pop(type_id, None)
        quotas.forget_type_resources(store, volume_type.name)


# -- extra specs ----------------------------------------------------------------------------------
def _check_not_in_use(store: Store, type_id: str) -> None:
    if in_use(store, type_id):
        raise BadRequest("Volume Type is currently in use.")


def _check_cacheable(volume_type: VolumeType, specs: Mapping[str, str | None]) -> None:
    """Cinder's _check_cacheable: cacheable and multiattach exclude each other (a new
    value of one against the other's new or current value)."""
    current = volume_type.extra_specs
    new_multiattach = specs.get("multiattach") == TRUE_SPEC
    new_cacheable = specs.get("cacheable") == TRUE_SPEC
    if ((new_multiattach and current.get("cacheable") == TRUE_SPEC)
            or (new_cacheable and current.get("multiattach") == TRUE_SPEC)
            or (new_cacheable and new_multiattach)):
        raise BadRequest("cacheable cannot be set with multiattach.")


def _extra_spec_key_not_found(type_id: str, key: str) -> NotFound:
    return NotFound(f"Volume Type {type_id} has no extra specs with key {key}.")


def list_extra_specs(store: Store, caller: Caller, type_id: str) -> dict[str, str | None]:
    with store.lock:
        return visible_extra_specs(get_volume_type(store, caller, type_id), caller)


def show_extra_spec(store: Store, caller: Caller, type_id: str, key: str) -> str | None:
    with store.lock:
        specs = list_extra_specs(store, caller, type_id)
        if key not in specs:
            raise _extra_spec_key_not_found(type_id, key)
        return specs[key]


def set_extra_specs(store: Store, caller: Caller, type_id: str,
                    specs: Mapping[str, str | None], uri_key: str | None = None) -> None:
    """POST types/{id}/extra_specs, or with ``uri_key`` PUT .../extra_specs/{key} (whose
    body must set that key): not while volumes have the type; a null value is kept as
    null, as Cinder keeps it."""
    with store.lock:
        _check_not_in_use(store, type_id)
        volume_type = get_volume_type(store, caller, type_id)
        if uri_key is None:
            _check_cacheable(volume_type, specs)
        elif uri_key not in specs:
            raise BadRequest("Request body and URI mismatch")
        volume_type.extra_specs.update(specs)


def delete_extra_spec(store: Store, caller: Caller, type_id: str, key: str) -> None:
    with store.lock:
        volume_type = get_volume_type(store, caller, type_id)
        _check_not_in_use(store, type_id)
        if key not in volume_type.extra_specs:
            raise _extra_spec_key_not_found(type_id, key)
        del volume_type.extra_specs[key]


# -- access of private types ----------------------------------------------------------------------
def _private_type(store: Store, type_id: str) -> VolumeType:
    volume_type = _any_type(store, type_id)
    if volume_type.is_public:
        raise BadRequest("Invalid volume type: Type access modification is not applicable "
                         "to public volume type.")
    return volume_type


def list_access(store: Store, caller: Caller, type_id: str) -> list[str]:
    with store.lock:
        volume_type = get_volume_type(store, caller, type_id)
        if volume_type.is_public:
            raise NotFound("Access list not available for public volume types.")
        return volume_type.access_projects


def add_access(store: Store, type_id: str, project_id: str) -> None:
    with store.lock:
        volume_type = _private_type(store, type_id)
        if project_id in volume_type.access_projects:
            raise Conflict(f"Volume type access for {type_id} / {project_id} combination "
                           "already exists.")
        volume_type.projects.append(project_id)


def remove_access(store: Store, type_id: str, project_id: str) -> None:
    with store.lock:
        volume_type = _private_type(store, type_id)
        if project_id not in volume_type.access_projects:
            raise NotFound(f"Volume type access not found for {type_id} / {project_id} "
                           "combination.")
        if project_id == volume_type.project_id:
            volume_type.project_id = None
        else:
            volume_type.projects.remove(project_id)
