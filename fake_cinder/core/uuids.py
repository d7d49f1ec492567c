"""oslo's is_uuid_like, which Cinder uses to tell ids from names."""

from __future__ import annotations

import re
import uuid

_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_uuid_like(value: object) -> bool:
    """Any spelling uuid.UUID accepts that round-trips (non-strings are not uuids)."""
    if not isinstance(value, str):
        return False
    if _CANONICAL_UUID.fullmatch(value):
        return True  # the usual spelling, which always round-trips: skip the parse
    try:
        normalized = value.replace("urn:", "").replace("uuid:", "").strip("{}")
        return str(uuid.UUID(value)).replace("-", "") == normalized.replace("-", "").lower()
    except (TypeError, ValueError, AttributeError):
        return False
