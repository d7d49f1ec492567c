"""HTTP handlers of the volume and snapshot metadata sub-resources:
``/volumes/{id}/metadata[/{key}]`` and ``/snapshots/{id}/metadata[/{key}]``.

From 3.15 (ETags) a volume's metadata list carries an ``ETag`` (the MD5 of its JSON
body), and a PUT with ``If-Match`` naming another answers an empty 412, as Cinder's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from ..core import metadata as core
from ..core.errors import BadRequest
from . import microversions as mv
from .routing import ApiRequest, Operation, Router
from .views import bare_response

Result = tuple[int, Any]
ETAGS = mv.APIVersion(3, 15)


def _etag(metadata: dict[str, str]) -> str:
    """Cinder's checksum: the MD5 of ``jsonutils.dumps({"metadata": ...})``."""
    return hashlib.md5(json.dumps({"metadata": metadata}).encode(),
                       usedforsecurity=False).hexdigest()


def _etag_mismatch(req: ApiRequest) -> bool:
    """Whether an If-Match header (3.15) names none of the metadata's current ETags."""
    if req.version < ETAGS or "If-Match" not in req.http.headers:
        return False
    wanted = req.http.if_match
    current = core.volume_metadata(req.fake.store, req.caller, req.params["volume_id"])
    return not wanted.contains(_etag(current)) and not wanted.star_tag


def _checked_item(req: ApiRequest) -> dict[str, str]:
    """The body of a one-key PUT: that key, the URL's."""
    item: dict[str, str] = req.body["meta"]
    if req.params["key"] not in item:
        raise BadRequest("Request body and URI mismatch")
    return item


# -- volumes --------------------------------------------------------------------------------------
def volume_metadata_list(req: ApiRequest) -> Result:
    metadata = core.volume_metadata(req.fake.store, req.caller, req.params["volume_id"])
    if req.version < ETAGS:
        return 200, {"metadata": metadata}
    body = json.dumps({"metadata": metadata}).encode()
    response = bare_response(200, body)
    response.headers["ETag"] = _etag(metadata)
    return 200, response


def volume_metadata_create(req: ApiRequest) -> Result:
    metadata = core.set_volume_metadata(req.fake.store, req.caller, req.params["volume_id"],
                                        req.body["metadata"],
                                        policy="volume:create_volume_metadata")
    return 200, {"metadata": metadata}


def volume_metadata_update_all(req: ApiRequest) -> Result:
    if _etag_mismatch(req):
        return 412, bare_response(412)
    metadata = core.set_volume_metadata(req.fake.store, req.caller, req.params["volume_id"],
                                        req.body["metadata"], replace=True)
    return 200, {"metadata": metadata}


def volume_metadata_show(req: ApiRequest) -> Result:
    key = req.params["key"]
    value = core.volume_metadata_item(req.fake.store, req.caller, req.params["volume_id"], key)
    return 200, {"meta": {key: value}}


def volume_metadata_update(req: ApiRequest) -> Result:
    if _etag_mismatch(req):
        return 412, bare_response(412)
    item = _checked_item(req)
    core.set_volume_metadata(req.fake.store, req.caller, req.params["volume_id"], item)
    return 200, {"meta": item}


def volume_metadata_delete(req: ApiRequest) -> Result:
    core.delete_volume_metadata(req.fake.store, req.caller, req.params["volume_id"],
                                req.params["key"])
    return 200, bare_response(200)


# -- snapshots ------------------------------------------------------------------------------------
def snapshot_metadata_list(req: ApiRequest) -> Result:
    return 200, {"metadata": core.snapshot_metadata(req.fake.store, req.caller,
                                                    req.params["snapshot_id"])}


def _set_snapshot(req: ApiRequest, metadata: dict[str, str], replace: bool) -> dict[str, str]:
    return core.set_snapshot_metadata(req.fake.store, req.caller, req.params["snapshot_id"],
                                      metadata, replace=replace)


def snapshot_metadata_create(req: ApiRequest) -> Result:
    return 200, {"metadata": _set_snapshot(req, req.body["metadata"], replace=False)}


def snapshot_metadata_update_all(req: ApiRequest) -> Result:
    return 200, {"metadata": _set_snapshot(req, req.body["metadata"], replace=True)}


def snapshot_metadata_show(req: ApiRequest) -> Result:
    key = req.params["key"]
    value = core.snapshot_metadata_item(req.fake.store, req.caller, req.params["snapshot_id"],
                                        key)
    return 200, {"meta": {key: value}}


def snapshot_metadata_update(req: ApiRequest) -> Result:
    item = _checked_item(req)
    _set_snapshot(req, item, replace=False)
    return 200, {"meta": item}


def snapshot_metadata_delete(req: ApiRequest) -> Result:
    core.delete_snapshot_metadata(req.fake.store, req.caller, req.params["snapshot_id"],
                                  req.params["key"])
    return 200, bare_response(200)


Handlers = dict[str, Callable[[ApiRequest], Result]]


def _register(router: Router, resource: str, handlers: Handlers,
              policies: dict[str, tuple[str, ...]]) -> None:
    collection = f"{resource}s/<{resource}_id>/metadata"
    item = collection + "/<key>"

    def op(name: str, body: bool = False) -> Operation:
        return Operation(f"{resource}_metadata_{name}", handlers[name], validates_body=body,
                         policies=policies[name])

    router.add("GET", collection, op("list"))
    router.add("POST", collection, op("create", body=True))
    router.add("PUT", collection, op("update_all", body=True))
    router.add("GET", item, op("show"))
    router.add("PUT", item, op("update", body=True))
    router.add("DELETE", item, op("delete"))


def _policies(get: str, read: str, create: str, update: str,
              delete: str) -> dict[str, tuple[str, ...]]:
    """The policies of each metadata operation: the record's lookup (``get``), then the
    metadata's (an update with If-Match reads the metadata first)."""
    return {"list": (get, read), "show": (get, read), "create": (get, create),
            "update_all": (get, read, update), "update": (get, read, update),
            "delete": (get, read, delete)}


def register(router: Router) -> None:
    _register(router, "volume", {
        "list": volume_metadata_list, "create": volume_metadata_create,
        "update_all": volume_metadata_update_all, "show": volume_metadata_show,
        "update": volume_metadata_update, "delete": volume_metadata_delete},
        _policies("volume:get", "volume:get_volume_metadata",
                  "volume:create_volume_metadata", "volume:update_volume_metadata",
                  "volume:delete_volume_metadata"))
    _register(router, "snapshot", {
        "list": snapshot_metadata_list, "create": snapshot_metadata_create,
        "update_all": snapshot_metadata_update_all, "show": snapshot_metadata_show,
        "update": snapshot_metadata_update, "delete": snapshot_metadata_delete},
        _policies("volume:get_snapshot", "volume:get_snapshot_metadata",
                  "volume:update_snapshot_metadata", "volume:update_snapshot_metadata",
                  "volume:delete_snapshot_metadata"))
