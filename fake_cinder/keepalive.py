"""Persistent HTTP/1.1 connections on werkzeug's threaded server (the one server).

werkzeug 3.0-3.1's ``WSGIRequestHandler`` closes every connection: it sends
``Connection: close`` with each response, then drains the socket (``rfile.read(10 MB)``
while the socket turns readable within 10 ms), which on a persistent connection would
swallow the next request. ``RequestHandler`` keeps werkzeug's server and request handling
and changes only what keep-alive needs, through the documented hooks of http.server and
socketserver (``setup``, ``handle_one_request``, ``send_header``, ``send_error``,
``send_response_only``, ``handle_expect_100``, ``disable_nagle_algorithm``) and werkzeug's
``make_environ`` and ``connection_dropped``:

- its ``rfile`` is a ``BodyBoundedReader``: while a request is served, reads stop at the
  end of its body (``Content-Length``), so werkzeug's drain reads at most the body's unread
  rest, and after the response the rest is discarded (up to ``UNREAD_BODY_LIMIT``; a
  larger rest closes the connection). A chunked body is read through werkzeug's
  ``DechunkedInput`` on an unbounded view and finished the same way. So a body the app
  never read cannot be taken for the next request;
- werkzeug's ``Connection: close`` is left out while the connection may stay open (the
  client asked for nothing else, HTTP/1.1, the server is not stopping, the unread body is
  small). HTTP/1.0 requests are answered in HTTP/1.0 and closed, as are errors sent by
  http.server itself (a malformed request) and a dropped connection (``drop_connection``);
- idle connections close after ``idle_timeout`` seconds without a request (the socket's
  timeout; the wait for a request's first byte ends quietly), and the server caps its
  connections (so its threads: one a connection): at the cap, the longest-idle connection
  is closed for a new one, or the new one waits until a connection goes idle or closes.

``KeepAliveServer`` is werkzeug's ``ThreadedWSGIServer`` with that cap (``Connections``,
which also closes every idle connection when the server stops, and lets busy ones finish
their request first), whose threads accept the connections they serve
(``serve_forever``, ``shutdown``, ``finish_request``).
PEP 3333 forbids hop-by-hop headers to applications, so every ``Connection`` header the
handler sees comes from werkzeug or http.server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from werkzeug.serving import DechunkedInput, ThreadedWSGIServer, WSGIRequestHandler

DEFAULT_IDLE_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS = 64
# An unread request body up to this size is discarded to keep the connection; a larger
# one closes it (reading it all would cost more than a new connection).
UNREAD_BODY_LIMIT = 1 << 20
_RECEIVE_SIZE = 1 << 16
_date: tuple[int, str] = (-1, "")  # a second since the epoch, and its Date header
# How long a stop tries to wake the threads in accept() with connections of its own.
WAKE_SECONDS = 2.0


class BodyBoundedReader:
    """A connection's input, buffered, that never reads past the current request's body.

    Between requests it reads freely: the request line and headers.
    From ``start_body(n)`` until ``end_body()``, ``read``, ``readinto`` and ``readline``
    stop after ``n`` bytes, whoever calls them (the app, werkzeug's drain).
    """

    def __init__(self, sock: socket.socket, on_request: Callable[[], None]) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self._left: int | None = None  # bytes of the body not yet read; None: no body
        self._awaiting = True  # between requests, nothing of the next one received yet
        self._on_request = on_request
        self.closed = False

    # -- the handler's side ------------------------------------------------------------

    def start_body(self, length: int) -> None:
        self._left = length

    @property
    def unread(self) -> int:
        """Bytes of the current body not yet read."""
        return self._left or 0

    def end_body(self) -> bool:
        """Discard the body's unread rest (when small); False if the connection must
        close (too large, or the client left before sending it)."""
        left = self._left or 0
        self._left = None
        self._awaiting = True
        if left > UNREAD_BODY_LIMIT:
            return False
        return len(self._read(left)) == left

    def unbounded(self) -> UnboundedView:
        """A view reading past the body bound: for a chunked body's own framing."""
        return UnboundedView(self)

    # -- the file interface (http.server, werkzeug, the app) ----------------------------

    def readable(self) -> bool:
        return True

    def readline(self, limit: int = -1) -> bytes:
        if self._awaiting:
            # Waiting for the next request: an idle timeout or the server's stop ends
            # it quietly (end of stream, to http.server).
            try:
                if not self._buffer and not self._fill():
                    return b""
            except TimeoutError:
                return b""
            self._awaiting = False
            self._on_request()
        return self._count(self._readline(self._bound(limit)))

    def read(self, size: int | None = -1) -> bytes:
        return self._count(self._read(self._bound(-1 if size is None else size)))

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self.closed = True

    # -- internals -------------------------------------------------------------------------

    def _bound(self, size: int) -> int:
        if self._left is None:
            return size
        return self._left if size < 0 else min(size, self._left)

    def _fill(self) -> bool:
        data = self._sock.recv(_RECEIVE_SIZE)
        self._buffer += data
        return bool(data)

    def _count(self, data: bytes) -> bytes:
        if self._left is not None:
            self._left -= len(data)
        return data

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _read(self, size: int) -> bytes:
        """``size`` bytes (all until end of stream when negative), fewer at end of stream."""
        while (size < 0 or len(self._buffer) < size) and self._fill():
            pass
        return self._take(len(self._buffer) if size < 0 else min(size, len(self._buffer)))

    def _readline(self, size: int) -> bytes:
        searched = 0
        while True:
            end = self._buffer.find(b"\n", searched)
            if end >= 0 and (size < 0 or end < size):
                return self._take(end + 1)
            if 0 <= size <= len(self._buffer):
                return self._take(size)
            searched = len(self._buffer)
            if not self._fill():
                return self._take(len(self._buffer))


class UnboundedView:
    """``BodyBoundedReader`` without the body bound: what ``DechunkedInput`` reads
    a chunked body's framing and data through."""

    def __init__(self, reader: BodyBoundedReader) -> None:
        self._reader = reader

    def readline(self, limit: int = -1) -> bytes:
        return self._reader._readline(limit)

    def read(self, size: int = -1) -> bytes:
        return self._reader._read(size)


class ChunkedBody(DechunkedInput):
    """werkzeug's dechunking input that knows when the body's last chunk was read."""

    finished = False

    def readinto(self, buf: bytearray) -> int:  # type: ignore[override]
        read = super().readinto(buf)
        if read == 0 and len(buf):
            self.finished = True
        return read

    def finish(self) -> bool:
        """Read the rest (when small); False if the connection must close."""
        total = 0
        try:
            while not self.finished and total <= UNREAD_BODY_LIMIT:
                total += len(self.read(_RECEIVE_SIZE))
        except (OSError, ValueError):
            return False
        return self.finished


# A connection's state in ``Connections``.
NEW = "new"    # accepted, its first request not yet received: not closed for another one
BUSY = "busy"  # a request received and not yet answered: never closed before its answer
IDLE = "idle"  # answered, waiting for its next request: closed first at the cap


class Connections:
    """The server's open connections and their state: the cap on them, the closing of
    idle ones for new ones, and the stop."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("max_connections must be at least 1")
        self.limit = limit
        self._changed = threading.Condition()
        # socket -> state; among idle ones, the first went idle longest ago.
        self._open: dict[socket.socket, str] = {}
        self.stopping = False
        self.accepted = 0  # connections accepted so far (tests and benchmarks count them)

    def admit(self, sock: socket.socket) -> bool:
        """Take a new connection, closing the longest-idle one at the cap, or waiting
        for one to go idle or close; False once stopping."""
        with self._changed:
            while not self.stopping and len(self._open) >= self.limit:
                idle = next((s for s, state in self._open.items() if state == IDLE), None)
                if idle is not None:
                    del self._open[idle]
                    _stop_reading(idle)  # its thread sees end of stream and closes
                    break
                self._changed.wait(0.5)
            if self.stopping:
                return False
            self._open[sock] = NEW
            self.accepted += 1
            return True

    def busy(self, sock: socket.socket) -> None:
        with self._changed:
            if sock in self._open:
                self._open[sock] = BUSY

    def idle(self, sock: socket.socket) -> None:
        with self._changed:
            if sock in self._open:
                del self._open[sock]  # to the end: the newest idle one
                self._open[sock] = IDLE
                if self.stopping:  # stopped since its request ended
                    _stop_reading(sock)
                self._changed.notify_all()

    def closed(self, sock: socket.socket) -> None:
        with self._changed:
            self._open.pop(sock, None)
            self._changed.notify_all()

    def stop(self) -> None:
        """No new connections; those waiting for a request close now, busy ones after
        their response."""
        with self._changed:
            self.stopping = True
            for sock, state in self._open.items():
                if state != BUSY:
                    _stop_reading(sock)
            self._changed.notify_all()

    def wait_closed(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        with self._changed:
            while self._open and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)
            return not self._open

    def __len__(self) -> int:
        with self._changed:
            return len(self._open)

    def states(self) -> list[str]:
        """Each open connection's state; idle ones in the order they went idle."""
        with self._changed:
            return list(self._open.values())


def _stop_reading(sock: socket.socket) -> None:
    # Its handler's read returns end of stream; a response being written still goes out.
    with contextlib.suppress(OSError):  # already closed by the client
        sock.shutdown(socket.SHUT_RD)


class KeepAliveServer(ThreadedWSGIServer):
    """werkzeug's threaded server, with a cap on its (persistent) connections, whose
    threads accept connections themselves and serve what they accept.

    The idle threads all wait in ``accept()``, where the kernel wakes one for each new
    connection: no thread hands a connection to another. (socketserver's loop accepts on
    one thread and hands each connection to another; the second thread's wake-up cost
    about 35 us of each fresh connection's request, a tenth of it.) A thread whose
    connection closes goes back to ``accept()``; a new one starts when a connection is
    admitted and no thread is left there, so there are at most ``max_connections`` + 1.
    ``serve_forever`` and ``shutdown`` keep socketserver's meaning: serve until asked to
    stop, and return once nothing accepts any more."""

    def __init__(self, host: str, port: int, app: Any, handler: type[RequestHandler],
                 fd: int, max_connections: int = DEFAULT_MAX_CONNECTIONS,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT) -> None:
        self._accept_state = threading.Condition()  # guards the counts and the stop below
        self._accepting = 0  # threads in accept(), or on their way there
        self._admitting = 0  # threads holding a new connection until there is room for it
        self._running = 0  # every thread (accepting, admitting, serving, finishing)
        self._stopping = False
        self._stopped = threading.Event()  # serve_forever may return
        super().__init__(host, port, app, handler, fd=fd)
        self.connections = Connections(max_connections)
        self.idle_timeout = idle_timeout

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until ``shutdown``: the threads accept and serve."""
        with self._accept_state:
            if self._stopping:
                return
            self._start_thread()
        self._stopped.wait()

    def shutdown(self) -> None:
        """No new connections: each thread waiting in ``accept()`` is woken (by a
        connection of our own, the portable way) and ends; returns once none is left.
        Should our connections not reach it (an address that cannot be connected to
        from here), the listening socket is shut down, which wakes ``accept()`` on
        Linux."""
        with self._accept_state:
            self._stopping = True
        deadline = time.monotonic() + WAKE_SECONDS
        while True:
            with self._accept_state:
                if not self._accepting:
                    break
            if time.monotonic() > deadline:
                with contextlib.suppress(OSError):
                    self.socket.shutdown(socket.SHUT_RDWR)
            else:
                self._wake_one()
            with self._accept_state:
                self._accept_state.wait_for(lambda: not self._accepting, timeout=0.1)
        self._stopped.set()

    def _wake_one(self) -> None:
        address = self.socket.getsockname()
        if self.socket.family in (socket.AF_INET, socket.AF_INET6):
            host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address[0], address[0])
            address = (host, *address[1:])
        with contextlib.suppress(OSError), \
                socket.socket(self.socket.family, socket.SOCK_STREAM) as waker:
            waker.settimeout(1)
            waker.connect(address)

    def _start_thread(self) -> None:
        # Under self._accept_state.
        self._accepting += 1
        self._running += 1
        threading.Thread(target=self._accept_and_serve, daemon=True,
                         name=f"fake-cinder connection :{self.server_address[1]}").start()

    def _accept_and_serve(self) -> None:
        try:
            self._serve_connections()
        finally:
            with self._accept_state:
                self._running -= 1

    def _serve_connections(self) -> None:
        while True:
            try:
                request, client_address = self.get_request()
            except OSError:
                request = None  # a connection that went away before its accept
            with self._accept_state:
                self._accepting -= 1
                if self._stopping:
                    self._accept_state.notify_all()
                    if request is not None:
                        self.shutdown_request(request)
                    return
                if request is None:
                    self._accepting += 1
                    continue
                self._admitting += 1
            admitted = self.connections.admit(request)
            with self._accept_state:
                self._admitting -= 1
                # Someone must accept the next connection. With max_connections + 1
                # threads, one of them has just closed its connection and is on its way
                # back to accept() (at most max_connections are open).
                if admitted and not (self._accepting or self._admitting or self._stopping
                                     or self._running > self.connections.limit):
                    self._start_thread()
            if admitted:
                # socketserver's thread body: finish_request, handle_error, shutdown_request.
                self.process_request_thread(request, client_address)
            else:
                self.shutdown_request(request)
            with self._accept_state:
                if self._stopping:
                    return
                self._accepting += 1

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            super().finish_request(request, client_address)
        finally:
            self.connections.closed(request)


class RequestHandler(WSGIRequestHandler):
    """werkzeug's request handler on a persistent HTTP/1.1 connection (see the module's
    docstring). No log line per request: ``server.AccessLog`` writes ours, when wanted."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # a response's headers and body are two writes
    rbufsize = 0  # socketserver's rfile is replaced at once: no buffer for it
    server: KeepAliveServer
    rfile: BodyBoundedReader  # type: ignore[assignment]
    _chunked: ChunkedBody | None = None

    def setup(self) -> None:
        super().setup()
        # The socket's timeout: the idle timeout, and the longest a request may stall.
        self.connection.settimeout(self.server.idle_timeout)
        buffered = self.rfile
        sock = self.connection
        self.rfile = BodyBoundedReader(sock, lambda: self.server.connections.busy(sock))
        buffered.close()  # type: ignore[attr-defined]

    def handle_one_request(self) -> None:
        self._chunked = None
        super().handle_one_request()
        if self.close_connection:
            return
        if self.server.connections.stopping or not self._end_request():
            self.close_connection = True
        else:
            self.server.connections.idle(self.connection)

    def _end_request(self) -> bool:
        """The request's body read to its end, so that the next request starts there."""
        chunked_done = self._chunked is None or self._chunked.finish()
        return self.rfile.end_body() and chunked_done

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        self.server.connections.busy(self.connection)
        if environ.get("wsgi.input_terminated"):  # chunked: werkzeug's DechunkedInput
            self._chunked = ChunkedBody(self.rfile.unbounded())  # type: ignore[arg-type]
            environ["wsgi.input"] = self._chunked
            self.rfile.start_body(0)
            return environ
        length = environ.get("CONTENT_LENGTH", "")
        if length.isdigit():
            self.rfile.start_body(int(length))
        else:
            # No body, or a length nobody can trust: where the next request would start
            # is unknown, so the connection closes after this response.
            self.rfile.start_body(0)
            if length:
                self.close_connection = True
        return environ

    def _stays_open(self) -> bool:
        return (not self.close_connection and not self.server.connections.stopping
                and self.rfile.unread <= UNREAD_BODY_LIMIT)

    def send_header(self, keyword: str, value: str) -> None:
        # werkzeug sends "Connection: close" with every response.
        if keyword.lower() == "connection" and value.lower() == "close" and self._stays_open():
            return
        super().send_header(keyword, value)

    def send_response_only(self, code: int, message: str | None = None) -> None:
        if self.request_version in ("HTTP/1.0", "HTTP/0.9"):
            # An HTTP/1.0 client gets HTTP/1.0 (no chunked body) and a closed connection.
            self.protocol_version = "HTTP/1.0"
            self.close_connection = True
        super().send_response_only(code, message)

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header: formatted once a second, not per response (email.utils'
        # formatting costs a few microseconds of every request).
        global _date
        if timestamp is not None:
            return super().date_time_string(timestamp)
        second = int(time.time())
        if _date[0] != second:
            _date = (second, super().date_time_string(second))
        return _date[1]

    def handle_expect_100(self) -> bool:
        # werkzeug's run_wsgi sends the "100 Continue" itself (http.server would too).
        return True

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        # http.server's own errors (a malformed request): where the next one starts is
        # unknown.
        self.close_connection = True
        super().send_error(code, message, explain)

    def connection_dropped(self, error: BaseException,
                           environ: dict[str, Any] | None = None) -> None:
        # drop_connection, or the client left: nothing more on this connection.
        self.close_connection = True

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass
