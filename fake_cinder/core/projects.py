"""Which project ids a /v3 URL may carry.

Cinder's router takes a project id in a URL only when it matches its
``project_id_regex``, ``[0-9a-f-]+`` (Keystone's ids are hex UUIDs); any other id
is its routing 404. The fake also takes a readable id such as ``demo`` (its
fixtures, README and examples use them) when it knows that project:

- it is the caller's own project (what the token or keystonemiddleware's headers say);
- the fake's Keystone directory (the state's ``identity``) has it;
- records exist in it: volumes (an attachment is its volume's project's), snapshots,
  private volume types or quotas set for it.

Any other readable id gets Cinder's routing 404, as from real Cinder.
"""

from __future__ import annotations

import re

from .context import Caller
from .store import Store

# Cinder's default [DEFAULT] project_id_regex, matched against the whole URL segment.
CINDER_PROJECT_ID = re.compile(r"[0-9a-f\-]+")


def routes_project(store: Store, caller: Caller, project_id: str) -> bool:
    """Whether a /v3 URL with this project id is routed (see the module's docstring)."""
    if project_id == caller.project_id or CINDER_PROJECT_ID.fullmatch(project_id):
        return True
    return knows_project(store, project_id)


def knows_project(store: Store, project_id: str) -> bool:
    """The fake's Keystone directory has the project, or records exist in it."""
    with store.lock:
        directory = (store.identity or {}).get("projects") or []
        if any(isinstance(p, dict) and p.get("id") == project_id for p in directory):
            return True
        return (bool(store.project_volumes(project_id))
                or project_id in store.project_quotas
                or bool(store.project_snapshots(project_id))
                or any(t.project_id == project_id for t in store.volume_types.values()))
