"""The dashboard's transitions tab in headless Chromium: the volume manager's pending work
shows up by itself, one record's or all of it can be advanced, progressions can be set,
and an asynchronous failure can be injected from the fault form."""

from __future__ import annotations

from typing import Any

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from fake_cinder import FakeCinder
from tests.ui.test_dashboard_browser import (  # the browser tests' helpers and fixtures
    assert_not_reloaded,
    page,
    severe_console_messages,
    show_tab,
    wait_for,
)

__all__ = ["page"]  # a fixture, used by name
DEMO = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.71"}


def create_volume(url: str) -> str:
    created = requests.post(f"{url}/v3/demo/volumes", headers=DEMO, timeout=5,
                            json={"volume": {"size": 1}})
    assert created.status_code == 202, created.text
    return created.json()["volume"]["id"]


def pending_rows(browser: Any) -> list[Any]:
    return browser.find_elements(By.CSS_SELECTOR, "tr.pending")


def test_pending_work_shows_up_and_is_advanced_from_the_page(
        page: tuple[Any, str], fake: FakeCinder) -> None:
    browser, url = page
    severe_console_messages(browser)  # drain what the session's earlier tests left
    show_tab(browser, "transitions")
    assert browser.find_element(By.ID, "no-pending").is_displayed()
    # Set a progression from the form: every volume_create waits for an advance.
    form = browser.find_element(By.ID, "progression-form")
    wait_for(browser, lambda: len(form.find_elements(By.CSS_SELECTOR, "option")) > 5)
    Select(form.find_element(By.NAME, "operation")).select_by_value("volume_create")
    Select(form.find_element(By.NAME, "mode")).select_by_value("manual")
    browser.find_element(By.ID, "set-progression").click()
    wait_for(browser, lambda: fake.transitions()["progressions"] == {"volume_create": "manual"})
    wait_for(browser, lambda: "volume_create: manual" in
             browser.find_element(By.ID, "progressions").text)

    first, second = create_volume(url), create_volume(url)
    wait_for(browser, lambda: len(pending_rows(browser)) == 2)
    row = browser.find_element(By.CSS_SELECTOR, f"tr.pending[data-record-id='{first}']")
    wait_for(browser, lambda: "until advanced" in row.text)
    assert "creating" in row.text and "available" in row.text
    row.find_element(By.CSS_SELECTOR, "button.advance").click()
    wait_for(browser, lambda: len(pending_rows(browser)) == 1)
    assert fake.volume(first)["status"] == "available"
    assert fake.volume(second)["status"] == "creating"
    browser.find_element(By.ID, "advance-all").click()
    wait_for(browser, browser.find_element(By.ID, "no-pending").is_displayed)
    assert fake.volume(second)["status"] == "available"
    assert severe_console_messages(browser) == []
    assert_not_reloaded(browser)


def test_an_asynchronous_failure_from_the_fault_form(
        page: tuple[Any, str], fake: FakeCinder) -> None:
    browser, url = page
    fake.set_transition("volume_create", manual=True)
    show_tab(browser, "faults")
    form = browser.find_element(By.ID, "fault-form")
    wait_for(browser, lambda: len(form.find_elements(By.CSS_SELECTOR, "option")) > 5)
    Select(form.find_element(By.NAME, "operation")).select_by_value("volume_create")
    Select(form.find_element(By.NAME, "effect")).select_by_value("async_failure")
    browser.find_element(By.ID, "inject").click()
    row = wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "tr.fault"))[0]
    assert "asynchronous failure" in row.text
    volume_id = create_volume(url)
    show_tab(browser, "transitions")
    wait_for(browser, lambda: [row for row in pending_rows(browser)
                               if volume_id in row.text and "error" in row.text])
    [pending] = pending_rows(browser)
    pending.find_element(By.CSS_SELECTOR, "button.advance").click()
    wait_for(browser, browser.find_element(By.ID, "no-pending").is_displayed)
    assert fake.volume(volume_id)["status"] == "error"
