"""Scenarios of Cinder 29's policies (issue 18): every policy the fake serves, asked by
each persona.

The personas (``engine.callers``): a project's ``reader``, ``member`` and ``admin``, Nova
(a member with a service token's ``service`` role), a caller with ``norole`` on the
project, and a member of another project (``other``, who calls through its own project's
URL). Callers the policy refuses go first, so each write is refused before anyone changes
the record; then the member, Nova and the admin, each on a record of their own where the
write consumes it. Each persona's answer is compared, 403s with their policy names.
"""

from __future__ import annotations

from collections.abc import Callable

from .engine import NO_BODY, Step
from .scenarios import CONNECTOR, Scenario, get

IMAGE = "3e1a8f0c-5b7d-4a2e-9c61-7d2f4b8e0a15"
REFUSED_FIRST = ("norole", "reader", "other")  # no write of theirs passes a member's rule
WRITERS = ("member", "nova", "admin")
PERSONAS = REFUSED_FIRST + WRITERS


def base(caller: str) -> str:
    """The URL prefix a caller uses: its own project's."""
    return "/v3/{other_project}" if caller.startswith("other") else "/v3/{project}"


def each(make: Callable[[str], Step], personas: tuple[str, ...] = PERSONAS) -> list[Step]:
    return [make(caller) for caller in personas]


def reads(path: str, version: str = "3.71") -> list[Step]:
    """GET ``path`` (after the project) as every persona."""
    return each(lambda caller: get(base(caller) + path, caller=caller, version=version))


def write(method: str, path: str, body: object = NO_BODY, *, version: str = "3.71",
          check: str | None = None, mine: str = "", personas: tuple[str, ...] = PERSONAS,
          settle: bool = True) -> list[Step]:
    """``method path`` as every persona. ``{mine}`` in the path or body is the label of
    the caller's own record (``mine`` + ``:member``...) for a writer, the member's for
    the refused ones (refused before anything changes); ``{caller}`` is the persona's
    name. ``check="mine"`` compares that record after the step."""
    def make(caller: str) -> Step:
        owner = caller if caller in WRITERS else "member"
        label = f"{mine}:{owner}" if mine else ""

        def fill(text: str) -> str:
            return text.replace("{mine}", "{" + label + "}").replace("{caller}", caller)

        return Step(method, base(caller) + fill(path), caller=caller, version=version,
                    body=_fill(body, fill), check=label if check == "mine" else check,
                    settle=settle)
    return each(make, personas)


def _fill(value: object, fill: Callable[[str], str]) -> object:
    if isinstance(value, str):
        return fill(value)
    if isinstance(value, dict):
        return {k: _fill(v, fill) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, fill) for v in value]
    return value


def action(path: str, name: str, body: object, **kw: object) -> list[Step]:
    """POST ``path``/action ``{name: body}`` as every persona."""
    return write("POST", path + "/action", {name: body}, **kw)  # type: ignore[arg-type]


def creates(path: str, body: dict, label: str, *, check: bool = True, mine: str = "vol",
            version: str = "3.71") -> list[Step]:
    """A create as every persona (``{mine}``: the caller's volume); a writer's record is
    saved as ``label:<caller>``."""
    steps = write("POST", path, body, version=version, mine=mine)
    for step in steps:
        if step.caller in WRITERS:
            step.save = f"{label}:{step.caller}"
            step.check = step.save if check else None
    return steps


OWN_VOLUMES = {f"vol:{caller}": None for caller in WRITERS}
VOL = "/volumes"
ATT = "/attachments"
SNAP = "/snapshots"
QUOTA = "/os-quota-sets"
ENC = "/types/{type:policy-luks}/encryption"

POLICY_CATALOGUE: list[Scenario] = [
    Scenario("policy: attachments", [
        # volume:attachment_create (after the volume is found: other gets its 404)
        *creates(ATT, {"attachment": {"volume_uuid": "{mine}"}}, "att", check=False),
        # no policy: listing and showing are filtered by project
        *reads(ATT), *reads(ATT + "/detail"), *reads(ATT + "/{att:member}"),
        # volume:attachment_update, volume:attachment_complete, volume:attachment_delete
        *write("PUT", ATT + "/{mine}", {"attachment": {"connector": CONNECTOR}}, mine="att"),
        *action(ATT + "/{mine}", "os-complete", None, mine="att"),
        *action(ATT + "/{mine}", "os-complete", None, mine="att", version="3.43"),
        *write("DELETE", ATT + "/{mine}", mine="att"),
        *reads(VOL + "/{vol:member}"),
    ], volumes=dict(OWN_VOLUMES)),
    Scenario("policy: volumes", [
        # volume:create, volume:get_all, volume:get, volume:update
        *creates(VOL, {"volume": {"size": 1}}, "vol:new"),
        *reads(VOL), *reads(VOL + "/detail"), *reads(VOL + "/{vol:member}"),
        *write("PUT", VOL + "/{vol:member}", {"volume": {"description": "policy"}}),
        # volume:delete; then volume:force_delete (3.23), asked after volume:delete
        *write("DELETE", VOL + "/{mine}", mine="vol:new", check="mine"),
        *write("DELETE", VOL + "/{mine}?force=true", mine="vol", version="3.23",
               check="mine"),
    ], volumes=dict(OWN_VOLUMES)),
    Scenario("policy: volume admin actions", [
        Step("POST", "/v3/{project}/attachments", caller="nova",
             body={"attachment": {"volume_uuid": "{vol:a}", "instance_uuid": "{server:1}",
                                  "connector": CONNECTOR}}, save="att:a", check="vol:a"),
        # volume_extension:volume_admin_actions:reset_status, :force_detach,
        # :migrate_volume_completion
        *action(VOL + "/{vol:b}", "os-reset_status", {"status": "error"}, check="vol:b"),
        *action(VOL + "/{vol:a}", "os-force_detach",
                {"connector": CONNECTOR, "attachment_id": "{att:a}"}, check="vol:a"),
        *action(VOL + "/{vol:old}", "os-migrate_volume_completion",
                {"new_volume": "{vol:new}"}, check="vol:old"),
    ], volumes={"vol:a": None, "vol:b": None, "vol:old": None, "vol:new": None}),
    Scenario("policy: volume actions", [
        # volume_extension:volume_actions:* (the legacy attach flow), in its order
        *action(VOL + "/{vol:a}", "os-reserve", None, check="vol:a"),
        *action(VOL + "/{vol:a}", "os-unreserve", None, check="vol:a"),
        *action(VOL + "/{vol:a}", "os-initialize_connection", {"connector": CONNECTOR}),
        *[Step("POST", base(caller) + VOL + "/{vol:a}/action", caller=caller,
               body={"os-attach": {"instance_uuid": f"{{server:{n}}}",
                                   "mountpoint": "/dev/vdb"}}, check="vol:a")
          for n, caller in enumerate(PERSONAS, 1)],
        *action(VOL + "/{vol:a}", "os-begin_detaching", None, check="vol:a"),
        *action(VOL + "/{vol:a}", "os-roll_detaching", None, check="vol:a"),
        # volume:extend_attached_volume (3.42, an in-use volume), else volume:extend
        *action(VOL + "/{vol:a}", "os-extend", {"new_size": 1}, version="3.42"),
        *action(VOL + "/{vol:a}", "os-extend", {"new_size": 1}, version="3.41"),
        # volume:reimage (3.68): Cinder asks Glance for the image first (the harness has
        # none, the fake takes every image to exist), so only the volume's 404 compares
        *action(VOL + "/{vol:a}", "os-reimage", {"image_id": IMAGE}, version="3.68",
                personas=("norole", "other")),
        Step("GET", "/v3/{project}/attachments?volume_id={vol:a}", caller="member",
             save="att:a", save_from="attachments.0.id"),
        *action(VOL + "/{vol:a}", "os-detach", {"attachment_id": "{att:a}"}, check="vol:a"),
        *action(VOL + "/{vol:b}", "os-terminate_connection", {"connector": CONNECTOR},
                check="vol:b"),
        # volume:update_readonly_flag, volume:extend (each writer grows the volume)
        *action(VOL + "/{vol:b}", "os-update_readonly_flag", {"readonly": False},
                check="vol:b"),
        *[Step("POST", base(caller) + VOL + "/{vol:b}/action", caller=caller,
               body={"os-extend": {"new_size": n}}, check="vol:b")
          for n, caller in enumerate(PERSONAS, 1)],
    ], volumes={"vol:a": None, "vol:b": None}),
    Scenario("policy: volume types", [
        # volume_extension:type_get_all, :type_get, :type_create
        *reads("/types"), *reads("/types/default"), *reads("/types/{type:multiattach}"),
        *creates("/types", {"volume_type": {"name": "policy-{caller}"}}, "type",
                 check=False),
    ]),
    Scenario("policy: snapshots", [
        # volume:create_snapshot (after the volume is found)
        *creates(SNAP, {"snapshot": {"volume_id": "{mine}"}}, "snap"),
        # volume:get_all_snapshots, volume:get_snapshot, volume:update_snapshot
        *reads(SNAP), *reads(SNAP + "/detail"), *reads(SNAP + "/{snap:member}"),
        *write("PUT", SNAP + "/{snap:member}", {"snapshot": {"description": "policy"}}),
        # snapshot_extension:snapshot_actions:update_snapshot_status (the snapshot is not
        # creating: whoever passes gets the status error)
        *action(SNAP + "/{snap:member}", "os-update_snapshot_status", {"status": "error"}),
        # volume_extension:snapshot_admin_actions:reset_status, :force_delete
        *action(SNAP + "/{snap:member}", "os-reset_status", {"status": "available"},
                check="snap:member"),
        *action(SNAP + "/{mine}", "os-force_delete", {}, mine="snap", check="mine",
                personas=REFUSED_FIRST + ("member", "admin")),
        # volume:delete_snapshot
        *write("DELETE", SNAP + "/{mine}", mine="snap", check="mine",
               personas=REFUSED_FIRST + ("member", "nova")),
    ], volumes=dict(OWN_VOLUMES)),
    Scenario("policy: quotas and limits", [
        # volume_extension:quotas:show (the project's own, another's), limits_extension:
        # used_limits; then volume_extension:quotas:update
        *each(lambda caller: get(base(caller) + QUOTA + "/{project}", caller=caller)),
        *each(lambda caller: get(base(caller) + QUOTA + "/{project}?usage=true",
                                 caller=caller)),
        *each(lambda caller: get(base(caller) + QUOTA + "/{project}/defaults",
                                 caller=caller)),
        *each(lambda caller: get(base(caller) + QUOTA + "/{other_project}",
                                 caller=caller)),
        *reads("/limits"),
        *write("PUT", QUOTA + "/{project}", {"quota_set": {"volumes": 20}}),
    ], volumes={"vol:a": None}),
    Scenario("policy: encryption", [
        Step("POST", "/v3/{project}/types", caller="admin",
             body={"volume_type": {"name": "policy-luks"}}, save="type:policy-luks"),
        # volume_extension:volume_type_encryption:create, :get, :update, :delete
        *write("POST", ENC, {"encryption": {"provider": "luks", "cipher": "aes-xts-plain64",
                                            "key_size": 256,
                                            "control_location": "front-end"}}),
        *reads(ENC), *reads(ENC + "/provider"),
        *write("PUT", ENC + "/{type:policy-luks}", {"encryption": {"key_size": 512}}),
        Step("POST", "/v3/{project}/volumes", caller="member",
             body={"volume": {"size": 1, "volume_type": "policy-luks"}}, save="vol:e",
             check="vol:e"),
        # volume_extension:volume_encryption_metadata
        *reads(VOL + "/{vol:e}/encryption"), *reads(VOL + "/{vol:e}/encryption/provider"),
        Step("DELETE", "/v3/{project}/volumes/{vol:e}", caller="member", check="vol:e"),
        *write("DELETE", ENC + "/{type:policy-luks}", personas=REFUSED_FIRST + ("member",
                                                                               "admin")),
    ]),
    Scenario("policy: volume metadata", [
        # volume:create_volume_metadata, :get_volume_metadata, :update_volume_metadata,
        # :delete_volume_metadata (after volume:get, whose refusal is the volume's 404)
        *write("POST", VOL + "/{vol:member}/metadata", {"metadata": {"k": "{caller}"}}),
        *reads(VOL + "/{vol:member}/metadata"), *reads(VOL + "/{vol:member}/metadata/k"),
        *write("PUT", VOL + "/{vol:member}/metadata/k", {"meta": {"k": "w"}}),
        *write("PUT", VOL + "/{vol:member}/metadata", {"metadata": {"k": "x"}}),
        *write("DELETE", VOL + "/{vol:member}/metadata/k"),
    ], volumes={"vol:member": None}),
    Scenario("policy: snapshot metadata", [
        Step("POST", "/v3/{project}/snapshots", caller="member",
             body={"snapshot": {"volume_id": "{vol:a}"}}, save="snap:a", check="snap:a"),
        # volume:update_snapshot_metadata, :get_snapshot_metadata, :delete_snapshot_metadata
        # (after volume:get_snapshot)
        *write("POST", SNAP + "/{snap:a}/metadata", {"metadata": {"k": "{caller}"}}),
        *reads(SNAP + "/{snap:a}/metadata"), *reads(SNAP + "/{snap:a}/metadata/k"),
        *write("PUT", SNAP + "/{snap:a}/metadata/k", {"meta": {"k": "w"}}),
        *write("PUT", SNAP + "/{snap:a}/metadata", {"metadata": {"k": "x"}}),
        *write("DELETE", SNAP + "/{snap:a}/metadata/k"),
    ], volumes={"vol:a": None}),
    Scenario("policy: volume transfers", [
        # volume:create_transfer (after volume:get), :get_all_transfers, :get_transfer,
        # :accept_transfer (asked before the key: a wrong key for everyone), :delete_transfer
        *creates("/os-volume-transfer", {"transfer": {"volume_id": "{mine}"}}, "tr",
                 check=False),
        *reads("/os-volume-transfer"), *reads("/volume-transfers/detail", version="3.55"),
        *reads("/os-volume-transfer/{tr:member}"),
        *write("POST", "/os-volume-transfer/{tr:member}/accept",
               {"accept": {"auth_key": "0000000000000000"}}),
        *write("DELETE", "/volume-transfers/{mine}", mine="tr", version="3.55"),
    ], volumes=dict(OWN_VOLUMES)),
    Scenario("policy: messages and the volume summary", [
        # message:get_all (3.3), volume:get_all (the summary, 3.12)
        *reads("/messages", version="3.3"), *reads("/volumes/summary", version="3.12"),
    ], volumes={"vol:a": None}),
    Scenario("policy: implied roles", [
        # A member's token carries the reader role Keystone implies; a bare "member"
        # header is read the same way by the fake (departure implied-roles).
        get("/v3/{project}/volumes/{vol:a}", caller="member_only"),
        get("/v3/{project}/volumes", caller="member_only"),
        get("/v3/{project}/snapshots", caller="member_only"),
        Step("PUT", "/v3/{project}/volumes/{vol:a}", caller="member_only",
             body={"volume": {"description": "member only"}}, check="vol:a"),
    ], volumes={"vol:a": None}),
]
