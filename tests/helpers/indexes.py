"""The store's volume indexes kept for every column from the start, so that a test's
teardown can compare them all with a full scan (``Store.check_indexes``)."""

from __future__ import annotations

from fake_cinder import FakeCinder
from fake_cinder.core.volumes import SORT_COLUMNS


def index_every_column(fake: FakeCinder) -> None:
    store = fake.store
    with store.lock:
        store.volume_index.index_every(
            SORT_COLUMNS.values(),
            {project: store.project_volumes(project) for project in store.volume_projects()})
