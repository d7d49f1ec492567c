"""Shared fixtures: a fresh fake per test, pytest-flask's ``app``, API helpers and a
live threaded server.

Every response the app sends while a test runs (through pytest-flask's ``client``,
the ``api`` helpers or the live server) is checked against the response schemas in
``schemas/`` (see ``support.response_problems``); a test whose app sent a response
its schema rejects fails at teardown.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path
from fake_cinder.server import Server

# Test modules import their helpers with ``from support import ...``.
sys.path.insert(0, str(Path(__file__).parent))

import installed  # noqa: E402
from support import Api, install_response_check  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "install: installs the package into a fresh venv (deselect with "
                   "-m 'not install' for a quicker run)")


@pytest.fixture(scope="session")
def installed_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with fake-cinder installed as a user installs it (see installed.py)."""
    return installed.install(tmp_path_factory.mktemp("install"))


@pytest.fixture
def fake() -> FakeCinder:
    return FakeCinder(fixture_path("default.json"))


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
def live_server_url(app: Flask) -> Iterator[str]:
    """The fake's app behind the package's threaded server on an ephemeral loopback port."""
    with Server(app, "127.0.0.1", 0, access_log=False) as server:
        yield server.url
