"""Real-world MIME: every message file of CPython's ``test/test_email/data``, over HTTP and SMTP.

Each is processed (accepted), stored as failed with a reason, or refused with a
reason (400/554: not RFC 822); none crashes the service or is lost: every
message that is not refused has a stored row. Counts are printed (``-s``).
"""

from __future__ import annotations

import collections
from pathlib import Path

import aiosmtplib
import asyncpg
import httpx
import pytest
import test.test_email  # CPython's own test package ships on these machines

pytestmark = pytest.mark.integration
CORPUS = sorted(
    p for p in (Path(test.test_email.__file__).parent / "data").iterdir()
    if p.suffix in (".txt", ".eml") or p.name.startswith("msg_")
)  # fmt: skip


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 40


async def _stored_rows(pool: asyncpg.Pool, tenant_id: str) -> int:
    async with pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM helpdesk_inbound_emails WHERE tenant_id = $1", tenant_id
        )
    return int(count)


async def test_corpus_over_http_every_message_answered(
    ingest_http: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str, mailbox: str
) -> None:
    outcomes: collections.Counter[str] = collections.Counter()
    for path in CORPUS:
        answer = await ingest_http.post(
            f"/emails?to={mailbox}", content=path.read_bytes(),
            headers={"Content-Type": "message/rfc822"},
        )  # fmt: skip
        assert answer.status_code in (202, 400), (path.name, answer.text)
        body = answer.json()
        outcome = body["status"] if answer.status_code == 202 else body["code"]
        assert outcome != "failed" or body["reason"], path.name
        outcomes[outcome] += 1
    print(f"\nCPython email corpus over HTTP ({len(CORPUS)} files): {dict(outcomes)}")
    assert (await ingest_http.get("/healthz")).status_code == 200
    assert outcomes["accepted"] >= 30
    stored = outcomes["accepted"] + outcomes["failed"] + outcomes["duplicate"]
    # Duplicates share a row (the corpus repeats some Message-IDs), so rows <= answers.
    assert outcomes["accepted"] + outcomes["failed"] <= await _stored_rows(pool, tenant_id)
    assert await _stored_rows(pool, tenant_id) <= stored


async def test_corpus_over_smtp_every_message_answered(
    smtp_port: int, pool: asyncpg.Pool, tenant_id: str, mailbox: str
) -> None:
    outcomes: collections.Counter[str] = collections.Counter()
    for path in CORPUS:
        raw = path.read_bytes()
        try:
            _, reply = await aiosmtplib.send(
                raw, sender="corpus@customer.example", recipients=[mailbox],
                hostname="127.0.0.1", port=smtp_port,
            )  # fmt: skip
        except aiosmtplib.SMTPDataError as refused:
            outcomes["refused" if refused.code == 554 else f"{refused.code} {path.name}"] += 1
            continue
        outcome = reply.split()[2] if reply.startswith("2.0.0 OK") else reply
        outcomes[outcome] += 1
    print(f"\nCPython email corpus over SMTP ({len(CORPUS)} files): {dict(outcomes)}")
    assert set(outcomes) <= {"accepted", "duplicate", "failed", "refused"}, outcomes
    assert outcomes["accepted"] >= 30
    assert outcomes["accepted"] + outcomes["failed"] == await _stored_rows(pool, tenant_id)
