"""Shared fixtures: a fresh fake per test and pytest-flask's ``app``."""

from __future__ import annotations

import threading

import pytest

from fake_cinder import FakeCinder
from fake_cinder.resources import fixture_path


@pytest.fixture
def fake() -> FakeCinder:
    return FakeCinder(fixture_path("default.json"))


@pytest.fixture
def app(fake: FakeCinder):
    """pytest-flask's ``client`` fixture uses this app."""
    return fake.app


class LiveFake:
    """A FakeCinder served by Werkzeug's threaded server on an ephemeral loopback port."""

    def __init__(self, fake: FakeCinder) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args: object, **kwargs: object) -> None:
                pass  # thousands of requests per test: no access log

        self.fake = fake
        self.server = make_server("127.0.0.1", 0, fake.app, threaded=True,
                                  request_handler=Quiet)
        self.url = f"http://127.0.0.1:{self.server.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def live_fake(fake: FakeCinder):
    """The test's ``fake`` over real sockets; ``live_fake.url`` is its base URL."""
    live = LiveFake(fake)
    yield live
    live.stop()


@pytest.fixture(scope="session")
def serve_fake():
    """serve_fake(fake) -> LiveFake, for fixtures of wider scope; stopped at the end."""
    started: list[LiveFake] = []

    def serve(fake: FakeCinder) -> LiveFake:
        started.append(LiveFake(fake))
        return started[-1]
    yield serve
    for live in started:
        live.stop()
