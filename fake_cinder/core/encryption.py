"""Volume type encryption (types/{id}/encryption) and a volume's encryption metadata.

A volume of a type with encryption specs gets an encryption key id when it is
created (Cinder asks its key manager for a new key); it then shows
``encrypted: true``, its connection info says ``encrypted``, and
``GET /volumes/{id}/encryption`` gives what Nova hands to os-brick.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .context import Caller
from .errors import BadRequest, InvalidInput, NotFound, VolumeTypeNotFound
from .listing import DB_MAX_INT
from .models import Encryption
from .policy import authorize
from .store import Store
from .volumes import load_volume

# The columns of Cinder's encryption table (what GET types/{id}/encryption shows).
SPEC_KEYS = ("cipher", "key_size", "provider", "control_location")
CONTROL_LOCATIONS = ("front-end", "back-end")


class EncryptionNotFound(NotFound):
    def __init__(self, type_id: str) -> None:
        super().__init__(f"Volume type encryption for type {type_id} does not exist.")


def _check_type(store: Store, type_id: str) -> None:
    if type_id not in store.volume_types:
        raise VolumeTypeNotFound(type_id)


def _in_use(store: Store, type_id: str) -> bool:
    return any(v.volume_type_id == type_id for v in store.volumes.values())


def key_size(value: Any) -> int | None:
    """Cinder's key_size: its format (oslo's is_int_like), the schema's bounds, which
    Cinder's validator applies to integer strings too, then int()."""
    if value is None:
        return None
    try:
        size = int(value)
    except ValueError:
        size = None
    if isinstance(value, bool) or size is None or str(size) != str(value):
        raise InvalidInput("key_size must be an integer.")
    for beyond, bound, relation in ((size < 0, 0, "less than the minimum"),
                                    (size > DB_MAX_INT, DB_MAX_INT, "greater than the maximum")):
        if beyond:
            raise BadRequest(f"Invalid input for field/attribute key_size. Value: {value}. "
                             f"{value} is {relation} of {bound}")
    return size


def specs_view(encryption: Encryption | None) -> dict[str, Any]:
    """GET types/{id}/encryption: every column of the type's row; {} without one."""
    if encryption is None:
        return {}
    return {"volume_type_id": encryption.volume_type_id, "cipher": encryption.cipher,
            "key_size": encryption.key_size, "provider": encryption.provider,
            "control_location": encryption.control_location,
            "encryption_id": encryption.encryption_id, "created_at": encryption.created_at,
            "updated_at": encryption.updated_at, "deleted": False, "deleted_at": None}


def get_specs(store: Store, type_id: str) -> dict[str, Any]:
    with store.lock:
        _check_type(store, type_id)
        return specs_view(store.encryptions.get(type_id))


def get_spec(store: Store, type_id: str, key: str) -> dict[str, Any]:
    """GET types/{id}/encryption/{key}: one column, or 404 when the type has no such key."""
    specs = get_specs(store, type_id)
    if key not in specs:
        raise EncryptionNotFound(type_id)
    return {key: specs[key]}


def create(store: Store, type_id: str, specs: Mapping[str, Any]) -> Encryption:
    """POST types/{id}/encryption, checks in Cinder's order: in use, the type, exists."""
    with store.lock:
        size = key_size(specs.get("key_size"))
        if _in_use(store, type_id):
            raise BadRequest("Cannot create encryption specs. Volume type in use.")
        _check_type(store, type_id)
        if type_id in store.encryptions:
            raise BadRequest(f"Volume type encryption for type {type_id} already exists.")
        encryption = store.encryptions[type_id] = Encryption(
            volume_type_id=type_id, encryption_id=store.clock.new_id(),
            provider=specs["provider"], control_location=specs["control_location"],
            cipher=specs.get("cipher"), key_size=size, created_at=store.clock.now())
        return encryption


def update(store: Store, type_id: str, specs: Mapping[str, Any]) -> None:
    """PUT types/{id}/encryption/{id}: the type, in use, then the row's update (a type
    without encryption has no row: Cinder's database answers 404)."""
    with store.lock:
        size = key_size(specs.get("key_size"))
        _check_type(store, type_id)
        if _in_use(store, type_id):
            raise BadRequest("Cannot update encryption specs. Volume type in use.")
        encryption = store.encryptions.get(type_id)
        if encryption is None:
            raise EncryptionNotFound(type_id)
        for key in SPEC_KEYS:
            if key in specs:
                setattr(encryption, key, size if key == "key_size" else specs[key])
        encryption.updated_at = store.clock.now()


def delete(store: Store, type_id: str) -> None:
    with store.lock:
        if _in_use(store, type_id):
            raise BadRequest("Cannot delete encryption specs. Volume type in use.")
        if store.encryptions.pop(type_id, None) is None:
            raise EncryptionNotFound(type_id)


def volume_metadata(store: Store, caller: Caller, volume_id: str) -> dict[str, Any]:
    """GET volumes/{id}/encryption: the key id, and the type's specs when it has any
    (the volume, then its policy on the volume's project)."""
    with store.lock:
        volume = load_volume(store, caller, volume_id)
        authorize(caller, "volume_extension:volume_encryption_metadata", volume.project_id)
        values: dict[str, Any] = {"encryption_key_id": volume.encryption_key_id}
        encryption = store.encryptions.get(volume.volume_type_id or "")
        if encryption is not None:
            for key in ("control_location", "cipher", "key_size", "provider"):
                values[key] = getattr(encryption, key)
        return values
