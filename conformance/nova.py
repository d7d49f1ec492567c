"""Nova 34's consumer group against real Cinder 29.0.0: ``python -m conformance.nova``
(``make conformance-nova``, run with .venv-nova's python).

It starts ``fake-cinder serve`` as the Keystone (its default users: demo, admin, nova with
the service role) and the harness's Cinder behind keystonemiddleware's ``auth_token``
pointed at that Keystone (``cinder_server.py --keystone``), with its Glance as the image
service, runs ``consumers/nova`` once against the in-process fake and once against that
Cinder (``NOVA_CONSUMER_TARGET``), and fails unless every test has the same outcome on
both, except the skips on Cinder listed in ``CINDER_ONLY_SKIPS``: what that deployment
truly lacks.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from .servers import ROOT, start_cinder, start_fake, work_directory

# The image of fixtures/default.json that the re-image tests write (consumers/nova/target.py).
FAKE_IMAGE = "3e1a8f0c-5b7d-4a2e-9c61-7d2f4b8e0a15"

GROUP = "consumers/nova"
# Tests that run against the fake and are skipped against the harness's Cinder, and why.
CINDER_ONLY_SKIPS = {
    "test_faults.py": "fault injection is the fake's own (/_fake/faults): a real Cinder "
                      "has none",
    "test_transitions.py": "transitions are the fake's own control (/_fake/transitions): a "
                           "real Cinder's volume manager keeps its own time",
}


def outcomes(junit: Path) -> dict[str, tuple[str, str]]:
    """test id -> (passed/failed/skipped, message) from pytest's JUnit XML."""
    results: dict[str, tuple[str, str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        test = f"{case.get('classname', '').rsplit('.', 1)[-1]}.py::{case.get('name')}"
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            found = case.find(kind)
            if found is not None:
                outcome = "skipped" if kind == "skipped" else "failed"
                message = (found.get("message") or "").splitlines()[0:1]
                message = message[0] if message else ""
                break
        results[test] = (outcome, message)
    return results


def run_group(name: str, work: Path, target: Path | None, pytest_args: list[str]
              ) -> dict[str, tuple[str, str]]:
    junit = work / f"{name}.xml"
    env = {k: v for k, v in os.environ.items() if k != "NOVA_CONSUMER_TARGET"}
    if target is not None:
        env["NOVA_CONSUMER_TARGET"] = str(target)
    started = time.monotonic()
    print(f"conformance-nova: consumers/nova against {name}...", flush=True)
    subprocess.run([sys.executable, "-W", "ignore", "-m", "pytest", "-q", "-p",
                    "no:cacheprovider", "-rs", f"--junitxml={junit}", GROUP, *pytest_args],
                   cwd=ROOT, env=env, check=False)
    print(f"conformance-nova: {name}: {time.monotonic() - started:.0f} s", flush=True)
    return outcomes(junit)


def compare(fake: dict[str, tuple[str, str]], cinder: dict[str, tuple[str, str]]
            ) -> list[str]:
    """What differs between the two runs, beyond the expected skips on Cinder."""
    problems = []
    for test in sorted(set(fake) | set(cinder)):
        on_fake, why_fake = fake.get(test, ("absent", ""))
        on_cinder, why_cinder = cinder.get(test, ("absent", ""))
        expected_skip = CINDER_ONLY_SKIPS.get(test.split("::", 1)[0])
        if on_fake == "failed":
            problems.append(f"{test}: fails against the fake: {why_fake}")
        elif on_cinder == "skipped" and on_fake != "skipped":
            if expected_skip is None:
                problems.append(f"{test}: skipped against Cinder only ({why_cinder})")
        elif on_cinder != on_fake:
            problems.append(f"{test}: {on_fake} against the fake, {on_cinder} against "
                            f"Cinder: {why_cinder}")
        elif expected_skip is not None and on_fake != "skipped":
            problems.append(f"{test}: ran against Cinder, listed in CINDER_ONLY_SKIPS")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.nova")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (e.g. -k legacy)")
    args = parser.parse_args(argv)
    work = work_directory()
    keystone = cinder = None
    started = time.monotonic()
    try:
        print("conformance-nova: starting fake-cinder (Keystone) and Cinder 29.0.0...",
              flush=True)
        keystone = start_fake(work, fixtures=ROOT / "fixtures" / "default.json",
                              name="keystone")
        identity = f"{keystone.base_url}/identity"
        cinder = start_cinder(work, keystone=identity, glance=f"{keystone.base_url}/image")
        target = work / "target.json"
        target.write_text(json.dumps({
            "auth_url": identity, "region": "RegionOne",
            "member": {"username": "demo", "password": "demo", "project_name": "demo"},
            "admin": {"username": "admin", "password": "admin", "project_name": "admin"},
            "service": {"username": "nova", "password": "nova", "project_name": "service"},
            "noauth_endpoint": f"http://127.0.0.1:{cinder.noauth_port}/v3/%(project_id)s",
            "image_id": FAKE_IMAGE,  # the default fixture's image, in the fake's Glance
            "cinder_endpoint": f"{cinder.base_url}/v3"}, indent=1))
        on_cinder = run_group("cinder", work, target, args.pytest_args)
    finally:
        for server in (cinder, keystone):
            if server is not None:
                server.stop()
    on_fake = run_group("fake", work, None, args.pytest_args)
    problems = compare(on_fake, on_cinder)
    counts = {kind: sum(o == kind for o, _ in on_cinder.values())
              for kind in ("passed", "skipped", "failed")}
    print(f"conformance-nova: against Cinder 29.0.0: {counts['passed']} passed, "
          f"{counts['skipped']} skipped, {counts['failed']} failed; against the fake: "
          f"{sum(o == 'passed' for o, _ in on_fake.values())} passed; "
          f"{time.monotonic() - started:.0f} s")
    for test, (outcome, why) in sorted(on_cinder.items()):
        if outcome == "skipped":
            reason = CINDER_ONLY_SKIPS.get(test.split("::", 1)[0], why)
            print(f"  skipped on Cinder: {test}: {reason}")
    for problem in problems:
        print(f"DIFFERENCE {problem}")
    if problems or not on_cinder:
        print(f"conformance-nova: FAILED (logs in {work})")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("conformance-nova: the same results against Cinder 29.0.0 as against the fake")
    return 0


if __name__ == "__main__":
    sys.exit(main())
