"""The Nova-style attach flow end to end through the Flask test client."""

from __future__ import annotations

VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"
SERVER = "8a3c1b2d-0000-4000-8000-000000000001"
HEADERS = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.54",
           "X-Service-Roles": "service"}


def test_nova_flow(client):
    created = client.post("/v3/demo/attachments", headers=HEADERS, json={
        "attachment": {"volume_uuid": VOLUME, "instance_uuid": SERVER}})
    assert created.status_code == 200
    attachment_id = created.json["attachment"]["id"]
    assert client.get(f"/v3/demo/volumes/{VOLUME}", headers=HEADERS).json["volume"][
        "status"] == "reserved"
    updated = client.put(f"/v3/demo/attachments/{attachment_id}", headers=HEADERS, json={
        "attachment": {"connector": {"initiator": "iqn.1993-08.org.debian:01:abc",
                                     "host": "compute-1"}}})
    assert updated.status_code == 200
    assert updated.json["attachment"]["status"] == "reserved"  # Cinder's stale response
    assert updated.json["attachment"]["connection_info"]["driver_volume_type"] == "iscsi"
    completed = client.post(f"/v3/demo/attachments/{attachment_id}/action", headers=HEADERS,
                            json={"os-complete": None})
    assert completed.status_code == 204
    volume = client.get(f"/v3/demo/volumes/{VOLUME}", headers=HEADERS).json["volume"]
    assert volume["status"] == "in-use"
    assert volume["attachments"][0]["attachment_id"] == attachment_id
    deleted = client.delete(f"/v3/demo/attachments/{attachment_id}", headers=HEADERS)
    assert deleted.status_code == 200
    assert deleted.json == {"attachments": []}
    assert client.get(f"/v3/demo/volumes/{VOLUME}", headers=HEADERS).json["volume"][
        "status"] == "available"
