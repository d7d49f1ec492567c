"""HTTP handlers of the quota sets (os-quota-sets) and the limits APIs."""

from __future__ import annotations

from typing import Any

from ..core import quotas as core
from ..core.errors import CinderError
from ..core.listing import bool_param
from ..core.policy import allows, authorize
from . import microversions as mv
from .routing import ApiRequest, Operation, Router

Result = tuple[int, Any]
LIMITS_ADMIN_FILTER = mv.APIVersion(3, 39)  # admins may ask for another project's limits
# Cinder's limits view: quota resource -> absolute limit name, and usage names.
ABSOLUTE_LIMITS = {"volumes": "maxTotalVolumes", "snapshots": "maxTotalSnapshots",
                   "gigabytes": "maxTotalVolumeGigabytes", "backups": "maxTotalBackups",
                   "backup_gigabytes": "maxTotalBackupGigabytes"}
USED_LIMITS = {"totalVolumesUsed": "volumes", "totalGigabytesUsed": "gigabytes",
               "totalSnapshotsUsed": "snapshots", "totalBackupsUsed": "backups",
               "totalBackupGigabytesUsed": "backup_gigabytes"}


def quota_show(req: ApiRequest) -> Result:
    project_id = req.params["quota_project_id"]
    authorize(req.caller, "volume_extension:quotas:show", project_id)
    with_usage = bool_param(req.args, "usage")
    quota_set = core.quota_set(req.fake.store, project_id, with_usage)
    return 200, {"quota_set": {**quota_set, "id": project_id}}


def quota_defaults(req: ApiRequest) -> Result:
    project_id = req.params["quota_project_id"]
    authorize(req.caller, "volume_extension:quotas:show", project_id)
    return 200, {"quota_set": {**core.defaults(req.fake.store), "id": project_id}}


def quota_update(req: ApiRequest) -> Result:
    project_id = req.params["quota_project_id"]
    authorize(req.caller, "volume_extension:quotas:update", project_id)
    if len(project_id) > 255:
        raise CinderError(f"quota_set_name has {len(project_id)} characters, more than 255.")
    limits = core.update_project(req.fake.store, project_id, req.body["quota_set"])
    return 200, {"quota_set": limits}


def limits_show(req: ApiRequest) -> Result:
    """GET /limits: the project's absolute limits and, for a caller passing
    limits_extension:used_limits (its reader), its usage; no rate limits."""
    project_id = req.caller.project_id
    with_usage = allows(req.caller, "limits_extension:used_limits")
    if req.version >= LIMITS_ADMIN_FILTER and req.caller.is_admin:
        project_id = req.args.get("project_id", req.args.get("tenant_id", project_id))
    store = req.fake.store
    with store.lock:
        limits = core.limits(store, project_id)
        used = core.usage(store, project_id)
    absolute = {name: limits[resource] for resource, name in ABSOLUTE_LIMITS.items()}
    if with_usage:
        absolute.update({name: used[resource] for name, resource in USED_LIMITS.items()})
    return 200, {"limits": {"rate": [], "absolute": absolute}}


def register(router: Router) -> None:
    show = ("volume_extension:quotas:show",)
    router.add("GET", "limits", Operation("limits_show", limits_show,
                                          policies=("limits_extension:used_limits",)))
    router.add("GET", "os-quota-sets/<quota_project_id>",
               Operation("quota_show", quota_show, policies=show))
    router.add("PUT", "os-quota-sets/<quota_project_id>",
               Operation("quota_update", quota_update, validates_body=True,
                         policies=("volume_extension:quotas:update",)))
    router.add("GET", "os-quota-sets/<quota_project_id>/defaults",
               Operation("quota_defaults", quota_defaults, policies=show))
