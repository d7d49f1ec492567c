"""Checking operation names (``attachment_create``...) where users type them."""

from __future__ import annotations

import difflib
from collections.abc import Collection


def check_operation(name: object, known: Collection[str]) -> None:
    """Raise ``ValueError`` for a name that is not one of ``known``, listing them all
    (and the closest one first: a typo should not pass as "called 0 times")."""
    if name in known:
        return
    close = difflib.get_close_matches(name, known, n=1) if isinstance(name, str) else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"unknown operation {name!r}{hint}; one of {', '.join(sorted(known))}")
