"""One headless Chromium for all the dashboard's browser tests (it takes ~1 s to start)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.ui.headless import find_chromium, start_chromium


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
