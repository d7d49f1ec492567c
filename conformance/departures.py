"""Deliberate departures from Cinder: the only differences a run may show.

Each names the comparisons it covers (``fnmatch`` patterns on the scenario or walk
operation, the request, and the differing field) and says why the fake differs. The README
lists the same departures.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from .engine import Comparison, Difference


@dataclass(frozen=True)
class Departure:
    id: str
    reason: str
    name: str = "*"  # scenario name or walk operation
    request: str = "*"
    where: str = "*"

    def covers(self, comparison: Comparison, difference: Difference) -> bool:
        return (fnmatchcase(comparison.name, self.name)
                and fnmatchcase(comparison.request, self.request)
                and fnmatchcase(difference.where, self.where))


DEPARTURES: list[Departure] = [
    Departure(
        "readable-project-ids",
        "Cinder routes only project ids made of [0-9a-f-] and answers 404 for any other; "
        "the fake also routes readable ids such as `demo` (its fixtures, README and CLI "
        "examples use them).",
        name="project ids in URLs", request="GET /v3/[Dd]emo*"),
    Departure(
        "no-500-for-a-missing-body",
        "Cinder answers 500 to an attachment create or update with no body, or a JSON "
        "null (a bug in its controllers); the fake never answers 500 on its own and says "
        "400 `'attachment' is a required property`.",
        name="attachment * validation*", request="POST /v3/{project}/attachments as *"),
    Departure(
        "no-500-for-a-missing-update-body",
        "As above, for an attachment update.",
        name="attachment update: validation*", request="PUT /v3/{project}/attachments/*"),
    Departure(
        "bad-connector-changes-nothing",
        "When the driver refuses the connector of an attachment create, Cinder has already "
        "reserved the volume and keeps the new attachment (reserved) while answering 400; "
        "the fake checks the connector first and changes nothing, as the project's rule "
        "for refused requests demands.",
        name="attachment create: validation", request="*bad connector*"),
]


def classify(comparison: Comparison) -> None:
    """Fill ``comparison.allowed`` with the differences a departure covers."""
    comparison.allowed = []
    for difference in comparison.differences:
        for departure in DEPARTURES:
            if departure.covers(comparison, difference):
                comparison.allowed.append((difference, departure.id))
                break
