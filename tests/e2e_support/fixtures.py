"""E2E fixtures: per-module database, topics and real service subprocesses
(shared by tests/e2e and tests/chaos through their conftest files)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from sluice_messaging.admin import ensure_topics
from sluice_messaging.producer import create_producer
from sluice_messaging.topics import Topics
from sluice_storage import create_pool, upgrade

from e2e_support.mail import SmtpSink
from e2e_support.services import Services, create_database

E2E_PARTITIONS = 2


@pytest.fixture(scope="module")
async def e2e_database(database_url: str) -> str:
    dsn = await create_database(database_url)
    await upgrade(dsn)
    return dsn


@pytest.fixture(scope="module")
async def e2e_pool(e2e_database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(e2e_database, max_size=12)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def e2e_topics(kafka_bootstrap_servers: str) -> Topics:
    topics = Topics.from_prefix(f"e{uuid.uuid4().hex}.")
    await ensure_topics(kafka_bootstrap_servers, topics, E2E_PARTITIONS)
    return topics


@pytest.fixture(scope="module")
async def producer(kafka_bootstrap_servers: str) -> AsyncIterator[AIOKafkaProducer]:
    """One producer per e2e module (overrides the stack plugin's per-test one): these
    modules only send well-formed messages, so a refusal cannot break it."""
    started = create_producer(kafka_bootstrap_servers)
    await started.start()
    yield started
    await started.stop()


@pytest.fixture(scope="module")
def services_factory(
    e2e_database: str,
    kafka_bootstrap_servers: str,
    e2e_topics: Topics,
    tmp_path_factory: pytest.TempPathFactory,
) -> Services:
    prefix = e2e_topics.events.removesuffix("events")
    log_dir: Path = tmp_path_factory.mktemp("services")
    return Services(e2e_database, kafka_bootstrap_servers, prefix, log_dir)


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    """An SMTP sink for the module's outbound mail (``start_email_services`` points at it)."""
    started = SmtpSink.start()
    yield started
    started.stop()
