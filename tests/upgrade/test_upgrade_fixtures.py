"""Runs persisted by an older release finish on today's code (issue 16, upgrade safety).

For each release under ``tests/upgrade/fixtures/`` (one module-scoped stack per
release): a fresh database is migrated only as far as that release's schema,
the captured rows of every scenario go in as they were (ids, timestamps, run
state, outbox rows; the topic prefix swapped for this stack's), then today's
migrations run over them, the captured pending Kafka messages are published to
fresh topics, and today's interpreter and scheduler start. Each scenario is then
driven as a user would (an event over Kafka, a task completed) or left to the
scheduler (overdue timers and backoffs) and must finish with its final status
and outputs, its side effects done once.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from e2e_support.helpers import FINAL, engine_for, prepare, run_row, wait_status
from e2e_support.services import Services, create_database
from sluice_messaging.admin import ensure_topics
from sluice_messaging.producer import create_producer
from sluice_messaging.topics import Topics
from sluice_storage import create_pool, upgrade
from upgrade_support.fixture_files import read_fixtures, releases
from upgrade_support.persisted import encode_value, load_rows
from upgrade_support.scenarios import BY_NAME, Stage, nothing

# Start-up of two services under load counts toward the first test of each release.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
RELEASES = releases()


@dataclass
class Upgraded:
    release: str
    pool: asyncpg.Pool
    topics: Topics
    producer: AIOKafkaProducer
    bootstrap: str
    fixtures: dict[str, dict[str, Any]]
    services: Services


async def _load(dsn: str, fixtures: list[dict[str, Any]]) -> None:
    """The release's schema, its rows, then today's migrations over them."""
    (schema,) = {f["schemaVersion"] for f in fixtures}
    await upgrade(dsn, until=schema)
    pool = await create_pool(dsn, max_size=2)
    try:
        await prepare(pool)  # the test plugin's own table, which the fixtures fill too
        async with pool.acquire() as conn, conn.transaction():
            for fixture in fixtures:
                inserted = await load_rows(conn, fixture["rows"])
                assert inserted == {t: len(r) for t, r in fixture["rows"].items()}
    finally:
        await pool.close()
    await upgrade(dsn)


async def _publish_pending(producer: AIOKafkaProducer, prefix: str,
                           fixtures: list[dict[str, Any]]) -> int:  # fmt: skip
    sent = 0
    for fixture in fixtures:
        for message in fixture["pendingMessages"]:
            await producer.send_and_wait(
                f"{prefix}{message['topic']}", encode_value(message["value"]),
                key=message["key"].encode() if message["key"] is not None else None,
                headers=[(k, v.encode()) for k, v in message["headers"]],
            )  # fmt: skip
            sent += 1
    return sent


@pytest.fixture(scope="module", params=RELEASES)
async def upgraded(
    request: pytest.FixtureRequest, database_url: str, kafka_bootstrap_servers: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Upgraded]:  # fmt: skip
    release: str = request.param
    topics = Topics.from_prefix(f"u{uuid.uuid4().hex}.")
    prefix = topics.events.removesuffix("events")
    fixtures = read_fixtures(release, prefix)
    dsn = await create_database(database_url)
    await _load(dsn, fixtures)
    await ensure_topics(kafka_bootstrap_servers, topics, 2)
    producer = create_producer(kafka_bootstrap_servers)
    await producer.start()
    pending = await _publish_pending(producer, prefix, fixtures)
    print(f"release {release}: {len(fixtures)} scenarios loaded, {pending} pending messages")
    log_dir: Path = tmp_path_factory.mktemp(f"upgrade-{release}")
    services = Services(dsn, kafka_bootstrap_servers, prefix, log_dir)
    pool = await create_pool(dsn, max_size=6)
    try:
        await services.start("interpreter", timeout_s=120)
        await services.start("scheduler", timeout_s=120)
        yield Upgraded(release, pool, topics, producer, kafka_bootstrap_servers,
                       {f["scenario"]: f for f in fixtures}, services)  # fmt: skip
    finally:
        services.stop_all()
        await producer.stop()
        await pool.close()


def test_every_scenario_has_a_fixture_for_each_release() -> None:
    assert RELEASES, "no fixtures under tests/upgrade/fixtures/ (make upgrade-fixtures)"
    for release in RELEASES:
        names = {f["scenario"] for f in read_fixtures(release, "x.")}
        assert names == set(BY_NAME), f"release {release}: {sorted(names)}"


@pytest.mark.parametrize("scenario", list(BY_NAME))
async def test_persisted_run_finishes_after_upgrade(upgraded: Upgraded, scenario: str) -> None:
    fixture, plan = upgraded.fixtures[scenario], BY_NAME[scenario]
    stage = Stage(upgraded.pool, engine_for(upgraded.topics), upgraded.topics,
                  upgraded.producer, upgraded.bootstrap, fixture["tenant"],
                  fixture["runId"])  # fmt: skip
    if plan.drive is not nothing:  # nothing moves it on before the drive: still waiting
        assert (await run_row(upgraded.pool, stage.tenant, stage.run_id))["status"] == "WAITING"
    await plan.drive(stage)
    run = await wait_status(upgraded.pool, stage.tenant, stage.run_id, FINAL,
                            upgraded.services, timeout_s=90)  # fmt: skip
    await plan.check(stage, run)
    print(
        f"{upgraded.release}/{scenario}: {run['status']} state={run['state']} "
        f"(written by {fixture['commit'][:12]}, schema {fixture['schemaVersion']:04d})"
    )
