"""Authorization goes through one policy table (core.policy), and the route table says
which policies each operation asks.

- every operation of the route table declares its policies (``Operation.policies``), all
  of them rows of the table, and every row is declared by some operation;
- every conformance scenario (the policy ones ask every policy the fake serves as each
  persona), replayed in process: every policy a request asks is one its operation
  declares, and every 403 names one;
- no module spells Cinder's policy message but the error class that renders it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conformance.engine import Context, Step, created_id, dig, project_id
from conformance.normalise import Normaliser
from conformance.scenarios import CATALOGUE
from conformance.scenarios_groups import GROUPS_CATALOGUE
from conformance.scenarios_images import IMAGES_CATALOGUE
from conformance.scenarios_nova import NOVA_CATALOGUE
from conformance.scenarios_policy import POLICY_CATALOGUE
from conformance.scenarios_routing import ROUTING_CATALOGUE
from conformance.scenarios_server_volumes import SERVER_VOLUME_CATALOGUE
from conformance.scenarios_types import TYPES_CATALOGUE
from conformance.scenarios_volfeat import VOLFEAT_CATALOGUE
from conformance.servers import FAKE_STATE, Reply
from fake_cinder import FakeCinder
from fake_cinder.api.app import ROUTER
from fake_cinder.core import policy

PACKAGE = Path(__file__).resolve().parents[2] / "fake_cinder"
DECLARED = {op.name: op.policies for route in ROUTER.routes for op in route.operations}
SCENARIOS = (CATALOGUE + NOVA_CATALOGUE + ROUTING_CATALOGUE + VOLFEAT_CATALOGUE
             + IMAGES_CATALOGUE + POLICY_CATALOGUE + TYPES_CATALOGUE + SERVER_VOLUME_CATALOGUE
             + GROUPS_CATALOGUE)
REFUSAL = re.compile(r"Policy doesn't allow (\S+) to be performed\.")


def test_every_operation_declares_its_policies_from_the_table() -> None:
    undeclared = sorted(name for name, policies in DECLARED.items() if policies is None)
    assert not undeclared, f"operations without policies=(...): {undeclared}"
    unknown = {name: [p for p in policies or () if p not in policy.POLICIES]
               for name, policies in DECLARED.items()}
    assert not {k: v for k, v in unknown.items() if v}


def test_every_row_of_the_table_is_declared_by_an_operation() -> None:
    """Cinder's rows by /v3 operations; the rows of the fake's Keystone and Nova (routes
    outside /v3, which declare nothing) are at least asked somewhere in the package."""
    declared = {p for policies in DECLARED.values() for p in policies or ()}
    undeclared = sorted(set(policy.POLICIES) - declared)
    source = "".join(path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py")
                     if path.name != "policy.py")
    assert [name for name in undeclared
            if not name.startswith(("identity:", "os_compute_api:"))] == []
    assert [name for name in undeclared if f'"{name}"' not in source
            and f'"{name.rsplit(":", 1)[0]}:' not in source] == []


def test_only_the_error_class_spells_the_policy_message() -> None:
    spelled = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
               if "Policy doesn't" in path.read_text(encoding="utf-8")]
    assert spelled == ["core/errors.py"]


class InProcess:
    """The harness's server interface over the fake's Flask test client."""

    name = "fake"
    base_url = "http://localhost"

    def __init__(self, fake: FakeCinder) -> None:
        self.client = fake.app.test_client()

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                body: Any = None, raw: bytes | None = None) -> Reply:
        sent = {"Accept": "application/json", **(headers or {})}
        data = raw
        if data is None and body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        response = self.client.open(path, method=method, headers=sent, data=data)
        text = response.get_data(as_text=True)
        try:
            decoded: Any = json.loads(text) if text else None
        except ValueError:
            decoded = text
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                     decoded, text)


class AskedPolicies(dict[str, policy.Rule]):
    """The policy table, remembering every name looked up in it."""

    def __init__(self) -> None:
        super().__init__(policy.POLICIES)
        self.asked: list[str] = []

    def __getitem__(self, name: str) -> policy.Rule:
        self.asked.append(name)
        return super().__getitem__(name)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_each_request_asks_only_its_operations_policies(scenario: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeCinder(FAKE_STATE)
    operations: list[str | None] = []
    fake.response_hooks.append(lambda request, response, record: operations.append(
        record.get("operation")))
    table = AskedPolicies()
    monkeypatch.setattr(policy, "POLICIES", table)
    ctx = Context(InProcess(fake), Normaliser(InProcess.base_url),
                  scenario.project or project_id(scenario.name),
                  project_id(scenario.name + "/other"))
    admin = {**ctx.callers["admin"], "OpenStack-API-Version": "volume 3.71"}
    multiattach = ctx.server.request("POST", f"/v3/{ctx.project}/types", admin, body={
        "volume_type": {"name": "multiattach", "extra_specs": {"multiattach": "<is> True"}}})
    ctx.remember("type:multiattach", str(created_id(multiattach)))
    for label, volume_type in scenario.volumes.items():
        body = {"size": 1, "name": label, **({"volume_type": volume_type} if volume_type else {})}
        created = ctx.server.request("POST", f"/v3/{ctx.project}/volumes",
                                     {**ctx.callers["member"], "OpenStack-API-Version":
                                      "volume 3.71"}, body={"volume": body})
        ctx.remember(label, str(created_id(created)))
    refusals = 0
    step: Step
    for step in scenario.steps:
        table.asked.clear()
        reply = ctx.send(step)
        operation = operations[-1]
        declared = DECLARED.get(operation or "", ())
        assert set(table.asked) <= set(declared or ()), (step, operation, table.asked)
        if reply.status == 403 and isinstance(reply.body, dict) and "forbidden" in reply.body:
            found = REFUSAL.fullmatch(reply.body["forbidden"]["message"])
            assert found and found.group(1) in (declared or ()), (step, reply.body)
            refusals += 1
        if step.save:
            saved = dig(reply, step.save_from) if step.save_from else created_id(reply)
            if saved:
                ctx.remember(step.save, saved)
    # Each policy scenario has callers the policies refuse (the implied-roles one: none).
    if scenario in POLICY_CATALOGUE and scenario.name != "policy: implied roles":
        assert refusals
