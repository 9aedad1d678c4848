"""Writes ``tests/upgrade/fixtures/<release>/*.json`` from the real stack (not a test).

Run by ``make upgrade-fixtures RELEASE=<name>`` (pytest runs this file only when
named, its name does not start with ``test_``). Every scenario of
``upgrade_support.scenarios`` is started on this checkout's services (the
interpreter, with its executor and relay, as a subprocess; a fresh database,
fresh topics; no scheduler, so timers are captured open) and brought to its
capture point; then the interpreter is stopped (offsets committed), the
scenarios' ``after_stop`` steps run, and each tenant's rows and the input-topic
messages no consumer group committed are written out, one file per scenario.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from e2e_support.helpers import engine_for, prepare
from e2e_support.services import Services
from sluice_messaging.topics import Topics
from upgrade_support.fixture_files import head_commit, write_fixture
from upgrade_support.persisted import capture_rows, pending_messages, tenant_of
from upgrade_support.scenarios import SCENARIOS, Stage, bring_to_capture

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


async def test_generate_fixtures(
    services_factory: Services, e2e_pool: asyncpg.Pool, e2e_topics: Topics,
    producer: AIOKafkaProducer, kafka_bootstrap_servers: str,
) -> None:  # fmt: skip
    release = os.environ.get("RELEASE", "").strip()
    assert release, "name the release: make upgrade-fixtures RELEASE=<yyyy-mm-dd or tag>"
    await prepare(e2e_pool)
    engine = engine_for(e2e_topics)
    stages = {s.name: Stage(e2e_pool, engine, e2e_topics, producer, kafka_bootstrap_servers,
                            s.tenant) for s in SCENARIOS}  # fmt: skip
    await services_factory.start("interpreter")  # no scheduler: timers stay open, overdue
    try:
        await asyncio.gather(*(bring_to_capture(stages[s.name], s, services_factory)
                               for s in SCENARIOS))  # fmt: skip
    finally:
        services_factory.stop_all()  # SIGTERM: the Faust workers commit their offsets
    for scenario in SCENARIOS:
        await scenario.after_stop(stages[scenario.name])
    prefix = e2e_topics.events.removesuffix("events")
    messages = await pending_messages(kafka_bootstrap_servers, prefix)
    schema = await e2e_pool.fetchval("SELECT max(version) FROM schema_migrations")
    common: dict[str, Any] = {"release": release, "commit": head_commit(),
                              "schemaVersion": schema,
                              "capturedAt": datetime.now(UTC).isoformat()}  # fmt: skip
    for scenario in SCENARIOS:
        async with e2e_pool.acquire() as conn:
            rows = await capture_rows(conn, scenario.tenant)
        mine = [m for m in messages if tenant_of(m) == scenario.tenant]
        path = write_fixture(release, scenario.name, {
            **common, "scenario": scenario.name, "description": scenario.description,
            "tenant": scenario.tenant, "runId": stages[scenario.name].run_id,
            "rows": rows, "pendingMessages": mine}, prefix)  # fmt: skip
        print(
            f"{path}: {sum(map(len, rows.values()))} rows in {len(rows)} tables, "
            f"{len(mine)} pending messages"
        )
    strays = [m for m in messages if tenant_of(m) not in {s.tenant for s in SCENARIOS}]
    assert not strays, f"pending messages of no scenario: {strays}"
