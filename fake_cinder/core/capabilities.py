"""Cinder's scheduler capabilities filter: whether a backend's capabilities satisfy a
volume type's extra specs (cinder/scheduler/filters/capabilities_filter.py and
extra_specs_ops.py), and the capabilities the fake's backend reports.

Extra specs with a scope other than ``capabilities:`` (``provisioning:...``,
``RESKEY:...``) are not the filter's business; every other key names a capability the
backend must report and match, with Cinder's operators (``<is>``, ``<in>``, ``<or>``,
``==``, ``!=``, ``>=``, ``<=``, ``s==``, ``s!=``, ``s<``, ``s<=``, ``s>``, ``s>=``) or
as a plain string.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from . import backend
from .listing import TRUE_STRINGS
from .models import Volume, VolumeType

# What Cinder's volume service reports for the fake's backend (the LVM-like values the
# conformance harness's in-memory driver reports too), besides its name and protocol.
BACKEND_CAPABILITIES: dict[str, Any] = {
    "vendor_name": "fake-cinder", "driver_version": "1.0.0", "sparse_copy_volume": True,
    "total_capacity_gb": 10000, "reserved_percentage": 0,
    "max_over_subscription_ratio": 1.0, "thin_provisioning_support": False,
    "thick_provisioning_support": True, "multiattach": True, "QoS_support": False,
    "backend_state": "up",
}
# Cinder's storage_protocol spellings of the fake's protocols.
PROTOCOL_NAMES = {"iscsi": "iSCSI", "rbd": "ceph", "fibre_channel": "FC", "nvmeof": "NVMe-oF"}


def _is(value: Any, wanted: str) -> bool:
    """oslo's bool_from_string of both sides."""
    return (str(value).strip().lower() in TRUE_STRINGS) is (wanted.strip().lower()
                                                             in TRUE_STRINGS)


_OPERATORS: dict[str, Callable[[Any, str], bool]] = {
    "=": lambda x, y: float(x) >= float(y),
    "<in>": lambda x, y: y in x,
    "<is>": _is,
    "==": lambda x, y: float(x) == float(y),
    "!=": lambda x, y: float(x) != float(y),
    ">=": lambda x, y: float(x) >= float(y),
    "<=": lambda x, y: float(x) <= float(y),
    "s==": operator.eq, "s!=": operator.ne, "s<": operator.lt, "s<=": operator.le,
    "s>": operator.gt, "s>=": operator.ge,
}


def match(value: Any, requirement: str | None) -> bool:
    """Cinder's extra_specs_ops.match."""
    if requirement is None:
        return value is None
    words = requirement.split()
    op = words.pop(0) if words else None
    method = _OPERATORS.get(op or "")
    if op != "<or>" and method is None:
        return bool(value == requirement)
    if value is None:
        return False
    if op == "<or>":  # <or> v1 <or> v2 ...
        while words:
            if words.pop(0) == value:
                return True
            if not words:
                break
            words.pop(0)
        return False
    assert method is not None
    try:
        return bool(words and method(value, words[0]))
    except (ValueError, TypeError):
        return False


def satisfies(capabilities: Mapping[str, Any],
              extra_specs: Mapping[str, str | None]) -> bool:
    """Cinder's CapabilitiesFilter: every unscoped (or ``capabilities:``) extra spec
    names a reported capability that matches it (a list matches when one item does)."""
    for key, requirement in extra_specs.items():
        scope = key.split(":")
        if len(scope) > 1 and scope[0] != "capabilities":
            continue
        if scope[0] == "capabilities":
            del scope[0]
        found: Any = capabilities
        for part in scope:
            if not isinstance(found, Mapping) or part not in found:
                return False
            found = found[part]
        values = found if isinstance(found, list) else [found]
        if not any(match(value, requirement) for value in values):
            return False
    return True


def backend_name(host: str) -> str:
    """The backend part of Cinder's ``host@backend#pool``."""
    return host.partition("@")[2].partition("#")[0] or host.partition("#")[0]


def volume_backend(volume: Volume, volume_type: VolumeType | None) -> dict[str, Any]:
    """The capabilities of the backend a volume is on: its name (the host's backend
    part), and the protocol the volume is served with (its own, else its type's)."""
    declared = volume.protocol or (volume_type.protocol if volume_type else None)
    try:
        protocol = backend.normalize_protocol(declared)
    except ValueError:
        protocol = backend.DEFAULT_PROTOCOL
    # A volume whose create failed was never scheduled: it has no backend of its own.
    return {**BACKEND_CAPABILITIES, "volume_backend_name": backend_name(volume.host or ""),
            "storage_protocol": PROTOCOL_NAMES[protocol]}
