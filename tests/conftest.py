"""Shared fixtures: a fresh fake per test, pytest-flask's ``app``, API helpers and a
live threaded server, built on the package's own pytest plugin (``fake_cinder``,
``fake_cinder_server``: fake_cinder/pytest_plugin.py), so the suite exercises it.

Every response the app sends while a test runs (through pytest-flask's ``client``,
the ``api`` helpers or the live server) is checked against the response schemas in
``schemas/`` (see ``tests.helpers.response_check``); a test whose app sent a response
its schema rejects fails at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from fake_cinder import FakeCinder
from fake_cinder.pytest_plugin import MARKER, FakeCinderServer
from tests.helpers import installed
from tests.helpers.api import Api
from tests.helpers.indexes import index_every_column
from tests.helpers.response_check import install_response_check


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "install: installs the package into a fresh venv (deselect with "
                   "-m 'not install' for a quicker run)")


@pytest.fixture(scope="session")
def installed_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with fake-cinder installed as a user installs it (see installed.py)."""
    return installed.install(tmp_path_factory.mktemp("install"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test of the suite's ``fake`` gets the plugin's ``fake_cinder`` with the shipped
    default state, unless it names a state of its own with the plugin's marker."""
    for item in items:
        if ("fake" in getattr(item, "fixturenames", ())
                and item.get_closest_marker(MARKER) is None):
            item.add_marker(pytest.mark.fake_cinder_state("default.json"))


@pytest.fixture
def fake(fake_cinder: FakeCinder) -> Iterator[FakeCinder]:
    """The plugin's fresh ``fake_cinder`` (fixtures/default.json unless marked). It
    keeps every volume index of the store from the start, and at teardown they must
    agree with a full scan, whatever the test did (issue 24)."""
    index_every_column(fake_cinder)
    yield fake_cinder
    assert fake_cinder.store.check_indexes() == []


@pytest.fixture
def response_problems() -> Iterator[list[str]]:
    """Where the schema check of every checked app puts what it finds; must stay empty."""
    problems: list[str] = []
    yield problems
    assert not problems, "responses that do not match their schema:\n" + "\n".join(problems)


@pytest.fixture
def app(fake: FakeCinder, response_problems: list[str]) -> Flask:
    """pytest-flask's ``client`` fixture uses this app; its responses are schema-checked."""
    install_response_check(fake, response_problems)
    return fake.app


@pytest.fixture
def checked_fake(response_problems: list[str]) -> Callable[..., FakeCinder]:
    """Makes other FakeCinder instances (other settings) whose responses are checked too."""

    def make(*args: Any, **kwargs: Any) -> FakeCinder:
        made = FakeCinder(*args, **kwargs)
        install_response_check(made, response_problems)
        return made

    return make


@pytest.fixture
def api(client: Any) -> Api:
    """A member of project ``demo`` at microversion 3.71."""
    return Api(client)


@pytest.fixture
def admin(client: Any) -> Api:
    """An admin of project ``admin`` at microversion 3.71."""
    return Api(client, project="admin", roles="admin")


@pytest.fixture
def live_server_url(app: Flask, fake_cinder_server: FakeCinderServer) -> str:
    """The plugin's live server (the package's threaded server on an ephemeral loopback
    port), serving this test's fake; ``app`` installs the response check."""
    return fake_cinder_server.url
