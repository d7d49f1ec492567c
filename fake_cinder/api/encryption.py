"""HTTP handlers of volume type encryption (types/{id}/encryption, admins only) and a
volume's encryption metadata (volumes/{id}/encryption)."""

from __future__ import annotations

from typing import Any

from ..core import encryption as core
from ..core.context import Caller
from ..core.errors import CinderError, NotFound
from ..core.models import Volume
from .routing import ApiRequest, Operation, Router
from .views import BareValue, bare_accepted

Result = tuple[int, Any]


def _require_admin(req: ApiRequest, action: str) -> None:
    if not req.caller.is_admin:
        raise CinderError(f"Policy doesn't allow volume_extension:volume_type_encryption:"
                          f"{action} to be performed.", status=403)


def _body(req: ApiRequest) -> dict[str, Any]:
    """What Cinder answers a create or update with: the body, key_size made an integer."""
    specs = dict(req.body["encryption"])
    if specs.get("key_size") is not None:
        specs["key_size"] = core.key_size(specs["key_size"])
    return {"encryption": specs}


def encryption_show(req: ApiRequest) -> Result:
    _require_admin(req, "get")
    return 200, core.get_specs(req.fake.store, req.params["type_id"])


def encryption_show_key(req: ApiRequest) -> Result:
    _require_admin(req, "get")
    return 200, core.get_spec(req.fake.store, req.params["type_id"], req.params["key"])


def encryption_create(req: ApiRequest) -> Result:
    answer = _body(req)  # Cinder's schema (key_size's format) comes before the policy
    _require_admin(req, "create")
    created = core.create(req.fake.store, req.params["type_id"], answer["encryption"])
    # Cinder's database layer adds the row's ids to the dict it answers with.
    answer["encryption"].update(volume_type_id=created.volume_type_id,
                                encryption_id=created.encryption_id)
    return 200, answer


def encryption_update(req: ApiRequest) -> Result:
    answer = _body(req)
    _require_admin(req, "update")
    core.update(req.fake.store, req.params["type_id"], answer["encryption"])
    return 200, answer


def encryption_delete(req: ApiRequest) -> Result:
    _require_admin(req, "delete")
    core.delete(req.fake.store, req.params["type_id"])
    return 202, bare_accepted()


def _may_read_metadata(caller: Caller, volume: Volume) -> None:
    # volume_extension:volume_encryption_metadata: an admin or the volume's project.
    if not caller.can_see(volume.project_id):
        raise CinderError("Policy doesn't allow volume_extension:volume_encryption_metadata "
                          "to be performed.", status=403)


def volume_encryption_show(req: ApiRequest) -> Result:
    return 200, core.volume_metadata(req.fake.store, req.caller, req.params["volume_id"],
                                     authorize=_may_read_metadata)


def volume_encryption_show_key(req: ApiRequest) -> Result:
    """One item of the metadata. Cinder hands the bare value to WebOb: a string is the
    body (WebOb's default content type), None is JSON null. Cinder fails (500) on an
    unknown key or an integer (key_size); the fake answers 404, and the integer's text."""
    values = core.volume_metadata(req.fake.store, req.caller, req.params["volume_id"],
                                  authorize=_may_read_metadata)
    key = req.params["key"]
    if key not in values:
        raise NotFound(f"The volume's encryption metadata has no {key}.")
    if values[key] is None:
        return 200, None
    return 200, BareValue(values[key])


def register(router: Router) -> None:
    router.add("GET", "types/<type_id>/encryption",
               Operation("encryption_show", encryption_show))
    router.add("POST", "types/<type_id>/encryption",
               Operation("encryption_create", encryption_create, validates_body=True))
    router.add("GET", "types/<type_id>/encryption/<key>",
               Operation("encryption_show_key", encryption_show_key))
    router.add("PUT", "types/<type_id>/encryption/<key>",
               Operation("encryption_update", encryption_update, validates_body=True))
    router.add("DELETE", "types/<type_id>/encryption/<key>",
               Operation("encryption_delete", encryption_delete))
    router.add("GET", "volumes/<volume_id>/encryption",
               Operation("volume_encryption_show", volume_encryption_show))
    router.add("GET", "volumes/<volume_id>/encryption/<key>",
               Operation("volume_encryption_show_key", volume_encryption_show_key))
