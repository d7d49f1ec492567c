"""The dashboard in a real browser: headless Chromium against a live fake.

API calls go over real sockets with ``requests`` while the page is open; the page
must pick them up by itself (a marker set in the page's window survives: no reload).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path
from tests.helpers.api import CONNECTOR, SERVER, SHARED_VOLUME, VOLUME

NOVA = {"X-Auth-Token": "nova:demo", "OpenStack-API-Version": "volume 3.54",
        "X-Service-Roles": "service"}
WAIT = 10  # seconds
POLL_MS = 200  # the page's polling interval in these tests (1 s by default)


pytestmark = pytest.mark.fake_cinder_state("default.json")


@pytest.fixture
def page(browser: Any, fake: FakeCinder) -> Iterator[tuple[Any, str]]:
    """The dashboard of a fresh live fake, open and rendered."""
    with fake.serve() as server:
        open_dashboard(browser, server.url)
        yield browser, server.url
        browser.get("about:blank")  # stop its polling before the server goes


def open_dashboard(browser: Any, url: str, tab: str = "volumes") -> None:
    browser.get(f"{url}/_fake/ui?poll={POLL_MS}#{tab}")
    wait_for(browser, lambda: browser.execute_script("return !!window.Alpine"))
    # A marker in the page's window: gone if the page were ever reloaded.
    browser.execute_script("window.dashboardMarker = 'same page';")


def wait_for(browser: Any, condition: Callable[[], Any], timeout: float = WAIT) -> Any:
    # A poll may re-render rows between finding an element and reading it: try again then.
    return WebDriverWait(browser, timeout, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda _d: condition())


def visible_text(browser: Any, css: str) -> list[str]:
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]


def show_tab(browser: Any, tab: str) -> None:
    browser.find_element(By.ID, f"tab-{tab}").click()
    wait_for(browser, lambda: browser.find_element(By.ID, tab).is_displayed())


def assert_not_reloaded(browser: Any) -> None:
    assert browser.execute_script("return window.dashboardMarker") == "same page"


def severe_console_messages(browser: Any) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def attach(url: str, volume: str = VOLUME, complete: bool = True) -> dict[str, Any]:
    created = requests.post(f"{url}/v3/demo/attachments", headers=NOVA, timeout=5, json={
        "attachment": {"volume_uuid": volume, "instance_uuid": SERVER, "connector": CONNECTOR}})
    assert created.status_code == 200, created.text
    attachment = created.json()["attachment"]
    if complete:
        done = requests.post(f"{url}/v3/demo/attachments/{attachment['id']}/action",
                             headers=NOVA, json={"os-complete": None}, timeout=5)
        assert done.status_code == 204
    return attachment


def test_default_state_renders(page: tuple[Any, str]) -> None:
    browser, url = page
    wait_for(browser, lambda: len(visible_text(browser, "tbody.volume")) == 3)
    project = browser.find_element(By.CSS_SELECTOR, "article.project[data-project='demo']")
    assert "3 volume(s), 0 attachment(s)" in project.text
    rows = {row.get_attribute("data-volume-id"): row.text
            for row in browser.find_elements(By.CSS_SELECTOR, "tbody.volume")}
    assert "demo-volume" in rows[VOLUME] and "available" in rows[VOLUME]
    assert "__DEFAULT__" in rows[VOLUME] and "iscsi" in rows[VOLUME]
    assert rows[SHARED_VOLUME].split()[-2:] == [  # multiattach through its type, its pool
        "yes", "fake-host@fake-backend#fake-pool"]
    assert "rbd" in rows["2e804d63-7d3c-4f20-9c69-3b8f5e4d0a33"]  # the ceph type
    assert browser.find_element(By.ID, "connection").text == "live"
    assert not browser.find_elements(By.CSS_SELECTOR, "tr.attachment")
    show_tab(browser, "journal")
    assert browser.find_element(By.ID, "journal-count").text == "0"
    show_tab(browser, "faults")
    assert browser.find_element(By.ID, "no-faults").is_displayed()
    show_tab(browser, "state")
    assert Select(browser.find_element(By.ID, "reset-project-id")).first_selected_option.text \
        == "demo"
    assert severe_console_messages(browser) == []
    # Works offline: everything the page loaded or called came from the fake.
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)")
    assert any(name.endswith("/vendor/alpine-3.17.5.min.js") for name in loaded)
    assert [name for name in loaded if not name.startswith(url + "/_fake/")] == []


def test_an_attach_through_the_api_shows_up_without_a_reload(page: tuple[Any, str]) -> None:
    browser, url = page
    wait_for(browser, lambda: visible_text(browser, "tbody.volume"))
    attachment = attach(url)
    requests.get(f"{url}/v3/demo/attachments/{VOLUME}", headers=NOVA, timeout=5)  # a 404
    selector = f"tr.attachment[data-attachment-id='{attachment['id']}']"
    row = wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, selector))[0]
    wait_for(browser, lambda: "attached" in row.find_element(By.CSS_SELECTOR, ".status").text)
    assert SERVER in row.text and "compute-1" in row.text
    timeline = [s.text for s in row.find_elements(By.CSS_SELECTOR, ".timeline .status")]
    assert timeline == ["reserved", "attaching", "attached"]
    # connection_info on demand.
    assert not row.find_elements(By.CSS_SELECTOR, "pre.connection-info")
    row.find_element(By.CSS_SELECTOR, "button.show-connection").click()
    info = wait_for(browser, lambda: row.find_elements(By.CSS_SELECTOR, "pre.connection-info"))
    assert json.loads(info[0].text)["driver_volume_type"] == "iscsi"

    show_tab(browser, "journal")
    wait_for(browser, lambda: browser.find_element(By.ID, "journal-count").text == "3")
    operations = [e.get_attribute("data-operation")
                  for e in browser.find_elements(By.CSS_SELECTOR, "tbody.entry")]
    assert operations == ["attachment_show", "attachment_complete", "attachment_create"]
    created = browser.find_element(By.CSS_SELECTOR, "tbody.entry[data-operation="
                                                    "'attachment_create']")
    assert not created.find_elements(By.CSS_SELECTOR, "pre.request-body")
    created.find_element(By.CSS_SELECTOR, "tr.entry-row").click()
    request_body = wait_for(browser, lambda: created.find_elements(
        By.CSS_SELECTOR, "pre.request-body"))[0]
    assert json.loads(request_body.text)["attachment"]["volume_uuid"] == VOLUME
    response_body = json.loads(created.find_element(By.CSS_SELECTOR, "pre.response-body").text)
    assert response_body["attachment"]["id"] == attachment["id"]

    # Filters: operation, status, project.
    Select(browser.find_element(By.ID, "filter-status")).select_by_value("4xx")
    wait_for(browser, lambda: browser.find_element(By.ID, "journal-count").text == "1")
    assert [e.get_attribute("data-operation") for e in browser.find_elements(
        By.CSS_SELECTOR, "tbody.entry")] == ["attachment_show"]
    Select(browser.find_element(By.ID, "filter-status")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-operation")).select_by_value(
        "attachment_complete")
    wait_for(browser, lambda: browser.find_element(By.ID, "journal-count").text == "1")
    Select(browser.find_element(By.ID, "filter-operation")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-project")).select_by_value("demo")
    wait_for(browser, lambda: browser.find_element(By.ID, "journal-count").text == "3")
    requests.get(f"{url}/v3/admin/attachments", timeout=5, headers={
        "X-Auth-Token": "admin:admin", "OpenStack-API-Version": "volume 3.27"})
    wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "tbody.entry")
             and "of 4 requests" in browser.find_element(By.ID, "journal").text)
    assert browser.find_element(By.ID, "journal-count").text == "3"  # admin's is hidden
    assert_not_reloaded(browser)
    assert severe_console_messages(browser) == []


def test_a_fault_injected_from_the_form_fails_the_next_call(
        page: tuple[Any, str], fake: FakeCinder) -> None:
    browser, url = page
    show_tab(browser, "faults")
    form = browser.find_element(By.ID, "fault-form")
    Select(form.find_element(By.NAME, "operation")).select_by_value("attachment_create")
    Select(form.find_element(By.NAME, "effect")).select_by_value("status")
    for name, value in (("status", "503"), ("message", "The backend is on fire."),
                        ("times", "1"), ("project_id", "demo")):
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    browser.find_element(By.ID, "inject").click()
    row = wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "tr.fault"))[0]
    [fault] = fake.faults.list()
    assert (fault.operation, fault.status, fault.message, fault.times, fault.project_id) == (
        "attachment_create", 503, "The backend is on fire.", 1, "demo")
    assert row.get_attribute("data-fault-id") == fault.id
    assert "project_id=demo" in row.text

    failed = requests.post(f"{url}/v3/demo/attachments", headers=NOVA, timeout=5, json={
        "attachment": {"volume_uuid": VOLUME, "instance_uuid": SERVER}})
    assert failed.status_code == 503
    [error] = failed.json().values()  # Cinder's error body, whatever its name
    assert error == {"code": 503, "message": "The backend is on fire."}
    wait_for(browser, lambda: row.find_element(By.CSS_SELECTOR, ".fired").text == "1")
    assert attach(url, complete=False)["status"] == "reserved"  # times=1: spent

    # Remove it from the page.
    fake.faults.add("attachment_delete", status=500)  # one more, injected from Python
    wait_for(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "tr.fault")) == 2)
    row.find_element(By.CSS_SELECTOR, "button.remove-fault").click()
    wait_for(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "tr.fault")) == 1)
    assert [f.operation for f in fake.faults.list()] == ["attachment_delete"]
    browser.find_element(By.ID, "remove-all-faults").click()
    wait_for(browser, browser.find_element(By.ID, "no-faults").is_displayed)
    assert fake.faults.list() == []
    assert_not_reloaded(browser)


def test_a_form_error_is_shown_and_changes_nothing(
        page: tuple[Any, str], fake: FakeCinder) -> None:
    browser, _url = page
    show_tab(browser, "faults")
    form = browser.find_element(By.ID, "fault-form")
    Select(form.find_element(By.NAME, "operation")).select_by_value("volume_list")
    Select(form.find_element(By.NAME, "effect")).select_by_value("backend_failure")
    browser.find_element(By.ID, "inject").click()
    error = wait_for(browser, lambda: [e for e in browser.find_elements(By.ID, "error")
                                       if e.is_displayed() and e.text])[0]
    assert "a backend failure can hit" in error.text
    assert fake.faults.list() == []


def test_reset_from_the_page(page: tuple[Any, str], fake: FakeCinder) -> None:
    browser, url = page
    first = attach(url)
    selector = "tr.attachment"
    wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, selector))
    browser.find_element(By.CSS_SELECTOR,
                         "article.project[data-project='demo'] button.reset-project").click()
    wait_for(browser, lambda: not browser.find_elements(By.CSS_SELECTOR, selector))
    assert fake.attachments() == []
    assert fake.volume(VOLUME)["status"] == "available"
    assert fake.journal.lifecycle(first["id"])  # a project reset keeps the journal

    attach(url, SHARED_VOLUME)
    fake.faults.add("attachment_update", status=500)
    wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, selector))
    show_tab(browser, "state")
    browser.find_element(By.ID, "reset-all").click()
    wait_for(browser, lambda: "everything reset" in browser.find_element(By.ID, "notice").text)
    assert fake.attachments() == [] and fake.faults.list() == [] and len(fake.journal) == 0
    assert fake.dump() == FakeCinder(fixture_path("default.json")).dump()
    show_tab(browser, "journal")
    assert browser.find_element(By.ID, "journal-count").text == "0"
    show_tab(browser, "volumes")
    assert not browser.find_elements(By.CSS_SELECTOR, selector)
    assert_not_reloaded(browser)


def test_download_the_state(page: tuple[Any, str], fake: FakeCinder) -> None:
    browser, url = page
    attachment = attach(url)
    # Catch the download the page starts: the file's name and what the blob holds.
    browser.execute_script("""
        window.downloaded = null;
        URL.revokeObjectURL = () => {};
        HTMLAnchorElement.prototype.click = function () {
            const name = this.download;
            fetch(this.href).then((r) => r.text()).then((text) => {
                window.downloaded = {name, text};
            });
        };""")
    show_tab(browser, "state")
    browser.find_element(By.ID, "download-state").click()
    downloaded = wait_for(browser, lambda: browser.execute_script("return window.downloaded"))
    assert downloaded["name"] == "fake-cinder-state.json"
    state = json.loads(downloaded["text"])
    assert state == fake.dump()
    assert [a["id"] for a in state["attachments"]] == [attachment["id"]]


def test_upload_a_state_file(page: tuple[Any, str], fake: FakeCinder,
                             tmp_path: Path) -> None:
    browser, _url = page
    state = fake.dump()
    state["volumes"] = state["volumes"][:1]
    state["volumes"][0]["name"] = "uploaded-volume"
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    show_tab(browser, "state")
    browser.find_element(By.ID, "state-file").send_keys(str(path))
    browser.find_element(By.ID, "upload-replace").click()
    wait_for(browser, lambda: "replaced by state.json" in browser.find_element(
        By.ID, "notice").text)
    assert [v["name"] for v in fake.volumes()] == ["uploaded-volume"]
    show_tab(browser, "volumes")
    assert visible_text(browser, "tbody.volume strong") == ["uploaded-volume"]
    # A bad file is refused with the fake's message; the state stays.
    path.write_text(json.dumps({"volumes": [{"id": "x"}]}))
    show_tab(browser, "state")
    browser.find_element(By.ID, "state-file").send_keys(str(path))
    browser.find_element(By.ID, "upload-replace").click()
    error = wait_for(browser, lambda: [e for e in browser.find_elements(By.ID, "error")
                                       if e.is_displayed() and e.text])[0]
    assert "$.volumes[0]" in error.text
    assert [v["name"] for v in fake.volumes()] == ["uploaded-volume"]


def test_the_control_token_is_asked_for_once(browser: Any) -> None:
    fake = FakeCinder(fixture_path("default.json"), control_token="s3cret")
    with fake.serve() as server:
        open_dashboard(browser, server.url)
        dialog = browser.find_element(By.ID, "token-dialog")
        wait_for(browser, dialog.is_displayed)
        assert not browser.find_elements(By.CSS_SELECTOR, "tbody.volume")
        token = browser.find_element(By.ID, "token-input")
        token.send_keys("wrong")
        browser.find_element(By.ID, "token-save").click()
        wait_for(browser, lambda: "refused" in dialog.text and dialog.is_displayed())
        assert not browser.find_elements(By.CSS_SELECTOR, "tbody.volume")
        token.send_keys("s3cret")
        browser.find_element(By.ID, "token-save").click()
        wait_for(browser, lambda: len(visible_text(browser, "tbody.volume")) == 3)
        assert not dialog.is_displayed()
        # Kept for the tab: a reload does not ask again, and the page still works.
        browser.refresh()
        wait_for(browser, lambda: len(visible_text(browser, "tbody.volume")) == 3)
        assert not browser.find_element(By.ID, "token-dialog").is_displayed()
        attach(server.url)
        wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "tr.attachment"))
        browser.get("about:blank")


def test_the_page_starts_over_when_the_server_comes_back(browser: Any) -> None:
    first = FakeCinder(fixture_path("default.json"))
    with first.serve() as server:
        port = server.port
        open_dashboard(browser, server.url)
        attach(server.url)
        wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "tr.attachment"))
    badge = browser.find_element(By.ID, "connection")
    wait_for(browser, lambda: badge.text == "offline")
    # Another fake on the same port: its state, and its journal from the start.
    second = FakeCinder(fixture_path("multiattach.json"))
    with second.serve(port=port) as server:
        wait_for(browser, lambda: badge.text == "live")
        names = {v["name"] for v in second.volumes()}
        wait_for(browser, lambda: set(visible_text(browser, "tbody.volume strong")) == names)
        shown = {e.get_attribute("data-attachment-id")
                 for e in browser.find_elements(By.CSS_SELECTOR, "tr.attachment")}
        assert shown == {a["id"] for a in second.attachments()}
        show_tab(browser, "journal")
        assert browser.find_element(By.ID, "journal-count").text == "0"
        assert_not_reloaded(browser)
        browser.get("about:blank")


def test_the_backends_tab_shows_services_and_pools_and_changes_services(
        page: tuple[Any, str], fake: FakeCinder) -> None:
    browser, url = page
    severe_console_messages(browser)  # drained: what earlier tests left is theirs
    show_tab(browser, "backends")
    wait_for(browser, lambda: len(visible_text(browser, "tr.service")) == 3)
    services = {row.get_attribute("data-host"): row
                for row in browser.find_elements(By.CSS_SELECTOR, "tr.service")}
    assert "cinder-scheduler" in services["fake-host"].text
    pool = browser.find_element(By.CSS_SELECTOR, "tr.pool[data-pool='fake-host@ceph#volumes']")
    assert pool.text.split() == ["fake-host@ceph#volumes", "5000", "GiB", "4", "GiB", "1", "yes"]
    services["fake-host@ceph"].find_element(By.CSS_SELECTOR, "button.toggle-disabled").click()
    wait_for(browser, lambda: fake.services()[2]["status"] == "disabled")
    wait_for(browser, lambda: browser.find_element(
        By.CSS_SELECTOR, "tr.pool[data-pool='fake-host@ceph#volumes']").text.endswith("no"))
    # A backend added through the API shows up by itself.
    requests.post(f"{url}/_fake/backends", timeout=5, json={
        "host": "east@lvm", "volume_backend_name": "lvm", "availability_zone": "east",
        "pools": [{"name": "p1"}]})
    wait_for(browser, lambda: browser.find_elements(
        By.CSS_SELECTOR, "article.backend[data-host='east@lvm']"))
    assert browser.execute_script("return window.dashboardMarker") == "same page"
    assert severe_console_messages(browser) == []
