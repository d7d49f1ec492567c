"""The command line: ``fake-cinder serve``."""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import logging
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .api import microversions as mv
from .core.state_files import StateError, find_state_file
from .core.transitions import Progression, check_operation
from .fake import FakeCinder
from .keepalive import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS
from .resources import fixture_path
from .server import DEFAULT_THREADS, Server

_LOG = logging.getLogger("fake_cinder.serve")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def is_loopback(host: str) -> bool:
    """Only this machine can reach it (the one safe place for a fake anyone can reset)."""
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


def _state_file(text: str) -> Path:
    """A state file's path, or the name of a shipped fixture (``default.json``)."""
    try:
        return find_state_file(text)
    except StateError as exc:
        raise argparse.ArgumentTypeError(f"{text}: {exc.problem}") from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text} is not a port number (0 to 65535; 0 picks a free one)")
    return port


def _threads(text: str) -> int:
    try:
        threads = int(text)
    except ValueError:
        threads = 0
    if threads < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a number of threads (at least 1)")
    return threads


def _connections(text: str) -> int:
    try:
        connections = int(text)
    except ValueError:
        connections = 0
    if connections < 1:
        raise argparse.ArgumentTypeError(
            f"{text} is not a number of connections (at least 1)")
    return connections


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds (more than 0)")
    return seconds


def _host(text: str) -> str:
    """An address to listen on: resolved now, so a typo is a usage error, not a traceback."""
    try:
        socket.getaddrinfo(text.strip("[]"), None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # gaierror: no such name
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise argparse.ArgumentTypeError(f"cannot resolve {text!r}: {reason}") from None
    return text


def _endpoint(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL")
    return text


def _app_hook(text: str) -> Callable[[Any], object]:
    """``MODULE:FUNCTION`` (the module found as ``python -m`` would, from the current
    directory too): the function that extends the app before it serves."""
    module_name, _, name = text.partition(":")
    if not module_name or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not MODULE:FUNCTION")
    if "" not in sys.path:
        sys.path.insert(0, "")  # the current directory, as for python -m
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise argparse.ArgumentTypeError(f"cannot import {module_name}: {exc}") from None
    found = getattr(module, name, None)
    if not callable(found):
        raise argparse.ArgumentTypeError(f"{module_name} has no function {name}")
    return found  # type: ignore[no-any-return]


def _transition(text: str) -> tuple[str, str]:
    """``OPERATION=PROGRESSION``: ``volume_create=2s``, ``snapshot_create=3polls``,
    ``volume_delete=manual``, ``*=immediate``."""
    operation, sep, progression = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r} is not OPERATION=PROGRESSION "
                                         "(volume_create=2s, *=1poll, volume_delete=manual)")
    try:
        check_operation(operation)
        Progression.parse(progression)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return operation, progression


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line (with where to look), exit status 2 as argparse's."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fake-cinder", description="An in-memory fake of OpenStack Cinder.")
    version = f"fake-cinder {__version__}"
    parser.add_argument("--version", action="version", version=version)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="serve the fake Cinder API (with a minimal Keystone) over HTTP",
        description="Serve the fake Cinder v3 API at /v3, a minimal Keystone at /identity "
                    "and the Nova server lookups at /compute, on a threaded WSGI server.")
    serve.add_argument("--version", action="version", version=version)
    serve.add_argument("--host", type=_host, default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8776,
                       help="port to listen on; 0 picks a free one (default: 8776)")
    serve.add_argument("--fixtures", metavar="FILE", type=_state_file,
                       help="JSON state file to preload, or the name of a shipped one "
                            "(default: default.json)")
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
    serve.add_argument("--transition", metavar="OPERATION=PROGRESSION", type=_transition,
                       action="append", default=[],
                       help="how long an asynchronous operation's transitional status lasts: "
                            "immediate (the default), <S>s, <N>polls or manual (until POST "
                            "/_fake/advance); OPERATION '*' sets every operation's default; "
                            "may be repeated, e.g. --transition volume_create=2s")
    serve.add_argument("--volume-delete-seconds", type=float, default=0.0, metavar="SECONDS",
                       help="the same as --transition volume_delete=<SECONDS>s")
    serve.add_argument("--threads", type=_threads, default=DEFAULT_THREADS,
                       help=f"requests handled at once (default: {DEFAULT_THREADS})")
    serve.add_argument("--max-connections", type=_connections,
                       default=DEFAULT_MAX_CONNECTIONS, metavar="N",
                       help="open (keep-alive) connections at once; at the cap the longest-"
                            f"idle one closes for a new one (default: {DEFAULT_MAX_CONNECTIONS})")
    serve.add_argument("--idle-timeout", type=_seconds, default=DEFAULT_IDLE_TIMEOUT,
                       metavar="SECONDS",
                       help="close a connection after this long without a request "
                            f"(default: {DEFAULT_IDLE_TIMEOUT:g})")
    serve.add_argument("--catalog-volume-endpoint", type=_endpoint, metavar="URL",
                       help="the block-storage endpoint the Keystone catalog names instead "
                            "of this fake's /v3 (a real Cinder using this fake as its "
                            "Keystone); $(project_id)s in it is the token's project")
    serve.add_argument("--app-hook", metavar="MODULE:FUNCTION", type=_app_hook,
                       action="append", default=[],
                       help="call FUNCTION(app) from MODULE before serving, to add routes, "
                            "blueprints, request hooks or WSGI middleware to the Flask app "
                            "(app.fake is the fake); may be repeated")
    from .shadow.commands import add_parsers  # shadow, record, replay (docs/shadow.md)

    add_parsers(commands, _state_file, _host)
    return parser


def build_fake(args: argparse.Namespace) -> FakeCinder:
    """The fake ``serve`` runs, as its options describe it."""
    fake = FakeCinder(args.fixtures or fixture_path("default.json"), seed=args.seed,
                      max_version=args.max_version,
                      protect_in_use_attachments=not args.allow_in_use_delete,
                      control_token=args.control_token,
                      volume_delete_seconds=args.volume_delete_seconds,
                      transitions=dict(args.transition))
    fake.set_volume_endpoint(args.catalog_volume_endpoint)
    return fake


def serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Signals are handled from the start: one that comes while the fake is still being
    # built stops it as soon as it can serve, without a traceback.
    stopping: list[str] = []
    running: list[Server] = []

    def stop(signum: int, _frame: Any) -> None:
        _LOG.info("%s received, shutting down", signal.Signals(signum).name)
        stopping.append(signal.Signals(signum).name)
        for server in running:
            server.shutdown()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    if not is_loopback(args.host):
        # Printed whatever the log level: this one must not go unseen.
        guard = "" if args.control_token else " (use --control-token to guard /_fake/)"
        print(f"fake-cinder: WARNING: listening on {args.host}, which is not a loopback "
              f"address: anyone who can reach it can read and change the fake's state{guard}",
              file=sys.stderr, flush=True)
    try:
        fake = build_fake(args)
    except ValueError as exc:  # not JSON, or a bad record
        source, message = str(args.fixtures or "default.json"), str(exc)
        if not message.startswith(source):  # name the file once
            message = f"{source}: {message}"
        print(f"fake-cinder: {message}", file=sys.stderr)
        return 2
    for hook in args.app_hook:
        hook(fake.app)
    try:
        server = Server(fake.app, args.host, args.port, threads=args.threads,
                        max_connections=args.max_connections, idle_timeout=args.idle_timeout)
    except OSError as exc:  # the port is taken, the address is not ours...
        print(f"fake-cinder: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    running.append(server)
    if stopping:
        server.shutdown()
    else:
        print(f"fake-cinder listening on {server.url}", flush=True)
    server.serve_forever()
    _LOG.info("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("shadow", "record"):
        from .shadow.commands import run_proxy

        return run_proxy(args)
    if args.command == "replay":
        from .shadow.commands import run_replay

        return run_replay(args)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
