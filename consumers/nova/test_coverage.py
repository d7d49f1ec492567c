"""Every public method of Nova's ``nova.volume.cinder.API`` has a consumer test.

A test names what it drives with ``@pytest.mark.covers(...)``, and the ``nova_api``
fixture fails it unless it called each of those methods; this test fails when a
public method of the installed Nova is named by no test.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from nova.volume import cinder

HERE = Path(__file__).resolve().parent


def public_methods() -> set[str]:
    return {name for name, _ in inspect.getmembers(cinder.API, inspect.isfunction)
            if not name.startswith("_")}


def covered_methods() -> dict[str, list[str]]:
    """method -> the tests that cover it, from the ``covers`` marks of this group."""
    covered: dict[str, list[str]] = {}
    for path in sorted(HERE.glob("test_*.py")):
        module = importlib.import_module(f"{__package__}.{path.stem}")
        for name, test in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_"):
                continue
            for mark in getattr(test, "pytestmark", []):
                if mark.name == "covers":
                    for method in mark.args:
                        covered.setdefault(method, []).append(f"{path.stem}::{name}")
    return covered


def test_every_public_method_has_a_consumer_test() -> None:
    covered = covered_methods()
    missing = public_methods() - set(covered)
    assert not missing, f"no consumer test covers nova.volume.cinder.API.{sorted(missing)}"


def test_covers_names_only_real_methods() -> None:
    unknown = set(covered_methods()) - public_methods()
    assert not unknown, f"covers() names methods Nova's API does not have: {sorted(unknown)}"


def test_nova_is_the_pinned_release() -> None:
    from importlib.metadata import version

    assert version("nova") == "34.0.0"
    assert len(public_methods()) == 32  # Nova 34.0.0's API; a new one needs its test
