"""Publishing a draft: validate with the core, then store the next version.

The definition row is locked first (``FOR UPDATE``), so two concurrent
publishes of one definition serialise and get distinct version numbers, and
the draft validated is the draft stored.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg
from sluice_http import ProblemError, not_found
from sluice_storage import DefinitionRepository
from sluice_storage.definition_index import DefinitionIndexRepository
from sluice_storage.webhooks import Sealer
from workflow_core.definitions import called_workflows
from workflow_core.definitions.diff import diff_steps
from workflow_core.registry import Registry
from workflow_core.validation import WorkflowInfo, validate_definition

from sluice_api.audit import audit
from sluice_api.roles import Principal
from sluice_api.schemas.definitions import PublishErrorPublic, PublishResult


async def publish_draft(
    conn: asyncpg.Connection,
    registry: Registry,
    who: Principal,
    workflow_id: uuid.UUID,
    *,
    expected: str | int,
    now: datetime,
    webhook_sealer: Sealer | None = None,
) -> PublishResult:
    repo = DefinitionRepository(conn, who.tenant_id)
    current = await repo.get(workflow_id, lock=True)
    if current is None:
        raise not_found("definition", workflow_id)
    next_version = (current.latest_version or 0) + 1
    if expected not in ("draft", next_version):
        detail = f"the draft would be published as version {next_version}, not {expected}"
        raise ProblemError(409, "VERSION_CONFLICT", detail)
    known = await known_workflows(conn, who.tenant_id)
    report = validate_definition(current.draft, registry=registry, known_workflows=known)
    errors = [PublishErrorPublic.model_validate(e.wire()) for e in report.errors]
    if not report.ok:
        return PublishResult(ok=False, errors=errors)
    previous = await repo.get_version(workflow_id) if current.latest_version else None
    stored = await repo.publish(
        workflow_id, current.draft, payload_schema=_payload_schema(current.draft, registry),
        published_by=who.subject, now=now, webhook_sealer=webhook_sealer,
    )  # fmt: skip
    details = {
        "version": stored.version, "draftHash": draft_hash(current.draft),
        "changes": diff_steps(previous.definition if previous else None, current.draft).summary(),
    }  # fmt: skip
    await audit(conn, who, "definition.publish", workflow_id, at=now, details=details)
    return PublishResult(ok=True, published_version=stored.version, errors=errors)


def draft_hash(draft: dict[str, Any]) -> str:
    """A hash of the document's content: equal documents, equal hashes (the draft's ETag)."""
    canonical = json.dumps(draft, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _payload_schema(draft: dict[str, Any], registry: Registry) -> dict[str, Any] | None:
    ref = draft.get("payloadSchemaRef")
    return registry.schemas.get(ref) if isinstance(ref, str) else None


async def known_workflows(conn: asyncpg.Connection, tenant_id: str) -> dict[str, WorkflowInfo]:
    """The tenant's published workflows, for ``callWorkflow`` target and recursion checks."""
    published = await DefinitionIndexRepository(conn, tenant_id).published()
    return {
        str(w.workflow_id): WorkflowInfo(
            workflow_id=str(w.workflow_id),
            name=w.name,
            versions=frozenset(w.versions),
            calls=frozenset(called_workflows(w.latest_definition)),
        )
        for w in published
    }
