"""A failed step attempt (SPEC section 7): retry, continue, or bubble.

1. Category retryable under the policy and attempts left: RETRY_SCHEDULED and
   the run parks WAITING on a retry wait due after the backoff delay.
2. Else FAILED; with ``onError: continue`` the error goes to ``vars.lastError``
   and the next step runs.
3. Else the error bubbles to the nearest enclosing ``tryCatch`` (or a loop
   with ``onItemError: continue``), else the run ends FAILED.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from workflow_core.definitions import RetryPolicy
from workflow_core.interpreter.attempts import end_attempt, open_wait, write_snapshot
from workflow_core.interpreter.context import Ctx
from workflow_core.interpreter.effects import AttemptStatus, RegisterWait, WaitKind
from workflow_core.interpreter.failures import StepError
from workflow_core.interpreter.frames import raise_error
from workflow_core.interpreter.retries import retry_delay, should_retry

OnError = Literal["fail", "continue"]


def fail_step(
    ctx: Ctx, error: StepError, *, policy: RetryPolicy | None = None, on_error: OnError = "fail"
) -> None:
    """The active attempt failed with ``error``."""
    active = ctx.state.active
    assert active is not None, "fail_step without an active step"
    error = error.located(node_path=active.node_path, step_id=active.step_id, at=ctx.now)
    if policy is not None and should_retry(policy, error, active.attempt):
        end_attempt(ctx, AttemptStatus.RETRY_SCHEDULED, error)
        delay = retry_delay(
            policy,
            active.attempt,
            seed=ctx.state.seed,
            node_path=active.node_path,
            loop=active.loop_indexes,
            error=error,
        )
        _park_for_retry(ctx, active.step_id, active.node_path, delay)
        return
    end_attempt(ctx, AttemptStatus.FAILED, error)
    if on_error == "continue":
        ctx.env["vars"]["lastError"] = error.envelope_form()
        ctx.frame.index += 1
        write_snapshot(ctx, active.node_path, active.step_id)
        return
    raise_error(ctx, error, active.attempt)


def _park_for_retry(ctx: Ctx, step_id: str, node_path: str, delay: timedelta) -> None:
    open_wait(
        ctx,
        RegisterWait(
            wait_id=ctx.next_id("wait"),
            kind=WaitKind.RETRY,
            step_id=step_id,
            node_path=node_path,
            due_at=ctx.now + delay,
        ),
    )
