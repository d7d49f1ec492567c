"""The seeded random walk: one random sequence of mixed operations, replayed in lockstep.

Every step is one request sent to both servers and compared; when it touched a volume,
that volume's stored state (an admin's show at 3.71) is compared too. The walk's choices
depend only on the seed and on Cinder's answers (the reference), never on the fake's.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator

from .engine import Step
from .scenarios import ATT, CONNECTOR, VOL

VERSIONS = ["3.27", "3.44", "3.54", "3.71", "latest", "3.48", "3.26", None]
VERSION_WEIGHTS = [10, 10, 12, 20, 6, 4, 2, 1]
CALLERS = ["nova", "member", "admin", "noauth", "other", "other_admin", "reader", "norole"]
CALLER_WEIGHTS = [30, 15, 10, 8, 6, 4, 3, 3]
RESET_STATUSES = ["available", "error", "in-use", "reserved", "attaching", "error_deleting",
                  "maintenance", "deleting"]


class Walk:
    """Chooses the steps. ``observe`` tells it what Cinder answered to the last one."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.volumes: list[str] = []  # labels of volumes (deleted ones stay)
        self.attachments: dict[str, str] = {}  # attachment label -> volume label
        self.snapshots: list[str] = []  # labels of snapshots (deleted ones stay)
        # transfer label -> (its auth key's label, its volume's label)
        self.transfers: dict[str, tuple[str, str]] = {}
        self.queued: list[Step] = []  # steps an operation asked to send next
        self.counter = 0

    def _label(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}:w{self.counter}"

    def _version(self, minimum: str | None = None) -> str | None:
        return self.rng.choices(VERSIONS, VERSION_WEIGHTS)[0]

    def _caller(self) -> str:
        return self.rng.choices(CALLERS, CALLER_WEIGHTS)[0]

    def _connector(self) -> dict | None:
        roll = self.rng.random()
        if roll < 0.45:
            return None
        if roll < 0.9:
            host = f"compute-{self.rng.randint(1, 3)}"
            return {**CONNECTOR, "host": host, "multipath": self.rng.random() < 0.3}
        if roll < 0.95:
            return {"host": "compute-1"}
        return {}

    def _volume(self) -> str:
        if not self.volumes or self.rng.random() < 0.03:
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return self.rng.choice(self.volumes)

    def _attachment(self) -> str | None:
        if not self.attachments:
            return None
        if self.rng.random() < 0.03:
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return self.rng.choice(list(self.attachments))

    @staticmethod
    def _ref(label: str) -> str:
        return "{" + label + "}" if ":" in label else label

    # -- operations ---------------------------------------------------------------------
    @staticmethod
    def quota_update() -> Step:
        """First step: the walk's project gets unlimited volumes, snapshots and gigabytes on
        both servers alike (Cinder's defaults, 10 volumes, would end a long walk), through
        the quota API itself, compared as any step."""
        return Step("PUT", "/v3/{project}/os-quota-sets/{project}", caller="admin",
                    body={"quota_set": {"volumes": -1, "snapshots": -1, "gigabytes": -1}},
                    name="quota_update")

    def volume_create(self) -> Step:
        label = self._label("vol")
        self.volumes.append(label)
        body: dict = {"size": self.rng.randint(1, 3), "name": label}
        if self.rng.random() < 0.4:
            body["volume_type"] = "multiattach"
        return Step("POST", VOL, caller=self.rng.choice(["member", "admin", "nova"]),
                    version=self.rng.choice(["3.0", "3.48", "3.71"]),
                    body={"volume": body}, save=label, check=label, name="volume_create")

    def attachment_create(self) -> Step:
        volume = self._volume()
        label = self._label("att")
        self.attachments[label] = volume
        attachment: dict = {"volume_uuid": self._ref(volume)}
        if self.rng.random() < 0.9:
            attachment["instance_uuid"] = f"{{server:{self.rng.randint(1, 4)}}}"
        connector = self._connector()
        if connector is not None and "initiator" not in connector:
            # Cinder keeps the reservation of a create whose connector its driver refuses
            # (a departure, see departures.py): the walk sends those to updates only.
            connector = None
        if connector is not None or self.rng.random() < 0.2:
            attachment["connector"] = connector
        version = self._version()
        if version in ("3.54", "3.71", "latest") and self.rng.random() < 0.3:
            attachment["mode"] = self.rng.choice(["ro", "rw"])
        return Step("POST", ATT, caller=self._caller(), version=version,
                    body={"attachment": attachment}, save=label,
                    check=volume if ":" in volume else None, name="attachment_create")

    def _on_attachment(self, name: str, method: str, suffix: str = "",
                       body: object = None) -> Step | None:
        label = self._attachment()
        if label is None:
            return None
        volume = self.attachments.get(label)
        step = Step(method, ATT + "/" + self._ref(label) + suffix, caller=self._caller(),
                    version=self._version(), check=volume if volume and ":" in volume else None,
                    name=name)
        if body is not None:
            step.body = body
        return step

    def attachment_update(self) -> Step | None:
        connector = self._connector() or {**CONNECTOR}
        return self._on_attachment("attachment_update", "PUT",
                                   body={"attachment": {"connector": connector}})

    def attachment_complete(self) -> Step | None:
        return self._on_attachment("attachment_complete", "POST", "/action",
                                   body={"os-complete": None})

    def attachment_delete(self) -> Step | None:
        return self._on_attachment("attachment_delete", "DELETE")

    def attachment_show(self) -> Step | None:
        step = self._on_attachment("attachment_show", "GET")
        if step is not None:
            step.check = None
        return step

    def attachment_list(self) -> Step:
        params = []
        rng = self.rng
        scoped = rng.random() < 0.3 and self.volumes
        if scoped:
            params.append(f"volume_id={self._ref(rng.choice(self.volumes))}")
        if rng.random() < 0.2:
            params.append(f"instance_id={{server:{rng.randint(1, 4)}}}")
        if rng.random() < 0.15:
            params.append("attach_status=" + rng.choice(["reserved", "attaching", "attached"]))
        if rng.random() < 0.2:
            params.append(f"limit={rng.randint(0, 4)}")
        if rng.random() < 0.1 and self.attachments:
            params.append(f"marker={self._ref(rng.choice(list(self.attachments)))}")
        if rng.random() < 0.05:
            params.append(f"offset={rng.randint(0, 3)}")
        if rng.random() < 0.15:
            # Only orders that do not depend on the ids each server made up.
            params.append("sort=" + rng.choice(["created_at:asc", "created_at",
                                                 "created_at:desc"]))
        if scoped and rng.random() < 0.2:
            # all_tenants lists every project's (the scenarios' too): scoped to a volume.
            params.append("all_tenants=1")
        if rng.random() < 0.03:
            params.append("foo=bar")
        path = ATT + ("/detail" if rng.random() < 0.5 else "")
        if params:
            path += "?" + "&".join(params)
        return Step("GET", path, caller=self._caller(), version=self._version(),
                    name="attachment_list")

    def volume_show(self) -> Step:
        volume = self._volume()
        return Step("GET", VOL + "/" + self._ref(volume), caller=self._caller(),
                    version=self.rng.choice(["3.0", "3.47", "3.48", "3.60", "3.71"]),
                    name="volume_show")

    def volume_list(self) -> Step:
        path = VOL + self.rng.choice(["", "/detail"])
        params = []
        if self.rng.random() < 0.3:
            params.append("status=" + self.rng.choice(["available", "in-use", "reserved"]))
        if self.rng.random() < 0.3:
            params.append(f"limit={self.rng.randint(1, 3)}")
        if self.rng.random() < 0.2 and self.volumes:
            params.append(f"marker={self._ref(self.rng.choice(self.volumes))}")
        if params:
            path += "?" + "&".join(params)
        return Step("GET", path, caller=self.rng.choice(["member", "admin", "nova"]),
                    version=self.rng.choice(["3.0", "3.48", "3.71"]), name="volume_list")

    def volume_delete(self) -> Step | None:
        if len(self.volumes) < 4:
            return None
        volume = self._volume()
        return Step("DELETE", VOL + "/" + self._ref(volume),
                    caller=self.rng.choice(["member", "admin", "other"]),
                    version=self.rng.choice(["3.0", "3.71"]),
                    check=volume if ":" in volume else None, name="volume_delete")

    def volume_reset_status(self) -> Step:
        volume = self._volume()
        body: dict = {"status": self.rng.choice(RESET_STATUSES)}
        if self.rng.random() < 0.3:
            body["attach_status"] = self.rng.choice(["attached", "detached"])
        return Step("POST", VOL + "/" + self._ref(volume) + "/action",
                    caller=self.rng.choice(["admin", "admin", "member"]),
                    version=self.rng.choice(["3.0", "3.71"]),
                    body={"os-reset_status": body}, check=volume if ":" in volume else None,
                    name="volume_reset_status")

    # -- issue 12: volume actions, snapshots, limits -------------------------------------
    def _volume_action(self, name: str, action: str, body: object = None,
                       callers: tuple[str, ...] = ("nova", "nova", "member", "admin",
                                                   "reader", "other", "norole")) -> Step:
        volume = self._volume()
        return Step("POST", VOL + "/" + self._ref(volume) + "/action",
                    caller=self.rng.choice(callers), version=self._version(),
                    body={action: body}, check=volume if ":" in volume else None, name=name)

    def volume_begin_detaching(self) -> Step:
        return self._volume_action("volume_begin_detaching", "os-begin_detaching")

    def volume_roll_detaching(self) -> Step:
        return self._volume_action("volume_roll_detaching", "os-roll_detaching")

    def volume_reserve(self) -> Step:
        return self._volume_action("volume_reserve", "os-reserve")

    def volume_unreserve(self) -> Step:
        return self._volume_action("volume_unreserve", "os-unreserve")

    def volume_initialize_connection(self) -> Step:
        connector = {**CONNECTOR, "host": f"compute-{self.rng.randint(1, 3)}"}
        return self._volume_action("volume_initialize_connection",
                                   "os-initialize_connection", {"connector": connector})

    def volume_terminate_connection(self) -> Step:
        return self._volume_action("volume_terminate_connection", "os-terminate_connection",
                                   {"connector": CONNECTOR})

    def volume_attach(self) -> Step:
        """The legacy os-attach (after os-reserve, or not)."""
        body: dict = {"mountpoint": "/dev/vdb"}
        if self.rng.random() < 0.9:
            body["instance_uuid"] = f"{{server:{self.rng.randint(1, 4)}}}"
        else:
            body["host_name"] = f"compute-{self.rng.randint(1, 3)}"
        if self.rng.random() < 0.5:
            body["mode"] = self.rng.choice(["rw", "rw", "ro"])
        return self._volume_action("volume_attach", "os-attach", body)

    def volume_detach(self) -> Step:
        label = self._attachment() if self.rng.random() < 0.6 else None
        body = {"attachment_id": self._ref(label)} if label else {}
        return self._volume_action("volume_detach", "os-detach", body)

    def volume_extend(self) -> Step:
        return self._volume_action("volume_extend", "os-extend",
                                   {"new_size": self.rng.randint(1, 5)})

    def snapshot_create(self) -> Step:
        volume = self._volume()
        label = self._label("snap")
        self.snapshots.append(label)
        body: dict = {"volume_id": self._ref(volume), "name": label}
        if self.rng.random() < 0.4:
            body["force"] = self.rng.choice([True, False])
        return Step("POST", "/v3/{project}/snapshots",
                    caller=self.rng.choice(["member", "member", "nova", "admin", "reader",
                                            "norole"]),
                    version=self.rng.choice(["3.0", "3.65", "3.66", "3.71"]),
                    body={"snapshot": body}, save=label, check=label, name="snapshot_create")

    def snapshot_delete(self) -> Step | None:
        if not self.snapshots:
            return None
        label = self.rng.choice(self.snapshots)
        return Step("DELETE", "/v3/{project}/snapshots/" + self._ref(label),
                    caller=self.rng.choice(["member", "admin", "other", "reader"]),
                    version=self.rng.choice(["3.0", "3.71"]), check=label,
                    name="snapshot_delete")

    def limits_show(self) -> Step:
        return Step("GET", "/v3/{project}/limits",
                    caller=self.rng.choice(["member", "admin", "norole"]),
                    version=self.rng.choice(["3.0", "3.39", "3.71"]), name="limits_show")

    def service_disable(self) -> Step:
        """The spare backend's service: disabled (with or without a reason), frozen, thawed
        (which enables it again), or listed; Cinder 29's enable and disable change nothing."""
        action = self.rng.choice(["disable-log-reason", "disable-log-reason", "freeze",
                                  "thaw", "thaw", "disable", "enable", None])
        caller = self.rng.choices(["admin", "member"], [9, 1])[0]
        if action is None:
            return Step("GET", "/v3/{project}/os-services?host=conformance@spare",
                        caller=caller, version=self.rng.choice(["3.0", "3.49", "3.71"]),
                        name="service_list")
        body: dict = {"host": "conformance@spare"}
        if action in ("disable-log-reason", "disable", "enable"):
            body["binary"] = "cinder-volume"
        if action == "disable-log-reason" and self.rng.random() < 0.5:
            body["disabled_reason"] = f"walk {self.counter}"
        return Step("PUT", "/v3/{project}/os-services/" + action, caller=caller, body=body,
                    version=self.rng.choice(["3.0", "3.26", "3.71"]),
                    name=f"service_{action.replace('-', '_')}")
    # -- issue 20, types: retype, type access, QoS association ---------------------------
    WALK_TYPES = ("gold", "silver", "private")
    WALK_QOS = ("front", "back")

    def types_setup(self) -> list[Step]:
        """Types and QoS specs of this walk (names unique per seed: Cinder's are global)."""
        steps = [Step("POST", "/v3/{project}/types", caller="admin", save=f"type:w{name}",
                      body={"volume_type": {"name": f"walk{self.seed}-{name}", **fields}},
                      name="volume_type_create")
                 for name, fields in (
                     ("gold", {}), ("silver", {"extra_specs": {"multiattach": "<is> True"}}),
                     ("private", {"os-volume-type-access:is_public": False}))]
        steps += [Step("POST", "/v3/{project}/qos-specs", caller="admin", save=f"qos:w{name}",
                       body={"qos_specs": {"name": f"walk{self.seed}-{name}",
                                           "consumer": f"{name}-end", "iops": "100"}},
                       name="qos_specs_create") for name in self.WALK_QOS]
        return steps

    def volume_retype(self) -> Step:
        new_type = self.rng.choice([*(f"{{type:w{t}}}" for t in self.WALK_TYPES),
                                    f"walk{self.seed}-gold", "multiattach"])
        body: dict = {"new_type": new_type}
        if self.rng.random() < 0.6:
            body["migration_policy"] = self.rng.choice(["never", "on-demand"])
        return self._volume_action("volume_retype", "os-retype", body,
                                   callers=("member", "member", "admin", "reader", "other"))

    def type_access(self) -> Step:
        action = self.rng.choice(["addProjectAccess", "removeProjectAccess"])
        project = self.rng.choice(["{project}", "{other_project}"])
        target = self.rng.choice(["{type:wprivate}", "{type:wprivate}", "{type:wgold}"])
        return Step("POST", "/v3/{project}/types/" + target + "/action",
                    caller=self.rng.choice(["admin", "admin", "admin", "member"]),
                    version=self._version(), body={action: {"project": project}},
                    name="volume_type_access")

    def qos_association(self) -> Step:
        qos = self.rng.choice(self.WALK_QOS)
        kind = self.rng.choice(["associate", "associate", "disassociate", "disassociate_all",
                                "associations"])
        path = f"/v3/{{project}}/qos-specs/{{qos:w{qos}}}/{kind}"
        if kind in ("associate", "disassociate"):
            path += f"?vol_type_id={{type:w{self.rng.choice(self.WALK_TYPES)}}}"
        return Step("GET", path, caller=self.rng.choice(["admin", "admin", "admin", "member"]),
                    version=self._version(), name="qos_specs_" + kind)

    def type_list(self) -> Step:
        return Step("GET", "/v3/{project}/types",
                    caller=self.rng.choice(["member", "admin", "other", "reader"]),
                    version=self._version(), name="volume_type_list")
    # -- issue 19: metadata and transfers ------------------------------------------------
    def volume_metadata_set(self) -> Step:
        volume = self._volume()
        keys = self.rng.sample(["k1", "k2", "k3"], self.rng.randint(1, 2))
        metadata = {key: f"v{self.rng.randint(1, 3)}" for key in keys}
        method = self.rng.choice(["POST", "POST", "PUT"])
        return Step(method, VOL + "/" + self._ref(volume) + "/metadata",
                    caller=self.rng.choice(["member", "member", "admin", "reader", "other"]),
                    version=self.rng.choice(["3.0", "3.15", "3.71"]),
                    body={"metadata": metadata}, check=volume if ":" in volume else None,
                    name="volume_metadata_set")

    def volume_metadata_delete(self) -> Step:
        volume = self._volume()
        return Step("DELETE", VOL + "/" + self._ref(volume) + "/metadata/"
                    + self.rng.choice(["k1", "k2", "k3"]),
                    caller=self.rng.choice(["member", "member", "admin", "reader"]),
                    version=self.rng.choice(["3.0", "3.71"]),
                    check=volume if ":" in volume else None, name="volume_metadata_delete")

    def transfer_create(self) -> Step:
        """An offer (its auth key saved), then the newest transfer's id (saved too)."""
        volume = self._volume()
        self.counter += 1
        label, key = f"tr:w{self.counter}", f"key:w{self.counter}"
        self.transfers[label] = (key, volume)
        route = self.rng.choice(["os-volume-transfer", "volume-transfers"])
        self.queued.append(Step("GET", "/v3/{project}/volume-transfers?limit=1",
                                caller="member", version="3.71", save=label,
                                save_from="transfers.0.id", name="transfer_list"))
        return Step("POST", "/v3/{project}/" + route, caller=self.rng.choice(
                        ["member", "member", "admin", "reader"]),
                    version=self.rng.choice(["3.0", "3.55", "3.71"]),
                    body={"transfer": {"volume_id": self._ref(volume)}}, save=key,
                    save_from="transfer.auth_key", check=volume if ":" in volume else None,
                    name="transfer_create")

    def transfer_accept(self) -> Step | None:
        if not self.transfers:
            return None
        label = self.rng.choice(list(self.transfers))
        key, volume = self.transfers[label]
        auth_key = "{" + key + "}" if self.rng.random() < 0.85 else "0123456789abcdef"
        return Step("POST", "/v3/{other_project}/os-volume-transfer/{" + label + "}/accept",
                    caller="other", version=self.rng.choice(["3.0", "3.71"]),
                    body={"accept": {"auth_key": auth_key}},
                    check=volume if ":" in volume else None, name="transfer_accept")

    def transfer_delete(self) -> Step | None:
        if not self.transfers:
            return None
        label = self.rng.choice(list(self.transfers))
        _key, volume = self.transfers[label]
        return Step("DELETE", "/v3/{project}/volume-transfers/{" + label + "}",
                    caller=self.rng.choice(["member", "member", "reader"]),
                    version="3.71", check=volume if ":" in volume else None,
                    name="transfer_delete")

    # -- issue 20: a group's volumes -------------------------------------------------------
    @staticmethod
    def group_type_create() -> Step:
        """Group types are global: later walks of a run get Cinder's 409, alike."""
        return Step("POST", "/v3/{project}/group_types", caller="admin",
                    body={"group_type": {"name": "walk-group-type"}}, name="group_type_create")

    @staticmethod
    def group_create() -> Step:
        return Step("POST", "/v3/{project}/groups", caller="member",
                    body={"group": {"group_type": "walk-group-type", "name": "walk",
                                    # One type: Cinder lists a group's types by id,
                                    # which differ between the two servers.
                                    "volume_types": ["__DEFAULT__"]}},
                    save="grp:walk", check="grp:walk", name="group_create")

    def group_update(self) -> Step:
        """Add a volume to the walk's group, or remove one (Cinder's checks either way)."""
        volume = self._ref(self._volume())
        key = self.rng.choice(["add_volumes", "add_volumes", "remove_volumes"])
        return Step("PUT", "/v3/{project}/groups/{grp:walk}",
                    caller=self.rng.choice(["member", "member", "admin", "reader"]),
                    version=self.rng.choice(["3.13", "3.71"]), body={"group": {key: volume}},
                    check="grp:walk", name="group_update")

    def steps(self, count: int) -> Iterator[Step]:
        operations: list[tuple[Callable[[], Step | None], int]] = [
            (self.attachment_create, 22), (self.attachment_update, 12),
            (self.attachment_complete, 12), (self.attachment_delete, 12),
            (self.attachment_show, 8), (self.attachment_list, 8), (self.volume_show, 6),
            (self.volume_list, 3), (self.volume_delete, 2), (self.volume_reset_status, 5),
            (self.volume_create, 5),
            (self.volume_begin_detaching, 3), (self.volume_roll_detaching, 2),
            (self.volume_reserve, 2), (self.volume_unreserve, 2), (self.volume_attach, 3),
            (self.volume_detach, 3), (self.volume_initialize_connection, 1),
            (self.volume_terminate_connection, 1), (self.volume_extend, 1),
            (self.snapshot_create, 3), (self.snapshot_delete, 2), (self.limits_show, 1),
            (self.volume_retype, 3), (self.type_access, 1), (self.qos_association, 1),
            (self.type_list, 1),
            (self.volume_metadata_set, 2), (self.volume_metadata_delete, 1),
            (self.transfer_create, 1), (self.transfer_accept, 1), (self.transfer_delete, 1),
            (self.service_disable, 1), (self.group_update, 2)]
        functions = [f for f, _ in operations]
        weights = [w for _, w in operations]
        yield self.quota_update()
        setup = self.types_setup()
        yield from setup
        for _ in range(3):
            yield self.volume_create()
        yield self.group_type_create()
        yield self.group_create()
        produced = 6 + len(setup)
        while produced < count:
            step = (self.queued.pop(0) if self.queued
                    else self.rng.choices(functions, weights)[0]())
            if step is not None:
                produced += 1
                yield step
