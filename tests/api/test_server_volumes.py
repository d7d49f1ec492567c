"""Nova's os-volume_attachments: each call runs Nova 34's Cinder calls on the fake's
records, the journal shows them, and Nova's microversions and fault bodies hold."""

from __future__ import annotations

import pytest

from fake_cinder import FakeCinder

SERVER = "5a1e0f6c-3b7d-4c2e-9f10-4d8a6b2c7e01"        # demo-server
SERVER_2 = "6b2f1a7d-4c8e-4d3f-8a21-5e9b7c3d8f02"      # demo-server-2
ADMIN_SERVER = "7c3a2b8e-5d9f-4e4a-9b32-6fac8d4e9a03"  # admin-server
VOLUME = "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"        # demo-volume
SHARED = "1d7f3c52-6c2b-4e1f-8b58-2a7e4d3c9f22"        # demo-shared (multiattach)
ROOT = f"/compute/v2.1/servers/{SERVER}/os-volume_attachments"


def nova(version: str | None = None, project: str = "demo", roles: str = "member,reader",
         legacy: bool = False) -> dict[str, str]:
    headers = {"X-User-Id": project, "X-Project-Id": project, "X-Roles": roles}
    if version is not None:
        if legacy:
            headers["X-OpenStack-Nova-API-Version"] = version
        else:
            headers["OpenStack-API-Version"] = f"compute {version}"
    return headers


def attach(client, volume_id: str = VOLUME, version: str | None = None,
           server: str = SERVER, **fields):
    return client.post(f"/compute/v2.1/servers/{server}/os-volume_attachments",
                       headers=nova(version), json={"volumeAttachment": {
                           "volumeId": volume_id, **fields}})


def fault(name: str, status: int, message: str) -> dict:
    return {name: {"code": status, "message": message}}


def test_attach_runs_novas_cinder_calls(client, fake: FakeCinder):
    response = attach(client)
    assert response.status_code == 200
    assert response.json == {"volumeAttachment": {
        "id": VOLUME, "serverId": SERVER, "volumeId": VOLUME, "device": "/dev/vdb"}}
    assert response.headers["OpenStack-API-Version"] == "compute 2.1"
    assert response.headers["X-OpenStack-Nova-API-Version"] == "2.1"
    assert fake.volume(VOLUME)["status"] == "in-use"
    [attachment] = fake.attachments(volume_id=VOLUME)
    assert attachment["instance_uuid"] == SERVER
    assert attachment["attach_status"] == "attached"
    assert attachment["attached_host"] == "compute-0"
    assert attachment["mountpoint"] == "/dev/vdb"
    assert attachment["connector"]["initiator"] == "iqn.1993-08.org.debian:01:compute-0"
    # The journal shows Nova's requests to Cinder, then the compute request itself.
    cinder = [e for e in fake.journal.entries() if e.operation]
    assert [(e.operation, e.method, e.path, e.microversion) for e in cinder] == [
        ("attachment_create", "POST", "/v3/demo/attachments", "3.44"),
        ("attachment_update", "PUT", f"/v3/demo/attachments/{attachment['id']}", "3.44"),
        ("attachment_complete", "POST", f"/v3/demo/attachments/{attachment['id']}/action",
         "3.44")]
    assert cinder[0].body == {"attachment": {"volume_uuid": VOLUME, "instance_uuid": SERVER}}
    assert cinder[1].body["attachment"]["connector"]["mountpoint"] == "/dev/vdb"
    fake.journal.assert_lifecycle(attachment["id"], ["reserved", "attaching", "attached"])
    assert fake.journal.entries()[-1].path == ROOT
    [mapping] = fake.server_volumes(server_id=SERVER)
    assert (mapping["volume_id"], mapping["attachment_id"], mapping["device"]) == (
        VOLUME, attachment["id"], "/dev/vdb")


def test_detach_begins_detaching_then_deletes_the_attachment(client, fake: FakeCinder):
    # The default fake protects connected attachments (bug 2004555): Nova's service
    # token lets it delete.
    assert fake.protect_in_use_attachments
    attach(client)
    [attachment] = fake.attachments(volume_id=VOLUME)
    fake.journal.clear()
    response = client.delete(f"{ROOT}/{VOLUME}", headers=nova())
    assert response.status_code == 202 and response.data == b""
    assert [(e.operation, e.path) for e in fake.journal.entries() if e.operation] == [
        ("volume_begin_detaching", f"/v3/demo/volumes/{VOLUME}/action"),
        ("attachment_delete", f"/v3/demo/attachments/{attachment['id']}")]
    assert fake.volume(VOLUME)["status"] == "available"
    assert fake.attachments(volume_id=VOLUME) == [] and fake.server_volumes() == []
    again = client.delete(f"{ROOT}/{VOLUME}", headers=nova())
    assert again.status_code == 404
    assert again.json == fault("itemNotFound", 404,
                               f"Instance {SERVER} is not attached to volume {VOLUME}")


@pytest.mark.parametrize(("version", "expected"), [
    ("2.1", {"id", "volumeId", "serverId", "device"}),
    ("2.70", {"id", "volumeId", "serverId", "device", "tag"}),
    ("2.79", {"id", "volumeId", "serverId", "device", "tag", "delete_on_termination"}),
    ("2.89", {"volumeId", "serverId", "device", "tag", "delete_on_termination",
              "attachment_id", "bdm_uuid"}),
])
def test_the_views_follow_the_microversion(client, fake, version, expected):
    assert attach(client, version="2.79", tag="data", delete_on_termination=True
                  ).status_code == 200
    listed = client.get(ROOT, headers=nova(version, legacy=True))
    assert listed.headers["X-OpenStack-Nova-API-Version"] == version
    [item] = listed.json["volumeAttachments"]
    assert set(item) == expected
    shown = client.get(f"{ROOT}/{VOLUME}", headers=nova(version)).json["volumeAttachment"]
    assert shown == item
    if version == "2.89":
        [mapping] = fake.server_volumes()
        assert (item["attachment_id"], item["bdm_uuid"]) == (mapping["attachment_id"],
                                                             mapping["id"])
        assert item["tag"] == "data" and item["delete_on_termination"] is True


def test_attach_from_2_101_answers_202_without_a_body(client, fake):
    response = attach(client, version="2.101")
    assert response.status_code == 202 and response.data == b""
    assert fake.volume(VOLUME)["status"] == "in-use"


@pytest.mark.parametrize(("version", "field", "value"), [
    ("2.48", "tag", "data"), ("2.78", "delete_on_termination", True)])
def test_fields_before_their_microversion_are_refused(client, fake, version, field, value):
    response = attach(client, version=version, **{field: value})
    assert response.status_code == 400
    assert f"Additional properties are not allowed ('{field}' was unexpected)" in \
        response.json["badRequest"]["message"]
    assert fake.attachments(volume_id=VOLUME) == []


def test_refusals_change_nothing(client, fake: FakeCinder):
    assert attach(client).status_code == 200
    before = fake.dump()
    cases = [
        (attach(client), 400, "badRequest",
         f"Invalid volume: volume {VOLUME} is already attached to instances: {SERVER}"),
        (attach(client, server=SERVER_2), 400, "badRequest",
         f"Invalid volume: volume {VOLUME} is already attached to instances: {SERVER}"),
        (attach(client, SHARED, version="2.59"), 400, "badRequest",
         "Multiattach volumes are only supported starting with compute API version 2.60."),
        (attach(client, SHARED, device="/dev/vdb"), 409, "conflictingRequest",
         "The supplied device path (/dev/vdb) is in use."),
        (attach(client, "00000000-0000-4000-8000-000000000000"), 404, "itemNotFound",
         "Volume 00000000-0000-4000-8000-000000000000 could not be found."),
        (attach(client, server="nope"), 404, "itemNotFound",
         "Instance nope could not be found."),
        (attach(client, server=ADMIN_SERVER), 404, "itemNotFound",
         f"Instance {ADMIN_SERVER} could not be found."),
    ]
    for response, status, name, message in cases:
        assert (response.status_code, response.json) == (status, fault(name, status, message))
    reader = client.post(ROOT, headers=nova(roles="reader"),
                         json={"volumeAttachment": {"volumeId": SHARED}})
    assert reader.json == fault("forbidden", 403, "Policy doesn't allow "
                                "os_compute_api:os-volumes-attachments:create to be performed.")
    bad_device = attach(client, SHARED, version="2.60", device="vdb")
    assert bad_device.status_code == 400
    for version, status in (("2.1000", 406), ("two", 400)):
        assert attach(client, SHARED, version=version).status_code == status
    assert fake.dump() == before


def test_another_projects_volume_is_not_found(client, fake):
    other = fake.add_volume(project_id="admin", name="theirs")
    response = attach(client, other["id"])
    assert response.json == fault("itemNotFound", 404,
                                  f"Volume {other['id']} could not be found.")
    assert fake.volume(other["id"])["status"] == "available"


def test_a_volume_cinder_has_in_use_is_refused_as_nova_reports_cinders_400(client, fake):
    volume = fake.add_volume(project_id="demo", name="busy")
    created = client.post("/v3/demo/attachments", headers={
        **nova(), "OpenStack-API-Version": "volume 3.44"}, json={"attachment": {
            "volume_uuid": volume["id"], "instance_uuid": SERVER_2}})
    assert created.status_code == 200
    response = attach(client, volume["id"])
    assert response.status_code == 400
    message = response.json["badRequest"]["message"]
    assert message.startswith("Invalid volume: Invalid input received: Invalid volume: ")
    assert message.endswith("(HTTP 400)")
    assert fake.server_volumes() == []


def test_multiattach_from_2_60_to_two_servers(client, fake):
    assert attach(client, SHARED, version="2.60").status_code == 200
    assert attach(client, SHARED, version="2.60", server=SERVER_2).status_code == 200
    assert len(fake.attachments(volume_id=SHARED, status="attached")) == 2
    same = attach(client, SHARED, version="2.60")
    assert same.json == fault("badRequest", 400, f"Invalid volume: volume {SHARED} already "
                              "attached")
    assert client.delete(f"{ROOT}/{SHARED}", headers=nova()).status_code == 202
    assert fake.volume(SHARED)["status"] == "in-use"
    [left] = fake.attachments(volume_id=SHARED)
    assert left["instance_uuid"] == SERVER_2


def test_update_delete_on_termination_from_2_85(client, fake):
    attach(client)
    url = f"{ROOT}/{VOLUME}"
    body = {"volumeAttachment": {"volumeId": VOLUME, "delete_on_termination": True}}
    old = client.put(url, headers=nova("2.84"), json=body)
    assert old.status_code == 400  # below 2.85 a PUT only swaps
    response = client.put(url, headers=nova("2.85"), json=body)
    assert response.status_code == 202
    assert fake.server_volumes()[0]["delete_on_termination"] is True
    device = client.put(url, headers=nova("2.85"), json={
        "volumeAttachment": {"volumeId": VOLUME, "device": "/dev/vdz"}})
    assert device.json == fault("badRequest", 400, "The device property is not mutable")


def test_swap_is_for_cinders_migrations_only(client, fake):
    attach(client)
    new = fake.add_volume(project_id="demo", size=1)
    body = {"volumeAttachment": {"volumeId": new["id"]}}
    member = client.put(f"{ROOT}/{VOLUME}", headers=nova(), json=body)
    assert member.json == fault("forbidden", 403, "Policy doesn't allow "
                                "os_compute_api:os-volumes-attachments:swap to be performed.")
    admin = client.put(f"{ROOT}/{VOLUME}", headers=nova(roles="admin"), json=body)
    assert admin.json == fault("conflictingRequest", 409, f"volume {VOLUME} is not migrating; "
                               "this API should only be called by Cinder")


def test_swap_during_a_migration_runs_novas_swap(client, fake: FakeCinder):
    attach(client)
    [old_attachment] = fake.attachments(volume_id=VOLUME)
    new = fake.add_volume(project_id="demo", size=2)
    # What Cinder's migration of an in-use volume sets before it asks Nova to swap.
    fake.store.volumes[VOLUME].migration_status = "migrating"
    fake.store.volumes[new["id"]].migration_status = f"target:{VOLUME}"
    fake.journal.clear()
    response = client.put(f"{ROOT}/{VOLUME}", headers=nova("2.1", roles="admin"),
                          json={"volumeAttachment": {"volumeId": new["id"]}})
    assert response.status_code == 202
    assert [e.operation for e in fake.journal.entries() if e.operation] == [
        "volume_begin_detaching", "attachment_create", "attachment_update",
        "attachment_complete", "attachment_delete", "volume_migrate_completion"]
    # Cinder's completion keeps the source id for the migrated volume.
    [mapping] = fake.server_volumes()
    assert mapping["volume_id"] == VOLUME and mapping["attachment_id"] != old_attachment["id"]
    volume = fake.volume(VOLUME)
    assert (volume["status"], volume["size"], volume["migration_status"]) == (
        "in-use", 2, "success")
    [attachment] = fake.attachments(volume_id=VOLUME)
    assert attachment["id"] == mapping["attachment_id"]
    assert attachment["attach_status"] == "attached"


def test_servers_show_their_volumes(client):
    attach(client, version="2.79", delete_on_termination=True)
    server = client.get(f"/compute/v2.1/servers/{SERVER}", headers=nova()).json["server"]
    assert server["os-extended-volumes:volumes_attached"] == [
        {"id": VOLUME, "delete_on_termination": True}]
    listed = client.get("/compute/v2.1/servers/detail", headers=nova()).json["servers"]
    assert {s["id"]: s["os-extended-volumes:volumes_attached"] for s in listed}[SERVER_2] == []


def test_mappings_are_state(client, fake: FakeCinder):
    attach(client, version="2.70", tag="logs")
    state = fake.dump()
    [mapping] = state["block_device_mappings"]
    assert (mapping["server_id"], mapping["project_id"], mapping["tag"]) == (
        SERVER, "demo", "logs")
    other = FakeCinder()
    other.load(state)
    assert other.dump() == state
    bad = {**state, "block_device_mappings": [{**mapping, "attachment_id": None,
                                               "volume_id": SHARED, "id": VOLUME}, mapping]}
    bad["block_device_mappings"][0]["id"] = mapping["id"]
    with pytest.raises(ValueError, match="duplicate block device mapping id"):
        other.load(bad)
    fake.reset(project_id="demo")
    assert fake.server_volumes() == []
    attach(client)
    fake.reset()
    assert fake.server_volumes() == [] and "block_device_mappings" not in fake.dump()


def test_the_conformance_scenarios_replay_the_connector_novas_calls_send(client, fake):
    """conformance/scenarios_server_volumes.py replays these calls on a real Cinder 29."""
    from conformance.scenarios_server_volumes import host_connector

    attach(client)
    [update] = fake.journal.entries("attachment_update")
    assert update.body == {"attachment": {"connector": host_connector("/dev/vdb")}}


def test_a_swap_refused_changes_no_property(client, fake):
    """From 2.85 a PUT naming another volume needs the swap policy before anything."""
    attach(client)
    new = fake.add_volume(project_id="demo")
    response = client.put(f"{ROOT}/{VOLUME}", headers=nova("2.85"), json={"volumeAttachment": {
        "volumeId": new["id"], "delete_on_termination": True}})
    assert response.status_code == 403
    assert fake.server_volumes()[0]["delete_on_termination"] is False


def test_a_swap_of_a_volume_not_attached_to_the_server(client, fake):
    attach(client, server=SERVER_2)
    new = fake.add_volume(project_id="demo")
    fake.store.volumes[VOLUME].migration_status = "migrating"
    response = client.put(f"{ROOT}/{VOLUME}", headers=nova(roles="admin"),
                          json={"volumeAttachment": {"volumeId": new["id"]}})
    assert response.json == fault("badRequest", 400, "Invalid volume: Old volume is attached "
                                  "to a different instance.")
    missing = client.put(f"{ROOT}/{VOLUME}", headers=nova(roles="admin"),
                         json={"volumeAttachment": {"volumeId": SHARED.replace("1", "9")}})
    assert missing.status_code == 400 and "could not be found" in missing.json[
        "badRequest"]["message"]


def _with_server(fake: FakeCinder, server_id: str, status: str) -> str:
    state = fake.dump()
    state["identity"]["servers"].append({"id": server_id, "name": f"s-{status.lower()}",
                                         "project_id": "demo", "status": status})
    fake.load(state)
    return server_id


def test_server_states_nova_refuses(client, fake):
    broken = _with_server(fake, "0b0b0b0b-0000-4000-8000-000000000001", "ERROR")
    response = attach(client, server=broken)
    assert response.json == fault("conflictingRequest", 409, f"Cannot 'attach_volume' "
                                  f"instance {broken} while it is in vm_state error")
    shelved = _with_server(fake, "0b0b0b0b-0000-4000-8000-000000000002", "SHELVED")
    old = attach(client, server=shelved, version="2.19")
    assert old.json["conflictingRequest"]["message"].endswith("in vm_state shelved")
    assert fake.attachments(volume_id=VOLUME) == []
    stopped = _with_server(fake, "0b0b0b0b-0000-4000-8000-000000000003", "SHUTOFF")
    assert attach(client, server=stopped).status_code == 200
    server = client.get(f"/compute/v2.1/servers/{stopped}", headers=nova()).json["server"]
    assert server["OS-EXT-STS:vm_state"] == "stopped"


def test_a_shelved_offloaded_server_reserves_and_completes_without_a_host(client, fake):
    offloaded = _with_server(fake, "0b0b0b0b-0000-4000-8000-000000000004",
                             "SHELVED_OFFLOADED")
    assert attach(client, server=offloaded, version="2.70", tag="t").json == fault(
        "badRequest", 400, "Tagged volume attachment is not supported for shelved-offloaded "
                           "instances.")
    assert attach(client, SHARED, server=offloaded, version="2.60").json == fault(
        "badRequest", 400, "Attaching multiattach volumes is not supported for "
                           "shelved-offloaded instances.")
    fake.journal.clear()
    response = attach(client, server=offloaded, version="2.20")
    assert response.status_code == 200 and response.json["volumeAttachment"]["device"] is None
    assert [e.operation for e in fake.journal.entries() if e.operation] == [
        "attachment_create", "attachment_complete"]
    [attachment] = fake.attachments(volume_id=VOLUME)
    assert attachment["connector"] is None and attachment["attach_status"] == "attached"
    assert fake.volume(VOLUME)["status"] == "in-use"
    url = f"/compute/v2.1/servers/{offloaded}/os-volume_attachments/{VOLUME}"
    assert client.delete(url, headers=nova("2.20")).status_code == 202
    assert [e.operation for e in fake.journal.entries() if e.operation][-1] == \
        "attachment_delete"
    assert fake.volume(VOLUME)["status"] == "available" and fake.server_volumes() == []


def test_cinder_asks_the_fakes_nova_before_a_user_deletes_an_attachment(client, fake):
    """Bug 2004555: a connected attachment Nova's mapping names is Nova's to delete; a
    newer connected one of the same server and volume (not Nova's) is the user's."""
    assert attach(client, SHARED, version="2.60").status_code == 200
    [nova_attachment] = fake.attachments(volume_id=SHARED)
    cinder = {**nova(), "OpenStack-API-Version": "volume 3.44"}
    other = client.post("/v3/demo/attachments", headers=cinder, json={"attachment": {
        "volume_uuid": SHARED, "instance_uuid": SERVER, "connector": {
            "host": "elsewhere", "initiator": "iqn.1993-08.org.debian:01:x"}}})
    assert other.status_code == 200
    refused = client.delete(f"/v3/demo/attachments/{nova_attachment['id']}", headers=cinder)
    assert refused.status_code == 409
    deleted = client.delete(f"/v3/demo/attachments/{other.json['attachment']['id']}",
                            headers=cinder)
    assert deleted.status_code == 200
    assert fake.attachments(volume_id=SHARED) == [nova_attachment]


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize(("body", "message"), [
    (b"[]", "[] is not of type 'object'"),
    (b"null", "None is not of type 'object'"),
    (b"{}", "'volumeAttachment' is a required property"),
    (b'{"volumeAttachment": []}', "Invalid input for field/attribute volumeAttachment. "
                                  "Value: []. [] is not of type 'object'"),
    (b'{"volumeAttachment": {"volumeId": "x"}}', "Invalid input for field/attribute "
                                                "volumeId. Value: x. 'x' is not a 'uuid'"),
    (b"{nope", "Malformed request body"),
    (b'\xef\xbb\xbf{"volumeAttachment": {}}', "Malformed request body"),  # a UTF-8 BOM
    ('{"volumeAttachment": {}}'.encode("utf-16"), "Malformed request body"),
    (b"[" * 5000 + b"]" * 5000, "Malformed request body"),  # deeper than json parses
])
def test_a_body_nova_refuses_gets_its_400_first_and_changes_nothing(client, fake, method,
                                                                   body, message):
    """Nova validates the body before it looks at the server or the volume (its schema
    decorator), and decodes it as strict UTF-8 first (oslo's jsonutils)."""
    before = fake.dump()
    path = ROOT if method == "POST" else f"{ROOT}/{VOLUME}"
    response = client.open(path, method=method, data=body, headers={
        **nova(), "Content-Type": "application/json"})
    assert (response.status_code, response.json) == (400, fault("badRequest", 400, message))
    assert fake.dump() == before
    assert fake.errors == []
