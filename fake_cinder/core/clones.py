"""Clones: a volume created from another (``source_volid``), checked as Cinder's create
flow checks its source (cinder/volume/api.py and flows/api/create_volume.py)."""

from __future__ import annotations

from .errors import InvalidInput, InvalidVolume
from .models import Volume, VolumeType
from .store import Store
from .volumes import retype_is_possible

# The statuses a volume may be cloned in (Cinder's SRC_VOL_PROCEED_STATUS).
CLONEABLE_STATUSES = ("available", "in-use")


def check_clone_source(store: Store, source: Volume, volume_type: VolumeType,
                       size: int | None) -> bool:
    """Cinder's checks of a clone, in its order: a volume type the source could not be
    retyped to, the source's status, the size. Returns
    whether the source is bootable (the clone is too)."""
    if not retype_is_possible(store, source.volume_type_id, volume_type):
        raise InvalidInput(f"Invalid volume_type provided: {volume_type.id} (requested type "
                           "is not compatible; either match source volume, or omit type "
                           "argument).")
    if source.status not in CLONEABLE_STATUSES:
        raise InvalidVolume("Originating source volume status must be one of "
                            f"'{', '.join(CLONEABLE_STATUSES)}' values")
    if size is not None and 0 < size < source.size:
        raise InvalidInput(f"Volume size '{size}'GB cannot be smaller than original volume "
                           f"size  {source.size}GB. They must be >= original volume size.")
    return source.bootable
