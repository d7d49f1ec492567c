"""The fake Glance v2's images: create, look up, list, update (JSON patch), delete, and
their data (upload, download), with Glance's rules and messages (glance/api/v2/images.py,
image_data.py and its domain's status transitions).

The caller is ``None`` for a request that carries no identity at all: Glance deployed
without authentication serves it with an admin context, and that is how a Cinder set up
with ``auth_strategy = noauth`` (the conformance harness's) talks to its Glance.

Image data is kept in memory, bounded: ``MAX_IMAGE_BYTES`` per image and
``MAX_TOTAL_IMAGE_BYTES`` for all images together (Glance's 413 beyond them).
Every function runs under the store's lock.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .context import Caller
from .models import Image, record_to_dict
from .policy import roles_of
from .store import Store
from .uuids import is_uuid_like

MAX_IMAGE_BYTES = 32 * 1024 * 1024
MAX_TOTAL_IMAGE_BYTES = 256 * 1024 * 1024
GIB = 1024 ** 3

DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
                "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")
VISIBILITIES = ("public", "private", "shared", "community")
# Glance's RequestDeserializer: what a create may not send, what a patch may not touch.
DISALLOWED = ("direct_url", "self", "file", "schema", "stores")
READ_ONLY = ("created_at", "updated_at", "status", "checksum", "size", "virtual_size",
             "direct_url", "self", "file", "schema", "id", "os_hash_algo", "os_hash_value")
RESERVED = ("location", "deleted", "deleted_at")
RESERVED_NAMESPACE = "os_glance"
# Attributes of the record (base properties); anything else is a custom property.
BASE_PROPERTIES = ("id", "name", "status", "visibility", "disk_format", "container_format",
                   "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value",
                   "min_disk", "min_ram", "protected", "os_hidden", "tags", "owner",
                   "created_at", "updated_at")
SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "id", "created_at",
             "updated_at")
DEFAULT_LIMIT = 25  # Glance's limit_param_default
MAX_LIMIT = 1000  # Glance's api_limit_max
HASH_ALGO = "sha512"
_QCOW2_MAGIC = b"QFI\xfb"


class ImageError(Exception):
    """A failure Glance reports with a status and an explanation."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ImageNotFound(ImageError):
    def __init__(self, image_id: str) -> None:
        super().__init__(404, f"No image found with ID {image_id}")


def _not_authorized(action: str) -> ImageError:
    return ImageError(403, f"You are not authorized to complete {action} action.")


# -- who sees and changes what ---------------------------------------------------------------------
def is_visible(image: Image, caller: Caller | None) -> bool:
    """Glance's visibility rule: admins (and unauthenticated Glance) see all; others see
    their project's images and the public and community ones."""
    if caller is None or caller.is_admin:
        return True
    return image.owner == caller.project_id or image.visibility in ("public", "community")


def is_member(caller: Caller) -> bool:
    """Glance's default write rules' role: a member (or an admin) of the caller's project,
    with Keystone's implied roles (core.policy's)."""
    return "member" in roles_of(caller)


def _may_modify(image: Image, caller: Caller | None) -> bool:
    """Glance's default modify/delete/upload rules: an admin, or a member of the owner."""
    if caller is None or caller.is_admin:
        return True
    return image.owner == caller.project_id and is_member(caller)


def get_image(store: Store, caller: Caller | None, image_id: str) -> Image:
    with store.lock:
        image = store.images.get(image_id)
        if image is None or not is_visible(image, caller):
            raise ImageNotFound(image_id)
        return image


def _modifiable(store: Store, caller: Caller | None, image_id: str, action: str) -> Image:
    image = get_image(store, caller, image_id)
    if not _may_modify(image, caller):
        raise _not_authorized(action)
    return image


# -- create ---------------------------------------------------------------------------------------
def _check_property_names(names: Sequence[str]) -> None:
    for key in names:
        if len(key) > 255:
            raise ImageError(400, "Custom property should not be greater than 255 characters.")
        if key in RESERVED or key.startswith(RESERVED_NAMESPACE):
            raise ImageError(403, f"Attribute '{key}' is reserved.")


def check_create_body(body: Mapping[str, Any]) -> None:
    """The checks Glance makes before its schema: attributes a create may not set."""
    for key in DISALLOWED:
        if key in body:
            raise ImageError(403, f"Attribute '{key}' is read-only.")


def create_image(store: Store, caller: Caller | None, body: Mapping[str, Any]) -> Image:
    """POST /v2/images (the body already passed Glance's image schema): a queued image."""
    fields = dict(body)
    for key in READ_ONLY:
        if key != "id" and key in fields:
            raise ImageError(403, f"Attribute '{key}' is read-only.")
    properties = {k: v for k, v in fields.items() if k not in BASE_PROPERTIES}
    _check_property_names(list(properties))
    visibility = fields.get("visibility", "shared")
    if visibility == "public" and caller is not None and not caller.is_admin:
        raise _not_authorized("publicize_image")
    owner = fields.get("owner")
    if caller is not None and not caller.is_admin and owner not in (None, caller.project_id):
        raise ImageError(403, f"You are not permitted to create images owned by '{owner}'.")
    if caller is not None and not is_member(caller):
        raise _not_authorized("add_image")
    with store.lock:
        image_id = fields.get("id") or store.clock.new_id()
        if image_id in store.images:
            raise ImageError(409, f"An image with identifier {image_id} already exists")
        now = glance_time(store.clock.now())
        image = Image(
            id=image_id, owner=owner or (caller.project_id if caller else None),
            name=fields.get("name"), visibility=visibility,
            disk_format=fields.get("disk_format"),
            container_format=fields.get("container_format"),
            min_disk=fields.get("min_disk", 0), min_ram=fields.get("min_ram", 0),
            protected=fields.get("protected", False), os_hidden=fields.get("os_hidden", False),
            tags=_unique(fields.get("tags", [])), properties=properties,
            created_at=now, updated_at=now)
        store.images[image.id] = image
        return image


def glance_time(cinder_time: str) -> str:
    """Glance's timestamps: seconds and a Z (the fake's clock gives Cinder's microseconds)."""
    return cinder_time[:19] + "Z"


def _unique(tags: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(tags))


# -- list -----------------------------------------------------------------------------------------
@dataclass(slots=True)
class ImageQuery:
    """GET /v2/images's parameters, as Glance's deserializer reads them."""

    filters: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    sort_keys: list[str] = field(default_factory=list)
    sort_dirs: list[str] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT
    marker: str | None = None


def parse_list_query(params: Sequence[tuple[str, str]]) -> ImageQuery:
    """Glance's index deserializer: limit, marker, tags, sorting (classic or ``sort=``),
    and every other parameter a filter; its 400s."""
    query = ImageQuery()
    sort_keys: list[str] = []
    sort_dirs: list[str] = []
    new_sort: str | None = None
    for key, value in params:
        if key == "limit":
            query.limit = _limit(value)
        elif key == "marker":
            query.marker = value
        elif key == "tag":
            query.tags.append(value.strip())
        elif key == "sort_key":
            sort_keys.append(_sort_key(value.strip()))
        elif key == "sort_dir":
            sort_dirs.append(_sort_dir(value.strip()))
        elif key == "sort":
            new_sort = value
        elif key == "member_status":
            if value not in ("pending", "accepted", "rejected", "all"):
                raise ImageError(400, f"Invalid status: {value}")
        else:
            query.filters[key] = value
    visibility = query.filters.get("visibility")
    if visibility and visibility not in (*VISIBILITIES, "all"):
        raise ImageError(400, f"Invalid visibility value: {visibility}")
    if "changes-since" in query.filters:
        raise ImageError(400, 'The "changes-since" filter is no longer available on v2.')
    if new_sort is not None:
        if sort_keys or sort_dirs:
            raise ImageError(400, "Old and new sorting syntax cannot be combined")
        for part in new_sort.strip().split(","):
            key, _sep, direction = part.partition(":")
            sort_keys.append(_sort_key(key.strip()))
            sort_dirs.append(_sort_dir(direction.strip() or "desc"))
    elif len(sort_dirs) > 1 and len(sort_dirs) != len(sort_keys):
        raise ImageError(400, "Number of sort dirs does not match the number of sort keys")
    query.sort_keys = sort_keys or ["created_at"]
    query.sort_dirs = sort_dirs or ["desc"]
    return query


def _limit(raw: str) -> int:
    try:
        limit = int(raw)
    except ValueError:
        raise ImageError(400, "limit param must be an integer") from None
    if limit < 0:
        raise ImageError(400, "limit param must be positive")
    return min(limit, MAX_LIMIT)


def _sort_key(key: str) -> str:
    if key not in SORT_KEYS:
        raise ImageError(400, f"Invalid sort key: {key}. It must be one of the following: "
                              f"{', '.join(SORT_KEYS)}.")
    return key


def _sort_dir(direction: str) -> str:
    if direction not in ("asc", "desc"):
        raise ImageError(400, f"Invalid sort direction: {direction}")
    return direction


def _listed(image: Image, caller: Caller | None, visibility: str | None) -> bool:
    """Which images a list shows: with no visibility filter, community images only to
    their owner and admins (Glance's default); hidden images only when asked for."""
    if not is_visible(image, caller):
        return False
    if visibility in (None, "all"):
        if image.visibility == "community" and visibility is None:
            return caller is None or caller.is_admin or image.owner == caller.project_id
        return True
    return image.visibility == visibility


def _number(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ImageError(400, f"Unable to filter on a range with a non-numeric value "
                              f"({name}={raw}).") from None


def _matches(image: Image, filters: Mapping[str, str], tags: Sequence[str]) -> bool:
    for key, value in filters.items():
        if key == "visibility":
            continue
        if key == "size_min":
            if image.size is None or image.size < _number(value, key):
                return False
        elif key == "size_max":
            if image.size is None or image.size > _number(value, key):
                return False
        elif key in ("os_hidden", "protected"):
            if getattr(image, key) != (value.strip().lower() == "true"):
                return False
        elif key in BASE_PROPERTIES:
            if str(getattr(image, key)) != value and not (
                    getattr(image, key) is None and value == "None"):
                return False
        elif str(image.properties.get(key)) != value:
            return False
    if "os_hidden" not in filters and image.os_hidden:
        return False
    return all(tag in image.tags for tag in tags)


def _sort_key_of(key: str) -> Callable[[Image], tuple[bool, Any]]:
    """Glance's database order of one column: NULLs first."""

    def value(image: Image) -> tuple[bool, Any]:
        found = getattr(image, key)
        return (found is not None, found if found is not None else "")

    return value


def list_images(store: Store, caller: Caller | None, query: ImageQuery) -> list[Image]:
    """One page of the images the caller may list, in Glance's order (its sort keys, then
    created_at and id descending), after the marker."""
    keys = list(query.sort_keys)
    dirs = list(query.sort_dirs)
    if len(dirs) == 1 and len(keys) > 1:
        dirs = dirs * len(keys)
    for tiebreak in ("created_at", "id"):
        if tiebreak not in keys:
            keys.append(tiebreak)
            dirs.append("desc")
    with store.lock:
        visibility = query.filters.get("visibility")
        images = [i for i in store.images.values()
                  if _listed(i, caller, visibility) and _matches(i, query.filters, query.tags)]
        marker: Image | None = None
        if query.marker is not None:
            marker = store.images.get(query.marker)
            if marker is None or not is_visible(marker, caller):
                raise ImageError(400, f"No image found with ID {query.marker}")
            if marker not in images:  # filtered out: it still says where the page starts
                images.append(marker)
        # Stable sorts, least significant key first.
        for key, direction in reversed(list(zip(keys, dirs, strict=True))):
            images.sort(key=_sort_key_of(key), reverse=direction == "desc")
        if marker is not None:
            images = images[images.index(marker) + 1:]
        return images[:query.limit]


# -- update (JSON patch) --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Change:
    """One decoded JSON-patch operation (Glance's RequestDeserializer.update)."""

    op: str
    path: str
    value: Any = None
    add_fails_if_present: bool = False  # draft 4 (v2.0-json-patch) adds refuse a present key


def decode_pointer(pointer: str) -> list[str]:
    """Glance's limited JSON pointers, with its messages."""
    if not pointer.startswith("/"):
        raise ImageError(400, f'Pointer `{pointer}` does not start with "/".')
    inner = pointer[1:]
    if "//" in inner.replace(" ", ""):
        raise ImageError(400, f'Pointer `{pointer}` contains adjacent "/".')
    if len(pointer) > 1 and pointer.endswith("/"):
        raise ImageError(400, f'Pointer `{pointer}` end with "/".')
    for index, char in enumerate(pointer):
        if char == "~" and (index + 1 == len(pointer) or pointer[index + 1] not in "01"):
            raise ImageError(400, f'Pointer `{pointer}` contains "~" not part of a '
                                  "recognized escape sequence.")
    return [part.replace("~1", "/").replace("~0", "~").strip()
            for part in pointer.lstrip("/").split("/")]


def parse_changes(body: Any, draft: int) -> list[Change]:
    """The body of a PATCH (draft 10: v2.1-json-patch; draft 4: v2.0-json-patch)."""
    operations = ("add", "remove", "replace")
    if not isinstance(body, list):
        raise ImageError(400, "Request body must be a JSON array of operation objects.")
    changes = []
    for raw in body:
        if not isinstance(raw, dict):
            raise ImageError(400, "Operations must be JSON objects.")
        if draft == 10:
            op = raw.get("op")
            if op is None:
                raise ImageError(400, "Unable to find `op` in JSON Schema change. It must be "
                                      "one of the following: add, remove, replace.")
            if op not in operations:
                raise ImageError(400, f"Invalid operation: `{op}`. It must be one of the "
                                      "following: add, remove, replace.")
            if "path" not in raw:
                raise ImageError(400, "Unable to find 'path' in JSON Schema change")
            pointer = raw["path"]
        else:
            present = [key for key in operations if key in raw]
            if len(present) > 1:
                raise ImageError(400, 'Operation objects must contain only one member named '
                                      '"add", "remove", or "replace".')
            if not present:
                raise ImageError(400, 'Operation objects must contain exactly one member '
                                      'named "add", "remove", or "replace".')
            op = present[0]
            pointer = raw[op]
        if not isinstance(pointer, str):
            raise ImageError(400, f'Pointer `{pointer}` does not start with "/".')
        path = decode_pointer(pointer)
        if len(path) != 1:
            raise ImageError(400, f"Invalid JSON pointer for this resource: '/{'/'.join(path)}'")
        name = path[0]
        if op != "remove" and "value" not in raw:
            raise ImageError(400, f'Operation "{op}" requires a member named "value".')
        if name in READ_ONLY:
            raise ImageError(403, f"Attribute '{name}' is read-only.")
        _check_property_names([name])
        changes.append(Change(op, name, raw.get("value"), add_fails_if_present=draft == 4))
    return changes


def patched_view(image: Image, changes: Sequence[Change]) -> dict[str, Any]:
    """The image's base and custom properties with ``changes`` applied (no record is
    touched), for the schema check Glance makes before saving; Glance's 403s and 409s."""
    values: dict[str, Any] = {key: getattr(image, key) for key in BASE_PROPERTIES}
    properties = dict(image.properties)
    for change in changes:
        name = change.path
        if change.op == "remove":
            if name in BASE_PROPERTIES:
                raise ImageError(403, f"Property {name} may not be removed.")
            if name not in properties:
                raise ImageError(409, f"Property {name} does not exist.")
            del properties[name]
        elif change.op == "replace" and name not in BASE_PROPERTIES and name not in properties:
            raise ImageError(409, f"Property {name} does not exist.")
        elif change.op == "add" and change.add_fails_if_present and (
                name in BASE_PROPERTIES or name in properties):
            raise ImageError(409, f"Property {name} already present.")
        elif name in BASE_PROPERTIES:
            values[name] = change.value
        else:
            properties[name] = change.value
    return {**properties, **values}


def update_image(store: Store, caller: Caller | None, image_id: str,
                 changes: Sequence[Change],
                 validate: Callable[[dict[str, Any]], None] | None = None) -> Image:
    """PATCH /v2/images/{id}: all changes or none. ``validate(view)`` raises for a
    patched image Glance's schema refuses (the API layer's JSON Schema)."""
    with store.lock:
        image = _modifiable(store, caller, image_id, "modify_image")
        for change in changes:
            if change.path == "owner" and change.op != "remove" and (
                    caller is not None and not caller.is_admin):
                raise ImageError(403, "Owner can't be updated by non admin.")
            if (change.path == "visibility" and change.value == "public"
                    and caller is not None and not caller.is_admin):
                raise _not_authorized("publicize_image")
        view = patched_view(image, changes)
        if validate is not None:
            validate(view)
        for key in ("name", "visibility", "disk_format", "container_format", "min_disk",
                    "min_ram", "protected", "os_hidden", "owner"):
            setattr(image, key, view[key])
        image.tags = _unique(view["tags"])
        image.properties = {k: v for k, v in view.items() if k not in BASE_PROPERTIES}
        image.updated_at = glance_time(store.clock.now())
        return image


# -- delete ---------------------------------------------------------------------------------------
def delete_image(store: Store, caller: Caller | None, image_id: str) -> None:
    """DELETE /v2/images/{id}: gone at once (Glance hides deleted images), data freed."""
    with store.lock:
        image = _modifiable(store, caller, image_id, "delete_image")
        if image.protected:
            raise ImageError(403, f"Image {image_id} is protected and cannot be deleted.")
        del store.images[image_id]
        store.image_data.pop(image_id, None)


# -- deactivate and reactivate --------------------------------------------------------------------
# action -> (the status it moves from, the status it moves to), as Glance's domain Image.
ACTIVATION = {"deactivate": ("active", "deactivated"), "reactivate": ("deactivated", "active")}


def change_activation(store: Store, caller: Caller | None, image_id: str, action: str) -> Image:
    """POST /v2/images/{id}/actions/deactivate|reactivate (glance/api/v2/image_actions.py
    and its domain's Image.deactivate/reactivate): an admin or a member of the owner (the
    default ``deactivate``/``reactivate`` policies); an image already there stays as it
    is; any other status is refused with 403. A deactivated image's data is not
    downloadable but by admins, and Cinder refuses it as a volume's source."""
    source, target = ACTIVATION[action]
    with store.lock:
        image = _modifiable(store, caller, image_id, action)
        if image.status == target:
            return image
        if image.status != source:
            raise ImageError(403, f"Not allowed to {action} image in status '{image.status}'")
        image.status = target
        image.updated_at = glance_time(store.clock.now())
        return image


# -- data -----------------------------------------------------------------------------------------
def virtual_size(disk_format: str | None, data: bytes) -> int | None:
    """What Glance's format inspector finds: a raw image's own size, a qcow2 header's
    virtual size; None for formats the fake does not inspect."""
    if disk_format == "raw":
        return len(data)
    if disk_format == "qcow2" and len(data) >= 32 and data[:4] == _QCOW2_MAGIC:
        return int(struct.unpack(">Q", data[24:32])[0])
    return None


def set_data(store: Store, image: Image, data: bytes) -> None:
    """Store the data and what Glance computes from it; the image becomes active."""
    image.size = len(data)
    image.checksum = hashlib.md5(data, usedforsecurity=False).hexdigest()
    image.os_hash_algo = HASH_ALGO
    image.os_hash_value = hashlib.sha512(data).hexdigest()
    found = virtual_size(image.disk_format, data)
    image.virtual_size = found if found is not None else image.virtual_size
    image.status = "active"
    image.updated_at = glance_time(store.clock.now())
    store.image_data[image.id] = data


def check_upload(store: Store, caller: Caller | None, image_id: str,
                 length: int | None) -> Image:
    """Whether PUT /v2/images/{id}/file may start (before the body is read)."""
    with store.lock:
        image = _modifiable(store, caller, image_id, "upload_image")
        if image.status != "queued":
            raise ImageError(409, f"Image status transition from {image.status} to saving "
                                  "is not allowed")
        if image.disk_format is None or image.container_format is None:
            raise ImageError(400, "Properties disk_format, container_format must be set "
                                  "prior to saving data.")
        if length is not None:
            _check_room(store, image.id, length)
        return image


def _check_room(store: Store, image_id: str, length: int) -> None:
    if length > MAX_IMAGE_BYTES:
        raise ImageError(413, f"Image exceeds the fake's size limit of {MAX_IMAGE_BYTES} "
                              "bytes per image.")
    used = sum(len(d) for key, d in store.image_data.items() if key != image_id)
    if used + length > MAX_TOTAL_IMAGE_BYTES:
        raise ImageError(413, "Image exceeds the storage quota: the fake keeps at most "
                              f"{MAX_TOTAL_IMAGE_BYTES} bytes of image data.")


def upload(store: Store, caller: Caller | None, image_id: str, data: bytes) -> Image:
    """PUT /v2/images/{id}/file: queued -> (saving) -> active, in one step."""
    with store.lock:
        image = check_upload(store, caller, image_id, len(data))
        set_data(store, image, data)
        return image


def download(store: Store, caller: Caller | None, image_id: str
             ) -> tuple[bytes | None, str | None]:
    """GET /v2/images/{id}/file: the data (None when the image has none yet: 204) and its
    md5 checksum, read together."""
    with store.lock:
        image = get_image(store, caller, image_id)
        if image.status == "deactivated" and not (caller is None or caller.is_admin):
            raise ImageError(403, "The requested image has been deactivated. Image data "
                                  "download is forbidden.")
        return store.image_data.get(image.id), image.checksum


# -- records from plain data (state files, the Python API) -----------------------------------------
def image_from_data(store: Store, fields: Mapping[str, Any], data: bytes | None) -> Image:
    """A stored image from a state file's (or ``fake.add_image``'s) fields; with data, an
    active (or, when the fields say so, deactivated) image whose size and checksums are
    the data's."""
    values = dict(fields)
    values.setdefault("id", store.clock.new_id())
    values.setdefault("created_at", glance_time(store.clock.now()))
    values.setdefault("updated_at", values["created_at"])
    image = Image(**values)
    if data is not None:
        created = image.updated_at
        set_data(store, image, data)
        image.updated_at = created
        if values.get("status") == "deactivated":
            image.status = "deactivated"
    return image


def add_image(store: Store, image: Image, data: bytes | None) -> Image:
    with store.lock:
        if data is not None:
            _check_room(store, image.id, len(data))
            store.image_data[image.id] = data
        store.images[image.id] = image
        return image


def is_image_id(value: str) -> bool:
    return is_uuid_like(value)


def size_in_gib(image: Image) -> int:
    """The image's size in whole GiB, rounded up (Cinder's check_image_metadata)."""
    return ((image.size or 0) + GIB - 1) // GIB


# -- state files ----------------------------------------------------------------------------------
def state_problem(records: Sequence[Mapping[str, Any]]) -> tuple[str, str] | None:
    """What the schema cannot check of a state's images: (JSON path, problem) or None."""
    seen: set[str] = set()
    total = 0
    for index, data in enumerate(records):
        where = f"$.images[{index}]"
        if data["id"] in seen:
            return f"{where}.id", f"duplicate image id {data['id']}"
        seen.add(data["id"])
        if "data" in data:
            try:
                size = len(base64.b64decode(data["data"], validate=True))
            except ValueError:
                return f"{where}.data", "not base64"
            if size > MAX_IMAGE_BYTES:
                return f"{where}.data", f"more than the {MAX_IMAGE_BYTES} bytes an image holds"
            total += size
    if total > MAX_TOTAL_IMAGE_BYTES:
        return "$.images", f"more than the {MAX_TOTAL_IMAGE_BYTES} bytes of image data kept"
    return None


def image_records(store: Store, records: Sequence[Mapping[str, Any]]
                  ) -> list[tuple[Image, bytes | None]]:
    """Images (and their data) from a checked state's entries."""
    built = []
    for data in records:
        fields = dict(data)
        raw = fields.pop("data", None)
        payload = base64.b64decode(raw) if raw is not None else None
        built.append((image_from_data(store, fields, payload), payload))
    return built


def dump_images(store: Store) -> list[dict[str, Any]]:
    """The images as state entries (oldest first), their data in base64."""
    with store.lock:
        entries = []
        for image in sorted(store.images.values(), key=lambda i: (i.created_at, i.id)):
            entry = record_to_dict(image)
            data = store.image_data.get(image.id)
            if data is not None:
                entry["data"] = base64.b64encode(data).decode("ascii")
            entries.append(entry)
        return entries
