"""A dependency restarted under load (issue 16): the load, the settling and the proof.

Shared by the PostgreSQL and the Kafka restart tests (``tests/chaos``): run starts
flow through the real API (keyed with ``Idempotency-Key``, retried on 503 after
``Retry-After``) while inbound emails arrive over SMTP (retried on 4xx, as an MTA
does) and HTTP (retried on 503), and a ``fault`` coroutine breaks a dependency
partway through. ``under_load`` then waits until everything settles and gathers
what proves that nothing was lost or done twice (``Observed``): each run final
once, each side effect once in ``test_action_rows`` and in the ``action_invocations``
ledger, each email its run, ticket and acknowledgement (once at the SMTP sink),
the outbox empty, every service the process it was.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiosmtplib
import asyncpg
import httpx
from sluice_storage import TokenRepository, transaction

from e2e_support.helpers import FINAL, publish
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
from e2e_support.services import Services, wait_for

SERVICES = ("api", "ingest", "interpreter", "executor", "scheduler")
WORKFLOW = {"name": "restart-chaos", "steps": [
    {"id": "rec1", "type": "action.call",
     "config": {"actionId": "test.record", "version": 1, "args": {"n": 1}}},
    {"id": "rec2", "type": "action.call",
     "config": {"actionId": "test.record", "version": 1, "args": {"n": 2}}},
]}  # fmt: skip
RECORDS_PER_RUN = 2
IN_FLIGHT = 16  # concurrent requests: what a busy client pool sends
SENDERS = 8  # concurrent deliveries, apart from the run starts: a small MTA's worth


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
    client: httpx.AsyncClient, workflow_id: str, i: int, answers: list[int],
    dropped: Counter[str] | None = None,
) -> None:  # fmt: skip
    """One start; keyed ones (even ``i``) are retried on 503 after Retry-After, and on a
    connection that closed before the answer (``dropped["api"]`` counts those; a pooled
    keep-alive connection the server closed meanwhile, on a loaded machine): the key
    makes the retry safe."""
    keyed = i % 2 == 0
    headers = {"Idempotency-Key": f"probe-{i}"} if keyed else {}
    body = {"workflowId": workflow_id, "payload": {"i": i, "keyed": keyed}}
    while True:
        try:
            answer = await client.post("/workflow-runs", json=body, headers=headers)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            if not keyed or dropped is None:
                raise
            dropped["api"] += 1
            continue
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


async def outbox_unsent(pool: asyncpg.Pool) -> int:
    """Rows of every tenant not yet published (the relay's backlog)."""
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))


async def settle(pool: asyncpg.Pool, tenant: str, services: Services, timeout_s: float,
                 ) -> dict[str, Any]:  # fmt: skip
    async def done() -> dict[str, Any] | None:
        counts = await run_counts(pool, tenant)
        settled = counts["final"] == counts["runs"] and counts["outbox_unsent"] == 0
        return counts if settled else None

    found: dict[str, Any] = await wait_for(
        done, timeout_s, "every run final and the outbox empty", services, interval_s=0.5
    )
    return found


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
    """What a /readyz watcher saw after the fault: first red, first green after it."""

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


@dataclass
class Observed:
    """What a scenario under load saw once everything settled."""

    runs: int
    emails: int
    answers: Counter[int]
    retries: Counter[str]
    counts: dict[str, Any]
    invocations: dict[str, int]
    outcomes: Counter[str]
    states: dict[str, int]
    mail_counts: dict[str, int]
    known: int  # emails from known contacts: each gets one acknowledgement
    acked: Counter[str]
    alive: dict[str, bool]
    settled_s: float  # from the end of the load until everything was final
    seconds: float

    def summary(self) -> str:
        counts, acked = self.counts, self.acked
        return (
            f"runs checked {counts['runs']}, succeeded {counts['succeeded']}, answers "
            f"{dict(self.answers)}, side effects {counts['records']} (duplicates "
            f"{counts['records'] - counts['record_keys']}), ledger {self.invocations}; emails "
            f"{self.emails} {dict(self.outcomes)}, retries {dict(self.retries)}, runs "
            f"{self.states}, {self.mail_counts}, acks {acked.total()} (max per mail "
            f"{max(acked.values(), default=0)}); settled {self.settled_s:.1f} s after the "
            f"load; services up, never restarted: {self.alive}; {self.seconds:.1f} s"
        )

    def assert_exactly_once(self) -> None:
        """Every run final once, every side effect once, every email handled once,
        nothing left in the outbox, no answer a 500, no service restarted."""
        counts = self.counts
        assert self.answers[500] == 0
        assert counts["runs"] == counts["keyed_distinct"] == counts["succeeded"] == self.runs
        assert counts["records"] == counts["record_keys"] == self.runs * RECORDS_PER_RUN
        assert self.invocations == {"succeeded": self.runs * RECORDS_PER_RUN, "twice": 0}
        assert counts["outbox_unsent"] == 0
        assert set(self.outcomes) <= {"accepted", "duplicate"}  # a retry whose first try landed
        assert self.states == {"SUCCEEDED/EMAIL_PROCESSED": self.emails}
        assert self.mail_counts == {"tickets": self.emails, "outbound_emails": self.known}
        assert self.acked.total() == self.known
        assert set(self.acked.values()) == {1}
        assert all(self.alive.values()), self.alive


Fault = Callable[[list[int]], Awaitable[Any]]


async def under_load(
    observer: asyncpg.Pool, services: Services, sink: SmtpSink, runs: int, emails: int,
    fault: Fault, settle_s: float,
) -> tuple[Any, Observed]:  # fmt: skip
    """``runs`` run starts and ``emails`` emails (spread over the starts), with ``fault``
    running alongside (it gets the list of answers so far, to strike partway); what
    ``fault`` returned, and what was observed once everything settled."""
    began = time.monotonic()
    tenant = f"restart-{uuid.uuid4().hex[:8]}"
    workflow_id = await publish(observer, tenant, WORKFLOW)
    mail_tenant, mailbox = await seed(observer, "chaosmail")
    mails = burst(mailbox, emails)
    await add_contacts(observer, mail_tenant, mails)
    answers: list[int] = []
    retries: Counter[str] = Counter()
    slots, senders = asyncio.Semaphore(IN_FLIGHT), asyncio.Semaphore(SENDERS)

    async def run(client: httpx.AsyncClient, i: int) -> None:
        async with slots:
            await start_until_done(client, workflow_id, 2 * i, answers, retries)  # even: keyed

    async def mail(i: int, one: Mail) -> str:
        async def due() -> bool:  # spread over the run starts, so some meet the fault
            return len(answers) >= i * runs // len(mails)

        await wait_for(due, 120, f"{i * runs // len(mails)} run answers")
        async with senders:
            return await send_retrying(services, one, i % 2 == 0, retries)

    async with api(services, await admin_token(observer, tenant)) as client:
        faulted, *_runs, outcomes = await asyncio.gather(
            fault(answers), *(run(client, i) for i in range(runs)),
            asyncio.gather(*(mail(i, m) for i, m in enumerate(mails))),
        )  # fmt: skip
    loaded = time.monotonic()
    counts = await settle(observer, tenant, services, settle_s)
    states = await all_final(observer, mail_tenant, len(mails), services, settle_s)
    known = [m for m in mails if m.attachments]

    async def acks_delivered() -> bool:
        return all(sink.sink.replies_to(m.message_id) for m in known)

    await wait_for(acks_delivered, settle_s, "every acknowledgement at the sink", services)
    settled_s = time.monotonic() - loaded
    tables = ("helpdesk_tickets", "helpdesk_outbound_emails")
    mail_counts = {t.removeprefix("helpdesk_"): await count(observer, t, mail_tenant)
                   for t in tables}  # fmt: skip
    acked = Counter(m["Message-ID"] for m in sink.sink.messages
                    if m["To"].endswith("@cust.test") and m["In-Reply-To"] in
                    {f"<{x.message_id}>" for x in mails})  # fmt: skip
    alive = {n: c.alive() and services.starts[n] == 1 for n, c in services.children.items()}
    return faulted, Observed(
        runs=runs, emails=emails, answers=Counter(answers), retries=retries, counts=counts,
        invocations=await ledger(observer, tenant), outcomes=Counter(outcomes), states=states,
        mail_counts=mail_counts, known=len(known), acked=acked, alive=alive,
        settled_s=settled_s, seconds=time.monotonic() - began,
    )  # fmt: skip
