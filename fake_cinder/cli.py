"""The command line: ``fake-cinder serve``."""

from __future__ import annotations

import argparse
import contextlib
import sys

from werkzeug.serving import make_server

from .fake import FakeCinder


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fake-cinder",
                                     description="An in-memory fake of OpenStack Cinder.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the fake Cinder API over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8776)
    serve.add_argument("--fixtures", metavar="FILE", help="JSON state file to preload")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    fake = FakeCinder(args.fixtures)
    server = make_server(args.host, args.port, fake.app, threaded=True)
    print(f"fake-cinder listening on http://{args.host}:{server.port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
