"""A live threaded HTTP server on loopback for tests (``FakeCinder.serve``, the plugin)."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request: test output stays readable."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class LiveServer:
    """Serves a WSGI app from a background thread; ``url`` is its base URL.

    Port 0 (the default) picks a free ephemeral port, so parallel test
    processes never collide.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server = make_server(host, port, app, threaded=True,
                                   request_handler=_QuietHandler)
        self.host = host
        self.port: int = self._server.port
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> LiveServer:
        # A short poll interval: stop() returns quickly (tests start and stop many servers).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name=f"fake-cinder {self.url}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._thread = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<LiveServer {self.url}>"
