"""PostgreSQL goes away under load (issue 16): transient is not a bug.

Everything runs against a PostgreSQL of this module's own (``e2e_support.outage``:
the launcher on a free port in a temp dir) so it can be cut off, stopped and
killed; Kafka is the session's, under this module's own topic prefix.

- ``test_terminated_connections_answer_503_never_500``: the issue's probe. Run
  starts flow through the real API (half with an ``Idempotency-Key``, retried on
  503 after ``Retry-After``; half plain, the group-commit path) while every
  backend of the database is terminated three times. No answer is a 500; every
  503 is ``UNAVAILABLE`` problem+json naming PostgreSQL with ``Retry-After``;
  each keyed start made exactly one run; every run that exists succeeds with each
  side effect once (nothing half-written: the run row and its outbox rows are one
  transaction).
- ``test_postgres_stopped_answers_503_then_recovers``: PostgreSQL stopped (fast
  shutdown): the API and ingest answer 503 with ``Retry-After``, ``/readyz`` is
  red, the SMTP intake answers ``451 4.3.0``; started again, ``/readyz`` turns
  green and a run started then succeeds.

``make test`` runs the issue's probe (300 starts, three cuts); ``make chaos``
(``WF_CHAOS_FULL=1``) 1,000 starts and six cuts. How to run each alone: the
chaos README (``tests/chaos/README.md``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosmtplib
import asyncpg
import httpx
import pytest
from e2e_support.helpers import FINAL, prepare, publish
from e2e_support.mail import (
    Mail,
    SmtpSink,
    add_contacts,
    all_final,
    burst,
    count,
    post_rfc822,
    seed,
    send_smtp,
    smtp_port,
)
from e2e_support.outage import OwnPostgres, observer_pool, own_postgres
from e2e_support.services import Services, wait_for
from sluice_devstack.ports import free_port
from sluice_messaging.admin import ensure_topics
from sluice_messaging.topics import Topics
from sluice_storage import TokenRepository, transaction

FULL = os.environ.get("WF_CHAOS_FULL", "") == "1"
SEED = int(os.environ.get("WF_CHAOS_SEED", "7"))
pytestmark = [pytest.mark.integration, pytest.mark.chaos, pytest.mark.timeout(600 if FULL else 180)]

PROBE_STARTS = 1000 if FULL else 300  # the issue probe: 300 starts, three cuts
TERMINATIONS = 6 if FULL else 3
IN_FLIGHT = 16  # concurrent requests: what a busy client pool sends
SETTLE_S = 240.0 if FULL else 120.0  # generous: every run through a loaded machine
SERVICES = ("api", "ingest", "interpreter", "executor", "scheduler")
WORKFLOW = {"name": "pg-chaos", "steps": [
    {"id": "rec1", "type": "action.call",
     "config": {"actionId": "test.record", "version": 1, "args": {"n": 1}}},
    {"id": "rec2", "type": "action.call",
     "config": {"actionId": "test.record", "version": 1, "args": {"n": 2}}},
]}  # fmt: skip
RECORDS_PER_RUN = 2


@pytest.fixture(scope="module")
async def pg(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap_servers: str,
             ) -> AsyncIterator[OwnPostgres]:  # fmt: skip
    async with own_postgres(tmp_path_factory.mktemp("own-pg"), kafka_bootstrap_servers) as own:
        yield own


@pytest.fixture(scope="module")
async def observer(pg: OwnPostgres) -> AsyncIterator[asyncpg.Pool]:
    pool = await observer_pool(pg.database_url)
    await prepare(pool)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    started = SmtpSink.start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
async def stack_services(
    pg: OwnPostgres, kafka_bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory,
    sink: SmtpSink,
) -> AsyncIterator[Services]:  # fmt: skip
    topics = Topics.from_prefix(f"pg{uuid.uuid4().hex}.")
    await ensure_topics(kafka_bootstrap_servers, topics, 2)
    log_dir: Path = tmp_path_factory.mktemp("pg-services")
    services = Services(pg.database_url, kafka_bootstrap_servers,
                        topics.events.removesuffix("events"), log_dir)  # fmt: skip
    services.extra_env.update({
        "WF_EXECUTOR_APART": "true", "WF_ACTION_LEASE_S": "4", "WF_REDRIVE_AFTER_S": "8",
        "WF_LOG_LEVEL": "WARNING", "WF_SMTP_LISTEN_PORT": str(free_port()),
        "WF_SMTP_HOST": "127.0.0.1", "WF_SMTP_PORT": str(sink.port),
    })  # fmt: skip
    await asyncio.gather(*(services.start(name) for name in SERVICES))
    yield services
    services.stop_all()


async def admin_token(pool: asyncpg.Pool, tenant: str) -> str:
    async with transaction(pool) as conn:
        issued = await TokenRepository(conn, tenant).create(
            subject="chaos", role="workflow.admin", now=dt.datetime.now(dt.UTC)
        )
    return issued.token


def api(services: Services, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{services.ports['api']}",
        headers={"Authorization": f"Bearer {token}"}, timeout=30.0,
    )  # fmt: skip


def check_unavailable(answer: httpx.Response, dependency: str = "PostgreSQL") -> None:
    """A 503 as the issue wants it: problem+json, UNAVAILABLE, Retry-After, the dependency."""
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) >= 1
    body = answer.json()
    assert body["code"] == "UNAVAILABLE", body
    assert body["detail"].startswith(f"{dependency} is unreachable"), body


async def start_until_done(
    client: httpx.AsyncClient, workflow_id: str, i: int, answers: list[int]
) -> None:
    """One start; keyed ones (even ``i``) are retried on 503 after Retry-After."""
    keyed = i % 2 == 0
    headers = {"Idempotency-Key": f"probe-{i}"} if keyed else {}
    body = {"workflowId": workflow_id, "payload": {"i": i, "keyed": keyed}}
    while True:
        answer = await client.post("/workflow-runs", json=body, headers=headers)
        answers.append(answer.status_code)
        if answer.status_code != 503:
            assert answer.status_code == 201, answer.text
            return
        check_unavailable(answer)
        if not keyed:
            return
        await asyncio.sleep(int(answer.headers["retry-after"]))


async def run_counts(pool: asyncpg.Pool, tenant: str) -> dict[str, Any]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT count(*) AS runs,
                      count(*) FILTER (WHERE status = ANY($2)) AS final,
                      count(*) FILTER (WHERE status = 'SUCCEEDED') AS succeeded,
                      count(*) FILTER (WHERE payload->>'keyed' = 'true') AS keyed,
                      count(DISTINCT payload->>'i') FILTER (WHERE payload->>'keyed' = 'true')
                        AS keyed_distinct
               FROM workflow_runs WHERE tenant_id = $1""",
            tenant, list(FINAL),
        )  # fmt: skip
        records, keys = await conn.fetchrow(
            """SELECT count(*), count(DISTINCT idempotency_key) FROM test_action_rows
               WHERE tenant_id = $1""",
            tenant,
        )
        stuck = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE tenant_id = $1 AND sent_at IS NULL", tenant
        )
    assert row is not None
    return {**dict(row), "records": records, "record_keys": keys, "outbox_unsent": stuck}


async def settle(pool: asyncpg.Pool, tenant: str, services: Services) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        counts = await run_counts(pool, tenant)
        settled = counts["final"] == counts["runs"] and counts["outbox_unsent"] == 0
        return counts if settled else None

    found: dict[str, Any] = await wait_for(
        done, SETTLE_S, "every run final and the outbox empty", services, interval_s=0.5
    )
    return found


async def test_terminated_connections_answer_503_never_500(
    pg: OwnPostgres, observer: asyncpg.Pool, stack_services: Services,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    tenant, began = f"probe-{uuid.uuid4().hex[:8]}", time.monotonic()
    workflow_id = await publish(observer, tenant, WORKFLOW)
    answers: list[int] = []
    terminated: list[int] = []

    async def terminator() -> None:  # after a quarter, half, three quarters of the starts
        for k in range(1, TERMINATIONS + 1):
            target = k * PROBE_STARTS // (TERMINATIONS + 1)

            async def reached(target: int = target) -> bool:
                return len(answers) >= target

            await wait_for(reached, 120, f"{target} answers")
            terminated.append(await pg.terminate_backends())

    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(client: httpx.AsyncClient, i: int) -> None:
        async with slots:
            await start_until_done(client, workflow_id, i, answers)

    async with api(stack_services, await admin_token(observer, tenant)) as client:
        await asyncio.gather(terminator(), *(one(client, i) for i in range(PROBE_STARTS)))
    statuses = Counter(answers)
    counts = await settle(observer, tenant, stack_services)
    with capsys.disabled():
        print(
            f"\npostgres probe: {PROBE_STARTS} starts, answers {dict(statuses)}, backends "
            f"terminated {terminated}; runs {counts['runs']} (keyed {counts['keyed']}, "
            f"distinct {counts['keyed_distinct']}), succeeded {counts['succeeded']}, side effects "
            f"{counts['records']} (duplicates {counts['records'] - counts['record_keys']}); "
            f"{time.monotonic() - began:.1f} s"
        )
    assert statuses[500] == 0
    assert set(statuses) <= {201, 503}
    assert all(n > 0 for n in terminated), terminated  # the cuts hit live connections
    keyed = PROBE_STARTS // 2 + PROBE_STARTS % 2
    assert counts["keyed"] == counts["keyed_distinct"] == keyed  # retried: exactly once each
    plain_created = counts["runs"] - counts["keyed"]
    plain_201 = statuses[201] - keyed
    assert plain_201 <= plain_created <= PROBE_STARTS - keyed  # a cut COMMIT may have landed
    assert counts["succeeded"] == counts["runs"]  # nothing half-written: each one ran
    assert counts["records"] == counts["record_keys"] == counts["runs"] * RECORDS_PER_RUN


async def test_postgres_stopped_answers_503_then_recovers(
    pg: OwnPostgres, observer: asyncpg.Pool, stack_services: Services,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    tenant = f"stop-{uuid.uuid4().hex[:8]}"
    workflow_id = await publish(observer, tenant, WORKFLOW)
    token = await admin_token(observer, tenant)
    smtp = int(stack_services.extra_env["WF_SMTP_LISTEN_PORT"])
    body = {"workflowId": workflow_id, "payload": {"i": 0}}
    pg.fast_shutdown()
    stopped = time.monotonic()
    async with api(stack_services, token) as client:
        assert (await client.get("/readyz")).status_code == 503
        check_unavailable(await client.post("/workflow-runs", json=body))
        check_unavailable(await client.get(f"/workflow-runs?workflowId={workflow_id}"))
        ingest = f"http://127.0.0.1:{stack_services.ports['ingest']}"
        assert (await client.get(f"{ingest}/readyz")).status_code == 503
        event = {"eventName": "x", "correlationKey": "k", "payload": {}}
        check_unavailable(await client.post(f"{ingest}/events", json=event))
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await aiosmtplib.send(b"Subject: x\r\n\r\nx\r\n", sender="a@b.test",
                                  recipients=["help@in.test"], hostname="127.0.0.1", port=smtp,
                                  timeout=30)  # fmt: skip
        [reply] = refused.value.recipients
        assert (reply.code, reply.message[:5]) == (451, "4.3.0"), reply
        up_after = await pg.start_again()

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await wait_for(ready, 60, "the API's /readyz to turn green", stack_services)
        green_after = time.monotonic() - stopped
        started = await client.post("/workflow-runs", json=body)
        assert started.status_code == 201, started.text
    counts = await settle(observer, tenant, stack_services)
    with capsys.disabled():
        print(
            f"\npostgres stopped: 503/451 while away; server back in {up_after:.1f} s, "
            f"/readyz green {green_after:.1f} s after the stop; run after it {counts}"
        )
    assert counts["succeeded"] == counts["runs"] == 1


# --- PostgreSQL restarted under load -------------------------------------------------

RESTART_RUNS, RESTART_EMAILS = (300, 100) if FULL else (60, 20)
# Bounded: one restart, its kind drawn from the seed; full: both kinds.
KINDS = ("fast", "kill9") if FULL else (random.Random(SEED).choice(("fast", "kill9")),)
SENDERS = 8  # concurrent deliveries, apart from the run starts: a small MTA's worth
DOWN_S = 1.0  # how long the server stays away: what `sluice dev`'s first restart waits


async def send_retrying(services: Services, mail: Mail, via_smtp: bool, retries: Counter[str],
                        ) -> str:  # fmt: skip
    """Deliver as an MTA (SMTP, 4xx: retry) or an HTTP client (503: retry) would."""
    raw = mail.build()
    while True:
        try:
            if via_smtp:
                return await send_smtp(smtp_port(services), raw, mail.to)
            answer = await post_rfc822(services.ports["ingest"], raw, mail.to)
            if answer.status_code == 202:
                return str(answer.json()["status"])
            check_unavailable(answer)
            codes = [answer.status_code]
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPDataError) as refused:
            codes = [r.code for r in getattr(refused, "recipients", [])] or [refused.code]
        assert all(code in (451, 503) for code in codes), (mail.message_id, codes)
        retries["smtp" if via_smtp else "http"] += 1
        await asyncio.sleep(1.0)  # an MTA's retry queue, compressed


@dataclass
class Recovery:
    """What the /readyz watcher saw after the stop: first red, first green after it."""

    red_after_s: float | None = None
    green_after_s: float | None = None


async def watch_readyz(url: str, since: float, seen: Recovery) -> None:
    async with httpx.AsyncClient(timeout=2.0) as client:
        while seen.green_after_s is None:
            try:
                status = (await client.get(url)).status_code
            except httpx.HTTPError:
                status = 0
            if status != 200 and seen.red_after_s is None:
                seen.red_after_s = time.monotonic() - since
            elif status == 200 and seen.red_after_s is not None:
                seen.green_after_s = time.monotonic() - since
            await asyncio.sleep(0.1)


async def ledger(pool: asyncpg.Pool, tenant: str) -> dict[str, int]:
    """The invocation ledger of a tenant: side effects done, and done twice."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT count(*) FILTER (WHERE status = 'SUCCEEDED') AS succeeded,
                      count(*) - count(DISTINCT (action_id, idempotency_key)) AS twice
               FROM action_invocations WHERE tenant_id = $1""",
            tenant,
        )
    assert row is not None
    return dict(row)


@pytest.mark.parametrize("kind", KINDS)
async def test_postgres_restart_under_load_loses_and_repeats_nothing(
    kind: str, pg: OwnPostgres, observer: asyncpg.Pool, stack_services: Services,
    sink: SmtpSink, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    began = time.monotonic()
    tenant = f"restart-{uuid.uuid4().hex[:8]}"
    workflow_id = await publish(observer, tenant, WORKFLOW)
    mail_tenant, mailbox = await seed(observer, "pgmail")
    mails = burst(mailbox, RESTART_EMAILS)
    await add_contacts(observer, mail_tenant, mails)
    answers: list[int] = []
    retries: Counter[str] = Counter()
    slots, senders = asyncio.Semaphore(IN_FLIGHT), asyncio.Semaphore(SENDERS)

    async def run(client: httpx.AsyncClient, i: int) -> None:
        async with slots:
            await start_until_done(client, workflow_id, 2 * i, answers)  # even: keyed

    async def mail(i: int, one: Mail) -> str:
        async def due() -> bool:  # spread over the run starts, so some meet the outage
            return len(answers) >= i * RESTART_RUNS // len(mails)

        await wait_for(due, 120, f"{i * RESTART_RUNS // len(mails)} run answers")
        async with senders:
            return await send_retrying(stack_services, one, i % 2 == 0, retries)

    async def restart() -> tuple[float, Recovery, int]:
        async def a_third() -> bool:
            return len(answers) >= RESTART_RUNS // 3

        await wait_for(a_third, 120, "a third of the run starts answered")
        at_stop, seen = len(answers), Recovery()
        pg.kill9() if kind == "kill9" else pg.fast_shutdown()
        stopped = time.monotonic()
        api_ready = f"http://127.0.0.1:{stack_services.ports['api']}/readyz"
        watcher = asyncio.ensure_future(watch_readyz(api_ready, stopped, seen))
        await asyncio.sleep(DOWN_S)
        up_after = await pg.start_again() + DOWN_S
        await asyncio.wait_for(watcher, 120)
        return up_after, seen, at_stop

    async with api(stack_services, await admin_token(observer, tenant)) as client:
        restarted, *_rest, outcomes = await asyncio.gather(
            restart(), *(run(client, i) for i in range(RESTART_RUNS)),
            asyncio.gather(*(mail(i, m) for i, m in enumerate(mails))),
        )  # fmt: skip
    up_after, seen, at_stop = restarted
    counts = await settle(observer, tenant, stack_services)
    states = await all_final(observer, mail_tenant, len(mails), stack_services, SETTLE_S)
    known = [m for m in mails if m.attachments]

    async def acks_delivered() -> bool:
        return all(sink.sink.replies_to(m.message_id) for m in known)

    await wait_for(acks_delivered, SETTLE_S, "every acknowledgement at the sink", stack_services)
    invocations = await ledger(observer, tenant)
    tables = ("helpdesk_tickets", "helpdesk_outbound_emails")
    mail_counts = {t.removeprefix("helpdesk_"): await count(observer, t, mail_tenant)
                   for t in tables}  # fmt: skip
    acked = Counter(m["Message-ID"] for m in sink.sink.messages
                    if m["To"].endswith("@cust.test") and m["In-Reply-To"] in
                    {f"<{x.message_id}>" for x in mails})  # fmt: skip
    alive = {n: c.alive() and stack_services.starts[n] == 1
             for n, c in stack_services.children.items()}  # fmt: skip
    assert seen.red_after_s is not None, "/readyz never went red"
    assert seen.green_after_s is not None, "/readyz never went green again"
    with capsys.disabled():
        print(
            f"\npostgres {kind} restart (seed {SEED}) after {at_stop} answers: server back "
            f"{up_after:.1f} s after the stop, API /readyz red at {seen.red_after_s:.1f} s, "
            f"green at {seen.green_after_s:.1f} s; runs checked {counts['runs']}, succeeded "
            f"{counts['succeeded']}, answers {dict(Counter(answers))}, side effects "
            f"{counts['records']} (duplicates {counts['records'] - counts['record_keys']}), "
            f"ledger {invocations}; emails {len(mails)} {dict(Counter(outcomes))}, retries "
            f"{dict(retries)}, runs {states}, {mail_counts}, acks {acked.total()} (max per "
            f"mail {max(acked.values(), default=0)}); services up, never restarted: {alive}; "
            f"{time.monotonic() - began:.1f} s"
        )
    assert Counter(answers)[500] == 0
    assert Counter(answers)[503] > 0  # the run starts met the outage
    assert retries.total() > 0  # and so did the emails
    assert counts["runs"] == counts["keyed_distinct"] == counts["succeeded"] == RESTART_RUNS
    assert counts["records"] == counts["record_keys"] == RESTART_RUNS * RECORDS_PER_RUN
    assert invocations == {"succeeded": RESTART_RUNS * RECORDS_PER_RUN, "twice": 0}
    assert counts["outbox_unsent"] == 0
    assert set(outcomes) <= {"accepted", "duplicate"}  # a retry whose first try committed
    assert states == {"SUCCEEDED/EMAIL_PROCESSED": len(mails)}
    assert mail_counts == {"tickets": len(mails), "outbound_emails": len(known)}
    assert acked.total() == len(known)
    assert set(acked.values()) == {1}
    assert all(alive.values()), alive
