"""pytest plugin (registered through the pytest11 entry point): fake Cinder fixtures.

- ``fake_cinder``: a fresh FakeCinder per test (empty, or preloaded by the
  ``fake_cinder_state`` marker);
- ``fake_cinder_server``: one live server per session (per xdist worker) whose
  WSGI app delegates to the current test's ``fake_cinder.app`` (with whatever the
  test added to it), so the state is fresh for each test and shared with
  ``fake_cinder``;
- ``fake_cinder_url``: that server's base URL.

``--cinder-target`` runs the same suite elsewhere (docs/shadow.md): ``fake`` (the default),
``real:URL`` (a real Cinder) or ``shadow:URL`` (a ``fake-cinder shadow`` proxy in front of
one). Outside ``fake``, ``fake_cinder_url`` is that URL and the fixtures of the fake itself
(``fake_cinder``, ``fake_cinder_server``: its inject, journal and state) skip their tests.

pytest imports this module at every start, in every environment fake-cinder is
installed in, used or not: it imports nothing heavy. Flask, werkzeug and the fake
itself are imported when a fixture is first used.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .fake import FakeCinder
    from .server import Server

MARKER = "fake_cinder_state"
TRANSITIONS_MARKER = "fake_cinder_transitions"
TARGET_OPTION = "--cinder-target"
TARGET_KINDS = ("real", "shadow")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("fake-cinder").addoption(
        TARGET_OPTION, default="fake", metavar="fake|real:URL|shadow:URL",
        help="where fake_cinder_url points: the fake (default), a real Cinder, or a "
             "fake-cinder shadow proxy; tests needing the fake's own hooks are skipped "
             "outside fake")


def cinder_target(config: pytest.Config) -> tuple[str, str | None]:
    """(``fake``, None) or (``real``/``shadow``, the URL without a trailing slash)."""
    value = str(config.getoption(TARGET_OPTION, default="fake") or "fake")
    if value == "fake":
        return "fake", None
    kind, _, url = value.partition(":")
    if kind not in TARGET_KINDS or not url.startswith(("http://", "https://")):
        raise pytest.UsageError(f"{TARGET_OPTION}={value}: expected fake, real:URL or "
                                "shadow:URL (URL: http://... or https://...)")
    return kind, url.rstrip("/")


def _needs_the_fake(request: pytest.FixtureRequest, fixture: str) -> None:
    kind, url = cinder_target(request.config)
    if kind != "fake":
        pytest.skip(f"{fixture} is the fake itself (its inject, journal and state): "
                    f"{TARGET_OPTION}={kind}:{url} has none of them")


def pytest_configure(config: pytest.Config) -> None:
    cinder_target(config)  # a bad --cinder-target is a usage error at once
    config.addinivalue_line(
        "markers", f"{MARKER}(path, **options): preload the fake_cinder fixture from a JSON "
        "state file (relative to the test file, the rootdir, or a fixture shipped with "
        "fake-cinder such as 'default.json'); options go to FakeCinder (seed=...)")
    config.addinivalue_line(
        "markers", f"{TRANSITIONS_MARKER}(settings=None, **operations): how long the "
        "fake_cinder fixture's asynchronous operations take, e.g. ({{'*': '1poll'}}, "
        "volume_delete='manual'); see FakeCinder.set_transition")


def _state_path(request: pytest.FixtureRequest, name: str | Path) -> Path:
    path = Path(name)
    from .resources import fixture_path

    candidates = [path] if path.is_absolute() else [
        request.path.parent / path, request.config.rootpath / path, fixture_path(str(path))]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise pytest.UsageError(f"@pytest.mark.{MARKER}: no state file {name} (tried {tried})")


def _check_options(options: dict[str, Any]) -> None:
    """The marker's keywords are FakeCinder's: name the marker and them on a typo."""
    from .fake import FakeCinder

    valid = [name for name, parameter in inspect.signature(FakeCinder).parameters.items()
             if parameter.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER}: unknown keyword {', '.join(unknown)}; "
            f"the keywords are FakeCinder's: {', '.join(valid)}")


@pytest.fixture
def fake_cinder(request: pytest.FixtureRequest) -> Iterator[FakeCinder]:
    """A fresh FakeCinder for one test; an error it hits while handling a request fails
    the test at teardown (set ``fake_cinder.raise_errors = False`` to allow it)."""
    from .fake import FakeCinder

    _needs_the_fake(request, "fake_cinder")
    options: dict[str, Any] = {}
    fixtures = None
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if len(marker.args) != 1:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes one state file path")
        fixtures = _state_path(request, marker.args[0])
        _check_options(marker.kwargs)
        options.update(marker.kwargs)
    transitions = request.node.get_closest_marker(TRANSITIONS_MARKER)
    if transitions is not None:
        settings = dict(*transitions.args, **transitions.kwargs)
        options["transitions"] = {**(options.get("transitions") or {}), **settings}
    try:
        fake = FakeCinder(fixtures, **options)
    except ValueError as exc:
        if transitions is None:
            raise
        raise pytest.UsageError(f"@pytest.mark.{TRANSITIONS_MARKER}: {exc}") from None
    yield fake
    if fake.raise_errors:
        fake.check_errors()


class _Delegate:
    """The session server's WSGI app: the app of whichever fake the current test owns."""

    def __init__(self) -> None:
        self.fake: FakeCinder | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if self.fake is None:
            body = json.dumps({"computeFault": {
                "code": 503, "message": "No test is using fake_cinder_server now."}})
            start_response("503 SERVICE UNAVAILABLE", [("Content-Type", "application/json")])
            return [body.encode()]
        return self.fake.app(environ, start_response)


@pytest.fixture(scope="session")
def _fake_cinder_session_server() -> Iterator[tuple[Server, _Delegate]]:
    from .server import Server

    delegate = _Delegate()
    with Server(delegate, access_log=False) as server:
        yield server, delegate


class FakeCinderServer:
    """What ``fake_cinder_server`` gives a test: the live server and its fake."""

    def __init__(self, server: Server, fake: FakeCinder) -> None:
        self.url = server.url
        self.host = server.host
        self.port = server.port
        self.fake = fake

    def __repr__(self) -> str:
        return f"<FakeCinderServer {self.url}>"


@pytest.fixture
def fake_cinder_server(_fake_cinder_session_server: tuple[Server, _Delegate],
                       fake_cinder: FakeCinder) -> Iterator[FakeCinderServer]:
    """The session's live server, serving this test's ``fake_cinder``."""
    server, delegate = _fake_cinder_session_server
    delegate.fake = fake_cinder
    try:
        yield FakeCinderServer(server, fake_cinder)
    finally:
        delegate.fake = None


@pytest.fixture
def fake_cinder_url(request: pytest.FixtureRequest) -> str:
    """Base URL of the live fake (``http://127.0.0.1:<port>``); with ``--cinder-target``
    ``real:URL`` or ``shadow:URL``, that URL."""
    kind, url = cinder_target(request.config)
    if url is not None:
        return url
    server: FakeCinderServer = request.getfixturevalue("fake_cinder_server")
    return server.url
