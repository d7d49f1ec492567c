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
]


def classify(comparison: Comparison) -> None:
    """Fill ``comparison.allowed`` with the differences a departure covers."""
    comparison.allowed = []
    for difference in comparison.differences:
        for departure in DEPARTURES:
            if departure.covers(comparison, difference):
                comparison.allowed.append((difference, departure.id))
                break
