"""os-migrate_volume (admins): Cinder's API.migrate_volume, its scheduler's
migrate_volume (backend_passes_filters) and the volume manager's driver-assisted
migrate_volume, finished at once.

The API's checks answer the caller: the volume (404), the policy (403), a host or (from
3.16) a cluster, exactly one (400), the destination's service (up and enabled, else 400
"No available service named ..."), then the volume (available or in-use, not migrating,
no snapshots, in no group, not already on that host: 400). What the scheduler refuses
(the destination's pools lack room or the capabilities the volume's type asks) is no
error for the caller: 202, and ``migration_status`` is ``error``, the volume where it
was. Otherwise the volume moves to the destination's best pool (or the pool named), in
any zone, with ``migration_status`` ``success``; its status and type do not change. With
``lock_volume`` an available volume would be ``maintenance`` while it migrates: the
fake's migration is over before the answer, so it is never seen (nor are ``starting``
and ``migrating``: os-migrate_volume is no transition of core/transitions.py, which
always show a transitional status, and has no injected asynchronous failure).
"""

from __future__ import annotations

from .backends import place_migrated_volume
from .context import Caller
from .errors import BadRequest, InvalidInput, InvalidVolume
from .policy import authorize
from .retype import AVAILABLE_MIGRATION_STATUS
from .store import Store
from .volumes import get_volume

MIGRATE_POLICY = "volume_extension:volume_admin_actions:migrate_volume"
_REFUSED = ("Volume {} status must be available or in-use, must not be migrating, have "
            "snapshots, be replicated, be part of a group and destination host/cluster must "
            "be different than the current one")


def migrate_volume(store: Store, caller: Caller, volume_id: str, host: str | None,
                   cluster: str | None = None, *, clusters: bool = True) -> None:
    """POST volumes/{id}/action os-migrate_volume to ``host`` (``h@b`` or ``h@b#pool``)
    or ``cluster`` (``clusters``: from 3.16, exactly one of them; before, a host)."""
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        authorize(caller, MIGRATE_POLICY, volume.project_id)
        # Cinder's common.get_cluster_host.
        if not clusters:
            cluster = None
        if bool(cluster) == bool(host):
            raise InvalidInput("One and only one of cluster and host must be set."
                               if clusters else "Host field is missing.")
        backend = store.backends.get((host or "").partition("#")[0])
        # Service.get_by_id(is_up=True, disabled=False): the fake has no clusters.
        if cluster or backend is None or backend.state != "up" or backend.disabled:
            raise BadRequest(f"Invalid host: No available service named '{cluster or host}'")
        if (volume.status not in ("available", "in-use")
                or volume.migration_status not in AVAILABLE_MIGRATION_STATUS
                or volume.group_id is not None or volume.host == host
                or store.volume_snapshots(volume.id)):
            raise InvalidVolume(_REFUSED.format(volume.id))
        volume_type = store.volume_types.get(volume.volume_type_id or "")
        destination = place_migrated_volume(
            store, volume, volume_type.extra_specs if volume_type else {}, host or "")
        volume.previous_status = volume.status
        volume.updated_at = store.clock.now()
        if destination is None:
            volume.migration_status = "error"
            return
        volume.host, volume.availability_zone = destination
        volume.migration_status = "success"
