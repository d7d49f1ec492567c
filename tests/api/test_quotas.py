"""Quotas and limits: Cinder's defaults, enforcement on volume and snapshot create with
its 413s, os-quota-sets (show, usage, defaults, update), GET /limits, and the ways a
test sets quotas (FakeCinder, fixture state, /_fake/quotas)."""

from __future__ import annotations

import threading

import pytest
import requests

from fake_cinder import FakeCinder
from fake_cinder.core import quotas
from fake_cinder.core.state_files import StateError
from tests.helpers.api import VOLUME, fault
from tests.helpers.threads import run_threads

CEPH_VOLUME = "2e804d63-7d3c-4f20-9c69-3b8f5e4d0a33"
TYPES = ("__DEFAULT__", "multiattach", "ceph")
DEFAULTS = {"volumes": 10, "per_volume_gigabytes": -1, "snapshots": 10, "gigabytes": 1000,
            "backups": 10, "backup_gigabytes": 1000,
            **{f"{part}_{name}": -1 for name in TYPES
               for part in ("volumes", "gigabytes", "snapshots")},
            "groups": 10}


def create_volume(api, size: int = 1, **fields):
    return api.post("volumes", {"volume": {"size": size, **fields}})


def test_cinder_defaults_with_a_volume_type_quota_each(api):
    response = api.get("os-quota-sets/demo")
    assert response.status_code == 200
    assert response.get_json() == {"quota_set": {**DEFAULTS, "id": "demo"}}
    assert list(response.get_json()["quota_set"]) == [*DEFAULTS, "id"]
    defaults = api.get("os-quota-sets/demo/defaults").get_json()
    assert defaults == {"quota_set": {**DEFAULTS, "id": "demo"}}


def test_usage_counts_volumes_and_snapshots(api, fake):
    fake.add_snapshot(CEPH_VOLUME)
    quota_set = api.get("os-quota-sets/demo", query={"usage": "True"}).get_json()["quota_set"]
    assert quota_set["id"] == "demo"
    assert quota_set["volumes"] == {"limit": 10, "in_use": 3, "reserved": 0}
    assert quota_set["gigabytes"] == {"limit": 1000, "in_use": 1 + 2 + 4 + 4, "reserved": 0}
    assert quota_set["snapshots"] == {"limit": 10, "in_use": 1, "reserved": 0}
    assert quota_set["volumes_ceph"] == {"limit": -1, "in_use": 1, "reserved": 0}
    assert quota_set["gigabytes_ceph"] == {"limit": -1, "in_use": 8, "reserved": 0}
    assert quota_set["snapshots_ceph"]["in_use"] == 1
    assert quota_set["backups"]["in_use"] == 0
    response = api.get("os-quota-sets/demo", query={"usage": "maybe"})
    assert fault(response) == (400, "Value 'maybe' for 'usage' is not a boolean.")


def test_members_see_only_their_own_quotas(api, admin):
    for path in ("os-quota-sets/admin", "os-quota-sets/admin/defaults"):
        response = api.get(path)
        assert fault(response) == (403, "Policy doesn't allow volume_extension:quotas:show to "
                                        "be performed.")
    assert admin.get("os-quota-sets/demo").get_json()["quota_set"]["id"] == "demo"


def test_limits_are_what_nova_reads(api, fake):
    fake.add_snapshot(VOLUME)
    response = api.get("limits")
    assert response.get_json() == {"limits": {"rate": [], "absolute": {
        "maxTotalVolumes": 10, "maxTotalSnapshots": 10, "maxTotalVolumeGigabytes": 1000,
        "maxTotalBackups": 10, "maxTotalBackupGigabytes": 1000,
        "totalVolumesUsed": 3, "totalGigabytesUsed": 8, "totalSnapshotsUsed": 1,
        "totalBackupsUsed": 0, "totalBackupGigabytesUsed": 0}}}


def test_admins_read_other_projects_limits_from_3_39(admin, api):
    assert admin.get("limits", query={"project_id": "demo"}).get_json()[
        "limits"]["absolute"]["totalVolumesUsed"] == 3
    assert admin.as_(version="3.38").get("limits", query={"project_id": "demo"}).get_json()[
        "limits"]["absolute"]["totalVolumesUsed"] == 0
    # Members' project_id is ignored.
    assert api.get("limits", query={"project_id": "admin"}).get_json()[
        "limits"]["absolute"]["totalVolumesUsed"] == 3


# -- enforcement -----------------------------------------------------------------------------------
def test_volume_count_quota(api, fake):
    fake.set_quotas("demo", volumes=4)
    assert create_volume(api).status_code == 202
    before = fake.dump()
    response = create_volume(api)
    assert fault(response) == (413, "VolumeLimitExceeded: Maximum number of volumes allowed "
                                    "(4) exceeded for quota 'volumes'.")
    assert response.get_json()["overLimit"]["retryAfter"] == "0"
    assert response.headers["Retry-After"] == "0"
    assert fake.dump() == before


def test_gigabytes_quota_comes_first(api, fake):
    fake.set_quotas("demo", volumes=3, gigabytes=10)
    response = create_volume(api, size=5)
    assert fault(response) == (413, "VolumeSizeExceedsAvailableQuota: Requested volume or "
                                    "snapshot exceeds allowed gigabytes quota. Requested 5G, "
                                    "quota is 10G and 7G has been consumed.")


def test_volume_type_quotas(api, fake):
    fake.set_quotas("demo", volumes_ceph=1, gigabytes_multiattach=3)
    response = create_volume(api, volume_type="ceph")
    assert fault(response) == (413, "VolumeLimitExceeded: Maximum number of volumes allowed "
                                    "(1) exceeded for quota 'volumes_ceph'.")
    response = create_volume(api, size=2, volume_type="multiattach")
    assert fault(response) == (413, "VolumeSizeExceedsAvailableQuota: Requested volume or "
                                    "snapshot exceeds allowed gigabytes_multiattach quota. "
                                    "Requested 2G, quota is 3G and 2G has been consumed.")
    assert create_volume(api, size=1, volume_type="multiattach").status_code == 202


def test_per_volume_gigabytes(api, fake):
    fake.set_quotas(per_volume_gigabytes=5)
    response = create_volume(api, size=6)
    assert fault(response) == (413, "VolumeSizeExceedsLimit: Requested volume size 6G is "
                                    "larger than maximum allowed limit 5G.")
    assert create_volume(api, size=5).status_code == 202


def test_size_is_checked_before_the_quota(api, fake):
    fake.set_quotas("demo", volumes=0)
    response = create_volume(api, size=0)
    assert fault(response)[0] == 400


def test_snapshot_quotas(api, fake):
    fake.set_quotas("demo", snapshots=1)
    body = {"snapshot": {"volume_id": VOLUME}}
    assert api.post("snapshots", body).status_code == 202
    response = api.post("snapshots", body)
    assert fault(response) == (413, "SnapshotLimitExceeded: Maximum number of snapshots "
                                    "allowed (1) exceeded")
    fake.set_quotas("demo", snapshots=-1, gigabytes=9)
    response = api.post("snapshots", {"snapshot": {"volume_id": CEPH_VOLUME}})
    assert fault(response) == (413, "VolumeSizeExceedsAvailableQuota: Requested volume or "
                                    "snapshot exceeds allowed gigabytes quota. Requested 4G, "
                                    "quota is 9G and 8G has been consumed.")
    fake.set_quotas("demo", gigabytes=-1, snapshots_ceph=0)
    response = api.post("snapshots", {"snapshot": {"volume_id": CEPH_VOLUME}})
    assert fault(response) == (413, "SnapshotLimitExceeded: Maximum number of snapshots "
                                    "allowed (0) exceeded")
    assert len(fake.snapshots()) == 1


def test_deleting_frees_quota(api, fake):
    fake.set_quotas("demo", volumes=3)
    response = create_volume(api)
    assert response.status_code == 413
    assert api.delete(f"volumes/{VOLUME}").status_code == 202
    assert create_volume(api).status_code == 202


def test_quotas_are_per_project(api, fake):
    fake.set_quotas("demo", volumes=3)
    assert create_volume(api.as_(project="other")).status_code == 202


def test_parallel_creates_never_exceed_the_quota(live_server_url):
    """Many threads over real sockets: the check and the create are one step."""
    session_url = f"{live_server_url}/v3/demo/volumes"
    headers = {"X-User-Id": "demo", "X-Project-Id": "demo", "X-Roles": "member",
               "OpenStack-API-Version": "volume 3.71"}
    statuses: list[int] = []
    lock = threading.Lock()

    def create() -> None:
        response = requests.post(session_url, json={"volume": {"size": 1}}, headers=headers,
                                 timeout=30)
        with lock:
            statuses.append(response.status_code)

    run_threads(create, [()] * 24)
    assert sorted(set(statuses)) == [202, 413]
    assert statuses.count(202) == 10 - 3


def test_parallel_creates_in_core_never_exceed_the_quota(fake):
    """The same under a slow usage count, so an unlocked check would overlap."""
    from fake_cinder.core import volumes
    from fake_cinder.core.context import Caller

    fake.set_quotas("demo", volumes=8)
    caller = Caller(user_id="demo", project_id="demo", roles=frozenset({"member"}))
    original = quotas.usage

    def slow_usage(store, project_id):
        used = original(store, project_id)
        threading.Event().wait(0.002)
        return used

    created: list[str] = []
    refused: list[int] = []

    def create() -> None:
        try:
            created.append(volumes.create_volume(fake.store, caller, 1, check_quota=True).id)
        except quotas.QuotaError as exc:
            refused.append(exc.status)

    quotas.usage = slow_usage
    try:
        run_threads(create, [()] * 20)
    finally:
        quotas.usage = original
    assert len(created) == 5 and refused == [413] * 15
    assert len(fake.volumes(project_id="demo")) == 8


# -- update ----------------------------------------------------------------------------------------
def test_admins_update_quotas(admin, api, fake):
    response = admin.put("os-quota-sets/demo", {"quota_set": {
        "volumes": 5, "gigabytes_ceph": 7, "per_volume_gigabytes": "8", "id": "ignored"}})
    assert response.status_code == 200
    expected = {**DEFAULTS, "volumes": 5, "gigabytes_ceph": 7, "per_volume_gigabytes": 8}
    assert response.get_json() == {"quota_set": expected}
    assert api.get("os-quota-sets/demo").get_json()["quota_set"] == {**expected, "id": "demo"}
    assert fake.quotas("demo")["volumes"] == 5


def test_members_cannot_update_quotas(api, fake):
    before = fake.dump()
    response = api.put("os-quota-sets/demo", {"quota_set": {"volumes": 5}})
    assert fault(response) == (403, "Policy doesn't allow volume_extension:quotas:update to "
                                    "be performed.")
    assert fake.dump() == before


@pytest.mark.parametrize(("quota_set", "message"), [
    ({"volumes": 5, "bogus": 1}, "Invalid input received: Bad key(s) in quota set: bogus"),
    ({"volumes": "many"}, "volumes must be an integer"),
    ({"volumes": -2}, "volumes must be >= -1"),
    ({"volumes": 2**31}, "volumes must be <= 2147483647"),
    ({"volumes": True}, "volumes must be an integer"),
    # Cinder compares a string with the usage: a TypeError, answered with WebOb's 400.
    ({"volumes": "5"}, "The server could not comply with the request since it is either "
                       "malformed or otherwise incorrect."),
])
def test_bad_quota_updates_change_nothing(admin, fake, quota_set, message):
    before = fake.dump()
    response = admin.put("os-quota-sets/demo", {"quota_set": quota_set})
    assert fault(response) == (400, message)
    assert fake.dump() == before


def test_empty_quota_set_refused(admin):
    response = admin.put("os-quota-sets/demo", {"quota_set": {}})
    status, message = fault(response)
    assert status == 400 and "quota_set" in message


def test_a_limit_below_usage_is_refused_once_the_project_has_its_own(admin):
    # Cinder compares with the usage only for quotas the project already set.
    assert admin.put("os-quota-sets/demo", {"quota_set": {"volumes": 2}}).status_code == 200
    response = admin.put("os-quota-sets/demo", {"quota_set": {"volumes": 1}})
    assert fault(response) == (400, "Quota volumes limit must be equal or greater than "
                                    "existing resources. Current usage is 3 and the requested "
                                    "limit is 1.")


# -- set per fake ----------------------------------------------------------------------------------
def test_set_quotas_defaults_and_projects(fake):
    fake.set_quotas(volumes=20, volumes_ceph=2)
    fake.set_quotas("demo", volumes=1)
    assert fake.quotas("demo")["volumes"] == 1
    assert fake.quotas("other")["volumes"] == 20
    assert fake.quotas("other")["volumes_ceph"] == 2
    assert fake.quotas("demo", usage=True)["volumes"] == {"limit": 1, "in_use": 3,
                                                          "reserved": 0}
    with pytest.raises(ValueError, match="Bad key"):
        fake.set_quotas("demo", colour=1)
    with pytest.raises(ValueError, match="must be >= -1"):
        fake.set_quotas("demo", volumes=-5)


def test_quotas_in_state_files_dump_load_and_reset(fake):
    fake.set_quotas(snapshots=3)
    fake.set_quotas("demo", volumes_ceph=1)
    state = fake.dump()
    assert state["quotas"] == {"defaults": {"snapshots": 3},
                               "projects": {"demo": {"volumes_ceph": 1}}}
    again = FakeCinder(state)
    assert again.dump() == state
    assert again.quotas("demo")["volumes_ceph"] == 1
    again.set_quotas("demo", volumes=1)
    again.reset("demo")
    assert again.quotas("demo")["volumes"] == 10
    assert again.quotas("demo")["volumes_ceph"] == 1
    fake.reset()
    assert "quotas" not in fake.dump()


def test_unknown_quota_names_in_a_state_are_refused(fake):
    state = fake.dump()
    with pytest.raises(StateError, match=r"\$\.quotas\.projects\.demo\.volumes_gold: unknown"):
        FakeCinder({**state, "quotas": {"projects": {"demo": {"volumes_gold": 1}}}})
    with pytest.raises(StateError, match=r"\$\.quotas\.defaults\.volumes"):
        FakeCinder({**state, "quotas": {"defaults": {"volumes": -3}}})


def test_control_api_sets_quotas(fake, client):
    response = client.put("/_fake/quotas", json={"defaults": {"volumes": 4},
                                                 "projects": {"demo": {"snapshots": 0}}})
    assert response.status_code == 200
    assert response.get_json() == {"defaults": {"volumes": 4},
                                   "projects": {"demo": {"snapshots": 0}}}
    assert client.get("/_fake/quotas").get_json() == response.get_json()
    assert fake.quotas("demo")["snapshots"] == 0
    before = fake.dump()
    bad = client.put("/_fake/quotas", json={"defaults": {"volumes": 1},
                                            "projects": {"demo": {"nope": 1}}})
    assert fault(bad) == (400, "Invalid input received: Bad key(s) in quota set: nope")
    assert fake.dump() == before
    assert client.put("/_fake/quotas", json=[1]).status_code == 400


def test_extend_quota_check_for_the_volume_actions(fake):
    """core.quotas.check_volume_extend, for os-extend: Cinder names the gigabytes quota."""
    store = fake.store
    ceph = store.find_volume_type("ceph")
    fake.set_quotas("demo", gigabytes=10, gigabytes_ceph=5)
    quotas.check_volume_extend(store, "demo", "demo", 5, 1, ceph)
    with pytest.raises(quotas.QuotaError) as refused:
        quotas.check_volume_extend(store, "demo", "demo", 6, 2, ceph)
    assert refused.value.message == ("VolumeSizeExceedsAvailableQuota: Requested volume or "
                                     "snapshot exceeds allowed gigabytes quota. Requested 2G, "
                                     "quota is 10G and 7G has been consumed.")
    assert refused.value.status == 413
    fake.set_quotas(per_volume_gigabytes=4)
    with pytest.raises(quotas.QuotaError, match="VolumeSizeExceedsLimit: Requested volume "
                                                "size 5G is larger than maximum allowed "
                                                "limit 4G."):
        quotas.check_volume_extend(store, "demo", "demo", 5, 1, None)


def test_openapi_documents_the_quota_413s(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for path in ("/v3/{project_id}/volumes", "/v3/{project_id}/snapshots"):
        schema = paths[path]["post"]["responses"]["413"]["content"]["application/json"][
            "schema"]
        assert {"$ref": "#/components/schemas/fault.response"} in schema["anyOf"]
    assert "anyOf" not in paths["/v3/{project_id}/attachments"]["post"]["responses"]["413"][
        "content"]["application/json"]["schema"]


def test_parallel_snapshot_creates_never_exceed_the_quota(fake, live_server_url):
    fake.set_quotas("demo", snapshots=5)
    headers = {"X-User-Id": "demo", "X-Project-Id": "demo", "X-Roles": "member",
               "OpenStack-API-Version": "volume 3.71"}
    statuses: list[int] = []
    lock = threading.Lock()

    def create(volume_id: str) -> None:
        response = requests.post(f"{live_server_url}/v3/demo/snapshots", headers=headers,
                                 json={"snapshot": {"volume_id": volume_id}}, timeout=30)
        with lock:
            statuses.append(response.status_code)

    run_threads(create, [(VOLUME,), (CEPH_VOLUME,)] * 8)
    assert statuses.count(202) == 5 and statuses.count(413) == 11
    assert len(fake.snapshots()) == 5
