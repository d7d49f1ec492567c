"""The operator's view of the backends over HTTP: os-services, scheduler-stats,
capabilities, os-hosts, os-availability-zone, and where new volumes go."""

from __future__ import annotations

import pytest

from tests.helpers.api import fault

LVM = "fake-host@fake-backend"
LVM_POOL = LVM + "#fake-pool"
CEPH_POOL = "fake-host@ceph#volumes"
SPARE = {"host": LVM, "binary": "cinder-volume"}


def services(admin, **query):
    response = admin.get("os-services", query=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["services"]


def pools(admin, version="3.71", **query):
    response = admin.get("scheduler-stats/get_pools", query=query, version=version)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["pools"]


def create(api, **volume):
    """A volume created through the API, as an admin sees it afterwards."""
    response = api.post("volumes", {"volume": {"size": 1, **volume}})
    assert response.status_code == 202, response.get_json()
    return api.as_(roles="admin").volume(response.get_json()["volume"]["id"])


def new_type(admin, name, specs):
    response = admin.post("types", {"volume_type": {"name": name, "extra_specs": specs}})
    assert response.status_code == 200, response.get_json()


# -- services -------------------------------------------------------------------------------------
def test_services_are_the_scheduler_and_a_volume_service_per_backend(admin):
    listed = services(admin)
    assert [(s["binary"], s["host"]) for s in listed] == [
        ("cinder-scheduler", "fake-host"), ("cinder-volume", LVM),
        ("cinder-volume", "fake-host@ceph")]
    volume = listed[1]
    assert volume | {"updated_at": None} == {
        "binary": "cinder-volume", "host": LVM, "zone": "nova", "status": "enabled",
        "state": "up", "updated_at": None, "backend_state": "up", "cluster": None,
        "disabled_reason": None, "replication_status": "disabled",
        "active_backend_id": None, "frozen": False}
    assert "frozen" not in listed[0] and "backend_state" not in listed[0]


@pytest.mark.parametrize(("version", "cluster", "backend_state"), [
    ("3.0", False, False), ("3.7", True, False), ("3.48", True, False), ("3.49", True, True)])
def test_service_fields_by_microversion(admin, version, cluster, backend_state):
    volume = services(admin.as_(version=version), binary="cinder-volume")[0]
    assert ("cluster" in volume) is cluster
    assert ("backend_state" in volume) is backend_state


def test_service_filters_match_hosts_as_cinder_does(admin):
    assert len(services(admin, host="fake-host")) == 3        # the host and its backends
    assert [s["host"] for s in services(admin, host=LVM)] == [LVM]
    assert [s["host"] for s in services(admin, binary="cinder-scheduler")] == ["fake-host"]
    assert services(admin, binary="") == []
    assert len(services(admin, host="")) == 3
    assert services(admin, host="fake-host@nothing") == []


def test_services_are_for_admins(api):
    assert fault(api.get("os-services")) == (
        403, "Policy doesn't allow volume_extension:services:index to be performed.")
    assert fault(api.put("os-services/disable-log-reason", SPARE)) == (
        403, "Policy doesn't allow volume_extension:services:update to be performed.")


def test_enable_and_disable_answer_but_change_nothing_as_in_cinder_29(admin):
    response = admin.put("os-services/disable", SPARE)
    assert response.status_code == 200
    assert response.get_json() == {"host": LVM, "service": "", "binary": "cinder-volume",
                                   "status": "disabled", "disabled": True}
    assert services(admin, host=LVM)[0]["status"] == "enabled"
    response = admin.put("os-services/enable", {"host": LVM, "service": "cinder-volume"})
    assert response.get_json() == {"host": LVM, "service": "cinder-volume", "binary": "",
                                   "status": "enabled", "disabled": False}


@pytest.mark.parametrize(("body", "expected"), [
    ({"host": "nohost", "binary": "cinder-volume"},
     (404, "Service cinder-volume could not be found on host nohost.")),
    ({"binary": "cinder-volume"}, (400, "Invalid input received: Host field is missing.")),
    ({"host": LVM}, (400, "{'host': 'fake-host@fake-backend'} is not valid under any of "
                          "the given schemas")),
    ({**SPARE, "foo": 1}, (400, "Additional properties are not allowed ('foo' was "
                                "unexpected)")),
    ({**SPARE, "disabled_reason": "  "},
     (400, "Invalid input for field/attribute disabled_reason. Value:   . '  ' is not a "
           "'disabled_reason'")),
])
def test_disable_log_reason_errors_change_nothing(admin, body, expected):
    assert fault(admin.put("os-services/disable-log-reason", body)) == expected
    assert services(admin, host=LVM)[0]["status"] == "enabled"


def test_a_disabled_backend_takes_no_new_volumes(api, admin, fake):
    response = admin.put("os-services/disable-log-reason", {**SPARE, "disabled_reason": "fix"})
    assert response.get_json() == {**SPARE, "service": "", "status": "disabled",
                                   "disabled": True, "disabled_reason": "fix"}
    volume = services(admin, host=LVM)[0]
    assert (volume["status"], volume["disabled_reason"], volume["backend_state"]) == (
        "disabled", "fix", None)
    assert [p["name"] for p in pools(admin)] == [CEPH_POOL]
    # The default type asks for nothing: the RBD pool takes it now.
    assert create(api)["os-vol-host-attr:host"] == CEPH_POOL
    new_type(admin, "lvm-only", {"volume_backend_name": "fake-backend"})
    failed = create(api, volume_type="lvm-only")
    assert (failed["status"], failed["os-vol-host-attr:host"]) == ("error", None)
    assert failed["service_uuid"] is None
    assert fake.volume(failed["id"])["host"] is None


def test_freeze_disables_and_thaw_enables(api, admin):
    assert admin.put("os-services/freeze", {"host": LVM}).status_code == 200
    frozen = services(admin, host=LVM)[0]
    assert (frozen["frozen"], frozen["status"], frozen["disabled_reason"]) == (
        True, "disabled", "frozen")
    assert fault(admin.put("os-services/freeze", {"host": LVM})) == (
        400, "Invalid input received: No service could be changed: frozen in "
             "['fake-host@fake-backend'] must be False to failover.")
    response = admin.put("os-services/thaw", {"host": LVM})
    assert (response.status_code, response.data) == (200, b"")
    thawed = services(admin, host=LVM)[0]
    assert (thawed["frozen"], thawed["status"], thawed["disabled_reason"]) == (
        False, "enabled", "")


@pytest.mark.parametrize(("version", "body", "expected"), [
    ("3.71", {"host": "fake-host"}, "Services from different clusters found."),
    ("3.71", {"host": "nohost"}, "No service found with host=nohost"),
    ("3.71", {"cluster": "c1"}, "No service found with cluster=c1"),
    ("3.71", {}, "Invalid input received: One and only one of cluster and host must be set."),
    ("3.25", {"cluster": "c1"}, "Invalid input received: Host field is missing."),
])
def test_freeze_errors(admin, version, body, expected):
    assert fault(admin.put("os-services/freeze", body, version=version)) == (400, expected)


# -- pools and capabilities -----------------------------------------------------------------------
def test_pools_and_their_capabilities(admin, fake):
    assert pools(admin) == [{"name": LVM_POOL}, {"name": CEPH_POOL}]
    lvm = pools(admin, detail="true", name=LVM_POOL)[0]["capabilities"]
    demo_gb = sum(v["size"] for v in fake.volumes() if v["host"] == LVM_POOL)
    assert lvm | {"timestamp": None} == {
        "pool_name": "fake-pool", "total_capacity_gb": 10000,
        "free_capacity_gb": 10000 - demo_gb, "allocated_capacity_gb": demo_gb,
        "provisioned_capacity_gb": demo_gb, "reserved_percentage": 0,
        "max_over_subscription_ratio": 1.0, "thin_provisioning_support": False,
        "thick_provisioning_support": True, "total_volumes": 2, "multiattach": True,
        "QoS_support": False, "backend_state": "up", "cacheable": True,
        "volume_backend_name": "fake-backend", "storage_protocol": "iSCSI",
        "vendor_name": "Open Source", "driver_version": "3.0.0", "timestamp": None,
        "filter_function": None, "goodness_function": None}


def test_pool_capacity_follows_the_volumes_placed(api, admin):
    before = pools(admin, detail="1", name=CEPH_POOL)[0]["capabilities"]
    new_type(admin, "rbd", {"storage_protocol": "ceph"})
    assert create(api, volume_type="rbd", size=7)["os-vol-host-attr:host"] == CEPH_POOL
    after = pools(admin, detail="1", name=CEPH_POOL)[0]["capabilities"]
    assert after["allocated_capacity_gb"] == before["allocated_capacity_gb"] + 7
    assert after["free_capacity_gb"] == before["free_capacity_gb"] - 7
    assert after["total_volumes"] == before["total_volumes"] + 1


def test_pool_filters_by_microversion(admin):
    assert len(pools(admin, version="3.27", name=CEPH_POOL)) == 2     # ignored before 3.28
    assert pools(admin, version="3.28", multiattach="False") == [{"name": CEPH_POOL}]
    assert fault(admin.get("scheduler-stats/get_pools", query={"multiattach": "False"},
                           version="3.31")) == (
        400, "Invalid filters multiattach are found in query options.")
    assert pools(admin, all_tenants="1", name=CEPH_POOL) == [{"name": CEPH_POOL}]
    assert fault(admin.get("scheduler-stats/get_pools", query={"detail": "maybe"})) == (
        400, "Value 'maybe' for 'detail' is not a boolean.")
    new_type(admin, "rbd", {"storage_protocol": "ceph"})
    assert pools(admin, version="3.35", volume_type="rbd") == [{"name": CEPH_POOL}]
    assert len(pools(admin, version="3.34", volume_type="rbd")) == 2
    assert fault(admin.get("scheduler-stats/get_pools", query={"volume_type": "x"},
                           version="3.35")) == (
        404, "Volume type with name x could not be found.")


def test_capabilities_of_a_backend(api, admin):
    response = admin.get("capabilities/fake-host@ceph")
    assert response.status_code == 200
    shown = response.get_json()
    assert shown["namespace"] == "OS::Storage::Capabilities::fake-host@ceph"
    assert (shown["storage_protocol"], shown["vendor_name"], shown["pool_name"]) == (
        "ceph", "Ceph", None)
    assert set(shown["properties"]) == {"thin_provisioning", "compression", "qos",
                                        "replication_enabled"}
    # A bare host names its first backend.
    assert admin.get("capabilities/fake-host").get_json()["volume_backend_name"] == (
        "fake-backend")
    assert fault(admin.get("capabilities/nohost")) == (404, "Can't find service: nohost")
    assert fault(api.get("capabilities/fake-host")) == (
        403, "Policy doesn't allow volume_extension:capabilities to be performed.")


# -- hosts and zones ------------------------------------------------------------------------------
def test_hosts_list_the_enabled_services(admin, fake):
    response = admin.get("os-hosts")
    assert [(h["host_name"], h["service"], h["service-status"]) for h in
            response.get_json()["hosts"]] == [
        ("fake-host", "cinder-scheduler", "available"), (LVM, "cinder-volume", "available"),
        ("fake-host@ceph", "cinder-volume", "available")]
    fake.set_service("fake-host@ceph", disabled=True)
    fake.set_service(LVM, state="down")
    hosts = admin.get("os-hosts").get_json()["hosts"]
    assert [(h["host_name"], h["service-status"]) for h in hosts] == [
        ("fake-host", "available"), (LVM, "unavailable")]
    assert admin.get("os-hosts", query={"zone": "elsewhere"}).get_json() == {"hosts": []}


def test_a_host_shows_its_volumes_and_snapshots_per_project(admin, fake):
    fake.add_snapshot(fake.volumes(name="demo-volume")[0]["id"])
    response = admin.get(f"os-hosts/{LVM}")
    assert response.status_code == 200
    total, demo = (row["resource"] for row in response.get_json()["host"])
    assert total == {"host": LVM, "project": "(total)", "volume_count": "2",
                     "total_volume_gb": "3", "snapshot_count": "1", "total_snapshot_gb": "1"}
    assert demo["project"] == "demo" and demo["volume_count"] == "2"
    assert fault(admin.get("os-hosts/nohost")) == (
        404, "Service cinder-volume could not be found on host nohost.")


def test_availability_zones_come_from_the_volume_services(api, admin, fake):
    fake.add_backend("east-host@lvm", availability_zone="east")
    zones = api.get("os-availability-zone").get_json()["availabilityZoneInfo"]
    assert zones == [{"zoneName": "nova", "zoneState": {"available": True}},
                     {"zoneName": "east", "zoneState": {"available": True}}]
    placed = create(api, availability_zone="east")
    assert (placed["availability_zone"], placed["os-vol-host-attr:host"]) == (
        "east", "east-host@lvm#lvm")
    fake.set_service("east-host@lvm", disabled=True)
    zones = api.get("os-availability-zone").get_json()["availabilityZoneInfo"]
    assert zones[1] == {"zoneName": "east", "zoneState": {"available": False}}
    assert create(api, availability_zone="east")["status"] == "error"


def test_an_unknown_zone_is_refused_and_creates_nothing(api, fake):
    before = len(fake.volumes())
    response = api.post("volumes", {"volume": {"size": 1, "availability_zone": "mars"}})
    assert fault(response) == (400, "Availability zone 'mars' is invalid.")
    assert len(fake.volumes()) == before


def test_a_down_backend_takes_no_volumes_and_shows_down(api, admin, fake):
    fake.add_backend("other@lvm", state="down")
    listed = services(admin, host="other@lvm")[0]
    assert listed["state"] == "down" and listed["backend_state"] is None
    fake.set_service(LVM, disabled=True)
    fake.set_service("fake-host@ceph", disabled=True)
    assert create(api)["status"] == "error"
    fake.set_service("other@lvm", state="up")
    assert create(api)["os-vol-host-attr:host"] == "other@lvm#lvm"


def test_volumes_go_where_their_type_asks(api, admin, fake):
    fake.add_backend("fast@nvme", storage_protocol="NVMe-oF", pools=[
        {"name": "gold", "total_capacity_gb": 100, "capabilities": {"iops": 50000}},
        {"name": "silver", "total_capacity_gb": 500, "capabilities": {"iops": 5000}}])
    new_type(admin, "gold", {"storage_protocol": "nvmeof", "capabilities:iops": ">= 10000"})
    new_type(admin, "nvme", {"storage_protocol": "<in> NVMe"})
    assert create(api, volume_type="gold")["os-vol-host-attr:host"] == "fast@nvme#gold"
    assert create(api, volume_type="nvme")["os-vol-host-attr:host"] == "fast@nvme#silver"
    # Bigger than the gold pool: no valid backend.
    assert create(api, volume_type="gold", size=200)["status"] == "error"


def test_a_volume_from_a_snapshot_goes_where_the_snapshot_is(api, admin, fake):
    fake.add_backend("east-host@lvm", availability_zone="east")
    source = create(api, availability_zone="east")
    snapshot = fake.add_snapshot(source["id"])
    response = api.post("volumes", {"volume": {"snapshot_id": snapshot["id"]}})
    assert response.status_code == 202, response.get_json()
    made = api.as_(roles="admin").volume(response.get_json()["volume"]["id"])
    assert (made["availability_zone"], made["os-vol-host-attr:host"]) == (
        "east", "east-host@lvm#lvm")
    fake.set_service("east-host@lvm", disabled=True)
    response = api.post("volumes", {"volume": {"snapshot_id": snapshot["id"]}})
    assert api.volume(response.get_json()["volume"]["id"])["status"] == "error"


def test_no_valid_backend_leaves_the_schedulers_user_message(api, admin, fake):
    new_type(admin, "nowhere", {"volume_backend_name": "nothing-has-this"})
    response = api.post("volumes", {"volume": {"size": 1, "volume_type": "nowhere"}})
    assert response.status_code == 202
    volume_id = response.get_json()["volume"]["id"]
    assert api.volume(volume_id)["status"] == "error"
    messages = api.get("messages", version="3.3").get_json()["messages"]
    [message] = [m for m in messages if m["resource_uuid"] == volume_id]
    assert message["event_id"] == "VOLUME_VOLUME_001_003"
    assert message["user_message"] == (
        "schedule allocate volume:Could not find any available weighted backend.")
    assert message["request_id"] == response.headers["X-OpenStack-Request-Id"]
    # The Python API's volumes get it too (without a request).
    fake.add_volume(volume_type="nowhere")
    assert len(fake.messages()) == 2
