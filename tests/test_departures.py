"""The README's list of deliberate departures and conformance/departures.py name the
same departures, by id."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.departures import DEPARTURES

README = Path(__file__).resolve().parents[1] / "README.md"
LIST_START = "Deliberate departures (`conformance/departures.py`"


def readme_departure_ids() -> list[str]:
    """The ids each item of the README's list starts with (```id`, `id`: why``)."""
    text = README.read_text(encoding="utf-8")
    after = text[text.index(LIST_START):]
    items = re.findall(r"^- (.*?)(?=^- |^\s*$)", after.split("\n\n", 2)[1] + "\n\n",
                       re.MULTILINE | re.DOTALL)
    ids: list[str] = []
    for item in items:
        named = re.match(r"((?:`[a-z0-9-]+`,?\s*)+):", item)
        assert named, f"a README departure without its id: {item!r}"
        ids += re.findall(r"`([a-z0-9-]+)`", named.group(1))
    return ids


def test_readme_and_departures_py_list_the_same_ids() -> None:
    listed = readme_departure_ids()
    assert len(listed) == len(set(listed)), listed
    assert sorted(listed) == sorted(d.id for d in DEPARTURES)


def test_departure_ids_are_unique_and_explained() -> None:
    ids = [d.id for d in DEPARTURES]
    assert len(ids) == len(set(ids))
    assert all(d.reason.strip() for d in DEPARTURES)
