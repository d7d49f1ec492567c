"""Volume transfers (cinder/transfer/api.py and the database's transfer functions): a
project offers an available volume, which waits ``awaiting-transfer`` until another
project accepts it with the auth key (the volume, its snapshots unless
``no_snapshots``, and so their quota usage change hands) or the offer is deleted.

The auth key is shown once, by the create; the store keeps only Cinder's salted
HMAC-SHA1 of it. An accepted transfer stays in the store with its history
(``accepted``, ``destination_project_id``) but, as Cinder soft-deletes it, no call
finds it any more.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from . import quotas
from .context import Caller
from .errors import BadRequest, InvalidVolume, NotFound
from .listing import TRUE_STRINGS, ListQuery, check_sort_keys, sorted_after
from .models import Transfer, Volume, VolumeType
from .policy import authorize
from .store import Store
from .volumes import get_volume_type, load_volume

SALT_LENGTH = 8        # Cinder's volume_transfer_salt_length
AUTH_KEY_LENGTH = 16   # Cinder's volume_transfer_key_length
# Cinder's Transfer columns (filters and sort keys) mapped to the fake's attribute names.
MODEL_COLUMNS = {
    "id": "id", "volume_id": "volume_id", "display_name": "name", "salt": "salt",
    "crypt_hash": "crypt_hash", "no_snapshots": "no_snapshots",
    "source_project_id": "source_project_id",
    "destination_project_id": "destination_project_id", "accepted": "accepted",
    "created_at": "created_at",
}
_NULL_COLUMNS = ("expires_at", "updated_at", "deleted_at", "deleted")  # always NULL/false


class TransferNotFound(NotFound):
    def __init__(self, transfer_id: str) -> None:
        super().__init__(f"Transfer {transfer_id} could not be found.")


class InvalidSnapshot(BadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid snapshot: {reason}")


def crypt_hash(salt: str, auth_key: str) -> str:
    """Cinder's _get_crypt_hash: HMAC-SHA1 of the auth key keyed with the salt."""
    return hmac.new(salt.encode(), auth_key.encode(), hashlib.sha1).hexdigest()


def _random_hex(store: Store, length: int) -> str:
    """Hexadecimal digits (what Cinder's keys are made of), from the fake's clock: a
    seeded fake repeats them."""
    digits = ""
    while len(digits) < length:
        digits += store.clock.new_id().replace("-", "")
    return digits[:length]


def _visible(store: Store, caller: Caller, transfer_id: str) -> Transfer:
    """Cinder's _transfer_get: a pending transfer whose volume is in the caller's
    project (any, for admins)."""
    transfer = store.transfers.get(transfer_id)
    volume = store.volumes.get(transfer.volume_id) if transfer is not None else None
    if (transfer is None or transfer.accepted or volume is None
            or not caller.can_see(volume.project_id)):
        raise TransferNotFound(transfer_id)
    return transfer


def create_transfer(store: Store, caller: Caller, volume_id: str, name: str | None = None,
                    *, no_snapshots: bool = False, allow_encrypted: bool = False,
                    auth_key: str | None = None) -> tuple[Transfer, str]:
    """Offer a volume: returns the transfer and its auth key (generated unless given).
    The volume becomes ``awaiting-transfer``."""
    with store.lock:
        volume = load_volume(store, caller, volume_id)
        authorize(caller, "volume:create_transfer", volume.project_id)
        if volume.status != "available":
            raise InvalidVolume("status must be available")
        if volume.encryption_key_id is not None:
            if not allow_encrypted:
                raise InvalidVolume("transferring encrypted volume is not supported")
            if no_snapshots:
                raise InvalidVolume("transferring an encrypted volume without its "
                                    "snapshots is not supported")
        if not no_snapshots:
            for snapshot in store.volume_snapshots(volume.id):
                if snapshot.status != "available":
                    raise InvalidSnapshot(f"snapshot: {snapshot.id} status must be available")
        salt = _random_hex(store, SALT_LENGTH)
        auth_key = auth_key or _random_hex(store, AUTH_KEY_LENGTH)
        now = store.clock.now()
        transfer = Transfer(id=store.clock.new_id(), volume_id=volume.id,
                            source_project_id=volume.project_id, name=name, salt=salt,
                            crypt_hash=crypt_hash(salt, auth_key), no_snapshots=no_snapshots,
                            created_at=now)
        volume.status = "awaiting-transfer"
        volume.updated_at = now
        store.transfers[transfer.id] = transfer
        return transfer, auth_key


def get_transfer(store: Store, caller: Caller, transfer_id: str) -> Transfer:
    authorize(caller, "volume:get_transfer")
    with store.lock:
        return _visible(store, caller, transfer_id)


def delete_transfer(store: Store, caller: Caller, transfer_id: str) -> None:
    """Withdraw an offer: the volume is available again (if it still awaits it)."""
    with store.lock:
        transfer = _visible(store, caller, transfer_id)
        volume = load_volume(store, caller, transfer.volume_id)
        authorize(caller, "volume:delete_transfer", volume.project_id)
        if volume.status == "awaiting-transfer":
            volume.status = "available"
            volume.updated_at = store.clock.now()
        del store.transfers[transfer.id]


def accept_transfer(store: Store, caller: Caller, transfer_id: str,
                    auth_key: str) -> tuple[Transfer, Volume]:
    """Take the volume (and its snapshots unless the transfer says no_snapshots) into
    the caller's project, after Cinder's checks in its order: the policy, the transfer
    (of any project), the auth key, the receiving project's per-volume limit, the
    volume's type as the caller sees it, its quotas, the statuses."""
    authorize(caller, "volume:accept_transfer")
    with store.lock:
        transfer = store.transfers.get(transfer_id)
        volume = store.volumes.get(transfer.volume_id) if transfer is not None else None
        if transfer is None or transfer.accepted or volume is None:
            raise TransferNotFound(transfer_id)
        if not hmac.compare_digest(crypt_hash(transfer.salt, str(auth_key)),
                                   transfer.crypt_hash):
            raise BadRequest(f"Invalid auth key: Attempt to transfer {transfer_id} with "
                             "invalid auth key.")
        snapshots = [] if transfer.no_snapshots else store.volume_snapshots(volume.id)
        try:
            quotas.check_per_volume_limit(store, caller.project_id, volume.size)
            volume_type = _type_to_reserve(store, caller, volume)
            quotas.reserve_transfer_accept(store, caller.project_id, volume.size, volume_type,
                                           [s.size for s in snapshots])
        except quotas.QuotaError as error:
            raise _as_accept_refusal(error) from None
        if volume.status == "maintenance":
            raise InvalidVolume("The volume cannot accept transfer in maintenance mode.")
        if volume.status != "awaiting-transfer":
            raise InvalidVolume(f"Transfer {transfer_id}: Volume id {volume.id} expected in "
                                "awaiting-transfer state.")
        for snapshot in snapshots:
            if snapshot.status != "available":
                raise InvalidSnapshot(f"Transfer {transfer_id}: Snapshot {snapshot.id} is not "
                                      "in the expected available state.")
        now = store.clock.now()
        store.move_volume(volume, caller.project_id)
        volume.user_id = caller.user_id
        volume.status = "available"
        volume.updated_at = now
        for snapshot in snapshots:
            store.move_snapshot(snapshot, caller.project_id)
            snapshot.user_id = caller.user_id
            snapshot.updated_at = now
        transfer.accepted = True
        transfer.destination_project_id = caller.project_id
        return transfer, volume


def _type_to_reserve(store: Store, caller: Caller, volume: Volume) -> VolumeType | None:
    """The volume's type, for the per-type quotas. Cinder looks it up with the accepting
    user's context (quota's add_volume_type_opts): a private type their project has no
    access to is not found (404), unless they are an admin."""
    type_id = volume.volume_type_id
    if type_id is None or type_id not in store.volume_types:
        return None  # no type, or one deleted since
    return get_volume_type(store, caller, type_id)


_SIZE_REFUSAL = "VolumeSizeExceedsAvailableQuota: "


def _as_accept_refusal(error: quotas.QuotaError) -> quotas.QuotaError:
    """The accept's controller answers the gigabytes refusal itself (a 413 with the bare
    message); other quota errors reach Cinder's fault middleware, prefixed."""
    if error.message.startswith(_SIZE_REFUSAL):
        error.message = error.message.removeprefix(_SIZE_REFUSAL)
    return error


# -- listing --------------------------------------------------------------------------------------
def _matches(transfer: Transfer, filters: Mapping[str, str]) -> bool:
    for key, wanted in filters.items():
        value: Any = getattr(transfer, MODEL_COLUMNS[key]) if key in MODEL_COLUMNS else None
        if isinstance(value, bool):
            if value != (wanted.strip().lower() in TRUE_STRINGS):
                return False
        elif value != wanted:
            return False
    return True


def list_transfers(store: Store, caller: Caller, query: ListQuery) -> list[Transfer]:
    """Pending transfers of volumes in the caller's project (every project's for an admin
    with all_tenants), in the query's order and page. A filter that is no column of
    Cinder's transfers (``limit`` too, where Cinder passes it as a filter) matches
    nothing."""
    authorize(caller, "volume:get_all_transfers")
    with store.lock:
        filters = dict(query.filters)
        if any(key not in MODEL_COLUMNS and key not in _NULL_COLUMNS for key in filters):
            return []
        marker = _visible(store, caller, query.marker) if query.marker else None
        check_sort_keys(query, MODEL_COLUMNS)
        pending = [t for t in store.transfers.values() if not t.accepted
                   and (query.all_tenants or _project_of(store, t) == caller.project_id)]
        ordered = sorted_after(pending, query, MODEL_COLUMNS, marker)
        matching = [t for t in ordered if _matches(t, filters)]
        return matching[query.offset:query.offset + query.limit]


def _project_of(store: Store, transfer: Transfer) -> str | None:
    volume = store.volumes.get(transfer.volume_id)
    return volume.project_id if volume is not None else None
