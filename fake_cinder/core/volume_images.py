"""Cinder's side of images, over the fake Glance (core/images.py): a volume created from
an image, uploaded to one (os-volume_upload_image), re-imaged (os-reimage), its image
metadata (Cinder's volume_glance_metadata: os-set/unset/show_image_metadata) and its
bootable flag (os-set_bootable).

As cinder/api/v3/volumes.py, cinder/volume/api.py, flows/api/create_volume.py,
api/contrib/volume_actions.py and volume_image_metadata.py do it, with their messages.
Cinder's volume manager finishes the work at once here: a volume created from an image
is bootable with the image's metadata, an upload's image is active with data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from . import images as glance
from .context import Caller
from .errors import (
    STATUS_MESSAGES,
    BadRequest,
    Conflict,
    InvalidInput,
    InvalidVolume,
    NotFound,
)
from .models import Image, Volume
from .policy import allows, authorize
from .store import Store
from .volumes import get_volume

# cinder.conf's glance_core_properties: volume image metadata an upload does not copy.
GLANCE_CORE_PROPERTIES = ("checksum", "container_format", "disk_format", "image_name",
                          "image_id", "min_disk", "min_ram", "name", "size")
# volume_utils.IMAGE_ATTRIBUTES: what a volume created from an image keeps of it.
IMAGE_ATTRIBUTES = ("checksum", "container_format", "disk_format", "min_disk", "min_ram",
                    "size")
UPLOAD_POLICY = "volume_extension:volume_actions:upload_image"
UPLOAD_PUBLIC_POLICY = "volume_extension:volume_actions:upload_public"
SET_POLICY = "volume_extension:volume_image_metadata:set"
REMOVE_POLICY = "volume_extension:volume_image_metadata:remove"
SHOW_POLICY = "volume_extension:volume_image_metadata:show"


class ImageNotFound(NotFound):
    def __init__(self, image_id: str) -> None:
        super().__init__(f"Image {image_id} could not be found.")


def _show(store: Store, caller: Caller, image_id: str) -> Image:
    """Cinder's image_service.show: Glance's 404 becomes Cinder's ImageNotFound."""
    try:
        return glance.get_image(store, caller, image_id)
    except glance.ImageError:
        raise ImageNotFound(image_id) from None


# -- create from an image -------------------------------------------------------------------------
def image_from_ref(store: Store, caller: Caller, image_ref: Any) -> Image:
    """Cinder's _image_uuid_from_ref: the last part of an href, an id Glance shows the
    caller, else an image name the caller's list finds exactly once."""
    if not isinstance(image_ref, str):
        raise BadRequest("Invalid imageRef provided.")
    image_id = image_ref.split("/").pop()
    with store.lock:
        if glance.is_image_id(image_id):
            found = store.images.get(image_id)
            if found is not None and glance.is_visible(found, caller):
                return found
        named = glance.list_images(store, caller, glance.ImageQuery(
            filters={"name": image_ref}, limit=glance.MAX_LIMIT))
        if len(named) > 1:
            raise Conflict(f"Multiple matches found for '{image_ref}', use an ID to be more "
                           "specific.")
        if named:
            return named[0]
    raise BadRequest("Invalid image identifier or unable to access requested image.")


def check_exclusive_sources(**sources: object) -> None:
    """Cinder's check_exclusive_options over a create's sources (snapshot, imageRef...)."""
    given = [name for name, value in sources.items() if value is not None]
    if len(given) > 1:
        names = ", ".join(sorted(name.replace("_", " ") for name in sources))
        raise InvalidInput(f"May specify only one of {names}")


def authorize_create_from_image(caller: Caller) -> None:
    """Cinder's volume:create_from_image, which a create from an image checks instead of
    volume:create (cinder/volume/api.py)."""
    authorize(caller, "volume:create_from_image")
    authorize(caller, "volume:create")


def check_image_fits(image: Image, size: int | None) -> None:
    """Cinder's check_image_metadata: active, not larger than the volume, its min_disk,
    and its virtual size. A create without a size fails in it (comparing with None:
    Cinder's generic 400); a size below 1 is left to the volume create's own check."""
    if size is None:
        raise BadRequest(STATUS_MESSAGES[400])
    if size < 1:
        return
    if image.status != "active":
        raise InvalidInput(f"Image {image.id} is not active.")
    image_gib = glance.size_in_gib(image)
    if image_gib > size:
        raise InvalidInput(f"Size of specified image {image_gib}GB is larger than volume "
                           f"size {size}GB.")
    if size < image.min_disk:
        raise InvalidInput(f"Volume size {size}GB cannot be smaller than the image minDisk "
                           f"size {image.min_disk}GB.")
    if image.virtual_size:
        virtual_gib = math.ceil(image.virtual_size / glance.GIB)
        if virtual_gib > size:
            raise BadRequest(f"Image {image.id} is unacceptable: Image virtual size is "
                             f"{virtual_gib}GB and doesn't fit in a volume of size {size}GB.")


def volume_image_metadata(image: Image) -> dict[str, str]:
    """volume_utils.get_volume_image_metadata: the image's id and name, some of its base
    attributes and all its custom properties, as the strings Cinder's table keeps."""
    metadata = {key: _text(value) for key, value in image.properties.items()
                if value is not None}
    metadata["image_id"] = image.id
    if image.name:
        metadata["image_name"] = image.name
    for key in IMAGE_ATTRIBUTES:
        value = getattr(image, key)
        if value is not None:
            metadata[key] = _text(value)
    return metadata


def created_image_metadata(image: Image) -> dict[str, str]:
    """A volume created from an image: its image metadata, and whether Glance's image
    signature was verified (Cinder's verify_glance_signatures; the fake's images are
    unsigned)."""
    return {"signature_verified": "False", **volume_image_metadata(image)}


def _text(value: Any) -> str:
    """How Cinder's database column stores a value (str(), so True is 'True')."""
    return value if isinstance(value, str) else str(value)


# -- os-volume_upload_image -----------------------------------------------------------------------
def upload_to_image(store: Store, caller: Caller, volume_id: str, params: Mapping[str, Any],
                    with_visibility: bool, failing: bool = False) -> dict[str, Any]:
    """os-volume_upload_image: a new image in the fake Glance with the volume's data (the
    data of the image it was created from, while that image exists; else none), active at
    once; the volume is "uploading" until the volume_upload_image transition puts its
    status back (``failing``: the same, with Cinder's user message). Returns Cinder's
    answer. ``force`` is not
    taken: cinder.conf's enable_force_upload is off, so Cinder ignores it."""
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        authorize(caller, UPLOAD_POLICY)
        fields: dict[str, Any] = {"container_format": params.get("container_format", "bare"),
                                  "disk_format": params.get("disk_format", "raw"),
                                  "name": params["image_name"]}
        if volume.encryption_key_id and (fields["disk_format"] != "raw"
                                         or fields["container_format"] != "bare"):
            raise BadRequest("An encrypted volume uploaded as an image must use 'raw' "
                             "disk_format and 'bare' container_format, which are the "
                             "defaults for these options.")
        if volume.encryption_key_id:
            fields["cinder_encryption_key_id"] = store.clock.new_id()
            fields["cinder_encryption_key_deletion_policy"] = "on_image_deletion"
        if with_visibility:
            fields["visibility"] = params.get("visibility", "private")
            fields["protected"] = params.get("protected", False)
            if fields["visibility"] == "public":
                authorize(caller, UPLOAD_PUBLIC_POLICY)
        if volume.status != "available":
            raise InvalidVolume(f"Volume {volume.id} status must be available")
        # _merge_volume_image_meta: the volume's custom image metadata, where the upload
        # does not set the key itself; Glance's reserved namespace filtered out.
        for key, value in volume.image_metadata.items():
            if (key not in GLANCE_CORE_PROPERTIES and key not in fields
                    and not key.startswith(glance.RESERVED_NAMESPACE)):
                fields[key] = value
        try:
            image = glance.create_image(store, caller, fields)
        except glance.ImageError as error:
            raise BadRequest(error.message) from None
        source = volume.image_metadata.get("image_id", "")
        glance.set_data(store, image, store.image_data.get(source, b""))
        # "uploading" until the volume_upload_image transition ends (core/transitions.py).
        store.transitions.begin("volume_upload_image", volume, failing=failing)
        return {"id": volume.id, "updated_at": volume.updated_at, "status": "uploading",
                "display_description": volume.description, "size": volume.size,
                "volume_type": _type_record(store, volume), "image_id": image.id,
                "container_format": image.container_format,
                "disk_format": image.disk_format, "image_name": image.name,
                "protected": image.protected, "visibility": image.visibility}


def _type_record(store: Store, volume: Volume) -> dict[str, Any] | None:
    """The volume's type as Cinder's upload answer serializes its VolumeType object (the
    fake's types keep no timestamps: those are null)."""
    found = store.volume_types.get(volume.volume_type_id or "")
    if found is None:
        return None
    return {"id": found.id, "name": found.name, "description": found.description,
            "is_public": found.is_public, "extra_specs": dict(found.extra_specs),
            "qos_specs_id": None, "created_at": None, "updated_at": None,
            "deleted_at": None, "deleted": False}


# -- os-reimage -----------------------------------------------------------------------------------
def image_for_reimage(store: Store, caller: Caller, image_id: str) -> Image:
    """The controller's first question: does Glance show the image (404 otherwise)?"""
    return _show(store, caller, image_id)


def reimaged(store: Store, volume: Volume, image: Image) -> None:
    """The manager's _refresh_volume_glance_meta: bootable, the new image's metadata."""
    volume.bootable = True
    volume.image_metadata = volume_image_metadata(image)


# -- image metadata -------------------------------------------------------------------------------
def _no_image_metadata(volume: Volume) -> NotFound:
    return NotFound(f"Glance metadata for volume/snapshot {volume.id} cannot be found.")


def _refuse_while(volume: Volume, verb: str) -> None:
    if volume.status in ("maintenance", "uploading"):
        raise InvalidVolume(f"{verb} volume metadata is not allowed for volumes in "
                            f"{volume.status} status.")


def set_image_metadata(store: Store, caller: Caller, volume_id: str,
                       metadata: Mapping[str, str]) -> dict[str, str]:
    """os-set_image_metadata: adds or replaces keys; returns all of them."""
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        authorize(caller, SET_POLICY, volume.project_id)
        authorize(caller, "volume:update_volume_metadata", volume.project_id)
        _refuse_while(volume, "Updating")
        volume.image_metadata.update(metadata)
        volume.updated_at = store.clock.now()
        return dict(volume.image_metadata)


def unset_image_metadata(store: Store, caller: Caller, volume_id: str, key: str) -> None:
    """os-unset_image_metadata: one key, which must be there."""
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        authorize(caller, REMOVE_POLICY, volume.project_id)
        authorize(caller, "volume:get_volume_metadata", volume.project_id)
        if key not in volume.image_metadata:
            raise _no_image_metadata(volume)
        authorize(caller, "volume:delete_volume_metadata", volume.project_id)
        _refuse_while(volume, "Deleting")
        del volume.image_metadata[key]
        volume.updated_at = store.clock.now()


def show_image_metadata(store: Store, caller: Caller, volume_id: str) -> dict[str, str]:
    """os-show_image_metadata: 404 for a volume without any."""
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        authorize(caller, "volume:get_volume_metadata", volume.project_id)
        if not volume.image_metadata:
            raise _no_image_metadata(volume)
        return dict(volume.image_metadata)


def shown_image_metadata(caller: Caller, volume: Volume) -> dict[str, str] | None:
    """volume_image_metadata in volume shows and detailed lists: when there is some and
    the caller passes the show policy."""
    if not volume.image_metadata or not allows(caller, SHOW_POLICY, volume.project_id):
        return None
    return dict(volume.image_metadata)


# -- os-set_bootable ------------------------------------------------------------------------------
def set_bootable(store: Store, caller: Caller, volume_id: str, bootable: bool) -> None:
    with store.lock:
        volume = get_volume(store, caller, volume_id)
        authorize(caller, "volume:update", volume.project_id)
        if volume.status == "maintenance":
            raise InvalidVolume("The volume cannot be updated during maintenance.")
        volume.bootable = bootable
        volume.updated_at = store.clock.now()
