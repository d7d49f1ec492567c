"""schemathesis against a live fake, driven by the fake's own /openapi.json.

Every generated request (positive and negative data, several callers) must get
a documented status, a response matching its schema and content type, and
never a 5xx. ``FUZZ_REQUESTS`` sets the budget: a few hundred in ``make test``,
at least 10 000 in ``make fuzz`` (which also prints the summary).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fake_cinder.core.directory import Directory, IdentityError
from fake_cinder.resources import fixture_path

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance,
          content_type_conformance]
# Who calls: the noauth admin of demo, a member of demo, Nova with a service token, a member
# of another project, and nobody (401).
CALLERS: list[dict[str, str]] = [
    {"X-Auth-Token": "demo:demo"},
    {"X-Project-Id": "demo", "X-User-Id": "alice", "X-Roles": "member"},
    {"X-Project-Id": "demo", "X-User-Id": "nova", "X-Roles": "member",
     "X-Service-Roles": "service"},
    {"X-Project-Id": "other", "X-User-Id": "bob", "X-Roles": "member"},
    {},
]
AUTH_HEADERS = ("X-Auth-Token", "X-Project-Id")
DEFAULT_IDENTITY = json.loads(fixture_path("default.json").read_text(encoding="utf-8"))[
    "identity"]
BUDGET = int(os.environ.get("FUZZ_REQUESTS", "300"))


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)


def _project_of(headers: dict[str, str]) -> str:
    token = headers.get("X-Auth-Token", "")
    return headers.get("X-Project-Id") or token.partition(":")[2] or token or "demo"


def _live_ids(fake: Any) -> dict[str, list[str]]:
    """Ids that exist right now, so generated requests also reach the state machine."""
    with fake.store.lock:
        return {"volume_id": list(fake.store.volumes), "attachment_id":
                list(fake.store.attachments), "type_id": list(fake.store.volume_types)}


def _keystone_token(fake: Any, choice: int) -> str | None:
    """A fresh token of the fake's own Keystone (demo's or admin's). The fuzzer's calls to
    /_fake/state may have dropped the users: then the default fixture's come back."""
    user = ("demo", "admin")[choice % 2]
    body = {"auth": {"identity": {"methods": ["password"],
                                  "password": {"user": {"id": user, "password": user}}}}}
    for _ in range(2):
        try:
            return fake.tokens.authenticate(Directory.parse(fake.store.identity), body).id
        except IdentityError:
            fake.load({"identity": DEFAULT_IDENTITY}, replace=False)
    return None


def _steer(case: Any, fake: Any, headers: dict[str, str], choice: int) -> dict[str, str]:
    """Point most cases at the caller's project and, often, at existing resources; the
    headers to send (on /identity, mostly with tokens its Keystone issued)."""
    if case.headers and choice % 7 != 6:
        # schemathesis fills the security schemes' headers with noise: mostly use the caller's.
        for name in AUTH_HEADERS:
            case.headers.pop(name, None)
    if case.path.startswith("/identity/v3/") and choice % 5 != 4:
        token = _keystone_token(fake, choice)
        if token is not None:
            headers = {**headers, "X-Auth-Token": token}
            if choice % 3 != 2:
                headers["X-Subject-Token"] = _keystone_token(fake, choice // 2) or token
        params = case.path_parameters or {}
        if "project_id" in params and choice % 10 != 9:
            params["project_id"] = ("demo", "admin")[choice // 7 % 2]
        return headers
    params = case.path_parameters or {}
    if "project_id" in params and choice % 10 != 9:
        params["project_id"] = _project_of(headers)
    ids = _live_ids(fake)
    for name in ("volume_id", "attachment_id", "type_id"):
        if name in params and ids[name] and choice % 3 != 2:
            params[name] = ids[name][choice % len(ids[name])]
    attachment = case.body.get("attachment") if isinstance(case.body, dict) else None
    if (isinstance(attachment, dict) and "volume_uuid" in attachment and ids["volume_id"]
            and choice % 2 == 0):
        attachment["volume_uuid"] = ids["volume_id"][choice % len(ids["volume_id"])]
    return headers


def _fuzz_operation(operation: Any, live: Live, mode: GenerationMode, examples: int,
                    tally: Tally, session: requests.Session) -> None:
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode),
           headers=st.sampled_from(CALLERS), choice=st.integers(0, 2**16))
    def run(case: Any, headers: dict[str, str], choice: int) -> None:
        headers = _steer(case, live.fake, headers, choice)
        tally.requests += 1
        response = case.call(base_url=live.url, session=session, headers=headers)
        tally.statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except Unsatisfiable:
        pass  # no negative data exists for an operation without inputs
    except (Exception, BaseExceptionGroup) as error:  # schemathesis raises a group
        # Record it and go on: the summary names every failure.
        tally.failures.setdefault(f"{operation.label} [{mode.value}]", str(error)[:4000])


@dataclass
class Live:
    fake: Any
    url: str


def fuzz(live: Live, budget: int) -> Tally:
    """Rounds over every operation, positive then negative, until the budget is spent."""
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()
                  if result.ok().definition.raw.get("x-fuzz", True)]
    per_operation = max(1, budget // (2 * len(operations)))
    tally = Tally()
    with requests.Session() as session:
        while tally.requests < budget and not tally.failures:
            before = tally.requests
            for operation in operations:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    if tally.requests < budget:
                        _fuzz_operation(operation, live, mode, per_operation, tally, session)
            if tally.requests == before:
                break  # nothing left to generate
    return tally


# The default fixtures with repeatable ids.
pytestmark = pytest.mark.fake_cinder_state("default.json", seed=1)


def test_fuzz_the_openapi_document(fake, live_server_url: str) -> None:
    started = time.monotonic()
    tally = fuzz(Live(fake, live_server_url), BUDGET)
    elapsed = time.monotonic() - started
    statuses = ", ".join(f"{code}: {count}" for code, count in sorted(tally.statuses.items()))
    print(f"\nfuzz: {tally.requests} requests in {elapsed:.1f} s, "
          f"{len(tally.failures)} failures; statuses {statuses}")
    for label, message in tally.failures.items():
        print(f"--- {label}\n{message}")
    assert not tally.failures, "\n".join(tally.failures)
    assert tally.requests >= BUDGET
    assert not any(code >= 500 for code in tally.statuses)
