"""The schemas in schemas/ cover every route's bodies, queries and responses exactly once."""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

import pytest

from fake_cinder.api import microversions as mv
from fake_cinder.api.app import ROUTER
from fake_cinder.api.validation import schema_registry

REPOSITORY = Path(__file__).resolve().parents[2]
# Operations whose success has no body (202/204).
EMPTY_RESPONSES = {"attachment_complete", "volume_delete", "volume_reset_status"}
EMPTY_RESPONSES |= {"volume_begin_detaching", "volume_roll_detaching", "volume_reserve",
                    "volume_unreserve", "volume_terminate_connection", "volume_attach",
                    "volume_detach", "volume_force_detach", "volume_extend", "volume_reimage",
                    "volume_update_readonly_flag"}
EMPTY_RESPONSES |= {"snapshot_delete", "snapshot_update_status", "encryption_delete",
                    "snapshot_reset_status", "snapshot_force_delete"}
EMPTY_RESPONSES |= {"volume_type_delete", "volume_type_extra_spec_delete",
                    "volume_type_access_add", "volume_type_access_remove", "volume_retype",
                    "qos_specs_delete", "qos_specs_delete_keys", "qos_specs_associate",
                    "qos_specs_disassociate", "qos_specs_disassociate_all", "quota_delete"}
EMPTY_RESPONSES |= {"message_delete", "transfer_delete", "volume_transfer_delete"}
EMPTY_RESPONSES |= {"group_type_delete", "group_spec_delete", "group_update", "group_delete",
                    "group_reset_status", "group_snapshot_delete", "group_snapshot_reset_status"}
EMPTY_RESPONSES |= {"volume_migrate"}
OPERATIONS = [op for route in ROUTER.routes for op in route.operations]


def minors(operation) -> list[mv.APIVersion]:
    return [mv.APIVersion(3, minor)
            for minor in range(operation.min_version.minor, operation.max_version.minor + 1)]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.name for op in OPERATIONS])
def test_every_version_of_every_route_has_its_schemas(operation):
    registry = schema_registry()
    for version in minors(operation):
        if operation.validates_body:
            assert registry.find(operation.name, "request", version), (operation.name, version)
        if operation.validates_query:
            assert registry.find(operation.name, "query", version), (operation.name, version)
        if operation.name not in EMPTY_RESPONSES:
            assert registry.find(operation.name, "response", version), (operation.name, version)


def test_version_ranges_never_overlap():
    registry = schema_registry()
    for (operation, kind), entries in registry.entries.items():
        ordered = sorted(entries, key=lambda e: e.min_version)
        for before, after in zip(ordered, ordered[1:], strict=False):
            assert before.max_version < after.min_version, (operation, kind)


def test_attachment_create_switches_schema_at_3_54():
    registry = schema_registry()
    assert registry.find("attachment_create", "request", mv.APIVersion(3, 53)).name == \
        "attachment_create.request"
    assert registry.find("attachment_create", "request", mv.APIVersion(3, 54)).name == \
        "attachment_create.request.v3_54"


def test_every_schema_file_is_an_operation_schema_with_descriptions():
    registry = schema_registry()
    # state.json is the fixture-file format (core/state_files.py), not an operation's schema.
    files = sorted(p.stem for p in (REPOSITORY / "schemas").glob("*.json") if p.stem != "state")
    assert sorted(registry.by_name) == files
    for entry in registry.by_name.values():
        assert entry.schema.get("description"), entry.name


def test_packaging_metadata():
    pyproject = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(pyproject) == {"build-system"}
    setup = configparser.ConfigParser()
    setup.read(REPOSITORY / "setup.cfg", encoding="utf-8")
    requires = setup["options"]["install_requires"]
    for name in ("flask", "werkzeug", "jsonschema"):
        assert name in requires
    test_extra = setup["options.extras_require"]["test"]
    for name in ("pytest", "pytest-flask", "requests"):
        assert name in test_extra
    assert "fake-cinder = fake_cinder.cli:main" in setup["options.entry_points"]["console_scripts"]
