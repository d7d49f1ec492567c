"""Scenarios of the volume manager's asynchronous work (issue 22, core/transitions.py).

Both backends are steered by the same volume metadata (conformance/memory_driver.py,
``fake_cinder.core.transitions``):

- ``fake_cinder:transition: 1s``: Cinder's driver takes a second over each operation of
  the volume and the fake keeps the transitional status as long, so a read right after the
  request shows the intermediate status on both: every intermediate status the fake shows
  is compared with the one real Cinder shows for the same operation;
- ``fake_cinder:fail: <operations>``: Cinder's driver raises in those operations and its
  manager leaves its failure status; the fake ends the same operations in the failure
  status its table declares. Steps with ``check`` compare the settled state.
"""

from __future__ import annotations

from .engine import Step
from .scenarios import Scenario, get

P = "/v3/{project}"
VOL = P + "/volumes"
SNAP = P + "/snapshots"
SLOW = {"fake_cinder:transition": "1s"}


def new_volume(label: str, metadata: dict[str, str], check: bool = True) -> Step:
    return Step("POST", VOL, body={"volume": {"size": 1, "name": label, "metadata": metadata}},
                save=label, check=label if check else None)


def show(label: str, name: str) -> Step:
    """An admin's read at once, with no waiting: the status while the work goes on; then
    (the check) the state once both servers finished."""
    collection = SNAP if label.startswith("snap:") else VOL
    return get(collection + "/{" + label + "}", caller="admin", name=name, check=label)


def extend(label: str, size: int, check: bool = False) -> Step:
    return Step("POST", VOL + "/{" + label + "}/action",
                body={"os-extend": {"new_size": size}}, check=label if check else None)


def new_snapshot(volume: str, label: str, check: bool = True) -> Step:
    return Step("POST", SNAP, body={"snapshot": {"volume_id": "{" + volume + "}",
                                                 "name": label}},
                save=label, check=label if check else None)


def delete(label: str, check: bool = False) -> Step:
    collection = SNAP if label.startswith("snap:") else VOL
    return Step("DELETE", collection + "/{" + label + "}", check=label if check else None)


def failing(operations: str) -> dict[str, str]:
    return {"fake_cinder:fail": operations}


TRANSITIONS_CATALOGUE: list[Scenario] = [
    Scenario("transitions: intermediate statuses of a volume's operations", [
        new_volume("vol:s", SLOW, check=False),  # the create answers "creating"
        show("vol:s", "while creating"),
        extend("vol:s", 2),
        show("vol:s", "while extending"),
        delete("vol:s"),
        show("vol:s", "while deleting"),
    ]),
    Scenario("transitions: intermediate statuses of a snapshot's operations", [
        new_volume("vol:s", SLOW),
        new_snapshot("vol:s", "snap:s", check=False),
        show("snap:s", "while creating"),
        delete("snap:s"),
        show("snap:s", "while deleting"),
    ]),
    Scenario("transitions: failure statuses of Cinder's volume manager", [
        new_volume("vol:create", failing("volume_create")),           # error
        new_volume("vol:extend", failing("volume_extend")),
        extend("vol:extend", 2, check=True),                          # error_extending, 1 GB
        new_volume("vol:delete", failing("volume_delete")),
        delete("vol:delete", check=True),                             # error_deleting
        get(VOL + "/detail", caller="admin"),
        new_volume("vol:snap", failing("snapshot_create,snapshot_delete")),
        new_snapshot("vol:snap", "snap:create"),                      # error
        get(SNAP + "/detail", caller="admin"),
        # The user messages Cinder's manager and scheduler recorded, newest first.
        get(P + "/messages", caller="admin", version="3.3"),
    ]),
]
