"""core.quotas without HTTP: limits, usage counted from the state, the checks on create
and extend (Cinder's 413s), and quota updates."""

from __future__ import annotations

import pytest

from fake_cinder.core import quotas, snapshots, volumes
from fake_cinder.core.clock import Clock
from fake_cinder.core.context import Caller
from fake_cinder.core.errors import BadRequest, InvalidInput
from fake_cinder.core.quotas import QuotaError
from fake_cinder.core.store import Store

MEMBER = Caller(user_id="u", project_id="p1", roles=frozenset({"member"}))


@pytest.fixture
def store() -> Store:
    made = Store(Clock(seed=7))
    volumes.default_volume_type(made)
    return made


def test_a_new_project_has_cinders_defaults_and_no_usage(store: Store) -> None:
    assert quotas.limits(store, "p1")["volumes"] == 10
    assert quotas.limits(store, "p1")["gigabytes"] == 1000
    assert quotas.usage(store, "p1")["volumes"] == 0
    # Three quotas per volume type, then the groups', in Cinder's order.
    names = quotas.resource_names(store)
    assert names[:6] == list(quotas.CINDER_DEFAULTS)
    assert names[-1] == "groups" and "volumes___DEFAULT__" in names


def test_usage_is_counted_from_the_stored_volumes_and_snapshots(store: Store) -> None:
    volume = volumes.create_volume(store, MEMBER, 3, check_quota=True)
    snapshots.create_snapshot(store, MEMBER, volume.id)
    used = quotas.usage(store, "p1")
    assert (used["volumes"], used["gigabytes"], used["snapshots"]) == (1, 6, 1)
    shown = quotas.quota_set(store, "p1", with_usage=True)
    assert shown["volumes"] == {"limit": 10, "in_use": 1, "reserved": 0}
    assert quotas.usage(store, "p2")["volumes"] == 0


def test_a_create_over_the_volume_count_is_cinders_413(store: Store) -> None:
    quotas.set_quotas(store, {"volumes": 1}, "p1")
    volumes.create_volume(store, MEMBER, 1, check_quota=True)
    with pytest.raises(QuotaError) as raised:
        volumes.create_volume(store, MEMBER, 1, check_quota=True)
    assert raised.value.status == 413
    assert raised.value.headers == {"Retry-After": "0"}
    assert raised.value.message == ("VolumeLimitExceeded: Maximum number of volumes allowed "
                                    "(1) exceeded for quota 'volumes'.")
    assert len(store.volumes) == 1  # the refused create wrote nothing


def test_gigabytes_and_the_per_volume_limit(store: Store) -> None:
    quotas.set_quotas(store, {"gigabytes": 5, "per_volume_gigabytes": 4}, "p1")
    with pytest.raises(QuotaError, match="VolumeSizeExceedsLimit: Requested volume size 5G "
                                         "is larger than maximum allowed limit 4G."):
        quotas.check_volume_create(store, "p1", 5, None)
    volumes.create_volume(store, MEMBER, 4, check_quota=True)
    with pytest.raises(QuotaError, match="VolumeSizeExceedsAvailableQuota: Requested volume "
                                         "or snapshot exceeds allowed gigabytes quota"):
        quotas.check_volume_create(store, "p1", 2, None)


def test_an_extend_reserves_only_the_increase(store: Store) -> None:
    quotas.set_quotas(store, {"gigabytes": 4}, "p1")
    volume = volumes.create_volume(store, MEMBER, 2, check_quota=True)
    quotas.check_volume_extend(store, "p1", "p1", 4, 2, None)
    with pytest.raises(QuotaError, match="Requested 3G, quota is 4G and 2G has been consumed"):
        quotas.check_volume_extend(store, "p1", "p1", 5, 3, None)
    assert volume.size == 2


def test_snapshot_count_quota(store: Store) -> None:
    quotas.set_quotas(store, {"snapshots": 0}, "p1")
    volume = volumes.create_volume(store, MEMBER, 1)
    with pytest.raises(QuotaError, match="SnapshotLimitExceeded"):
        snapshots.create_snapshot(store, MEMBER, volume.id)
    assert store.snapshots == {}


def test_a_quota_update_checks_every_value_before_writing(store: Store) -> None:
    with pytest.raises(InvalidInput, match="Bad key\\(s\\) in quota set: foo"):
        quotas.update_project(store, "p1", {"volumes": 3, "foo": 1})
    with pytest.raises(BadRequest, match="volumes must be >= -1"):
        quotas.update_project(store, "p1", {"volumes": -2})
    with pytest.raises(BadRequest, match="volumes must be an integer"):
        quotas.update_project(store, "p1", {"volumes": "x"})
    assert "p1" not in store.project_quotas
    assert quotas.update_project(store, "p1", {"volumes": 3})["volumes"] == 3


def test_a_limit_below_the_usage_is_refused_once_the_project_has_its_own(store: Store) -> None:
    volumes.create_volume(store, MEMBER, 1)
    volumes.create_volume(store, MEMBER, 1)
    # Without a quota of its own, Cinder does not compare with the usage.
    assert quotas.update_project(store, "p1", {"volumes": 1})["volumes"] == 1
    with pytest.raises(BadRequest, match="Current usage is 2 and the requested limit is 1"):
        quotas.update_project(store, "p1", {"volumes": 1})
    assert quotas.update_project(store, "p1", {"volumes": -1})["volumes"] == -1


def test_default_quotas_apply_to_every_project_without_its_own(store: Store) -> None:
    quotas.set_quotas(store, {"volumes": 4})
    assert quotas.defaults(store)["volumes"] == 4
    assert quotas.limits(store, "any")["volumes"] == 4
    quotas.set_quotas(store, {"volumes": 6}, "p1")
    assert quotas.limits(store, "p1")["volumes"] == 6
