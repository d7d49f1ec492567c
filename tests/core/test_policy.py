"""core.policy: Cinder 29's rules by persona, Keystone's implied roles, and the table
against Cinder 29's own policy defaults (when the harness's .venv-cinder is there)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from fake_cinder.core import policy
from fake_cinder.core.context import Caller
from fake_cinder.core.errors import PolicyNotAuthorized
from fake_cinder.core.policy import POLICIES, Rule, allows, authorize, passes, roles_of

CINDER_PYTHON = Path(__file__).resolve().parents[2] / ".venv-cinder" / "bin" / "python"


def caller(*roles: str, project: str = "demo", service: bool = False) -> Caller:
    return Caller(user_id="u", project_id=project, roles=frozenset(roles),
                  service_roles=frozenset({"service"} if service else ()))


# persona -> (reader rule, member rule, admin rule) on a record of project "demo"
PERSONAS = {
    "reader": (caller("reader"), (True, False, False)),
    "member (with reader)": (caller("member", "reader"), (True, True, False)),
    "member alone (reader implied)": (caller("member"), (True, True, False)),
    "admin alone (member, reader implied)": (caller("admin"), (True, True, True)),
    "admin of another project": (caller("admin", project="other"), (True, True, True)),
    "Nova (member and a service token)": (caller("member", service=True), (True, True, False)),
    "a service token alone": (caller(service=True), (False, False, False)),
    "no role": (caller(), (False, False, False)),
    "another project's member": (caller("member", "reader", project="other"),
                                 (False, False, False)),
    "an unknown role": (caller("observer"), (False, False, False)),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_passes_cinders_rules_on_a_record_of_its_project(persona: str) -> None:
    who, expected = PERSONAS[persona]
    got = tuple(passes(who, rule, "demo") for rule in (Rule.READER, Rule.MEMBER, Rule.ADMIN))
    assert got == expected


def test_without_a_target_the_callers_own_project_is_the_target() -> None:
    assert passes(caller("reader", project="p1"), Rule.READER)
    assert not passes(caller("reader", project="p1"), Rule.READER, "p2")


def test_keystones_implied_roles() -> None:
    assert roles_of(caller("admin")) == {"admin", "member", "reader"}
    assert roles_of(caller("member")) == {"member", "reader"}
    assert roles_of(caller("reader", "custom")) == {"reader", "custom"}


def test_authorize_raises_cinders_403_naming_the_policy() -> None:
    authorize(caller("member"), "volume:delete", "demo")
    with pytest.raises(PolicyNotAuthorized) as raised:
        authorize(caller("reader"), "volume:delete", "demo")
    assert raised.value.status == 403
    assert raised.value.message == "Policy doesn't allow volume:delete to be performed."
    assert not allows(caller("reader"), "volume:delete")


def test_an_unknown_policy_name_is_a_bug_not_a_refusal() -> None:
    with pytest.raises(KeyError):
        authorize(caller("admin"), "volume:no_such_policy")


# The rows of the fake's other services (Keystone, Nova), not Cinder's.
OTHER_SERVICES = ("identity:", "os_compute_api:")
CINDER_ROWS = {name: rule for name, rule in POLICIES.items()
               if not name.startswith(OTHER_SERVICES)}


def test_the_table_uses_cinders_rule_names() -> None:
    # The three base rules of cinder/policies/base.py that Cinder 29's defaults use.
    assert {rule.value for rule in CINDER_ROWS.values()} == {
        "xena_system_admin_or_project_reader", "xena_system_admin_or_project_member",
        "admin_api"}
    assert set(POLICIES.values()) == set(Rule)
    assert policy.IMPLIED_ROLES["admin"] >= {"member", "reader"}


def test_novas_service_rule() -> None:
    assert passes(caller("reader", service=False), Rule.SERVICE_OR_ADMIN) is False
    assert passes(Caller(user_id="nova", project_id="service",
                         roles=frozenset({"service"})), Rule.SERVICE_OR_ADMIN, "demo")
    assert passes(caller("admin"), Rule.SERVICE_OR_ADMIN)


@pytest.mark.skipif(not CINDER_PYTHON.exists(), reason="no .venv-cinder (make conformance)")
def test_every_row_is_cinder_29s_default() -> None:
    script = ("import json\nfrom cinder import policies\n"
              "print(json.dumps({r.name: r.check_str for r in policies.list_rules()}))")
    done = subprocess.run([str(CINDER_PYTHON), "-W", "ignore", "-c", script],
                          capture_output=True, text=True, timeout=120, check=True)
    defaults = json.loads(done.stdout.strip().splitlines()[-1])
    for name, rule in CINDER_ROWS.items():
        assert defaults.get(name) == f"rule:{rule.value}", name
