"""``control.return``: the run (a child run too) ends SUCCEEDED at once."""

from __future__ import annotations

from workflow_core.definitions import ReturnStep
from workflow_core.interpreter.attempts import block_ended
from workflow_core.interpreter.blocks.entering import enter
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import AttemptStatus, FinalStatus
from workflow_core.interpreter.frames import finish_run


def run(ctx: Ctx, step: ReturnStep, path: str) -> None:
    enter(ctx, step, path)
    loop = ctx.state.loop_indexes()
    block_ended(ctx, step.id, path, ctx.now, loop, AttemptStatus.SUCCEEDED)
    finish_run(ctx, FinalStatus.SUCCEEDED)
