"""What the checks share: the parsed draft, the registry, other workflows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from workflow_core.registry import Registry
from workflow_core.validation.shape import ParsedDraft


@dataclass(frozen=True)
class WorkflowInfo:
    """What publish needs to know about another workflow of the tenant.

    ``versions`` are its published versions (empty: not checked); ``calls`` the
    workflow ids its latest published version calls (for indirect recursion).
    """

    workflow_id: str
    name: str | None = None
    versions: frozenset[int] = frozenset()
    calls: frozenset[str] = frozenset()


WorkflowLookup = Callable[[str], WorkflowInfo | None]
KnownWorkflows = Mapping[str, WorkflowInfo] | WorkflowLookup


@dataclass(frozen=True)
class ValidationContext:
    registry: Registry
    draft: ParsedDraft
    lookup: WorkflowLookup | None
    known_ids: tuple[str, ...]  # for suggestions; empty when only a callable was given
    self_id: str | None
    payload_ref: str | None
    payload_schema: Mapping[str, Any] | None


def make_context(
    draft: ParsedDraft,
    registry: Registry,
    known_workflows: KnownWorkflows | None,
    self_id: str | None,
) -> ValidationContext:
    raw_id = draft.raw_root.get("id")
    ref = draft.raw_root.get("payloadSchemaRef")
    ref = ref if isinstance(ref, str) else None
    lookup: WorkflowLookup | None
    known_ids: tuple[str, ...] = ()
    if isinstance(known_workflows, Mapping):
        lookup, known_ids = known_workflows.get, tuple(sorted(known_workflows))
    else:
        lookup = known_workflows
    return ValidationContext(
        registry=registry,
        draft=draft,
        lookup=lookup,
        known_ids=known_ids,
        self_id=self_id if self_id is not None else (raw_id if isinstance(raw_id, str) else None),
        payload_ref=ref,
        payload_schema=registry.schemas.get(ref) if ref else None,
    )
