"""``fake-cinder shadow``, record and replay against real Cinder 29.0.0 (issue 23's proof):
``python -m conformance.shadow`` (``make conformance-shadow``).

As ``conformance.nova`` does, it starts ``fake-cinder serve`` as the Keystone (its default
users: demo, admin, nova with the service role) and the harness's Cinder behind
keystonemiddleware pointed at it. Then, each through the ``fake-cinder`` command:

1. a cinderclient attach/detach flow (volume create, attachment create with an iSCSI
   connector, complete, show, lists, delete with Nova's service token, volume delete)
   through ``shadow --allow-writes --project demo``: 0 differences, exit status 0;
2. the same shadow with a deliberately wrong fake (``--inject-fault volume_create:413``):
   the difference reported with operation, field and both values, exit status 1;
3. a read-only shadow refuses cinderclient's POST with its 403;
4. the flow recorded (``record``) replays against a fresh fake with 0 differences, and its
   ``--to-pytest`` module passes;
5. neither the tokens nor the CHAP password Cinder handed out appear in any file written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .servers import ROOT, start_cinder, start_fake, work_directory

CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:5e7e7", "ip": "192.0.2.10",
             "host": "compute-shadow", "platform": "x86_64", "os_type": "linux",
             "multipath": False}
INSTANCE = "5e7e7000-0000-4000-8000-0000000000aa"


def fake_cinder(*args: str, cwd: Path = ROOT) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "fake_cinder.cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)})


class Proxy:
    """A ``fake-cinder shadow`` or ``record`` process."""

    def __init__(self, command: str, cinder_url: str, identity: str, report_dir: Path,
                 *extra: str) -> None:
        self.process = fake_cinder(command, "--upstream", cinder_url, "--keystone", identity,
                                   "--report-dir", str(report_dir), *extra)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"listening on (http://\S+)", line)
        if not found:
            raise RuntimeError(f"fake-cinder {command} did not start: {line}"
                               f"{self.process.stdout.read()}")
        self.url = found.group(1)

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=120)
        return self.process.returncode, output


def client(identity: str, endpoint: str, user: str = "demo", service: bool = True) -> Any:
    """python-cinderclient on a keystoneauth session (with Nova's service token, as Nova's
    calls carry it)."""
    from cinderclient import client as cinder_client
    from keystoneauth1 import service_token, session
    from keystoneauth1.identity import v3

    def password(name: str, project: str) -> v3.Password:
        return v3.Password(auth_url=f"{identity}/v3", username=name, password=name,
                           project_name=project, user_domain_id="default",
                           project_domain_id="default")

    auth: Any = password(user, user)
    if service:
        auth = service_token.ServiceTokenAuthWrapper(auth, password("nova", "service"))
    return cinder_client.Client("3.44", session=session.Session(auth=auth),
                                endpoint_override=f"{endpoint}/v3")


def wait_for(check: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def attach_flow(cinder: Any) -> dict[str, str]:
    """cinderclient's attach and detach; returns the secrets the cloud handed out."""
    from cinderclient import exceptions

    volume = cinder.volumes.create(1, name="shadow-flow")
    wait_for(lambda: cinder.volumes.get(volume.id).status == "available", "the volume")
    attachment = cinder.attachments.create(volume.id, CONNECTOR, INSTANCE)
    info = attachment if isinstance(attachment, dict) else attachment.to_dict()
    secrets = {"chap": info["connection_info"]["auth_password"]}
    cinder.attachments.complete(info["id"])
    cinder.attachments.show(info["id"])
    cinder.attachments.list()
    cinder.volumes.list()
    cinder.attachments.delete(info["id"])
    wait_for(lambda: cinder.volumes.get(volume.id).status == "available", "the detach")
    cinder.volumes.delete(volume.id)

    def gone() -> bool:
        try:
            cinder.volumes.get(volume.id)
        except exceptions.NotFound:
            return True
        return False
    wait_for(gone, "the volume's deletion")
    return secrets


def summary_of(output: str, name: str = "shadow") -> dict[str, int]:
    found = re.search(rf"fake-cinder {name}: (\{{.*\}})", output)
    if not found:
        raise RuntimeError(f"no summary in:\n{output}")
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def main() -> int:
    work = work_directory()
    keystone = cinder = None
    problems: list[str] = []
    written: list[Path] = []
    secrets: dict[str, str] = {}
    try:
        print("conformance-shadow: starting fake-cinder (Keystone) and Cinder 29.0.0...",
              flush=True)
        keystone = start_fake(work, fixtures=ROOT / "fixtures" / "default.json",
                              name="keystone")
        identity = f"{keystone.base_url}/identity"
        cinder = start_cinder(work, keystone=identity, glance=f"{keystone.base_url}/image")

        # 1. The attach flow through the shadow, writes allowed for the demo project.
        shadow_dir = work / "shadow"
        proxy = Proxy("shadow", cinder.base_url, identity, shadow_dir, "--allow-writes",
                      "--project", "demo", "--cleanup")
        cc = client(identity, proxy.url)
        try:
            secrets.update(attach_flow(cc))
        except Exception:
            print(proxy.stop()[1])
            raise
        secrets["token"] = cc.client.session.get_token()
        status, output = proxy.stop()
        print(output, flush=True)
        summary = summary_of(output)
        if status != 0 or summary["differences"] or summary["compared"] < 10:
            problems.append(f"the attach flow through the shadow: exit {status}, {summary}")

        # 2. A deliberately wrong fake: each difference reported, a non-zero exit.
        wrong_dir = work / "wrong"
        proxy = Proxy("shadow", cinder.base_url, identity, wrong_dir, "--allow-writes",
                      "--project", "demo", "--cleanup", "--inject-fault", "volume_create:413")
        cc = client(identity, proxy.url)
        volume = cc.volumes.create(1, name="shadow-wrong")
        wait_for(lambda: cc.volumes.get(volume.id).status == "available", "the volume")
        status, output = proxy.stop()
        print(output, flush=True)
        expected = "DIFFERENCE volume_create: POST /v3/volumes as member at 3.44: status: " \
                   "upstream=202 fake=413"
        if status != 1 or expected not in output or summary_of(output)["differences"] < 1:
            problems.append(f"the wrong fake: exit {status}, expected {expected!r}")
        if "### volume_create" not in (wrong_dir / "shadow.md").read_text():
            problems.append("the wrong fake: shadow.md has no volume_create section")

        # 3. Read-only: cinderclient's POST refused with the proxy's 403.
        readonly_dir = work / "readonly"
        proxy = Proxy("shadow", cinder.base_url, identity, readonly_dir)
        try:
            client(identity, proxy.url).volumes.create(1, name="refused")
            problems.append("read-only: the POST went through")
        except Exception as exc:  # cinderclient's Forbidden
            if getattr(exc, "code", None) != 403 or "read-only" not in str(exc):
                problems.append(f"read-only: {exc!r}")
            else:
                print(f"conformance-shadow: read-only refused the POST: {exc}", flush=True)
        proxy.stop()

        # 4. Record the flow; replay it against a fresh fake; write it as a pytest module.
        record_dir = work / "record"
        cassette = record_dir / "attach-flow.cassette"
        proxy = Proxy("record", cinder.base_url, identity, record_dir, "--allow-writes",
                      "--project", "demo", "--cassette", str(cassette))
        secrets["chap-recorded"] = attach_flow(client(identity, proxy.url))["chap"]
        status, output = proxy.stop()
        replay = fake_cinder("replay", str(cassette), "--report-dir", str(record_dir))
        output, _ = replay.communicate(timeout=300)
        print(output, flush=True)
        if replay.returncode != 0 or summary_of(output, "replay")["differences"]:
            problems.append(f"the cassette's replay against the fake: exit "
                            f"{replay.returncode}")
        module = record_dir / "test_attach_flow_replay.py"
        fake_cinder("replay", str(cassette), "--to-pytest", str(module)).communicate(
            timeout=120)
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p",
                                 "no:cacheprovider", str(module)], cwd=record_dir,
                                capture_output=True, text=True, timeout=300,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        print(result.stdout[-2000:], flush=True)
        if result.returncode != 0:
            problems.append("the cassette's --to-pytest module fails")
        written = [p for d in (shadow_dir, wrong_dir, readonly_dir, record_dir)
                   for p in d.rglob("*") if p.is_file()]
    finally:
        for server in (cinder, keystone):
            if server is not None:
                server.stop()

    # 5. No secret in any file written.
    for path in written:
        text = path.read_text(errors="replace")
        for name, secret in secrets.items():
            if secret and secret in text:
                problems.append(f"{path.relative_to(work)} contains the {name}")
    print(f"conformance-shadow: searched {len(written)} files for "
          f"{len(secrets)} secrets", flush=True)
    for problem in problems:
        print(f"PROBLEM {problem}")
    if problems:
        print(f"conformance-shadow: FAILED (logs in {work})")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("conformance-shadow: the shadow, record and replay hold against Cinder 29.0.0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
