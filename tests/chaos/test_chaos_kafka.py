"""Kafka goes away under load (issue 16): the outbox holds, nothing is lost or done twice.

Every scenario runs on a Kafka of this module's own (``e2e_support.outage``: the
launcher on free ports in a temp dir, never the shared broker), with the session's
PostgreSQL (a database of the module's own) and the real services as subprocesses.
Run starts (keyed, retried on 503) and inbound emails (SMTP retried on 4xx, HTTP on
503) flow while the fault strikes (``e2e_support.underload``):

- ``clean``: the broker stopped with SIGTERM (a controlled shutdown, what an
  upgrade does), started again a second later;
- ``kill9``: the broker's JVM killed with SIGKILL, started again a second later;
- ``leader``: on a 3-broker KRaft cluster (``WF_KAFKA_BROKERS=3``: 3 copies of every
  topic, ``min.insync.replicas`` 2), the leader of ``run-commands`` partition 0
  killed with SIGKILL; the other two carry on; it is started again after a while.

What each proves: the API and ingest never needed Kafka (every start 201, every email
accepted: they write the outbox, in the same transaction as the run); while the
broker is away the outbox holds what was committed (its backlog grows) and the
interpreter's ``/readyz`` is red (it names Kafka), then green; afterwards every run
succeeded once, each side effect once (``test_action_rows`` and the
``action_invocations`` ledger), every email has its run, ticket and one
acknowledgement at the sink, the outbox is empty, nothing was dead-lettered, every
consumer group's committed offsets reached the end of its topics, and every service
is the process it was (reconnected, never restarted). Nothing re-drives a stalled
run here (``WF_REDRIVE_AFTER_S`` is ten minutes): a message skipped or lost would
leave its run unfinished and fail the test.

``make test`` runs one scenario drawn from the seed (``WF_CHAOS_SEED``, default 7)
with 40 runs and 12 emails; ``make chaos`` (``WF_CHAOS_FULL=1``) all three with 300
runs and 100 emails. How to run each alone: the chaos README.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from e2e_support.helpers import prepare
from e2e_support.mail import SmtpSink
from e2e_support.outage import OwnKafka, own_kafka
from e2e_support.services import Services, wait_for
from e2e_support.underload import (
    SERVICES,
    Recovery,
    outbox_unsent,
    under_load,
    watch_readyz,
)
from sluice_devstack.ports import free_port
from sluice_messaging.admin import ensure_topics
from sluice_messaging.lag import read_consumer_lag
from sluice_messaging.topics import Topics

FULL = os.environ.get("WF_CHAOS_FULL", "") == "1"
SEED = int(os.environ.get("WF_CHAOS_SEED", "7"))
pytestmark = [
    pytest.mark.integration,
    pytest.mark.chaos,
    pytest.mark.timeout(1800 if FULL else 600),
]

RUNS, EMAILS = (300, 100) if FULL else (40, 12)
ALL_KINDS = ("clean", "kill9", "leader")
# Bounded: one scenario, drawn from the seed; full: every one.
KINDS = ALL_KINDS if FULL else (random.Random(SEED).choice(ALL_KINDS),)
DOWN_S = 1.0  # a single broker stays away this long: what `sluice dev`'s first restart waits
LEADER_DOWN_S = 10.0  # at least: a cluster runs this long on two brokers before the third returns
SETTLE_S = 300.0 if FULL else 180.0  # generous: every run through a loaded 2-core machine
LAG_S = 30.0  # Faust commits every 2.8 s; the groups' offsets reach the end within this


@dataclass
class Struck:
    """What the fault did and saw."""

    at_answers: int  # run starts answered when it struck
    broker: str
    seen: Recovery  # the interpreter's /readyz
    backlog: int  # outbox rows unsent while the broker was away
    back_after_s: float  # from the fault until the broker answered again
    progressed: int = 0  # runs that succeeded while a cluster ran without the broker
    failover_s: float | None = None  # until another broker led the partition
    finishing_s: float | None = None  # until a run succeeded on the brokers left


@asynccontextmanager
async def services_on(kafka: OwnKafka, database: str, sink: SmtpSink, log_dir: Path,
                      ) -> AsyncIterator[Services]:  # fmt: skip
    topics = Topics.from_prefix(f"k{uuid.uuid4().hex}.")
    await ensure_topics(kafka.bootstrap, topics, 2, replication_factor=kafka.replication)
    services = Services(database, kafka.bootstrap, topics.events.removesuffix("events"), log_dir)
    services.extra_env.update({
        "WF_EXECUTOR_APART": "true", "WF_ACTION_LEASE_S": "4", "WF_REDRIVE_AFTER_S": "600",
        "WF_LOG_LEVEL": "WARNING", "WF_SMTP_LISTEN_PORT": str(free_port()),
        "WF_SMTP_HOST": "127.0.0.1", "WF_SMTP_PORT": str(sink.port),
    })  # fmt: skip
    try:
        await asyncio.gather(*(services.start(name) for name in SERVICES))
        yield services
    finally:
        services.stop_all()


@pytest.fixture(scope="module")
async def observer(e2e_pool: asyncpg.Pool) -> asyncpg.Pool:
    await prepare(e2e_pool)
    return e2e_pool


@pytest.fixture(scope="module")
async def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 e2e_database: str, sink: SmtpSink,
                 ) -> AsyncIterator[tuple[OwnKafka, Services]]:  # fmt: skip
    """A Kafka of ``request.param`` brokers and the services on it (one per count:
    the single-broker scenarios share theirs)."""
    brokers: int = request.param
    state = tmp_path_factory.mktemp(f"own-kafka{brokers}")
    async with own_kafka(state, e2e_database, brokers) as kafka:
        log_dir = tmp_path_factory.mktemp(f"kafka{brokers}-services")
        async with services_on(kafka, e2e_database, sink, log_dir) as services:
            yield kafka, services


async def ready(url: str) -> bool:
    async with httpx.AsyncClient(timeout=2.0) as client:
        return (await client.get(url)).status_code == 200


async def succeeded(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        found = await conn.fetchval("SELECT count(*) FROM workflow_runs WHERE status = 'SUCCEEDED'")
    return int(found)


async def dead_letters(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM dead_letters"))


async def group_lag(kafka: OwnKafka, services: Services) -> dict[tuple[str, str], int]:
    """Messages each consumer group has not committed yet, once it reaches zero."""
    groups = [f"{services.topic_prefix}{role}" for role in ("interpreter", "executor")]

    async def caught_up() -> dict[tuple[str, str], int] | None:
        lag = await read_consumer_lag(kafka.bootstrap, groups)
        return lag if lag and not any(lag.values()) else None

    found: dict[tuple[str, str], int] = await wait_for(
        caught_up, LAG_S, "every consumer group's offsets at the end", services, interval_s=1.0
    )
    return found


@pytest.mark.parametrize(
    ("kind", "target"), [(k, 3 if k == "leader" else 1) for k in KINDS], ids=KINDS,
    indirect=["target"],
)  # fmt: skip
async def test_kafka_restart_under_load_loses_and_repeats_nothing(
    kind: str, target: tuple[OwnKafka, Services], observer: asyncpg.Pool, sink: SmtpSink,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    kafka, services = target
    letters_before = await dead_letters(observer)
    interpreter_ready = f"http://127.0.0.1:{services.ports['interpreter']}/readyz"

    async def strike(answers: list[int]) -> Struck:
        async def a_third() -> bool:
            return len(answers) >= RUNS // 3

        await wait_for(a_third, 120, "a third of the run starts answered")
        at, seen = len(answers), Recovery()
        broker = await kafka.leader(services.topic_prefix + "run-commands") if kind == "leader" \
            else "kafka"  # fmt: skip
        done_before = await succeeded(observer)
        struck = time.monotonic()
        watcher = asyncio.ensure_future(watch_readyz(interpreter_ready, struck, seen))
        if kind == "clean":
            await asyncio.to_thread(kafka.stop_cleanly, broker)
        else:
            kafka.kill9(broker)
        failover_s = finishing_s = None
        if kind == "leader":  # the other two carry on: another broker leads, runs finish

            async def moved() -> bool:
                return await kafka.leader(services.topic_prefix + "run-commands") != broker

            async def finishing() -> bool:
                return await succeeded(observer) > done_before

            await wait_for(moved, 60, "another broker to lead the partition", services)
            failover_s = time.monotonic() - struck
            await wait_for(finishing, 120, "a run to succeed on two brokers", services)
            finishing_s = time.monotonic() - struck
            await asyncio.sleep(max(0.0, LEADER_DOWN_S - finishing_s))
        else:
            await asyncio.sleep(DOWN_S)
        backlog = await outbox_unsent(observer)
        progressed = await succeeded(observer) - done_before
        await kafka.start_again(broker)
        back_after_s = time.monotonic() - struck
        if kind == "leader":  # two brokers answered all along: red is not expected
            watcher.cancel()
            await wait_for(lambda: ready(interpreter_ready), 60, "the interpreter ready")
            seen.green_after_s = time.monotonic() - struck
        else:
            await asyncio.wait_for(watcher, 120)
        return Struck(at, broker, seen, backlog, back_after_s, progressed, failover_s, finishing_s)

    struck, observed = await under_load(observer, services, sink, RUNS, EMAILS, strike, SETTLE_S)
    lag = await group_lag(kafka, services)
    letters = await dead_letters(observer) - letters_before
    seen = struck.seen
    with capsys.disabled():
        print(
            f"\nkafka {kind} (seed {SEED}) on {len(kafka.brokers)} broker(s), {struck.broker} "
            f"struck after {struck.at_answers} answers: outbox backlog {struck.backlog} while "
            f"away, broker back {struck.back_after_s:.1f} s after the fault, interpreter "
            f"/readyz red at {seen.red_after_s}, green at {seen.green_after_s:.1f} s; new "
            f"leader after {struck.failover_s} s, first run succeeded after "
            f"{struck.finishing_s} s, {struck.progressed} while the broker was away; "
            f"consumer lag {lag}; dead letters {letters}; "
            f"{observed.summary()}"
        )
    assert set(observed.answers) == {201}, observed.answers  # the API never needed Kafka
    assert observed.retries["smtp"] == observed.retries["http"] == 0  # nor did ingest
    assert seen.green_after_s is not None
    if kind == "leader":  # one broker of three: the cluster carried on without it
        assert struck.failover_s is not None
        assert struck.progressed > 0
    else:  # the only broker: the outbox held the messages, the interpreter said so
        assert seen.red_after_s is not None, "the interpreter's /readyz never went red"
        assert struck.backlog > 0
    assert letters == 0
    observed.assert_exactly_once()
