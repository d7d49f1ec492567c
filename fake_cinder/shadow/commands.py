"""The ``shadow``, ``record`` and ``replay`` subcommands of ``fake-cinder`` (cli.py)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

from ..server import Server


def add_parsers(commands: Any, state_file: Any, host: Any) -> None:
    for name, help_text in (
            ("shadow", "proxy a consumer to a real Cinder and compare the fake's answers"),
            ("record", "proxy a consumer to a Cinder and record its traffic in a cassette")):
        parser = commands.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("--upstream", required=True, metavar="CINDER_URL",
                            help="the real Cinder's root URL (http://host:8776)")
        parser.add_argument("--keystone", metavar="KEYSTONE_URL",
                            help="the Keystone that validates the consumer's tokens")
        parser.add_argument("--noauth-upstream", metavar="CINDER_URL",
                            help="a listener of the same Cinder with the noauth pipeline: "
                                 "requests whose token is noauth's user:project go there")
        parser.add_argument("--listen", default="127.0.0.1:0", metavar="HOST:PORT",
                            help="where the consumer connects (default: 127.0.0.1:0, a "
                                 "free port, printed at start)")
        parser.add_argument("--allow-writes", action="store_true",
                            help="let POST, PUT and DELETE through (default: refused, 403)")
        parser.add_argument("--project", action="append", default=[], metavar="ID",
                            help="with --allow-writes: the only projects that may be "
                                 "written (repeat for several)")
        parser.add_argument("--allow-action", action="append", default=[], metavar="ACTION",
                            help="let one destructive admin action through "
                                 "(os-force_delete, os-reset_status, os-force_detach...)")
        parser.add_argument("--cleanup", action="store_true",
                            help="at exit, delete what was created through the proxy, "
                                 "newest first")
        parser.add_argument("--report-dir", type=Path, default=Path("."), metavar="DIR",
                            help="where shadow.jsonl, shadow.md and shadow-junit.xml go")
        if name == "shadow":
            parser.add_argument("--fixtures", type=state_file,
                                help="the fake's initial state (default: an empty fake "
                                     "with Cinder's __DEFAULT__ volume type)")
            parser.add_argument("--cassette", type=Path, help="also record a cassette")
            parser.add_argument("--inject-fault", action="append", default=[],
                                metavar="OPERATION:STATUS",
                                help="make the fake deliberately wrong: every call of "
                                     "OPERATION answers STATUS (to see how a difference "
                                     "is reported)")
        else:
            parser.add_argument("--cassette", type=Path, required=True,
                                help="the cassette file to write (JSON lines)")
    replay_parser = commands.add_parser(
        "replay", help="replay a cassette against a Cinder or a fresh fake",
        description="Re-send a cassette's requests and compare the answers with the "
                    "recorded ones; or write it as a pytest module.")
    replay_parser.add_argument("cassette", type=Path)
    replay_parser.add_argument("--against", default="fake", metavar="URL",
                               help="a Cinder's root URL, or `fake` (a fresh in-process "
                                    "fake; the default)")
    replay_parser.add_argument("--report-dir", type=Path, default=Path("."), metavar="DIR")
    replay_parser.add_argument("--fixtures", type=state_file,
                               help="the fresh fake's initial state (default: empty, with "
                                    "Cinder's __DEFAULT__ volume type)")
    replay_parser.add_argument("--to-pytest", type=Path, metavar="FILE",
                               help="write a pytest module replaying the cassette against "
                                    "the fake_cinder fixture, instead of replaying")


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"fake-cinder: --listen {text!r} is not HOST:PORT")
    return host, int(port)


def new_fake(fixtures: Path | None, max_version: str | None) -> Any:
    """The shadow's fake: the given state, or a fresh Cinder's (its default volume type)."""
    from ..api import microversions as mv
    from ..fake import FakeCinder

    version = mv.MAX_VERSION
    if max_version:
        version = min(mv.MAX_VERSION, mv.APIVersion.parse(max_version))
    fake = FakeCinder(fixtures, max_version=str(version), protect_in_use_attachments=True)
    if fixtures is None:
        fake.add_volume_type("__DEFAULT__", description="Default Volume Type")
    return fake


def write_reports(report: Any, directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    report.write(directory / f"{name}.md", directory / f"{name}-junit.xml")
    print(f"fake-cinder {name}: " + json.dumps(report.summary()), flush=True)
    for outcome in report.differences():
        for difference in outcome.differences:
            print(f"DIFFERENCE {outcome.operation}: {outcome.request}: {difference['where']}: "
                  f"upstream={json.dumps(difference['upstream'])} "
                  f"fake={json.dumps(difference['fake'])}", flush=True)


def harness_missing(command: str) -> int | None:
    """The comparison rules ship with a checkout (conformance/): say so, not a traceback."""
    try:
        import conformance.departures  # noqa: F401
    except ImportError:
        print(f"fake-cinder {command}: needs a checkout of fake-cinder (its conformance/ "
              "normaliser and departures list); see docs/shadow.md", file=sys.stderr)
        return 2
    return None


def run_proxy(args: argparse.Namespace) -> int:
    missing = harness_missing(args.command)
    if missing is not None:
        return missing
    from .cassette import CassetteWriter
    from .proxy import ShadowProxy, VerbatimHandler, WritePolicy, upstream_max_version
    from .report import Report

    name = args.command
    args.report_dir.mkdir(parents=True, exist_ok=True)
    cloud_version = upstream_max_version(args.upstream)
    fake = new_fake(args.fixtures, cloud_version) if name == "shadow" else None
    for fault in getattr(args, "inject_fault", []):
        operation, _, status = fault.partition(":")
        try:
            assert fake is not None  # only shadow has the option
            fake.inject(operation, status=int(status), times=None)
        except ValueError as exc:
            print(f"fake-cinder shadow: --inject-fault {fault}: {exc}", file=sys.stderr)
            return 2
    cassette = (CassetteWriter(args.cassette, cloud_version=cloud_version,
                               upstream=args.upstream) if args.cassette else None)
    policy = WritePolicy(args.allow_writes, frozenset(args.project),
                         frozenset(args.allow_action))
    report = Report(args.report_dir / f"{name}.jsonl" if fake is not None else None)
    proxy = ShadowProxy(args.upstream, args.keystone, fake=fake, policy=policy,
                        report=report, cassette=cassette, noauth_upstream=args.noauth_upstream)
    host, port = _listen(args.listen)
    server = Server(proxy, host, port, access_log=False, request_handler=VerbatimHandler)

    def stop(_signum: int, _frame: Any) -> None:
        server.shutdown()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"fake-cinder {name} listening on {server.url} (upstream {args.upstream}, "
          f"microversions up to {cloud_version or 'unknown'}, "
          f"{'writes allowed' if args.allow_writes else 'read-only'})", flush=True)
    server.serve_forever()
    proxy.finish()
    print("cleanup ledger (what was created through the proxy):", flush=True)
    for line in proxy.ledger.lines() or ["(nothing)"]:
        print(f"  {line}", flush=True)
    if args.cleanup:
        for line in proxy.ledger.cleanup(args.upstream):
            print(f"  cleanup: {line}", flush=True)
    if fake is None:
        return 0
    write_reports(report, args.report_dir, name)
    return 1 if report.summary()["differences"] else 0


def run_replay(args: argparse.Namespace) -> int:
    missing = harness_missing("replay")
    if missing is not None:
        return missing
    from .cassette import Cassette, fake_sender, replay, to_pytest, url_sender

    try:
        cassette = Cassette.read(args.cassette)
    except (OSError, ValueError) as exc:
        print(f"fake-cinder replay: {exc}", file=sys.stderr)
        return 2
    if args.to_pytest is not None:
        args.to_pytest.write_text(to_pytest(cassette, str(args.cassette)))
        print(f"fake-cinder replay: wrote {args.to_pytest}", flush=True)
        return 0
    if args.against == "fake":
        report = replay(cassette, fake_sender(new_fake(args.fixtures, cassette.header.get(
            "cloud_version"))))
    else:
        report = replay(cassette, url_sender(args.against), args.against.rstrip("/"))
    write_reports(report, args.report_dir, "replay")
    return 1 if report.summary()["differences"] else 0
