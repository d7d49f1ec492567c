"""python-cinderclient against a live fake (over a socket, through the fake Keystone):
group types and their specs, groups, group snapshots and a group made from each, as
the cinder CLI's group commands call them; the control API's volumes show their group."""

from __future__ import annotations

import pytest
import requests
from cinderclient import exceptions as cinder_exceptions

from tests.helpers.clients import VOLUME
from tests.helpers.clients import keystone_cinder as cinder

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


def test_cinderclient_groups_and_group_snapshots(live):
    admin, member = cinder(live.url, "3.71", user="admin"), cinder(live.url, "3.71")
    group_type = admin.group_types.create("gold-group", description="replicated")
    group_type.set_keys({"consistent_group_snapshot_enabled": "<is> False"})
    assert admin.group_types.get(group_type.id).group_specs == {
        "consistent_group_snapshot_enabled": "<is> False"}
    with pytest.raises(cinder_exceptions.Forbidden):
        member.group_types.create("not-mine")
    volume_type = member.volumes.get(VOLUME).volume_type
    group = member.groups.create(group_type.id, volume_type, name="g")
    member.groups.update(group, add_volumes=VOLUME)
    assert member.volumes.get(VOLUME).group_id == group.id
    overview = requests.get(f"{live.url}/_fake/volumes", timeout=5).json()["volumes"]
    assert [v["group_id"] for v in overview if v["id"] == VOLUME] == [group.id]
    snapshot = member.group_snapshots.create(group.id, name="gs")
    assert member.group_snapshots.get(snapshot.id).status == "available"
    copy = member.groups.create_from_src(snapshot.id, None, name="from-snap")
    assert len([v for v in member.volumes.list() if v.group_id == copy["id"]]) == 1
    with pytest.raises(cinder_exceptions.BadRequest, match="Group has existing snapshots"):
        member.groups.delete(group, delete_volumes=True)
    admin.group_snapshots.reset_state(snapshot, "error")
    member.group_snapshots.delete(snapshot)
    member.groups.delete(group, delete_volumes=True)
    member.groups.delete(copy["id"], delete_volumes=True)
    assert member.groups.list() == [] and live.fake.groups() == []
    assert all(v.id != VOLUME for v in member.volumes.list())
