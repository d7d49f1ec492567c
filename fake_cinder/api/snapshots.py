"""HTTP handlers of the snapshots API and its os-update_snapshot_status action."""

from __future__ import annotations

from typing import Any

from ..core import snapshots as core
from ..core.errors import BadRequest
from ..core.listing import TRUE_STRINGS, bool_param, parse_list_query
from ..core.models import Snapshot
from ..core.policy import allows
from ..core.volumes import get_volume
from . import microversions as mv
from .fault_injection import FaultTargets
from .routing import ApiRequest, Operation, Router
from .views import bare_accepted, next_link

Result = tuple[int, Any]
GROUP_SNAPSHOTS = mv.APIVersion(3, 14)        # group_snapshot_id
SNAPSHOT_LIST_METADATA_FILTER = mv.APIVersion(3, 22)
SNAPSHOT_SORT = mv.APIVersion(3, 30)          # sort by name
SNAPSHOT_LIST_USER_ID = mv.APIVersion(3, 41)  # user_id
SUPPORT_COUNT_INFO = mv.APIVersion(3, 45)     # with_count
USE_QUOTA = mv.APIVersion(3, 65)              # consumes_quota
SNAPSHOT_IN_USE = mv.APIVersion(3, 66)        # in-use volumes without force
EXTENDED = "os-extended-snapshot-attributes"
EXTENDED_POLICY = "volume_extension:extended_snapshot_attributes"
GET = "volume:get_snapshot"  # every lookup by id but the status updates' asks it (403)
SNAPSHOT_IN_USE_FLAG_MSG = (
    "Since microversion 3.66 the 'force' flag is invalid for this request.  For backward "
    "compatability, however, when the 'force' flag is passed with a value evaluating to "
    "True, it is silently ignored.")


def summary(snapshot: Snapshot) -> dict[str, Any]:
    return {"id": snapshot.id, "created_at": snapshot.created_at,
            "updated_at": snapshot.updated_at, "name": snapshot.name,
            "description": snapshot.description, "volume_id": snapshot.volume_id,
            "status": snapshot.status, "size": snapshot.size,
            "metadata": dict(snapshot.metadata)}


def detail(snapshot: Snapshot, version: mv.APIVersion, extended: bool) -> dict[str, Any]:
    """Cinder's v3 detail view; show and list detail add the extended attributes (their
    policy, volume_extension:extended_snapshot_attributes, lets every caller who may
    read snapshots: ``extended`` says whether it is asked)."""
    view = summary(snapshot)
    if version >= GROUP_SNAPSHOTS:
        view["group_snapshot_id"] = snapshot.group_snapshot_id
    if version >= SNAPSHOT_LIST_USER_ID:
        view["user_id"] = snapshot.user_id
    if version >= USE_QUOTA:
        view["consumes_quota"] = True
    if extended:
        view[f"{EXTENDED}:project_id"] = snapshot.project_id
        view[f"{EXTENDED}:progress"] = snapshot.progress
    return view


def _text(value: Any) -> Any:
    """Cinder's clean_name_and_description: strings are stripped."""
    return value.strip() if isinstance(value, str) else value


def snapshot_create(req: ApiRequest) -> Result:
    body = req.body["snapshot"]
    # The volume is looked up before the force flag is read.
    get_volume(req.fake.store, req.caller, str(body["volume_id"]))
    force = False
    if body.get("force") is not None:
        force = str(body["force"]).lower() in TRUE_STRINGS  # the schema allowed booleans only
        if req.version >= SNAPSHOT_IN_USE and not force:
            raise BadRequest(SNAPSHOT_IN_USE_FLAG_MSG)
    name = _text(body["name"]) if "name" in body else _text(body.get("display_name"))
    snapshot = core.create_snapshot(
        req.fake.store, req.caller, body["volume_id"], name=name,
        description=_text(body.get("description")), metadata=body.get("metadata"),
        force=force, allow_in_use=req.version >= SNAPSHOT_IN_USE, asynchronous=True,
        failing=req.async_failure)
    return 202, {"snapshot": detail(snapshot, req.version, extended=False)}


def snapshot_show(req: ApiRequest) -> Result:
    snapshot = core.show_snapshot(req.fake.store, req.caller, req.params["snapshot_id"])
    extended = allows(req.caller, EXTENDED_POLICY)
    return 200, {"snapshot": detail(snapshot, req.version, extended)}


def _list(req: ApiRequest, detailed: bool) -> Result:
    """Cinder's SnapshotsController._items: paging, sorting, filters, count, next link."""
    args = dict(req.args)
    with_count = req.version >= SUPPORT_COUNT_INFO and "with_count" in args
    show_count = with_count and bool_param(args, "with_count")
    if with_count:
        del args["with_count"]
    query = parse_list_query(args, req.caller, strict_filters=req.version >= mv.STRICT_FILTERS,
                             allowed_filters=core.ALLOWED_FILTERS,
                             columns=core.MODEL_COLUMNS, bool_all_tenants=True)
    if req.version < SNAPSHOT_LIST_METADATA_FILTER:
        query.filters.pop("metadata", None)
    if req.version < USE_QUOTA:
        query.filters.pop("consumes_quota", None)
    if req.version < SNAPSHOT_SORT and "name" in query.sort_keys:
        query.sort_keys = ["__name__" if k == "name" else k for k in query.sort_keys]
    core.rename_params(query)
    snapshots, total = core.list_snapshots(req.fake.store, req.caller, query,
                                           core.filter_values(query.filters), count=show_count)
    collection = "snapshots/detail" if detailed else "snapshots"
    if detailed:
        extended = allows(req.caller, EXTENDED_POLICY)
        items = [detail(s, req.version, extended) for s in snapshots]
    else:
        items = [summary(s) for s in snapshots]
    body: dict[str, Any] = {"snapshots": items}
    if snapshots and query.limit <= (total if show_count and total else len(snapshots)):
        body["snapshots_links"] = next_link(req, collection, snapshots[-1].id)
    if show_count:
        body["count"] = total
    return 200, body


def snapshot_list(req: ApiRequest) -> Result:
    return _list(req, detailed=False)


def snapshot_list_detail(req: ApiRequest) -> Result:
    return _list(req, detailed=True)


def snapshot_update(req: ApiRequest) -> Result:
    """Cinder's update: the v2 names win over the display_ ones when both are sent."""
    body = req.body["snapshot"]
    changes = {}
    for field, keys in (("name", ("name", "display_name")),
                        ("description", ("description", "display_description"))):
        sent = [key for key in keys if key in body]
        if sent:
            changes[field] = _text(body[sent[0]])
    snapshot = core.update_snapshot(req.fake.store, req.caller, req.params["snapshot_id"],
                                    changes)
    return 200, {"snapshot": detail(snapshot, req.version, extended=False)}


def snapshot_delete(req: ApiRequest) -> Result:
    core.delete_snapshot(req.fake.store, req.caller, req.params["snapshot_id"],
                         failing=req.async_failure)
    return 202, bare_accepted()


def snapshot_update_status(req: ApiRequest) -> Result:
    update = req.body["os-update_snapshot_status"]
    core.check_progress(update.get("progress"))
    core.update_status(req.fake.store, req.caller, req.params["snapshot_id"],
                       update["status"], update.get("progress"))
    return 202, bare_accepted()


def snapshot_reset_status(req: ApiRequest) -> Result:
    core.reset_status(req.fake.store, req.caller, req.params["snapshot_id"],
                      req.body["os-reset_status"]["status"])
    return 202, None


def snapshot_force_delete(req: ApiRequest) -> Result:
    core.delete_snapshot(req.fake.store, req.caller, req.params["snapshot_id"], force=True,
                         failing=req.async_failure)
    return 202, None


def register(router: Router) -> None:
    router.add("POST", "snapshots", Operation(
        "snapshot_create", snapshot_create, validates_body=True,
        policies=("volume:get", "volume:create_snapshot"),
        fault_targets=FaultTargets(body_volume=("snapshot", "volume_id"))))
    router.add("GET", "snapshots", Operation("snapshot_list", snapshot_list,
                                             policies=("volume:get_all_snapshots",)))
    router.add("GET", "snapshots/detail", Operation(
        "snapshot_list_detail", snapshot_list_detail,
        policies=("volume:get_all_snapshots", EXTENDED_POLICY)))
    router.add("GET", "snapshots/<snapshot_id>", Operation(
        "snapshot_show", snapshot_show, policies=(GET, EXTENDED_POLICY)))
    router.add("PUT", "snapshots/<snapshot_id>", Operation(
        "snapshot_update", snapshot_update, validates_body=True,
        policies=(GET, "volume:update_snapshot")))
    router.add("DELETE", "snapshots/<snapshot_id>", Operation(
        "snapshot_delete", snapshot_delete, policies=(GET, "volume:delete_snapshot")))
    router.add_actions("snapshots/<snapshot_id>/action", {
        "os-update_snapshot_status": Operation(
            "snapshot_update_status", snapshot_update_status, validates_body=True,
            policies=("snapshot_extension:snapshot_actions:update_snapshot_status",)),
        "os-reset_status": Operation(
            "snapshot_reset_status", snapshot_reset_status, validates_body=True,
            policies=("volume_extension:snapshot_admin_actions:reset_status",)),
        "os-force_delete": Operation(
            "snapshot_force_delete", snapshot_force_delete, validates_body=True,
            policies=(GET, "volume_extension:snapshot_admin_actions:force_delete",
                      "volume:delete_snapshot"))})
