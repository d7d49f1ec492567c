"""Volume transfers: os-volume-transfer and volume-transfers (3.55 no_snapshots, 3.57
history, 3.59 paging), the awaiting-transfer status, the auth key, quotas moving."""

from __future__ import annotations

import pytest

from tests.helpers.api import CEPH_VOLUME, SHARED_VOLUME, UNKNOWN, VOLUME, fault

ROUTES = ["os-volume-transfer", "volume-transfers"]


def offer(api, volume_id: str = VOLUME, route: str = "os-volume-transfer", **fields) -> dict:
    response = api.post(route, {"transfer": {"volume_id": volume_id, **fields}})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["transfer"]


def accept(api, transfer: dict, route: str = "os-volume-transfer", key: str | None = None):
    return api.post(f"{route}/{transfer['id']}/accept",
                    {"accept": {"auth_key": key or transfer["auth_key"]}})


@pytest.mark.parametrize("route", ROUTES)
def test_offer_and_accept(api, fake, route):
    transfer = offer(api, route=route, name="  to other  ")
    assert transfer["name"] == "to other"
    assert len(transfer["auth_key"]) == 16
    assert transfer["links"][0]["href"].endswith(f"/v3/demo/os-volume-transfer/{transfer['id']}")
    assert api.volume()["status"] == "awaiting-transfer"
    shown = api.get(f"{route}/{transfer['id']}").get_json()["transfer"]
    assert "auth_key" not in shown and shown["volume_id"] == VOLUME
    assert shown["no_snapshots"] is False and shown["accepted"] is False
    assert shown["source_project_id"] == "demo" and shown["destination_project_id"] is None
    other = api.as_(project="other")
    accepted = accept(other, transfer, route)
    assert accepted.status_code == 202
    assert set(accepted.get_json()["transfer"]) == {"id", "volume_id", "name", "links"}
    volume = other.volume(VOLUME)
    assert volume["status"] == "available"
    assert volume["os-vol-tenant-attr:tenant_id"] == "other"
    assert volume["user_id"] == "user-other"
    # Gone for both sides (Cinder soft-deletes it), kept with its history.
    assert fault(api.get(f"{route}/{transfer['id']}"))[0] == 404
    assert fault(api.get(f"volumes/{VOLUME}"))[0] == 404
    [record] = fake.transfers(volume_id=VOLUME)
    assert record["accepted"] is True and record["destination_project_id"] == "other"


def test_views_follow_the_microversion(api):
    created = offer(api.as_(version="3.0"))
    assert set(created) == {"id", "created_at", "name", "volume_id", "auth_key", "links"}
    path = f"os-volume-transfer/{created['id']}"
    assert "no_snapshots" not in api.as_(version="3.54").get(path).get_json()["transfer"]
    at_355 = api.as_(version="3.55").get(path).get_json()["transfer"]
    assert at_355["no_snapshots"] is False and "accepted" not in at_355
    listed = api.get("os-volume-transfer").get_json()["transfers"]
    assert set(listed[0]) == {"id", "volume_id", "name", "links"}


def test_no_snapshots_is_3_55_and_volume_transfers_only(api, fake):
    snapshot = fake.add_snapshot(VOLUME)
    assert fault(api.as_(version="3.54").post("volume-transfers", {"transfer": {
        "volume_id": VOLUME, "no_snapshots": True}}))[0] == 400
    assert fault(api.post("os-volume-transfer", {"transfer": {
        "volume_id": VOLUME, "no_snapshots": True}}))[0] == 400
    transfer = offer(api, route="volume-transfers", no_snapshots=True)
    assert transfer["no_snapshots"] is True
    accept(api.as_(project="other"), transfer)
    assert fake.snapshot(snapshot["id"])["project_id"] == "demo"


def test_snapshots_go_with_the_volume(api, fake):
    snapshot = fake.add_snapshot(VOLUME)
    transfer = offer(api)
    assert accept(api.as_(project="other"), transfer).status_code == 202
    moved = fake.snapshot(snapshot["id"])
    assert moved["project_id"] == "other" and moved["user_id"] == "user-other"


def test_refusals(api, fake):
    assert fault(api.post("os-volume-transfer", {"transfer": {"volume_id": UNKNOWN}})) == (
        404, f"Volume {UNKNOWN} could not be found.")
    assert fault(api.post("os-volume-transfer", {"transfer": {"volume_id": VOLUME,
                                                              "name": "  "}})) == (
        400, "Invalid input for field/attribute name. Value:   . '  ' is not valid under any "
             "of the given schemas")
    assert fault(api.as_(roles="reader").post("os-volume-transfer", {"transfer": {
        "volume_id": VOLUME}})) == (
        403, "Policy doesn't allow volume:create_transfer to be performed.")
    transfer = offer(api)
    assert fault(api.post("os-volume-transfer", {"transfer": {"volume_id": VOLUME}})) == (
        400, "Invalid volume: status must be available")
    assert fault(api.delete(f"volumes/{VOLUME}"))[0] == 400
    assert fault(accept(api.as_(project="other"), transfer, key="bad")) == (
        400, f"Invalid auth key: Attempt to transfer {transfer['id']} with invalid auth key.")
    assert fault(api.as_(roles="reader").post(f"os-volume-transfer/{UNKNOWN}/accept", {
        "accept": {"auth_key": "x"}})) == (
        403, "Policy doesn't allow volume:accept_transfer to be performed.")
    assert fault(api.post(f"os-volume-transfer/{UNKNOWN}/accept", {
        "accept": {"auth_key": "x"}})) == (404, f"Transfer {UNKNOWN} could not be found.")
    # Another project sees nothing of it but can accept it.
    other = api.as_(project="other")
    assert fault(other.get(f"os-volume-transfer/{transfer['id']}"))[0] == 404
    assert other.get("os-volume-transfer").get_json() == {"transfers": []}
    assert fake.volume(VOLUME)["status"] == "awaiting-transfer"


def test_snapshot_not_available_blocks_the_offer(api, fake):
    snapshot = fake.add_snapshot(VOLUME, status="creating")
    assert fault(api.post("os-volume-transfer", {"transfer": {"volume_id": VOLUME}})) == (
        400, f"Invalid snapshot: snapshot: {snapshot['id']} status must be available")
    assert offer(api, route="volume-transfers", no_snapshots=True)["no_snapshots"] is True


def test_delete_gives_the_volume_back(api, fake):
    transfer = offer(api)
    assert fault(api.as_(roles="reader").delete(f"os-volume-transfer/{transfer['id']}")) == (
        403, "Policy doesn't allow volume:delete_transfer to be performed.")
    response = api.delete(f"volume-transfers/{transfer['id']}")
    assert response.status_code == 202 and response.get_data() == b""
    assert api.volume()["status"] == "available"
    assert fake.transfers() == []
    assert fault(api.delete(f"os-volume-transfer/{transfer['id']}"))[0] == 404


def test_quota_moves_and_is_checked(api, fake):
    offer_ = offer(api, CEPH_VOLUME)  # 4 GB
    other = api.as_(project="other")
    fake.set_quotas("other", gigabytes=3)
    refused = accept(other, offer_)
    assert fault(refused) == (
        413, "Requested volume or snapshot exceeds allowed gigabytes quota. Requested 4G, "
             "quota is 3G and 0G has been consumed.")
    assert refused.headers["Retry-After"] == "0"
    fake.set_quotas("other", gigabytes=10, volumes=0)
    assert fault(accept(other, offer_)) == (
        413, "VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota "
             "'volumes'.")
    fake.set_quotas("other", volumes=10)
    assert accept(other, offer_).status_code == 202
    assert fake.quotas("other", usage=True)["gigabytes"]["in_use"] == 4
    assert fake.quotas("demo", usage=True)["gigabytes"]["in_use"] == 3


def test_encrypted_volumes_from_3_70_on_volume_transfers(api, fake):
    fake.add_volume_type("luks")
    fake.set_volume_type_encryption("luks")
    volume = fake.add_volume(volume_type="luks")["id"]
    for route, version in (("os-volume-transfer", "3.71"), ("volume-transfers", "3.69")):
        assert fault(api.as_(version=version).post(route, {"transfer": {
            "volume_id": volume}})) == (
            400, "Invalid volume: transferring encrypted volume is not supported")
    assert fault(api.post("volume-transfers", {"transfer": {
        "volume_id": volume, "no_snapshots": True}})) == (
        400, "Invalid volume: transferring an encrypted volume without its snapshots is not "
             "supported")
    assert offer(api, volume, route="volume-transfers")["volume_id"] == volume


def test_listing(api, fake):
    first = offer(api)
    second = offer(api, SHARED_VOLUME)
    listed = api.as_(version="3.58").get("volume-transfers").get_json()["transfers"]
    assert [t["id"] for t in listed] == [first["id"], second["id"]]  # oldest first
    # From 3.59 newest first, paged; the page's offset is applied twice, as in Cinder.
    paged = api.get("volume-transfers/detail", query={"limit": "1"}).get_json()
    assert [t["id"] for t in paged["transfers"]] == [second["id"]]
    assert "marker=" in paged["transfers_links"][0]["href"]
    assert api.get("volume-transfers", query={"offset": "1"}).get_json() == {"transfers": []}
    after = api.get("volume-transfers", query={"marker": second["id"]}).get_json()
    assert [t["id"] for t in after["transfers"]] == [first["id"]]
    # Before 3.59 (and always on os-volume-transfer) limit is a database filter.
    assert api.get("os-volume-transfer", query={"limit": "1"}).get_json() == {"transfers": []}
    assert fault(api.get("os-volume-transfer", query={"limit": "x"})) == (
        400, "limit param must be an integer")
    named = api.get("os-volume-transfer", query={"name": "nope"}).get_json()
    assert named == {"transfers": []}
    admin = api.as_(project="other", roles="admin")
    assert admin.get("os-volume-transfer").get_json() == {"transfers": []}
    assert len(admin.get("os-volume-transfer",
                         query={"all_tenants": "1"}).get_json()["transfers"]) == 2


def test_python_api_and_state(fake):
    transfer = fake.add_transfer(VOLUME, name="t", auth_key="secret")
    assert transfer["auth_key"] == "secret" and "crypt_hash" in transfer
    assert fake.volume(VOLUME)["status"] == "awaiting-transfer"
    with pytest.raises(ValueError, match="status must be available"):
        fake.add_transfer(VOLUME)
    state = fake.dump()
    assert [t["id"] for t in state["transfers"]] == [transfer["id"]]
    other = type(fake)()
    other.load(state)
    assert other.dump() == state
    fake.reset()
    assert fake.transfers() == []
    # A state file may give the auth key itself (its volume awaits the transfer).
    state = fake.dump()
    for volume in state["volumes"]:
        if volume["id"] == VOLUME:
            volume["status"] = "awaiting-transfer"
    fake.load({**state, "transfers": [{
        "id": "5d1f0000-0000-4000-8000-000000000001", "volume_id": VOLUME,
        "auth_key": "abc"}]}, name="test")
    client = fake.app.test_client()
    response = client.post("/v3/other/os-volume-transfer/5d1f0000-0000-4000-8000-000000000001"
                           "/accept", json={"accept": {"auth_key": "abc"}},
                           headers={"X-User-Id": "u", "X-Project-Id": "other",
                                    "X-Roles": "member"})
    assert response.status_code == 202
    assert fake.volume(VOLUME)["project_id"] == "other"


def test_a_forced_delete_takes_the_volumes_transfers_with_it(api, fake):
    transfer = offer(api)
    admin = api.as_(roles="admin")
    # A forced delete (3.23) skips the status condition, awaiting-transfer too.
    assert admin.delete(f"volumes/{VOLUME}", query={"force": "true"}).status_code == 202
    assert fake.transfers() == []
    assert fault(api.get(f"os-volume-transfer/{transfer['id']}"))[0] == 404
    type(fake)().load(fake.dump())  # the state still loads


def test_a_private_type_the_receiving_project_cannot_see(api, admin):
    """Cinder reserves the receiving project's per-type quotas with the accepting user's
    context (add_volume_type_opts): a private type that project cannot see is not found,
    after the auth key and the per-volume limit; an admin of that project, or the project
    once given access, takes the volume."""
    created = admin.post("types", {"volume_type": {
        "name": "secret", "os-volume-type-access:is_public": False}}).get_json()
    type_id = created["volume_type"]["id"]
    admin.post(f"types/{type_id}/action", {"addProjectAccess": {"project": "demo"}})
    volume = api.new_volume("secret")
    transfer = offer(api, volume)
    other = api.as_(project="other")
    assert fault(accept(other, transfer, key="0123456789abcdef")) == (
        400, f"Invalid auth key: Attempt to transfer {transfer['id']} with invalid auth key.")
    assert fault(accept(other, transfer)) == (
        404, f"Volume type {type_id} could not be found.")
    assert api.volume(volume)["status"] == "awaiting-transfer"  # nothing moved
    admin.post(f"types/{type_id}/action", {"addProjectAccess": {"project": "other"}})
    assert accept(other, transfer).status_code == 202
    assert other.volume(volume)["volume_type"] == "secret"
    # An admin sees every type.
    second = offer(other, volume)
    admin.post(f"types/{type_id}/action", {"removeProjectAccess": {"project": "demo"}})
    assert accept(api.as_(project="demo", roles="admin"), second).status_code == 202
