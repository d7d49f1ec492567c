"""Which consumer test covers which public method of ``nova.volume.cinder.API``.

``python -m consumers.nova.coverage`` (in .venv-nova) prints the table.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from nova.volume import cinder

HERE = Path(__file__).resolve().parent
PACKAGE = __package__  # consumers.nova, also under python -m


def public_methods() -> set[str]:
    return {name for name, _ in inspect.getmembers(cinder.API, inspect.isfunction)
            if not name.startswith("_")}


def covered_methods() -> dict[str, list[str]]:
    """method -> the tests that cover it, from the ``covers`` marks of this group."""
    covered: dict[str, list[str]] = {}
    for path in sorted(HERE.glob("test_*.py")):
        module = importlib.import_module(f"{PACKAGE}.{path.stem}")
        for name, test in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_"):
                continue
            for mark in getattr(test, "pytestmark", []):
                if mark.name == "covers":
                    for method in mark.args:
                        covered.setdefault(method, []).append(f"{path.stem}::{name}")
    return covered


def main() -> None:
    covered = covered_methods()
    for method in sorted(public_methods()):
        tests = covered.get(method)
        print(f"{method:32} {', '.join(tests) if tests else 'MISSING'}")


if __name__ == "__main__":
    main()
