"""HTTP handlers of Cinder's image actions (POST /volumes/{id}/action):
os-volume_upload_image, os-set_image_metadata, os-unset_image_metadata,
os-show_image_metadata and os-set_bootable; and the image part of a volume create.

Each parses its body (already validated against its schema) and calls core.volume_images.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..core import volume_images as core
from ..core.listing import TRUE_STRINGS
from ..core.models import Image, Volume
from . import microversions as mv
from .routing import ApiRequest, Operation

Result = tuple[int, Any]
UPLOAD_IMAGE_PARAMS = mv.APIVersion(3, 1)  # visibility and protected


def _is_true(value: Any) -> bool:
    return str(value).strip().lower() in TRUE_STRINGS


def _volume_id(req: ApiRequest) -> str:
    return req.params["volume_id"]


def names_image(body: dict[str, Any]) -> bool:
    """Whether a volume create names an image to create the volume from."""
    return body.get("image_id", body.get("imageRef")) is not None


def image_source(req: ApiRequest, body: dict[str, Any]) -> Image | None:
    """The image a create names (``imageRef``, or ``image_id``), or None."""
    # Cinder renames image_id to imageRef (so image_id wins when both are sent).
    image_ref = body["image_id"] if "image_id" in body else body.get("imageRef")
    if image_ref is None:
        return None
    return core.image_from_ref(req.fake.store, req.caller, image_ref)


def check_create_source(req: ApiRequest, image: Image | None, snapshot: Any,
                        size: int | None) -> None:
    """Cinder's checks of a create from an image: its policy, one source only, then (with
    a valid size; a bad one is refused by the volume create itself) that the image fits."""
    if image is not None:
        core.authorize_create_from_image(req.caller)
    core.check_exclusive_sources(snapshot=snapshot, imageRef=image, source_volume=None,
                                 backup=None)
    if image is not None:
        core.check_image_fits(image, size)


def as_created(view: dict[str, Any], image: Image | None) -> None:
    """The create's answer comes before the volume manager made the volume bootable."""
    if image is not None:
        view["bootable"] = "false"


def image_metadata(image: Image | None) -> dict[str, str] | None:
    """What a volume created from ``image`` keeps of it (Cinder's volume_glance_metadata)."""
    return core.created_image_metadata(image) if image is not None else None


def shown_metadata(req: ApiRequest, volume: Volume, view: dict[str, Any]) -> dict[str, Any]:
    """A volume show's or detailed list's view with its volume_image_metadata."""
    metadata = core.shown_image_metadata(req.caller, volume)
    if metadata is not None:
        view["volume_image_metadata"] = metadata
    return view


def volume_upload_image(req: ApiRequest) -> Result:
    params = dict(req.body["os-volume_upload_image"])
    params["protected"] = _is_true(params.get("protected", False))
    # "force" is validated only: Cinder ignores it (enable_force_upload is off).
    answer = core.upload_to_image(req.fake.store, req.caller, _volume_id(req), params,
                                  with_visibility=req.version >= UPLOAD_IMAGE_PARAMS,
                                  failing=req.async_failure)
    return 202, {"os-volume_upload_image": answer}


def volume_set_image_metadata(req: ApiRequest) -> Result:
    metadata = req.body["os-set_image_metadata"]["metadata"]
    return 200, {"metadata": core.set_image_metadata(req.fake.store, req.caller,
                                                     _volume_id(req), metadata)}


def volume_unset_image_metadata(req: ApiRequest) -> Result:
    core.unset_image_metadata(req.fake.store, req.caller, _volume_id(req),
                              req.body["os-unset_image_metadata"]["key"])
    # Cinder's bare webob.Response(status_int=200).
    return 200, Response(b"", status=200, content_type="text/html; charset=UTF-8")


def volume_show_image_metadata(req: ApiRequest) -> Result:
    return 200, {"metadata": core.show_image_metadata(req.fake.store, req.caller,
                                                      _volume_id(req))}


def volume_set_bootable(req: ApiRequest) -> Result:
    bootable = _is_true(req.body["os-set_bootable"]["bootable"])
    core.set_bootable(req.fake.store, req.caller, _volume_id(req), bootable)
    return 200, None


def actions() -> dict[str, Operation]:
    """The actions of POST volumes/<volume_id>/action this module serves, with the
    policies each asks after the volume's lookup (volume:get)."""
    def op(name: str, handler: Any, *policies: str) -> Operation:
        return Operation(name, handler, validates_body=True,
                         policies=("volume:get", *policies))
    return {
        "os-volume_upload_image": op("volume_upload_image", volume_upload_image, core.UPLOAD_POLICY,
                                     core.UPLOAD_PUBLIC_POLICY),
        "os-set_image_metadata": op("volume_set_image_metadata", volume_set_image_metadata,
                                    core.SET_POLICY, "volume:update_volume_metadata"),
        "os-unset_image_metadata": op("volume_unset_image_metadata", volume_unset_image_metadata,
                                      core.REMOVE_POLICY, "volume:get_volume_metadata",
                                      "volume:delete_volume_metadata"),
        "os-show_image_metadata": op("volume_show_image_metadata", volume_show_image_metadata,
                                     "volume:get_volume_metadata"),
        "os-set_bootable": op("volume_set_bootable", volume_set_bootable, "volume:update"),
    }
