"""JSON Schema validation with Cinder's error messages.

Schemas are data in ``schemas/``: one file per operation, kind (request body,
query string, response) and microversion range. Each is compiled once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema

from ..core.encryption import key_size
from ..core.errors import BadRequest
from ..core.uuids import is_uuid_like
from ..resources import data_dir
from .microversions import MAX_VERSION, MIN_VERSION, APIVersion

format_checker = jsonschema.FormatChecker()
REMEMBERED_VERDICTS = 4096  # bodies and query strings whose verdict is remembered
MAX_REMEMBERED_BODY = 2048  # bytes: bigger bodies are validated every time
_UNKNOWN: Any = object()


@format_checker.checks("uuid")
def _is_uuid_like(value: object) -> bool:
    """The uuid format: only strings are checked (the schema's type covers the rest)."""
    return not isinstance(value, str) or is_uuid_like(value)


@format_checker.checks("key_size")
def _is_key_size(value: object) -> bool:
    """Cinder's key_size format raises its own 400 ("key_size must be an integer.") from
    inside the validation, so it is reported before a missing property, as in Cinder."""
    key_size(value)
    return True


@format_checker.checks("disabled_reason")
def _is_disabled_reason(value: object) -> bool:
    """Cinder's disabled_reason format: not only blanks (the schema bounds the length)."""
    return not isinstance(value, str) or bool(value.strip())


@dataclass(frozen=True, slots=True)
class SchemaEntry:
    name: str
    operation: str
    kind: str
    min_version: APIVersion
    max_version: APIVersion
    schema: dict[str, Any]
    validator: jsonschema.protocols.Validator
    # The same schema compiled to Python code: a few times faster on valid input, the
    # common case. It only ever says "valid"; jsonschema finds and words every error.
    fast: Callable[[Any], Any] | None = None


def _cinder_message(error: jsonschema.ValidationError) -> str:
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if custom:
        return custom
    if error.path:
        return (f"Invalid input for field/attribute {error.path[-1]}. "
                f"Value: {error.instance}. {error.message}")
    return error.message


def _compile_fast(schema: dict[str, Any]) -> Callable[[Any], Any] | None:
    try:
        # use_default=False: never write the schema's defaults into the request.
        return fastjsonschema.compile(schema, formats={"uuid": _is_uuid_like,
                                                         "key_size": _is_key_size,
                                                         "disabled_reason": _is_disabled_reason},
                                      use_default=False)
    except Exception:  # a schema it cannot compile just has no fast path
        return None


def _first_error(entry: SchemaEntry, instance: Any) -> str | None:
    """Cinder's message for the first problem, or None when the instance is valid."""
    if entry.fast is not None:
        try:
            entry.fast(instance)
            return None
        except Exception:  # jsonschema, below, has the last word
            pass
    error = next(iter(entry.validator.iter_errors(instance)), None)
    return None if error is None else _cinder_message(error)


class SchemaRegistry:
    """All schemas of one directory, indexed by operation and kind."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or data_dir("schemas")
        self.entries: dict[tuple[str, str], list[SchemaEntry]] = {}
        self.by_name: dict[str, SchemaEntry] = {}
        self._verdicts: dict[tuple[str, Any], str | None] = {}
        self._found: dict[tuple[str, str, APIVersion], SchemaEntry | None] = {}
        for path in sorted(self.directory.glob("*.json")):
            self._load(path)

    def _load(self, path: Path) -> None:
        schema = json.loads(path.read_text(encoding="utf-8"))
        operation = schema.get("x-operation")
        kind = schema.get("x-kind")
        if not operation or not kind:
            return  # a shared definition file, not an operation's schema
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
        cls.check_schema(schema)
        entry = SchemaEntry(
            name=path.stem, operation=operation, kind=kind,
            min_version=APIVersion.parse(schema.get("x-min-version", str(MIN_VERSION))),
            max_version=APIVersion.parse(schema.get("x-max-version", str(MAX_VERSION))),
            schema=schema, validator=cls(schema, format_checker=format_checker),
            # Only inputs are validated per request; response schemas serve tests.
            fast=_compile_fast(schema) if kind in ("request", "query") else None)
        self.entries.setdefault((operation, kind), []).append(entry)
        self.by_name[entry.name] = entry

    def find(self, operation: str, kind: str, version: APIVersion) -> SchemaEntry | None:
        key = (operation, kind, version)
        if key in self._found:  # every request looks up its schema
            return self._found[key]
        found = next((entry for entry in self.entries.get((operation, kind), ())
                      if entry.min_version <= version <= entry.max_version), None)
        self._found[key] = found  # bounded: operations x kinds x versions
        return found

    def validate(self, operation: str, kind: str, version: APIVersion, instance: Any,
                 raw: bytes | None = None) -> None:
        """Raise BadRequest with Cinder's message for the first problem found.

        ``raw`` is the request body ``instance`` was decoded from, if any: the same
        bytes always get the same verdict, so small bodies' verdicts are remembered
        (clients resend the same bodies: ``{"os-complete": null}``, a host's connector).
        """
        entry = self.find(operation, kind, version)
        if entry is None:
            return
        key: tuple[str, Any] | None = None
        if raw is not None and len(raw) <= MAX_REMEMBERED_BODY:
            key = (entry.name, raw)
        elif kind == "query" and all(type(v) is str for v in instance.values()):
            # Query strings (flat str -> str) repeat as well.
            key = (entry.name, tuple(sorted(instance.items())))
        message = _UNKNOWN if key is None else self._verdicts.get(key, _UNKNOWN)
        if message is _UNKNOWN:
            message = _first_error(entry, instance)
            if key is not None:
                if len(self._verdicts) >= REMEMBERED_VERDICTS:
                    self._verdicts.clear()
                self._verdicts[key] = message
        if message is not None:
            raise BadRequest(message)

    def errors(self, operation: str, kind: str, version: APIVersion,
               instance: Any) -> list[str]:
        """Every problem (for tests checking responses); [] when valid or unschematized."""
        entry = self.find(operation, kind, version)
        if entry is None:
            return [f"no {kind} schema for {operation} at {version}"]
        return [f"{list(e.absolute_path)}: {e.message}"
                for e in entry.validator.iter_errors(instance)]


_REGISTRIES: dict[str, SchemaRegistry] = {}


def schema_registry(directory: Path | None = None) -> SchemaRegistry:
    """Schemas are compiled once per process and shared by every fake."""
    key = str(directory)
    if key not in _REGISTRIES:
        _REGISTRIES[key] = SchemaRegistry(directory)
    return _REGISTRIES[key]
