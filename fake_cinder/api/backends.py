"""HTTP handlers of the operator's view of the backends: os-services, scheduler-stats,
capabilities, os-hosts and os-availability-zone (core/backends.py)."""

from __future__ import annotations

from typing import Any

from ..core import backends as core
from ..core.errors import BadRequest, InvalidInput
from ..core.listing import bool_param
from ..core.models import Backend, Service
from ..core.policy import authorize
from ..core.volumes import lookup_volume_type
from . import microversions as mv
from .routing import ApiRequest, Operation, Router

Result = tuple[int, Any]
CLUSTER_SUPPORT = mv.APIVersion(3, 7)        # services show their cluster
REPLICATION_CLUSTER = mv.APIVersion(3, 26)   # freeze and thaw take a cluster
POOL_FILTER = mv.APIVersion(3, 28)           # get_pools filters
RESOURCE_FILTER = mv.APIVersion(3, 31)       # only resource_filters.json's pool filters
POOL_TYPE_FILTER = mv.APIVersion(3, 35)      # get_pools by volume type
BACKEND_STATE_REPORT = mv.APIVersion(3, 49)  # cinder-volume services show backend_state


def service_view(service: Service | Backend, backend_states: dict[str, str],
                 version: mv.APIVersion, now: str) -> dict[str, Any]:
    """One service as os-services shows it; a live service reported just now."""
    view: dict[str, Any] = {
        "binary": service.binary, "host": service.host, "zone": service.availability_zone,
        "status": "disabled" if service.disabled else "enabled", "state": service.state,
        "updated_at": now if service.state == "up" else service.updated_at,
    }
    is_volume = isinstance(service, Backend)
    if version >= BACKEND_STATE_REPORT and is_volume:
        view["backend_state"] = backend_states.get(service.host)
    if version >= CLUSTER_SUPPORT:
        view["cluster"] = None
    view["disabled_reason"] = service.disabled_reason
    if isinstance(service, Backend):
        view.update(replication_status=service.replication_status,
                    active_backend_id=service.active_backend_id, frozen=service.frozen)
    return view


def service_list(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:services:index")
    store = req.fake.store
    with store.lock:
        found = core.list_services(store, req.args.get("host") or None, req.args.get("binary"))
        states = core.pool_backend_states(store)
        now = store.clock.now()
        return 200, {"services": [service_view(s, states, req.version, now) for s in found]}


def _service_request(req: ApiRequest) -> tuple[str, str, str, str]:
    """Host, and the service and binary as given, and the binary they name (binary wins)."""
    authorize(req.caller, "volume_extension:services:update")
    host = req.body.get("host")
    if not host:
        raise InvalidInput("Host field is missing.")
    service = req.body.get("service", "")
    binary = req.body.get("binary", "")
    return host, service, binary, binary or service


def _set_status(req: ApiRequest, disabled: bool) -> Result:
    """os-services/enable and disable: Cinder 29 finds the service and answers without
    changing it (its handlers never set ``disabled``)."""
    host, service, binary, binary_key = _service_request(req)
    core.find_service(req.fake.store, host, binary_key)
    return 200, {"host": host, "service": service, "binary": binary,
                 "status": "disabled" if disabled else "enabled", "disabled": disabled}


def service_enable(req: ApiRequest) -> Result:
    return _set_status(req, disabled=False)


def service_disable(req: ApiRequest) -> Result:
    return _set_status(req, disabled=True)


def service_disable_log_reason(req: ApiRequest) -> Result:
    host, service, binary, binary_key = _service_request(req)
    reason = req.body.get("disabled_reason")
    core.disable_service(req.fake.store, host, binary_key, reason)
    return 200, {"host": host, "service": service, "binary": binary, "status": "disabled",
                 "disabled": True, "disabled_reason": reason}


def _freeze_or_thaw(req: ApiRequest, frozen: bool) -> Result:
    authorize(req.caller, "volume_extension:services:update")
    if req.version >= REPLICATION_CLUSTER:
        cluster = req.body.get("cluster")
        problem = "One and only one of cluster and host must be set."
    else:
        cluster, problem = None, "Host field is missing."
    host = req.body.get("host")
    if bool(cluster) == bool(host):
        raise InvalidInput(problem)
    authorize(req.caller, "volume:freeze_host" if frozen else "volume:thaw_host")
    core.set_frozen(req.fake.store, host, cluster, frozen)
    return 200, None


def service_freeze(req: ApiRequest) -> Result:
    return _freeze_or_thaw(req, frozen=True)


def service_thaw(req: ApiRequest) -> Result:
    return _freeze_or_thaw(req, frozen=False)


def _shown_capabilities(capabilities: dict[str, Any]) -> dict[str, Any]:
    """The API shows one storage_protocol: the preferred of its variants."""
    protocol = capabilities.get("storage_protocol")
    if isinstance(protocol, list):
        return {**capabilities, "storage_protocol": protocol[0]}
    return capabilities


def pool_list(req: ApiRequest) -> Result:
    """GET /scheduler-stats/get_pools: the pools of the backends the scheduler uses."""
    authorize(req.caller, "scheduler_extension:scheduler_stats:get_pools")
    detail = bool_param(req.args, "detail")
    filters = {k: v for k, v in req.args.items() if k != "detail"}
    if req.version >= RESOURCE_FILTER:
        filters.pop("all_tenants", None)  # cinderclient always sends it (bug 1917574)
        invalid = [key for key in filters if key not in core.POOL_FILTERS]
        if invalid:
            raise BadRequest(f"Invalid filters {','.join(invalid)} are found in query options.")
    elif req.version < POOL_FILTER:
        filters.clear()
    if req.version < POOL_TYPE_FILTER:
        filters.pop("volume_type", None)
    name = filters.pop("name", None)
    type_ref = filters.pop("volume_type", None)
    store = req.fake.store
    with store.lock:
        volume_type = lookup_volume_type(store, req.caller, type_ref) if type_ref else None
        pools = core.get_pools(store, name, filters, volume_type)
    if detail:
        return 200, {"pools": [{"name": host, "capabilities": _shown_capabilities(caps)}
                               for host, caps in pools]}
    return 200, {"pools": [{"name": host} for host, _caps in pools]}


def capabilities_show(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:capabilities")
    backend_host, capabilities = core.capabilities(req.fake.store, req.params["host"])
    return 200, {"namespace": f"OS::Storage::Capabilities::{backend_host}", **capabilities}


def host_list(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:hosts")
    store = req.fake.store
    with store.lock:
        now = store.clock.now()
        hosts = [{"host_name": s.host, "service": s.binary, "zone": s.availability_zone,
                  "service-status": "available" if s.state == "up" else "unavailable",
                  "service-state": "disabled" if s.disabled else "enabled",
                  "last-update": now if s.state == "up" else s.updated_at}
                 for s in core.list_hosts(store, req.args.get("zone"))]
    return 200, {"hosts": hosts}


def host_show(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:hosts")
    rows, _backend_host = core.host_usage(req.fake.store, req.params["host"])
    return 200, {"host": rows}


def availability_zone_list(req: ApiRequest) -> Result:
    """GET /os-availability-zone: Cinder asks no policy."""
    return 200, {"availabilityZoneInfo": [
        {"zoneName": name, "zoneState": {"available": available}}
        for name, available in core.availability_zones(req.fake.store)]}


def register(router: Router) -> None:
    router.add("GET", "os-services",
               Operation("service_list", service_list, validates_query=True,
                         policies=("volume_extension:services:index",)))
    for action, name, handler, policies in (
            ("enable", "service_enable", service_enable,
             ("volume_extension:services:update",)),
            ("disable", "service_disable", service_disable,
             ("volume_extension:services:update",)),
            ("disable-log-reason", "service_disable_log_reason", service_disable_log_reason,
             ("volume_extension:services:update",)),
            ("freeze", "service_freeze", service_freeze,
             ("volume_extension:services:update", "volume:freeze_host")),
            ("thaw", "service_thaw", service_thaw,
             ("volume_extension:services:update", "volume:thaw_host"))):
        router.add("PUT", f"os-services/{action}",
                   Operation(name, handler, validates_body=True, policies=policies))
    router.add("GET", "scheduler-stats/get_pools",
               Operation("pool_list", pool_list, validates_query=True,
                         policies=("scheduler_extension:scheduler_stats:get_pools",)))
    router.add("GET", "capabilities/<host>",
               Operation("capabilities_show", capabilities_show,
                         policies=("volume_extension:capabilities",)))
    router.add("GET", "os-hosts", Operation("host_list", host_list, validates_query=True,
                                            policies=("volume_extension:hosts",)))
    router.add("GET", "os-hosts/<host>", Operation("host_show", host_show,
                                                   policies=("volume_extension:hosts",)))
    router.add("GET", "os-availability-zone",
               Operation("availability_zone_list", availability_zone_list, policies=()))
