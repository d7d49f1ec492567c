"""A URL rule that compiles its URL builder on first use.

Werkzeug generates and compiles Python code (through ``ast``) to build URLs for
every rule as it is added; that was most of the cost of a new app (~0.3 ms a
rule). The fake routes every request but rarely builds a URL, so the builder
is compiled the first time ``url_for`` or a redirect needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyBuildRule(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., Any]:
        name = "_build_unknown" if append_unknown else "_build"
        compile_real = super()._compile_builder

        def build_first_time(rule: LazyBuildRule, *args: Any, **kwargs: Any) -> Any:
            real = compile_real(append_unknown).__get__(rule, None)
            setattr(rule, name, real)  # later calls go straight to the compiled builder
            return real(*args, **kwargs)
        return build_first_time
