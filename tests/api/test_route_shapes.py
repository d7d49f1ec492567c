"""The route match remembered per path shape (``api.route_shapes``) answers exactly what
werkzeug's matcher answers, for every rule of the route table, with new UUIDs each time."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from fake_cinder.api.app import ROUTE_MAP
from fake_cinder.api.route_shapes import ShapeCache

PLACEHOLDER = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")


def werkzeug_says(path: str, method: str) -> Any:
    try:
        endpoint, params = ROUTE_MAP.bind("fake-cinder").match(path, method)
    except HTTPException as error:
        return type(error)
    return endpoint, params


def shapes_say(cache: ShapeCache, path: str, method: str) -> Any:
    try:
        return cache.match(path, method)
    except HTTPException as error:
        return type(error)


def concrete(rule: str, fill: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: fill.get(m.group(1), str(uuid.uuid4())), rule)


def test_every_rule_matches_as_werkzeug_matches() -> None:
    cache = ShapeCache.for_map(ROUTE_MAP, ROUTE_MAP.bind("fake-cinder"))
    assert cache is not None
    checked = 0
    for rule in ROUTE_MAP.iter_rules():
        for project in ("demo", uuid.uuid4().hex, str(uuid.uuid4())):
            for _ in range(3):  # the first fills the cache, the others hit it
                path = concrete(rule.rule, {"project_id": project})
                for variant in (path, path + "/", path.replace("/", "//", 1),
                                path.upper()):
                    for method in METHODS:
                        assert shapes_say(cache, variant, method) == werkzeug_says(
                            variant, method), (variant, method)
                        checked += 1
    assert checked > 10_000


def test_the_same_uuid_twice_and_names_that_look_like_uuids() -> None:
    cache = ShapeCache.for_map(ROUTE_MAP, ROUTE_MAP.bind("fake-cinder"))
    assert cache is not None
    same = str(uuid.uuid4())
    for path in (f"/v3/{same}/volumes/{same}", f"/v3/{same}/volumes/{same}",
                 f"/v3/demo/volumes/{uuid.uuid4()}", f"/v3/demo/volumes/{same.upper()}",
                 f"/_fake/ui/{same}", f"/_fake/ui/{uuid.uuid4()}/{same}"):
        for method in METHODS:
            assert shapes_say(cache, path, method) == werkzeug_says(path, method)


@pytest.mark.parametrize("rule", ["/things/<int:thing_id>", "/things/<uuid:thing_id>",
                                  "/things/<any(a, b):kind>"])
def test_maps_with_other_converters_are_declined(rule: str) -> None:
    url_map = Map([Rule(rule, endpoint="x")])
    assert ShapeCache.for_map(url_map, url_map.bind("x")) is None
    plain = Map([Rule("/things/<thing_id>", endpoint="x"), Rule("/ui/<path:name>",
                                                                  endpoint="y")])
    assert ShapeCache.for_map(plain, plain.bind("x")) is not None


def test_a_path_holding_the_placeholder_is_matched_as_werkzeug_matches() -> None:
    # A NUL segment is the placeholder a UUID's shape has: such a path must not be taken
    # for the shape of a remembered path with a UUID there.
    cache = ShapeCache.for_map(ROUTE_MAP, ROUTE_MAP.bind("fake-cinder"))
    assert cache is not None
    for path in (f"/v3/demo/attachments/{uuid.uuid4()}", "/v3/demo/attachments/\0",
                 f"/v3/demo/attachments/\0/{uuid.uuid4()}", "/v3/\0/volumes",
                 f"/v3/demo/volumes/{uuid.uuid4()}/metadata/\0"):
        for _ in range(2):
            for method in ("GET", "DELETE"):
                assert shapes_say(cache, path, method) == werkzeug_says(path, method), path
