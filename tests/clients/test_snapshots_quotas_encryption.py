"""python-cinderclient and openstacksdk against a live fake: snapshots, quotas, limits and
volume type encryption, through the calls Nova and operators make."""

from __future__ import annotations

import openstack
import pytest
from cinderclient import exceptions as cinder_exceptions

from tests.helpers.clients import CONNECTOR, SERVER, VOLUME
from tests.helpers.clients import keystone_cinder as cinder

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
CEPH_VOLUME = "2e804d63-7d3c-4f20-9c69-3b8f5e4d0a33"


def test_cinderclient_snapshots_as_nova_calls_them(live):
    client = cinder(live.url)
    snapshots = client.volume_snapshots
    created = snapshots.create(VOLUME, False, "nova-snap", "from nova")
    assert created.status == "creating" and created.name == "nova-snap"
    shown = snapshots.get(created.id)
    assert (shown.status, shown.progress, shown.project_id) == ("available", "100%", "demo")
    assert [s.id for s in snapshots.list(detailed=True)] == [created.id]
    # An in-use volume: refused without force at 3.0, taken with it.
    attacher = cinder(live.url, "3.44")
    made = attacher.attachments.create(CEPH_VOLUME, CONNECTOR, SERVER)
    attacher.attachments.complete(made["id"])
    with pytest.raises(cinder_exceptions.BadRequest, match="status must be available, but "
                                                           "current status is: in-use"):
        snapshots.create(CEPH_VOLUME, False, "no", None)
    forced = snapshots.create(CEPH_VOLUME, True, "forced", None)
    assert forced.size == 4
    # Nova's assisted snapshot: it reports on a snapshot still being created.
    assisted = live.fake.add_snapshot(VOLUME, status="creating")["id"]
    snapshots.update_snapshot_status(assisted, {"status": "creating", "progress": "90%"})
    assert snapshots.get(assisted).progress == "90%"
    snapshots.update_snapshot_status(assisted, {"status": "available", "progress": "90%"})
    assert snapshots.get(assisted).status == "available"
    with pytest.raises(cinder_exceptions.BadRequest, match="not allowed for "
                                                           "update_snapshot_status"):
        snapshots.update_snapshot_status(assisted, {"status": "error"})
    for snapshot_id in (created.id, forced.id, assisted):
        snapshots.delete(snapshot_id)
    assert live.fake.snapshots() == []
    with pytest.raises(cinder_exceptions.NotFound, match="could not be found"):
        snapshots.get(created.id)


def test_cinderclient_3_66_snapshot_of_an_in_use_volume(live):
    client = cinder(live.url, "3.66")
    made = client.attachments.create(VOLUME, CONNECTOR, SERVER)
    client.attachments.complete(made["id"])
    assert client.volume_snapshots.create(VOLUME).status == "creating"


def test_cinderclient_limits_and_quotas(live):
    client = cinder(live.url)
    absolute = {limit.name: limit.value for limit in client.limits.get().absolute}
    assert absolute["maxTotalVolumes"] == 10 and absolute["totalVolumesUsed"] == 3
    assert absolute["totalGigabytesUsed"] == 7
    quota_set = client.quotas.get("demo", usage=True)
    assert quota_set.volumes == {"limit": 10, "in_use": 3, "reserved": 0}
    assert client.quotas.defaults("demo").gigabytes == 1000
    cinder(live.url, user="admin").quotas.update("demo", volumes=4)
    assert client.quotas.get("demo").volumes == 4
    client.volumes.create(1)
    with pytest.raises(cinder_exceptions.OverLimit, match=r"Maximum number of volumes "
                                                          r"allowed \(4\) exceeded"):
        client.volumes.create(1)


def test_cinderclient_volume_encryption(live):
    client = cinder(live.url, "3.44", user="admin")
    volume_type = client.volume_types.create("luks")
    specs = {"provider": "luks", "control_location": "front-end",
             "cipher": "aes-xts-plain64", "key_size": 256}
    created = client.volume_encryption_types.create(volume_type, specs)
    assert created.provider == "luks"
    assert client.volume_encryption_types.get(volume_type).key_size == 256
    assert [e.volume_type_id for e in client.volume_encryption_types.list()] == [
        volume_type.id]
    client.volume_encryption_types.update(volume_type, {"key_size": 512})
    assert client.volume_encryption_types.get(volume_type).key_size == 512
    volume = client.volumes.create(1, volume_type="luks")
    assert client.volumes.get(volume.id).encrypted is True
    metadata = client.volumes.get_encryption_metadata(volume.id)
    assert metadata["provider"] == "luks" and metadata["key_size"] == 512
    assert metadata["encryption_key_id"]
    # Nova attaches it: the connection info says it is encrypted.
    made = client.attachments.create(volume.id, CONNECTOR, SERVER)
    assert client.attachments.show(made["id"]).connection_info["encrypted"] is True
    with pytest.raises(cinder_exceptions.BadRequest, match="Volume type in use"):
        client.volume_encryption_types.delete(volume_type)
    plain = client.volume_types.create("plain")
    client.volume_encryption_types.create(plain, specs)
    client.volume_encryption_types.delete(plain)
    assert not hasattr(client.volume_encryption_types.get(plain), "provider")


def test_openstacksdk_snapshots_limits_quotas_encryption(live):
    conn = openstack.connect(auth_type="none", block_storage_endpoint_override=f"{live.url}/v3",
                             block_storage_api_version="3")
    storage = conn.block_storage
    volume = storage.create_volume(size=2, name="sdk")
    snapshot = storage.create_snapshot(volume_id=volume.id, name="sdk-snap")
    assert snapshot.status == "creating"
    shown = storage.get_snapshot(snapshot.id)
    assert shown.status == "available"
    assert [s.id for s in storage.snapshots()] == [snapshot.id]
    storage.delete_snapshot(snapshot.id, ignore_missing=False)
    assert live.fake.snapshots() == []
    limits = storage.get_limits()
    assert limits.absolute.max_total_volumes == 10
    assert limits.absolute.total_volumes_used == 1
    quota_set = storage.get_quota_set("notused", usage=True)
    assert quota_set.usage["volumes"] == 1
    assert quota_set.volumes == 10
    volume_type = storage.create_type(name="sdk-luks")
    encryption = storage.create_type_encryption(volume_type, provider="luks",
                                                control_location="front-end")
    assert encryption.provider == "luks"
    assert storage.get_type_encryption(volume_type.id).control_location == "front-end"
