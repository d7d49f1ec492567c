"""The fake's storage backends and the services Cinder derives from them.

A backend is a cinder-volume service (host ``host@backend``) with its driver's pools
(``host@backend#pool``); one cinder-scheduler service runs beside them. Everything the
operator's API shows comes from these records and the volumes placed on the pools:
os-services, scheduler-stats/get_pools, capabilities, os-hosts, os-availability-zone,
and the scheduler's choices (core/scheduler.py).

The default state has one backend, today's: the LVM driver with its iSCSI target
(``fake-host@fake-backend#fake-pool``, core/connection_info.py's connection info).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from . import scheduler
from .errors import BadRequest, InvalidInput, NotFound
from .models import Backend, Pool, Service, Volume, VolumeType

if TYPE_CHECKING:
    from .store import Store

VOLUME_BINARY = "cinder-volume"
SCHEDULER_BINARY = "cinder-scheduler"
DEFAULT_HOST = "fake-host@fake-backend"
DEFAULT_POOL = "fake-pool"
SCHEDULER_HOST = "fake-host"
DEFAULT_ZONE = "nova"  # Cinder's storage_availability_zone
# Cinder's storage protocol variants (cinder/common/constants.py): a backend reporting one
# reports them all to the scheduler, the preferred first (the one the API shows).
PROTOCOL_VARIANTS = (("iSCSI", "iscsi"), ("FC", "fibre_channel", "fc"), ("NFS", "nfs"),
                     ("NVMe-oF", "NVMeOF", "nvmeof"))
# The volume manager adds cacheable: True to the pools of these protocols.
CACHEABLE_PROTOCOLS = frozenset(
    {"iSCSI", "iscsi", "FC", "fibre_channel", "fc", "NVMe-oF", "NVMeOF", "nvmeof",
     "NVMe-RoCE", "NVMe-FC", "NVMe-TCP"})
# The standard properties of every driver's capabilities (VolumeDriver._init_standard_capabilities).
STANDARD_PROPERTIES = {
    "thin_provisioning": {"title": "Thin Provisioning",
                          "description": "Sets thin provisioning.", "type": "boolean"},
    "compression": {"title": "Compression", "description": "Enables compression.",
                    "type": "boolean"},
    "qos": {"title": "QoS", "description": "Enables QoS.", "type": "boolean"},
    "replication_enabled": {"title": "Replication", "description": "Enables replication.",
                            "type": "boolean"},
}
# resource_filters.json "pool": the filters get_pools accepts from 3.33.
POOL_FILTERS = ("name", "volume_type")
# When the default state's services started (fixed: the default state dumps as nothing).
DEFAULT_STARTED = "2024-01-01T00:00:00.000000"


def default_backends() -> dict[str, Backend]:
    """The default state's one backend: LVM with the iSCSI target (core/connection_info.py)."""
    backend = Backend(host=DEFAULT_HOST, volume_backend_name="fake-backend",
                      pools=[Pool(name=DEFAULT_POOL)], created_at=DEFAULT_STARTED)
    return {backend.host: backend}


def default_scheduler() -> Service:
    return Service(host=SCHEDULER_HOST, created_at=DEFAULT_STARTED)


def protocol_variants(protocol: str) -> str | list[str]:
    """What the scheduler keeps of a reported storage_protocol (HostManager's
    get_storage_protocol_variants)."""
    for variants in PROTOCOL_VARIANTS:
        if protocol in variants:
            return list(variants)
    return protocol


def pool_host(backend: Backend, pool: Pool) -> str:
    return f"{backend.host}#{pool.name}"


def host_matches(host: str, value: str) -> bool:
    """Cinder's host filters (db _filter_host): with a ``#`` the pool exactly, with an
    ``@`` the backend and its pools, else also every backend of that host."""
    if host == value:
        return True
    if "#" in value:
        return False
    if host.startswith(value + "#"):
        return True
    return "@" not in value and host.startswith(value + "@")


def services(store: Store) -> list[Service | Backend]:
    """Every service, in Cinder's order (by creation): the scheduler, then the backends'."""
    return [store.scheduler, *store.backends.values()]


def is_schedulable(backend: Backend) -> bool:
    """The scheduler only places on backends whose service is up, enabled and not frozen."""
    return backend.state == "up" and not backend.disabled and not backend.frozen


def _usage(store: Store) -> dict[str, tuple[int, int]]:
    """Pool host -> (volumes, gigabytes) of the volumes placed on it (the store's
    counters: issue 24)."""
    return {host: (count, size) for host, (count, size) in store.pool_usage().items()}


def pool_capabilities(backend: Backend, pool: Pool, usage: tuple[int, int],
                      timestamp: str) -> dict[str, Any]:
    """What the scheduler holds of a pool (get_pools' ``capabilities``): its driver's
    report, the volume manager's additions, the backend's fields; storage_protocol as
    the list of its variants."""
    count, allocated = usage
    capabilities: dict[str, Any] = {
        "pool_name": pool.name, "total_capacity_gb": pool.total_capacity_gb,
        "free_capacity_gb": pool.total_capacity_gb - allocated,
        "allocated_capacity_gb": allocated, "provisioned_capacity_gb": allocated,
        "reserved_percentage": pool.reserved_percentage,
        "max_over_subscription_ratio": pool.max_over_subscription_ratio,
        "thin_provisioning_support": pool.thin_provisioning_support,
        "thick_provisioning_support": pool.thick_provisioning_support,
        "total_volumes": count, "multiattach": pool.multiattach,
        "QoS_support": pool.QoS_support, "backend_state": backend.backend_state,
    }
    capabilities.update(pool.capabilities)
    if backend.storage_protocol in CACHEABLE_PROTOCOLS:
        capabilities.setdefault("cacheable", True)
    capabilities.update(
        volume_backend_name=backend.volume_backend_name,
        storage_protocol=protocol_variants(backend.storage_protocol),
        vendor_name=backend.vendor_name, driver_version=backend.driver_version,
        timestamp=timestamp, filter_function=None, goodness_function=None)
    return capabilities


def _schedulable_pools(store: Store, timestamp: str = ""
                       ) -> Iterator[tuple[str, Backend, dict[str, Any]]]:
    """(pool host, backend, capabilities) of every pool the scheduler knows about;
    ``timestamp``: when they reported (placing a volume reads no clock)."""
    usage = _usage(store)
    for backend in store.backends.values():
        if not is_schedulable(backend):
            continue
        for pool in backend.pools:
            host = pool_host(backend, pool)
            yield host, backend, pool_capabilities(backend, pool, usage.get(host, (0, 0)),
                                                   timestamp)


def pools_overview(store: Store) -> list[dict[str, Any]]:
    """Every pool (schedulable or not) with its backend, capacity and use (the dashboard's)."""
    with store.lock:
        usage = _usage(store)
        return [{"name": pool_host(backend, pool), "backend": backend.host,
                 "total_capacity_gb": pool.total_capacity_gb,
                 "allocated_capacity_gb": usage.get(pool_host(backend, pool), (0, 0))[1],
                 "volumes": usage.get(pool_host(backend, pool), (0, 0))[0],
                 "schedulable": is_schedulable(backend)}
                for backend in store.backends.values() for pool in backend.pools]


# -- the scheduler --------------------------------------------------------------------------------
def type_zones(volume_type: VolumeType | None) -> list[str] | None:
    """The zones a type's ``RESKEY:availability_zones`` spec restricts its volumes to."""
    if volume_type is None:
        return None
    raw = volume_type.extra_specs.get("RESKEY:availability_zones")
    if raw is None:
        return None
    return [zone.strip() for zone in raw.split(",") if zone.strip()]


def check_availability_zone(store: Store, availability_zone: str | None,
                            volume_type: VolumeType | None) -> list[str]:
    """Cinder's create flow: the zone asked for (default: storage_availability_zone
    unless the type names zones) must be one of the volume services' zones (and of the
    type's). Returns the zones the scheduler may choose from."""
    known = [name for name, _available in availability_zones(store)]
    allowed = type_zones(volume_type)
    safe = known if allowed is None else [zone for zone in allowed if zone in known]
    if allowed is not None and not safe:
        raise BadRequest(f"The availability zones {allowed} from the volume type are invalid.")
    if availability_zone is None and allowed is None:
        availability_zone = DEFAULT_ZONE
    if availability_zone and availability_zone not in safe:
        raise BadRequest(f"Availability zone '{availability_zone}' is invalid.")
    return [availability_zone] if availability_zone else safe


def place_volume(store: Store, volume_type: VolumeType, size: int, zones: list[str],
                 resource_backend: str | None = None) -> tuple[str, str] | None:
    """The pool the scheduler puts a new volume on and its zone, or None when no pool
    fits (Cinder's NoValidBackend: the volume ends in ``error``). ``resource_backend``:
    the pool (or backend) it must be on, that of its source (a snapshot's volume)."""
    with store.lock:
        candidates = [(host, backend.availability_zone, capabilities)
                      for host, backend, capabilities in _schedulable_pools(store)
                      if resource_backend is None
                      or (host if "#" in resource_backend else backend.host) == resource_backend]
        return scheduler.choose_pool(candidates, volume_type.extra_specs, size, zones)


def place_retyped_volume(store: Store, volume: Volume, volume_type: VolumeType,
                         fits: Callable[[Mapping[str, Any]], bool], zones: list[str],
                         migration_allowed: bool) -> tuple[str, str] | None:
    """The pool (and zone) the scheduler keeps or moves a retyped volume to, or None
    (scheduler.choose_retype_pool); ``fits``: whether a pool's capabilities satisfy
    ``volume_type``."""
    with store.lock:
        candidates = [(host, backend.availability_zone, capabilities)
                      for host, backend, capabilities in _schedulable_pools(store)]
        return scheduler.choose_retype_pool(candidates, fits, volume_type.extra_specs,
                                            volume.size, zones, volume.host,
                                            migration_allowed)


def place_migrated_volume(store: Store, volume: Volume,
                          extra_specs: Mapping[str, str | None], wanted: str
                          ) -> tuple[str, str] | None:
    """The pool (and zone) of the backend or pool ``wanted`` an admin migrates a volume
    to, if the scheduler lets it take the volume (scheduler.choose_named_pool), in any
    zone (the migration's request names none); else None."""
    with store.lock:
        candidates = [(host, backend.availability_zone, capabilities)
                      for host, backend, capabilities in _schedulable_pools(store)]
        return scheduler.choose_named_pool(candidates, extra_specs, volume.size, [],
                                           wanted)


def no_valid_backend(store: Store, volume: Volume, request_id: str | None = None) -> None:
    """What Cinder's scheduler leaves besides the volume in ``error`` when no pool fits:
    a user message for the volume's project, "schedule allocate volume: Could not find
    any available weighted backend." (``request_id``: the create's)."""
    from . import messages  # messages builds on the store, which builds on this module

    messages.record(store, volume.project_id, messages.Action.SCHEDULE_ALLOCATE_VOLUME,
                    resource_uuid=volume.id, detail=messages.Detail.NO_BACKEND_AVAILABLE,
                    request_id=request_id)


# -- services (os-services) -----------------------------------------------------------------------
def list_services(store: Store, host: str | None = None,
                  binary: str | None = None) -> list[Service | Backend]:
    with store.lock:
        return [service for service in services(store)
                if (host is None or host_matches(service.host, host))
                and (binary is None or service.binary == binary)]


def find_service(store: Store, host: str, binary: str) -> Service | Backend:
    """Cinder's Service.get_by_args: the first service of that binary on the host."""
    with store.lock:
        found = list_services(store, host, binary)
        if not found:
            raise NotFound(f"Service {binary} could not be found on host {host}.")
        return found[0]


def pool_backend_states(store: Store) -> dict[str, str]:
    """Backend host -> the backend_state its pools report to the scheduler (only the
    schedulable backends: os-services shows null for the others, from 3.49)."""
    with store.lock:
        return {backend.host: backend.backend_state for backend in store.backends.values()
                if is_schedulable(backend) and backend.pools}


def disable_service(store: Store, host: str, binary: str, reason: str | None) -> None:
    """os-services/disable-log-reason: the service stops taking new volumes; a reason
    replaces the one it had."""
    with store.lock:
        service = find_service(store, host, binary)
        service.disabled = True
        if reason:
            service.disabled_reason = reason
        service.updated_at = store.clock.now()


def set_service(store: Store, host: str, binary: str = VOLUME_BINARY, *,
                disabled: bool | None = None, disabled_reason: str | None = None,
                state: str | None = None, frozen: bool | None = None) -> Service | Backend:
    """The Python API's way to change a service (Cinder 29's own enable and disable
    answer without changing it): ``state`` "down" stops its heartbeats."""
    with store.lock:
        service = find_service(store, host, binary)
        if disabled is not None:
            service.disabled = disabled
            service.disabled_reason = disabled_reason if disabled else None
        if state is not None:
            if state not in ("up", "down"):
                raise InvalidInput(f"state must be up or down, not {state!r}")
            service.state = state
        if frozen is not None:
            service.frozen = frozen
        service.updated_at = store.clock.now()
        return service


def _replication_services(store: Store, host: str | None,
                          cluster: str | None) -> list[Backend]:
    """volume.API's _get_cluster_and_services_for_replication (the fake has no clusters)."""
    found = [] if cluster else [b for b in store.backends.values()
                                if host is not None and host_matches(b.host, host)]
    if not found:
        raise BadRequest(f"No service found with host={host}" if host
                         else f"No service found with cluster={cluster}")
    if any(backend.host != found[0].host for backend in found):
        raise BadRequest("Services from different clusters found.")
    return found


def set_frozen(store: Store, host: str | None, cluster: str | None, frozen: bool) -> None:
    """os-services/freeze and thaw: a frozen backend is disabled (reason "frozen"); a
    thawed one enabled again."""
    with store.lock:
        backends = _replication_services(store, host, cluster)
        changed = [backend for backend in backends if backend.frozen is not frozen]
        if not changed:
            raise InvalidInput(f"No service could be changed: frozen in "
                               f"{[b.host for b in backends]} must be {not frozen} to failover.")
        now = store.clock.now()
        for backend in changed:
            backend.frozen = frozen
            backend.disabled = frozen
            backend.disabled_reason = "frozen" if frozen else ""
            backend.updated_at = now


# -- pools and capabilities -----------------------------------------------------------------------
def _equal_after_convert(capability: Any, value: str) -> bool:
    """HostManager._equal_after_convert: a query's string against a reported value."""
    if isinstance(capability, str) or capability is None:
        return value == capability
    if isinstance(capability, bool):
        return capability == (value.strip().lower() in ("1", "t", "true", "on", "y", "yes"))
    return str(value) == str(capability)


def get_pools(store: Store, name: str | None = None, filters: Mapping[str, str] | None = None,
              volume_type: VolumeType | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The scheduler's pools (name, capabilities), filtered by name, by reported
    capabilities and by what a volume type's extra specs ask."""
    with store.lock:
        pools = []
        for host, _backend, capabilities in _schedulable_pools(store, store.clock.now()):
            if name is not None and host != name:
                continue
            if any(not _equal_after_convert(capabilities.get(key), value)
                   for key, value in (filters or {}).items()):
                continue
            if volume_type is not None and not scheduler.satisfies_extra_specs(
                    capabilities, volume_type.extra_specs):
                continue
            pools.append((host, capabilities))
        return pools


def capabilities(store: Store, host: str) -> tuple[str, dict[str, Any]]:
    """GET /capabilities/{host}: the first cinder-volume service on the host, and its
    driver's capabilities (backend level: no pool)."""
    with store.lock:
        found = [b for b in store.backends.values() if host_matches(b.host, host)]
        if not found:
            raise NotFound(f"Can't find service: {host}")
        backend = found[0]
        return backend.host, {
            "vendor_name": backend.vendor_name,
            "volume_backend_name": backend.volume_backend_name,
            "pool_name": None, "driver_version": backend.driver_version,
            "storage_protocol": backend.storage_protocol, "display_name": None,
            "description": None, "visibility": None, "replication_targets": [],
            "properties": {key: dict(value) for key, value in STANDARD_PROPERTIES.items()},
        }


# -- hosts and availability zones -----------------------------------------------------------------
def list_hosts(store: Store, zone: str | None = None) -> list[Service | Backend]:
    """os-hosts: the enabled services (of one zone)."""
    with store.lock:
        return [service for service in services(store) if not service.disabled
                and (not zone or service.availability_zone == zone)]


def host_usage(store: Store, host: str) -> tuple[list[dict[str, Any]], str]:
    """GET /os-hosts/{host}: volumes and snapshots on the host's (enabled) volume
    service, in total and per project; the service's host."""
    with store.lock:
        found = [b for b in store.backends.values()
                 if not b.disabled and host_matches(b.host, host)]
        if not found:
            raise NotFound(f"Service {VOLUME_BINARY} could not be found on host {host}.")
        backend_host = found[0].host
        volumes = [v for v in store.volumes.values()
                   if v.host == backend_host or (v.host or "").startswith(backend_host + "#")]
        total_snapshots = [0, 0]
        rows = []
        for project_id in dict.fromkeys(v.project_id for v in volumes):
            mine = [v for v in volumes if v.project_id == project_id]
            ids = {v.id for v in mine}
            snapshots = [s for s in store.snapshots.values()
                         if s.volume_id in ids and s.project_id == project_id]
            snapshot_gb = sum(s.size for s in snapshots)
            total_snapshots[0] += len(snapshots)
            total_snapshots[1] += snapshot_gb
            rows.append(_usage_row(host, project_id, len(mine), sum(v.size for v in mine),
                                   len(snapshots), snapshot_gb))
        total = _usage_row(host, "(total)", len(volumes), sum(v.size for v in volumes),
                           *total_snapshots)
        return [total, *rows], backend_host


def _usage_row(host: str, project: str, volumes: int, volume_gb: int, snapshots: int,
               snapshot_gb: int) -> dict[str, Any]:
    return {"resource": {"host": host, "project": project, "volume_count": str(volumes),
                         "total_volume_gb": str(volume_gb), "snapshot_count": str(snapshots),
                         "total_snapshot_gb": str(snapshot_gb)}}


def availability_zones(store: Store) -> list[tuple[str, bool]]:
    """(zone, available) of the volume services' zones: available unless every
    service there is disabled."""
    with store.lock:
        zones: dict[str, bool] = {}
        for backend in store.backends.values():
            zones[backend.availability_zone] = (zones.get(backend.availability_zone, False)
                                                or not backend.disabled)
        return list(zones.items())


# -- the Python API and state files ---------------------------------------------------------------
def add_backend(store: Store, backend: Backend) -> Backend:
    """Add (or replace, by host) a backend: its service starts now."""
    if "@" not in backend.host or "#" in backend.host:
        raise ValueError(f"a backend's host is host@backend, not {backend.host!r}")
    if not backend.pools:
        raise ValueError(f"backend {backend.host} has no pools")
    names = [pool.name for pool in backend.pools]
    if len(set(names)) != len(names):
        raise ValueError(f"backend {backend.host} names a pool twice")
    with store.lock:
        now = store.clock.now()
        store.backends[backend.host] = replace(
            backend, created_at=backend.created_at or now)
        return store.backends[backend.host]


def backend_from_dict(data: Mapping[str, Any]) -> Backend:
    """A backend record from state-file data (pools as objects)."""
    from .models import record_from_dict
    fields = dict(data)
    pools = [record_from_dict(Pool, dict(pool)) for pool in fields.pop("pools", [])]
    return record_from_dict(Backend, {**fields, "pools": pools})


def install(store: Store, backends: Iterable[Backend], scheduler_service: Service | None) -> None:
    """Replace the backends (and the scheduler) of a loaded state; services a state file
    gave no start time started when the default state's did (a reset gives equal states)."""
    backends = list(backends)
    services: list[Backend | Service] = [*backends]
    if scheduler_service is not None:
        services.append(scheduler_service)
    with store.lock:
        for service in services:
            service.created_at = service.created_at or DEFAULT_STARTED
        store.backends = {backend.host: backend for backend in backends}
        if scheduler_service is not None:
            store.scheduler = scheduler_service
