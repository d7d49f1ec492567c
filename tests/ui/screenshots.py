"""Take the dashboard's screenshots for docs/ (``make screenshots``).

A fake with a little history (attachments in two projects, a multiattach volume,
an injected fault that fired, a 404, a project of 30 volumes: more than a page) is
served on an ephemeral port, and headless Chromium saves each view as
docs/dashboard-<view>.png.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import requests
from selenium.webdriver.common.by import By

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: the root

from tests.helpers.api import CONNECTOR, SERVER, SERVER2, SHARED_VOLUME, VOLUME  # noqa: E402
from tests.ui.headless import find_chromium, start_chromium  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
NOVA = {"X-Auth-Token": "nova:demo", "OpenStack-API-Version": "volume 3.54",
        "X-Service-Roles": "service"}
ADMIN = {"X-Auth-Token": "admin:admin", "OpenStack-API-Version": "volume 3.54"}


def attach(url: str, volume: str, server: str, project: str = "demo",
           headers: dict[str, str] = NOVA, complete: bool = True) -> requests.Response:
    created = requests.post(f"{url}/v3/{project}/attachments", headers=headers, timeout=5, json={
        "attachment": {"volume_uuid": volume, "instance_uuid": server,
                       "connector": {**CONNECTOR, "host": f"compute-{server[-1]}"}}})
    if complete and created.ok:
        attachment_id = created.json()["attachment"]["id"]
        requests.post(f"{url}/v3/{project}/attachments/{attachment_id}/action",
                      headers=headers, json={"os-complete": None}, timeout=5)
    return created


def history(fake: FakeCinder, url: str) -> None:
    admin_volume = fake.add_volume(project_id="admin", name="admin-scratch", size=8,
                                   volume_type="ceph")["id"]
    attach(url, VOLUME, SERVER)
    attach(url, SHARED_VOLUME, SERVER)
    reserved = requests.post(f"{url}/v3/demo/attachments", headers=NOVA, timeout=5, json={
        "attachment": {"volume_uuid": SHARED_VOLUME, "instance_uuid": SERVER2}})
    attach(url, admin_volume, "7c3a2b8e-5d9f-4e4a-9b32-6fac8d4e9a03", "admin", ADMIN)
    fake.inject("attachment_update", status=503, times=None, project_id="demo")
    fake.inject("attachment_delete", latency=0.2, probability=0.25)
    requests.get(f"{url}/v3/demo/attachments/{VOLUME}", headers=NOVA, timeout=5)
    # A project of many volumes: the volumes view shows its first page of 25.
    for index in range(30):
        fake.add_volume(project_id="tenant-b", name=f"batch-{index:02d}", size=2)
    pending = reserved.json()["attachment"]["id"]
    requests.put(f"{url}/v3/demo/attachments/{pending}", headers=NOVA, timeout=5,
                 json={"attachment": {"connector": CONNECTOR}})


def main() -> int:
    found = find_chromium()
    if isinstance(found, str):
        print(f"cannot take screenshots: {found}", file=sys.stderr)
        return 1
    fake = FakeCinder(fixture_path("default.json"), seed=7)
    DOCS.mkdir(exist_ok=True)
    with fake.serve() as server, tempfile.TemporaryDirectory() as profile:
        history(fake, server.url)
        browser = start_chromium(found, profile)
        try:
            browser.set_window_size(1400, 1100)
            browser.get(f"{server.url}/_fake/ui#volumes")
            time.sleep(1.5)
            browser.save_screenshot(str(DOCS / "dashboard-volumes.png"))
            browser.find_element(By.ID, "tab-journal").click()
            time.sleep(0.3)
            browser.find_element(By.CSS_SELECTOR, "tbody.entry[data-operation="
                                 "'attachment_update'] tr.entry-row").click()
            time.sleep(0.3)
            browser.save_screenshot(str(DOCS / "dashboard-journal.png"))
            browser.find_element(By.ID, "tab-faults").click()
            time.sleep(0.3)
            browser.save_screenshot(str(DOCS / "dashboard-faults.png"))
            browser.find_element(By.ID, "tab-state").click()
            time.sleep(0.3)
            browser.set_window_size(1400, 700)
            browser.save_screenshot(str(DOCS / "dashboard-state.png"))
            browser.get("about:blank")
        finally:
            browser.quit()
    for name in ("volumes", "journal", "faults", "state"):
        print(DOCS / f"dashboard-{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
