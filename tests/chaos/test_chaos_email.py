"""Kill -9 the interpreter during a burst of inbound email; nothing lost, nothing doubled.

A burst of new emails goes to the real ingest service (SMTP and ``POST /emails``
mixed; every tenth one delivered twice, once each way, concurrently): a third
from unknown senders (ticket on the default client, no ack), the others from
distinct known contacts with one attachment each (ticket, attachment, ack).
The interpreter (executor in-process) is killed with SIGKILL during the burst
and restarted. After recovery: one run per distinct email, all
``EMAIL_PROCESSED``, exactly one ticket and one initial comment per email, one
attachment per attachment sent, one acknowledgement row per known sender and
each acknowledgement delivered to the sink once.

``make test`` runs 30 emails and one kill; ``make chaos`` (``WF_CHAOS_FULL=1``)
200 emails and three kills.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from e2e_support.mail import (
    Mail,
    SmtpSink,
    add_contacts,
    all_final,
    burst,
    count,
    seed,
    send_http,
    send_smtp,
    smtp_port,
    start_email_services,
)
from e2e_support.services import Services, wait_for

FULL = os.environ.get("WF_CHAOS_FULL", "") == "1"
SEED = int(os.environ.get("WF_CHAOS_SEED", "7"))
# The full burst's settle bound (240 s) exceeds pytest's default 120 s per test.
pytestmark = [pytest.mark.integration, pytest.mark.chaos, pytest.mark.timeout(600 if FULL else 120)]


@dataclass(frozen=True)
class Plan:
    emails: int
    kills: int
    settle_timeout_s: float


PLAN = Plan(200, 3, 240.0) if FULL else Plan(30, 1, 60.0)
# The burst is paced so the kills land inside it: 30 emails over 3 s, 200 over 10 s.
BURST_S = 10.0 if FULL else 3.0
SENDERS = 8  # concurrent deliveries: a small MTA's worth


@pytest.fixture(scope="module")
async def running(services_factory: Services, sink: SmtpSink) -> AsyncIterator[Services]:
    # Short leases and re-drive so recovery happens within the test's time box.
    services_factory.extra_env.update({"WF_ACTION_LEASE_S": "4", "WF_REDRIVE_AFTER_S": "8"})
    await start_email_services(services_factory, sink.port)
    yield services_factory
    services_factory.stop_all()


async def deliver_all(services: Services, mails: list[Mail]) -> Counter[str]:
    """Deliver with SENDERS in flight; every tenth mail twice (SMTP and HTTP concurrently)."""
    gate, outcomes, began = asyncio.Semaphore(SENDERS), Counter[str](), time.monotonic()

    async def one(i: int, mail: Mail) -> None:
        raw, port = mail.build(), smtp_port(services)
        await asyncio.sleep(max(0.0, began + i * BURST_S / len(mails) - time.monotonic()))
        async with gate:
            if i % 10 == 0:
                answers = await asyncio.gather(
                    send_smtp(port, raw, mail.to), send_http(services.ports["ingest"], raw, mail.to)
                )
            elif i % 4 == 0:
                answers = [await send_http(services.ports["ingest"], raw, mail.to)]
            else:
                answers = [await send_smtp(port, raw, mail.to)]
        outcomes.update(answers)

    await asyncio.gather(*(one(i, m) for i, m in enumerate(mails)))
    return outcomes


async def kill_during(services: Services, pool: asyncpg.Pool, tenant: str,
                      rng: random.Random) -> list[int]:  # fmt: skip
    """Kill -9 the interpreter PLAN.kills times inside the burst (spread over the accepted
    count, jittered: a loaded machine slows the burst, not where the kills land); returns
    how many emails were accepted at each kill (proof it hit mid-burst)."""
    accepted_at_kill = []
    for k in range(PLAN.kills):
        target = max(1, int(PLAN.emails * (k + rng.uniform(0.3, 0.7)) / PLAN.kills))

        async def reached(target: int = target) -> bool:
            return await count(pool, "helpdesk_inbound_emails", tenant) >= target

        await wait_for(reached, PLAN.settle_timeout_s, f"{target} emails accepted", services)
        services.kill9("interpreter")
        accepted_at_kill.append(await count(pool, "helpdesk_inbound_emails", tenant))
        await asyncio.sleep(rng.uniform(0.1, 0.8))
        await services.start("interpreter")
    return accepted_at_kill


async def test_kill_9_interpreter_during_email_burst_loses_and_duplicates_nothing(
    running: Services, e2e_pool: asyncpg.Pool, sink: SmtpSink, capsys: pytest.CaptureFixture[str]
) -> None:
    rng, began = random.Random(SEED), time.monotonic()
    tenant, mailbox = await seed(e2e_pool, "chaos")
    mails = burst(mailbox, PLAN.emails)
    await add_contacts(e2e_pool, tenant, mails)
    sending = asyncio.ensure_future(deliver_all(running, mails))
    kills = await kill_during(running, e2e_pool, tenant, rng)
    outcomes = await sending
    states = await all_final(e2e_pool, tenant, len(mails), running, PLAN.settle_timeout_s)
    known = [m for m in mails if m.attachments]

    async def acks_delivered() -> bool:
        return all(sink.sink.replies_to(m.message_id) for m in known)

    await wait_for(acks_delivered, 30, "every acknowledgement at the sink", running)
    tables = ("helpdesk_tickets", "helpdesk_comments", "helpdesk_attachments",
              "helpdesk_outbound_emails")  # fmt: skip
    counts = {t.removeprefix("helpdesk_"): await count(e2e_pool, t, tenant) for t in tables}
    delivered = Counter(
        m["Message-ID"] for m in sink.sink.messages if m["To"].endswith("@cust.test")
    )
    with capsys.disabled():
        print(f"\nemail chaos (seed {SEED}): {len(mails)} emails {dict(outcomes)}, interpreter "
              f"killed with {kills} of them accepted; runs {states}; {counts}; "
              f"acks at the sink {delivered.total()} "
              f"(max per Message-ID {max(delivered.values(), default=0)}); "
              f"{time.monotonic() - began:.1f} s")  # fmt: skip
    assert any(0 < at < len(mails) for at in kills), kills
    assert outcomes["accepted"] == len(mails)
    assert outcomes["duplicate"] == len(range(0, len(mails), 10))
    assert states == {"SUCCEEDED/EMAIL_PROCESSED": len(mails)}
    assert counts == {"tickets": len(mails), "comments": len(mails),
                      "attachments": len(known), "outbound_emails": len(known)}  # fmt: skip
    assert delivered.total() == len(known)
    assert set(delivered.values()) == {1}
