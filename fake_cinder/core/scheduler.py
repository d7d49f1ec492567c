"""Cinder's filter scheduler, as its default configuration runs it: the availability
zone, capacity and capabilities filters, then the capacity weigher.

A volume goes to the pool, among those of the backends whose service is up, enabled
and not frozen, that is in the volume's zone, has room for it (Cinder's capacity
factors: reserved space, thin provisioning and over-subscription) and whose
capabilities satisfy every unscoped (or ``capabilities:``-scoped) extra spec of its
type with Cinder's operators (cinder/scheduler/filters/extra_specs_ops.py); the one
with the most virtual free capacity wins, the first listed on a tie.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .listing import TRUE_STRINGS


def _as_bool(value: Any) -> bool:
    """oslo's bool_from_string (non-strict): only its true strings are True."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_STRINGS


def _float_op(compare: Callable[[float, float], bool]) -> Callable[[Any, str], bool]:
    return lambda value, wanted: compare(float(value), float(wanted))


# extra_specs_ops._op_methods: "=" means "at least", as in Cinder.
_OPERATORS: dict[str, Callable[[Any, str], bool]] = {
    "=": _float_op(operator.ge),
    "<in>": lambda value, wanted: wanted in value,
    "<is>": lambda value, wanted: _as_bool(value) is _as_bool(wanted),
    "==": _float_op(operator.eq),
    "!=": _float_op(operator.ne),
    ">=": _float_op(operator.ge),
    "<=": _float_op(operator.le),
    "s==": operator.eq,
    "s!=": operator.ne,
    "s<": operator.lt,
    "s<=": operator.le,
    "s>": operator.gt,
    "s>=": operator.ge,
}


def spec_matches(value: Any, requirement: str | None) -> bool:
    """Whether a reported capability ``value`` satisfies one extra spec's value."""
    if requirement is None:
        return value is None
    words = requirement.split()
    op = words.pop(0) if words else None
    method = _OPERATORS.get(op) if op is not None else None
    if op != "<or>" and method is None:
        return bool(value == requirement)
    if value is None:
        return False
    if op == "<or>":  # "<or> a <or> b": any of the words between the keywords
        while words:
            if words.pop(0) == value:
                return True
            if not words:
                break
            words.pop(0)
        return False
    try:
        return bool(words and method is not None and method(value, words[0]))
    except (ValueError, TypeError):
        return False


def satisfies_extra_specs(capabilities: Mapping[str, Any],
                          extra_specs: Mapping[str, str | None]) -> bool:
    """Cinder's CapabilitiesFilter: every extra spec without a scope (or scoped
    ``capabilities:``) must be reported, and one of its values must match."""
    for key, requirement in extra_specs.items():
        scope = key.split(":")
        if len(scope) > 1 and scope[0] != "capabilities":
            continue  # vendor-scoped (and QoS, provisioning...) specs are not capabilities
        if scope[0] == "capabilities":
            del scope[0]
        found: Any = capabilities
        for part in scope:
            try:
                found = found[part]
            except (TypeError, KeyError, IndexError):
                return False
        values = found if isinstance(found, list) else [found]
        if not any(spec_matches(value, requirement) for value in values):
            return False
    return True


def virtual_free_capacity(total: float, free: float, provisioned: float,
                          thin_support: bool, ratio: float, reserved_percentage: int,
                          thin: bool) -> float:
    """sched_utils.calculate_capacity_factors' virtual free capacity."""
    reserved = math.floor(float(total) * float(reserved_percentage) / 100)
    available = float(total) - reserved
    if thin and thin_support:
        return available * ratio - provisioned
    return min(available - provisioned, float(free))


def has_room(pool: Mapping[str, Any], size: int, thin: bool) -> bool:
    """Cinder's CapacityFilter for a pool's capabilities and a new volume of ``size``."""
    total = float(pool["total_capacity_gb"])
    if total <= 0:
        return False
    thin_support = bool(pool["thin_provisioning_support"])
    ratio = float(pool["max_over_subscription_ratio"]) if thin_support else 1.0
    provisioned = float(pool["provisioned_capacity_gb"])
    free = virtual_free_capacity(total, pool["free_capacity_gb"], provisioned, thin_support,
                                 ratio, pool["reserved_percentage"], thin)
    if thin and thin_support:
        if ratio < 1:
            return False
        available = total - math.floor(total * pool["reserved_percentage"] / 100)
        if (provisioned + size) / (available * ratio) > ratio:
            return False
    return free >= size


def weight(pool: Mapping[str, Any], thin: bool) -> float:
    """CapacityWeigher: the pool's virtual free capacity (more is better)."""
    thin_support = bool(pool["thin_provisioning_support"])
    ratio = float(pool["max_over_subscription_ratio"]) if thin_support else 1.0
    return virtual_free_capacity(
        pool["total_capacity_gb"], pool["free_capacity_gb"], pool["provisioned_capacity_gb"],
        thin_support, ratio, pool["reserved_percentage"], thin)


Pool = tuple[str, str, Mapping[str, Any]]  # (pool host, zone, capabilities)


def _best_weighed(pools: Iterable[Pool], thin: bool) -> tuple[str, str] | None:
    """The host and zone of the pool the CapacityWeigher ranks first (the first of
    equals), or None."""
    best: tuple[float, str, str] | None = None
    for host, zone, capabilities in pools:
        score = weight(capabilities, thin)
        if best is None or score > best[0]:
            best = (score, host, zone)
    return (best[1], best[2]) if best else None


def _is_thin(extra_specs: Mapping[str, str | None]) -> bool:
    return extra_specs.get("provisioning:type") != "thick"


def choose_pool(candidates: Iterable[Pool], extra_specs: Mapping[str, str | None], size: int,
                zones: list[str]) -> tuple[str, str] | None:
    """The host (``host@backend#pool``) and zone of the best pool, or None (Cinder's
    NoValidBackend).

    ``candidates``: (pool host, zone, capabilities) of the pools of the schedulable
    backends, in their order; ``zones``: those the volume may be in (empty: any).
    """
    thin = _is_thin(extra_specs)
    return _best_weighed(((host, zone, capabilities) for host, zone, capabilities in candidates
                          if (not zones or zone in zones)
                          and has_room(capabilities, size, thin)
                          and satisfies_extra_specs(capabilities, extra_specs)), thin)


def choose_retype_pool(candidates: Iterable[Pool], fits: Callable[[Mapping[str, Any]], bool],
                       extra_specs: Mapping[str, str | None], size: int, zones: list[str],
                       current: str | None, migration_allowed: bool
                       ) -> tuple[str, str] | None:
    """FilterScheduler.find_retype_backend: the pool (and zone) a retyped volume ends on,
    or None (NoValidBackend: the volume keeps its type).

    The pools in ``zones`` whose capabilities ``fits`` the new type and that have room
    (the volume's own pool, ``current``, always has: Cinder's ``vol_exists_on``); the
    volume's own pool when it is one of them, else, when migration is allowed (policy
    ``on-demand``), the best weighed.
    """
    thin = _is_thin(extra_specs)
    passing = [(host, zone, capabilities) for host, zone, capabilities in candidates
               if (not zones or zone in zones)
               and (host == current or has_room(capabilities, size, thin))
               and fits(capabilities)]
    for host, zone, _capabilities in passing:
        if host == current:
            return host, zone
    return _best_weighed(passing, thin) if migration_allowed else None


def choose_named_pool(candidates: Iterable[Pool], extra_specs: Mapping[str, str | None],
                      size: int, zones: list[str], wanted: str) -> tuple[str, str] | None:
    """FilterScheduler.backend_passes_filters (os-migrate_volume's destination): the
    pool ``wanted`` names (``host@backend#pool``), or the best weighed pool of the
    backend it names (``host@backend``), if it passes the filters for a volume of
    ``size`` with these extra specs in ``zones``; else None (NoValidBackend)."""
    named = ((host, zone, capabilities) for host, zone, capabilities in candidates
             if (host if "#" in wanted else host.partition("#")[0]) == wanted)
    return choose_pool(named, extra_specs, size, zones)
