"""A Flask app that is cheap to create, for a fake per test.

Werkzeug compiles every URL rule as it is added (a regex parse and generated
Python code for URL building, ~0.1-0.3 ms a rule); an app with fifty routes
took several milliseconds before it could answer. Every fake has the same
routes, so the compiled rules are built once per process and shared by every
app whose routes are the same; each app still has its own view functions.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from flask import Flask
from werkzeug.routing import Map, MapAdapter, Rule, RuleFactory
from werkzeug.routing.matcher import StateMachineMatcher


class LazyBuildRule(Rule):
    """A rule that compiles its URL builder the first time a URL is built."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., Any]:
        name = "_build_unknown" if append_unknown else "_build"
        compile_real = super()._compile_builder

        def build_first_time(rule: LazyBuildRule, *args: Any, **kwargs: Any) -> Any:
            real = compile_real(append_unknown).__get__(rule, None)
            setattr(rule, name, real)  # later calls go straight to the compiled builder
            return real(*args, **kwargs)
        return build_first_time


def _rule_key(rule: Rule) -> Hashable:
    """Everything that makes a rule match and build the way it does."""
    defaults = tuple(sorted(rule.defaults.items())) if rule.defaults else None
    methods = frozenset(rule.methods) if rule.methods is not None else None
    return (type(rule), rule.rule, rule.endpoint, methods, defaults, rule.subdomain, rule.host,
            rule.strict_slashes, rule.merge_slashes, rule.build_only, rule.redirect_to,
            rule.alias, rule.websocket, getattr(rule, "provide_automatic_options", None))


_SHARED: dict[Hashable, Map] = {}
_SHARED_LOCK = threading.Lock()


class SharedRulesMap(Map):
    """A Map that collects its rules and, when first used, adopts the compiled state
    of an identical map built earlier in this process (or builds that map).

    Adding a rule after that gives this map a private copy first, so no app
    ever changes what another one routes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pending: list[Rule] = []
        self._ready = False
        self._shared = False
        self._own_lock = threading.RLock()
        super().__init__(*args, **kwargs)

    def _config_key(self) -> Hashable:
        return (self.default_subdomain, self.strict_slashes, self.merge_slashes,
                self.redirect_defaults, tuple(sorted(self.converters.items())),
                self.sort_parameters, self.sort_key, self.host_matching)

    def _ready_up(self) -> None:
        if self._ready:
            return
        with self._own_lock:
            if self._ready:
                return
            try:
                key = (self._config_key(), tuple(_rule_key(r) for r in self._pending))
                hash(key)
            except TypeError:  # an unhashable option: compile this map's own rules
                self._go_private()
                return
            with _SHARED_LOCK:
                canonical = _SHARED.get(key)
                if canonical is None:
                    canonical = Map(
                        default_subdomain=self.default_subdomain,
                        strict_slashes=self.strict_slashes, merge_slashes=self.merge_slashes,
                        redirect_defaults=self.redirect_defaults, converters=self.converters,
                        sort_parameters=self.sort_parameters, sort_key=self.sort_key,
                        host_matching=self.host_matching)
                    for rule in self._pending:
                        canonical.add(copy.copy(rule))  # unbound copies: ours stay unbound
                    canonical.update()
                    _SHARED[key] = canonical
            self._matcher = canonical._matcher
            self._rules_by_endpoint = canonical._rules_by_endpoint
            self._remap = False
            self._shared = True
            self._ready = True

    def _go_private(self) -> None:
        """Compile this map's own rules (from now on a plain Map)."""
        with self._own_lock:
            self._matcher = StateMachineMatcher(self.merge_slashes)
            self._rules_by_endpoint = {}
            pending, self._pending = self._pending, []
            self._ready, self._shared = True, False
            for rule in pending:
                super().add(rule)

    # -- Map's entry points --------------------------------------------------------------------
    def add(self, rulefactory: RuleFactory) -> None:
        with self._own_lock:
            if not self._ready:
                self._pending.extend(rulefactory.get_rules(self))
                return
            if self._shared:
                self._go_private()
            super().add(rulefactory)

    def bind(self, *args: Any, **kwargs: Any) -> MapAdapter:
        self._ready_up()
        return super().bind(*args, **kwargs)

    def bind_to_environ(self, *args: Any, **kwargs: Any) -> MapAdapter:
        self._ready_up()
        return super().bind_to_environ(*args, **kwargs)

    def update(self) -> None:
        self._ready_up()
        super().update()

    def iter_rules(self, endpoint: Any | None = None) -> Iterator[Rule]:
        self._ready_up()
        return super().iter_rules(endpoint)

    def is_endpoint_expecting(self, endpoint: Any, *arguments: str) -> bool:
        self._ready_up()
        return super().is_endpoint_expecting(endpoint, *arguments)

    @property
    def _rules(self) -> list[Rule]:
        self._ready_up()
        return [rule for rules in self._rules_by_endpoint.values() for rule in rules]


class FakeFlask(Flask):
    """Flask with shared compiled routes and lazily compiled URL builders."""

    url_rule_class = LazyBuildRule
    url_map_class = SharedRulesMap

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # Flask asks inspect whether each hook and view is a coroutine, on every request.
        sync = self._sync.get(func)
        if sync is None:
            sync = self._sync[func] = super().ensure_sync(func)
        return sync
