"""The dashboard's pages in headless Chromium (issue 24): the volumes and the journal
come a page at a time from the server, filters narrow a large list there, a record
created while another page is shown does not move the page, and the short lists are
paged in the page. First paint is measured by `make bench` (benchmarks/dashboard.py),
not here."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path
from tests.helpers.api import CONNECTOR, SERVER
from tests.ui.test_dashboard_browser import (  # the browser tests' helpers and fixtures
    NOVA,
    assert_not_reloaded,
    open_dashboard,
    page,
    severe_console_messages,
    show_tab,
    wait_for,
)

__all__ = ["page"]  # a fixture, used by name
DEMO = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.71"}
PAGE = 25  # volumes a page (dashboard.js's PAGE_SIZE)


def pager_text(browser: Any, list_name: str) -> str:
    return browser.find_element(
        By.CSS_SELECTOR, f"nav.pager[data-list='{list_name}'] .page-info").text


def turn(browser: Any, list_name: str, button: str) -> None:
    browser.find_element(By.CSS_SELECTOR,
                         f"nav.pager[data-list='{list_name}'] button.{button}").click()


def shown_volume_names(browser: Any) -> list[str]:
    # Read in one script: rows re-rendered between two WebDriver calls would go stale.
    return browser.execute_script(
        "return [...document.querySelectorAll('tbody.volume strong')].map((e) => e.textContent)")


def attribute_values(browser: Any, css: str, attribute: str) -> list[str]:
    """Every match's attribute, read in one script (see shown_volume_names)."""
    return browser.execute_script(
        "return [...document.querySelectorAll(arguments[0])]"
        ".map((e) => e.getAttribute(arguments[1]))", css, attribute)


def add_named_volumes(fake: FakeCinder, count: int) -> list[str]:
    """``count`` volumes in project demo after the fixture's three, oldest first (and a
    quota that lets demo create more)."""
    fake.set_quotas("demo", volumes=-1, gigabytes=-1)
    return [fake.add_volume(name=f"paged-{index:02d}")["name"] for index in range(count)]


def test_volumes_next_and_previous(page: tuple[Any, str], fake: FakeCinder) -> None:
    browser, _url = page
    severe_console_messages(browser)  # drain what the session's earlier tests left
    names = [v["name"] for v in fake.volumes()] + add_named_volumes(fake, 57)
    wait_for(browser, lambda: pager_text(browser, "volumes") == "page 1 of 3 (1-25 of 60)")
    assert shown_volume_names(browser) == names[:PAGE]
    previous = browser.find_element(
        By.CSS_SELECTOR, "nav.pager[data-list='volumes'] button.previous")
    assert not previous.is_enabled()
    project = browser.find_element(By.CSS_SELECTOR, "article.project[data-project='demo']")
    assert "60 volume(s), 0 attachment(s)" in project.text  # the project's, not the page's
    turn(browser, "volumes", "next")
    wait_for(browser, lambda: shown_volume_names(browser) == names[PAGE:2 * PAGE])
    assert pager_text(browser, "volumes") == "page 2 of 3 (26-50 of 60)"
    turn(browser, "volumes", "next")
    wait_for(browser, lambda: shown_volume_names(browser) == names[2 * PAGE:])
    assert not browser.find_element(
        By.CSS_SELECTOR, "nav.pager[data-list='volumes'] button.next").is_enabled()
    turn(browser, "volumes", "previous")
    wait_for(browser, lambda: shown_volume_names(browser) == names[PAGE:2 * PAGE])
    assert_not_reloaded(browser)
    assert severe_console_messages(browser) == []


def test_a_filter_narrows_a_large_list(browser: Any) -> None:
    fake = FakeCinder(fixture_path("large.json"))
    with fake.serve() as server:
        open_dashboard(browser, server.url)
        wait_for(browser, lambda: pager_text(browser, "volumes") == "page 1 of 20 (1-25 of 480)")
        assert len(browser.find_elements(By.CSS_SELECTOR, "tbody.volume")) == PAGE
        search = browser.find_element(By.ID, "volume-search")
        search.send_keys("project-3-vol-1")
        wanted = sorted(v["name"] for v in fake.volumes()
                        if v["name"].startswith("project-3-vol-1"))
        wait_for(browser, lambda: sorted(shown_volume_names(browser)) == wanted)
        assert browser.find_element(By.ID, "volume-count").text == str(len(wanted))
        assert not browser.find_element(
            By.CSS_SELECTOR, "nav.pager[data-list='volumes']").is_displayed()  # one page
        search.clear()
        search.send_keys(" ")  # a blank search is no search
        Select(browser.find_element(By.ID, "volume-project")).select_by_value("project-5")
        Select(browser.find_element(By.ID, "volume-status")).select_by_value("in-use")
        in_use = [v for v in fake.volumes()
                  if v["project_id"] == "project-5" and v["status"] == "in-use"]
        wait_for(browser, lambda: browser.find_element(By.ID, "volume-count").text
                 == str(len(in_use)))
        rows = browser.find_elements(By.CSS_SELECTOR, "tbody.volume")
        assert len(rows) == min(PAGE, len(in_use))
        assert set(browser.execute_script(
            "return [...document.querySelectorAll('tbody.volume > tr:first-child span.status')]"
            ".map((e) => e.textContent)")) == {"in-use"}
        assert attribute_values(browser, "article.project", "data-project") == ["project-5"]
        assert [o.get_attribute("value") for o in Select(browser.find_element(
            By.ID, "volume-status")).options] == ["", "available", "in-use", "reserved"]
        search.send_keys("no-such-volume")
        wait_for(browser, lambda: browser.find_element(By.ID, "no-volumes").is_displayed())
        assert browser.find_element(By.ID, "no-volumes").text == "No volume matches."
        browser.get("about:blank")


def test_a_record_created_while_on_page_2(page: tuple[Any, str], fake: FakeCinder) -> None:
    browser, url = page
    names = [v["name"] for v in fake.volumes()] + add_named_volumes(fake, 57)
    wait_for(browser, lambda: pager_text(browser, "volumes").endswith("of 60)"))
    turn(browser, "volumes", "next")
    wait_for(browser, lambda: shown_volume_names(browser) == names[PAGE:2 * PAGE])
    created = requests.post(f"{url}/v3/demo/volumes", headers=DEMO, timeout=5,
                            json={"volume": {"size": 1, "name": "created-meanwhile"}})
    assert created.status_code == 202, created.text
    # The page stays where it was; only the count moves.
    wait_for(browser, lambda: pager_text(browser, "volumes") == "page 2 of 3 (26-50 of 61)")
    assert shown_volume_names(browser) == names[PAGE:2 * PAGE]
    # An attachment to a volume on this page shows up on it, live.
    on_page = next(v for v in fake.volumes() if v["name"] == names[PAGE + 3])
    attachment = requests.post(f"{url}/v3/demo/attachments", headers=NOVA, timeout=5, json={
        "attachment": {"volume_uuid": on_page["id"], "instance_uuid": SERVER,
                       "connector": CONNECTOR}}).json()["attachment"]
    row = wait_for(browser, lambda: browser.find_elements(
        By.CSS_SELECTOR, f"tr.attachment[data-attachment-id='{attachment['id']}']"))[0]
    assert SERVER in row.text
    turn(browser, "volumes", "next")
    wait_for(browser, lambda: shown_volume_names(browser)[-1:] == ["created-meanwhile"])
    assert shown_volume_names(browser) == names[2 * PAGE:] + ["created-meanwhile"]
    assert_not_reloaded(browser)


def test_the_journal_pages_newest_first(page: tuple[Any, str], fake: FakeCinder) -> None:
    browser, url = page
    show_tab(browser, "journal")
    for index in range(60):
        target = "nothing-here" if index % 10 == 0 else fake.volumes()[0]["id"]
        requests.get(f"{url}/v3/demo/volumes/{target}", timeout=5,
                     headers={"X-Auth-Token": "demo:demo"})
    wait_for(browser, lambda: pager_text(browser, "journal") == "page 1 of 2 (1-50 of 60)")
    seqs = [e.seq for e in fake.journal.entries()][::-1]
    shown = [int(seq) for seq in attribute_values(browser, "tbody.entry", "data-seq")]
    assert shown == seqs[:50]
    turn(browser, "journal", "next")
    wait_for(browser, lambda: [int(seq) for seq in attribute_values(
        browser, "tbody.entry", "data-seq")] == seqs[50:])
    # A filter starts from the first page, and narrows on the server.
    Select(browser.find_element(By.ID, "filter-status")).select_by_value("4xx")
    wait_for(browser, lambda: browser.find_element(By.ID, "journal-count").text == "6")
    assert browser.find_element(By.ID, "journal-total").text == "60"
    assert not browser.find_element(
        By.CSS_SELECTOR, "nav.pager[data-list='journal']").is_displayed()
    assert len(browser.find_elements(By.CSS_SELECTOR, "tbody.entry")) == 6
    assert_not_reloaded(browser)


@pytest.mark.parametrize("count", [30])
def test_the_short_lists_are_paged_in_the_page(page: tuple[Any, str], fake: FakeCinder,
                                                count: int) -> None:
    browser, _url = page
    for index in range(count):
        fake.faults.add("volume_show", status=500, project_id=f"project-{index:02d}")
    show_tab(browser, "faults")
    wait_for(browser, lambda: pager_text(browser, "faults") == f"page 1 of 2 (1-25 of {count})")
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.fault")) == 25
    turn(browser, "faults", "next")
    wait_for(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "tr.fault")) == 5)
    # The last page empties: the one before it is shown.
    for fault in fake.faults.list()[25:]:
        fake.faults.remove(fault.id)
    wait_for(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "tr.fault")) == 25)
    assert not browser.find_element(
        By.CSS_SELECTOR, "nav.pager[data-list='faults']").is_displayed()


def test_a_pending_record_links_to_its_volume(page: tuple[Any, str], fake: FakeCinder) -> None:
    browser, url = page
    add_named_volumes(fake, 30)
    fake.set_transition("volume_create", manual=True)
    created = requests.post(f"{url}/v3/demo/volumes", headers=DEMO, timeout=5,
                            json={"volume": {"size": 1, "name": "waiting"}})
    volume_id = created.json()["volume"]["id"]
    show_tab(browser, "transitions")
    row = wait_for(browser, lambda: browser.find_elements(
        By.CSS_SELECTOR, f"tr.pending[data-record-id='{volume_id}']"))[0]
    row.find_element(By.CSS_SELECTOR, "a.record-link").click()
    wait_for(browser, lambda: browser.find_element(By.ID, "volumes").is_displayed())
    wait_for(browser, lambda: shown_volume_names(browser) == ["waiting"])
    assert browser.find_element(By.ID, "volume-search").get_attribute("value") == volume_id
    assert browser.execute_script("return window.location.hash") == "#volumes"
