"""Scenarios of retype with migration (issue 20): os-retype to a type that only another
backend satisfies, with ``migration_policy`` on-demand (the volume moves: ``retyping``,
``migration_status`` migrating then success, a new host) or never (it stays), on the
harness's backends ``memory`` and ``ceph`` (cinder_server.BACKENDS; the fake's
conformance state has the same ones) and ``east`` (another zone: no migration there).

The harness's memory driver migrates between its backends itself (driver-assisted, as
Cinder's manager tries first when only the backend name changes), and fails a migration
of a volume whose ``fake_cinder:fail`` names ``volume_retype``. Hosts are normalised away
in volume views: where a volume is comes from an admin's list filtered by pool (os-hosts'
per-project rows come in no fixed order in Cinder).
"""

from __future__ import annotations

from .engine import Step
from .scenarios import VOL, P, Scenario, get
from .scenarios_nova import act
from .scenarios_types import new_type, retype

QUOTA = P + "/os-quota-sets"


def new_volume(label: str, volume_type: str, metadata: dict[str, str] | None = None) -> Step:
    body: dict = {"size": 1, "name": label, "volume_type": volume_type}
    if metadata:
        body["metadata"] = metadata
    return Step("POST", VOL, body={"volume": body}, save=label, check=label)


def hosts(backend: str) -> Step:
    """The project's volumes on a backend's pool (an admin may filter by any column)."""
    return get(VOL + f"?host=conformance@{backend}%23{backend}", caller="admin",
               name=f"on {backend}")


def show(label: str, caller: str = "admin", name: str = "") -> Step:
    return get(VOL + "/{" + label + "}", caller=caller, name=name)


def migrate(label: str, caller: str = "admin", version: str = "3.71", name: str = "",
            **body: object) -> Step:
    return act(label, "os-migrate_volume", body, caller=caller, version=version, name=name)


MIGRATION_CATALOGUE: list[Scenario] = [
    Scenario("migration: retype on demand to another backend", [
        new_type("type:mm", "t20-mig-memory", extra_specs={"volume_backend_name": "memory"}),
        new_type("type:mc", "t20-mig-ceph", extra_specs={"volume_backend_name": "ceph"}),
        new_type("type:me", "t20-mig-east", extra_specs={"volume_backend_name": "east"}),
        new_type("type:mn", "t20-mig-nowhere",
                 extra_specs={"volume_backend_name": "nowhere"}),
        new_type("type:mz", "t20-mig-east-zoned",
                 extra_specs={"volume_backend_name": "east",
                              "RESKEY:availability_zones": "az-east"}),
        new_volume("vol:m", "t20-mig-memory"),
        hosts("memory"), hosts("ceph"),
        retype("vol:m", "t20-mig-ceph", "never", name="another backend, never"),
        retype("vol:m", "t20-mig-ceph", name="another backend, no policy"),
        retype("vol:m", "t20-mig-east", "on-demand", name="a backend of another zone"),
        retype("vol:m", "t20-mig-nowhere", "on-demand", name="no backend"),
        show("vol:m", name="never migrated"),
        retype("vol:m", "t20-mig-ceph", "on-demand", name="migrates"),
        show("vol:m", name="migrated"),
        show("vol:m", caller="member", name="the owner sees no migration status"),
        hosts("memory"), hosts("ceph"),
        get(QUOTA + "/{project}?usage=True", caller="admin"),
        get(VOL + "/detail?migration_status=success", caller="admin"),
        retype("vol:m", "t20-mig-memory", "on-demand", name="and back"),
        hosts("memory"), hosts("ceph"),
        retype("vol:m", "t20-mig-east-zoned", "on-demand", name="to the type's zone"),
        show("vol:m", name="in the other zone"),
        hosts("east"),
        retype("vol:m", "t20-mig-ceph", "always"),
        act("vol:m", "os-retype", {"new_type": "t20-mig-ceph", "migration_policy": None},
            caller="member", name="a null policy"),
    ]),
    Scenario("migration: what stops or fails a migration", [
        new_type("type:fm", "t20-migfail-memory",
                 extra_specs={"volume_backend_name": "memory"}),
        new_type("type:fc", "t20-migfail-ceph", extra_specs={"volume_backend_name": "ceph"}),
        new_volume("vol:snapped", "t20-migfail-memory"),
        Step("POST", P + "/snapshots", save="snap:m", check="snap:m",
             body={"snapshot": {"volume_id": "{vol:snapped}", "name": "snap:m"}}),
        retype("vol:snapped", "t20-migfail-ceph", "on-demand", name="a volume with snapshots"),
        show("vol:snapped", name="not migrated"),
        new_volume("vol:failing", "t20-migfail-memory", {"fake_cinder:fail": "volume_retype"}),
        retype("vol:failing", "t20-migfail-ceph", "on-demand", name="the driver fails"),
        show("vol:failing", name="migration error"),
        get(VOL + "/detail?migration_status=error", caller="admin"),
        retype("vol:failing", "t20-migfail-ceph", "on-demand", name="after an error"),
        hosts("memory"),
    ]),
    Scenario("migration: os-migrate_volume", [
        Step("POST", VOL, body={"volume": {"size": 1, "name": "vol:mv"}}, save="vol:mv",
             check="vol:mv"),
        migrate("vol:mv", host="conformance@ceph", name="to a backend"),
        show("vol:mv", name="migrated"),
        hosts("memory"), hosts("ceph"),
        migrate("vol:mv", host="conformance@ceph#ceph", name="to the pool it is on"),
        migrate("vol:mv", host="conformance@memory#memory", lock_volume=True,
                name="to a pool, locked"),
        show("vol:mv", name="back"),
        migrate("vol:mv", host="conformance@east", name="to another zone"),
        show("vol:mv", name="after another zone"),
        migrate("vol:mv", host="conformance@nowhere", name="an unknown backend"),
        migrate("vol:mv", host="conformance", name="a host without backend"),
        migrate("vol:mv", cluster="nocluster", name="a cluster"),
        migrate("vol:mv", host="conformance@ceph", cluster="x", name="host and cluster"),
        migrate("vol:mv", name="neither"),
        migrate("vol:mv", version="3.15", name="no host before 3.16"),
        migrate("vol:mv", version="3.15", host="conformance@ceph", cluster="x",
                name="a cluster before 3.16"),
        migrate("vol:mv", host="conformance@ceph", force_host_copy="maybe"),
        migrate("vol:mv", host="conformance@ceph", caller="member", name="a member"),
        migrate("vol:mv", caller="member", name="a member, neither"),
        migrate("vol:mv", host="conformance@ceph", caller="other", name="another project"),
        Step("POST", VOL, body={"volume": {"size": 1, "name": "vol:mm",
                                           "volume_type": "multiattach"}},
             save="vol:mm", check="vol:mm"),
        migrate("vol:mm", host="conformance@ceph", name="a pool its type does not fit"),
        show("vol:mm", name="not migrated"),
        migrate("vol:mm", host="conformance@memory", name="after an error"),
        Step("POST", P + "/snapshots", save="snap:mv", check="snap:mv",
             body={"snapshot": {"volume_id": "{vol:mv}", "name": "snap:mv"}}),
        migrate("vol:mv", host="conformance@ceph", name="a volume with snapshots"),
    ]),
    Scenario("migration: retyping and migrating while the driver works", [
        new_type("type:sm", "t20-migslow-memory", extra_specs={"volume_backend_name": "memory"}),
        new_type("type:sc", "t20-migslow-ceph", extra_specs={"volume_backend_name": "ceph"}),
        new_volume("vol:slow", "t20-migslow-memory", {"fake_cinder:transition": "1s"}),
        act("vol:slow", "os-retype", {"new_type": "t20-migslow-ceph",
                                      "migration_policy": "on-demand"},
            caller="member", check=False, name="starts"),
        get(VOL + "/{vol:slow}", caller="admin", name="while migrating", check="vol:slow"),
    ]),
]
