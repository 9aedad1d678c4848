"""Entering a block: its STARTED attempt, its branch frame, or its failure."""

from __future__ import annotations

from workflow_core.definitions import BlockStep
from workflow_core.interpreter.attempts import block_ended, block_started
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import AttemptStatus
from workflow_core.interpreter.failures import StepError
from workflow_core.interpreter.frames import raise_error
from workflow_core.interpreter.state import Frame


def push_branch(ctx: Ctx, step: BlockStep, path: str, branch: str, **loop: object) -> Frame:
    frame = Frame(block_path=path, branch=branch, step_id=step.id, started_at=ctx.now, **loop)
    ctx.state.frames.append(frame)
    return frame


def block_done_at_once(ctx: Ctx, step: BlockStep, path: str) -> None:
    """A block with nothing to run (an empty loop) succeeds on the spot."""
    loop = ctx.state.loop_indexes()
    block_ended(ctx, step.id, path, ctx.now, loop, AttemptStatus.SUCCEEDED)
    ctx.frame.index += 1


def block_failed(ctx: Ctx, step: BlockStep, path: str, error: StepError) -> None:
    """The block itself failed (its condition or items): no retry, it bubbles."""
    error = error.located(node_path=path, step_id=step.id, at=ctx.now)
    loop = ctx.state.loop_indexes()
    block_ended(ctx, step.id, path, ctx.now, loop, AttemptStatus.FAILED, error)
    raise_error(ctx, error)


def enter(ctx: Ctx, step: BlockStep, path: str) -> None:
    block_started(ctx, step.id, path)
