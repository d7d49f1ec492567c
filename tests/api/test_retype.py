"""os-retype: Cinder's API checks answer the caller; what its scheduler or volume
manager would refuse (no backend fits the new type, a migration the policy forbids)
answers 202 and leaves the volume as it was (cinder/volume/api.py retype,
cinder/volume/manager.py retype, the capabilities filter)."""

from __future__ import annotations

import pytest

from fake_cinder import FakeCinder
from tests.helpers.api import CONNECTOR, SERVER, UNKNOWN, fault


def retype(api, volume_id: str, new_type: str, policy: str | None = None):
    body: dict = {"new_type": new_type}
    if policy is not None:
        body["migration_policy"] = policy
    return api.post(f"volumes/{volume_id}/action", {"os-retype": body})


@pytest.fixture
def types(fake: FakeCinder) -> FakeCinder:
    fake.add_volume_type("gold")
    fake.add_volume_type("silver", extra_specs={"thick_provisioning_support": "<is> True"})
    fake.add_volume_type("shared", multiattach=True)
    fake.add_volume_type("elsewhere", extra_specs={"volume_backend_name": "other"})
    fake.add_volume_type("here", extra_specs={"volume_backend_name": "fake-backend"})
    fake.add_volume_type("colourful", extra_specs={"colour": "blue"})
    fake.add_volume_type("luks")
    fake.set_volume_type_encryption("luks")
    return fake


def test_retype_on_the_same_backend(api, types):
    volume_id = api.new_volume()
    response = retype(api, volume_id, "gold")
    assert (response.status_code, response.get_data()) == (202, b"")
    volume = api.volume(volume_id)
    assert (volume["volume_type"], volume["status"]) == ("gold", "available")
    for new_type in ("silver", "here"):
        assert retype(api, volume_id, new_type, "never").status_code == 202
        assert api.volume(volume_id)["volume_type"] == new_type


def test_api_refusals(api, types, admin):
    volume_id = api.new_volume("gold")
    assert fault(retype(api, volume_id, "gold")) == (
        400, "Invalid volume: Retype needs volume to be in available or in-use state, not "
             "be part of an active migration or a consistency group, requested type has to "
             "be different that the one from the volume, and for in-use volumes front-end "
             "qos specs cannot change.")
    assert fault(retype(api, volume_id, "nothing")) == (
        404, "Volume type with name nothing could not be found.")
    assert fault(retype(api, volume_id, UNKNOWN)) == (
        404, f"Volume type {UNKNOWN} could not be found.")
    assert fault(retype(api.as_(roles="reader"), volume_id, "silver")) == (
        403, "Policy doesn't allow volume:retype to be performed.")
    assert fault(retype(api.as_(project="other"), volume_id, "silver"))[0] == 404
    assert fault(retype(api, volume_id, "silver", "always"))[0] == 400
    private = admin.post("types", {"volume_type": {
        "name": "hidden", "os-volume-type-access:is_public": False}}).get_json()
    assert fault(retype(api, volume_id, "hidden")) == (
        404, f"Volume type {private['volume_type']['id']} could not be found.")
    assert api.volume(volume_id)["volume_type"] == "gold"


def test_what_the_scheduler_or_manager_refuses_changes_nothing(api, types):
    volume_id = api.new_volume("gold")
    for new_type, policy in (("elsewhere", "never"), ("elsewhere", "on-demand"),
                             ("colourful", "on-demand"), ("luks", "never"), ("luks", None)):
        assert retype(api, volume_id, new_type, policy).status_code == 202
        volume = api.volume(volume_id)
        assert (volume["volume_type"], volume["status"]) == ("gold", "available")


def test_an_encryption_change_migrates_on_demand(api, types, fake):
    volume_id = api.new_volume("gold")
    fake.add_snapshot(volume_id)
    assert retype(api, volume_id, "luks", "on-demand").status_code == 202
    assert api.volume(volume_id)["volume_type"] == "gold"  # snapshots stop a migration
    plain = api.new_volume("gold")
    assert retype(api, plain, "luks", "on-demand").status_code == 202
    assert api.volume(plain)["volume_type"] == "luks"
    assert fake.volume(plain)["encryption_key_id"] is not None


def test_multiattach_changes_only_while_available(api, types):
    volume_id = api.new_volume("gold")
    assert retype(api, volume_id, "shared").status_code == 202
    assert api.volume(volume_id)["multiattach"] is True
    attachment = api.create(volume_id, SERVER, connector=CONNECTOR)
    api.complete(attachment["id"])
    assert fault(retype(api, volume_id, "gold")) == (
        400, "Invalid input received: Invalid volume_type passed, retypes affecting "
             "multiattach are only allowed on available volumes, the specified volume "
             "however currently has a status of: in-use.")
    types.add_volume_type("shared-luks", multiattach=True)
    types.set_volume_type_encryption("shared-luks")
    assert fault(retype(api, api.new_volume(), "shared-luks", "on-demand")) == (
        400, "Invalid input received: Retype requested both encryption and multi-attach, "
             "which is not supported.")


def test_quota_moves_between_type_quotas(api, types, fake):
    volume_id = api.new_volume("gold")
    fake.add_snapshot(volume_id)
    fake.set_quotas("demo", volumes_silver=0)
    assert fault(retype(api, volume_id, "silver")) == (
        413, "VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota "
             "'volumes_silver'.")
    fake.set_quotas("demo", volumes_silver=1, gigabytes_silver=1)
    assert fault(retype(api, volume_id, "silver")) == (
        413, "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
             "gigabytes_silver quota. Requested 1G, quota is 1G and 0G has been consumed.")
    fake.set_quotas("demo", gigabytes_silver=2)
    assert retype(api, volume_id, "silver").status_code == 202
    usage = fake.quotas("demo", usage=True)
    assert usage["volumes_silver"]["in_use"] == 1 and usage["volumes_gold"]["in_use"] == 0
    assert usage["snapshots_silver"]["in_use"] == 1
    assert [s["volume_type_id"] for s in fake.snapshots(volume_id=volume_id)] == [
        fake.volume(volume_id)["volume_type_id"]]
    assert fake.store.check_indexes() == []  # the usage counters followed the new type


def test_in_use_volumes_keep_their_front_end_qos(api, types, fake):
    fake.add_qos_specs("nova-side", consumer="front-end", volume_types=["silver"])
    volume_id = api.new_volume("gold")
    attachment = api.create(volume_id, SERVER, connector=CONNECTOR)
    api.complete(attachment["id"])
    assert fault(retype(api, volume_id, "silver"))[0] == 400
    fake.add_qos_specs("array-side", consumer="back-end", volume_types=["here"])
    assert retype(api, volume_id, "here").status_code == 202
    assert api.volume(volume_id)["status"] == "in-use"
    assert api.volume(volume_id)["volume_type"] == "here"


def test_statuses_that_may_not_retype(api, types, admin):
    volume_id = api.new_volume("gold")
    admin.post(f"volumes/{volume_id}/action", {"os-reset_status": {"status": "error"}},
               url_project="admin")
    assert fault(retype(api, volume_id, "silver"))[0] == 400


def test_python_api(types):
    volume = types.add_volume(volume_type="gold")
    assert types.retype_volume(volume["id"], "silver")["volume_type_id"] == (
        types.store.find_volume_type("silver").id)
    with pytest.raises(ValueError, match="Retype needs volume"):
        types.retype_volume(volume["id"], "silver")


def test_protocols_compare_by_the_fakes_aliases(api, admin, fake):
    # A backend reporting rbd, as the default fixture's reports ceph: the scheduler places
    # the rbd type's volume there (no backend reporting it: the volume is in error).
    fake.add_backend("fake-host@rbd", storage_protocol="rbd")
    fake.add_volume_type("rbd", protocol="rbd")
    fake.add_volume_type("ceph-too", protocol="ceph")
    fake.add_volume_type("iscsi", protocol="iSCSI")
    volume_id = api.new_volume("rbd")
    assert retype(api, volume_id, "ceph-too").status_code == 202
    assert api.volume(volume_id)["volume_type"] == "ceph-too"
    assert retype(api, volume_id, "iscsi", "never").status_code == 202
    assert api.volume(volume_id)["volume_type"] == "ceph-too"  # an RBD backend is no iSCSI one
    assert retype(api, volume_id, "iscsi", "on-demand").status_code == 202
    moved = admin.volume(volume_id)  # migrated to the iSCSI backend (test_migration.py)
    assert (moved["volume_type"], moved["os-vol-host-attr:host"]) == (
        "iscsi", "fake-host@fake-backend#fake-pool")
