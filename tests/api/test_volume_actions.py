"""The volume actions over HTTP: begin/roll detaching, the legacy attach flow (os-reserve,
os-initialize_connection, os-attach, os-detach, os-terminate_connection, os-unreserve),
os-force_detach, os-extend, os-migrate_volume_completion, os-reimage; Cinder's messages,
transitions, microversion gates and policies, and one attachment table for both flows."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.helpers.api import (
    CEPH_VOLUME,
    CONNECTOR,
    SERVER,
    SERVER2,
    SHARED_VOLUME,
    UNKNOWN,
    VOLUME,
    Api,
    fault,
)
from tests.helpers.threads import run_threads, slow_status

MOUNT = "/dev/vdb"


def act(api: Api, name: str, value: Any = None, volume_id: str = VOLUME, **kw: Any) -> Any:
    return api.post(f"volumes/{volume_id}/action", {name: value}, **kw)


def ok(response: Any, status: int = 202) -> Any:
    assert response.status_code == status, response.get_json()
    return response.get_json() if response.data else None


def legacy_attach(api: Api, volume_id: str = VOLUME, instance: str = SERVER,
                  mode: str | None = None, **kw: Any) -> dict:
    """Nova's legacy flow: reserve, initialize_connection, attach; returns the attachment."""
    ok(act(api, "os-reserve", None, volume_id, **kw))
    ok(act(api, "os-initialize_connection", {"connector": CONNECTOR}, volume_id, **kw), 200)
    body = {"instance_uuid": instance, "mountpoint": MOUNT}
    if mode:
        body["mode"] = mode
    ok(act(api, "os-attach", body, volume_id, **kw))
    listed = api.listing(detail=True, query={"volume_id": volume_id}, version="3.71")
    return next(a for a in listed if a["instance"] == instance)


def new_flow_attach(api: Api, volume_id: str = VOLUME, instance: str = SERVER) -> dict:
    attachment = api.create(volume_id, instance, connector=CONNECTOR)
    api.complete(attachment["id"])
    return attachment


def set_status(admin: Api, volume_id: str, **statuses: str) -> None:
    ok(act(admin, "os-reset_status", statuses, volume_id, url_project="admin"))


def unchanged(fake: Any, volume_id: str = VOLUME):
    """A context manager asserting the volume and the attachments stay as they were."""
    class Same:
        def __enter__(self) -> None:
            self.before = (fake.volume(volume_id), fake.attachments())

        def __exit__(self, *exc: object) -> None:
            assert (fake.volume(volume_id), fake.attachments()) == self.before
    return Same()


# -- begin / roll detaching -----------------------------------------------------------------------
def test_begin_and_roll_detaching_move_an_in_use_volume(api, fake):
    new_flow_attach(api)
    assert api.volume()["status"] == "in-use"
    ok(act(api, "os-begin_detaching"))
    assert fake.volume(VOLUME)["status"] == "detaching"
    ok(act(api, "os-roll_detaching"))
    assert fake.volume(VOLUME)["status"] == "in-use"


def test_nova_detach_after_begin_detaching_leaves_the_volume_available(api, fake):
    attachment = new_flow_attach(api)
    ok(act(api, "os-begin_detaching"))
    assert api.remove(attachment["id"]) == []
    volume = api.volume()
    assert (volume["status"], volume["attachments"]) == ("available", [])


def test_begin_detaching_needs_an_in_use_attached_volume(api, fake):
    with unchanged(fake):
        response = act(api, "os-begin_detaching")
    assert fault(response) == (400, "Invalid volume: Unable to detach volume. Volume status "
                                    "must be 'in-use' and attach_status must be 'attached' to "
                                    "detach.")


def test_begin_detaching_of_a_migrating_volume_is_a_silent_no_op(api, admin, fake):
    new_flow_attach(api)
    set_status(admin, VOLUME, migration_status="migrating")
    with unchanged(fake):
        ok(act(api, "os-begin_detaching"))


def test_roll_detaching_leaves_other_statuses_alone(api, fake):
    with unchanged(fake):
        ok(act(api, "os-roll_detaching"))


@pytest.mark.parametrize("action", ["os-begin_detaching", "os-roll_detaching", "os-reserve",
                                    "os-unreserve"])
def test_unknown_and_foreign_volumes_are_not_found(api, action):
    assert fault(act(api, action, None, UNKNOWN)) == (
        404, f"Volume {UNKNOWN} could not be found.")
    other = api.as_(project="other")
    assert fault(act(other, action, None, VOLUME)) == (
        404, f"Volume {VOLUME} could not be found.")


@pytest.mark.parametrize("value", [None, {}, "x", {"any": 1}, [1]])
def test_the_value_of_argument_free_actions_is_not_validated(api, value):
    ok(act(api, "os-reserve", value))
    ok(act(api, "os-unreserve", value))


# -- reserve / unreserve --------------------------------------------------------------------------
def test_reserve_marks_attaching_and_unreserve_puts_it_back(api, fake):
    ok(act(api, "os-reserve"))
    assert api.volume()["status"] == "attaching"
    assert fault(act(api, "os-reserve")) == (
        400, "Invalid volume: Volume status must be available to reserve, but the status is "
             "attaching.")
    ok(act(api, "os-unreserve"))
    assert api.volume()["status"] == "available"
    assert fake.attachments(volume_id=VOLUME) == []


def test_reserve_of_a_multiattach_volume_accepts_in_use(api, fake):
    legacy_attach(api, SHARED_VOLUME)
    ok(act(api, "os-reserve", None, SHARED_VOLUME))
    assert fake.volume(SHARED_VOLUME)["status"] == "attaching"
    assert fault(act(api, "os-reserve", None, SHARED_VOLUME)) == (
        400, "Invalid volume: Volume status must be available or in-use to reserve, but the "
             "status is attaching.")
    ok(act(api, "os-unreserve", None, SHARED_VOLUME))
    assert fake.volume(SHARED_VOLUME)["status"] == "in-use"  # it still has an attachment


def test_unreserve_of_a_volume_not_attaching_changes_nothing(api, fake):
    new_flow_attach(api)
    with unchanged(fake):
        ok(act(api, "os-unreserve"))


def test_reserve_refuses_a_volume_reserved_by_the_attachments_api(api):
    api.create(VOLUME, SERVER)
    assert fault(act(api, "os-reserve")) == (
        400, "Invalid volume: Volume status must be available to reserve, but the status is "
             "reserved.")


def test_exactly_one_of_concurrent_os_reserves_wins(app, fake):
    slow_status(fake.store, VOLUME)
    threads = 12
    barrier = threading.Barrier(threads)
    statuses: list[int] = []
    headers = {"X-Project-Id": "demo", "X-Roles": "member",
               "OpenStack-API-Version": "volume 3.71"}

    def reserve() -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        response = client.post(f"/v3/demo/volumes/{VOLUME}/action",
                               json={"os-reserve": None}, headers=headers)
        statuses.append(response.status_code)

    run_threads(reserve, [()] * threads)
    assert sorted(statuses) == [202] + [400] * (threads - 1)
    assert fake.volume(VOLUME)["status"] == "attaching"


def test_concurrent_legacy_and_new_flow_reserves_never_both_win(app, fake):
    slow_status(fake.store, VOLUME)
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}
    headers = {"X-Project-Id": "demo", "X-Roles": "member",
               "OpenStack-API-Version": "volume 3.71"}

    def legacy() -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        results["legacy"] = client.post(f"/v3/demo/volumes/{VOLUME}/action",
                                        json={"os-reserve": None},
                                        headers=headers).status_code

    def attachments_api() -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        body = {"attachment": {"volume_uuid": VOLUME, "instance_uuid": SERVER}}
        results["new"] = client.post("/v3/demo/attachments", json=body,
                                     headers=headers).status_code

    run_threads(lambda f: f(), [(legacy,), (attachments_api,)])
    assert sorted(results.values()) in ([200, 400], [202, 400])


# -- initialize / terminate connection ------------------------------------------------------------
def test_initialize_connection_returns_the_drivers_properties_and_changes_nothing(api, fake):
    with unchanged(fake):
        body = ok(act(api, "os-initialize_connection",
                      {"connector": {**CONNECTOR, "enforce_multipath": True}}), 200)
    info = body["connection_info"]
    assert info["driver_volume_type"] == "iscsi"
    assert info["enforce_multipath"] is True
    data = info["data"]
    assert data["target_iqn"].endswith(VOLUME)
    assert (data["access_mode"], data["encrypted"], data["qos_specs"], data["cacheable"],
            data["enforce_multipath"]) == ("rw", False, None, False, True)
    assert "attachment_id" not in data


def test_initialize_connection_follows_the_volumes_protocol(api):
    info = ok(act(api, "os-initialize_connection", {"connector": CONNECTOR}, CEPH_VOLUME),
              200)["connection_info"]
    assert info["driver_volume_type"] == "rbd"
    assert info["enforce_multipath"] is False


def test_initialize_connection_matches_the_attachments_apis_connection_info(api):
    legacy = ok(act(api, "os-initialize_connection", {"connector": CONNECTOR}), 200)
    attachment = api.create(VOLUME, SERVER, connector=CONNECTOR)
    flat = dict(attachment["connection_info"])
    flat.pop("attachment_id")
    info = legacy["connection_info"]
    assert flat == {**info["data"], "driver_volume_type": info["driver_volume_type"]}


@pytest.mark.parametrize("connector", [{}, {"ip": "10.0.0.1"}, "host-1"])
def test_initialize_connection_refuses_a_connector_the_driver_cannot_use(api, fake, connector):
    with unchanged(fake):
        response = act(api, "os-initialize_connection", {"connector": connector})
    assert fault(response) == (400, "Invalid input received: Connector doesn't have required "
                                    "information: initiator")


@pytest.mark.parametrize(("value", "message"), [
    ({}, "Invalid input for field/attribute os-initialize_connection. Value: {}. "
         "'connector' is a required property"),
    (None, "Invalid input for field/attribute os-initialize_connection. Value: None. "
           "None is not of type 'object'"),
    ({"connector": 5}, "Invalid input for field/attribute connector. Value: 5. "
                       "5 is not of type 'object', 'string'"),
    ({"connector": {"initiator": "iqn"}, "x": 1},
     "Invalid input for field/attribute os-initialize_connection. Value: "
     "{'connector': {'initiator': 'iqn'}, 'x': 1}. Additional properties are not allowed "
     "('x' was unexpected)"),
])
def test_initialize_connection_body_is_validated(api, fake, value, message):
    with unchanged(fake):
        assert fault(act(api, "os-initialize_connection", value)) == (400, message)


def test_maintenance_refuses_connections_attaches_and_detaches(api, admin, fake):
    set_status(admin, VOLUME, status="maintenance")
    with unchanged(fake):
        assert fault(act(api, "os-initialize_connection", {"connector": CONNECTOR})) == (
            400, "Invalid volume: The volume connection cannot be initialized in maintenance "
                 "mode.")
        assert fault(act(api, "os-attach", {"instance_uuid": SERVER,
                                            "mountpoint": MOUNT})) == (
            400, "Invalid volume: The volume cannot be attached in maintenance mode.")
        assert fault(act(api, "os-detach", {})) == (
            400, "Invalid volume: The volume cannot be detached in maintenance mode.")


def test_terminate_connection_unreserves(api, fake):
    ok(act(api, "os-reserve"))
    ok(act(api, "os-terminate_connection", {"connector": CONNECTOR}))
    assert fake.volume(VOLUME)["status"] == "available"


def test_terminate_connection_of_a_connected_new_flow_attachment_needs_a_service(api, fake):
    new_flow_attach(api)
    with unchanged(fake):
        response = act(api, "os-terminate_connection", {"connector": CONNECTOR})
    assert fault(response) == (409, "ConflictNovaUsingAttachment: "
                                    f"Detach volume from instance {SERVER} using the "
                                    "Compute API")
    ok(act(api, "os-terminate_connection", {"connector": CONNECTOR}, service=True))
    assert fake.volume(VOLUME)["status"] == "in-use"


def test_terminate_connection_needs_a_connector_key(api, fake):
    with unchanged(fake):
        assert fault(act(api, "os-terminate_connection", {})) == (
            400, "Invalid input for field/attribute os-terminate_connection. Value: {}. "
                 "'connector' is a required property")
    ok(act(api, "os-terminate_connection", {"connector": None}))


# -- attach ---------------------------------------------------------------------------------------
def test_legacy_attach_writes_the_attachments_apis_record(api, admin, fake):
    attachment = legacy_attach(api)
    assert (attachment["status"], attachment["instance"], attachment["attach_mode"],
            attachment["connection_info"], attachment["detached_at"]) == (
        "attached", SERVER, "rw", None, "")
    assert attachment["attached_at"]
    assert api.listing() == [{"id": attachment["id"], "status": "attached",
                              "instance": SERVER, "volume_id": VOLUME}]
    assert api.show(attachment["id"]) == attachment
    volume = api.volume()
    assert (volume["status"], volume["metadata"]) == (
        "in-use", {"readonly": "False", "attached_mode": "rw"})
    (shown,) = volume["attachments"]
    assert (shown["attachment_id"], shown["server_id"], shown["device"], shown["host_name"]) == (
        attachment["id"], SERVER, MOUNT, None)
    stored = fake.attachment(attachment["id"])
    assert (stored["mountpoint"], stored["connector"], stored["connection_info"]) == (
        MOUNT, None, None)


def test_attach_without_reserve_and_to_a_host(api, admin, fake):
    ok(act(api, "os-attach", {"host_name": "Compute_1.example.org ", "mountpoint": MOUNT}))
    volume = admin.volume(VOLUME, url_project="admin")
    (shown,) = volume["attachments"]
    assert (shown["server_id"], shown["host_name"]) == (None, "compute-1.example.org")


def test_attaching_the_same_instance_again(api, admin, fake):
    """Cinder's volume service finds the attachment and only marks the volume in-use, but
    for a non-admin its save fails (a 500, seen on Cinder 29): the fake answers 400."""
    first = legacy_attach(api)
    with unchanged(fake):
        response = act(api, "os-attach", {"instance_uuid": SERVER, "mountpoint": "/dev/vdc"})
    assert fault(response) == (
        400, f"Invalid volume: volume {VOLUME} is already attached to {SERVER}; Cinder 29 "
             "fails this request with a 500 unless an admin sends it")
    ok(act(admin, "os-begin_detaching", url_project="admin"))
    ok(act(admin, "os-attach", {"instance_uuid": SERVER, "mountpoint": "/dev/vdc"},
           url_project="admin"))
    assert [a["id"] for a in fake.attachments()] == [first["id"]]
    assert fake.attachment(first["id"])["mountpoint"] == MOUNT
    assert fake.volume(VOLUME)["status"] == "in-use"


def test_a_second_instance_needs_multiattach(api, fake):
    legacy_attach(api)
    with unchanged(fake):
        response = act(api, "os-attach", {"instance_uuid": SERVER2, "mountpoint": MOUNT})
    assert fault(response) == (400, "Invalid volume: volume is already attached and multiple "
                                    "attachments are not enabled")


def test_multiattach_volumes_take_both_flows_side_by_side(api, fake):
    legacy_attach(api, SHARED_VOLUME, SERVER)
    new_flow_attach(api, SHARED_VOLUME, SERVER2)
    volume = api.volume(SHARED_VOLUME)
    assert volume["status"] == "in-use"
    assert sorted(a["server_id"] for a in volume["attachments"]) == sorted([SERVER, SERVER2])
    assert len(api.listing(query={"volume_id": SHARED_VOLUME})) == 2


def test_readonly_volumes_attach_read_only_only(api, fake):
    ok(act(api, "os-update_readonly_flag", {"readonly": "yes"}))
    assert api.volume()["metadata"] == {"readonly": "True"}
    with unchanged(fake):
        response = act(api, "os-attach", {"instance_uuid": SERVER, "mountpoint": MOUNT})
    assert fault(response) == (400, f"Invalid attaching mode 'rw' for volume {VOLUME}.")
    attachment = legacy_attach(api, mode="ro")
    assert attachment["attach_mode"] == "ro"


def test_only_admins_connections_see_the_attached_mode(api, admin):
    """Cinder loads admin metadata for admins' requests only: a member's connection is
    "rw" whatever the flag and mode (seen on Cinder 29), an admin's follows them."""
    ok(act(api, "os-update_readonly_flag", {"readonly": True}))
    legacy_attach(api, SHARED_VOLUME, SERVER, mode="ro")

    def access_mode(caller: Api, **kw: Any) -> str:
        info = ok(act(caller, "os-initialize_connection", {"connector": CONNECTOR},
                      SHARED_VOLUME, **kw), 200)
        return info["connection_info"]["data"]["access_mode"]

    assert access_mode(api) == "rw"
    assert access_mode(admin, url_project="admin") == "ro"
    member_attachment = api.create(SHARED_VOLUME, SERVER2, connector=CONNECTOR)
    assert member_attachment["connection_info"]["access_mode"] == "rw"
    api.complete(member_attachment["id"])
    admin_attachment = admin.create(SHARED_VOLUME, None, connector=CONNECTOR,
                                    url_project="admin")
    assert admin_attachment["connection_info"]["access_mode"] == "ro"


def test_a_reserved_volume_attached_in_another_mode_is_refused(api, fake):
    legacy_attach(api, SHARED_VOLUME, SERVER, mode="ro")
    ok(act(api, "os-reserve", None, SHARED_VOLUME))
    response = act(api, "os-attach", {"instance_uuid": SERVER2, "mountpoint": MOUNT},
                   SHARED_VOLUME)
    assert fault(response) == (400, "Invalid volume: being attached by different mode")
    ok(act(api, "os-attach", {"instance_uuid": SERVER2, "mountpoint": MOUNT, "mode": "ro"},
           SHARED_VOLUME))


@pytest.mark.parametrize(("value", "message"), [
    ({"instance_uuid": SERVER}, "Invalid input for field/attribute os-attach. Value: "
                                f"{ {'instance_uuid': SERVER}!s}. 'mountpoint' is a required "
                                "property"),
    ({"mountpoint": MOUNT}, f"Invalid input for field/attribute os-attach. Value: "
                            f"{ {'mountpoint': MOUNT}!s}. { {'mountpoint': MOUNT}!s} is not "
                            "valid under any of the given schemas"),
    ({"instance_uuid": "nope", "mountpoint": MOUNT},
     "Invalid input for field/attribute instance_uuid. Value: nope. 'nope' is not a 'uuid'"),
    ({"instance_uuid": SERVER, "mountpoint": MOUNT, "mode": "rx"},
     "Invalid input for field/attribute mode. Value: rx. 'rx' is not one of ['rw', 'ro']"),
    ({"instance_uuid": SERVER, "mountpoint": ""},
     "Invalid input for field/attribute mountpoint. Value: . '' should be non-empty"),
])
def test_attach_body_is_validated(api, fake, value, message):
    with unchanged(fake):
        assert fault(act(api, "os-attach", value)) == (400, message)


def test_a_legacy_attached_volume_cannot_be_deleted(api, fake):
    legacy_attach(api)
    with unchanged(fake):
        response = api.delete(f"volumes/{VOLUME}")
    assert response.status_code == 400


# -- detach ---------------------------------------------------------------------------------------
def test_detach_removes_the_attachment_and_its_attached_mode(api, fake):
    attachment = legacy_attach(api)
    ok(act(api, "os-detach", {"attachment_id": attachment["id"]}))
    volume = api.volume()
    assert (volume["status"], volume["attachments"], volume["metadata"]) == (
        "available", [], {"readonly": "False"})
    assert api.listing() == []
    assert fake.volume(VOLUME)["attach_status"] == "detached"


@pytest.mark.parametrize("value", [{}, {"attachment_id": None}])
def test_detach_without_an_id_takes_the_only_attachment(api, fake, value):
    legacy_attach(api)
    ok(act(api, "os-detach", value))
    assert fake.attachments() == []
    assert fake.volume(VOLUME)["status"] == "available"


def test_detach_of_a_volume_without_attachments_makes_it_available(api, admin, fake):
    set_status(admin, VOLUME, status="detaching")
    ok(act(api, "os-detach", {}))
    volume = fake.volume(VOLUME)
    assert (volume["status"], volume["attach_status"]) == ("available", "detached")


def test_detach_of_one_of_two_attachments_needs_its_id(api, fake):
    legacy_attach(api, SHARED_VOLUME, SERVER)
    second = legacy_attach(api, SHARED_VOLUME, SERVER2)
    with unchanged(fake, SHARED_VOLUME):
        # Without a service token Cinder cannot tell whose attachment it is.
        assert fault(act(api, "os-detach", {}, SHARED_VOLUME)) == (
            409, "ConflictNovaUsingAttachment: "
            "Detach volume from instance  using the Compute API")
        assert fault(act(api, "os-detach", {}, SHARED_VOLUME, service=True)) == (
            400, "Invalid volume: Detach volume failed: More than one attachment, but no "
                 "attachment_id provided.")
    ok(act(api, "os-detach", {"attachment_id": second["id"]}, SHARED_VOLUME))
    volume = api.volume(SHARED_VOLUME)
    assert (volume["status"], [a["server_id"] for a in volume["attachments"]]) == (
        "in-use", [SERVER])


def test_detach_of_an_unknown_attachment(api, admin, fake):
    legacy_attach(api)
    with unchanged(fake):
        assert fault(act(api, "os-detach", {"attachment_id": UNKNOWN})) == (
            409, "ConflictNovaUsingAttachment: "
            "Detach volume from instance  using the Compute API")
    set_status(admin, VOLUME, status="detaching")
    # A service is trusted: nothing to remove, the statuses are derived again.
    ok(act(api, "os-detach", {"attachment_id": UNKNOWN}, service=True))
    assert fake.volume(VOLUME)["status"] == "in-use"
    assert len(fake.attachments()) == 1


def test_detach_of_another_volumes_attachment_is_refused(api, fake):
    other = legacy_attach(api, SHARED_VOLUME)
    with unchanged(fake, SHARED_VOLUME):
        assert fault(act(api, "os-detach", {"attachment_id": other["id"]})) == (
            400, "Invalid input received: Mismatched volume and attachment")


def test_detach_of_a_connected_new_flow_attachment_needs_a_service(api, fake):
    attachment = new_flow_attach(api)
    with unchanged(fake):
        assert fault(act(api, "os-detach", {"attachment_id": attachment["id"]})) == (
            409, "ConflictNovaUsingAttachment: "
            f"Detach volume from instance {SERVER} using the Compute API")
    ok(act(api, "os-detach", {"attachment_id": attachment["id"]}, service=True))
    assert api.listing() == []


def test_the_protection_can_be_turned_off(checked_fake, client):
    from fake_cinder.resources import fixture_path

    fake = checked_fake(fixture_path("default.json"), protect_in_use_attachments=False)
    api = Api(fake.app.test_client())
    attachment = new_flow_attach(api)
    ok(act(api, "os-detach", {"attachment_id": attachment["id"]}))
    assert fake.attachments() == []


def test_attachments_api_deletes_a_legacy_attachment(api, fake):
    attachment = legacy_attach(api)
    assert api.remove(attachment["id"], service=False) == []
    assert api.volume()["status"] == "available"


@pytest.mark.parametrize(("value", "message"), [
    ({"attachment_id": "x"}, "Invalid input for field/attribute attachment_id. Value: x. "
                             "'x' is not valid under any of the given schemas"),
    ({"attachment_id": UNKNOWN, "force": True},
     "Invalid input for field/attribute os-detach. Value: "
     f"{ {'attachment_id': UNKNOWN, 'force': True}!s}. Additional properties are not allowed "
     "('force' was unexpected)"),
    ("x", "Invalid input for field/attribute os-detach. Value: x. 'x' is not of type "
          "'object', 'null'"),
    # Cinder's schema lets null through, then its handler fails with a 500.
    (None, "Invalid input for field/attribute os-detach. Value: None. os-detach must be an "
           "object (Cinder fails on null with a 500)"),
])
def test_detach_body_is_validated(api, fake, value, message):
    legacy_attach(api)
    with unchanged(fake):
        assert fault(act(api, "os-detach", value)) == (400, message)


# -- force detach (admin) -------------------------------------------------------------------------
FORCE_DETACH_403 = ("Policy doesn't allow volume_extension:volume_admin_actions:force_detach "
                    "to be performed.")


def test_force_detach_is_for_admins(api, admin, fake):
    attachment = legacy_attach(api)
    with unchanged(fake):
        assert fault(act(api, "os-force_detach", {"attachment_id": attachment["id"]})) == (
            403, FORCE_DETACH_403)
        assert fault(act(api, "os-force_detach", {}, UNKNOWN)) == (
            404, f"Volume {UNKNOWN} could not be found.")
    ok(act(admin, "os-force_detach", {"attachment_id": attachment["id"],
                                      "connector": CONNECTOR}, url_project="admin"))
    assert fake.attachments() == []
    assert fake.volume(VOLUME)["status"] == "available"


def test_force_detach_of_a_reserved_volume_unreserves_it(admin, api, fake):
    ok(act(api, "os-reserve"))
    ok(act(admin, "os-force_detach", {}, url_project="admin"))
    assert fake.volume(VOLUME)["status"] == "available"


def test_force_detach_of_a_connected_attachment_needs_a_service_token(api, admin, fake):
    attachment = new_flow_attach(api)
    with unchanged(fake):
        assert fault(act(admin, "os-force_detach", {"attachment_id": attachment["id"]},
                         url_project="admin")) == (
            409, "ConflictNovaUsingAttachment: "
            f"Detach volume from instance {SERVER} using the Compute API")
    ok(act(admin, "os-force_detach", {"attachment_id": attachment["id"]},
           url_project="admin", service=True))
    assert fake.attachments() == []


def test_force_detach_body_is_validated(admin, fake):
    with unchanged(fake):
        assert fault(act(admin, "os-force_detach", {"attachment_id": 5},
                         url_project="admin")) == (
            400, "Invalid input for field/attribute attachment_id. Value: 5. 5 is not of "
                 "type 'string', 'null'")


# -- extend ---------------------------------------------------------------------------------------
def test_extend_an_available_volume(api, fake):
    ok(act(api, "os-extend", {"new_size": 3}))
    assert (api.volume()["size"], api.volume()["status"]) == (3, "available")
    ok(act(api, "os-extend", {"new_size": "4"}))
    assert fake.volume(VOLUME)["size"] == 4


def test_extend_an_in_use_volume_from_3_42(api, fake):
    legacy_attach(api)
    old = api.as_(version="3.41")
    with unchanged(fake):
        assert fault(act(old, "os-extend", {"new_size": 2})) == (
            400, f"Invalid volume: Volume {VOLUME} status must be '{{'status': 'available'}}' "
                 "to extend, currently in-use.")
    ok(act(api.as_(version="3.42"), "os-extend", {"new_size": 2}))
    volume = api.volume()
    assert (volume["size"], volume["status"]) == (2, "in-use")


def test_extend_refuses_other_statuses(api, fake):
    ok(act(api, "os-reserve"))
    with unchanged(fake):
        assert fault(act(api, "os-extend", {"new_size": 2})) == (
            400, f"Invalid volume: Volume {VOLUME} status must be '{{'status': 'available'}}' "
                 "to extend, currently attaching.")


def test_extend_must_grow_the_volume(api, fake):
    with unchanged(fake):
        assert fault(act(api, "os-extend", {"new_size": 1})) == (
            400, "Invalid input received: New size for extend must be greater than current "
                 "size. (current: 1, extended: 1).")


def test_extend_respects_the_types_size_limits(api, admin, fake):
    fake.add_volume_type("bounded", extra_specs={"provisioning:max_vol_size": "5"})
    volume_id = fake.add_volume(volume_type="bounded")["id"]
    with unchanged(fake, volume_id):
        assert fault(act(api, "os-extend", {"new_size": 6}, volume_id)) == (
            400, "Invalid input received: Specified volume size of '6' is greater than the "
                 "maximum allowable size of '5' for volume type 'bounded'.")
    ok(act(api, "os-extend", {"new_size": 5}, volume_id))


@pytest.mark.parametrize(("value", "message"), [
    ({}, "Invalid input for field/attribute os-extend. Value: {}. 'new_size' is a required "
         "property"),
    ({"new_size": 0}, "Invalid input for field/attribute new_size. Value: 0. 0 is less than "
                      "the minimum of 1"),
    ({"new_size": "00"}, "Invalid input for field/attribute new_size. Value: 00. 0 is less "
                         "than the minimum of 1"),
    ({"new_size": "2147483648"}, "Invalid input for field/attribute new_size. Value: "
                                 "2147483648. 2147483648 is greater than the maximum of "
                                 "2147483647"),
    ({"new_size": "two"}, "Invalid input for field/attribute new_size. Value: two. 'two' "
                          "does not match '^[0-9]+$'"),
    ({"new_size": 1.5}, "Invalid input for field/attribute new_size. Value: 1.5. 1.5 is not "
                        "of type 'integer', 'string'"),
])
def test_extend_body_is_validated(api, fake, value, message):
    with unchanged(fake):
        assert fault(act(api, "os-extend", value)) == (400, message)


# -- reimage (3.68) -------------------------------------------------------------------------------
IMAGE = "3e1a8f0c-5b7d-4a2e-9c61-7d2f4b8e0a15"  # the default fixture's cirros image


def test_reimage_exists_from_3_68(api, fake):
    with unchanged(fake):
        assert fault(act(api.as_(version="3.67"), "os-reimage", {"image_id": IMAGE})) == (
            404, "The resource could not be found.")
    ok(act(api.as_(version="3.68"), "os-reimage", {"image_id": IMAGE}))
    assert fake.volume(VOLUME)["status"] == "available"


def test_reimage_needs_available_or_error_unless_reserved_is_allowed(api, fake):
    api.create(VOLUME, SERVER)  # reserved
    with unchanged(fake):
        assert fault(act(api, "os-reimage", {"image_id": IMAGE})) == (
            400, f"Invalid volume: Volume {VOLUME} status must be available or error, but "
                 "current status is reserved.")
    ok(act(api, "os-reimage", {"image_id": IMAGE, "reimage_reserved": "true"}))
    assert fake.volume(VOLUME)["status"] == "reserved"
    legacy_attach(api, SHARED_VOLUME)
    assert fault(act(api, "os-reimage", {"image_id": IMAGE, "reimage_reserved": True},
                     SHARED_VOLUME)) == (
        400, f"Invalid volume: Volume {SHARED_VOLUME} status must be available or error or "
             "reserved, but current status is in-use.")


def test_reimage_refuses_a_volume_attached_to_two_servers(api, fake):
    legacy_attach(api, SHARED_VOLUME, SERVER)
    legacy_attach(api, SHARED_VOLUME, SERVER2)
    assert fault(act(api, "os-reimage", {"image_id": IMAGE}, SHARED_VOLUME)) == (
        409, "Cannot re-image a volume which is attached to more than one server.")


@pytest.mark.parametrize(("value", "message"), [
    ({}, "Invalid input for field/attribute os-reimage. Value: {}. 'image_id' is a required "
         "property"),
    ({"image_id": "img"}, "Invalid input for field/attribute image_id. Value: img. 'img' is "
                          "not a 'uuid'"),
    ({"image_id": IMAGE, "reimage_reserved": "maybe"},
     "Invalid input for field/attribute reimage_reserved. Value: maybe. 'maybe' is not one of "
     "[True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', "
     "False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', "
     "'f']"),
])
def test_reimage_body_is_validated(api, fake, value, message):
    with unchanged(fake):
        assert fault(act(api, "os-reimage", value)) == (400, message)


# -- migrate volume completion (admin) ------------------------------------------------------------
MIGRATE_403 = ("Policy doesn't allow volume_extension:volume_admin_actions:"
               "migrate_volume_completion to be performed.")


def completion(api: Api, old: str, new: str, service: bool = False, **body: Any) -> Any:
    return act(api, "os-migrate_volume_completion", {"new_volume": new, **body}, old,
               url_project="admin", service=service)


def test_migrate_completion_is_for_admins(api, fake):
    new = api.new_volume()
    with unchanged(fake):
        assert fault(act(api, "os-migrate_volume_completion", {"new_volume": new})) == (
            403, MIGRATE_403)


def test_nova_swap_moves_the_legacy_attachment_to_the_new_volume(api, admin, fake):
    new = api.new_volume()
    legacy_attach(api)
    body = ok(completion(admin, VOLUME, new), 200)
    assert body == {"save_volume_id": new}
    assert api.volume()["status"] == "available"
    swapped = api.volume(new)
    assert swapped["status"] == "in-use"
    (shown,) = swapped["attachments"]
    assert (shown["server_id"], shown["device"]) == (SERVER, MOUNT)
    assert [a["volume_id"] for a in api.listing()] == [new]


def test_nova_swap_of_a_connected_attachment_needs_a_service_token(api, admin, fake):
    new = api.new_volume()
    new_flow_attach(api)
    with unchanged(fake):
        assert fault(completion(admin, VOLUME, new)) == (
            409, "ConflictNovaUsingAttachment: "
            f"Detach volume from instance {SERVER} using the Compute API")
    assert ok(completion(admin, VOLUME, new, service=True), 200) == {"save_volume_id": new}
    assert fake.volume(new)["status"] == "in-use"


def test_a_failed_swap_changes_nothing(api, admin, fake):
    new = api.new_volume()
    legacy_attach(api)
    with unchanged(fake):
        assert ok(completion(admin, VOLUME, new, error=True), 200) == {"save_volume_id": new}


def test_migrate_completion_checks_the_migration_statuses(api, admin, fake):
    new = api.new_volume()
    set_status(admin, VOLUME, migration_status="migrating")
    assert fault(completion(admin, VOLUME, new)) == (
        400, "Invalid volume: Destination volume not mid-migration.")
    assert fault(completion(admin, new, VOLUME)) == (
        400, "Invalid volume: Source volume not mid-migration.")
    set_status(admin, new, migration_status="migrating")
    assert fault(completion(admin, VOLUME, new)) == (
        400, f"Invalid volume: Destination has migration_status migrating, expected "
             f"target:{VOLUME}.")
    assert fault(completion(admin, VOLUME, UNKNOWN)) == (
        404, f"Volume {UNKNOWN} could not be found.")


def _migrating_pair(fake: Any, source_status: str = "available") -> str:
    target = "7b1e0c3a-0000-4000-8000-00000000beef"
    state = fake.dump()
    for volume in state["volumes"]:
        if volume["id"] == VOLUME:
            volume.update(migration_status="migrating", previous_status=source_status)
    state["volumes"].append({"id": target, "project_id": "demo", "size": 2,
                             "status": "available", "host": "other-host@lvm#pool",
                             "migration_status": f"target:{VOLUME}",
                             "created_at": "2026-01-01T00:00:00.000000"})
    fake.load(state)
    return target


def test_a_finished_migration_keeps_the_source_id(api, admin, fake):
    target = _migrating_pair(fake)
    assert ok(completion(admin, VOLUME, target), 200) == {"save_volume_id": VOLUME}
    volume = admin.volume(VOLUME, url_project="admin")
    assert (volume["size"], volume["os-vol-host-attr:host"], volume["migration_status"],
            volume["status"]) == (2, "other-host@lvm#pool", "success", "available")
    assert fault(admin.get(f"volumes/{target}", url_project="admin"))[0] == 404


def test_a_failed_migration_drops_the_target(api, admin, fake):
    target = _migrating_pair(fake)
    assert ok(completion(admin, VOLUME, target, error=True), 200) == {
        "save_volume_id": VOLUME}
    volume = fake.volume(VOLUME)
    assert (volume["migration_status"], volume["status"], volume["size"]) == (
        "error", "available", 1)
    assert target not in {v["id"] for v in fake.volumes()}


# -- volume update --------------------------------------------------------------------------------
def test_update_name_description_and_metadata(api, fake):
    body = ok(api.put(f"volumes/{VOLUME}", {"volume": {
        "name": "  renamed ", "description": "about it", "metadata": {"k": "v"}}}), 200)
    volume = body["volume"]
    assert (volume["name"], volume["description"], volume["metadata"]) == (
        "renamed", "about it", {"k": "v"})
    # The update's answer lacks the attributes Cinder's extensions add to show and list.
    shown = api.volume()
    assert shown.pop("os-vol-tenant-attr:tenant_id") == "demo"
    assert shown == volume
    # Metadata is replaced, not merged; display_ names are the old spelling.
    body = ok(api.put(f"volumes/{VOLUME}", {"volume": {
        "display_name": "old-style", "metadata": {"other": "x"}}}), 200)
    assert (body["volume"]["name"], body["volume"]["metadata"]) == ("old-style", {"other": "x"})


def test_update_prefers_name_over_display_name(api):
    body = ok(api.put(f"volumes/{VOLUME}", {"volume": {"display_name": "a", "name": "b"}}), 200)
    assert body["volume"]["name"] == "b"


def test_update_moves_updated_at(api, fake):
    before = fake.volume(VOLUME)["updated_at"]
    ok(api.put(f"volumes/{VOLUME}", {"volume": {"description": None}}), 200)
    assert fake.volume(VOLUME)["updated_at"] != before
    assert fake.volume(VOLUME)["description"] is None


def test_an_empty_update_is_refused_from_3_53(api, fake):
    with unchanged(fake):
        assert fault(api.put(f"volumes/{VOLUME}", {"volume": {}})) == (
            400, "Invalid input for field/attribute volume. Value: {}. {} is not valid under "
                 "any of the given schemas")
    ok(api.as_(version="3.52").put(f"volumes/{VOLUME}", {"volume": {}}), 200)


@pytest.mark.parametrize(("body", "message"), [
    ({"volume": {"name": "n" * 256}}, "Invalid input received: name has 256 characters, "
                                      "more than 255."),
    ({"volume": {"metadata": {"bad key!": "v"}}},
     "Invalid input for field/attribute metadata. Value: {'bad key!': 'v'}. 'bad key!' does "
     "not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'"),
    ({"volume": {"size": 2}}, "Invalid input for field/attribute volume. Value: {'size': 2}. "
                              "Additional properties are not allowed ('size' was unexpected)"),
    ({"name": "x"}, "'volume' is a required property"),
])
def test_update_body_is_validated(api, fake, body, message):
    with unchanged(fake):
        assert fault(api.put(f"volumes/{VOLUME}", body)) == (400, message)


def test_update_refuses_maintenance_and_other_projects(api, admin, fake):
    set_status(admin, VOLUME, status="maintenance")
    with unchanged(fake):
        assert fault(api.put(f"volumes/{VOLUME}", {"volume": {"name": "x"}})) == (
            400, "Invalid volume: The volume cannot be updated during maintenance.")
        other = api.as_(project="other")
        assert fault(other.put(f"volumes/{VOLUME}", {"volume": {"name": "x"}})) == (
            404, f"Volume {VOLUME} could not be found.")


# -- the hooks: faults, journal, state ------------------------------------------------------------
def test_faults_and_the_journal_know_the_actions(api, fake):
    fake.inject("volume_begin_detaching", status=503)
    new_flow_attach(api)
    assert fault(act(api, "os-begin_detaching"))[0] == 503
    assert fake.volume(VOLUME)["status"] == "in-use"
    legacy_attach(api, SHARED_VOLUME)
    operations = [entry.operation for entry in fake.journal.entries()
                  if entry.operation.startswith("volume_")]
    assert operations[-4:] == ["volume_begin_detaching", "volume_reserve",
                               "volume_initialize_connection", "volume_attach"]
    (failed,) = fake.journal.entries("volume_begin_detaching")
    assert (failed.status, failed.fault is not None) == (503, True)


def test_state_dumps_and_loads_the_legacy_records(api, fake):
    attachment = legacy_attach(api)
    state = fake.dump()
    (volume,) = [v for v in state["volumes"] if v["id"] == VOLUME]
    assert volume["admin_metadata"] == {"readonly": "False", "attached_mode": "rw"}
    fake.reset()
    assert fake.attachments() == []
    fake.load(state)
    assert api.show(attachment["id"]) == attachment
    assert api.volume()["metadata"] == {"readonly": "False", "attached_mode": "rw"}


def test_after_a_legacy_attach_new_attachments_are_read_only(api):
    """Cinder's attachment_create reads the deprecated readonly admin metadata as a flag:
    the "False" a legacy os-attach wrote makes the attach mode "ro" all the same."""
    legacy_attach(api, SHARED_VOLUME, SERVER)
    attachment = api.create(SHARED_VOLUME, SERVER2)
    assert attachment["attach_mode"] == "ro"
    assert api.show(attachment["id"])["attach_mode"] == "ro"


def test_concurrent_legacy_flows_on_a_live_server_lose_nothing(live_server_url, fake):
    """Eight Nova-like clients attach and detach their own instance on one multiattach volume
    over real sockets at once: every attach is recorded, every detach removes its own."""
    import uuid

    import requests

    instances = [str(uuid.uuid4()) for _ in range(8)]
    barrier = threading.Barrier(len(instances))
    errors: list[str] = []
    url = f"{live_server_url}/v3/demo/volumes/{SHARED_VOLUME}/action"
    headers = {"X-Project-Id": "demo", "X-User-Id": "nova", "X-Roles": "member",
               "X-Service-Roles": "service", "OpenStack-API-Version": "volume 3.71"}

    def nova(instance: str) -> None:
        with requests.Session() as session:
            barrier.wait(timeout=10)
            for _ in range(3):
                attach = session.post(url, json={"os-attach": {
                    "instance_uuid": instance, "mountpoint": MOUNT}}, headers=headers)
                found = session.get(f"{live_server_url}/v3/demo/attachments",
                                    params={"instance_id": instance}, headers=headers)
                ids = [a["id"] for a in found.json()["attachments"]]
                if attach.status_code != 202 or len(ids) != 1:
                    errors.append(f"attach {attach.status_code} {ids}")
                    return
                detach = session.post(url, json={"os-detach": {"attachment_id": ids[0]}},
                                      headers=headers)
                if detach.status_code != 202:
                    errors.append(f"detach {detach.status_code} {detach.text}")
                    return

    run_threads(nova, [(i,) for i in instances])
    assert errors == []
    assert fake.attachments(volume_id=SHARED_VOLUME) == []
    assert fake.volume(SHARED_VOLUME)["status"] == "available"


def test_another_projects_attachment_is_unknown_to_os_detach(api, fake):
    """Cinder looks attachments up within the caller's project: a foreign id is refused as
    unknown (409 without a service token) and, for a service, only re-derives statuses."""
    other = api.as_(project="other")
    foreign_volume = fake.add_volume(project_id="other")["id"]
    foreign = legacy_attach(other, foreign_volume)
    legacy_attach(api)
    with unchanged(fake):
        assert fault(act(api, "os-detach", {"attachment_id": foreign["id"]})) == (
            409, "ConflictNovaUsingAttachment: "
            "Detach volume from instance  using the Compute API")
    ok(act(api, "os-detach", {"attachment_id": foreign["id"]}, service=True))
    assert len(fake.attachments()) == 2
    assert fake.volume(VOLUME)["status"] == "in-use"
    # finish_detach drops the attached_mode all the same.
    assert fake.volume(VOLUME)["admin_metadata"] == {"readonly": "False"}


def test_an_admins_update_answer_lacks_the_extension_attributes_too(admin):
    body = ok(admin.put(f"volumes/{VOLUME}", {"volume": {"name": "x"}}, url_project="admin"),
              200)
    assert not [key for key in body["volume"] if key.startswith("os-vol-")]
    assert body["volume"]["migration_status"] is None  # the core view's admin field stays


def test_update_readonly_flag_needs_an_available_volume(api, fake):
    ok(act(api, "os-update_readonly_flag", {"readonly": True}))
    ok(act(api, "os-update_readonly_flag", {"readonly": False}))
    assert fake.volume(VOLUME)["admin_metadata"] == {"readonly": "False"}
    ok(act(api, "os-reserve"))
    with unchanged(fake):
        assert fault(act(api, "os-update_readonly_flag", {"readonly": True})) == (
            400, f"Invalid volume: Volume {VOLUME} status must be available to update readonly "
                 "flag, but current status is: attaching.")
        assert fault(act(api, "os-update_readonly_flag", {})) == (
            400, "Invalid input for field/attribute os-update_readonly_flag. Value: {}. "
                 "'readonly' is a required property")


def test_user_metadata_named_readonly_is_only_metadata(api):
    ok(api.put(f"volumes/{VOLUME}", {"volume": {"metadata": {"readonly": "True"}}}), 200)
    attachment = legacy_attach(api)
    assert attachment["attach_mode"] == "rw"
    # The admin metadata wins where both are shown.
    assert api.volume()["metadata"] == {"readonly": "False", "attached_mode": "rw"}


@pytest.mark.parametrize("version", [None, "3.0", "3.27"])
def test_the_legacy_flow_needs_no_microversion(api, fake, version):
    """Nova's cinderclient sends 3.0 for these (no header means 3.0 too)."""
    old = api.as_(version=version)
    legacy_attach(old)
    ok(act(old, "os-begin_detaching"))
    ok(act(old, "os-detach", {}))
    ok(act(old, "os-terminate_connection", {"connector": CONNECTOR}))
    assert fake.volume(VOLUME)["status"] == "available"


def test_a_finished_migration_of_an_in_use_volume_keeps_its_attachment(api, admin, fake):
    """A retype of an attached volume: the source's attachments are detached and attached
    again under the source id once the target's data is swapped in."""
    target = "7b1e0c3a-0000-4000-8000-00000000beef"
    attachment = legacy_attach(api)
    state = fake.dump()
    (source,) = [v for v in state["volumes"] if v["id"] == VOLUME]
    source.update(status="retyping", previous_status="in-use", migration_status="migrating")
    state["volumes"].append({"id": target, "project_id": "demo", "size": 1,
                             "status": "available", "host": "other-host@lvm#pool",
                             "migration_status": f"target:{VOLUME}",
                             "created_at": "2026-01-01T00:00:00.000000"})
    fake.load(state)
    assert ok(completion(admin, VOLUME, target), 200) == {"save_volume_id": VOLUME}
    volume = admin.volume(VOLUME, url_project="admin")
    assert (volume["status"], volume["migration_status"], volume["os-vol-host-attr:host"]) == (
        "in-use", "success", "other-host@lvm#pool")
    (shown,) = volume["attachments"]
    assert (shown["server_id"], shown["device"]) == (SERVER, MOUNT)
    assert shown["attachment_id"] != attachment["id"]  # attached again: a new record
    assert [v["id"] for v in fake.volumes() if v["id"] == target] == []


# -- found by the conformance harness against Cinder 29 ------------------------------------------
@pytest.mark.parametrize(("action", "value", "policy"), [
    ("os-begin_detaching", None, "volume_extension:volume_actions:begin_detaching"),
    ("os-roll_detaching", None, "volume_extension:volume_actions:roll_detaching"),
    ("os-reserve", None, "volume_extension:volume_actions:reserve"),
    ("os-unreserve", None, "volume_extension:volume_actions:unreserve"),
    ("os-initialize_connection", {"connector": CONNECTOR},
     "volume_extension:volume_actions:initialize_connection"),
    ("os-terminate_connection", {"connector": CONNECTOR},
     "volume_extension:volume_actions:terminate_connection"),
    ("os-attach", {"instance_uuid": SERVER, "mountpoint": MOUNT},
     "volume_extension:volume_actions:attach"),
    ("os-detach", {}, "volume_extension:volume_actions:detach"),
    ("os-update_readonly_flag", {"readonly": True}, "volume:update_readonly_flag"),
    ("os-extend", {"new_size": 3}, "volume:extend"),
])
def test_a_reader_may_not_act_on_a_volume(api, fake, action, value, policy):
    """Cinder loads the volume (404 for another project's), then checks the action's
    member-or-admin policy."""
    with unchanged(fake):
        assert fault(act(api.as_(roles="reader"), action, value)) == (
            403, f"Policy doesn't allow {policy} to be performed.")


def test_a_reader_may_not_update_a_volume(api, fake):
    with unchanged(fake):
        response = api.as_(roles="reader").put(f"volumes/{VOLUME}", {"volume": {"name": "r"}})
        assert fault(response) == (403, "Policy doesn't allow volume:update to be performed.")


def test_extend_reserves_the_increase_against_the_gigabytes_quota(api, fake):
    used = sum(v["size"] for v in fake.volumes() if v["project_id"] == "demo")
    fake.set_quotas("demo", gigabytes=used + 1)
    with unchanged(fake):
        response = act(api, "os-extend", {"new_size": fake.volume(VOLUME)["size"] + 2})
        assert response.status_code == 413
        assert response.get_json()["overLimit"]["message"] == (
            "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
            f"gigabytes quota. Requested 2G, quota is {used + 1}G and {used}G has been "
            "consumed.")
    ok(act(api, "os-extend", {"new_size": fake.volume(VOLUME)["size"] + 1}))
