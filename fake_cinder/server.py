"""The one HTTP server of every entry point: ``fake-cinder serve``, ``FakeCinder.serve()``
and the pytest plugin's ``fake_cinder_server``.

It is werkzeug's threaded WSGI server (a thread per connection), used through its public
API, with persistent HTTP/1.1 connections (``keepalive``: a cap on connections, idle ones
closed after a timeout). That server hands the application the connection's socket
(``environ["werkzeug.socket"]``) and takes a ConnectionError raised before any byte is
written as a dropped connection: so an injected ``drop_connection`` closes the
connection without an answer, on every entry point.

``Server`` adds what serving a fake needs: a cap on the requests handled at once,
an optional access log (method, path, microversion, status, milliseconds), and an
ordered stop that works from any thread or a signal handler: stop accepting, then
let the requests in progress finish and flush.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import get_sockaddr, select_address_family
from werkzeug.wsgi import ClosingIterator

from .api import microversions as mv
from .keepalive import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    Connections,
    KeepAliveServer,
    RequestHandler,
)

_ACCESS = logging.getLogger("fake_cinder.access")
DEFAULT_THREADS = 8

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class AccessLog:
    """WSGI middleware: one line per request (method, path, microversion, status, ms)."""

    def __init__(self, app: WSGIApp, logger: logging.Logger = _ACCESS) -> None:
        self.app = app
        self.logger = logger

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        if not self.logger.isEnabledFor(logging.INFO):
            return self.app(environ, start_response)  # no line wanted: no work
        started = time.perf_counter()
        seen: dict[str, Any] = {"status": "-", "version": "-"}

        def recording_start_response(status: str, headers: list[tuple[str, str]],
                                     exc_info: Any = None) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            for name, value in headers:
                if name.lower() == mv.HEADER.lower():
                    # "volume 3.54" -> "3.54"
                    seen["version"] = value.rsplit(" ", 1)[-1]
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, recording_start_response)
        finally:
            path = environ.get("PATH_INFO", "")
            if environ.get("QUERY_STRING"):
                path += "?" + environ["QUERY_STRING"]
            elapsed = (time.perf_counter() - started) * 1000
            self.logger.info("%s %s %s %s %.1fms", environ.get("REQUEST_METHOD", "-"), path,
                             seen["version"], seen["status"], elapsed)


class _Gate:
    """WSGI middleware: at most ``limit`` requests in the app at once; knows how many
    are in progress (until their response is sent)."""

    def __init__(self, app: WSGIApp, limit: int) -> None:
        self.app = app
        self._limit = limit
        self._changed = threading.Condition()  # one lock for the slots and the count
        self._busy = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        with self._changed:
            while self._busy >= self._limit:
                self._changed.wait()
            self._busy += 1
        try:
            # Released once the server has sent the body (and closed the iterable).
            return ClosingIterator(self.app(environ, start_response), self._done)
        except BaseException:
            self._done()
            raise

    def _done(self) -> None:
        with self._changed:
            self._busy -= 1
            # A request waiting for a slot, and wait_idle once none is busy.
            self._changed.notify_all()

    def wait_idle(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self._changed:
            while self._busy and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)


class Server:
    """Serves one WSGI app on ``host``:``port`` (0: a free ephemeral port).

    ``threads`` caps the requests in the app at once; ``max_connections`` the open
    (persistent) connections, so the server's threads; a connection with no request for
    ``idle_timeout`` seconds closes.

    ``serve_forever`` serves until ``shutdown`` (safe from any thread or a signal
    handler); ``start``/``stop`` (or ``with``) serve from a background thread.
    """

    DRAIN_SECONDS = 5.0

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0,
                 threads: int = DEFAULT_THREADS, access_log: bool = True,
                 request_handler: type[RequestHandler] = RequestHandler,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT) -> None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self._gate = _Gate(app, threads)
        served: WSGIApp = AccessLog(self._gate) if access_log else self._gate
        # Bound here, so that a failure raises OSError to the caller (werkzeug's own bind
        # would print it and exit the process).
        family = select_address_family(host, port)
        with socket.socket(family, socket.SOCK_STREAM) as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(get_sockaddr(host, port, family))
            listener.listen(128)
            # The server listens on its own duplicate of the descriptor.
            self._http = KeepAliveServer(host, port, served, request_handler,
                                         fd=listener.fileno(),
                                         max_connections=max_connections,
                                         idle_timeout=idle_timeout)
        self.host = host
        self.port: int = self._http.port  # the real one when port=0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def connections(self) -> Connections:
        """The open connections (``accepted`` counts every one so far)."""
        return self._http.connections

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve until ``shutdown``, then finish the requests in progress and close."""
        # The server's own threads accept and serve; its serve_forever waits in a thread
        # of its own, so that this one only waits: a signal handler running here may then
        # ask for the stop without deadlocking it.
        loop = threading.Thread(target=self._http.serve_forever,
                                name=f"fake-cinder accept {self.url}", daemon=True)
        loop.start()
        try:
            while not self._stopping.wait(0.5):
                pass
        finally:
            # Idle connections close now, busy ones after their response.
            self._http.connections.stop()
            self._http.shutdown()  # no new connections (the listening socket closes)
            loop.join()
            self._gate.wait_idle(self.DRAIN_SECONDS)
            self._http.connections.wait_closed(self.DRAIN_SECONDS)
            self._http.server_close()

    def shutdown(self) -> None:
        """Ask ``serve_forever`` to stop (from any thread, or a signal handler)."""
        self._stopping.set()

    def start_background(self) -> threading.Thread:
        """Serve from a daemon thread; stop with ``shutdown`` (or ``stop``)."""
        thread = threading.Thread(target=self.serve_forever, name=f"fake-cinder {self.url}",
                                  daemon=True)
        thread.start()
        self._thread = thread
        return thread

    def start(self) -> Server:
        self.start_background()
        return self

    def stop(self) -> None:
        """Stop serving and wait until the server has closed."""
        self.shutdown()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Server {self.url}>"
