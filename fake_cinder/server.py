"""The HTTP server of ``fake-cinder serve``: waitress, with an access log.

waitress is a threaded, production-grade pure-Python WSGI server (no compiled
parts, no dependencies of its own): a pool of worker threads serves concurrent
clients, unlike Werkzeug's development server.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.trigger import trigger as Trigger

from .api import microversions as mv

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


class Server:
    """waitress serving one WSGI app; ``shutdown`` works from any thread or a signal.

    The event loop is driven here (not by waitress's ``run``) so that stopping is
    ordered: stop accepting, let the requests in progress finish and flush, stop the
    worker threads, and only then close the sockets. (Closing them under running
    workers would let a worker write to a closed, maybe already reused, descriptor.)
    """

    DRAIN_SECONDS = 5.0

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0,
                 threads: int = DEFAULT_THREADS, access_log: bool = True) -> None:
        # Our own socket map: every socket this server opens, and nothing else.
        self._map: dict[int, Any] = {}
        self._server = create_server(AccessLog(app) if access_log else app, map=self._map,
                                     host=host, port=port, threads=threads, ident="fake-cinder")
        self.host = host
        # waitress answers with one listener, or several for a name such as "localhost".
        listening = getattr(self._server, "effective_listen", None)
        self.port: int = (listening[0][1] if listening
                          else self._server.effective_port)  # the real one when port=0
        self._stopping = threading.Event()
        # Re-entrant: a signal handler may run shutdown() in the thread that holds it.
        self._lock = threading.RLock()
        self._closed = False

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _poll(self, timeout: float) -> None:
        wasyncore.loop(timeout=timeout, map=self._map, count=1,
                       use_poll=self._server.adj.asyncore_use_poll)

    def serve_forever(self) -> None:
        """Serve until ``shutdown``, then finish the requests in progress and close."""
        try:
            while not self._stopping.is_set():
                self._poll(self._server.adj.asyncore_loop_timeout)
            self._drain()
        finally:
            self._server.task_dispatcher.shutdown()
            with self._lock:
                self._closed = True
                wasyncore.close_all(self._map)

    def _drain(self) -> None:
        """Close the listening sockets; serve the open connections until their requests
        are answered and sent (at most DRAIN_SECONDS)."""
        for dispatcher in list(self._map.values()):
            if isinstance(dispatcher, BaseWSGIServer):
                # The listening socket only: waitress's close() would close the trigger
                # pipe too, which the workers still use until they stop.
                wasyncore.dispatcher.close(dispatcher)
        deadline = time.monotonic() + self.DRAIN_SECONDS
        while time.monotonic() < deadline and any(
                isinstance(d, HTTPChannel) and (d.requests or d.total_outbufs_len)
                for d in list(self._map.values())):
            self._poll(0.05)

    def shutdown(self) -> None:
        """Ask ``serve_forever`` to stop (from any thread, or a signal handler)."""
        with self._lock:
            if self._stopping.is_set() or self._closed:
                return
            self._stopping.set()
            # Wake the loop from its poll: through a listener's trigger pipe.
            wake = next(d for d in list(self._map.values()) if isinstance(d, Trigger))
            wake.pull_trigger()

    def start_background(self) -> threading.Thread:
        """Serve from a daemon thread (tests); stop with ``shutdown``."""
        thread = threading.Thread(target=self.serve_forever, name="fake-cinder-server",
                                  daemon=True)
        thread.start()
        return thread
