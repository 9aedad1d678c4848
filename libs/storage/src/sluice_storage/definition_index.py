"""The tenant's published workflows at a glance (what publish validation needs
to check ``control.callWorkflow`` targets and indirect recursion)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sluice_storage.tenancy import TenantScoped


@dataclass(frozen=True)
class PublishedWorkflow:
    workflow_id: uuid.UUID
    name: str
    versions: tuple[int, ...]
    latest_definition: dict[str, Any]


class DefinitionIndexRepository(TenantScoped):
    async def published(self) -> list[PublishedWorkflow]:
        rows = await self.conn.fetch(
            """SELECT d.workflow_id, d.name, v.definition,
                 (SELECT array_agg(version ORDER BY version) FROM workflow_definition_versions a
                  WHERE a.tenant_id = d.tenant_id AND a.workflow_id = d.workflow_id) AS versions
               FROM workflow_definitions d
               JOIN workflow_definition_versions v ON v.tenant_id = d.tenant_id
                 AND v.workflow_id = d.workflow_id AND v.version = d.latest_version
               WHERE d.tenant_id = $1 ORDER BY d.workflow_id""",
            self.tenant_id,
        )
        return [
            PublishedWorkflow(r["workflow_id"], r["name"], tuple(r["versions"]), r["definition"])
            for r in rows
        ]
