"""``control.tryCatch``: runs ``try``; an error that bubbles out of it (after its
step's retries and ``onError``) runs ``catch`` with ``envelope.error`` set and
copied to ``vars[captureErrorAs]`` (see ``frames.raise_error``); ``error`` is
cleared when ``catch`` completes. Errors in ``catch`` propagate; ``control.return``
is not an error and is never caught."""

from __future__ import annotations

from workflow_core.definitions import TryCatchStep
from workflow_core.interpreter.blocks.entering import enter, push_branch
from workflow_core.interpreter.context import Ctx


def run(ctx: Ctx, step: TryCatchStep, path: str) -> None:
    enter(ctx, step, path)
    push_branch(ctx, step, path, "try")
