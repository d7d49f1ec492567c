"""Installing fake-cinder must not slow down every pytest start: its pytest11 plugin
imports nothing heavy (Flask, werkzeug, jsonschema or the fake are imported when a
fixture is first used). `make bench` measures the import ("plugin" figure)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys, pytest
before = set(sys.modules)
import fake_cinder.pytest_plugin
print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_importing_the_plugin_imports_only_the_plugin() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          check=True)
    assert sorted(done.stdout.split()) == ["fake_cinder", "fake_cinder.pytest_plugin"]


def test_the_package_still_offers_its_api_on_first_use() -> None:
    import fake_cinder

    assert fake_cinder.FakeCinder.__module__ == "fake_cinder.fake"
    assert fake_cinder.create_app().test_client().get("/_fake/health").status_code == 200
