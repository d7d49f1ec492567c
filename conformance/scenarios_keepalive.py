"""Scenarios of issue 24's keep-alive: the harness sends every step of a scenario on one
persistent connection to each server (``servers.Server.request``), so these show that a
body no handler reads and a client's ``Connection: close`` leave the next request on the
connection answered as Cinder 29 (eventlet's WSGI server) answers it. A chunked body is a
departure (``chunked-request-bodies``): the fake reads it, Cinder reads it as empty.
Same conventions as scenarios.py."""

from __future__ import annotations

import json

from .engine import Step
from .scenarios import VOL, P, Scenario, get


def _chunked(body: object, size: int = 9) -> bytes:
    data = json.dumps(body).encode()
    pieces = [data[i:i + size] for i in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


JSON = {"Content-Type": "application/json"}
CHUNKED = {**JSON, "Transfer-Encoding": "chunked"}
# 40 KB that no route reads: Cinder answers 404 before reading it.
UNREAD = json.dumps({"volume": {"description": "x" * 40_000}}).encode()

KEEPALIVE_CATALOGUE: list[Scenario] = [
    Scenario("issue 24: keep-alive: unread bodies, Connection: close", [
        Step("POST", P + "/nowhere", raw=UNREAD, headers=JSON),
        get(VOL + "/{vol:a}"),
        Step("PUT", VOL + "/{vol:a}", body={"volume": {"name": "kept"}}, check="vol:a"),
        get(VOL + "/detail?limit=1", headers={"Connection": "close"}),
        Step("POST", VOL + "/{vol:a}/action", raw=UNREAD, headers=JSON),
        get(VOL + "/{vol:a}"),
    ], volumes={"vol:a": None}),
    # Departure chunked-request-bodies: Cinder reads a chunked body as empty.
    Scenario("issue 24: keep-alive: a chunked body", [
        Step("PUT", VOL + "/{vol:a}", raw=_chunked({"volume": {"name": "chunked"}}),
             headers=CHUNKED, check="vol:a"),
        get(VOL + "/{vol:a}"),
    ], volumes={"vol:a": None}),
]
