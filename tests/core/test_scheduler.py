"""Cinder's filter scheduler: the capabilities filter's operators, capacity, zones."""

from __future__ import annotations

import pytest

from fake_cinder.core import scheduler
from fake_cinder.core.scheduler import satisfies_extra_specs, spec_matches


@pytest.mark.parametrize(("value", "requirement", "expected"), [
    ("iSCSI", "iSCSI", True),              # no operator: equality
    ("iSCSI", "iscsi", False),
    (True, "<is> True", True),
    (True, "<is> true", True),
    (False, "<is> True", False),
    ("False", "<is> False", True),
    (1000, ">= 1000", True),
    (999.5, ">= 1000", False),
    (1000, "<= 999", False),
    ("5", "== 5.0", True),
    (5, "!= 5", False),
    (100, "= 50", True),                   # "=" means at least, as in Cinder
    ("abc", "s== abc", True),
    ("abc", "s!= abc", False),
    ("abc", "s< abd", True),
    ("abc", "s<= abc", True),
    ("abd", "s> abc", True),
    ("abc", "s>= abd", False),
    ("iSCSI", "<in> SCS", True),
    ("iSCSI", "<in> FC", False),
    ("ceph", "<or> rbd <or> ceph", True),
    ("nfs", "<or> rbd <or> ceph", False),
    (None, ">= 1", False),
    (None, None, True),
    ("x", None, False),
    ("fast", ">= 1", False),                # not a number: no match, no error
])
def test_operators(value, requirement, expected):
    assert spec_matches(value, requirement) is expected


CAPABILITIES = {"storage_protocol": ["iSCSI", "iscsi"], "vendor_name": "Open Source",
                "volume_backend_name": "lvm", "multiattach": True, "total_capacity_gb": 500,
                "thin_provisioning_support": False}


@pytest.mark.parametrize(("specs", "expected"), [
    ({}, True),
    ({"storage_protocol": "iSCSI"}, True),          # any of the protocol's variants
    ({"storage_protocol": "iscsi"}, True),
    ({"storage_protocol": "FC"}, False),
    ({"multiattach": "<is> True", "vendor_name": "Open Source"}, True),
    ({"capabilities:volume_backend_name": "lvm"}, True),
    ({"capabilities:volume_backend_name": "ceph"}, False),
    ({"vendor:feature": "anything", "provisioning:type": "thin"}, True),  # scoped: ignored
    ({"compression": "<is> True"}, False),          # a capability nobody reports
    ({"capabilities:total_capacity_gb": ">= 500"}, True),
])
def test_capabilities_filter(specs, expected):
    assert satisfies_extra_specs(CAPABILITIES, specs) is expected


def _pool(total: float, allocated: float = 0, *, thin: bool = False, ratio: float = 1.0,
          reserved: int = 0) -> dict:
    return {"total_capacity_gb": total, "free_capacity_gb": total - allocated,
            "provisioned_capacity_gb": allocated, "thin_provisioning_support": thin,
            "max_over_subscription_ratio": ratio, "reserved_percentage": reserved}


def test_capacity_thick_pools_need_free_space_after_the_reserve():
    assert scheduler.has_room(_pool(100, 90), 10, thin=True)
    assert not scheduler.has_room(_pool(100, 91), 10, thin=True)
    assert not scheduler.has_room(_pool(100, 80, reserved=20), 1, thin=True)


def test_capacity_thin_pools_oversubscribe():
    assert scheduler.has_room(_pool(100, 150, thin=True, ratio=2.0), 40, thin=True)
    assert not scheduler.has_room(_pool(100, 150, thin=True, ratio=2.0), 60, thin=True)
    # A type asking for thick provisioning gets the real free space only.
    assert not scheduler.has_room(_pool(100, 150, thin=True, ratio=2.0), 40, thin=False)


def test_the_pool_with_most_free_capacity_wins_the_first_on_a_tie():
    candidates = [("a@b#small", "nova", {**_pool(100), **CAPABILITIES}),
                  ("a@b#big", "nova", {**_pool(1000), **CAPABILITIES}),
                  ("a@c#big", "nova", {**_pool(1000), **CAPABILITIES})]
    assert scheduler.choose_pool(candidates, {}, 1, []) == ("a@b#big", "nova")
    assert scheduler.choose_pool(candidates, {}, 1, ["east"]) is None
    assert scheduler.choose_pool(candidates, {"storage_protocol": "ceph"}, 1, []) is None
    assert scheduler.choose_pool(candidates, {}, 5000, []) is None
