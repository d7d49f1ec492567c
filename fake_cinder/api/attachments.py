"""HTTP handlers of the attachments API: translate, call the core, render."""

from __future__ import annotations

from typing import Any

from ..core import attachments as core
from ..core.listing import parse_list_query
from . import microversions as mv
from .fault_injection import FaultTargets
from .routing import ApiRequest, Handler, Operation, Router
from .views import attachment_detail, attachment_view, attachments_body

Result = tuple[int, Any]


def attachment_create(req: ApiRequest) -> Result:
    body = req.body["attachment"]
    mode = body.get("mode", "null") if req.version >= mv.ATTACH_MODE else "null"
    attachment = core.create_attachment(
        req.fake.store, req.caller, body["volume_uuid"], body.get("instance_uuid"),
        connector=body.get("connector"), attach_mode=mode)
    return 200, {"attachment": attachment_detail(attachment)}


def attachment_update(req: ApiRequest) -> Result:
    attachment = core.update_attachment(req.fake.store, req.caller, req.params["attachment_id"],
                                        req.body["attachment"]["connector"])
    return 200, {"attachment": attachment_detail(attachment)}


def attachment_complete(req: ApiRequest) -> Result:
    core.complete_attachment(req.fake.store, req.caller, req.params["attachment_id"])
    return 204, None


def attachment_delete(req: ApiRequest) -> Result:
    remaining = core.delete_attachment(req.fake.store, req.caller, req.params["attachment_id"],
                                       protect_in_use=req.fake.protect_in_use_attachments)
    return 200, attachments_body(remaining)


def attachment_show(req: ApiRequest) -> Result:
    attachment = core.show_attachment(req.fake.store, req.caller, req.params["attachment_id"])
    return 200, {"attachment": attachment_detail(attachment)}


def _list(req: ApiRequest, detail: bool) -> Result:
    query = parse_list_query(req.args, req.caller,
                             strict_filters=req.version >= mv.STRICT_FILTERS)
    # The views are built under the store's lock: no copy of each attachment needed.
    return 200, {"attachments": core.list_attachments(
        req.fake.store, req.caller, query, render=attachment_view(detail))}


def attachment_list(req: ApiRequest) -> Result:
    return _list(req, detail=False)


def attachment_list_detail(req: ApiRequest) -> Result:
    return _list(req, detail=True)


def _op(name: str, handler: Handler, *policies: str, minimum: mv.APIVersion = mv.NEW_ATTACH,
        validates_body: bool = False, validates_query: bool = False,
        fault_targets: FaultTargets | None = None) -> Operation:
    return Operation(name, handler, min_version=minimum, validates_body=validates_body,
                     validates_query=validates_query, policies=policies,
                     fault_targets=fault_targets)


def register(router: Router) -> None:
    # Cinder's attachment reads have no policy: its database shows a project its own.
    router.add("GET", "attachments", _op("attachment_list", attachment_list, validates_query=True))
    router.add("GET", "attachments/detail",
               _op("attachment_list_detail", attachment_list_detail, validates_query=True))
    router.add("POST", "attachments", _op(
        "attachment_create", attachment_create, "volume:attachment_create", validates_body=True,
        fault_targets=FaultTargets(body_volume=("attachment", "volume_uuid"))))
    router.add("GET", "attachments/<attachment_id>", _op("attachment_show", attachment_show))
    router.add("PUT", "attachments/<attachment_id>",
               _op("attachment_update", attachment_update, "volume:attachment_update",
                   validates_body=True))
    router.add("DELETE", "attachments/<attachment_id>",
               _op("attachment_delete", attachment_delete, "volume:attachment_delete"))
    router.add_actions("attachments/<attachment_id>/action", {
        "os-complete": _op("attachment_complete", attachment_complete, "volume:attachment_complete",
                           minimum=mv.ATTACH_COMPLETION, validates_body=True)})
