"""Cinder's capabilities filter and its extra-spec operators (extra_specs_ops.match): the
one implementation, core/scheduler.py's, which placement and retype both use; where the
scheduler keeps or moves a retyped volume (find_retype_backend)."""

from __future__ import annotations

import pytest

from fake_cinder.core.backends import place_retyped_volume
from fake_cinder.core.models import Backend, Pool, Volume, VolumeType
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


def test_a_retyped_volume_stays_on_its_pool_when_it_fits_else_moves_on_demand():
    store = Store()
    home = next(iter(store.backends.values()))
    store.backends["other@ceph"] = Backend(host="other@ceph", volume_backend_name="ceph",
                                           pools=[Pool(name="p1", total_capacity_gb=50)])
    volume = Volume(id="v", project_id="p", host=f"{home.host}#{home.pools[0].name}")
    here = VolumeType(id="t1", name="here",
                      extra_specs={"volume_backend_name": home.volume_backend_name})
    there = VolumeType(id="t2", name="there", extra_specs={"volume_backend_name": "ceph"})

    def place(volume_type, allowed, zones=("nova",)):
        return place_retyped_volume(store, volume, volume_type,
                                    lambda caps: satisfies(caps, volume_type.extra_specs),
                                    list(zones), allowed)

    assert place(here, False) == (volume.host, "nova")
    assert place(there, False) is None  # policy never: no migration
    assert place(there, True) == ("other@ceph#p1", "nova")
    assert place(there, True, zones=("elsewhere",)) is None
    volume.size = 51  # no room on the destination (the own pool never lacks it)
    assert place(there, True) is None
    assert place(here, False) == (volume.host, "nova")
    home.disabled = True  # a disabled backend's pools are no candidates, its own neither
    assert place(here, True) is None
