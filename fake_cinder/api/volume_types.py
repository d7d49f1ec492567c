"""HTTP handlers of volume type management (admins): update and delete, extra specs,
the access list of private types, and the os-retype volume action.

Each follows Cinder's order: the body's schema (dispatch), then the policy, then the
rules in core.volume_types and core.retype.
"""

from __future__ import annotations

from typing import Any

from ..core import retype as retype_rules
from ..core import volume_types as core
from ..core.errors import BadRequest
from ..core.listing import TRUE_STRINGS
from ..core.policy import authorize
from ..core.volumes import get_volume_type
from .routing import ApiRequest, Operation, Router
from .views import bare_accepted, volume_type_view
from .volumes import TYPE_VIEW_POLICIES

Result = tuple[int, Any]


def _type_id(req: ApiRequest) -> str:
    return req.params["type_id"]


# -- update and delete ----------------------------------------------------------------------------
def volume_type_update(req: ApiRequest) -> Result:
    body = req.body["volume_type"]
    authorize(req.caller, "volume_extension:type_update")
    name, description = body.get("name"), body.get("description")
    is_public = body.get("is_public")
    if is_public is not None:
        is_public = str(is_public).lower() in TRUE_STRINGS
    if name is not None and not name.strip():
        raise BadRequest("Volume type name can not be empty.")
    if name is None and description is None and is_public is None:
        raise BadRequest("Specify volume type name, description, is_public or a "
                         "combination thereof.")
    volume_type = core.update_volume_type(req.fake.store, _type_id(req), name, description,
                                          is_public)
    # Cinder's types_manage view: neither qos_specs_id nor the access extension's field.
    view = volume_type_view(volume_type, req.caller)
    view.pop("qos_specs_id", None)
    view.pop("os-volume-type-access:is_public", None)
    return 200, {"volume_type": view}


def volume_type_delete(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:type_delete")
    core.delete_volume_type(req.fake.store, _type_id(req))
    return 202, bare_accepted()


# -- extra specs ----------------------------------------------------------------------------------
def volume_type_extra_specs_list(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:types_extra_specs:index")
    return 200, {"extra_specs": core.list_extra_specs(req.fake.store, req.caller,
                                                      _type_id(req))}


def volume_type_extra_specs_create(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:types_extra_specs:create")
    core.set_extra_specs(req.fake.store, req.caller, _type_id(req), req.body["extra_specs"])
    return 200, req.body


def volume_type_extra_spec_show(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:types_extra_specs:show")
    key = req.params["key"]
    return 200, {key: core.show_extra_spec(req.fake.store, req.caller, _type_id(req), key)}


def volume_type_extra_spec_update(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:types_extra_specs:update")
    core.set_extra_specs(req.fake.store, req.caller, _type_id(req), req.body,
                         uri_key=req.params["key"])
    return 200, req.body


def volume_type_extra_spec_delete(req: ApiRequest) -> Result:
    # Cinder looks the type up before the policy.
    get_volume_type(req.fake.store, req.caller, _type_id(req))
    authorize(req.caller, "volume_extension:types_extra_specs:delete")
    core.delete_extra_spec(req.fake.store, req.caller, _type_id(req), req.params["key"])
    return 202, None


# -- access of private types ----------------------------------------------------------------------
def volume_type_access_list(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:volume_type_access:get_all_for_type")
    type_id = _type_id(req)
    projects = core.list_access(req.fake.store, req.caller, type_id)
    return 200, {"volume_type_access": [{"volume_type_id": type_id, "project_id": project}
                                        for project in projects]}


def volume_type_access_add(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:volume_type_access:addProjectAccess")
    core.add_access(req.fake.store, _type_id(req), req.body["addProjectAccess"]["project"])
    return 202, bare_accepted()


def volume_type_access_remove(req: ApiRequest) -> Result:
    authorize(req.caller, "volume_extension:volume_type_access:removeProjectAccess")
    core.remove_access(req.fake.store, _type_id(req),
                       req.body["removeProjectAccess"]["project"])
    return 202, bare_accepted()


# -- os-retype ------------------------------------------------------------------------------------
def volume_retype(req: ApiRequest) -> Result:
    body = req.body["os-retype"]
    retype_rules.retype(req.fake.store, req.caller, req.params["volume_id"], body["new_type"],
                        body.get("migration_policy"), failing=req.async_failure)
    return 202, None


def retype_action() -> dict[str, Operation]:
    """The os-retype entry of POST volumes/<volume_id>/action."""
    return {"os-retype": Operation("volume_retype", volume_retype, validates_body=True,
                         policies=("volume:get", "volume:retype", "volume:multiattach"))}


def register(router: Router) -> None:
    router.add("PUT", "types/<type_id>", Operation("volume_type_update", volume_type_update,
                                                   validates_body=True,
                         policies=("volume_extension:type_update", *TYPE_VIEW_POLICIES)))
    router.add("DELETE", "types/<type_id>", Operation("volume_type_delete", volume_type_delete,
                         policies=("volume_extension:type_delete",)))
    router.add("GET", "types/<type_id>/extra_specs",
               Operation("volume_type_extra_specs_list", volume_type_extra_specs_list,
                         policies=("volume_extension:types_extra_specs:index",
                                   "volume_extension:types_extra_specs:read_sensitive")))
    router.add("POST", "types/<type_id>/extra_specs",
               Operation("volume_type_extra_specs_create", volume_type_extra_specs_create,
                         validates_body=True,
                         policies=("volume_extension:types_extra_specs:create",)))
    router.add("GET", "types/<type_id>/extra_specs/<key>",
               Operation("volume_type_extra_spec_show", volume_type_extra_spec_show,
                         policies=("volume_extension:types_extra_specs:show",
                                   "volume_extension:types_extra_specs:read_sensitive")))
    router.add("PUT", "types/<type_id>/extra_specs/<key>",
               Operation("volume_type_extra_spec_update", volume_type_extra_spec_update,
                         validates_body=True,
                         policies=("volume_extension:types_extra_specs:update",)))
    router.add("DELETE", "types/<type_id>/extra_specs/<key>",
               Operation("volume_type_extra_spec_delete", volume_type_extra_spec_delete,
                         policies=("volume_extension:types_extra_specs:delete",)))
    router.add("GET", "types/<type_id>/os-volume-type-access",
               Operation("volume_type_access_list", volume_type_access_list,
                         policies=("volume_extension:volume_type_access:get_all_for_type",)))
    router.add_actions("types/<type_id>/action", {
        "addProjectAccess": Operation("volume_type_access_add", volume_type_access_add,
                                      validates_body=True,
                         policies=("volume_extension:volume_type_access:addProjectAccess",)),
        "removeProjectAccess": Operation("volume_type_access_remove", volume_type_access_remove,
                                         validates_body=True,
                         policies=("volume_extension:volume_type_access:removeProjectAccess",))})
