"""Replays steps on both servers and compares the answers.

A ``Step`` is one request written once, with placeholders that each server fills with its
own ids: ``{project}``, ``{other_project}``, ``{vol:a}``, ``{att:x}``... A ``Comparison``
holds what differed after normalising: the status, the ``OpenStack-API-Version``,
``Vary`` and ``Content-Type`` headers, and the body (shape, values, error text).
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .normalise import Normaliser
from .servers import Reply, Server

COMPARED_HEADERS = ("openstack-api-version", "vary", "content-type")
NO_BODY = object()
PLACEHOLDER = re.compile(r"\{([a-z_]+(?::[\w.-]+)?)\}")


def project_id(name: str) -> str:
    """A project id Cinder routes ([0-9a-f-]+), fixed per name."""
    return hashlib.sha256(name.encode()).hexdigest()[:32]


def server_uuid(n: int) -> str:
    """Instance uuids the harness sends (the same to both servers)."""
    return str(uuid.UUID(int=0x5E7E7000_0000_4000_8000_000000000000 + n))


def callers(project: str, other: str) -> dict[str, dict[str, str]]:
    """keystonemiddleware-style identities (and a noauth one) of a project and another."""
    user = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    return {
        "member": {"X-User-Id": user, "X-Project-Id": project, "X-Roles": "member,reader"},
        "reader": {"X-User-Id": user, "X-Project-Id": project, "X-Roles": "reader"},
        # A token of the project with no role on it (Cinder's policies refuse it).
        "norole": {"X-User-Id": user, "X-Project-Id": project, "X-Roles": ""},
        # "member" without the "reader" Keystone implies (departure implied-roles).
        "member_only": {"X-User-Id": user, "X-Project-Id": project, "X-Roles": "member"},
        "nova": {"X-User-Id": user, "X-Project-Id": project, "X-Roles": "member,reader",
                 "X-Service-Roles": "service"},
        "admin": {"X-User-Id": "ad000000000000000000000000000001", "X-Project-Id": project,
                  "X-Roles": "admin,member,reader"},
        "other": {"X-User-Id": "0e000000000000000000000000000002", "X-Project-Id": other,
                  "X-Roles": "member,reader"},
        "other_admin": {"X-User-Id": "0e000000000000000000000000000003",
                        "X-Project-Id": other, "X-Roles": "admin,member,reader"},
        # python-cinderclient's noauth plugin: a user:project token, no roles.
        "noauth": {"X-Auth-Token": f"{user}:{project}", "X-User-Id": user,
                   "X-Project-Id": project},
        "anonymous": {},
    }


@dataclass
class Step:
    method: str
    path: str
    caller: str = "member"
    version: str | None = "3.71"  # the OpenStack-API-Version's number; None: no header
    body: Any = NO_BODY
    raw: bytes | None = None  # a body sent as is (with ``headers``' Content-Type)
    encoding: str = "utf-8"  # how ``raw``, as UTF-8 text with its labels filled, is sent
    headers: dict[str, str] = field(default_factory=dict)
    save: str | None = None  # label for the id of what the request created
    save_from: str = ""  # where that id is when not {"x": {"id"}}: "attachments.0.id"
    check: str | None = None  # label of a volume (or snap:) whose state is compared after
    settle: bool = True  # wait until Cinder's background work on ``check`` is done
    name: str = ""


@dataclass
class Difference:
    where: str
    cinder: Any
    fake: Any


@dataclass
class Comparison:
    kind: str  # scenario, walk, state
    name: str  # the scenario's name, or the walk's operation
    request: str
    differences: list[Difference]
    allowed: list[tuple[Difference, str]] = field(default_factory=list)  # (diff, departure id)

    @property
    def unexpected(self) -> list[Difference]:
        allowed = {id(d) for d, _ in self.allowed}
        return [d for d in self.differences if id(d) not in allowed]


def _diff(path: str, cinder: Any, fake: Any, out: list[Difference]) -> None:
    if isinstance(cinder, dict) and isinstance(fake, dict):
        for key in sorted(set(cinder) | set(fake)):
            if key not in fake:
                out.append(Difference(f"{path}.{key}", cinder[key], "<absent>"))
            elif key not in cinder:
                out.append(Difference(f"{path}.{key}", "<absent>", fake[key]))
            else:
                _diff(f"{path}.{key}", cinder[key], fake[key], out)
    elif (isinstance(cinder, list) and isinstance(fake, list)
          and len(cinder) == len(fake)):
        for index, (left, right) in enumerate(zip(cinder, fake, strict=True)):
            _diff(f"{path}[{index}]", left, right, out)
    elif cinder != fake or type(cinder) is not type(fake):
        out.append(Difference(path, cinder, fake))


def compare(cinder: Reply, fake: Reply, cinder_norm: Normaliser,
            fake_norm: Normaliser) -> list[Difference]:
    differences: list[Difference] = []
    if cinder.status != fake.status:
        differences.append(Difference("status", cinder.status, fake.status))
    for header in COMPARED_HEADERS:
        left, right = cinder.headers.get(header), fake.headers.get(header)
        if left != right:
            differences.append(Difference(f"header {header}", left, right))
    _diff("body", cinder_norm.value(cinder.body), fake_norm.value(fake.body), differences)
    return differences


class Context:
    """One server's side of a scenario or walk: its ids by label."""

    def __init__(self, server: Server, norm: Normaliser, project: str, other: str) -> None:
        self.server = server
        self.norm = norm
        self.project = project
        self.other = other
        self.callers = callers(project, other)
        self.ids: dict[str, str] = {}

    def remember(self, label: str, object_id: str) -> None:
        self.ids[label] = object_id
        self.norm.labels[object_id] = label

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            return PLACEHOLDER.sub(self._placeholder, value)
        if isinstance(value, dict):
            return {self.fill(k): self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(item) for item in value]
        return value

    def _placeholder(self, found: re.Match[str]) -> str:
        key = found.group(1)
        if key == "project":
            return self.project
        if key == "other_project":
            return self.other
        if key.startswith("server:"):
            return server_uuid(int(key.split(":", 1)[1]))
        if key in self.ids:
            return self.ids[key]
        return found.group(0)  # sent as written: an unknown id

    def headers(self, step: Step) -> dict[str, str]:
        headers = dict(self.callers[step.caller])
        if step.version is not None:
            headers["OpenStack-API-Version"] = f"volume {step.version}"
        headers.update(self.fill(step.headers))
        return headers

    def send(self, step: Step) -> Reply:
        body = NO_BODY if step.body is NO_BODY else self.fill(step.body)
        raw = (self.fill(step.raw.decode()).encode(step.encoding) if step.raw is not None
               else None)
        return self.server.request(step.method, self.fill(step.path), self.headers(step),
                                   body=None if body is NO_BODY else body, raw=raw)


def created_id(reply: Reply) -> str | None:
    """The id in a create's answer: {"attachment": {"id": ...}} and the like."""
    if reply.status < 300 and isinstance(reply.body, dict) and len(reply.body) == 1:
        (inner,) = reply.body.values()
        if isinstance(inner, dict) and isinstance(inner.get("id"), str):
            return inner["id"]
    return None


def dig(reply: Reply, path: str) -> str | None:
    """The value at a dotted path of an answer's body (list indexes as numbers)."""
    value: Any = reply.body
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    return value if isinstance(value, str) else None


ADMIN_VIEW = "3.71"


# Labels of records other than volumes: prefix -> their collection.
COLLECTIONS = {"snap": "snapshots", "grp": "groups", "gsnap": "group_snapshots"}


def volume_state(ctx: Context, label: str) -> Reply:
    """An admin's show of the volume (or, for a ``snap:``, ``grp:`` or ``gsnap:`` label,
    the snapshot, group or group snapshot)."""
    collection = COLLECTIONS.get(label.split(":", 1)[0], "volumes")
    return ctx.server.request("GET",
                              f"/v3/{ctx.project}/{collection}/{ctx.ids.get(label, label)}",
                              {**ctx.callers["admin"],
                               "OpenStack-API-Version": f"volume {ADMIN_VIEW}"})


def settle_volume(ctx: Context, label: str, timeout: float = 30) -> None:
    """Wait while Cinder works in the background (creating, deleting...)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = volume_state(ctx, label)
        if reply.status == 404:
            return
        body = reply.body if isinstance(reply.body, dict) else {}
        record = (body.get("volume") or body.get("snapshot") or body.get("group")
                  or body.get("group_snapshot") or {})
        # A migration works with the volume's status unchanged (os-migrate_volume).
        if record.get("status") not in ("creating", "deleting", "downloading", "extending",
                                        "uploading", "retyping", "updating") \
                and record.get("migration_status") not in ("starting", "migrating"):
            return
        time.sleep(0.05)


class Pair:
    """The two servers, driven in lockstep."""

    def __init__(self, cinder: Server, fake: Server) -> None:
        self.cinder = cinder
        self.fake = fake
        self.norms = (Normaliser(cinder.base_url), Normaliser(fake.base_url))

    def contexts(self, project: str, other: str) -> tuple[Context, Context]:
        return (Context(self.cinder, self.norms[0], project, other),
                Context(self.fake, self.norms[1], project, other))

    def step(self, kind: str, name: str, step: Step,
             contexts: tuple[Context, Context]) -> list[Comparison]:
        replies = [ctx.send(step) for ctx in contexts]
        request = f"{step.method} {step.path} as {step.caller} at {step.version or '-'}"
        if step.name:
            request = f"{step.name}: {request}"
        results = [Comparison(kind, name, request,
                              compare(replies[0], replies[1], *self.norms))]
        if step.save:
            for ctx, reply in zip(contexts, replies, strict=True):
                found = dig(reply, step.save_from) if step.save_from else created_id(reply)
                if found:
                    ctx.remember(step.save, found)
        if step.check:
            if step.settle:
                for ctx in contexts:
                    settle_volume(ctx, step.check)
            states = [volume_state(ctx, step.check) for ctx in contexts]
            results.append(Comparison("state", name, f"volume {step.check} after: {request}",
                                      compare(states[0], states[1], *self.norms)))
        return results

    def create_volume(self, contexts: tuple[Context, Context], label: str,
                      volume_type: str | None = None, caller: str = "member",
                      size: int = 1) -> None:
        """Set-up, not compared: a volume on both servers, available."""
        body: dict[str, Any] = {"size": size, "name": label}
        if volume_type:
            body["volume_type"] = volume_type
        for ctx in contexts:
            reply = ctx.server.request("POST", f"/v3/{ctx.project}/volumes",
                                       {**ctx.callers[caller],
                                        "OpenStack-API-Version": "volume 3.71"},
                                       body={"volume": body})
            found = created_id(reply)
            if found is None:
                raise RuntimeError(f"{ctx.server.name}: volume create failed: {reply.text}")
            ctx.remember(label, found)
            settle_volume(ctx, label)
