"""The previous release's services on today's schema (issue 16: one release back).

A rolling upgrade migrates the database first and replaces the services after,
so for a while the old interpreter and scheduler run against the new schema.
Here the commit named in ``tests/upgrade/releases.json`` is extracted with
``git archive`` (its ``libs``, ``services`` and test plugin only) and its
interpreter and scheduler run from that tree (``PYTHONPATH`` ahead of this
checkout's editable installs; third-party packages are today's lock) against a
database migrated to today's newest migration. Every upgrade scenario then runs
from start to finish on them: events, a timer, a human task, a retry, a forEach,
a child workflow, an event relayed from the outbox.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from e2e_support.helpers import FINAL, engine_for, prepare, wait_status
from e2e_support.services import Services, create_database
from sluice_messaging.admin import ensure_topics
from sluice_messaging.producer import create_producer
from sluice_messaging.topics import Topics
from sluice_storage import create_pool, upgrade
from upgrade_support.fixture_files import Release, previous_release
from upgrade_support.scenarios import SCENARIOS, Scenario, Stage, bring_to_capture, nothing

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[2]


def extract(release: Release, target: Path) -> list[str]:
    """The release's source trees under ``target``; the import path that runs them."""
    paths = ["libs", "services", "tests/plugins"]
    archive = subprocess.run(["git", "archive", release.commit, *paths], cwd=ROOT,
                             capture_output=True, check=False)  # fmt: skip
    if archive.returncode != 0:
        raise AssertionError(
            f"previous release {release.name} ({release.commit}) is not in this clone: "
            f"{archive.stderr.decode().strip()} (a shallow clone? git fetch --unshallow)"
        )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    sources = sorted(str(p) for p in [*target.glob("libs/*/src"), *target.glob("services/*/src")])
    return [*sources, str(target / "tests")]


@pytest.fixture(scope="module")
def old_tree(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return extract(previous_release(), tmp_path_factory.mktemp("previous-release"))


def test_old_tree_is_what_the_services_import(old_tree: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(old_tree)}
    found = subprocess.run([sys.executable, "-c", "import sluice_engine, sluice_interpreter, "
                            "sluice_storage; print(sluice_engine.__file__); "
                            "print(sluice_interpreter.__file__); print(sluice_storage.__file__)"],
                           env=env, capture_output=True, text=True, check=True)  # fmt: skip
    root = str(Path(old_tree[0]).parents[2])
    assert all(line.startswith(root) for line in found.stdout.split()), found.stdout


@pytest.fixture(scope="module")
async def old_services(
    old_tree: list[str], database_url: str, kafka_bootstrap_servers: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Services, asyncpg.Pool, Topics, AIOKafkaProducer]]:  # fmt: skip
    dsn = await create_database(database_url)
    await upgrade(dsn)  # today's newest schema
    topics = Topics.from_prefix(f"p{uuid.uuid4().hex}.")
    await ensure_topics(kafka_bootstrap_servers, topics, 2)
    services = Services(dsn, kafka_bootstrap_servers, topics.events.removesuffix("events"),
                        tmp_path_factory.mktemp("previous-services"),
                        extra_env={"PYTHONPATH": os.pathsep.join(old_tree)})  # fmt: skip
    pool = await create_pool(dsn, max_size=8)
    await prepare(pool)
    producer = create_producer(kafka_bootstrap_servers)
    await producer.start()
    try:
        await services.start("interpreter", timeout_s=120)
        await services.start("scheduler", timeout_s=120)
        yield services, pool, topics, producer
    finally:
        services.stop_all()
        await producer.stop()
        await pool.close()


async def _run_through(scenario: Scenario, stage: Stage, services: Services) -> str:
    # A scenario driven by a person or an event settles first (its task or wait must
    # exist); one left to the scheduler may already be past its 1 s timer or backoff.
    await bring_to_capture(stage, scenario, services, settle=scenario.drive is not nothing)
    await scenario.after_stop(stage)  # here with the services running: delivered at once
    await scenario.drive(stage)
    run = await wait_status(stage.pool, stage.tenant, stage.run_id, FINAL, services, 90)
    await scenario.check(stage, run)
    return f"{scenario.name}: {run['status']} state={run['state']}"


async def test_previous_release_services_run_every_scenario_on_todays_schema(
    old_services: tuple[Services, asyncpg.Pool, Topics, AIOKafkaProducer],
    kafka_bootstrap_servers: str,
) -> None:
    services, pool, topics, producer = old_services
    engine = engine_for(topics)
    stages = [Stage(pool, engine, topics, producer, kafka_bootstrap_servers, s.tenant)
              for s in SCENARIOS]  # fmt: skip
    done = await asyncio.gather(*(_run_through(s, st, services)
                                  for s, st in zip(SCENARIOS, stages, strict=True)))  # fmt: skip
    release = previous_release()
    print(
        f"previous release {release.name} ({release.commit[:12]}) on schema "
        f"{await pool.fetchval('SELECT max(version) FROM schema_migrations'):04d}: "
        + "; ".join(done)
    )
    for name in ("interpreter", "scheduler"):
        assert services.children[name].alive(), services.logs()
