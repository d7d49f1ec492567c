"""Nova's os-volume_attachments under /compute/v2.1/servers/{server_id}
(core/server_volumes.py runs the Cinder calls Nova makes).

Microversions as Nova 34: ``tag`` from 2.49 (shown from 2.70), ``delete_on_termination``
from 2.79 (updatable from 2.85), ``attachment_id`` and ``bdm_uuid`` from 2.89 (in
place of ``id``), multiattach volumes from 2.60, and from 2.101 an attach answers 202
without a body. Errors are Nova's error bodies (``{"badRequest": {...}}``), which have
Cinder's shape. Each Cinder call made is journaled as if Nova had sent it.
"""

from __future__ import annotations

import json
import random
from typing import Any

from werkzeug.wrappers import Response

from ..core import server_volumes as core
from ..core.clock import uuid4_text
from ..core.directory import Server, get_server
from ..core.errors import BadRequest
from ..core.journal import DELETED, Entry
from ..core.models import BlockDeviceMapping
from . import compute_microversions as cmv
from .compute import PREFIX, compute_caller
from .keystone import directory
from .microversions import APIVersion
from .openapi import RouteDoc, documented
from .routing import Router, WebRequest, oslo_json_loads

JSON = "application/json"
TAG = APIVersion(2, 49)
TAG_SHOWN = APIVersion(2, 70)
DELETE_ON_TERMINATION = APIVersion(2, 79)
DELETE_ON_TERMINATION_UPDATE = APIVersion(2, 85)
ATTACHMENT_IDS = APIVersion(2, 89)
NO_ATTACH_BODY = APIVersion(2, 101)
MULTIATTACH = APIVersion(2, 60)
SHELVED = APIVersion(2, 20)  # attach and detach of shelved servers
# What nova.volume.cinder asks Cinder for: the attachments API at 3.44, volume actions at
# cinderclient's default.
ATTACHMENTS_VERSION = "3.44"
ACTIONS_VERSION = "3.0"
ROOT = f"{PREFIX}/v2.1/servers/<server_id>/os-volume_attachments"


def _json(body: Any, version: APIVersion, status: int = 200) -> Response:
    response = Response(json.dumps(body) if body is not None else b"", status=status,
                        content_type=JSON)
    cmv.add_headers(response.headers, version)
    return response


def _server(req: WebRequest) -> Server:
    return get_server(directory(req.fake), compute_caller(req), req.params["server_id"])


def view(mapping: BlockDeviceMapping, version: APIVersion) -> dict[str, Any]:
    """_translate_attachment_detail_view."""
    body: dict[str, Any] = {}
    if version < ATTACHMENT_IDS:
        body["id"] = mapping.volume_id
    body.update(volumeId=mapping.volume_id, serverId=mapping.server_id)
    if mapping.device:
        body["device"] = mapping.device
    if version >= TAG_SHOWN:
        body["tag"] = mapping.tag
    if version >= DELETE_ON_TERMINATION:
        body["delete_on_termination"] = mapping.delete_on_termination
    if version >= ATTACHMENT_IDS:
        body.update(attachment_id=mapping.attachment_id, bdm_uuid=mapping.id)
    return body


def _journal(req: WebRequest, project_id: str) -> core.Record:
    """Journal each Cinder call as Nova's own request to Cinder, at once (so the
    attachment's status recorded is the one right after that call)."""
    store, journal = req.fake.store, req.fake.journal

    def record(call: core.CinderCall) -> None:
        status = None
        if call.attachment_id is not None:
            stored = store.attachments.get(call.attachment_id)
            status = stored.attach_status if stored is not None else (
                DELETED if call.operation == "attachment_delete" else None)
        journal.record(Entry(
            method=call.method, path=f"/v3/{project_id}/{call.path}", query="",
            operation=call.operation, project_id=project_id,
            microversion=(ATTACHMENTS_VERSION if call.operation.startswith("attachment")
                          else ACTIONS_VERSION),
            status=call.status,
            raw_body=json.dumps(call.body).encode() if call.body is not None else b"",
            request_id="req-" + uuid4_text(random.getrandbits(128)),
            fault=None, attachment_id=call.attachment_id,
            attachment_status=status, raw_response=b""))

    return record


def _body(req: WebRequest, operation: str) -> dict[str, Any]:
    try:
        body = oslo_json_loads(req.http.get_data(cache=True) or b"null")
    except ValueError:
        raise BadRequest("Malformed request body") from None
    req.fake.schemas.validate(operation, "request", cmv.MIN_VERSION, body)
    found: dict[str, Any] = body["volumeAttachment"]
    return found


def _boolean(value: bool | str) -> bool:
    """oslo's bool_from_string, strict: the schema has let only its spellings through."""
    return value if isinstance(value, bool) else value.lower() in ("true", "1", "on", "yes")


def _unexpected(attachment: dict[str, Any], key: str) -> BadRequest:
    """Nova's schema message for a key its microversion does not take yet."""
    return BadRequest(f"Invalid input for field/attribute volumeAttachment. Value: "
                      f"{attachment}. Additional properties are not allowed ('{key}' was "
                      "unexpected)")


@documented(RouteDoc("compute_volume_attachment_list", "Compute: a server's volume attachments",
                     errors=(401, 403, 404, 406, 413), authenticated=True))
def compute_volume_attachment_list(req: WebRequest) -> Response:
    version = cmv.negotiate(req.http.headers)
    server = _server(req)
    found = core.list_mappings(req.fake.store, compute_caller(req), server)
    if version >= ATTACHMENT_IDS:
        found = [m for m in found if m.attachment_id is not None]
    return _json({"volumeAttachments": [view(m, version) for m in found]}, version)


@documented(RouteDoc("compute_volume_attachment_show", "Compute: one volume attachment of a server",
                     errors=(401, 403, 404, 406, 413), authenticated=True))
def compute_volume_attachment_show(req: WebRequest) -> Response:
    version = cmv.negotiate(req.http.headers)
    mapping = core.get_mapping(req.fake.store, compute_caller(req), _server(req),
                               req.params["volume_id"])
    return _json({"volumeAttachment": view(mapping, version)}, version)


@documented(RouteDoc("compute_volume_attachment_attach", "Compute: attach a volume (Nova's Cinder "
                     "calls: attachment create, update, complete)",
                     errors=(400, 401, 403, 404, 406, 409, 413), authenticated=True))
def compute_volume_attachment_attach(req: WebRequest) -> Response:
    version = cmv.negotiate(req.http.headers)
    caller = compute_caller(req)
    body = _body(req, "compute_volume_attachment_attach")  # Nova checks it first
    for key, since in (("tag", TAG), ("delete_on_termination", DELETE_ON_TERMINATION)):
        if key in body and version < since:
            raise _unexpected(body, key)
    server = _server(req)
    mapping = core.attach(
        req.fake.store, caller, server, body["volumeId"], device=body.get("device"),
        tag=body.get("tag"),
        delete_on_termination=_boolean(body.get("delete_on_termination", False)),
        supports_multiattach=version >= MULTIATTACH, supports_shelved=version >= SHELVED,
        record=_journal(req, caller.project_id))
    if version >= NO_ATTACH_BODY:
        return _json(None, version, 202)
    # Nova's create view: always id and device; tag from 2.70, delete_on_termination
    # from 2.79, never the 2.89 ids.
    created: dict[str, Any] = {"id": mapping.volume_id, "serverId": server.id,
                               "volumeId": mapping.volume_id, "device": mapping.device}
    if version >= TAG_SHOWN:
        created["tag"] = mapping.tag
    if version >= DELETE_ON_TERMINATION:
        created["delete_on_termination"] = mapping.delete_on_termination
    return _json({"volumeAttachment": created}, version)


@documented(RouteDoc("compute_volume_attachment_update", "Compute: swap a volume (Cinder's "
                     "migration only) or, from 2.85, update delete_on_termination", 202,
                     errors=(400, 401, 403, 404, 406, 409, 413), authenticated=True))
def compute_volume_attachment_update(req: WebRequest) -> Response:
    version = cmv.negotiate(req.http.headers)
    caller = compute_caller(req)
    body = _body(req, "compute_volume_attachment_update")
    only_swap = version < DELETE_ON_TERMINATION_UPDATE
    if only_swap:
        extra = next((k for k in body if k != "volumeId"), None)
        if extra is not None:
            raise _unexpected(body, extra)
    if "delete_on_termination" in body:
        body = {**body, "delete_on_termination": _boolean(body["delete_on_termination"])}
    core.update(req.fake.store, caller, _server(req), req.params["volume_id"], body,
                only_swap=only_swap, protect_in_use=req.fake.protect_in_use_attachments,
                record=_journal(req, caller.project_id))
    return _json(None, version, 202)


@documented(RouteDoc("compute_volume_attachment_detach", "Compute: detach a volume (Nova's Cinder "
                     "calls: begin detaching, attachment delete)", 202,
                     errors=(400, 401, 403, 404, 406, 409, 413), authenticated=True))
def compute_volume_attachment_detach(req: WebRequest) -> Response:
    version = cmv.negotiate(req.http.headers)
    caller = compute_caller(req)
    core.detach(req.fake.store, caller, _server(req), req.params["volume_id"],
                supports_shelved=version >= SHELVED,
                protect_in_use=req.fake.protect_in_use_attachments,
                record=_journal(req, caller.project_id))
    return _json(None, version, 202)


def register(router: Router) -> None:
    router.web("GET", ROOT, compute_volume_attachment_list)
    router.web("POST", ROOT, compute_volume_attachment_attach)
    router.web("GET", f"{ROOT}/<volume_id>", compute_volume_attachment_show)
    router.web("PUT", f"{ROOT}/<volume_id>", compute_volume_attachment_update)
    router.web("DELETE", f"{ROOT}/<volume_id>", compute_volume_attachment_detach)
