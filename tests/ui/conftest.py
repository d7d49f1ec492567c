"""One headless Chromium for all the dashboard's browser tests (it takes ~1 s to start)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Importlib mode puts no test directory on sys.path; tests/properties does the same.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from headless import find_chromium, start_chromium  # noqa: E402


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    found = find_chromium()
    if isinstance(found, str):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the dashboard's browser tests must run in CI: {found}")
        pytest.skip(f"no headless Chromium for the dashboard's browser tests: {found}")
    driver = start_chromium(found, str(tmp_path_factory.mktemp("chromium-profile")))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
