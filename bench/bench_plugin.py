"""Actions for the run benchmark: two side-effectful writes (rows keyed by idempotency key)."""

from __future__ import annotations

from typing import Any

from pydantic import JsonValue
from sluice_engine import ActionCall, ActionHandlers
from workflow_core.registry import ActionSpec, Registry, UiMetadata

TABLE_SQL = """CREATE TABLE IF NOT EXISTS bench_rows (
    tenant_id text NOT NULL, idempotency_key text NOT NULL, value jsonb,
    PRIMARY KEY (tenant_id, idempotency_key))"""
OBJECT: dict[str, Any] = {"type": "object"}


async def write(call: ActionCall) -> JsonValue:
    assert call.conn is not None
    await call.conn.execute(
        "INSERT INTO bench_rows (tenant_id, idempotency_key, value) VALUES ($1, $2, $3)",
        call.tenant_id,
        call.idempotency_key,
        dict(call.args),
    )
    return {"ok": True}


def register(registry: Registry, handlers: ActionHandlers) -> None:
    ui = UiMetadata(label="Bench write", category="Bench", description="Writes one row")
    spec = ActionSpec("bench.write", 1, OBJECT, OBJECT, side_effectful=True, ui=ui)
    registry.actions.register(spec)
    handlers.register("bench.write", 1, write, transactional=True)
