"""One naming scheme for handlers: each is bound in its module under the name of the
operation it serves (``Operation.name`` for the v3 API, the OpenAPI operation id,
``RouteDoc.operation``, for every other URL). A handler serving one operation under two
URLs (os-volume-transfer and volume-transfers) carries one of its operations' names."""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fake_cinder.api.app import ROUTER


def _served() -> dict[Callable[..., Any], set[str]]:
    served: dict[Callable[..., Any], set[str]] = defaultdict(set)
    for route in ROUTER.routes:
        for operation in route.operations:
            served[operation.handler].add(operation.name)
    for web in ROUTER.web_routes:
        if web.doc is not None:
            served[web.view].add(web.doc.operation)
    return served


def _module_names(handler: Callable[..., Any]) -> list[str]:
    module = importlib.import_module(handler.__module__)
    return [name for name, value in vars(module).items() if value is handler]


def test_every_handler_is_named_for_its_operation() -> None:
    wrong = []
    for handler, operations in _served().items():
        names = _module_names(handler)
        if not set(names) & operations:
            wrong.append(f"{handler.__module__}: {names or handler!r} serves {sorted(operations)}")
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_every_route() -> None:
    served = _served()
    operations = {name for names in served.values() for name in names}
    assert len(operations) == sum(len(r.operations) for r in ROUTER.routes) + sum(
        1 for web in ROUTER.web_routes if web.doc is not None)
    # The only undocumented views are the dashboard's page and its files.
    assert {web.view.__module__ for web in ROUTER.web_routes if web.doc is None} == {
        "fake_cinder.api.dashboard"}
