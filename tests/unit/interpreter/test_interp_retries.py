"""Retry policy choice, categories and delays (SPEC section 7)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from golden.golden_driver import attempts, complete, fail, run, scripted
from golden.golden_stubs import compute_node, stub_action, stub_registry
from workflow_core.definitions import RetryPolicy
from workflow_core.errors import ErrorCategory
from workflow_core.interpreter import RegisterWait, RequestAction, RunStatus, WaitKind
from workflow_core.interpreter.failures import step_error
from workflow_core.interpreter.retries import retry_delay, should_retry

REGISTRY = stub_registry(stub_action("work"))


def call(**extra: Any) -> dict[str, Any]:
    return {"id": "c", "type": "action.call", "config": {"actionId": "work", "version": 1}, **extra}


def failing_then_ok(
    failures: int, category: str = "TransientError", retryable: bool = False
) -> Any:
    def answer(request: RequestAction) -> Any:
        if request.attempt <= failures:
            return fail(request, category, retryable=retryable)
        return complete(request, {})

    return scripted({"work": answer})


def test_transient_error_is_retried_then_succeeds() -> None:
    step = call(retry={"maxAttempts": 3, "backoffMs": 1000, "jitter": False})
    driver = run([step], REGISTRY, failing_then_ok(2))
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    waits = driver.effects_of(RegisterWait)
    assert [w.kind for w in waits] == [WaitKind.RETRY, WaitKind.RETRY]
    assert [r.attempt for r in driver.effects_of(RequestAction)] == [1, 2, 3]
    keys = {r.idempotency_key for r in driver.effects_of(RequestAction)}
    assert keys == {"run-1:c"}


def test_retry_parks_waiting_with_due_time() -> None:
    step = call(retry={"maxAttempts": 2, "backoffMs": 5000, "jitter": False})
    driver = run(
        [step],
        REGISTRY,
        scripted(
            {"work": lambda r: fail(r)},
        ),
    )
    first = driver.history[1].transition
    assert first.state.status is RunStatus.WAITING
    wait = next(e for e in first.effects if isinstance(e, RegisterWait))
    assert wait.due_at == driver.history[1].command.now + timedelta(seconds=5)


def test_attempts_exhausted_fail_the_run() -> None:
    driver = run([call(retry={"maxAttempts": 2, "backoffMs": 1})], REGISTRY, failing_then_ok(5))
    assert driver.state is not None
    assert driver.state.status is RunStatus.FAILED
    assert [s for (_, _, s) in attempts(driver)] == [
        "STARTED",
        "RETRY_SCHEDULED",
        "STARTED",
        "FAILED",
    ]


@pytest.mark.parametrize(
    ("category", "retryable", "retried"),
    [
        ("ValidationError", False, False),
        ("ActionError", False, False),
        ("ActionError", True, True),
        ("TransientError", False, True),
    ],
)
def test_retry_depends_on_category_and_retryable_flag(
    category: str, retryable: bool, retried: bool
) -> None:
    step = call(
        retry={"maxAttempts": 2, "backoffMs": 1, "retryOn": ["TransientError", "ValidationError"]}
    )
    driver = run([step], REGISTRY, failing_then_ok(1, category, retryable))
    assert (len(driver.effects_of(RequestAction)) == 2) is retried


def test_no_policy_means_a_single_attempt() -> None:
    driver = run([call()], REGISTRY, failing_then_ok(1))
    assert len(driver.effects_of(RequestAction)) == 1


def test_node_type_default_retry_applies_last() -> None:
    calls: list[int] = []

    def flaky(config: Any, context: Any) -> Any:
        from workflow_core.registry import StepFailedError

        calls.append(1)
        if len(calls) < 2:
            raise StepFailedError("later", category=ErrorCategory.TRANSIENT)
        return "ok"

    registry = stub_registry()
    registry2 = type(registry)()
    registry2.schemas, registry2.actions = registry.schemas, registry.actions
    registry2.node_types.register(
        compute_node("test.flaky", flaky, RetryPolicy(max_attempts=2, backoff_ms=1))
    )
    driver = run([{"id": "f", "type": "test.flaky", "config": {"saveAs": "vars.r"}}], registry2)
    assert driver.state is not None
    assert driver.state.envelope["vars"]["r"] == "ok"


def test_delay_is_capped_exponential_backoff() -> None:
    policy = RetryPolicy(
        max_attempts=9, backoff_ms=1000, backoff_multiplier=3, max_delay_ms=5000, jitter=False
    )
    delays = [
        retry_delay(policy, n, seed=1, node_path="p", loop=[]).total_seconds() for n in (1, 2, 3)
    ]
    assert delays == [1.0, 3.0, 5.0]


def test_jitter_is_within_bounds_and_deterministic() -> None:
    policy = RetryPolicy(max_attempts=9, backoff_ms=1000)
    seen = {
        retry_delay(policy, 1, seed=s, node_path="p", loop=[0]).total_seconds() for s in range(200)
    }
    assert min(seen) >= 0.8
    assert max(seen) <= 1.2
    assert len(seen) > 50
    again = retry_delay(policy, 1, seed=3, node_path="p", loop=[0])
    assert again == retry_delay(policy, 1, seed=3, node_path="p", loop=[0])


def test_never_retried_categories_ignore_retry_on() -> None:
    policy = RetryPolicy(max_attempts=5, retry_on=list(ErrorCategory))
    for category in (ErrorCategory.VALIDATION, ErrorCategory.EXPRESSION, ErrorCategory.TIMEOUT):
        assert not should_retry(policy, step_error(category, "X", "m"), 1)
    assert should_retry(policy, step_error(ErrorCategory.TRANSIENT, "X", "m"), 1)


@pytest.mark.parametrize(("asked_ms", "waited_s"), [(30_000, 30), (500, 5)])
def test_retry_waits_at_least_what_the_failure_asked_for(asked_ms: int, waited_s: int) -> None:
    """An action's ``retryAfterMs`` (HTTP Retry-After) lengthens the backoff, never shortens it."""
    step = call(retry={"maxAttempts": 2, "backoffMs": 5000, "jitter": False})
    asked = {"retryAfterMs": asked_ms}
    driver = run([step], REGISTRY, scripted({"work": lambda r: fail(r, data=asked)}))
    first = driver.history[1].transition
    wait = next(e for e in first.effects if isinstance(e, RegisterWait))
    assert wait.due_at == driver.history[1].command.now + timedelta(seconds=waited_s)
