"""Runs use canary secrets of all three providers through http.request; afterwards no
table (every column, cast to text), no service log, no Kafka message and no metrics page
holds any of them (SPEC 15: values never stored, logged or published).

The real services run as subprocesses (API, interpreter with its executor, scheduler for
the retry timer) on this module's own database and topics; the table secret is stored
through the API (``PUT /secrets/crm``, audited), a webhook trigger's signing secret is made
by a publish through the API (sealed at rest) and is a canary too; the HTTP server is an
aiohttp server on 127.0.0.1, allowed for this tenant by WF_HTTP_ALLOW_NETWORKS. The first
test runs ``examples/http_chat_notification.json`` against it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from e2e_support.fixtures import E2E_PARTITIONS
from e2e_support.helpers import publish, wait_status
from e2e_support.http_server import LocalServer, serving
from e2e_support.services import Services
from e2e_support.underload import admin_token, api
from sluice_engine import ActionHandlers, EngineContext, StartOptions, load_plugins, start_run
from sluice_messaging.topics import Topics
from sluice_secrets import new_key
from sluice_storage import transaction
from workflow_core.registry import create_registry

pytestmark = pytest.mark.integration

TENANT = f"canary-{uuid.uuid4().hex[:8]}"
CANARIES = {p: f"canary-{p}-{uuid.uuid4().hex}" for p in ("env", "file", "table")}
KEY = new_key()
EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
async def running(
    services_factory: Services, e2e_pool: asyncpg.Pool, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Services]:
    secrets_dir: Path = tmp_path_factory.mktemp("secrets")
    (secrets_dir / TENANT).mkdir()
    (secrets_dir / TENANT / "smtp.password").write_text(CANARIES["file"] + "\n")
    env_name = f"WF_SECRET_{TENANT.upper().replace('-', '_')}__CHAT_TOKEN"
    services_factory.extra_env.update({
        "WF_SECRETS_KEY": KEY, "WF_SECRETS_DIR": str(secrets_dir), env_name: CANARIES["env"],
        "WF_HTTP_ALLOW_NETWORKS": json.dumps({TENANT: ["127.0.0.1/32"]}),
    })  # fmt: skip
    await services_factory.start("api")
    await services_factory.start("interpreter")
    await services_factory.start("scheduler")  # the retry timer
    async with api_client(services_factory, e2e_pool) as api:
        put = await api.put("/secrets/crm", json={
            "value": CANARIES["table"], "description": "CRM API key", "reason": "e2e"})  # fmt: skip
        assert put.status_code == 201, put.text
        CANARIES["webhook"] = await webhook_secret(api)
    yield services_factory
    services_factory.stop_all()


@asynccontextmanager
async def api_client(services: Services, pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    async with api(services, await admin_token(pool, TENANT)) as client:
        yield client


async def webhook_secret(api: httpx.AsyncClient) -> str:
    """Publish the webhook example through the API; its signing secret (sealed at rest)."""
    document = json.loads((EXAMPLES / "webhook_monitoring_alert.json").read_text())
    document.pop("id")
    created = await api.post("/workflow-definitions", json=document)
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]
    published = await api.post(f"/workflow-definitions/{workflow_id}/draft/publish")
    assert published.json()["ok"] is True, published.text
    hook = await api.get(f"/workflow-webhooks/{workflow_id}")
    assert hook.status_code == 200, hook.text
    secret: str = hook.json()["secret"]
    return secret


async def test_the_http_example_posts_to_the_chat_with_its_bearer_token(
    running: Services, e2e_pool: asyncpg.Pool, e2e_topics: Topics
) -> None:
    document = json.loads((EXAMPLES / "http_chat_notification.json").read_text())
    async with serving() as server:
        args = document["steps"][0]["config"]["args"]
        args["url"] = server.url("/echo")  # the example's chat API, played by the local server
        workflow_id = await publish(e2e_pool, TENANT, document)
        payload = {"ticketNumber": "TIC-000042", "title": "Printer on fire"}
        run_id = await start_run_with_builtins(e2e_pool, e2e_topics, workflow_id, payload)
        run = await wait_status(e2e_pool, TENANT, run_id, ("SUCCEEDED", "FAILED"), running, 60)
    assert run["status"] == "SUCCEEDED", run["error"]
    assert run["state"] == "POSTED_TO_CHAT"
    got = server.received[0]
    assert got.headers["Authorization"] == f"Bearer {CANARIES['env']}"
    assert json.loads(got.body)["text"] == "New ticket TIC-000042: Printer on fire"
    assert run["run_state"]["envelope"]["vars"]["chat"]["status"] == 200


def definition(server: LocalServer) -> dict[str, Any]:
    bearer = {"secretRef": "env:CHAT_TOKEN", "prefix": "Bearer "}
    http = {"actionId": "http.request", "version": 1}
    return {"name": "canary", "steps": [
        {"id": "flaky", "type": "action.call",
         "retry": {"maxAttempts": 3, "backoffMs": 200, "jitter": False},
         "config": {**http, "saveAs": "vars.first", "args": {
             "url": server.url("/flaky/canary?fail=1"), "headers": {"Authorization": bearer}}}},
        {"id": "echo", "type": "action.call", "config": {**http, "saveAs": "vars.echo", "args": {
            "method": "POST", "url": server.url("/echo"),
            "headers": {"Authorization": bearer, "X-Smtp": {"secretRef": "file:smtp.password"}},
            "json": {"crm": {"secretRef": "table:crm"}, "text": "hello"}}}},
        {"id": "rejected", "type": "action.call", "onError": {"policy": "continue"},
         "config": {**http, "args": {
             "url": server.url("/echo?status=400"), "headers": {"X-Crm": {"secretRef": "crm"}}}}},
    ]}  # fmt: skip


async def test_no_table_log_or_message_holds_a_secret_after_a_run_used_it(
    running: Services, e2e_pool: asyncpg.Pool, e2e_topics: Topics, kafka_bootstrap_servers: str
) -> None:
    async with serving() as server:
        workflow_id = await publish(e2e_pool, TENANT, definition(server))
        run_id = await start_run_with_builtins(e2e_pool, e2e_topics, workflow_id, {})
        run = await wait_status(e2e_pool, TENANT, run_id, ("SUCCEEDED", "FAILED"), running, 60)
    assert run["status"] == "SUCCEEDED", run["error"]
    env = run["run_state"]["envelope"]
    # The secrets were really used: the server got all three, twice for the flaky step.
    sent = [json.dumps(r.headers) + r.body.decode() for r in server.received]
    assert len(server.received) == 4
    assert all(CANARIES["env"] in s for s in sent[:3])
    assert CANARIES["file"] in sent[2]
    assert CANARIES["table"] in sent[2]
    assert CANARIES["table"] in sent[3]
    assert env["vars"]["first"]["status"] == 200  # the 500 was retried
    assert env["vars"]["echo"]["body"]["headers"]["Authorization"] == "Bearer ***"
    assert env["vars"]["lastError"]["name"] == "HTTP_CLIENT_ERROR"
    assert "***" in env["vars"]["lastError"]["data"]["body"]  # the echoed header, scrubbed

    found = await tables_holding(e2e_pool, CANARIES.values())
    assert found == {}, found
    assert await tables_holding(e2e_pool, ["/flaky/canary"])  # the grep finds what is there
    logs = sorted(running.log_dir.glob("*.log"))
    assert len(logs) >= 2
    for log in logs:
        text = log.read_text(errors="replace")
        assert not [p for p, c in CANARIES.items() if c in text], log.name
    messages = await topic_messages(kafka_bootstrap_servers, e2e_topics)
    assert len(messages) >= 6  # the action requests and their answers went through Kafka
    assert [m for m in messages if any(c.encode() in m for c in CANARIES.values())] == []
    assert [m for m in messages if b"/flaky/canary" in m]  # and finds what is there
    metrics = (await running.get("interpreter", "/metrics")).text
    assert not [p for p, c in CANARIES.items() if c in metrics]


async def start_run_with_builtins(
    pool: asyncpg.Pool, topics: Topics, workflow_id: str, payload: dict[str, Any]
) -> str:
    registry = create_registry()
    load_plugins("", registry, ActionHandlers())  # http.request is a built-in plugin
    engine = EngineContext(registry=registry.freeze(), topics=topics)
    async with transaction(pool) as conn:
        applied = await start_run(conn, engine, TENANT, workflow_id, payload, StartOptions())
    return applied.run_id


async def tables_holding(pool: asyncpg.Pool, canaries: Any) -> dict[str, int]:
    """Rows of every table whose text form (all columns) contains a canary."""
    values = list(canaries)
    found: dict[str, int] = {}
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            """SELECT table_schema, table_name FROM information_schema.tables
               WHERE table_type = 'BASE TABLE'
                 AND table_schema NOT IN ('pg_catalog', 'information_schema')"""
        )
        assert len(tables) > 20
        for t in tables:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            hits = await conn.fetchval(
                f"SELECT count(*) FROM {name} AS r WHERE EXISTS "
                "(SELECT 1 FROM unnest($1::text[]) c WHERE strpos(r::text, c) > 0)",
                values,
            )
            if hits:
                found[name] = hits
    return found


async def topic_messages(bootstrap: str, topics: Topics) -> list[bytes]:
    """Every record (key, value, headers) of this module's topics, from the start."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records: list[bytes] = []
    try:
        partitions = [TopicPartition(t, p) for t in topics.all() for p in range(E2E_PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning()
        ends = await consumer.end_offsets(partitions)
        pending = {tp for tp, end in ends.items() if end > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for got in batch.values():
                for r in got:
                    headers = b"".join(k.encode() + (v or b"") for k, v in r.headers)
                    records.append((r.key or b"") + b"|" + (r.value or b"") + b"|" + headers)
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    return records
