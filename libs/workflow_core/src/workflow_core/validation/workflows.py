"""``control.callWorkflow`` targets: UNKNOWN_WORKFLOW and RECURSIVE_CALL.

Covered: a definition calling itself directly (always, given ``self_id`` or
the document's ``id``), and indirectly through other workflows when their
``WorkflowInfo.calls`` (the calls of their latest published version) are
known. An indirect cycle is an error like a direct one: the run-time call
depth cap would fail such runs anyway. Unknown targets are reported only
when ``known_workflows`` was given.
"""

from __future__ import annotations

from workflow_core.definitions import CallWorkflowStep
from workflow_core.errors import PublishCode
from workflow_core.validation.context import ValidationContext, WorkflowLookup
from workflow_core.validation.report import Findings, did_you_mean
from workflow_core.validation.shape import RawStep

# A tenant's call graph is small; this only bounds a pathological lookup.
MAX_CALL_GRAPH_NODES = 10_000


def check_call(step: RawStep, model: CallWorkflowStep, ctx: ValidationContext, f: Findings) -> None:
    target = model.workflow_id
    if ctx.self_id is not None and target == ctx.self_id:
        message = f"calls its own workflow {target!r}; a definition cannot call itself"
        f.error(PublishCode.RECURSIVE_CALL, step.path, message, step.step_id)
        return
    if ctx.lookup is None:
        return
    info = ctx.lookup(target)
    if info is None:
        hint = did_you_mean(target, ctx.known_ids)
        f.error(
            PublishCode.UNKNOWN_WORKFLOW,
            step.path,
            f"unknown workflow {target!r}{hint}",
            step.step_id,
        )
        return
    version = model.workflow_version
    if version is not None and info.versions and version not in info.versions:
        listed = ", ".join(map(str, sorted(info.versions)))
        message = f"workflow {target!r} has no published version {version} (published: {listed})"
        f.error(PublishCode.UNKNOWN_WORKFLOW, step.path, message, step.step_id)
    if ctx.self_id is not None:
        chain = find_cycle(target, ctx.self_id, ctx.lookup)
        if chain:
            route = " -> ".join([ctx.self_id, *chain])
            message = f"calls its own workflow indirectly: {route}"
            f.error(PublishCode.RECURSIVE_CALL, step.path, message, step.step_id)


def find_cycle(start: str, self_id: str, lookup: WorkflowLookup) -> list[str] | None:
    """The call chain from ``start`` back to ``self_id`` (depth first), or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack and len(seen) < MAX_CALL_GRAPH_NODES:
        current, chain = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        info = lookup(current)
        for callee in sorted(info.calls if info else (), reverse=True):
            if callee == self_id:
                return [*chain, callee]
            stack.append((callee, [*chain, callee]))
    return None
