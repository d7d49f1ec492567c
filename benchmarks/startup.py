"""What installing fake-cinder adds to every pytest start: importing its pytest11 plugin.

pytest imports every installed plugin before it collects anything, used or not. Each
sample is a fresh interpreter that has imported pytest already (as pytest has when it
loads plugins) and then times ``import fake_cinder.pytest_plugin``.
"""

from __future__ import annotations

import subprocess
import sys

from .harness import Figure

_PROBE = """
import time, pytest
began = time.perf_counter()
import fake_cinder.pytest_plugin
print(time.perf_counter() - began)
"""


def plugin_import_seconds() -> float:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          check=True)
    return float(done.stdout)


def plugin_figure(rounds: int = 15) -> Figure:
    samples = sorted(plugin_import_seconds() for _ in range(rounds))
    return Figure("pytest start: importing the plugin", samples[0] * 1e3, 30, "ms",
                  spread=f"median {samples[len(samples) // 2] * 1e3:.1f} ms",
                  detail=f"best of {rounds} fresh interpreters")
