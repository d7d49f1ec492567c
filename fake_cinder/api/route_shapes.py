"""Route matching remembered by the shape of a path: its segments, with each UUID made a
placeholder.

werkzeug's matcher walks a state machine of every rule (15-40 us a request on the fake's
route table), and nearly every request names a new record: the same few routes, each
time with other UUIDs (or the very same path: a list, a polled volume). Two paths of the
same shape and method match the same rule, with the UUIDs as the values of the same
parameters, as long as every rule takes a URL segment with the default converter
(``[^/]+``, or ``path`` for the rest of a URL): no static segment is a UUID, and a
default converter takes every UUID alike. So a match is remembered (the rule's endpoint,
which parameter each UUID is, the other parameters' values) and reused for the next path
of its shape. ``ShapeCache.for_map`` declines a map with any other converter (an ``int``
or ``uuid`` one, a regex), so the shortcut never answers what werkzeug would not. Misses
(werkzeug's NotFound, MethodNotAllowed, RequestRedirect) are not remembered.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.routing import Map, MapAdapter

# A whole path segment that is a UUID.
_UUID_SEGMENT = re.compile(r"(?<=/)[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                           r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?=/|\Z)")
_PLACEHOLDER = "\0"  # a path with one of its own is matched by werkzeug alone
_CONVERTER = re.compile(r"<(?:([A-Za-z_]\w*)(?:\(.*?\))?:)?([A-Za-z_]\w*)>")
# Shapes are few (routes x methods x projects); the bound only guards against a client
# that sends endless distinct non-UUID segments.
MAX_SHAPES = 4096


class ShapeCache:
    """``match(path, method)`` as ``adapter.match`` answers it, remembered per shape."""

    def __init__(self, adapter: MapAdapter) -> None:
        self._adapter = adapter
        # (method, shape) -> (endpoint, ((parameter, which UUID), ...), other params)
        self._shapes: dict[tuple[str, str], tuple[Any, tuple[tuple[str, int], ...],
                                                  dict[str, Any]]] = {}

    @staticmethod
    def for_map(url_map: Map, adapter: MapAdapter) -> ShapeCache | None:
        """A cache for this map, or None when a rule uses a converter other than the
        default one and ``path`` (the shortcut's reasoning would not hold)."""
        for rule in url_map.iter_rules():
            for converter, _name in _CONVERTER.findall(rule.rule):
                if converter not in ("", "default", "string", "path"):
                    return None
        return ShapeCache(adapter)

    def match(self, path: str, method: str) -> tuple[Any, dict[str, Any]]:
        if _PLACEHOLDER in path:  # its shape could be another path's
            endpoint, matched = self._adapter.match(path, method)
            return endpoint, dict(matched)
        uuids = _UUID_SEGMENT.findall(path)
        # A path without UUIDs is its own shape (the same path again: the same answer).
        shape = _UUID_SEGMENT.sub(_PLACEHOLDER, path) if uuids else path
        known = self._shapes.get((method, shape))
        if known is not None:
            endpoint, positions, others = known
            params = dict(others)
            for name, ordinal in positions:
                params[name] = uuids[ordinal]
            return endpoint, params
        endpoint, matched = self._adapter.match(path, method)
        params = dict(matched)
        self._remember(method, shape, uuids, endpoint, params)
        return endpoint, params

    def _remember(self, method: str, shape: str, uuids: list[str], endpoint: Any,
                  params: dict[str, Any]) -> None:
        positions = []
        for ordinal, uuid in enumerate(uuids):
            names = [name for name, value in params.items() if value == uuid]
            if len(names) != 1:
                return  # the UUID is no single parameter's whole value: not remembered
            positions.append((names[0], ordinal))
        taken = {name for name, _ordinal in positions}
        if len(taken) != len(positions):
            return  # two positions with the same UUID: ambiguous, not remembered
        others = {name: value for name, value in params.items() if name not in taken}
        if len(self._shapes) >= MAX_SHAPES:
            self._shapes.clear()
        self._shapes[(method, shape)] = (endpoint, tuple(positions), others)
