"""The shadow's fake keeps in step: a resource it has never seen is taken from the cloud's
answer into its state, kind by kind, or the comparison is reported "not compared: unknown
resource", never skipped. Two fakes: one plays the cloud (tests/helpers/shadow.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fake_cinder.shadow.compare import NOT_COMPARED
from fake_cinder.shadow.proxy import WritePolicy
from tests.helpers.shadow import Cloud, Shadow, cloud, start_shadow

__all__ = ["cloud"]
INSTANCE = "5e7e7000-0000-4000-8000-0000000000ad"
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:adopt", "ip": "192.0.2.11",
             "host": "compute-2", "platform": "x86_64", "os_type": "linux",
             "multipath": False}


@pytest.fixture
def shadow(cloud: Cloud) -> Iterator[Shadow]:
    yield from start_shadow(cloud, WritePolicy(True, frozenset({cloud.project})))


def outcomes(shadow: Shadow) -> list[str]:
    shadow.summary()
    return [o.outcome for o in shadow.proxy.report.outcomes]


def shadow_fake(shadow: Shadow) -> object:
    assert shadow.proxy.replayer is not None
    return shadow.proxy.replayer.fake


def test_a_volume_and_its_snapshot_are_taken_and_then_compared(shadow: Shadow) -> None:
    cloud = shadow.cloud.fake
    volume = cloud.add_volume(project_id=shadow.cloud.project, name="old", size=2)["id"]
    snapshot = cloud.add_snapshot(volume, name="old-snap", metadata={"k": "v"})["id"]
    # The snapshot first: its volume is unknown too, so it is not compared (and says why).
    assert shadow.call("GET", f"/v3/{{project}}/snapshots/{snapshot}")[0] == 200
    assert outcomes(shadow) == [NOT_COMPARED]
    assert f"its volume {volume} is unknown too" in shadow.proxy.report.outcomes[0].reason
    assert shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")[0] == 200
    assert shadow.call("GET", f"/v3/{{project}}/snapshots/{snapshot}")[0] == 200
    assert shadow.call("GET", f"/v3/{{project}}/snapshots/{snapshot}/metadata")[0] == 200
    assert outcomes(shadow)[1:] == ["match"] * 3, shadow.proxy.report.markdown()
    taken = shadow_fake(shadow).snapshot(snapshot)  # type: ignore[attr-defined]
    assert (taken["name"], taken["metadata"]) == ("old-snap", {"k": "v"})
    # And it goes on in step: a delete on both sides.
    assert shadow.call("DELETE", f"/v3/{{project}}/snapshots/{snapshot}")[0] == 202
    assert outcomes(shadow)[-1] == "match"


def test_an_attachment_is_taken_from_its_show(shadow: Shadow) -> None:
    cloud = shadow.cloud
    volume = cloud.fake.add_volume(project_id=cloud.project)["id"]
    headers = {"X-Auth-Token": cloud.token, "OpenStack-API-Version": "volume 3.54"}
    created = cloud.fake.app.test_client().post(
        f"/v3/{cloud.project}/attachments", headers=headers,
        json={"attachment": {"volume_uuid": volume, "instance_uuid": INSTANCE,
                             "connector": CONNECTOR}})
    assert created.status_code == 200, created.get_json()
    attachment = created.get_json()["attachment"]["id"]
    assert shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")[0] == 200
    assert shadow.call("GET", f"/v3/{{project}}/attachments/{attachment}")[0] == 200
    assert shadow.call("GET", f"/v3/{{project}}/attachments/{attachment}")[0] == 200
    assert outcomes(shadow) == ["match"] * 3, shadow.proxy.report.markdown()
    assert shadow.call("POST", f"/v3/{{project}}/attachments/{attachment}/action",
                       {"os-complete": None})[0] == 204
    # The volume's view shows the mountpoint (the attachment's never does): taken from it.
    assert shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")[0] == 200
    assert shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")[0] == 200
    assert outcomes(shadow)[3:] == ["match"] * 3, shadow.proxy.report.markdown()


def test_a_legacy_attachment_takes_the_clouds_id_from_the_volumes_view(
        shadow: Shadow) -> None:
    """os-attach answers no id: each side names the attachment its own way until a view
    shows the cloud's id, which the fake's record then takes."""
    status, _, body = shadow.call("POST", "/v3/{project}/volumes", {"volume": {"size": 1}})
    volume = body["volume"]["id"]
    for action in ({"os-reserve": None},
                   {"os-initialize_connection": {"connector": CONNECTOR}},
                   {"os-attach": {"instance_uuid": INSTANCE, "mountpoint": "/dev/vdb"}}):
        assert shadow.call("POST", f"/v3/{{project}}/volumes/{volume}/action", action)[0] \
            in (200, 202)
    status, _, body = shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")
    cloud_id = body["volume"]["attachments"][0]["attachment_id"]
    assert shadow.call("GET", f"/v3/{{project}}/attachments/{cloud_id}")[0] == 200
    outcomes(shadow)  # replayed
    assert shadow_fake(shadow).attachment(cloud_id)["volume_id"] == volume  # type: ignore
    assert shadow.call("POST", f"/v3/{{project}}/volumes/{volume}/action",
                       {"os-detach": {"attachment_id": cloud_id}})[0] == 202
    assert shadow.call("GET", f"/v3/{{project}}/attachments?volume_id={volume}")[0] == 200
    assert set(outcomes(shadow)) == {"match"}, shadow.proxy.report.markdown()


def test_a_volume_type_is_taken_from_its_show(shadow: Shadow) -> None:
    made = shadow.cloud.fake.add_volume_type("gold", extra_specs={"tier": "gold"},
                                             description="the best")
    assert shadow.call("GET", f"/v3/{{project}}/types/{made['id']}")[0] == 200
    assert shadow.call("GET", f"/v3/{{project}}/types/{made['id']}")[0] == 200
    assert outcomes(shadow) == ["match"] * 2, shadow.proxy.report.markdown()
    # The fake now creates volumes of that type as the cloud does.
    status, _, _ = shadow.call("POST", "/v3/{project}/volumes",
                               {"volume": {"size": 1, "volume_type": made["id"]}})
    assert status == 202
    assert outcomes(shadow)[-1] == "match", shadow.proxy.report.markdown()


def test_a_group_type_and_a_group_are_taken(shadow: Shadow) -> None:
    cloud = shadow.cloud
    cloud.fake.add_volume_type("grouped")
    group_type = cloud.fake.add_group_type("consistent")["id"]
    group = cloud.fake.add_group(project_id=cloud.project, group_type=group_type,
                                 volume_types=["grouped"], name="g1")["id"]
    for path in ("/v3/{project}/types", f"/v3/{{project}}/group_types/{group_type}",
                 f"/v3/{{project}}/groups/{group}", f"/v3/{{project}}/groups/{group}"):
        assert shadow.call("GET", path)[0] == 200, path
    assert outcomes(shadow) == ["match"] * 4, shadow.proxy.report.markdown()


def test_a_detailed_list_takes_every_resource_it_shows(shadow: Shadow) -> None:
    cloud = shadow.cloud
    volumes = [cloud.fake.add_volume(project_id=cloud.project, name=f"v{n}")["id"]
               for n in range(3)]
    assert shadow.call("GET", "/v3/{project}/volumes/detail")[0] == 200
    assert shadow.call("GET", "/v3/{project}/volumes/detail")[0] == 200
    assert outcomes(shadow) == ["match"] * 2, shadow.proxy.report.markdown()
    assert {v["id"] for v in shadow_fake(shadow).volumes()} == set(volumes)  # type: ignore


def test_a_summary_list_of_unknown_volumes_is_not_compared(shadow: Shadow) -> None:
    volume = shadow.cloud.fake.add_volume(project_id=shadow.cloud.project)["id"]
    assert shadow.call("GET", "/v3/{project}/volumes")[0] == 200
    assert outcomes(shadow) == [NOT_COMPARED]
    reason = shadow.proxy.report.outcomes[0].reason
    assert reason.startswith(f"unknown resource {volume} (volume): the answer shows too "
                             "little"), reason


def test_a_message_is_taken_from_its_show(shadow: Shadow) -> None:
    cloud = shadow.cloud
    volume = cloud.fake.add_volume(project_id=cloud.project)["id"]
    message = cloud.fake.add_message(cloud.project, action="EXTEND_VOLUME",
                                     detail="DRIVER_FAILED_EXTEND", resource_uuid=volume)["id"]
    headers = {"OpenStack-API-Version": "volume 3.3"}
    for _ in range(2):
        assert shadow.call("GET", f"/v3/{{project}}/messages/{message}",
                           headers=headers)[0] == 200
    assert shadow.call("DELETE", f"/v3/{{project}}/messages/{message}", headers=headers)[0] \
        == 204
    assert outcomes(shadow) == ["match"] * 3, shadow.proxy.report.markdown()


def test_a_transfer_is_taken_when_the_consumer_accepts_it(cloud: Cloud) -> None:
    volume = cloud.fake.add_volume(project_id=cloud.project, name="moving")["id"]
    transfer = cloud.fake.add_transfer(volume, name="away")
    policy = WritePolicy(True, frozenset({cloud.project, cloud.admin_project}))
    for shadow in start_shadow(cloud, policy):
        assert shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")[0] == 200
        path = f"/v3/{{project}}/os-volume-transfer/{transfer['id']}"
        assert shadow.call("GET", path)[0] == 200
        assert outcomes(shadow) == ["match", NOT_COMPARED], shadow.proxy.report.markdown()
        reason = shadow.proxy.report.outcomes[1].reason
        assert "no answer shows a transfer's key" in reason, reason
        status, _, _ = shadow.call(
            "POST", f"/v3/{cloud.admin_project}/os-volume-transfer/{transfer['id']}/accept",
            {"accept": {"auth_key": transfer["auth_key"]}}, token=cloud.admin_token)
        assert status == 202
        assert outcomes(shadow)[2] == "match", shadow.proxy.report.markdown()
        moved = shadow_fake(shadow).volume(volume)  # type: ignore[attr-defined]
        assert moved["project_id"] == cloud.admin_project


def test_a_kind_the_shadow_cannot_take_is_reported_not_compared(cloud: Cloud) -> None:
    qos = cloud.fake.add_qos_specs("fast", specs={"read_iops_sec": "1000"})
    for shadow in start_shadow(cloud, WritePolicy()):
        assert shadow.call("GET", f"/v3/{cloud.admin_project}/qos-specs/{qos['id']}",
                           token=cloud.admin_token)[0] == 200
        assert outcomes(shadow) == [NOT_COMPARED]
        reason = shadow.proxy.report.outcomes[0].reason
        assert f"{qos['id']} (qos_specs): the shadow takes no qos_specs" in reason, reason


def test_a_body_naming_an_unknown_resource_is_not_compared(shadow: Shadow) -> None:
    volume = shadow.cloud.fake.add_volume(project_id=shadow.cloud.project)["id"]
    status, _, _ = shadow.call("POST", "/v3/{project}/attachments", {"attachment": {
        "volume_uuid": volume, "instance_uuid": INSTANCE}})
    assert status == 200
    assert outcomes(shadow) == [NOT_COMPARED]
    assert shadow.proxy.report.outcomes[0].reason == (
        f"unknown resource {volume}: the fake has never seen it and the cloud's answer does "
        "not describe it")


def test_a_volume_the_fake_deleted_while_the_cloud_still_deletes_is_not_unknown(
        cloud: Cloud) -> None:
    # The cloud keeps its deleted volumes "deleting" a moment, as Cinder's manager does.
    for shadow in start_shadow(cloud, WritePolicy(True, frozenset({cloud.project}))):
        status, _, body = shadow.call("POST", "/v3/{project}/volumes", {"volume": {"size": 1}})
        volume = body["volume"]["id"]
        cloud.fake.set_transition("volume_delete", polls=2)
        assert shadow.call("DELETE", f"/v3/{{project}}/volumes/{volume}")[0] == 202
        status, _, body = shadow.call("GET", f"/v3/{{project}}/volumes/{volume}")
        assert body["volume"]["status"] == "deleting"
        assert outcomes(shadow)[-1] == NOT_COMPARED
        reason = shadow.proxy.report.outcomes[-1].reason
        assert reason.startswith("asynchronous work not settled upstream (status deleting"), \
            reason


def test_a_list_holding_a_volume_the_cloud_still_deletes_is_compared_once_settled(
        cloud: Cloud) -> None:
    for shadow in start_shadow(cloud, WritePolicy(True, frozenset({cloud.project}))):
        status, _, body = shadow.call("POST", "/v3/{project}/volumes", {"volume": {"size": 1}})
        volume = body["volume"]["id"]
        cloud.fake.set_transition("volume_delete", polls=1)
        assert shadow.call("DELETE", f"/v3/{{project}}/volumes/{volume}")[0] == 202
        status, _, body = shadow.call("GET", "/v3/{project}/volumes/detail")
        assert [v["status"] for v in body["volumes"]] == ["deleting"]
        assert outcomes(shadow)[-1] == NOT_COMPARED
        assert shadow.proxy.report.outcomes[-1].reason.startswith(
            "asynchronous work not settled upstream (status deleting; differing: "
            "body.volumes)")
        # Cinder's manager finishes: the next list is compared.
        cloud.fake.advance(volume_id=volume)
        assert shadow.call("GET", "/v3/{project}/volumes/detail")[2] == {"volumes": []}
        assert outcomes(shadow)[-1] == "match"


def test_a_volume_shown_between_the_create_flows_two_saves_is_not_compared() -> None:
    """Cinder's manager saves the volume "available", then its service_uuid: a poll
    between the two is compared on a later one."""
    from conformance.normalise import Normaliser
    from fake_cinder.shadow.compare import Answer, judge

    def answer(service_uuid: str | None) -> Answer:
        volume = {"id": INSTANCE, "status": "available", "service_uuid": service_uuid,
                  "shared_targets": True}
        return Answer(200, {"content-type": "application/json"},
                      json.dumps({"volume": volume}).encode())

    service = "0d8a4f5e-0000-4000-8000-00000000beef"
    outcome = judge("volume_show", "GET", answer(None), answer(service),
                    Normaliser("http://cloud"), Normaliser("http://fake"))
    assert outcome.outcome == NOT_COMPARED
    assert outcome.reason.startswith("asynchronous work not settled upstream (status "
                                     "available, before the create's last save"), outcome
    # Once saved, the two are compared as usual.
    assert judge("volume_show", "GET", answer(service), answer(service),
                 Normaliser("http://cloud"), Normaliser("http://fake")).outcome == "match"
