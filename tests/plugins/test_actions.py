"""Actions for tests: side effects that can be counted, failures on demand.

- ``test.record`` v1 (side-effectful, transactional): inserts one row keyed by
  the idempotency key into ``test_action_rows`` inside the transaction that
  marks the invocation SUCCEEDED; a duplicate row would prove a repeated effect.
  With ``boom: true`` it fails after inserting (the row must roll back).
- ``test.flaky`` v1: fails with a retryable TransientError while
  ``attempt <= failTimes``.
- ``test.fail`` v1: always fails with a non-retryable ActionError.
- ``test.echo`` v1 (pure): returns its args.
"""

from __future__ import annotations

from typing import Any

from pydantic import JsonValue
from sluice_engine import ActionCall, ActionFailedError, ActionHandlers
from workflow_core.errors import ErrorCategory
from workflow_core.registry import ActionSpec, Registry, UiMetadata

ROWS_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS test_action_rows (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id text NOT NULL,
    run_id uuid NOT NULL,
    idempotency_key text NOT NULL,
    value jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
)"""

OBJECT: dict[str, Any] = {"type": "object"}


def _ui(label: str) -> UiMetadata:
    return UiMetadata(label=label, category="Test", description=f"{label} (tests only)")


async def record(call: ActionCall) -> JsonValue:
    assert call.conn is not None, "test.record is transactional"
    row_id = await call.conn.fetchval(
        """INSERT INTO test_action_rows (tenant_id, run_id, idempotency_key, value)
           VALUES ($1, $2::uuid, $3, $4) RETURNING id""",
        call.tenant_id,
        call.run_id,
        call.idempotency_key,
        dict(call.args),
    )
    if call.args.get("boom"):  # fails after its insert: the insert must roll back with it
        raise ActionFailedError("boom after the insert", name="BOOM", retryable=False)
    return {"rowId": int(row_id), "key": call.idempotency_key}


async def flaky(call: ActionCall) -> JsonValue:
    fail_times = call.args.get("failTimes", 1)
    if isinstance(fail_times, int) and call.attempt <= fail_times:
        raise ActionFailedError(
            f"flaky failure on attempt {call.attempt}",
            category=ErrorCategory.TRANSIENT,
            name="FLAKY",
            retryable=True,
        )
    return {"attempt": call.attempt}


async def fail(call: ActionCall) -> JsonValue:
    raise ActionFailedError(
        str(call.args.get("message", "failed on purpose")), name="TEST_FAILURE", retryable=False
    )


async def echo(call: ActionCall) -> JsonValue:
    return dict(call.args)


def register(registry: Registry, handlers: ActionHandlers) -> None:
    specs = [
        ("test.record", True, record, True),
        ("test.flaky", True, flaky, False),
        ("test.fail", True, fail, False),
        ("test.echo", False, echo, False),
    ]
    for action_id, side_effectful, fn, transactional in specs:
        registry.actions.register(
            ActionSpec(
                action_id=action_id,
                version=1,
                input_schema=OBJECT,
                output_schema=OBJECT,
                side_effectful=side_effectful,
                ui=_ui(action_id),
            )
        )
        handlers.register(action_id, 1, fn, transactional=transactional)
