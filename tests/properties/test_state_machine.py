"""A hypothesis state machine over the HTTP API: random sequences of volume and attachment
operations by members and admins of several projects, on multiattach and ordinary volumes.

The model predicts each call's status and the volume status from BEHAVIOR.md §3; after
every step ``check_invariants`` asks the API whether the state is still one Cinder could
be in (and round-trips it through dump/load).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path
from tests.properties.proof_invariants import (
    PROJECTS,
    check_invariants,
    derived_status,
    flask_api,
    headers,
    other,
)

INSTANCES = ("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
             "33333333-3333-4333-8333-333333333333", None)
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:proof", "host": "compute-1",
             "ip": "192.0.2.10", "platform": "x86_64", "os_type": "linux", "multipath": False}
# Who acts on a project's resource: its member or admin, or the other project's (owners
# twice as often, so that sequences get somewhere).
ACTORS = ("owner_member", "owner_member", "owner_admin", "other_member", "other_admin")


@dataclass
class ModelVolume:
    project: str
    multiattach: bool
    status: str = "available"
    attachments: list[str] = field(default_factory=list)


@dataclass
class ModelAttachment:
    volume: str
    instance: str | None
    status: str
    connected: bool  # has connection_info


def _actor_headers(project: str, actor: str) -> dict[str, str]:
    owner = actor.startswith("owner")
    return headers(project if owner else other(project),
                   "admin" if actor.endswith("admin") else "member")


def _prefix(hdrs: dict[str, str], scoped: bool) -> str:
    return f"/v3/{hdrs['X-Project-Id']}" if scoped else "/v3"


VOLUME_QUOTA = 10
# The default fixture's volumes per project (they count against the quota too).
FIXTURE_VOLUMES = {"demo": 3}


class AttachmentMachine(RuleBasedStateMachine):
    volumes = Bundle("volumes")
    attachments = Bundle("attachments")

    def __init__(self) -> None:
        super().__init__()
        self.fake = FakeCinder(fixture_path("default.json"), seed=7)
        self.api = flask_api(self.fake)
        self.model_volumes: dict[str, ModelVolume] = {}
        self.model_attachments: dict[str, ModelAttachment] = {}
        self.deleted: list[str] = []

    # -- volumes --------------------------------------------------------------------------------
    @initialize(target=volumes)
    def shared_volume(self) -> str:
        """Every run starts with a multiattach volume, where attachments pile up."""
        return self.create_volume(PROJECTS[0], multiattach=True, role="member", scoped=True)

    @rule(target=volumes, project=st.sampled_from(PROJECTS), multiattach=st.booleans(),
          role=st.sampled_from(("member", "admin")), scoped=st.booleans())
    def create_volume(self, project: str, multiattach: bool, role: str, scoped: bool) -> object:
        body = {"volume": {"size": 1, "name": "proof"}}
        if multiattach:
            body["volume"]["volume_type"] = "multiattach"
        hdrs = headers(project, role)
        created = self.api.call("POST", f"{_prefix(hdrs, scoped)}/volumes", hdrs, body)
        owned = sum(1 for v in self.model_volumes.values() if v.project == project)
        if owned + FIXTURE_VOLUMES.get(project, 0) >= VOLUME_QUOTA:
            # Cinder's default quota of 10 volumes per project.
            assert created.status == 413, created
            assert created.body["overLimit"]["message"] == (
                f"VolumeLimitExceeded: Maximum number of volumes allowed ({VOLUME_QUOTA}) "
                "exceeded for quota 'volumes'.")
            return multiple()
        assert created.status == 202, created
        volume = created.body["volume"]
        # The 202 says "creating", as Cinder's does; the fake's volume is available at once.
        assert volume["multiattach"] is multiattach and volume["status"] == "creating"
        self.model_volumes[volume["id"]] = ModelVolume(project, multiattach)
        return volume["id"]

    @rule(target=volumes, volume_id=consumes(volumes), actor=st.sampled_from(ACTORS))
    def delete_volume(self, volume_id: str, actor: str) -> object:
        model = self.model_volumes[volume_id]
        hdrs = _actor_headers(model.project, actor)
        result = self.api.call("DELETE", f"/v3/volumes/{volume_id}", hdrs)
        if actor == "other_member":
            assert result.status == 404, result
        elif model.attachments:
            assert result.status == 400 and "badRequest" in result.body, result
        else:
            assert result.status == 202, result
            del self.model_volumes[volume_id]
            return multiple()
        return multiple(volume_id)  # still there: back into the bundle

    # -- attachments ----------------------------------------------------------------------------
    def _may_reserve(self, volume: ModelVolume, instance: str | None) -> bool:
        """Cinder's reserve rule, with its same-instance override (BEHAVIOR.md §3)."""
        allowed = ("available", "in-use") if volume.multiattach else ("available",)
        if volume.status in allowed:
            return True
        return bool(instance) and volume.status in ("in-use", "reserved") and any(
            self.model_attachments[a].instance == instance for a in volume.attachments)

    @rule(target=attachments, volume_id=volumes, instance=st.sampled_from(INSTANCES),
          connect=st.booleans(), actor=st.sampled_from(ACTORS), scoped=st.booleans())
    def create_attachment(self, volume_id: str, instance: str | None, connect: bool,
                          actor: str, scoped: bool) -> object:
        volume = self.model_volumes[volume_id]
        hdrs = _actor_headers(volume.project, actor)
        body: dict = {"volume_uuid": volume_id}
        if instance is not None:
            body["instance_uuid"] = instance
        if connect:
            body["connector"] = CONNECTOR
        result = self.api.call("POST", f"{_prefix(hdrs, scoped)}/attachments", hdrs,
                               {"attachment": body})
        if actor == "other_member":
            assert result.status == 404 and "itemNotFound" in result.body, result
            return multiple()
        if not self._may_reserve(volume, instance):
            assert result.status == 400 and "badRequest" in result.body, result
            return multiple()
        assert result.status == 200, result
        attachment = result.body["attachment"]
        assert attachment["status"] == "reserved"  # Cinder's stale response, even connected
        assert bool(attachment["connection_info"]) is connect
        same_instance_again = volume.status not in (
            ("available", "in-use") if volume.multiattach else ("available",))
        if connect:
            volume.status = "attaching"
        elif not same_instance_again:
            volume.status = "reserved"
        volume.attachments.append(attachment["id"])
        self.model_attachments[attachment["id"]] = ModelAttachment(
            volume_id, instance, "attaching" if connect else "reserved", connect)
        return attachment["id"]

    @rule(target=attachments, volume_id=volumes, instance=st.sampled_from(INSTANCES))
    def attach_like_nova(self, volume_id: str, instance: str | None) -> object:
        """Nova's whole attach (create with connector, then complete): gets runs to
        volumes with several attached attachments sooner."""
        created = self.create_attachment(volume_id, instance, True, "owner_member", False)
        if isinstance(created, str):
            self.complete_attachment(created, "owner_member", True)
        return created

    @rule(attachment_id=attachments, actor=st.sampled_from(ACTORS), scoped=st.booleans())
    def update_attachment(self, attachment_id: str, actor: str, scoped: bool) -> None:
        model = self.model_attachments.get(attachment_id)
        if model is None:
            return
        volume = self.model_volumes[model.volume]
        hdrs = _actor_headers(volume.project, actor)
        result = self.api.call("PUT", f"{_prefix(hdrs, scoped)}/attachments/{attachment_id}",
                               hdrs, {"attachment": {"connector": CONNECTOR}})
        if actor == "other_member":
            assert result.status == 404, result
            return
        siblings = [self.model_attachments[a] for a in volume.attachments]
        if (len(siblings) > 1 and not volume.multiattach
                and any(s.connected for s in siblings)):
            assert result.status == 409 and "conflictingRequest" in result.body, result
            return
        assert result.status == 200, result
        assert result.body["attachment"]["status"] == model.status  # stale
        assert result.body["attachment"]["connection_info"]["attachment_id"] == attachment_id
        model.status, model.connected = "attaching", True
        volume.status = "attaching"

    @rule(attachment_id=attachments, actor=st.sampled_from(ACTORS), scoped=st.booleans())
    def complete_attachment(self, attachment_id: str, actor: str, scoped: bool) -> None:
        model = self.model_attachments.get(attachment_id)
        if model is None:
            return
        volume = self.model_volumes[model.volume]
        hdrs = _actor_headers(volume.project, actor)
        result = self.api.call(
            "POST", f"{_prefix(hdrs, scoped)}/attachments/{attachment_id}/action", hdrs,
            {"os-complete": None})
        if actor == "other_member":
            assert result.status == 404, result
            return
        assert result.status == 204, result
        model.status = "attached"
        volume.status = "in-use"

    @rule(target=attachments, attachment_id=consumes(attachments),
          actor=st.sampled_from((*ACTORS, "nova")), scoped=st.booleans())
    def delete_attachment(self, attachment_id: str, actor: str, scoped: bool) -> object:
        model = self.model_attachments.get(attachment_id)
        if model is None:
            return multiple()
        volume = self.model_volumes[model.volume]
        hdrs = (headers(volume.project, service=True) if actor == "nova"
                else _actor_headers(volume.project, actor))
        result = self.api.call("DELETE", f"{_prefix(hdrs, scoped)}/attachments/{attachment_id}",
                               hdrs)
        if actor == "other_member":
            assert result.status == 404, result
            return multiple(attachment_id)
        # Nova's block device mapping names the newest connected attachment of the
        # instance on the volume: only that one is protected.
        connected_same = [a for a in volume.attachments
                          if self.model_attachments[a].instance == model.instance
                          and self.model_attachments[a].connected]
        if (model.instance and model.connected and actor != "nova"
                and connected_same[-1] == attachment_id):
            assert result.status == 409 and "conflictingRequest" in result.body, result
            return multiple(attachment_id)
        assert result.status == 200, result
        volume.attachments.remove(attachment_id)
        del self.model_attachments[attachment_id]
        self.deleted.append(attachment_id)
        assert [a["id"] for a in result.body["attachments"]] == volume.attachments
        volume.status = derived_status(self.model_attachments[a].status
                                       for a in volume.attachments)
        return multiple()

    # -- after every step ---------------------------------------------------------------------
    @invariant()
    def model_agrees(self) -> None:
        admin = headers(PROJECTS[0], "admin")
        for volume_id, model in self.model_volumes.items():
            shown = self.api.call("GET", f"/v3/volumes/{volume_id}", admin)
            assert shown.status == 200 and shown.body["volume"]["status"] == model.status, (
                shown, model)
        for attachment_id, model in self.model_attachments.items():
            shown = self.api.call("GET", f"/v3/attachments/{attachment_id}", admin)
            assert shown.body["attachment"]["status"] == model.status, (shown, model)

    @invariant()
    def cinder_invariants(self) -> None:
        check_invariants(self.api, self.fake, expected_volumes={
            v: m.project for v, m in self.model_volumes.items()}, deleted=self.deleted[-5:])


# PROPERTY_EXAMPLES raises the number of sequences (make test runs 20 of up to 25 steps).
AttachmentMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "20")), stateful_step_count=25,
    deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow])
TestAttachmentMachine = AttachmentMachine.TestCase


def test_delete_recomputes_the_volume_from_what_remains() -> None:
    """The sequence the random runs reach only sometimes: a multiattach volume with an
    attached and a reserved attachment left after a delete is in-use (attached wins)."""
    machine = AttachmentMachine()
    volume = machine.shared_volume()
    first = machine.attach_like_nova(volume, None)
    machine.attach_like_nova(volume, INSTANCES[0])
    machine.create_attachment(volume, INSTANCES[1], False, "owner_member", False)
    assert machine.model_volumes[volume].status == "reserved"
    machine.delete_attachment(first, "owner_member", False)
    assert machine.model_volumes[volume].status == "in-use"
    machine.model_agrees()
    machine.cinder_invariants()
    machine.teardown()
