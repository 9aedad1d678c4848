"""Published definition versions, parsed once per process.

Published versions are immutable, so a cache keyed by (tenant, workflow,
version) never goes stale; only "latest" lookups go to the database.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass

import asyncpg
from sluice_storage import DefinitionRepository
from workflow_core.definitions import Definition

from sluice_engine.errors import UnknownWorkflowError

# 2,000 parsed definitions x a few tens of KB each: tens of MB at most.
DEFAULT_CACHE_SIZE = 2000


@dataclass(frozen=True)
class LoadedVersion:
    workflow_id: str
    version: int
    definition: Definition


class DefinitionCache:
    def __init__(self, capacity: int = DEFAULT_CACHE_SIZE) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[str, str, int], LoadedVersion] = OrderedDict()

    def _remember(self, tenant_id: str, loaded: LoadedVersion) -> LoadedVersion:
        key = (tenant_id, loaded.workflow_id, loaded.version)
        self._items[key] = loaded
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)
        return loaded

    def cached(self, tenant_id: str, workflow_id: str, version: int) -> LoadedVersion | None:
        """A version already loaded (no I/O), else ``None``."""
        return self._items.get((tenant_id, workflow_id, version))

    async def load(
        self, conn: asyncpg.Connection, tenant_id: str, workflow_id: str, version: int | None
    ) -> LoadedVersion:
        """A published version (``None``: the latest); raises ``UnknownWorkflowError``."""
        if version is not None:
            found = self._items.get((tenant_id, workflow_id, version))
            if found is not None:
                return found
        try:
            wf_uuid = uuid.UUID(workflow_id)
        except ValueError as exc:
            raise UnknownWorkflowError(f"workflow id {workflow_id!r} is not a uuid") from exc
        repo = DefinitionRepository(conn, tenant_id)
        if version is None:
            # "Latest" asks only for the number (an index lookup) and parses the
            # document once per version: run starts call this every time.
            latest = await repo.latest_version_number(wf_uuid)
            found = self._items.get((tenant_id, workflow_id, latest)) if latest else None
            if found is not None:
                return found
            version = latest
        record = await repo.get_version(wf_uuid, version) if version is not None else None
        if record is None:
            which = f"version {version}" if version is not None else "a published version"
            raise UnknownWorkflowError(
                f"workflow {workflow_id} of tenant {tenant_id} has no {which}",
                tenant_id=tenant_id,
                workflow_id=workflow_id,
            )
        loaded = LoadedVersion(workflow_id, record.version, Definition.parse(record.definition))
        return self._remember(tenant_id, loaded)
