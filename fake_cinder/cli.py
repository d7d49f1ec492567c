"""The command line: ``fake-cinder serve``, on waitress.

waitress is a threaded, production-grade pure-Python WSGI server (no compiled
parts, no dependencies): concurrent clients are served by a pool of worker
threads, unlike Werkzeug's development server.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from waitress import wasyncore
from waitress.server import create_server
from waitress.trigger import trigger as Trigger

from .api import microversions as mv
from .fake import FakeCinder
from .resources import fixture_path

_LOG = logging.getLogger("fake_cinder.serve")
_ACCESS = logging.getLogger("fake_cinder.access")
DEFAULT_THREADS = 8
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

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


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost: assume it is reachable


def _version(text: str) -> str:
    try:
        version = mv.APIVersion.parse(text)
    except mv.VersionError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    if not mv.MIN_VERSION <= version <= mv.MAX_VERSION:
        raise argparse.ArgumentTypeError(
            f"must be between {mv.MIN_VERSION} and {mv.MAX_VERSION}")
    return str(version)


def _existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fake-cinder",
                                     description="An in-memory fake of OpenStack Cinder.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="serve the fake Cinder API (with a minimal Keystone) over HTTP",
        description="Serve the fake Cinder v3 API at /v3, a minimal Keystone at /identity "
                    "and the Nova server lookups at /compute, on a threaded WSGI server.")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8776,
                       help="port to listen on; 0 picks a free one (default: 8776)")
    serve.add_argument("--fixtures", metavar="FILE", type=_existing_file,
                       help="JSON state file to preload (default: the shipped default.json)")
    serve.add_argument("--seed", type=int,
                       help="make ids and timestamps repeat from run to run")
    serve.add_argument("--max-version", type=_version, default=str(mv.MAX_VERSION),
                       help=f"highest microversion to offer (default: {mv.MAX_VERSION})")
    serve.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, default="INFO",
                       help="INFO logs one line per request (default: INFO)")
    serve.add_argument("--control-token", metavar="SECRET",
                       help="require header X-Fake-Control-Token: SECRET on /_fake/")
    serve.add_argument("--allow-in-use-delete", action="store_true",
                       help="let callers without a service token delete attachments that "
                            "are connected to an instance (real Cinder answers 409)")
    serve.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                       help=f"worker threads (default: {DEFAULT_THREADS})")
    return parser


def build_fake(args: argparse.Namespace) -> FakeCinder:
    """The fake ``serve`` runs, as its options describe it."""
    return FakeCinder(args.fixtures or fixture_path("default.json"), seed=args.seed,
                      max_version=args.max_version,
                      protect_in_use_attachments=not args.allow_in_use_delete,
                      control_token=args.control_token)


def serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not is_loopback(args.host):
        _LOG.warning("listening on %s, which is not a loopback address: anyone who can reach "
                     "it can read and change the fake's state%s", args.host,
                     "" if args.control_token else
                     " (use --control-token to guard /_fake/)")
    try:
        fake = build_fake(args)
    except ValueError as exc:  # not JSON, or a bad record
        print(f"fake-cinder: {args.fixtures or 'default.json'}: {exc}", file=sys.stderr)
        return 2
    try:
        server = Server(fake.app, args.host, args.port, threads=args.threads)
    except OSError as exc:  # the port is taken, the address is not ours...
        print(f"fake-cinder: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1

    def stop(signum: int, _frame: Any) -> None:
        _LOG.info("%s received, shutting down", signal.Signals(signum).name)
        server.shutdown()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"fake-cinder listening on {server.url}", flush=True)
    server.serve_forever()
    _LOG.info("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    return serve(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
