"""The os-retype volume action (Cinder's API.retype, then its scheduler's and volume
manager's retype): the volume is ``retyping`` until the volume_retype transition
(core/transitions.py: at once by default) puts its previous status back.

The API's checks answer the caller (400, 403, 404, 413). What Cinder's scheduler and
volume manager refuse later (no backend for the new type, a migration the policy
forbids, snapshots in the way of a migration) is no error for the caller: the answer
is 202 and the volume goes back to its previous status with its old type, as in Cinder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import connection_info, quotas
from .backends import place_retyped_volume, type_zones
from .context import Caller, admin_caller
from .errors import InvalidInput, InvalidVolume
from .models import PROTOCOL_SPEC, Volume, VolumeType
from .policy import authorize
from .qos_specs import front_end_specs
from .scheduler import satisfies_extra_specs
from .store import Store
from .volume_actions import check_type_size_limits
from .volumes import get_volume, get_volume_type, lookup_volume_type

MIGRATION_POLICIES = ("never", "on-demand")
# Cinder's API.AVAILABLE_MIGRATION_STATUS: a volume in another migration cannot retype.
AVAILABLE_MIGRATION_STATUS = (None, "deleting", "error", "success")
_REFUSED = ("Retype needs volume to be in available or in-use state, not be part of an "
            "active migration or a consistency group, requested type has to be different "
            "that the one from the volume, and for in-use volumes front-end qos specs "
            "cannot change.")


def _encryption(store: Store, volume_type: VolumeType | None) -> tuple[object, ...] | None:
    found = store.encryptions.get(volume_type.id if volume_type else "")
    if found is None:
        return None
    return (found.provider, found.control_location, found.cipher, found.key_size)


def _qos_allows(store: Store, volume: Volume, old: VolumeType | None,
                new: VolumeType) -> bool:
    """Cinder's volume_qos_allows_retype: an in-use volume keeps its front-end QoS."""
    if volume.status == "available":
        return True
    if old is not None and old.qos_specs_id is not None and old.qos_specs_id == new.qos_specs_id:
        return True
    return front_end_specs(store, old) is None and front_end_specs(store, new) is None


def retype(store: Store, caller: Caller, volume_id: str, new_type_ref: str,
           migration_policy: str | None, failing: bool = False) -> None:
    """POST volumes/{id}/action os-retype (``failing``: the volume manager's retype fails,
    the volume keeps its type)."""
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        authorize(caller, "volume:retype", volume.project_id)
        # Cinder looks the type up elevated: private types too.
        new_type = lookup_volume_type(store, admin_caller(caller.project_id), new_type_ref)
        check_type_size_limits(new_type, volume.size)
        old_type = store.volume_types.get(volume.volume_type_id or "")
        if volume.multiattach != new_type.multiattach:
            if volume.status != "available":
                raise InvalidInput("Invalid volume_type passed, retypes affecting multiattach "
                                   "are only allowed on available volumes, the specified "
                                   "volume however currently has a status of: "
                                   f"{volume.status}.")
            if new_type.multiattach:
                authorize(caller, "volume:multiattach", volume.project_id)
        if new_type.multiattach and new_type.id in store.encryptions:
            raise InvalidInput("Retype requested both encryption and multi-attach, which is "
                               "not supported.")
        # Cinder's quota code reads the type as the caller: a private type the caller has
        # no access to is not found there.
        get_volume_type(store, caller, new_type.id)
        snapshots = store.volume_snapshots(volume.id)
        quotas.check_retype(store, volume.project_id, volume.size,
                            sum(s.size for s in snapshots), len(snapshots), new_type)
        if (volume.status not in ("available", "in-use")
                or volume.migration_status not in AVAILABLE_MIGRATION_STATUS
                or volume.group_id  # Cinder's expected group_id: (None, '')
                or volume.volume_type_id == new_type.id
                or not _qos_allows(store, volume, old_type, new_type)):
            raise InvalidVolume(_REFUSED)
        # Accepted: retyping, and the API sets multiattach whatever the outcome.
        volume.previous_status = volume.status
        volume.multiattach = new_type.multiattach
        outcome = None if failing and migration_policy != "on-demand" else _manager_outcome(
            store, volume, old_type, new_type, migration_policy or "never")
        changes, failure_changes = outcome or ({}, {})
        if changes and not failing:
            # Through the store, so its per-type usage counters follow the new type
            # (the volume's own when the manager is done: transitions reindexes it).
            for snapshot in snapshots:
                store.remove_snapshot(snapshot.id)
                snapshot.volume_type_id = new_type.id
                store.add_snapshot(snapshot)
        # The new type (and pool) is the volume's when the manager is done.
        store.transitions.begin("volume_retype", volume, failing=failing, changes=changes,
                                failure_changes=failure_changes)


def _fits(capabilities: Mapping[str, Any], new: VolumeType) -> bool:
    """Cinder's capabilities filter: whether a pool (its capabilities, as get_pools
    reports them) suits the new type (core/scheduler.py's operators). Protocols compare
    by the fake's aliases (ceph is rbd)."""
    specs = dict(new.extra_specs)
    wanted = specs.pop(PROTOCOL_SPEC, None)
    if wanted is not None:
        reported = capabilities.get(PROTOCOL_SPEC)
        variants = reported if isinstance(reported, list) else [reported]
        try:
            wanted_protocol = connection_info.normalize_protocol(wanted)
        except ValueError:
            return False
        if not any(_protocol_or_none(v) == wanted_protocol for v in variants):
            return False
    return satisfies_extra_specs(capabilities, specs)


def _protocol_or_none(name: Any) -> str | None:
    try:
        return connection_info.normalize_protocol(name) if isinstance(name, str) else None
    except ValueError:
        return None


def _manager_outcome(store: Store, volume: Volume, old: VolumeType | None,
                     new: VolumeType, policy: str
                     ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The scheduler's and volume manager's retype: the fields the volume takes when the
    manager succeeds and those a failure leaves, or None when the volume keeps its type
    (the scheduler finds no backend, or the manager refuses the migration).

    The scheduler keeps the volume on its pool when that pool passes Cinder's
    capabilities filter for the new type (``volume_backend_name``, ``storage_protocol``
    and every other unscoped extra spec), else, with policy ``on-demand``, moves it to
    the best pool that does, in the volume's zone (or the new type's zones). A move is
    a migration, and so is a retype in place that changes the encryption: ``never``
    forbids it and a volume with snapshots cannot make it. The volume is
    ``migrating`` meanwhile, then ``success`` on its new pool (driver-assisted, as the
    harness's memory driver migrates: no temporary volume), or ``error`` where it was.
    A migration gives the volume a new encryption key."""
    zones = type_zones(new) or [volume.availability_zone]
    destination = place_retyped_volume(store, volume, new,
                                       lambda capabilities: _fits(capabilities, new), zones,
                                       migration_allowed=policy == "on-demand")
    if destination is None:
        return None
    host, zone = destination
    changes: dict[str, Any] = {"volume_type_id": new.id}
    # A failing manager with policy on-demand falls back to a migration, which fails too.
    failure_changes: dict[str, Any] = {"migration_status": "error"} if policy == "on-demand" \
        else {}
    same_encryption = _encryption(store, old) == _encryption(store, new)
    if host == volume.host and same_encryption:
        return changes, failure_changes  # the driver retypes in place
    if policy == "never" or store.volume_snapshots(volume.id):
        return None
    volume.migration_status = "migrating"
    changes.update(host=host, availability_zone=zone, migration_status="success")
    if not same_encryption:
        changes["encryption_key_id"] = (store.clock.new_id() if new.id in store.encryptions
                                        else None)
    return changes, {"migration_status": "error"}
