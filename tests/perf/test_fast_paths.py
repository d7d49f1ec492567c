"""The fast paths behave exactly like the slow ones they short-cut."""

from __future__ import annotations

import datetime as dt
import gc
import json
import time
import types
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_cinder import FakeCinder
from fake_cinder.api.routing import MAX_BODY_DEPTH, HttpRequest, _decode
from fake_cinder.api.validation import _first_error, schema_registry
from fake_cinder.core import attachments as core
from fake_cinder.core import clock
from fake_cinder.core.context import Caller
from fake_cinder.core.errors import BadRequest
from fake_cinder.core.listing import parse_list_query
from fake_cinder.core.models import Attachment, Volume
from fake_cinder.core.store import Store
from tests.helpers.attach_calls import BASE, NOVA

REGISTRY = schema_registry()
INPUT_SCHEMAS = sorted(name for name, entry in REGISTRY.by_name.items()
                       if entry.kind in ("request", "query"))


def _names_and_strings(schema: Any, names: set[str], strings: set[str]) -> None:
    """Property names and string constants of a schema: what makes inputs interesting."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in ("properties", "patternProperties") and isinstance(value, dict):
                names.update(value)
            if key == "enum" and isinstance(value, list):
                strings.update(v for v in value if isinstance(v, str))
            _names_and_strings(value, names, strings)
    elif isinstance(schema, list):
        for item in schema:
            _names_and_strings(item, names, strings)


def _strings(schema: dict[str, Any]) -> list[str]:
    names: set[str] = set()
    strings = {"", " 5", "-1", "10", "0", "abc", "3.5", "true",
               "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11", "0C6E2B415B1A4D0E9A471F6D3C2B8E11",
               "{0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11}", "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e1"}
    _names_and_strings(schema, names, strings)
    return sorted(strings | names)


def _junk(strings: list[str]) -> st.SearchStrategy[Any]:
    leaves = (st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False)
              | st.sampled_from(strings) | st.text(max_size=6))
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.sampled_from(strings) | st.text(max_size=5),
                                          inner, max_size=4), max_leaves=8)


def _shaped(schema: Any, strings: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    """Instances shaped by the schema (mostly valid, often one step off), or junk."""
    junk = _junk(strings)
    if not isinstance(schema, dict) or depth > 4:
        return junk
    options: list[st.SearchStrategy[Any]] = [junk]
    if isinstance(schema.get("enum"), list):
        options.append(st.sampled_from(schema["enum"]))
    kinds = schema.get("type", [])
    for kind in [kinds] if isinstance(kinds, str) else kinds:
        if kind == "object":
            props = schema.get("properties", {})
            required = [k for k in schema.get("required", [])]
            options += 3 * [st.fixed_dictionaries(
                {k: _shaped(props.get(k, {}), strings, depth + 1) for k in required},
                optional={**{k: _shaped(v, strings, depth + 1) for k, v in props.items()
                             if k not in required}, "extra": junk})]
        elif kind == "string" and schema.get("format") == "uuid":
            options += [st.uuids().map(str), st.uuids().map(lambda u: u.hex.upper()),
                        st.sampled_from(strings)]
        elif kind == "string":
            options.append(st.sampled_from(strings) | st.text(max_size=8))
        elif kind in ("integer", "number"):
            options.append(st.integers(-5, 2**31 + 1) | st.sampled_from([0, 1, 1.5, True]))
        elif kind == "boolean":
            options.append(st.booleans() | st.sampled_from([0, 1, "true"]))
        elif kind == "array":
            options.append(st.lists(_shaped(schema.get("items", {}), strings, depth + 1),
                                    max_size=3))
        elif kind == "null":
            options.append(st.none())
    return st.one_of(*options)


def _instances(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    return _shaped(schema, _strings(schema))


@pytest.mark.parametrize("name", INPUT_SCHEMAS)
def test_the_compiled_schema_never_accepts_what_jsonschema_rejects(name: str) -> None:
    entry = REGISTRY.by_name[name]
    assert entry.fast is not None, f"{name} has no fast path"

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(_instances(entry.schema))
    def check(instance: Any) -> None:
        try:
            entry.fast(instance)
        except Exception:
            return  # rejected: jsonschema then words the error, as before
        assert list(entry.validator.iter_errors(instance)) == [], instance
        assert _first_error(entry, instance) is None

    check()


def test_verdicts_are_remembered_per_schema_query_and_body() -> None:
    import json

    from fake_cinder.api import microversions as mv
    from fake_cinder.core.errors import BadRequest
    version = mv.APIVersion(3, 54)
    good = {"attachment": {"volume_uuid": "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"}}
    bad = {"attachment": {"volume_uuid": "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11", "x": 1}}
    for _ in range(2):  # the second time comes from the remembered verdicts
        REGISTRY.validate("attachment_list", "query", version, {"limit": "5"})
        with pytest.raises(BadRequest, match="limit param must be an integer"):
            REGISTRY.validate("attachment_list", "query", version, {"limit": "x"})
        REGISTRY.validate("attachment_create", "request", version, good,
                          raw=json.dumps(good).encode())
        with pytest.raises(BadRequest, match="Additional properties are not allowed"):
            REGISTRY.validate("attachment_create", "request", version, bad,
                              raw=json.dumps(bad).encode())
    # The same bytes under another schema get that schema's verdict.
    with pytest.raises(BadRequest):
        REGISTRY.validate("attachment_update", "request", version, good,
                          raw=json.dumps(good).encode())


# -- list pages --------------------------------------------------------------------------------
def _store(count: int) -> Store:
    store = Store()
    volumes = [store.add_volume(Volume(id=f"v{i}", project_id=p, multiattach=True))
               for i, p in enumerate(["a", "a", "b"])]
    for index in range(count):
        volume = volumes[index % 3]
        # Equal timestamps in runs of three: the id breaks the tie, as in Cinder.
        store.add_attachment(Attachment(id=f"id-{(index * 7919) % 1000:03d}",
                                        volume_id=volume.id, project_id=volume.project_id,
                                        created_at=f"2024-01-01T00:00:{index // 3:02d}"))
    return store


def _reference(store: Store, project: str, volume_id: str | None, marker: str | None,
               offset: int, limit: int) -> list[str]:
    items = sorted((a for a in store.attachments.values() if a.project_id == project
                    and (volume_id is None or a.volume_id == volume_id)),
                   key=lambda a: (a.created_at, a.id), reverse=True)
    if marker is not None:
        items = items[[a.id for a in items].index(marker) + 1:]
    return [a.id for a in items[offset:offset + limit]]


@settings(max_examples=200, deadline=None, database=None)
@given(count=st.integers(1, 40), limit=st.integers(0, 12), offset=st.integers(0, 15),
       use_marker=st.booleans(), pick=st.integers(0, 1000), by_volume=st.booleans())
def test_a_page_sliced_from_the_index_is_the_page_cinder_gives(
        count: int, limit: int, offset: int, use_marker: bool, pick: int,
        by_volume: bool) -> None:
    store = _store(count)
    caller = Caller(user_id="u", project_id="a")
    mine = [a for a in store.attachments.values() if a.project_id == "a"]
    volume_id = "v1" if by_volume else None
    candidates = [a for a in mine if volume_id is None or a.volume_id == volume_id]
    marker = candidates[pick % len(candidates)].id if use_marker and candidates else None
    params = {"limit": str(limit), "offset": str(offset)}
    if marker:
        params["marker"] = marker
    if volume_id:
        params["volume_id"] = volume_id
    query = parse_list_query(params, caller, strict_filters=True)
    page = core.list_attachments(store, caller, query, render=lambda a: a.id)
    assert page == _reference(store, "a", volume_id, marker, offset, limit)
    assert [a.id for a in core.list_attachments(store, caller, query)] == page


# -- bodies ------------------------------------------------------------------------------------
def _wsgi(app: Any, method: str, path: str, body: bytes, headers: dict[str, str],
          terminated: bool) -> tuple[str, bytes]:
    """Call the app as a server that marks its input terminated (waitress does) would."""
    import io

    from werkzeug.test import EnvironBuilder
    environ = EnvironBuilder(method=method, path=path, headers=headers).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = io.BytesIO(body)
    if terminated:
        environ["wsgi.input_terminated"] = True
    status: list[str] = []
    chunks = app(environ, lambda s, h, e=None: status.append(s))
    return status[0], b"".join(chunks)


def test_a_chunked_body_is_read_and_a_bodiless_request_is_not() -> None:
    import json

    from fake_cinder import FakeCinder
    from fake_cinder.resources import fixture_path
    fake = FakeCinder(fixture_path("default.json"))
    headers = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "volume 3.54",
               "Content-Type": "application/json"}
    body = json.dumps({"attachment": {"volume_uuid": "0c6e2b41-5b1a-4d0e-9a47-1f6d3c2b8e11"}})
    status, answer = _wsgi(fake.app, "POST", "/v3/demo/attachments", body.encode(),
                           {**headers, "Transfer-Encoding": "chunked"}, terminated=True)
    assert status.startswith("200"), answer
    attachment_id = json.loads(answer)["attachment"]["id"]
    status, answer = _wsgi(fake.app, "GET", f"/v3/demo/attachments/{attachment_id}", b"",
                           headers, terminated=True)
    assert status.startswith("200"), answer
    assert fake.journal.entries()[-1].raw_body == b""
    assert json.loads(fake.journal.entries()[-2].raw_body) == json.loads(body)


@pytest.mark.parametrize("length", [None, "", "0", "5", "-1", "x"])
@pytest.mark.parametrize("encoding", [None, "chunked", "Chunked", "gzip, chunked", "identity"])
@pytest.mark.parametrize("terminated", [False, True])
def test_body_absent_reads_the_environ_as_werkzeug_does(length: str | None,
                                                        encoding: str | None,
                                                        terminated: bool) -> None:
    from flask import Request

    from fake_cinder.api.routing import body_absent
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "x",
                               "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    if encoding is not None:
        environ["HTTP_TRANSFER_ENCODING"] = encoding
    if terminated:
        environ["wsgi.input_terminated"] = True
    request = Request(environ)
    expected = request.content_length is None and (
        not terminated or "chunked" not in (encoding or "").lower())
    assert body_absent(request) is expected


@pytest.mark.parametrize("depth", [MAX_BODY_DEPTH - 1, MAX_BODY_DEPTH])
def test_the_bracket_count_never_lets_a_too_deep_body_through(depth: int) -> None:
    """_decode skips the depth walk when few brackets are in the bytes: the walk's
    verdict must stay the same (bodies are UTF-8: any other encoding is malformed)."""
    nested: Any = "x"
    for level in range(depth):
        nested = [nested] if level % 2 else {"k": nested}
    raw = json.dumps({"attachment": nested}, ensure_ascii=False).encode()
    if depth + 1 > MAX_BODY_DEPTH:  # the outer object is one more level
        with pytest.raises(BadRequest, match="nested deeper"):
            _decode(raw)
    else:
        assert _decode(raw) == {"attachment": nested}


@pytest.mark.parametrize("nanoseconds", [
    0, 999_999_999, 1_000_000_000, 1_704_067_199_999_999_000, 1_704_067_200_000_000_000,
    1_709_164_800_123_456_789, 4_102_444_799_999_999_999])
def test_the_wall_clock_text_is_what_datetime_formats(nanoseconds: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """utc_now_text formats the date once per second: right on both sides of a second,
    a day, a year and a leap day, as datetime would render the same moment."""
    fake_time = types.SimpleNamespace(time_ns=lambda: nanoseconds, strftime=time.strftime,
                                      gmtime=time.gmtime)
    monkeypatch.setattr(clock, "time", fake_time)
    for _ in range(2):  # formatted, then from the remembered second
        expected = (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=nanoseconds // 1000))
        assert clock.utc_now_text() == expected.strftime(clock.TIMESTAMP_FORMAT)
    nanoseconds += 1_000_000_000  # the next second is formatted anew
    expected = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=nanoseconds // 1000)
    assert clock.utc_now_text() == expected.strftime(clock.TIMESTAMP_FORMAT)


def test_the_wall_clock_reads_utc_now() -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    read = dt.datetime.strptime(clock.Clock().now(), clock.TIMESTAMP_FORMAT)
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rounding = dt.timedelta(microseconds=1)  # datetime rounds to the microsecond, we floor
    assert before - rounding <= read <= after


def test_a_served_request_leaves_no_reference_cycle() -> None:
    """Each request's objects go when it ends: none waits for the cyclic collector (the
    environ and werkzeug's request referenced each other, and every request left a cycle
    behind)."""
    fake = FakeCinder("default.json")
    client = fake.app.test_client()
    volume = fake.volumes()[0]["id"]
    def requests_alive() -> list[HttpRequest]:
        return [o for o in gc.get_objects() if isinstance(o, HttpRequest)]

    gc.collect()
    gc.disable()
    try:
        before = {id(o) for o in requests_alive()}  # another test's, kept on purpose
        for _ in range(3):
            assert client.get(f"{BASE}/volumes/{volume}", headers=NOVA).status_code == 200
            assert client.post(f"{BASE}/volumes", headers=NOVA, json={
                "volume": {"size": 1}}).status_code == 202
        assert [o for o in requests_alive() if id(o) not in before] == []
    finally:
        gc.enable()
