"""Scenarios of the operator's view of the backends: os-services, scheduler-stats,
capabilities, os-hosts, os-availability-zone, and where the scheduler puts volumes.

Both servers have the same four backends (cinder_server.BACKENDS and the fake's
conformance/state.json): ``memory`` (iSCSI, 10000 GB, where volumes of the default type
go), ``ceph`` (RBD, thin, 1000 GB, no multiattach), ``east`` (zone az-east, 2000 GB) and
``spare`` (100 GB, the one these scenarios disable, then freeze and thaw back).
Placements are compared through os-hosts' per-host volume counts and the volumes' zones
and statuses (hosts themselves are normalised away in volume views).
"""

from __future__ import annotations

from .engine import Step
from .scenarios import VOL, Scenario

P = "/v3/{project}"
SERVICES = P + "/os-services"
POOLS = P + "/scheduler-stats/get_pools"
SPARE = {"host": "conformance@spare", "binary": "cinder-volume"}


def admin(method: str, path: str, version: str | None = "3.71", **kw) -> Step:
    return Step(method, path, caller="admin", version=version, **kw)


def typed(label: str, name: str, specs: dict[str, str]) -> Step:
    return admin("POST", P + "/types", save=label,
                 body={"volume_type": {"name": name, "extra_specs": specs}})


def volume(label: str, *, volume_type: str | None = None, size: int = 1,
           zone: str | None = None) -> Step:
    body: dict = {"size": size, "name": label}
    if volume_type:
        body["volume_type"] = volume_type
    if zone:
        body["availability_zone"] = zone
    return Step("POST", VOL, caller="member", body={"volume": body}, save=label, check=label)


BACKENDS_CATALOGUE: list[Scenario] = [
    Scenario("backends: services, their filters and versions", [
        admin("GET", SERVICES, version=v) for v in ("3.0", "3.6", "3.7", "3.48", "3.49", "3.71")
    ] + [
        admin("GET", SERVICES + "?host=conformance@memory"),
        admin("GET", SERVICES + "?host=conformance"),
        admin("GET", SERVICES + "?binary=cinder-scheduler"),
        admin("GET", SERVICES + "?host=conformance@east&binary=cinder-volume"),
        admin("GET", SERVICES + "?binary="),
        admin("GET", SERVICES + "?host="),
        admin("GET", SERVICES + "?host=nohost"),
        admin("GET", SERVICES + "?foo=bar"),
        Step("GET", SERVICES, caller="member"),
        Step("GET", SERVICES, caller="reader"),
    ]),
    Scenario("backends: enable and disable answer, and change nothing", [
        admin("PUT", SERVICES + "/disable", body=SPARE),
        admin("GET", SERVICES + "?host=conformance@spare"),
        admin("PUT", SERVICES + "/enable", body=SPARE),
        admin("PUT", SERVICES + "/disable",
              body={"host": "conformance@spare", "service": "cinder-volume"}),
        admin("PUT", SERVICES + "/enable", body={"host": "conformance", "binary": "cinder-volume"}),
        admin("PUT", SERVICES + "/enable",
              body={"host": "conformance", "binary": "cinder-scheduler"}),
        admin("PUT", SERVICES + "/disable", body={"host": "nohost", "binary": "cinder-volume"}),
        admin("PUT", SERVICES + "/disable", body={"host": "conformance@spare", "binary": "x"}),
        admin("PUT", SERVICES + "/disable", body={"host": "conformance@spare"}),
        admin("PUT", SERVICES + "/disable", body={"binary": "cinder-volume"}),
        admin("PUT", SERVICES + "/disable", body={"binary": "cinder-volume", "host": None}),
        admin("PUT", SERVICES + "/disable", body={**SPARE, "foo": 1}),
        admin("PUT", SERVICES + "/disable", body={**SPARE, "host": "bad host"}),
        admin("PUT", SERVICES + "/disable", body={}),
        admin("PUT", SERVICES + "/enable", body={**SPARE, "binary": ""}),
        Step("PUT", SERVICES + "/disable", caller="member", body=SPARE),
        Step("PUT", SERVICES + "/disable", caller="member", body={}),
        admin("PUT", SERVICES + "/reboot", body=SPARE),
        admin("GET", SERVICES + "?host=conformance@spare"),
    ]),
    Scenario("backends: a disabled backend takes no volumes; freeze and thaw", [
        typed("type:spare", "spare-only", {"volume_backend_name": "spare"}),
        admin("PUT", SERVICES + "/disable-log-reason", body={**SPARE, "disabled_reason": "  "}),
        admin("PUT", SERVICES + "/disable-log-reason", body={**SPARE, "disabled_reason": ""}),
        admin("PUT", SERVICES + "/disable-log-reason", body={**SPARE, "disabled_reason": 5}),
        admin("PUT", SERVICES + "/disable-log-reason",
              body={**SPARE, "disabled_reason": "maintenance"}),
        admin("GET", SERVICES + "?host=conformance@spare", version="3.49"),
        admin("GET", POOLS),
        admin("GET", P + "/os-hosts"),
        Step("GET", P + "/os-availability-zone", caller="member"),
        volume("vol:s1", volume_type="spare-only"),
        admin("PUT", SERVICES + "/disable-log-reason", body=SPARE),
        admin("GET", SERVICES + "?host=conformance@spare"),
        admin("PUT", SERVICES + "/freeze", body={"host": "conformance@spare"}),
        admin("GET", SERVICES + "?host=conformance@spare"),
        admin("PUT", SERVICES + "/freeze", body={"host": "conformance@spare"}),
        admin("PUT", SERVICES + "/thaw", body={"host": "conformance@spare"}),
        admin("GET", SERVICES + "?host=conformance@spare"),
        admin("PUT", SERVICES + "/thaw", body={"host": "conformance@spare"}),
        volume("vol:s2", volume_type="spare-only"),
        admin("GET", P + "/os-hosts/conformance@spare"),
        admin("PUT", SERVICES + "/freeze", body={"host": "conformance"}),
        admin("PUT", SERVICES + "/freeze", body={"host": "nohost"}),
        admin("PUT", SERVICES + "/freeze", body={"cluster": "nocluster"}),
        admin("PUT", SERVICES + "/freeze", body={"host": "conformance@spare", "cluster": "x"}),
        admin("PUT", SERVICES + "/freeze", body={"cluster": "x"}, version="3.25"),
        admin("PUT", SERVICES + "/freeze", body={"host": "conformance@spare", "cluster": "x"},
              version="3.25"),
        admin("PUT", SERVICES + "/freeze", body={}),
        admin("PUT", SERVICES + "/thaw", body={"host": "conformance@spare", "foo": 1}),
        Step("PUT", SERVICES + "/freeze", caller="member", body={"host": "conformance@spare"}),
    ]),
    Scenario("backends: pools, their details and filters", [
        admin("GET", POOLS),
        admin("GET", POOLS, version="3.0"),
        admin("GET", POOLS + "?detail=true&name=conformance@east%23east"),
        admin("GET", POOLS + "?detail=True&name=conformance@ceph%23ceph", version="3.28"),
        admin("GET", POOLS + "?name=conformance@east%23east", version="3.27"),
        admin("GET", POOLS + "?detail=foo"),
        admin("GET", POOLS + "?detail=0"),
        admin("GET", POOLS + "?multiattach=False", version="3.28"),
        admin("GET", POOLS + "?storage_protocol=ceph&detail=1", version="3.30"),
        admin("GET", POOLS + "?total_capacity_gb=100", version="3.30"),
        admin("GET", POOLS + "?multiattach=False", version="3.31"),
        admin("GET", POOLS + "?foo=1&bar=2"),
        admin("GET", POOLS + "?all_tenants=1&name=conformance@spare%23spare"),
        admin("GET", POOLS + "?name=nowhere"),
        admin("GET", POOLS + "?volume_type=nosuchtype", version="3.35"),
        admin("GET", POOLS + "?volume_type=nosuchtype", version="3.34"),
        Step("GET", POOLS, caller="member"),
    ]),
    Scenario("backends: capabilities", [
        admin("GET", P + "/capabilities/conformance@ceph"),
        admin("GET", P + "/capabilities/conformance@east"),
        admin("GET", P + "/capabilities/conformance", version="3.0"),
        admin("GET", P + "/capabilities/nohost"),
        admin("GET", P + "/capabilities/conformance@nothing"),
        Step("GET", P + "/capabilities/conformance@ceph", caller="member"),
    ]),
    Scenario("backends: hosts", [
        admin("GET", P + "/os-hosts"),
        admin("GET", P + "/os-hosts?zone=az-east"),
        admin("GET", P + "/os-hosts?zone=nowhere"),
        admin("GET", P + "/os-hosts/conformance@ceph"),
        admin("GET", P + "/os-hosts/nohost"),
        Step("GET", P + "/os-hosts", caller="member"),
        Step("GET", P + "/os-hosts/conformance@ceph", caller="member"),
    ]),
    Scenario("backends: availability zones and where volumes go", [
        Step("GET", P + "/os-availability-zone", caller="member"),
        Step("GET", P + "/os-availability-zone", caller="reader", version="3.0"),
        volume("vol:east", zone="az-east"),
        admin("GET", P + "/os-hosts/conformance@east"),
        volume("vol:nowhere", zone="nowhere"),
        volume("vol:nova", zone="nova", size=2),
        typed("type:ceph", "on-ceph", {"storage_protocol": "ceph"}),
        volume("vol:ceph", volume_type="on-ceph"),
        admin("GET", POOLS + "?volume_type=on-ceph", version="3.35", name="pools of a type"),
        admin("GET", P + "/os-hosts/conformance@ceph"),
        typed("type:ceph-multi", "ceph-multiattach",
              {"volume_backend_name": "ceph", "multiattach": "<is> True"}),
        volume("vol:none", volume_type="ceph-multiattach"),
        typed("type:big", "big-pools", {"capabilities:total_capacity_gb": ">= 2000",
                                        "vendor_name": "<or> nobody <or> fake-cinder"}),
        volume("vol:big", volume_type="big-pools", zone="az-east"),
        typed("type:name", "named", {"volume_backend_name": "s!= memory",
                                     "storage_protocol": "<in> iSC"}),
        volume("vol:named", volume_type="named", zone="az-east"),
        typed("type:scoped", "vendor-scoped", {"vendor:anything": "goes",
                                               "unknown_capability": "x"}),
        volume("vol:unknown", volume_type="vendor-scoped"),
        typed("type:full", "too-big", {"volume_backend_name": "spare"}),
        volume("vol:full", volume_type="too-big", size=150),
        Step("POST", P + "/snapshots", caller="member", save="snap:east", check="snap:east",
             body={"snapshot": {"volume_id": "{vol:east}", "name": "snap:east"}}),
        Step("POST", VOL, caller="member", save="vol:from-snap", check="vol:from-snap",
             body={"volume": {"snapshot_id": "{snap:east}", "name": "vol:from-snap"}}),
        admin("GET", P + "/os-hosts/conformance@east"),
        admin("GET", P + "/os-hosts/conformance@spare"),
    ]),
]
