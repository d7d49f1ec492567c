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
from waitress.server import create_server
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
    """waitress serving one WSGI app; ``shutdown`` works from any thread or a signal."""

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

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve until ``shutdown``; then let the workers finish what they hold."""
        try:
            self._server.run()
        finally:
            self._server.task_dispatcher.shutdown()

    def shutdown(self) -> None:
        """Stop accepting and leave ``serve_forever``: the loop closes every socket
        itself, woken through waitress's trigger pipe (safe from a signal handler)."""
        wake = next((d for d in list(self._map.values()) if isinstance(d, Trigger)), None)
        if wake is not None:  # None: already shut down
            wake.pull_trigger(lambda: wasyncore.close_all(self._map))

    def start_background(self) -> threading.Thread:
        """Serve from a daemon thread (tests); stop with ``shutdown``."""
        thread = threading.Thread(target=self.serve_forever, name="fake-cinder-server",
                                  daemon=True)
        thread.start()
        return thread
