"""Debian's Chromium, headless, through its own chromedriver (Selenium is given both
paths, so Selenium Manager never looks anything up or downloads a browser)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

# What works as root in a container: no sandbox, no GPU, nothing fetched in the background.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1000")
INSTALL_HINT = "apt-get install -y chromium chromium-driver"


@dataclass(frozen=True)
class ChromiumPaths:
    browser: str
    driver: str


def find_chromium() -> ChromiumPaths | str:
    """The browser and driver (overridable by $CHROMIUM and $CHROMEDRIVER), or why not."""
    browser = os.environ.get("CHROMIUM") or shutil.which("chromium")
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", browser), ("chromedriver", driver))
               if not path]
    if missing:
        return f"{' and '.join(missing)} not found on PATH ({INSTALL_HINT})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    assert browser and driver
    return ChromiumPaths(browser, driver)


def start_chromium(paths: ChromiumPaths, profile: str | None = None) -> Any:
    """A headless Chromium with a fresh profile; quit() it when done."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = paths.browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile or tempfile.mkdtemp(prefix='chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=paths.driver))
