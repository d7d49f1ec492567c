"""A sorted list of keys in chunks: adding or removing a key costs a bisect and a move
within one chunk of at most ``2 * CHUNK`` keys, not a move of the whole list, so an
index of 100 000 volumes changes as fast as one of 100 (the volume indexes of
core/column_index.py).

Positions are global (0 to ``len``), as in a plain sorted list; finding one adds up the
lengths of the chunks before it (200 chunks at 100 000 keys).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from typing import Any

CHUNK = 512


class Top:
    """Compares greater than anything: ``(value, TOP)`` bounds every key that starts
    with ``value``."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return other is not self

    def __le__(self, other: object) -> bool:
        return other is self

    def __ge__(self, other: object) -> bool:
        return True


TOP = Top()


class SortedKeys:
    """Distinct, mutually comparable keys (tuples), kept sorted."""

    __slots__ = ("_chunks", "_lasts", "_len")

    def __init__(self, keys: Iterable[Any] = ()) -> None:
        ordered = sorted(keys)
        self._chunks: list[list[Any]] = [ordered[i:i + CHUNK]
                                         for i in range(0, len(ordered), CHUNK)]
        # The last (greatest) key of each chunk: where a key goes is a bisect of these.
        self._lasts: list[Any] = [chunk[-1] for chunk in self._chunks]
        self._len = len(ordered)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Any]:
        for chunk in self._chunks:
            yield from chunk

    def add(self, key: Any) -> None:
        self._len += 1
        if not self._chunks:
            self._chunks.append([key])
            self._lasts.append(key)
            return
        index = bisect.bisect_left(self._lasts, key)
        if index == len(self._lasts):
            index -= 1
            self._chunks[index].append(key)  # past every key (the newest volume)
            self._lasts[index] = key
        else:
            bisect.insort(self._chunks[index], key)
        chunk = self._chunks[index]
        if len(chunk) > 2 * CHUNK:
            self._chunks[index:index + 1] = [chunk[:CHUNK], chunk[CHUNK:]]
            self._lasts[index:index + 1] = [chunk[CHUNK - 1], chunk[-1]]

    def remove(self, key: Any) -> None:
        """Remove a key that is there (KeyError if it is not)."""
        index = bisect.bisect_left(self._lasts, key)
        chunk = self._chunks[index] if index < len(self._chunks) else []
        offset = bisect.bisect_left(chunk, key)
        if offset == len(chunk) or chunk[offset] != key:
            raise KeyError(key)
        del chunk[offset]
        self._len -= 1
        if chunk:
            self._lasts[index] = chunk[-1]
        else:
            del self._chunks[index]
            del self._lasts[index]

    def position(self, key: Any, right: bool = False) -> int:
        """Where ``key`` would go: before any equal key, or after it with ``right``."""
        find = bisect.bisect_right if right else bisect.bisect_left
        index = find(self._lasts, key)
        if index == len(self._chunks):
            return self._len
        before = sum(map(len, self._chunks[:index]))
        return before + find(self._chunks[index], key)

    def keys(self, start: int, stop: int, reverse: bool = False) -> Iterator[Any]:
        """The keys at positions ``start`` to ``stop - 1``; last first with ``reverse``.
        Only what is consumed is read."""
        start, stop = max(start, 0), min(stop, self._len)
        if start >= stop:
            return
        if not reverse:
            index, offset = self._locate(start)
            left = stop - start
            while left > 0:
                part = self._chunks[index][offset:offset + left]
                yield from part
                left -= len(part)
                index, offset = index + 1, 0
            return
        index, offset = self._locate(stop - 1)
        left = stop - start
        while left > 0:
            chunk = self._chunks[index]
            low = max(offset + 1 - left, 0)
            for position in range(offset, low - 1, -1):
                yield chunk[position]
            left -= offset + 1 - low
            index -= 1
            if index >= 0:
                offset = len(self._chunks[index]) - 1

    def _locate(self, position: int) -> tuple[int, int]:
        for index, chunk in enumerate(self._chunks):
            if position < len(chunk):
                return index, position
            position -= len(chunk)
        raise IndexError(position)
