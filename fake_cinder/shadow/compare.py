"""One comparison of the upstream's answer with the fake's, by the conformance rules.

The normaliser (conformance/normalise.py) checks ids, timestamps, request ids and hosts for
shape; the departures list (conformance/departures.py) says which differences are the fake's
deliberate ones. Both are imported from the conformance package, never copied: a shadow run
and ``make conformance`` judge the fake by the same rules.
"""

from __future__ import annotations

import json
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


def _unsettled_status(upstream: Any) -> str | None:
    """The status of the resource the upstream's answer shows, when Cinder is still at work
    on it (the fake's own work is done at once: the two are compared once settled)."""
    if isinstance(upstream, dict) and len(upstream) == 1:
        (inner,) = upstream.values()
        if isinstance(inner, dict) and inner.get("status") in UNSETTLED:
            return str(inner["status"])
    return None


def judge(operation: str, request: str, upstream: Answer, fake: Answer,
          upstream_norm: Normaliser, fake_norm: Normaliser) -> Outcome:
    """Compare two answers: match, known departure, difference, or not compared."""
    differences = compare_replies(upstream.reply(), fake.reply(), upstream_norm, fake_norm)
    comparison = Comparison("shadow", operation, request, differences)
    departure_rules.classify(comparison)
    unexpected = comparison.unexpected
    unsettled = _unsettled_status(upstream.reply().body)
    # Only a status still moving upstream, or a resource the fake has finished deleting.
    moving = all(d.where.startswith("body.") and d.where.endswith(("status", "_at"))
                 for d in unexpected)
    gone = unsettled == "deleting" and fake.status == 404
    if unexpected and unsettled and (moving or gone):
        where = ", ".join(d.where for d in unexpected)
        return not_compared(operation, request, f"asynchronous work not settled upstream "
                                                f"(status {unsettled}; differing: {where})")
    listed = [{"where": d.where, "upstream": redact.body(d.cinder),
               "fake": redact.body(d.fake)} for d in unexpected]
    if listed:
        return Outcome(operation, request, DIFFERENCE, listed,
                       [name for _, name in comparison.allowed])
    if comparison.allowed:
        return Outcome(operation, request, DEPARTURE,
                       departures=sorted({name for _, name in comparison.allowed}))
    return Outcome(operation, request, MATCH)
