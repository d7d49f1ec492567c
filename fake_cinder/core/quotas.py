"""Cinder's quotas: the limits of a project, its usage, and the checks on create.

Cinder keeps usage counters that reservations move; the fake counts a project's usage
from what it stores (its volumes and snapshots, deleting ones until they are gone, as
Cinder's manager commits deletes), which cannot drift from the state. The one reservation
left open while Cinder's manager works is an extend's (core/transitions.py): its increase
is reserved until the extend ends. Every check runs under the store's lock together with
the create it guards, so parallel creates never exceed a quota.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import STATUS_MESSAGES, BadRequest, CinderError, InvalidInput
from .listing import DB_MAX_INT
from .models import VolumeType
from .store import Store

# Cinder's quota options (cinder/quota.py) in the order of its resources; the
# "default" quota class its database is created with holds the same values.
CINDER_DEFAULTS: dict[str, int] = {
    "volumes": 10, "per_volume_gigabytes": -1, "snapshots": 10, "gigabytes": 1000,
    "backups": 10, "backup_gigabytes": 1000,
}
GROUP_DEFAULTS: dict[str, int] = {"groups": 10}  # Cinder's separate group quota engine
# Every volume type has its own quotas of these, unlimited (-1) unless set.
TYPE_RESOURCES = ("volumes", "gigabytes", "snapshots")
# Keys a quota-set update may carry that are not quotas.
NON_QUOTA_KEYS = ("tenant_id", "id")
RETRY_AFTER = {"Retry-After": "0"}  # Cinder's QuotaError headers


class QuotaError(CinderError):
    """Cinder's QuotaError: a 413 with Retry-After 0 (repeated as retryAfter in the body).
    Cinder's fault middleware, which answers these, puts the exception's class name
    before the message: ``kind`` is that name."""

    status = 413

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}", headers=RETRY_AFTER)


def type_resource(part: str, volume_type: VolumeType) -> str:
    return f"{part}_{volume_type.name}"


def resource_names(store: Store) -> list[str]:
    """Every quota resource, in Cinder's order: the global ones, three per volume
    type (private types too), then groups."""
    with store.lock:
        names = list(CINDER_DEFAULTS)
        for volume_type in store.volume_types.values():
            names.extend(type_resource(part, volume_type) for part in TYPE_RESOURCES)
        return [*names, *GROUP_DEFAULTS]


def defaults(store: Store) -> dict[str, int]:
    """What a project without quotas of its own gets (Cinder's default quota class)."""
    with store.lock:
        values = {**CINDER_DEFAULTS, **GROUP_DEFAULTS}
        return {name: store.quota_defaults.get(name, values.get(name, -1))
                for name in resource_names(store)}


def limits(store: Store, project_id: str) -> dict[str, int]:
    with store.lock:
        own = store.project_quotas.get(project_id, {})
        return {name: own.get(name, value) for name, value in defaults(store).items()}


def usage(store: Store, project_id: str) -> dict[str, int]:
    """What the project uses of each resource: its volumes, and its snapshots, whose
    sizes count against gigabytes too (Cinder's no_snapshot_gb_quota is off)."""
    with store.lock:
        used = dict.fromkeys(resource_names(store), 0)
        types = store.volume_types
        # The store's counters: per kind and volume type, how many and how big.
        for (part, type_id), (count, size) in store.usage_counts(project_id).items():
            _count(used, part, count, size, types.get(type_id or ""))
        used["groups"] = sum(1 for g in store.groups.values() if g.project_id == project_id)
        return used


def reserved(store: Store, project_id: str) -> dict[str, int]:
    """What pending extends have reserved: their increase of gigabytes (Cinder commits it,
    or rolls it back, when its manager is done)."""
    with store.lock:
        held = dict.fromkeys(resource_names(store), 0)
        for record, changes in store.transitions.pending_changes("volume_extend"):
            if record.project_id != project_id or "size" not in changes:
                continue
            increase = changes["size"] - record.size
            held["gigabytes"] += increase
            volume_type = store.volume_types.get(getattr(record, "volume_type_id", "") or "")
            if volume_type is not None:
                held[type_resource("gigabytes", volume_type)] += increase
        return held


def consumed(store: Store, project_id: str) -> dict[str, int]:
    """In use and reserved: what Cinder's quota checks add a request to."""
    with store.lock:
        held = reserved(store, project_id)
        return {name: count + held.get(name, 0)
                for name, count in usage(store, project_id).items()}


def _count(used: dict[str, int], part: str, count: int, size: int,
           volume_type: VolumeType | None) -> None:
    used[part] += count
    used["gigabytes"] += size
    if volume_type is not None:
        for name, amount in ((part, count), ("gigabytes", size)):
            key = type_resource(name, volume_type)
            if key in used:
                used[key] += amount


def quota_set(store: Store, project_id: str, with_usage: bool = False) -> dict[str, Any]:
    """GET os-quota-sets/{project}: limits, or with usage {limit, in_use, reserved} each."""
    with store.lock:
        limit = limits(store, project_id)
        if not with_usage:
            return limit
        used = usage(store, project_id)
        held = reserved(store, project_id)
        return {name: {"limit": value, "in_use": used[name], "reserved": held[name]}
                for name, value in limit.items()}


# -- the checks on create -------------------------------------------------------------------------
def _deltas(part: str, size: int, volume_type: VolumeType | None) -> dict[str, int]:
    """Cinder's reserve options and add_volume_type_opts."""
    deltas = {part: 1, "gigabytes": size}
    if volume_type is not None:
        for name in (part, "gigabytes"):
            deltas[type_resource(name, volume_type)] = deltas[name]
    return deltas


def _reserve(store: Store, project_id: str, resource: str, size: int,
             deltas: Mapping[str, int]) -> None:
    """Cinder's quota_reserve and process_reserve_over_quota: the first exceeded
    resource in name order decides the message."""
    limit = limits(store, project_id)
    used = consumed(store, project_id)
    overs = sorted(name for name, delta in deltas.items()
                   if limit.get(name, -1) >= 0 and delta >= 0
                   and limit[name] < delta + used.get(name, 0))
    for over in overs:
        if "gigabytes" in over:
            raise QuotaError(
                "VolumeSizeExceedsAvailableQuota",
                f"Requested volume or snapshot exceeds allowed {over} quota. Requested "
                f"{size}G, quota is {limit[over]}G and {used[over]}G has been consumed.")
        if resource in over:
            if resource == "volumes":
                raise QuotaError("VolumeLimitExceeded",
                                 f"Maximum number of volumes allowed ({limit[over]}) "
                                 f"exceeded for quota '{over}'.")
            raise QuotaError("SnapshotLimitExceeded",
                             f"Maximum number of snapshots allowed ({limit[over]}) exceeded")
    if overs:
        raise QuotaError("UnexpectedOverQuota", f"Unexpected over quota on {', '.join(overs)}.")


def check_per_volume_limit(store: Store, project_id: str, size: int) -> None:
    per_volume = limits(store, project_id)["per_volume_gigabytes"]
    if 0 <= per_volume < size:
        raise QuotaError("VolumeSizeExceedsLimit",
                         f"Requested volume size {size}G is larger than maximum allowed "
                         f"limit {per_volume}G.")


def check_volume_create(store: Store, project_id: str, size: int,
                        volume_type: VolumeType | None) -> None:
    """Cinder's QuotaReserveTask: the per-volume size limit, then the reservation."""
    with store.lock:
        check_per_volume_limit(store, project_id, size)
        _reserve(store, project_id, "volumes", size, _deltas("volumes", size, volume_type))


def check_volume_extend(store: Store, caller_project_id: str, volume_project_id: str,
                        new_size: int, increase: int, volume_type: VolumeType | None) -> None:
    """Cinder's _extend: the per-volume limit (the caller's project), then the reservation
    of the increase (the volume's project), whose refusal always names the project's
    gigabytes quota, even when a volume type's was exceeded."""
    with store.lock:
        check_per_volume_limit(store, caller_project_id, new_size)
        deltas = {"gigabytes": increase}
        if volume_type is not None:
            deltas[type_resource("gigabytes", volume_type)] = increase
        limit = limits(store, volume_project_id)
        used = consumed(store, volume_project_id)
        if any(limit.get(name, -1) >= 0 and limit[name] < delta + used.get(name, 0)
               for name, delta in deltas.items()):
            raise QuotaError(
                "VolumeSizeExceedsAvailableQuota",
                "Requested volume or snapshot exceeds allowed gigabytes quota. Requested "
                f"{increase}G, quota is {limit['gigabytes']}G and {used['gigabytes']}G has "
                "been consumed.")


def check_snapshot_create(store: Store, project_id: str, size: int,
                          volume_type: VolumeType | None) -> None:
    with store.lock:
        _reserve(store, project_id, "snapshots", size, _deltas("snapshots", size, volume_type))


# -- setting quotas -------------------------------------------------------------------------------
def _integer(key: str, value: Any) -> int:
    """oslo's validate_integer between -1 and Cinder's DB_MAX_INT, with its messages
    (it reads the value's text: true is no integer, "5" is)."""
    try:
        number = int(str(value))
    except ValueError:
        raise BadRequest(f"{key} must be an integer") from None
    if number < -1:
        raise BadRequest(f"{key} must be >= -1")
    if number > DB_MAX_INT:
        raise BadRequest(f"{key} must be <= {DB_MAX_INT}")
    return number


def checked_quota_set(store: Store, values: Mapping[str, Any]) -> dict[str, int]:
    """Cinder's quota_set format: known resource names (or the ignored id keys), each
    an integer >= -1; returns the quotas to set."""
    known = set(resource_names(store))
    bad = [key for key in values if key not in known and key not in NON_QUOTA_KEYS]
    checked = {key: _integer(key, value) for key, value in values.items()
               if key in known}
    if bad:
        raise InvalidInput(f"Bad key(s) in quota set: {', '.join(bad)}")
    return checked


def update_project(store: Store, project_id: str, values: Mapping[str, Any]) -> dict[str, int]:
    """PUT os-quota-sets/{project}: Cinder refuses a limit below the usage only for
    resources the project already has a quota of its own for."""
    with store.lock:
        checked = checked_quota_set(store, values)
        own = store.project_quotas.get(project_id, {})
        used = usage(store, project_id)
        for key, value in checked.items():
            if key == "per_volume_gigabytes":
                continue
            if isinstance(values[key], str):
                # Cinder compares the value as sent with the usage: a TypeError, which
                # its API answers with WebOb's bare 400.
                raise BadRequest(STATUS_MESSAGES[400])
            if value == -1 or key not in own:
                continue
            if value < used.get(key, 0):
                raise BadRequest(
                    f"Quota {key} limit must be equal or greater than existing resources. "
                    f"Current usage is {used.get(key, 0)} and the requested limit is "
                    f"{values[key]}.")
        store.project_quotas.setdefault(project_id, {}).update(checked)
        return limits(store, project_id)


def set_quotas(store: Store, values: Mapping[str, Any], project_id: str | None = None) -> None:
    """Set limits (no usage check): a project's, or the defaults of every project."""
    with store.lock:
        checked = checked_quota_set(store, values)
        if project_id is None:
            store.quota_defaults.update(checked)
        else:
            store.project_quotas.setdefault(project_id, {}).update(checked)


# -- quota classes, a project's quotas deleted, volume types renamed or deleted ------------------
DEFAULT_CLASS = "default"  # Cinder's default quota class: store.quota_defaults


def class_quotas(store: Store, quota_class: str) -> dict[str, int]:
    """Cinder's get_class_quotas: the class's limits, the defaults for the rest."""
    with store.lock:
        own = (store.quota_defaults if quota_class == DEFAULT_CLASS
               else store.quota_classes.get(quota_class, {}))
        return {name: own.get(name, value) for name, value in defaults(store).items()}


def update_class(store: Store, quota_class: str, values: Mapping[str, Any]) -> dict[str, int]:
    """PUT os-quota-class-sets/{class}: known resource names only (Cinder's
    quota_class_set format); the "default" class is every project's defaults."""
    with store.lock:
        known = set(resource_names(store))
        bad = [key for key in values if key not in known]
        if bad:
            raise InvalidInput(f"Bad key(s) in quota class set: {', '.join(bad)}")
        checked = {key: int(value) for key, value in values.items()}
        if quota_class == DEFAULT_CLASS:
            store.quota_defaults.update(checked)
        else:
            store.quota_classes.setdefault(quota_class, {}).update(checked)
        return class_quotas(store, quota_class)


def delete_project(store: Store, project_id: str) -> None:
    """DELETE os-quota-sets/{project}: the project's limits go back to the defaults."""
    with store.lock:
        store.project_quotas.pop(project_id, None)


def _every_limit_set(store: Store) -> list[dict[str, int]]:
    return [store.quota_defaults, *store.quota_classes.values(),
            *store.project_quotas.values()]


def rename_type_resources(store: Store, old_name: str, new_name: str) -> None:
    """A renamed volume type's quotas keep their limits (Cinder's update_quota_resource)."""
    with store.lock:
        for limits in _every_limit_set(store):
            for part in TYPE_RESOURCES:
                old_key = f"{part}_{old_name}"
                if old_key in limits:
                    limits[f"{part}_{new_name}"] = limits.pop(old_key)


def forget_type_resources(store: Store, name: str) -> None:
    """A deleted volume type's quota resources are gone."""
    with store.lock:
        for limits in _every_limit_set(store):
            for part in TYPE_RESOURCES:
                limits.pop(f"{part}_{name}", None)


def check_retype(store: Store, project_id: str, size: int, snapshot_gigabytes: int,
                 snapshot_count: int, new_type: VolumeType) -> None:
    """Cinder's get_volume_type_reservation for a retype: only the new type's quotas,
    for the volume and its snapshots (which move with it)."""
    with store.lock:
        deltas = {type_resource("volumes", new_type): 1,
                  type_resource("gigabytes", new_type): size + snapshot_gigabytes}
        if snapshot_count:
            deltas[type_resource("snapshots", new_type)] = snapshot_count
        _reserve(store, project_id, "volumes", size, deltas)


def reserve_transfer_accept(store: Store, project_id: str, volume_size: int,
                            volume_type: VolumeType | None, snapshot_sizes: list[int]) -> None:
    """Cinder's transfer accept, for the receiving project, after the per-volume limit
    (``check_per_volume_limit``): the volume's reservation, then (when its snapshots go
    with it) theirs."""
    with store.lock:
        _reserve(store, project_id, "volumes", volume_size,
                 _deltas("volumes", volume_size, volume_type))
        if snapshot_sizes:
            size = sum(snapshot_sizes)
            deltas = _deltas("snapshots", size, volume_type)
            deltas.update((name, len(snapshot_sizes)) for name in deltas
                          if name.startswith("snapshots"))
            _reserve(store, project_id, "snapshots", size, deltas)
