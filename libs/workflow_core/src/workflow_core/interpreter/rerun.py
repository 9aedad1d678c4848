"""Run the next attempt of an interrupted step: RetryRun's failed step, and the
parallel items a failed loop had canceled when the run is retried."""

from __future__ import annotations

from workflow_core.definitions import CallWorkflowStep, NodeStep
from workflow_core.interpreter.blocks import call_workflow
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.nodes.dispatch import run_node


def run_attempt(ctx: Ctx, path: str, attempt: int) -> bool:
    """Start attempt ``attempt`` of the node or callWorkflow step at ``path``;
    False for any other step (a block), which the caller runs afresh."""
    step = ctx.program.steps[path]
    if isinstance(step, NodeStep):
        run_node(ctx, step, path, attempt)
        return True
    if isinstance(step, CallWorkflowStep):
        call_workflow.run(ctx, step, path, attempt)
        return True
    return False
