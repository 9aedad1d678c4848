"""One trace across API -> Kafka -> executor -> Kafka -> interpreter for one run, and JSON
log lines from every service.

The real services run as subprocesses (API, interpreter, and the executor apart) with
``WF_OTEL_ENDPOINT`` pointing at a small OTLP/HTTP receiver in this process
(``e2e_support.otlp``); the run is started through ``POST /workflow-runs``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from e2e_support.helpers import prepare, publish, wait_status
from e2e_support.otlp import OtlpReceiver, receiving
from e2e_support.services import Services, wait_for
from sluice_storage import TokenRepository, transaction

pytestmark = pytest.mark.integration

TENANT = f"traces-{uuid.uuid4().hex[:8]}"
RECORD = {"actionId": "test.record", "version": 1}
DEFINITION = {"name": "traced", "steps": [
    {"id": "note", "type": "action.call", "config": {**RECORD, "args": {"n": 1}}},
    {"id": "done", "type": "state.set", "config": {"state": "TRACED"}},
]}  # fmt: skip


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[OtlpReceiver]:
    async with receiving() as started:
        yield started


@pytest.fixture(scope="module")
async def running(
    services_factory: Services, receiver: OtlpReceiver, e2e_pool: asyncpg.Pool
) -> AsyncIterator[Services]:
    await prepare(e2e_pool)
    services_factory.extra_env.update({
        "WF_OTEL_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100",
        "WF_EXECUTOR_APART": "true", "WF_LOG_FORMAT": "json",
    })  # fmt: skip
    for name in ("api", "interpreter", "executor"):
        await services_factory.start(name)
    yield services_factory
    services_factory.stop_all()


async def start_through_api(services: Services, pool: asyncpg.Pool, workflow_id: str) -> str:
    async with transaction(pool) as conn:
        issued = await TokenRepository(conn, TENANT).create(
            subject="e2e", role="workflow.manage", now=datetime.now(UTC)
        )
    base = f"http://127.0.0.1:{services.ports['api']}"
    headers = {"Authorization": f"Bearer {issued.token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as api:
        created = await api.post("/workflow-runs", json={"workflowId": workflow_id})
    assert created.status_code == 201, created.text
    run_id: str = created.json()["runId"]
    return run_id


async def test_one_trace_spans_api_executor_and_interpreter(
    running: Services, receiver: OtlpReceiver, e2e_pool: asyncpg.Pool
) -> None:
    workflow_id = await publish(e2e_pool, TENANT, DEFINITION)
    run_id = await start_through_api(running, e2e_pool, workflow_id)
    run = await wait_status(e2e_pool, TENANT, run_id, ("SUCCEEDED", "FAILED"), running, 60)
    assert run["status"] == "SUCCEEDED", run["error"]

    async def request_span() -> list[str]:
        return [s.trace_id for s in receiver.spans
                if s.service == "sluice-api" and s.name == "POST /workflow-runs"]  # fmt: skip

    trace_id = (await wait_for(request_span, 30, "the API request's span", running))[0]

    async def whole_trace() -> bool:
        names = {(s.service, s.name) for s in receiver.in_trace(trace_id)}
        return {("sluice-api", "start run"), ("sluice-executor", "action test.record"),
                ("sluice-interpreter", "apply CompleteAction")} <= names  # fmt: skip

    await wait_for(whole_trace, 30, "spans of api, executor and interpreter", running)
    action = next(s for s in receiver.in_trace(trace_id) if s.name == "action test.record")
    assert action.attributes["sluice.run_id"] == run_id
    assert action.attributes["sluice.tenant"] == TENANT
    assert action.attributes["sluice.step_path"] == "root.steps[0]"
    parents = {s.span_id for s in receiver.in_trace(trace_id)}
    orphans = [s.name for s in receiver.in_trace(trace_id) if s.parent_span_id
               and s.parent_span_id not in parents]  # fmt: skip
    assert not orphans, f"spans whose parent never arrived: {orphans}"


def test_every_service_logs_json_lines(running: Services) -> None:
    for name in ("api", "interpreter", "executor"):
        text = (running.log_dir / f"{name}-1.log").read_text()
        records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        assert records, f"{name} wrote no JSON log line:\n{text[-2000:]}"
        assert {r["service"] for r in records} == {name}
        assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
