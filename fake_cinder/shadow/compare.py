"""One comparison of the upstream's answer with the fake's, by the conformance rules.

The normaliser (conformance/normalise.py) checks ids, timestamps, request ids and hosts for
shape; the departures list (conformance/departures.py) says which differences are the fake's
deliberate ones. Both are imported from the conformance package, never copied: a shadow run
and ``make conformance`` judge the fake by the same rules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from conformance import departures as departure_rules
from conformance.engine import Comparison
from conformance.engine import compare as compare_replies
from conformance.normalise import Normaliser
from conformance.servers import Reply

from . import redact

MATCH, DEPARTURE, DIFFERENCE, NOT_COMPARED = "match", "departure", "difference", "not_compared"
# Cinder's background work still running: the fake settles at once, so a status that
# differs while the upstream's is one of these is not yet comparable.
UNSETTLED = {"creating", "deleting", "downloading", "extending", "uploading", "attaching",
             "detaching", "reserved", "retyping", "maintenance", "backing-up", "restoring-backup"}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def reply(self) -> Reply:
        text = self.body.decode("utf-8", "replace")
        try:
            decoded: Any = json.loads(text) if text else None
        except ValueError:
            decoded = text
        return Reply(self.status, self.headers, decoded, text)


@dataclass
class Outcome:
    operation: str
    request: str
    outcome: str
    differences: list[dict[str, Any]] = field(default_factory=list)
    departures: list[str] = field(default_factory=list)
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"operation": self.operation, "request": self.request,
                                "outcome": self.outcome}
        if self.differences:
            data["differences"] = self.differences
        if self.departures:
            data["departures"] = self.departures
        if self.reason:
            data["reason"] = self.reason
        return data


def not_compared(operation: str, request: str, reason: str) -> Outcome:
    return Outcome(operation, request, NOT_COMPARED, reason=reason)


# What Cinder's manager fills in when its background work ends (the scheduler's host and
# service, a snapshot's progress, an image's download): while the resource's status is
# unsettled upstream, these differ from the fake's finished record by design.
SETTLING_FIELDS = {"status", "os-vol-host-attr:host", "service_uuid", "shared_targets",
                   "os-extended-snapshot-attributes:progress", "bootable",
                   "volume_image_metadata", "migration_status", "replication_status",
                   "attach_status"}
# Cinder's create flow saves a volume "available" first, and its service_uuid and
# shared_targets in the manager's last save a moment later.
LAST_SAVED = {"service_uuid", "shared_targets"}
_LIST = re.compile(r"^body\.([^.\[]+)$")
_RESOURCE = re.compile(r"^body\.([^.\[]+)(?:\[(\d+)\])?\.([^.\[]+)")


def _unsettled_status(upstream: Any, where: str) -> str | None:
    """The status of the resource ``where`` is a field of, in the upstream's answer, when
    Cinder is still at work on it and the field is one that work fills in (the fake's work
    is done at once: the two are compared once settled)."""
    if not isinstance(upstream, dict):
        return None
    whole = _LIST.match(where)
    if whole and isinstance(upstream.get(whole.group(1)), list):
        # A list of other length: one that holds a resource still at work upstream (one
        # the fake has finished creating or deleting, say).
        moving = [item.get("status") for item in upstream[whole.group(1)]
                  if isinstance(item, dict) and item.get("status") in UNSETTLED]
        return str(moving[0]) if moving else None
    found = _RESOURCE.match(where)
    if not found:
        return None
    resource = upstream.get(found.group(1))
    if found.group(2) is not None:
        index = int(found.group(2))
        resource = (resource[index] if isinstance(resource, list) and index < len(resource)
                    else None)
    if not isinstance(resource, dict):
        return None
    field_name = found.group(3)
    if (field_name in LAST_SAVED and resource.get("service_uuid") is None
            and resource.get("status") == "available"):
        return "available, before the create's last save"
    if resource.get("status") not in UNSETTLED:
        return None
    if field_name in SETTLING_FIELDS or field_name.endswith("_at"):
        return str(resource["status"])
    return None


def _resource_status(upstream: Any) -> str | None:
    """The status of the one resource an answer shows (``{"volume": {...}}``)."""
    if isinstance(upstream, dict) and len(upstream) == 1:
        (inner,) = upstream.values()
        if isinstance(inner, dict) and isinstance(inner.get("status"), str):
            return str(inner["status"])
    return None


def judge(operation: str, request: str, upstream: Answer, fake: Answer,
          upstream_norm: Normaliser, fake_norm: Normaliser) -> Outcome:
    """Compare two answers: match, known departure, difference, or not compared."""
    differences = compare_replies(upstream.reply(), fake.reply(), upstream_norm, fake_norm)
    comparison = Comparison("shadow", operation, request, differences)
    departure_rules.classify(comparison)
    unexpected = comparison.unexpected
    upstream_body = upstream.reply().body
    # Only fields Cinder's background work still fills in, or a resource the fake has
    # finished deleting: compared on a later poll, once settled.
    moving = [_unsettled_status(upstream_body, d.where) for d in unexpected]
    gone = _resource_status(upstream_body) == "deleting" and fake.status == 404
    if unexpected and (all(moving) or gone):
        statuses = ", ".join(sorted({m for m in moving if m} or {"deleting"}))
        where = ", ".join(d.where for d in unexpected)
        return not_compared(operation, request, f"asynchronous work not settled upstream "
                                                f"(status {statuses}; differing: {where})")
    listed = [{"where": d.where, "upstream": redact.body(d.cinder),
               "fake": redact.body(d.fake)} for d in unexpected]
    if listed:
        return Outcome(operation, request, DIFFERENCE, listed,
                       [name for _, name in comparison.allowed])
    if comparison.allowed:
        return Outcome(operation, request, DEPARTURE,
                       departures=sorted({name for _, name in comparison.allowed}))
    return Outcome(operation, request, MATCH)
