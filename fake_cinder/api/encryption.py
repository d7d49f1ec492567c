"""HTTP handlers of volume type encryption (types/{id}/encryption, admins only) and a
volume's encryption metadata (volumes/{id}/encryption)."""

from __future__ import annotations

from typing import Any

from ..core import encryption as core
from ..core.errors import NotFound
from ..core.policy import authorize
from .routing import ApiRequest, Operation, Router
from .views import BareValue, bare_accepted

Result = tuple[int, Any]


def _authorize(req: ApiRequest, action: str) -> None:
    """volume_extension:volume_type_encryption:<action>, asked first by Cinder's
    controller (after the body's schema)."""
    authorize(req.caller, f"volume_extension:volume_type_encryption:{action}")


def _body(req: ApiRequest) -> dict[str, Any]:
    """What Cinder answers a create or update with: the body, key_size made an integer."""
    specs = dict(req.body["encryption"])
    if specs.get("key_size") is not None:
        specs["key_size"] = core.key_size(specs["key_size"])
    return {"encryption": specs}


def encryption_show(req: ApiRequest) -> Result:
    _authorize(req, "get")
    return 200, core.get_specs(req.fake.store, req.params["type_id"])


def encryption_show_key(req: ApiRequest) -> Result:
    _authorize(req, "get")
    return 200, core.get_spec(req.fake.store, req.params["type_id"], req.params["key"])


def encryption_create(req: ApiRequest) -> Result:
    answer = _body(req)  # Cinder's schema (key_size's format) comes before the policy
    _authorize(req, "create")
    created = core.create(req.fake.store, req.params["type_id"], answer["encryption"])
    # Cinder's database layer adds the row's ids to the dict it answers with.
    answer["encryption"].update(volume_type_id=created.volume_type_id,
                                encryption_id=created.encryption_id)
    return 200, answer


def encryption_update(req: ApiRequest) -> Result:
    answer = _body(req)
    _authorize(req, "update")
    core.update(req.fake.store, req.params["type_id"], answer["encryption"])
    return 200, answer


def encryption_delete(req: ApiRequest) -> Result:
    _authorize(req, "delete")
    core.delete(req.fake.store, req.params["type_id"])
    return 202, bare_accepted()


def volume_encryption_show(req: ApiRequest) -> Result:
    return 200, core.volume_metadata(req.fake.store, req.caller, req.params["volume_id"])


def volume_encryption_show_key(req: ApiRequest) -> Result:
    """One item of the metadata. Cinder hands the bare value to WebOb: a string is the
    body (WebOb's default content type), None is JSON null. Cinder fails (500) on an
    unknown key or an integer (key_size); the fake answers 404, and the integer's text."""
    values = core.volume_metadata(req.fake.store, req.caller, req.params["volume_id"])
    key = req.params["key"]
    if key not in values:
        raise NotFound(f"The volume's encryption metadata has no {key}.")
    if values[key] is None:
        return 200, None
    return 200, BareValue(values[key])


def register(router: Router) -> None:
    def type_policy(action: str) -> tuple[str, ...]:
        return (f"volume_extension:volume_type_encryption:{action}",)

    metadata = ("volume_extension:volume_encryption_metadata",)
    router.add("GET", "types/<type_id>/encryption",
               Operation("encryption_show", encryption_show, policies=type_policy("get")))
    router.add("POST", "types/<type_id>/encryption",
               Operation("encryption_create", encryption_create, validates_body=True,
                         policies=type_policy("create")))
    router.add("GET", "types/<type_id>/encryption/<key>",
               Operation("encryption_show_key", encryption_show_key,
                         policies=type_policy("get")))
    router.add("PUT", "types/<type_id>/encryption/<key>",
               Operation("encryption_update", encryption_update, validates_body=True,
                         policies=type_policy("update")))
    router.add("DELETE", "types/<type_id>/encryption/<key>",
               Operation("encryption_delete", encryption_delete,
                         policies=type_policy("delete")))
    router.add("GET", "volumes/<volume_id>/encryption",
               Operation("volume_encryption_show", volume_encryption_show,
                         policies=metadata))
    router.add("GET", "volumes/<volume_id>/encryption/<key>",
               Operation("volume_encryption_show_key", volume_encryption_show_key,
                         policies=metadata))
