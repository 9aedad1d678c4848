"""Real-world MIME through the running services: every message file of CPython's
``test/test_email/data`` is submitted to the real ingest service, once over
``POST /emails`` (rfc822) for one tenant and once over SMTP for another.

Each is processed (its run reaches a final status), stored as failed with a
reason, or refused with a reason; no service crashes (all healthy at the end)
and nothing is lost: every accepted email has its routed event and its run.
Counts are printed.
"""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator
from pathlib import Path

import aiosmtplib
import asyncpg
import pytest
import test.test_email  # CPython's own test package ships on these machines
from e2e_support.mail import (
    SmtpSink,
    all_final,
    fetch,
    post_rfc822,
    seed,
    send_smtp,
    smtp_port,
    start_email_services,
)
from e2e_support.services import Services

pytestmark = pytest.mark.integration
CORPUS = sorted(
    p for p in (Path(test.test_email.__file__).parent / "data").iterdir()
    if p.suffix in (".txt", ".eml") or p.name.startswith("msg_")
)  # fmt: skip
Outcomes = collections.Counter[str]


@pytest.fixture(scope="module")
async def running(services_factory: Services, sink: SmtpSink) -> AsyncIterator[Services]:
    await start_email_services(services_factory, sink.port)
    yield services_factory
    services_factory.stop_all()


async def over_http(services: Services, mailbox: str) -> Outcomes:
    outcomes: Outcomes = collections.Counter()
    for path in CORPUS:
        answer = await post_rfc822(services.ports["ingest"], path.read_bytes(), mailbox)
        assert answer.status_code in (202, 400), (path.name, answer.text)
        body = answer.json()
        assert body["status"] != "failed" or body["reason"], path.name
        outcomes[body["status"] if answer.status_code == 202 else "refused"] += 1
    return outcomes


async def over_smtp(services: Services, mailbox: str) -> Outcomes:
    outcomes: Outcomes = collections.Counter()
    for path in CORPUS:
        try:
            outcomes[await send_smtp(smtp_port(services), path.read_bytes(), mailbox)] += 1
        except aiosmtplib.SMTPDataError as refused:
            # Only a body that is not RFC 822 at all is refused (554 5.6.0, with the reason).
            kind = "refused" if refused.code == 554 and refused.message else f"{refused}"
            outcomes[kind] += 1
    return outcomes


async def check_nothing_lost(
    pool: asyncpg.Pool, tenant: str, outcomes: Outcomes, services: Services
) -> dict[str, int]:
    """Every accepted row has its routed event and a final run; failed rows keep a reason."""
    rows = await fetch(
        pool,
        "SELECT message_id, status, reason FROM helpdesk_inbound_emails WHERE tenant_id = $1",
        tenant,
    )
    accepted = {r["message_id"] for r in rows if r["status"] == "accepted"}
    assert len(accepted) == outcomes["accepted"]
    assert sum(r["status"] == "failed" for r in rows) == outcomes["failed"]
    assert all(r["reason"] for r in rows if r["status"] == "failed")
    states = await all_final(pool, tenant, len(accepted), services, timeout_s=90)
    events = await fetch(
        pool,
        """SELECT correlation_key, started_run_ids FROM events
           WHERE tenant_id = $1 AND event_name = 'INBOUND_EMAIL_RECEIVED'""",
        tenant,
    )
    assert {e["correlation_key"] for e in events} == accepted
    assert all(len(e["started_run_ids"]) == 1 for e in events), events
    runs = await fetch(
        pool, "SELECT correlation_key FROM workflow_runs WHERE tenant_id = $1", tenant
    )
    assert sorted(r["correlation_key"] for r in runs) == sorted(accepted)
    return states


async def test_cpython_corpus_through_running_services_nothing_lost(
    running: Services, e2e_pool: asyncpg.Pool, capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(CORPUS) >= 40
    (http_tenant, http_box), (smtp_tenant, smtp_box) = await seed(e2e_pool), await seed(e2e_pool)
    by_http, by_smtp = await over_http(running, http_box), await over_smtp(running, smtp_box)
    http_states = await check_nothing_lost(e2e_pool, http_tenant, by_http, running)
    smtp_states = await check_nothing_lost(e2e_pool, smtp_tenant, by_smtp, running)
    with capsys.disabled():
        print(f"\nCPython corpus ({len(CORPUS)} files) through the running services:"
              f"\n  HTTP: {dict(by_http)} -> runs {http_states}"
              f"\n  SMTP: {dict(by_smtp)} -> runs {smtp_states}")  # fmt: skip
    for outcomes in (by_http, by_smtp):
        assert set(outcomes) <= {"accepted", "duplicate", "failed", "refused"}, outcomes
        assert sum(outcomes.values()) == len(CORPUS)
        assert outcomes["accepted"] >= 30
    for states in (http_states, smtp_states):
        assert all(key.startswith("SUCCEEDED/") for key in states), states
    for name in ("interpreter", "scheduler", "ingest"):
        assert running.children[name].alive(), name
        assert (await running.get(name, "/healthz")).status_code == 200, name
