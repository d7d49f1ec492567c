"""Scenarios of the Cinder calls the fake's Nova makes for os-volume_attachments
(issue 21; fake_cinder/core/server_volumes.py): Nova 34's attach (attachment create
without a connector, update with the compute host's connector and mountpoint, complete),
its detach (begin detaching, then attachment delete with its service token), a refused
attach of a volume in use, multiattach, the Cinder half of a swap during a migration, and
a shelved-offloaded server's attach (create and complete, no connector) and detach.
Real Cinder serves no compute API: what is compared is what Nova's calls leave in
Cinder, on both servers. Same rules as ``scenarios.py``.
"""

from __future__ import annotations

from .scenarios import ATT, VOL, Scenario, complete, create, delete, get, reset, show, update
from .scenarios_nova import act

# What the fake's Nova sends as the compute host's connector (server_volumes.connector for
# a server on compute-0; tests/api/test_server_volumes.py checks they are the same),
# with the device Nova reserved as mountpoint.
COMPUTE_CONNECTOR = {"platform": "x86_64", "os_type": "linux", "ip": "192.0.2.10",
                     "host": "compute-0", "multipath": False,
                     "initiator": "iqn.1993-08.org.debian:01:compute-0",
                     "do_local_attach": False}
# nova.volume.cinder's microversions: the attachments API at 3.44, volume actions at 3.0.
ATTACHMENTS = "3.44"
ACTIONS = "3.0"


def host_connector(device: str = "/dev/vdb") -> dict:
    return {**COMPUTE_CONNECTOR, "mountpoint": device}


def nova_attach(volume: str, att: str, server: int = 1, device: str = "/dev/vdb") -> list:
    """What an attach through os-volume_attachments sends to Cinder."""
    return [create(volume, att, server=server, version=ATTACHMENTS),
            update(att, volume, connector=host_connector(device), version=ATTACHMENTS),
            complete(att, volume, version=ATTACHMENTS)]


def nova_detach(volume: str, att: str) -> list:
    """What a detach through os-volume_attachments sends to Cinder."""
    return [act(volume, "os-begin_detaching", version=ACTIONS),
            delete(att, volume, version=ATTACHMENTS)]


SERVER_VOLUME_CATALOGUE: list[Scenario] = [
    Scenario("Nova's os-volume_attachments: attach and detach", [
        create("vol:a", "att:a", version=ATTACHMENTS),
        get(VOL + "/{vol:a}", caller="nova"),
        update("att:a", "vol:a", connector=host_connector(), version=ATTACHMENTS),
        show("att:a", version=ATTACHMENTS),
        complete("att:a", "vol:a", version=ATTACHMENTS),
        show("att:a"),
        get(VOL + "/{vol:a}", caller="member"),
        # Another server's attach of the in-use volume: Cinder's refusal Nova reports.
        create("vol:a", "att:x", server=2, version=ATTACHMENTS, name="in use elsewhere"),
        *nova_detach("vol:a", "att:a"),
        get(VOL + "/{vol:a}", caller="nova"),
        show("att:a"),
    ], volumes={"vol:a": None}),
    Scenario("Nova's os-volume_attachments: multiattach to two servers", [
        *nova_attach("vol:m", "att:1", server=1),
        *nova_attach("vol:m", "att:2", server=2, device="/dev/vdc"),
        get(ATT + "/detail?volume_id={vol:m}", caller="nova"),
        *nova_detach("vol:m", "att:1"),
        get(VOL + "/{vol:m}", caller="nova"),
        *nova_detach("vol:m", "att:2"),
        get(VOL + "/{vol:m}", caller="nova"),
    ], volumes={"vol:m": "multiattach"}),
    Scenario("Nova's os-volume_attachments: the Cinder half of a swap", [
        *nova_attach("vol:old", "att:o"),
        reset("vol:old", {"migration_status": "migrating"}),
        act("vol:old", "os-begin_detaching", version=ACTIONS, name="migrating: ignored"),
        *nova_attach("vol:new", "att:n"),
        delete("att:o", "vol:old", version=ATTACHMENTS),
        get(VOL + "/{vol:old}", caller="admin"),
        get(VOL + "/{vol:new}", caller="admin"),
        # Not a migration Cinder started: the completion Nova asks for is refused.
        act("vol:old", "os-migrate_volume_completion", {"new_volume": "{vol:new}"},
            caller="admin"),
    ], volumes={"vol:old": None, "vol:new": None}),
    Scenario("Nova's os-volume_attachments: a shelved-offloaded server (no host)", [
        create("vol:a", "att:a", version=ATTACHMENTS),
        complete("att:a", "vol:a", version=ATTACHMENTS),
        get(VOL + "/{vol:a}", caller="nova"),
        show("att:a", version=ATTACHMENTS),
        delete("att:a", "vol:a", version=ATTACHMENTS),
        get(VOL + "/{vol:a}", caller="nova"),
    ], volumes={"vol:a": None}),
]
