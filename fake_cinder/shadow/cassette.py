"""Cassettes: a consumer's traffic recorded through the shadow proxy, replayed later.

A cassette is JSON lines: first ``{"cassette": 1, "cloud_version": ..., "recorded_at": ...,
"upstream": ...}``, then one ``{"request": ..., "identity": ..., "response": ...}`` per
exchange. Tokens never go in (the identity they stood for does: user, project, roles), and
every secret of a body is redacted (``redact``). ``replay`` re-sends the requests to a live
Cinder or a fake, with the identity as keystonemiddleware's headers, and reports the
differences as the shadow does; ``to_pytest`` writes a test module that does so against the
``fake_cinder`` fixture.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.normalise import UUID, Normaliser

from . import redact
from .compare import Answer, judge
from .report import Report

if TYPE_CHECKING:
    from .proxy import Exchange

FORMAT = 1
# Headers kept in a recording: what changes Cinder's answer, never a credential.
KEPT_REQUEST_HEADERS = {"openstack-api-version", "content-type", "accept"}
KEPT_RESPONSE_HEADERS = {"openstack-api-version", "vary", "content-type"}


def _body_text(payload: bytes, secrets: tuple[str, ...]) -> str:
    text = payload.decode("utf-8", "replace")
    try:
        return json.dumps(redact.body(json.loads(text), secrets)) if text else ""
    except ValueError:
        return str(redact.body(text, secrets))


class CassetteWriter:
    """Appends exchanges to a cassette file as they happen (thread-safe)."""

    def __init__(self, path: Path, *, cloud_version: str | None, upstream: str) -> None:
        self._file = path.open("w")
        self._lock = threading.Lock()
        header = {"cassette": FORMAT, "cloud_version": cloud_version, "upstream": upstream,
                  "recorded_at": datetime.datetime.now(datetime.UTC).isoformat(
                      timespec="seconds")}
        self._file.write(json.dumps(header) + "\n")
        self._file.flush()

    def write(self, exchange: Exchange, secrets: tuple[str, ...]) -> None:
        line: dict[str, Any] = {
            "request": {
                "method": exchange.method, "path": exchange.path,
                "headers": {k: v for k, v in exchange.headers.items()
                            if k.lower() in KEPT_REQUEST_HEADERS},
                "body": _body_text(exchange.body, secrets)},
            "identity": ({**exchange.identity.as_dict(),
                          "service_roles": list(exchange.service_roles)}
                         if exchange.identity else None),
            "response": {
                "status": exchange.upstream.status,
                "headers": {k: v for k, v in exchange.upstream.headers.items()
                            if k in KEPT_RESPONSE_HEADERS},
                "body": _body_text(exchange.upstream.body, secrets)}}
        if exchange.upstream_url is not None:
            line["listener"] = exchange.upstream_url  # another listener (noauth) answered
        with self._lock:
            self._file.write(json.dumps(line, sort_keys=True) + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


@dataclass
class Cassette:
    header: dict[str, Any]
    exchanges: list[dict[str, Any]]

    @classmethod
    def read(cls, path: Path) -> Cassette:
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if not lines or lines[0].get("cassette") != FORMAT:
            raise ValueError(f"{path}: not a fake-cinder cassette (format {FORMAT})")
        return cls(lines[0], lines[1:])


# Sends one request to the target: (method, path, headers, body) -> its answer.
Sender = Callable[[str, str, dict[str, str], bytes], Answer]


def url_sender(base_url: str) -> Sender:
    from .proxy import request_answer

    def send(method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        status, answer_headers, payload = request_answer(base_url, method, path, headers,
                                                         body or None)
        return Answer(status, {k.lower(): v for k, v in answer_headers}, payload)
    return send


def fake_sender(fake: Any) -> Sender:
    """An in-process fake (a fresh FakeCinder) as the target."""
    from werkzeug.test import Client

    client = Client(fake.app)

    def send(method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        response = client.open(path, method=method, headers=headers, data=body or None,
                               base_url="http://replay.invalid")
        return Answer(response.status_code,
                      {k.lower(): v for k, v in response.headers.items()}, response.get_data())
    return send


def replay(cassette: Cassette, send: Sender, target_base: str = "http://replay.invalid",
           report: Report | None = None) -> Report:
    """Re-send every recorded request; the recorded answer is compared with the target's.

    What the recording created is matched with what the target created (the same label
    for both ids), and later requests name the target's ids.
    """
    report = report or Report()
    recorded_norm = Normaliser(str(cassette.header.get("upstream") or "<none>"))
    target_norm = Normaliser(target_base)
    target_ids: dict[str, str] = {}  # recorded id -> the target's
    listener_norms: dict[str, Normaliser] = {}  # another listener's links; the same ids

    def recorded_normaliser(listener: str | None) -> Normaliser:
        if listener is None:
            return recorded_norm
        if listener not in listener_norms:
            listener_norms[listener] = Normaliser(listener)
            listener_norms[listener].labels = recorded_norm.labels
        return listener_norms[listener]

    def translate(text: str) -> str:
        return UUID.sub(lambda m: target_ids.get(m.group(0), m.group(0)), text)

    for index, exchange in enumerate(cassette.exchanges, 1):
        request, response = exchange["request"], exchange["response"]
        headers = dict(request["headers"])
        if exchange.get("identity"):
            identity = exchange["identity"]
            headers.update({"X-User-Id": identity["user_id"],
                            "X-Project-Id": identity["project_id"],
                            "X-Roles": ",".join(identity["roles"])})
            if identity.get("service_roles"):
                headers["X-Service-Roles"] = ",".join(identity["service_roles"])
        body = translate(request["body"]).encode()
        answer = send(request["method"], translate(request["path"]), headers, body)
        # The target's secrets are redacted as the recording's were: compared for shape.
        answer.body = _body_text(answer.body, ()).encode()
        recorded = Answer(response["status"], response["headers"],
                          response["body"].encode())
        _match_created(recorded, answer, target_ids, recorded_norm, target_norm, index)
        _match_attachments(recorded, answer, target_ids, recorded_norm, target_norm, index)
        _match_volume_types(recorded, answer, target_ids, recorded_norm, target_norm, index)
        label = f"{index}: {request['method']} {UUID.sub('<id>', request['path'])}"
        report.add(judge(_operation(request), label, recorded, answer,
                         recorded_normaliser(exchange.get("listener")), target_norm))
    return report


def _match_created(recorded: Answer, answer: Answer, target_ids: dict[str, str],
                   recorded_norm: Normaliser, target_norm: Normaliser, index: int) -> None:
    from .proxy import created_id

    if recorded.status >= 300 or answer.status >= 300:
        return
    old, new = created_id(recorded.body), created_id(answer.body)
    if old and new:
        target_ids[old] = new
        recorded_norm.labels[old] = target_norm.labels[new] = f"created-{index}"


def _attachments_shown(answer: Answer) -> dict[tuple[str, str], str]:
    """(volume id, instance) -> attachment id, from every view in an answer that shows
    attachments: a volume's ``attachments`` and the attachments API's own."""
    body = answer.reply().body
    found: dict[tuple[str, str], str] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("attachment_id"), str) and value.get("server_id"):
                found[(str(value.get("volume_id")), str(value["server_id"]))] = \
                    value["attachment_id"]
            elif (isinstance(value.get("id"), str) and value.get("instance")
                  and value.get("volume_id")):
                found[(str(value["volume_id"]), str(value["instance"]))] = value["id"]
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(body)
    return found


def _match_attachments(recorded: Answer, answer: Answer, target_ids: dict[str, str],
                       recorded_norm: Normaliser, target_norm: Normaliser,
                       index: int) -> None:
    """The legacy attach flow's attachments (``os-attach`` answers no id): matched by
    volume and instance the first time both answers show them."""
    if recorded.status >= 300 or answer.status >= 300:
        return
    shown = _attachments_shown(answer)
    for (volume_id, instance), old in _attachments_shown(recorded).items():
        new = shown.get((target_ids.get(volume_id, volume_id), instance))
        if new is not None and old not in target_ids and new != old:
            target_ids[old] = new
            recorded_norm.labels[old] = target_norm.labels[new] = f"attachment-{index}"


def _volume_types_shown(answer: Answer) -> dict[str, str]:
    """A volume type's name -> its id, in an answer that shows volume types."""
    body = answer.reply().body
    if not isinstance(body, dict):
        return {}
    types = body.get("volume_types")
    if isinstance(body.get("volume_type"), dict):
        types = [body["volume_type"]]
    return {t["name"]: t["id"] for t in types or []
            if isinstance(t, dict) and isinstance(t.get("name"), str)
            and isinstance(t.get("id"), str)}


def _match_volume_types(recorded: Answer, answer: Answer, target_ids: dict[str, str],
                        recorded_norm: Normaliser, target_norm: Normaliser,
                        index: int) -> None:
    """Volume types the recording did not create (``__DEFAULT__``, which every Cinder makes
    with its own id): matched by name the first time both answers show them."""
    if recorded.status >= 300 or answer.status >= 300:
        return
    shown = _volume_types_shown(answer)
    for name, old in _volume_types_shown(recorded).items():
        new = shown.get(name)
        if new is not None and old not in target_ids and new != old:
            target_ids[old] = new
            recorded_norm.labels[old] = target_norm.labels[new] = f"type-{index}"


def _operation(request: dict[str, Any]) -> str:
    from .proxy import project_of

    route = UUID.sub("<id>", request["path"].split("?", 1)[0])
    project = project_of(route)
    if project:
        route = route.replace(f"/v3/{project}/", "/v3/{project}/", 1)
    return f"{request['method']} {route}"


PYTEST_MODULE = '''"""Replays the cassette {name} against the fake_cinder fixture.

Written by `fake-cinder replay {name} --to-pytest`; recorded from a Cinder at microversion
{version} on {date}.
"""

import json

from fake_cinder.shadow.cassette import Cassette, replay, url_sender

CASSETTE = json.loads({data!r})


def test_replay_{slug}(fake_cinder, fake_cinder_url):
    # Cinder's volume type of every new volume, as a fresh Cinder has it.
    if not fake_cinder.dump().get("volume_types"):
        fake_cinder.add_volume_type("__DEFAULT__", description="Default Volume Type")
    cassette = Cassette(CASSETTE[0], CASSETTE[1:])
    report = replay(cassette, url_sender(fake_cinder_url), fake_cinder_url)
    summary = report.summary()
    assert summary["differences"] == 0, report.markdown()
    assert summary["compared"] > 0, summary  # of {count} exchanges
'''


def to_pytest(cassette: Cassette, name: str) -> str:
    """A pytest module replaying ``cassette`` against the ``fake_cinder`` fixture."""
    slug = "".join(c if c.isalnum() else "_" for c in Path(name).stem).strip("_") or "cassette"
    data = json.dumps([cassette.header, *cassette.exchanges])
    return PYTEST_MODULE.format(name=Path(name).name, version=cassette.header.get(
        "cloud_version"), date=cassette.header.get("recorded_at"), data=data, slug=slug,
        count=len(cassette.exchanges))
