"""tempest 47.0.0's ``tempest.api.volume`` against the fake or real Cinder 29.0.0:
``python -m conformance.tempest`` (``make tempest [TARGET=cinder]``; docs/tempest.md).

One harness for both targets. It writes a tempest workspace (``.tempest/<target>/``) with
``tempest.conf`` from ``tempest/tempest.conf.in`` and the accounts of ``ACCOUNTS``, starts
``fake-cinder serve`` with a state file holding those accounts (Cinder's initial state plus
an ``identity`` object), and runs the tests with ``tempest run`` from ``.venv-tempest``.
Against Cinder (``--target cinder``) the fake is only the Keystone: the harness's Cinder
(conformance/cinder_server.py) runs behind keystonemiddleware pointed at it, and the fake's
catalog names that Cinder as block storage (``--catalog-volume-endpoint``).

Each run prints every test's outcome and the closing line ``N passed, M failed, K skipped``,
and writes its outcomes to ``tempest/outcomes-<target>.txt`` (Cinder's is the reference,
``tempest/outcomes-cinder.txt``) and the per-test table of docs/tempest.md. ``--check``
(CI) writes nothing and fails when a test that passes on Cinder does not pass on the fake,
or a skip's reason differs, outside the declared gaps of ``tempest/known-gaps.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import string
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .servers import FAKE_STATE, ROOT, Server, _wait_for_line, start_cinder

TEMPEST_DIR = ROOT / "tempest"
TEMPEST_BIN = ROOT / ".venv-tempest" / "bin"
WORKSPACE = ROOT / ".tempest"
TEMPLATE = TEMPEST_DIR / "tempest.conf.in"
KNOWN_GAPS = TEMPEST_DIR / "known-gaps.txt"
DOC = ROOT / "docs" / "tempest.md"
TARGETS = ("fake", "cinder")
TESTS = r"^tempest\.api\.volume\."
TEMPEST_VERSION = "47.0.0"
# Two workers: the same outcomes as one, in three quarters of the time (docs/tempest.md).
CONCURRENCY = 2
# tempest's limit of each wait for a status or a deletion ([volume] build_timeout). The
# fake's transitions are instant (serve's default), so 10 s means never; a route it does
# not serve yet (a type's DELETE) would otherwise cost a minute per wait. Cinder's slowest
# waits here (group snapshots) take a few seconds.
BUILD_TIMEOUT = {"fake": 10, "cinder": 60}


def outcome_file(target: str) -> Path:
    return TEMPEST_DIR / f"outcomes-{target}.txt"


# -- the accounts ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Account:
    """A Keystone user with roles on one project; ``persona`` is the role tempest's
    accounts.yaml gives it (the one tempest allocates it for)."""

    username: str
    project: str
    persona: str

    @property
    def roles(self) -> list[str]:
        # Keystone's implied roles: admin implies member, member implies reader.
        implied = {"admin": ["admin", "member", "reader"], "member": ["member", "reader"],
                   "reader": ["reader"]}
        return implied[self.persona]


# Enough for two workers: each test class takes a member (primary) and a reader of the same
# project, often a member of another project (alt), and sometimes an admin. Members come
# first: tempest gives alt the first free account that is not an admin's. Every member's
# project has a reader: whichever member a worker gets, its reader exists.
PROJECTS = 4
ACCOUNTS = (
    *(Account(f"tempest-member-{n}", f"tempest-{n}", "member") for n in range(1, PROJECTS + 1)),
    *(Account(f"tempest-reader-{n}", f"tempest-{n}", "reader") for n in range(1, PROJECTS + 1)),
    Account("tempest-admin-1", "admin", "admin"),
    Account("tempest-admin-2", "admin", "admin"),
)
# The admin of dynamic credentials (tempest.conf's [auth] admin_*), and Cinder's service
# user (keystonemiddleware validates tokens as it), as in the fake's default.json.
ADMIN = Account("admin", "admin", "admin")
SERVICE_USER = {"id": "nova", "name": "nova", "password": "nova",
                "default_project_id": "service", "roles": {"service": ["admin", "service"]}}


def identity_state() -> dict:
    """The fake Keystone's ``identity`` object: every account, with its password = name."""
    projects = sorted({a.project for a in (*ACCOUNTS, ADMIN)} | {"service"})
    users = [{"id": a.username, "name": a.username, "password": a.username,
              "default_project_id": a.project, "roles": {a.project: a.roles}}
             for a in (ADMIN, *ACCOUNTS)]
    return {"projects": [{"id": p, "name": p} for p in projects],
            "users": [*users, SERVICE_USER]}


# The image tempest's image tests start from ([compute] image_ref): the default fixture's,
# in the fake's Glance, which the harness's Cinder uses too.
IMAGES_FROM = ROOT / "fixtures" / "default.json"


def state_file() -> dict:
    """What the fake serves: a fresh Cinder's state, the accounts and the image."""
    state = json.loads(FAKE_STATE.read_text())
    state["identity"] = identity_state()
    state["images"] = json.loads(IMAGES_FROM.read_text())["images"][:1]
    return state


def image_ref() -> str:
    return str(state_file()["images"][0]["id"])


def accounts_yaml() -> str:
    """tempest's accounts.yaml (JSON is YAML)."""
    return json.dumps([{"username": a.username, "password": a.username,
                        "project_name": a.project, "user_domain_name": "Default",
                        "project_domain_name": "Default", "roles": [a.persona]}
                       for a in ACCOUNTS], indent=1) + "\n"


def render_config(workspace: Path, identity: str, dynamic: bool = False,
                  build_timeout: int = BUILD_TIMEOUT["cinder"],
                  template: Path = TEMPLATE) -> str:
    """tempest.conf from the template: every ``$name`` must be filled in."""
    return string.Template(template.read_text()).substitute(
        workspace=workspace, identity=identity.rstrip("/"),
        dynamic=str(dynamic).lower(), build_timeout=build_timeout, image_ref=image_ref())


# -- outcomes ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    outcome: str  # passed, failed, skipped
    reason: str = ""  # a skip's reason, a failure's exception


def read_outcomes(path: Path) -> dict[str, Outcome]:
    """``test id<TAB>outcome<TAB>reason`` lines; ``#`` starts a comment line."""
    found = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        test, outcome, reason = (line.split("\t") + ["", ""])[:3]
        if outcome not in ("passed", "failed", "skipped"):
            raise ValueError(f"{path}: {test}: unknown outcome {outcome!r}")
        found[test] = Outcome(outcome, reason)
    return found


def write_outcomes(path: Path, outcomes: dict[str, Outcome], title: str) -> None:
    lines = [f"# {title}", "# Written by `make tempest`: never edit by hand.",
             f"# {summary(outcomes)}"]
    lines += [f"{test}\t{o.outcome}\t{o.reason}".rstrip("\t")
              for test, o in sorted(outcomes.items())]
    path.write_text("\n".join(lines) + "\n")


def summary(outcomes: dict[str, Outcome]) -> str:
    counts = Counter(o.outcome for o in outcomes.values())
    return f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"


@dataclass(frozen=True)
class Gap:
    """A test that passes on Cinder and not yet on the fake: the issue that will fix it."""

    issue: str
    reason: str


def read_gaps(path: Path | None = None) -> dict[str, Gap]:
    """``test id  #issue  reason`` lines (whitespace between); ``#`` starts a comment line."""
    path = path or KNOWN_GAPS
    gaps = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        # A class fixture's id has spaces: "setUpClass (tempest.api...Test)".
        found = re.fullmatch(r"(\S.*?)\s+(#\d+)\s+(\S.*)", line.strip())
        if found is None:
            raise ValueError(f"{path}:{number}: expected 'test id  #issue  reason'")
        test, issue, reason = found.groups()
        if test in gaps:
            raise ValueError(f"{path}:{number}: {test} is listed twice")
        gaps[test] = Gap(issue, reason)
    return gaps


def is_class_fixture(test: str) -> bool:
    """setUpClass (...) and tearDownClass (...): reported only when they fail or skip."""
    return test.startswith(("setUpClass (", "tearDownClass ("))


def outcome(run: dict[str, Outcome], test: str) -> Outcome | None:
    """A test's outcome in a run; a class fixture the run does not report succeeded."""
    return run.get(test) or (Outcome("passed") if is_class_fixture(test) else None)


def compare(fake: dict[str, Outcome], cinder: dict[str, Outcome],
            gaps: dict[str, Gap]) -> list[str]:
    """What makes the fake's run fail CI: a test that passes on Cinder and not on the fake,
    a skip whose reason Cinder does not share, and a gap that is no longer one. A class
    fixture missing from a run succeeded there."""
    problems = []
    for test in sorted(set(fake) | set(cinder) | set(gaps)):
        on_fake, on_cinder, gap = outcome(fake, test), outcome(cinder, test), gaps.get(test)
        if on_fake is not None and on_cinder is not None and (
                missing := passes_for_want_of_a_route(on_fake, on_cinder)):
            on_fake = Outcome("failed", "passes only because the fake serves no route for "
                              + "; ".join(missing))
        if gap is not None and (on_cinder is None or on_cinder.outcome != "passed"):
            problems.append(f"{test}: listed in {KNOWN_GAPS.name} ({gap.issue}) but does not "
                            "pass on Cinder: remove it from the list")
            continue
        if on_fake is None:
            if on_cinder is not None and on_cinder.outcome == "passed" and gap is None:
                problems.append(f"{test}: passes on Cinder and did not run on the fake")
            continue
        if on_cinder is None:
            problems.append(f"{test}: ran on the fake and is not in the Cinder run "
                            f"({outcome_file('cinder').name}): run make tempest TARGET=cinder")
        elif gap is not None:
            if on_fake.outcome == "passed":
                problems.append(f"{test}: passes on the fake now: remove it from "
                                f"{KNOWN_GAPS.name} ({gap.issue})")
        elif on_fake.outcome == "skipped":
            if on_cinder.outcome != "skipped" or on_cinder.reason != on_fake.reason:
                problems.append(f"{test}: skipped on the fake ({on_fake.reason}), "
                                f"{on_cinder.outcome} on Cinder"
                                + (f" ({on_cinder.reason})" if on_cinder.reason else ""))
        elif on_cinder.outcome == "passed" and on_fake.outcome != "passed":
            problems.append(f"{test}: passes on Cinder, {on_fake.outcome} on the fake: "
                            f"{on_fake.reason}")
    return problems


# -- the per-test table of docs/tempest.md -----------------------------------------------------
TABLE_START = "<!-- tempest table: written by make tempest -->"
TABLE_END = "<!-- end of the tempest table -->"
MARK = {"passed": "pass", "failed": "**FAIL**", "skipped": "skip"}


def table(fake: dict[str, Outcome], cinder: dict[str, Outcome], gaps: dict[str, Gap]) -> str:
    rows = [f"Real Cinder 29.0.0: {summary(cinder)}. The fake: {summary(fake)}. "
            f"Known gaps: {len(gaps)}.", "",
            "| test (`tempest.api.volume.`) | Cinder 29 | fake | gap |", "|---|---|---|---|"]
    for test in sorted(set(fake) | set(cinder)):
        name = test.replace("tempest.api.volume.", "")
        cells = [MARK[o.outcome] if (o := outcome(found, test)) else "-"
                 for found in (cinder, fake)]
        if test in fake and test in cinder and passes_for_want_of_a_route(fake[test],
                                                                          cinder[test]):
            cells[1] = "**pass, for want of a route**"
        gap = gaps.get(test)
        rows.append(f"| {name} | {cells[0]} | {cells[1]} | {gap.issue if gap else ''} |")
    return "\n".join(rows)


def rewrite_doc(fake: dict[str, Outcome], cinder: dict[str, Outcome], gaps: dict[str, Gap],
                doc: Path = DOC) -> None:
    text = doc.read_text()
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    doc.write_text(text[:start] + "\n" + table(fake, cinder, gaps) + "\n" + text[end:])


# -- running tempest ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_keystone(work: Path, state: Path, port: int, volume_endpoint: str | None) -> Server:
    """``fake-cinder serve`` with the accounts; the Keystone of both targets."""
    log = work / "fake.log"
    command = [sys.executable, "-m", "fake_cinder.cli", "serve", "--port", str(port),
               "--fixtures", str(state), "--log-level", "WARNING"]
    if volume_endpoint:
        command += ["--catalog-volume-endpoint", volume_endpoint]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=log.open("w"), text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    found = _wait_for_line(process, r"listening on http://127\.0\.0\.1:(\d+)", log, timeout=60)
    return Server("fake", process, int(found.group(1)), log)


def write_workspace(workspace: Path, identity: str, dynamic: bool, build_timeout: int
                    ) -> Path:
    """A fresh workspace: etc/tempest.conf, etc/accounts.yaml, the fake's state file."""
    shutil.rmtree(workspace, ignore_errors=True)
    (workspace / "etc").mkdir(parents=True)
    (workspace / "locks").mkdir()
    (workspace / "etc" / "tempest.conf").write_text(
        render_config(workspace, identity, dynamic, build_timeout))
    (workspace / "etc" / "accounts.yaml").write_text(accounts_yaml())
    state = workspace / "state.json"
    state.write_text(json.dumps(state_file(), indent=1))
    return state


def run_tempest(workspace: Path, regex: str, concurrency: int) -> dict[str, Outcome]:
    """``tempest run`` in the workspace (its progress on stdout), then every outcome."""
    env = {**os.environ, "TEMPEST_CONFIG_DIR": str(workspace / "etc"),
           "TEMPEST_CONFIG": "tempest.conf"}
    tempest = [str(TEMPEST_BIN / "tempest"), "run", "--config-file",
               str(workspace / "etc" / "tempest.conf"), "--regex", regex,
               "--concurrency", str(concurrency)]
    subprocess.run(tempest, cwd=workspace, env=env, check=False)
    results = workspace / "results.subunit"
    with results.open("wb") as stream:
        subprocess.run([str(TEMPEST_BIN / "stestr"), "last", "--subunit"], cwd=workspace,
                       env=env, stdout=stream, check=False)
    parsed = subprocess.run([str(TEMPEST_BIN / "python"), str(Path(__file__).with_name(
        "tempest_subunit.py")), str(results)], capture_output=True, text=True, check=True)
    outcomes = {}
    for line in parsed.stdout.splitlines():
        test = json.loads(line)
        outcomes[test["id"]] = Outcome(test["outcome"], test["reason"])
    return with_route_404s(outcomes, route_404s((workspace / "tempest.log").read_text()))


# -- tests that pass only because a route is missing -------------------------------------------
# WebOb's 404, Cinder's (and the fake's) answer to a URL no route serves; Cinder's own
# "not found" is a fault body: {"itemNotFound": {"code": 404, ...}}.
ROUTE_404_BODY = '"code": "404 Not Found"'
ROUTE_404_PREFIX = "route 404: "
_REQUEST = re.compile(r"Request \((\w+):(\w+)\): 404 (\w+) https?://[^/\s]+(\S*)")
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")


def route_404s(log: str) -> dict[tuple[str, str], set[str]]:
    """(test class, test method) -> the requests no route served, from tempest.log's
    request lines and their response bodies (``[DEFAULT] debug``); ids and the project
    are masked, so the two targets' requests compare."""
    found: dict[tuple[str, str], set[str]] = {}
    pending: tuple[str, str, str] | None = None
    in_response = False
    for line in log.splitlines():
        request = _REQUEST.search(line)
        if request is not None:
            cls, test, method, path = request.groups()
            path = re.sub(r"^/v3/[^/?]+", "/v3/<project>", _UUID.sub("<id>", path))
            pending, in_response = (cls, test, f"{method} {path}"), False
        elif pending is not None and "Response - Headers:" in line:
            in_response = True
        elif pending is not None and in_response and line.lstrip().startswith("Body:"):
            if ROUTE_404_BODY in line:
                found.setdefault(pending[:2], set()).add(pending[2])
            pending = None
    return found


def with_route_404s(outcomes: dict[str, Outcome], found: dict[tuple[str, str], set[str]]
                    ) -> dict[str, Outcome]:
    """A passed test's reason names the requests of it that no route served."""
    result = {}
    for test, found_outcome in outcomes.items():
        parts = test.rsplit(".", 2)
        missing = found.get((parts[-2], parts[-1])) if len(parts) == 3 else None
        if found_outcome.outcome == "passed" and missing:
            found_outcome = Outcome("passed", ROUTE_404_PREFIX + "; ".join(sorted(missing)))
        result[test] = found_outcome
    return result


def passes_for_want_of_a_route(on_fake: Outcome, on_cinder: Outcome) -> list[str]:
    """The requests of a test the fake passes that no fake route served and Cinder's
    routes did: the test passes only because the fake lacks them."""
    def requests(found: Outcome) -> set[str]:
        if found.outcome != "passed" or not found.reason.startswith(ROUTE_404_PREFIX):
            return set()
        return set(found.reason.removeprefix(ROUTE_404_PREFIX).split("; "))
    return sorted(requests(on_fake) - requests(on_cinder))


def selection(regex: str | None) -> str:
    """tempest run's --regex: the volume tests, or those of them ``regex`` matches."""
    return TESTS if regex is None else rf"^(?=tempest\.api\.volume\.).*(?:{regex})"


def run(target: str, regex: str, concurrency: int, dynamic: bool) -> dict[str, Outcome]:
    """Start the target (and the fake as its Keystone), run tempest, stop them."""
    workspace = WORKSPACE / target
    port = free_port()
    identity = f"http://127.0.0.1:{port}/identity"
    state = write_workspace(workspace, identity, dynamic, BUILD_TIMEOUT[target])
    servers: list[Server] = []
    try:
        endpoint = None
        if target == "cinder":
            print("tempest: starting Cinder 29.0.0 behind keystonemiddleware...", flush=True)
            cinder = start_cinder(workspace, keystone=identity,
                                  glance=f"http://127.0.0.1:{port}/image")
            servers.append(cinder)
            endpoint = f"{cinder.base_url}/v3/$(project_id)s"
        servers.append(start_keystone(workspace, state, port, endpoint))
        print(f"tempest: {regex} against {target} "
              f"(concurrency {concurrency}, workspace {workspace})", flush=True)
        return run_tempest(workspace, regex, concurrency)
    finally:
        for server in reversed(servers):
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.tempest")
    parser.add_argument("--target", choices=TARGETS, default="fake")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY,
                        help=f"tempest's workers (default: {CONCURRENCY})")
    parser.add_argument("--regex", help="run only the tests of tempest.api.volume whose id "
                        "this matches (a partial run writes no files)")
    parser.add_argument("--check", action="store_true",
                        help="CI: compare the fake's outcomes with Cinder's (and the known "
                             "gaps), write nothing, exit 1 on any difference")
    parser.add_argument("--table", action="store_true",
                        help="only rewrite docs/tempest.md's table from the committed "
                             "outcomes and known gaps (after editing known-gaps.txt)")
    args = parser.parse_args(argv)
    if args.table:
        rewrite_doc(read_outcomes(outcome_file("fake")), read_outcomes(outcome_file("cinder")),
                    read_gaps())
        return 0
    # tempest's default, dynamic credentials, through the fake Keystone's admin API;
    # TEMPEST_CREDENTIALS=preprovisioned: the accounts of accounts.yaml instead.
    dynamic = os.environ.get("TEMPEST_CREDENTIALS", "dynamic") != "preprovisioned"
    if not (TEMPEST_BIN / "tempest").exists():
        parser.error(f"{TEMPEST_BIN / 'tempest'} is missing: run make tempest")
    started = time.monotonic()
    outcomes = run(args.target, selection(args.regex), args.concurrency, dynamic)
    elapsed = time.monotonic() - started
    for test, found in sorted(outcomes.items()):
        print(f"{found.outcome.upper():8} {test}" + (f"  ({found.reason})" if found.reason
                                                     and found.outcome != "passed" else ""))
    print(f"tempest {TEMPEST_VERSION} against {args.target}: {elapsed:.0f} s", flush=True)
    if not outcomes:
        print("tempest: no test ran (see the workspace's tempest.log)")
        return 1
    complete = args.regex is None
    if complete and not args.check:
        title = {"fake": "fake-cinder", "cinder": "real Cinder 29.0.0 (the reference)"}
        write_outcomes(outcome_file(args.target), outcomes,
                       f"tempest {TEMPEST_VERSION} tempest.api.volume against "
                       f"{title[args.target]}, concurrency {args.concurrency}, "
                       f"{'dynamic' if dynamic else 'pre-provisioned'} credentials, "
                       f"{elapsed:.0f} s")
        others = [t for t in TARGETS if t != args.target and outcome_file(t).exists()]
        if others:
            both = {args.target: outcomes, others[0]: read_outcomes(outcome_file(others[0]))}
            rewrite_doc(both["fake"], both["cinder"], read_gaps())
    status = 0
    if args.target == "fake" and complete and outcome_file("cinder").exists():
        problems = compare(outcomes, read_outcomes(outcome_file("cinder")), read_gaps())
        for problem in problems:
            print(f"DIFFERENCE {problem}")
        print(f"tempest: {len(problems)} difference(s) from Cinder 29 outside "
              f"tempest/{KNOWN_GAPS.name}")
        status = 1 if problems and args.check else 0
    print(summary(outcomes))
    return status


if __name__ == "__main__":
    sys.exit(main())
