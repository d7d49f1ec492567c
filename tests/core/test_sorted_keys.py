"""core/sorted_keys.py against a plain sorted list: adds, removes, positions and reads
of any range both ways, with chunks small enough to split and empty often."""

from __future__ import annotations

import bisect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_cinder.core import sorted_keys
from fake_cinder.core.sorted_keys import TOP, SortedKeys

OPERATIONS = st.lists(st.tuples(st.booleans(), st.integers(0, 60)), max_size=200)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sorted_keys, "CHUNK", 3)


@settings(max_examples=200, deadline=None)
@given(initial=st.sets(st.integers(0, 60), max_size=30), operations=OPERATIONS,
       probes=st.lists(st.integers(-1, 61), max_size=5))
def test_it_is_a_sorted_list(initial: set[int], operations: list[tuple[bool, int]],
                             probes: list[int]) -> None:
    keys = SortedKeys((k,) for k in initial)
    plain = sorted((k,) for k in initial)
    for adding, number in operations:
        key = (number,)
        if adding and key not in plain:
            keys.add(key)
            bisect.insort(plain, key)
        elif not adding and key in plain:
            keys.remove(key)
            plain.remove(key)
        elif not adding:
            with pytest.raises(KeyError):
                keys.remove(key)
        assert list(keys) == plain and len(keys) == len(plain)
    for probe in probes:
        for right in (False, True):
            find = bisect.bisect_right if right else bisect.bisect_left
            assert keys.position((probe,), right) == find(plain, (probe,))
        assert keys.position((probe, TOP)) == bisect.bisect_right(plain, (probe,))
    for start in range(-1, len(plain) + 2, 2):
        for stop in range(start, len(plain) + 3, 3):
            part = plain[max(start, 0):max(stop, 0)]
            assert list(keys.keys(start, stop)) == part
            assert list(keys.keys(start, stop, reverse=True)) == part[::-1]


def test_top_bounds_every_key_that_starts_with_a_value() -> None:
    assert (True, "a", "2020", "id") < (True, "a", TOP) < (True, "b")
    assert not TOP < "z" and TOP > "z" and TOP >= TOP and TOP <= TOP
