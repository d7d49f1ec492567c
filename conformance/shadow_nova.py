"""Nova 34's consumer group through ``fake-cinder shadow`` in front of real Cinder 29.0.0
(issue 23's first consumer): ``python -m conformance.shadow_nova`` with .venv-nova's python
(``make conformance-shadow`` runs it after ``conformance.shadow``).

As ``conformance.nova`` does, it starts ``fake-cinder serve`` as the Keystone (demo, admin,
and nova with the service role) and the harness's Cinder behind keystonemiddleware pointed
at it. Then one shadow in front of that Cinder (its Keystone listener, and its noauth
listener for Nova's ``endpoint_template`` with ``user:project`` tokens, through
``--noauth-upstream``):

``--allow-writes`` for the projects of this Nova deployment (demo, the member's; service,
Nova's own user, whose token-less admin context logs in with the ``[cinder]`` section;
admin, the operator who sets up volume types and cleans up), and the destructive admin
actions the group needs, one by one: ``os-reset_status`` (a snapshot reset, the cleanup's
reset of what is left attached), ``os-migrate_volume_completion`` (the legacy swap) and
``os-update_snapshot_status`` (Nova's assisted snapshots).

``consumers/nova`` runs once with both endpoints pointing at the shadow. Required: every
test passes, except the ones that drive the fake's own controls (``CINDER_ONLY_SKIPS``,
skipped as on Cinder); the shadow exits 0 with 0 differences outside the departures list;
what was not compared (printed with why) is only polls of Cinder's unfinished work; and the
traffic, recorded in a cassette, replays on a fresh fake with 0 differences.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from .nova import CINDER_ONLY_SKIPS, FAKE_IMAGE, run_group
from .servers import FAKE_STATE, ROOT, start_cinder, start_fake, work_directory
from .shadow import Proxy, fake_cinder, summary_of

# The projects of the deployment's three users, and the admin actions the group sends.
WRITE_PROJECTS = ("demo", "service", "admin")
SETTLING = "asynchronous work not settled"
ALLOWED_ACTIONS = ("os-reset_status", "os-migrate_volume_completion",
                   "os-update_snapshot_status")


def shadow_fixtures(work: Path) -> Path:
    """The shadows' fakes start as a fresh Cinder does (its __DEFAULT__ type, the harness's
    backends) with the image the re-image tests write, which Cinder finds in the Keystone
    fake's Glance (the shadow's fake has its own)."""
    state = json.loads(FAKE_STATE.read_text())
    default = json.loads((ROOT / "fixtures" / "default.json").read_text())
    state["images"] = [image for image in default["images"] if image["id"] == FAKE_IMAGE]
    path = work / "shadow-fixtures.json"
    path.write_text(json.dumps(state))
    return path


def not_compared_reasons(report: Path) -> Counter[str]:
    """Why comparisons were not made: the reason's kind (before its details), counted."""
    reasons: Counter[str] = Counter()
    for line in report.read_text().splitlines():
        outcome = json.loads(line)
        if outcome["outcome"] == "not_compared":
            reasons[f"{outcome['operation']}: {outcome['reason'].split(' (', 1)[0]}"] += 1
    return reasons


def check_group(results: dict[str, tuple[str, str]]) -> list[str]:
    """Every test passed, except the fake's own controls' tests, skipped."""
    problems = []
    for test, (outcome, why) in sorted(results.items()):
        if CINDER_ONLY_SKIPS.get(test.split("::", 1)[0]) is not None:
            if outcome != "skipped":
                problems.append(f"{test}: {outcome}; it drives the fake's own controls, "
                                "which are skipped on Cinder")
        elif outcome != "passed":
            problems.append(f"{test}: {outcome} through the shadow: {why}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.shadow_nova")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (e.g. -k legacy)")
    args = parser.parse_args(argv)
    work = work_directory()
    started = time.monotonic()
    keystone = cinder = None
    proxy_running = False
    problems: list[str] = []
    results: dict[str, tuple[str, str]] = {}
    try:
        print("conformance-shadow (Nova): starting fake-cinder (Keystone) and Cinder "
              "29.0.0...", flush=True)
        keystone = start_fake(work, fixtures=ROOT / "fixtures" / "default.json",
                              name="keystone")
        identity = f"{keystone.base_url}/identity"
        cinder = start_cinder(work, keystone=identity, glance=f"{keystone.base_url}/image")
        fixtures = str(shadow_fixtures(work))
        writes = [option for project in WRITE_PROJECTS for option in ("--project", project)]
        actions = [option for action in ALLOWED_ACTIONS
                   for option in ("--allow-action", action)]
        cassette = work / "shadow" / "nova.cassette"
        proxy = Proxy("shadow", cinder.base_url, identity, work / "shadow", "--fixtures",
                      fixtures, "--cassette", str(cassette), "--noauth-upstream",
                      f"http://127.0.0.1:{cinder.noauth_port}", "--allow-writes", *writes,
                      *actions)
        proxy_running = True
        target = work / "target.json"
        target.write_text(json.dumps({
            "auth_url": identity, "region": "RegionOne",
            "member": {"username": "demo", "password": "demo", "project_name": "demo"},
            "admin": {"username": "admin", "password": "admin", "project_name": "admin"},
            "service": {"username": "nova", "password": "nova", "project_name": "service"},
            "noauth_endpoint": f"{proxy.url}/v3/%(project_id)s",
            "image_id": FAKE_IMAGE, "cinder_endpoint": f"{proxy.url}/v3"}, indent=1))
        results = run_group("the shadow", work, target, args.pytest_args)
        problems += check_group(results)
        if not results:
            problems.append("the Nova group ran no test")
        status, output = proxy.stop()
        proxy_running = False
        print(output, flush=True)
        summary = summary_of(output)
        if status != 0 or summary["differences"]:
            problems.append(f"the shadow: exit {status}, {summary}")
        for reason, count in sorted(not_compared_reasons(work / "shadow" / "shadow.jsonl")
                                    .items()):
            print(f"  not compared, {count}x: {reason}")
            # Everything went through this shadow: its fake knows every resource, and only
            # a poll of Cinder's unfinished work waits for the next one.
            if not reason.split(": ", 1)[1].startswith(SETTLING):
                problems.append(f"not compared, {count}x: {reason}")
        # The recording replays against a fresh fake: the same answers, once settled.
        replayed = fake_cinder("replay", str(cassette), "--fixtures", fixtures,
                               "--report-dir", str(work / "replay"))
        output, _ = replayed.communicate(timeout=600)
        print(output[-3000:], flush=True)
        summary = summary_of(output, "replay")
        if replayed.returncode != 0 or summary["differences"] or summary["compared"] < 500:
            problems.append(f"Nova's cassette replayed on a fresh fake: exit "
                            f"{replayed.returncode}, {summary}")
    finally:
        if proxy_running:
            proxy.process.kill()
        for server in (cinder, keystone):
            if server is not None:
                server.stop()
    counts = Counter(outcome for outcome, _ in results.values())
    print(f"conformance-shadow (Nova): {counts['passed']} passed, {counts['skipped']} "
          f"skipped, {counts['failed']} failed through the shadow; "
          f"{time.monotonic() - started:.0f} s")
    for problem in problems:
        print(f"PROBLEM {problem}")
    if problems:
        print(f"conformance-shadow (Nova): FAILED (logs in {work})")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("conformance-shadow (Nova): Nova's consumer group through the shadow: "
          "0 differences against Cinder 29.0.0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
