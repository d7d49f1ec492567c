"""Nova reads Cinder's absolute limits (the os-volumes quota checks of its API) and
maps Cinder's 413 on create to OverQuota."""

from __future__ import annotations

import pytest
from nova import exception

from .conftest import Nova

# GET /v3/{project}/limits: Cinder 29's absolute limits.
ABSOLUTE_LIMITS = {"maxTotalVolumes", "maxTotalSnapshots", "maxTotalVolumeGigabytes",
                   "maxTotalBackups", "maxTotalBackupGigabytes", "totalVolumesUsed",
                   "totalGigabytesUsed", "totalSnapshotsUsed", "totalBackupsUsed",
                   "totalBackupGigabytesUsed"}


@pytest.mark.covers("get_absolute_limits", "create")
def test_absolute_limits_count_the_project_s_usage(nova: Nova) -> None:
    before = nova.api.get_absolute_limits(nova.ctx)
    assert set(before) == ABSOLUTE_LIMITS
    assert all(isinstance(value, int) for value in before.values())
    nova.create_volume(2)
    after = nova.api.get_absolute_limits(nova.ctx)
    assert after["totalVolumesUsed"] == before["totalVolumesUsed"] + 1
    assert after["totalGigabytesUsed"] == before["totalGigabytesUsed"] + 2
    assert {k: after[k] for k in ABSOLUTE_LIMITS if k.startswith("max")} == \
        {k: before[k] for k in ABSOLUTE_LIMITS if k.startswith("max")}


@pytest.mark.covers("get_absolute_limits", "create")
def test_a_volume_over_the_gigabytes_quota_is_over_quota(nova: Nova) -> None:
    limits = nova.api.get_absolute_limits(nova.ctx)
    room = limits["maxTotalVolumeGigabytes"] - limits["totalGigabytesUsed"]
    with pytest.raises(exception.OverQuota, match="exceeds allowed gigabytes quota"):
        nova.api.create(nova.ctx, room + 1, "too-big", "")
    assert nova.api.get_absolute_limits(nova.ctx)["totalVolumesUsed"] == \
        limits["totalVolumesUsed"]
