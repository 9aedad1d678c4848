"""Concurrency limits, the pure part: a run's key and the admission of a start.

The shell evaluates the key when a run starts (``concurrency_key``), counts the
runs of the workflow in flight (RUNNING or WAITING) and QUEUED on that key
under a lock in PostgreSQL, then asks ``admit`` what to do with the start; the
answer goes into ``StartRun.admission`` and the core acts on it (``starting``).
"""

from __future__ import annotations

from datetime import datetime

from workflow_core.definitions import Concurrency, Definition
from workflow_core.errors import SluiceError
from workflow_core.expressions import ExpressionError, JsonValue, compile_expression
from workflow_core.interpreter.commands import Admission
from workflow_core.interpreter.nodes.action_call import scalar_text

# Key text kept per run (an index column): longer keys are refused, not cut, so two
# keys never merge silently.
MAX_KEY_CHARS = 500
__all__ = ["Admission", "ConcurrencyKeyError", "admit", "concurrency_key", "free_slots"]
# The key a workflow without a ``key`` expression counts all its runs under.
WHOLE_WORKFLOW = ""


_ON_LIMIT = {"QUEUE": Admission.QUEUE, "CANCEL_NEW": Admission.CANCEL, "FAIL_NEW": Admission.FAIL}


class ConcurrencyKeyError(SluiceError):
    """The ``concurrency.key`` expression failed or gave no string or number."""

    code = "INVALID_CONCURRENCY_KEY"


def concurrency_key(definition: Definition, payload: JsonValue, *, now: datetime) -> str | None:
    """The run's key (text), ``WHOLE_WORKFLOW`` without a key expression, or None when
    the workflow has no limit. Raises ``ConcurrencyKeyError`` naming what went wrong."""
    limit = definition.concurrency
    if limit is None:
        return None
    if limit.key is None:
        return WHOLE_WORKFLOW
    source = limit.key.source
    try:
        value = compile_expression(source).evaluate({"payload": payload}, now=now)
    except ExpressionError as error:
        raise ConcurrencyKeyError(f"concurrency.key {source!r} failed: {error.message}") from None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        got = "nothing (null)" if value is None else type(value).__name__
        raise ConcurrencyKeyError(
            f"concurrency.key {source!r} must give a string or number, got {got}"
        )
    text = scalar_text(value)
    if len(text) > MAX_KEY_CHARS:
        raise ConcurrencyKeyError(
            f"concurrency.key {source!r} gave {len(text)} characters (at most {MAX_KEY_CHARS})"
        )
    return text


def admit(limit: Concurrency, *, in_flight: int, queued: int) -> Admission:
    """A new start, with ``in_flight`` runs of its key RUNNING or WAITING and ``queued``
    QUEUED: it begins only when a slot is free and nobody queued before it (arrival order)."""
    if in_flight < limit.limit and queued == 0:
        return Admission.START
    return _ON_LIMIT[limit.on_limit]


def free_slots(limit: Concurrency, *, in_flight: int) -> int:
    """How many queued runs may begin now."""
    return max(0, limit.limit - in_flight)


def limit_reason(limit: Concurrency, key: str, in_flight: int, admission: Admission) -> str:
    """The reason a start did not begin, for the run's log and error."""
    on = f"key {key!r}" if key != WHOLE_WORKFLOW else "the workflow"
    full = f"{in_flight} run(s) of {on} in flight, concurrency limit {limit.limit}"
    if admission is Admission.QUEUE:
        return f"queued: {full}; it begins when a slot frees, in arrival order"
    return f"{full} (onLimit {limit.on_limit})"
