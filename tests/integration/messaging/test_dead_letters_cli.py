"""``sluice dead-letters``: a platform operator lists, reads, requeues and discards the
letters no tenant can see (``_unknown``), on the real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from click.testing import CliRunner
from sluice_cli.main import cli
from sluice_messaging.dlq import UNKNOWN_TENANT, DeadLetter
from sluice_messaging.topics import Topics
from sluice_storage.dead_letters import mirror_dead_letter

pytestmark = pytest.mark.integration
RAW = b"\x00not json \xff from a librdkafka producer"


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """The real command in a worker thread (it runs its own event loop, as from a shell)."""
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def env(migrated_database_url: str, kafka_bootstrap_servers: str) -> dict[str, str]:
    return {"WF_DATABASE_URL": migrated_database_url,
            "WF_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers}  # fmt: skip


async def _file_unknown_letter(pool: asyncpg.Pool, topic: str) -> uuid.UUID:
    offset = int(uuid.uuid4().int % 10**9)  # a fresh source position: mirrored once per position
    letter = DeadLetter(UNKNOWN_TENANT, topic, 0, offset, b"key-1", RAW, "not JSON",
                        [("source", b"kcat")])  # fmt: skip
    async with pool.acquire() as conn:
        assert await mirror_dead_letter(conn, letter)
        return await conn.fetchval(
            'SELECT id FROM dead_letters WHERE topic = $1 AND "offset" = $2', topic, offset
        )


async def test_unknown_letters_are_listed_and_shown_with_their_bytes(
    env: dict[str, str], pool: asyncpg.Pool, topics: Topics
) -> None:
    letter_id = await _file_unknown_letter(pool, topics.events)
    code, out, err = await run_cli(env, "dead-letters", "list", "--json", "--limit", "500")
    assert code == 0, err
    listed = [json.loads(line) for line in out.splitlines()]
    mine = next(item for item in listed if item["id"] == str(letter_id))
    assert mine["tenantId"] == UNKNOWN_TENANT
    assert mine["valueBytes"] == len(RAW)
    assert {item["tenantId"] for item in listed} == {UNKNOWN_TENANT}
    code, out, err = await run_cli(env, "dead-letters", "show", str(letter_id))
    assert code == 0, err
    assert "\\x00not json \\xff" in out  # bytes escaped, never dropped
    assert '"source": "kcat"' in out


async def test_requeue_publishes_the_original_bytes_and_stamps_the_letter(
    env: dict[str, str], pool: asyncpg.Pool, topics: Topics, kafka_bootstrap_servers: str
) -> None:
    letter_id = await _file_unknown_letter(pool, topics.events)
    consumer = AIOKafkaConsumer(topics.events, bootstrap_servers=kafka_bootstrap_servers,
                                auto_offset_reset="earliest", group_id=None)  # fmt: skip
    await consumer.start()
    try:
        code, out, err = await run_cli(
            env, "dead-letters", "requeue", str(letter_id), "--reason", "consumer fixed"
        )
        assert code == 0, err
        assert f"requeued {letter_id} to {topics.events}" in out
        record = await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (b"key-1", RAW)
    assert dict(record.headers)["source"] == b"kcat"
    stamped = await pool.fetchval("SELECT requeued_at FROM dead_letters WHERE id = $1", letter_id)
    assert stamped is not None


async def test_discard_deletes_and_unknown_ids_fail_with_a_reason(
    env: dict[str, str], pool: asyncpg.Pool, topics: Topics
) -> None:
    letter_id = await _file_unknown_letter(pool, topics.events)
    code, out, _ = await run_cli(env, "dead-letters", "discard", str(letter_id), "--reason", "junk")
    assert code == 0
    assert "discarded" in out
    assert await pool.fetchval("SELECT count(*) FROM dead_letters WHERE id = $1", letter_id) == 0
    code, out, err = await run_cli(env, "dead-letters", "discard", str(letter_id), "--reason", "x")
    assert code == 1
    assert f"no dead letter {letter_id}" in err
    code, _, err = await run_cli(env, "dead-letters", "show", "not-a-uuid")
    assert code == 2
    assert "not a dead letter id" in err
