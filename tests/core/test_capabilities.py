"""Cinder's capabilities filter and its extra-spec operators (extra_specs_ops.match): the
one implementation, core/scheduler.py's, which placement and retype both use; the
capabilities of the pool a volume is on."""

from __future__ import annotations

import pytest

from fake_cinder.core.backends import volume_pool_capabilities
from fake_cinder.core.models import Volume
from fake_cinder.core.scheduler import satisfies_extra_specs as satisfies
from fake_cinder.core.scheduler import spec_matches as match
from fake_cinder.core.store import Store


@pytest.mark.parametrize(("value", "requirement", "expected"), [
    (True, "<is> True", True), (False, "<is> True", False), ("True", "<is> true", True),
    ("iSCSI", "iSCSI", True), ("iSCSI", "iscsi", False), (None, None, True),
    ("abc", "<in> b", True), ("abc", "<in> d", False),
    ("b", "<or> a <or> b <or> c", True), ("d", "<or> a <or> b", False),
    (10000, ">= 100", True), (10, ">= 100", False), (10, "<= 100", True),
    (10, "== 10", True), (10, "!= 10", False), (10, "= 5", True), ("x", ">= 1", False),
    ("b", "s== b", True), ("b", "s!= b", False), ("b", "s< c", True), ("b", "s> c", False),
    ("b", "s<= b", True), ("b", "s>= c", False), (None, "<is> True", False),
])
def test_operators(value, requirement, expected):
    assert match(value, requirement) is expected


def test_unscoped_and_capabilities_scoped_keys_must_match_scoped_others_are_skipped():
    capabilities = {"multiattach": True, "volume_backend_name": "lvm",
                    "nested": {"deep": "x"}}
    assert satisfies(capabilities, {"multiattach": "<is> True",
                                    "capabilities:volume_backend_name": "lvm",
                                    "provisioning:min_vol_size": "5",
                                    "RESKEY:availability_zones": "az1"})
    assert not satisfies(capabilities, {"colour": "blue"})
    assert not satisfies(capabilities, {"volume_backend_name": "ceph"})
    assert satisfies(capabilities, {"capabilities:nested:deep": "x"})
    assert satisfies({"pools": ["a", "b"]}, {"pools": "b"})


def test_a_volume_is_judged_by_the_capabilities_of_its_pool():
    store = Store()
    backend = next(iter(store.backends.values()))
    pool = backend.pools[0]
    volume = Volume(id="v", project_id="p", host=f"{backend.host}#{pool.name}")
    reported = volume_pool_capabilities(store, volume)
    assert reported is not None
    assert reported["volume_backend_name"] == backend.volume_backend_name
    assert reported["pool_name"] == pool.name
    assert satisfies(reported, {"volume_backend_name": backend.volume_backend_name})
    assert volume_pool_capabilities(store, Volume(id="w", project_id="p", host=None)) is None
    assert volume_pool_capabilities(
        store, Volume(id="x", project_id="p", host=f"{backend.host}#nowhere")) is None
