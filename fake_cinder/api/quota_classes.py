"""HTTP handlers of quota classes (os-quota-class-sets, admins only; the "default"
class is every project's defaults) and of a project's quotas deleted
(DELETE os-quota-sets/{project})."""

from __future__ import annotations

from typing import Any

from ..core import quotas as core
from ..core.errors import CinderError
from ..core.policy import authorize
from .routing import ApiRequest, Operation, Router

Result = tuple[int, Any]


def quota_class_show(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:quota_classes:get")
    quota_class = req.params["quota_class"]
    limits = core.class_quotas(req.fake.store, quota_class)
    return 200, {"quota_class_set": {**limits, "id": quota_class}}


def quota_class_update(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:quota_classes:update")
    quota_class = req.params["quota_class"]
    if len(quota_class) > 255:
        raise CinderError(f"quota_class_name has {len(quota_class)} characters, more than 255.")
    limits = core.update_class(req.fake.store, quota_class, req.body["quota_class_set"])
    return 200, {"quota_class_set": limits}


def quota_delete(req: ApiRequest) -> Result:
    project_id = req.params["quota_project_id"]
    authorize(req.caller, "volume_extension:quotas:delete", project_id)
    core.delete_project(req.fake.store, project_id)
    return 200, None


def register(router: Router) -> None:
    router.add("GET", "os-quota-class-sets/<quota_class>",
               Operation("quota_class_show", quota_class_show,
                         policies=("volume_extension:quota_classes:get",)))
    router.add("PUT", "os-quota-class-sets/<quota_class>",
               Operation("quota_class_update", quota_class_update, validates_body=True,
                         policies=("volume_extension:quota_classes:update",)))
    router.add("DELETE", "os-quota-sets/<quota_project_id>",
               Operation("quota_delete", quota_delete,
                         policies=("volume_extension:quotas:delete",)))
