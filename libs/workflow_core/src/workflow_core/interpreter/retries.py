"""Retry decisions and delays (SPEC section 7).

Policy: the step's ``retry``, else the action's retry hint, else the node
type's default; none means one attempt. ValidationError, ExpressionError and
TimeoutError are never retried; an ActionError is retried only when the action
marked it retryable; a TransientError when the policy's ``retryOn`` names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from workflow_core.definitions import RetryPolicy
from workflow_core.errors import ErrorCategory
from workflow_core.interpreter.failures import NEVER_RETRIED, StepError
from workflow_core.interpreter.ids import loop_key, unit_interval

JITTER_LOW, JITTER_HIGH = 0.8, 1.2
# ``error.data`` key by which an action asks for a minimum delay (HTTP Retry-After): the
# retry comes after max(backoff, retryAfterMs). It travels in the CompleteAction command,
# so a replay computes the same delay.
RETRY_AFTER_KEY = "retryAfterMs"


def choose_policy(*candidates: RetryPolicy | None) -> RetryPolicy | None:
    return next((policy for policy in candidates if policy is not None), None)


def should_retry(policy: RetryPolicy | None, error: StepError, attempt: int) -> bool:
    """Whether failed attempt ``attempt`` (1-based) gets another one."""
    if policy is None or attempt >= policy.max_attempts:
        return False
    if error.category in NEVER_RETRIED:
        return False
    if error.category is ErrorCategory.ACTION:
        return error.retryable
    return error.category in policy.retry_on


def retry_delay(
    policy: RetryPolicy,
    attempt: int,
    *,
    seed: int,
    node_path: str,
    loop: Sequence[int],
    error: StepError | None = None,
) -> timedelta:
    """Delay after failed attempt ``attempt``: capped exponential backoff, seeded jitter;
    never shorter than the ``retryAfterMs`` the failure asked for."""
    backoff = _backoff(policy, attempt, seed=seed, node_path=node_path, loop=loop)
    asked = error.data.get(RETRY_AFTER_KEY) if error is not None else None
    if isinstance(asked, int) and not isinstance(asked, bool) and asked > 0:
        return max(backoff, timedelta(milliseconds=asked))
    return backoff


def _backoff(
    policy: RetryPolicy, attempt: int, *, seed: int, node_path: str, loop: Sequence[int]
) -> timedelta:
    base = policy.backoff_ms * policy.backoff_multiplier ** (attempt - 1)
    if policy.max_delay_ms is not None:
        base = min(base, policy.max_delay_ms)
    if policy.jitter:
        u = unit_interval(str(seed), node_path, loop_key(loop), str(attempt))
        base *= JITTER_LOW + (JITTER_HIGH - JITTER_LOW) * u
    return timedelta(milliseconds=round(base))
