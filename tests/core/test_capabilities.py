"""Cinder's capabilities filter and its extra-spec operators (extra_specs_ops.match)."""

from __future__ import annotations

import pytest

from fake_cinder.core.capabilities import backend_name, match, satisfies, volume_backend
from fake_cinder.core.models import Volume, VolumeType


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


def test_the_fake_backend_reports_its_name_and_protocol():
    volume = Volume(id="v", project_id="p")
    assert backend_name(volume.host) == "fake-backend"
    ceph = VolumeType(id="t", name="ceph", extra_specs={"storage_protocol": "rbd"})
    reported = volume_backend(volume, ceph)
    assert (reported["volume_backend_name"], reported["storage_protocol"]) == (
        "fake-backend", "ceph")
    assert volume_backend(volume, None)["storage_protocol"] == "iSCSI"
