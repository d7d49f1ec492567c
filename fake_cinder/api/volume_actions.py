"""HTTP handlers of the volume actions Nova and admins send to POST /volumes/{id}/action:
detaching, the legacy attach flow, force detach, extend, migration completion, reimage.

Each parses its body (already validated against its schema) and calls core.volume_actions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core import volume_actions as core
from ..core.context import Caller
from ..core.errors import BadRequest
from ..core.listing import TRUE_STRINGS
from ..core.store import Store
from . import microversions as mv
from . import volume_migration, volume_types
from .routing import ApiRequest, Operation
from .volumes import _size

Result = tuple[int, Any]
Handler = Callable[[ApiRequest], Result]
VOLUME_EXTEND_INUSE = mv.APIVersion(3, 42)  # os-extend of an in-use volume
SUPPORT_REIMAGE_VOLUME = mv.APIVersion(3, 68)  # os-reimage


def _volume_id(req: ApiRequest) -> str:
    return req.params["volume_id"]


def _protect(req: ApiRequest) -> bool:
    return req.fake.protect_in_use_attachments


def _is_true(value: Any) -> bool:
    """oslo's bool_from_string on a value the schema's boolean enum let through."""
    return str(value).strip().lower() in TRUE_STRINGS


def _status_only(change: Callable[[Store, Caller, str], None]) -> Handler:
    """A handler of an action that only moves the volume's status (its body is ignored)."""

    def handler(req: ApiRequest) -> Result:
        change(req.fake.store, req.caller, _volume_id(req))
        return 202, None

    return handler


volume_begin_detaching = _status_only(core.begin_detaching)
volume_roll_detaching = _status_only(core.roll_detaching)
volume_reserve = _status_only(core.reserve)
volume_unreserve = _status_only(core.unreserve)


def volume_initialize_connection(req: ApiRequest) -> Result:
    connector = req.body["os-initialize_connection"]["connector"]
    info = core.initialize_connection(req.fake.store, req.caller, _volume_id(req), connector)
    return 200, {"connection_info": info}


def volume_terminate_connection(req: ApiRequest) -> Result:
    # The fake's driver keeps nothing per host, so the connector is only validated.
    core.terminate_connection(req.fake.store, req.caller, _volume_id(req), _protect(req))
    return 202, None


def volume_attach(req: ApiRequest) -> Result:
    body = req.body["os-attach"]
    core.attach(req.fake.store, req.caller, _volume_id(req), body.get("instance_uuid"),
                body.get("host_name"), body["mountpoint"], body.get("mode", "rw"))
    return 202, None


def volume_detach(req: ApiRequest) -> Result:
    body = req.body["os-detach"]
    if body is None:
        # The schema allows null, but Cinder's handler then fails with a 500
        # (AttributeError): the fake refuses it clearly instead.
        raise BadRequest("Invalid input for field/attribute os-detach. Value: None. "
                         "os-detach must be an object (Cinder fails on null with a 500)")
    core.detach(req.fake.store, req.caller, _volume_id(req), body.get("attachment_id"),
                _protect(req))
    return 202, None


def volume_force_detach(req: ApiRequest) -> Result:
    body = req.body["os-force_detach"]
    core.force_detach(req.fake.store, req.caller, _volume_id(req), body.get("attachment_id"),
                      _protect(req))
    return 202, None


def volume_update_readonly_flag(req: ApiRequest) -> Result:
    readonly = _is_true(req.body["os-update_readonly_flag"]["readonly"])
    core.update_readonly_flag(req.fake.store, req.caller, _volume_id(req), readonly)
    return 202, None


def volume_extend(req: ApiRequest) -> Result:
    new_size = _size(req.body["os-extend"]["new_size"], "new_size")
    assert new_size is not None  # required by the schema
    core.extend(req.fake.store, req.caller, _volume_id(req), new_size,
                in_use_allowed=req.version >= VOLUME_EXTEND_INUSE, failing=req.async_failure)
    return 202, None


def volume_migrate_completion(req: ApiRequest) -> Result:
    body = req.body["os-migrate_volume_completion"]
    # Cinder passes the value on as it came: any truthy value is an error.
    saved = core.migrate_volume_completion(
        req.fake.store, req.caller, _volume_id(req), body["new_volume"],
        error=bool(body.get("error", False)), protect_in_use=_protect(req))
    return 200, {"save_volume_id": saved}


def volume_reimage(req: ApiRequest) -> Result:
    body = req.body["os-reimage"]
    core.reimage(req.fake.store, req.caller, _volume_id(req), body["image_id"],
                 reimage_reserved=_is_true(body.get("reimage_reserved", False)),
                 failing=req.async_failure)
    return 202, None


def actions() -> dict[str, Operation]:
    """The actions of POST volumes/<volume_id>/action this module serves, each with the
    policies it asks: volume:get (the volume's lookup, a refusal is its 404), then the
    action's own (core.volume_actions names them)."""
    def op(name: str, handler: Any, *policies: str, **kw: Any) -> Operation:
        return Operation(name, handler, validates_body=True,
                         policies=("volume:get", *policies), **kw)
    return {
        "os-begin_detaching": op("volume_begin_detaching", volume_begin_detaching,
                                 core.BEGIN_DETACHING_POLICY),
        "os-roll_detaching": op("volume_roll_detaching", volume_roll_detaching,
                                core.ROLL_DETACHING_POLICY),
        "os-reserve": op("volume_reserve", volume_reserve, core.RESERVE_POLICY),
        "os-unreserve": op("volume_unreserve", volume_unreserve, core.UNRESERVE_POLICY),
        "os-initialize_connection": op("volume_initialize_connection", volume_initialize_connection,
                                       core.INITIALIZE_CONNECTION_POLICY),
        "os-terminate_connection": op("volume_terminate_connection", volume_terminate_connection,
                                      core.TERMINATE_CONNECTION_POLICY),
        "os-attach": op("volume_attach", volume_attach, core.ATTACH_POLICY),
        "os-detach": op("volume_detach", volume_detach, core.DETACH_POLICY),
        "os-force_detach": op("volume_force_detach", volume_force_detach, core.FORCE_DETACH_POLICY),
        "os-update_readonly_flag": op("volume_update_readonly_flag", volume_update_readonly_flag,
                                      core.UPDATE_READONLY_FLAG_POLICY),
        "os-extend": op("volume_extend", volume_extend, core.EXTEND_POLICY,
                        core.EXTEND_ATTACHED_POLICY),
        "os-migrate_volume_completion": op("volume_migrate_completion",
                                           volume_migrate_completion,
                                           core.MIGRATE_COMPLETE_POLICY),
        "os-reimage": op("volume_reimage", volume_reimage, core.REIMAGE_POLICY,
                         core.REIMAGE_RESERVED_POLICY, min_version=SUPPORT_REIMAGE_VOLUME),
        **volume_types.retype_action(),
        **volume_migration.migrate_action(),
    }
