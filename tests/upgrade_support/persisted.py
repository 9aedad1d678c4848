"""A tenant's persisted state, taken out of a database and Kafka and put back into fresh ones.

``capture_rows`` reads every row of every table that has a ``tenant_id`` column
(runs, snapshots, history, waits, tasks, invocations, jobs, events, outbox,
audit, definitions... and the test plugin's ``test_action_rows``), so nothing a
run owns is left behind by a list someone forgot to update. PostgreSQL itself
turns rows into JSON (``row_to_json``) and back (``json_populate_recordset``),
so every column type round-trips as the database sees it (bytea as ``\\x..``,
timestamps with their zone, jsonb as JSON).

``pending_messages`` reads what Kafka holds that the services' consumer groups
have not committed yet: the messages an upgrade finds in flight.

The topic prefix of the stack that wrote a fixture is replaced by a placeholder
(outbox rows name their topic), and put back as the loading stack's prefix.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sluice_messaging.consumer import create_consumer

PREFIX_PLACEHOLDER = "{{topicPrefix}}"
# The topics whose messages move runs forward; run updates and dead letters do not.
INPUT_TOPICS = ("events", "run-commands", "action-requests")
CONSUMER_ROLES = ("interpreter", "executor")  # Faust app ids: <prefix><role>

TENANT_TABLES = """
    SELECT c.table_name FROM information_schema.columns c
    JOIN information_schema.tables t USING (table_schema, table_name)
    WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id'
      AND t.table_type = 'BASE TABLE'
    ORDER BY c.table_name"""
# Stored generated columns cannot be inserted; PostgreSQL computes them again.
PLAIN_COLUMNS = """
    SELECT attname FROM pg_attribute
    WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
    ORDER BY attnum"""
FOREIGN_KEYS = """
    SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent
    FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace"""


async def capture_rows(conn: asyncpg.Connection, tenant_id: str) -> dict[str, list[Any]]:
    """Every row of ``tenant_id`` per table (tables without rows left out), in key order."""
    rows: dict[str, list[Any]] = {}
    for record in await conn.fetch(TENANT_TABLES):
        table = record["table_name"]
        columns = [r["attname"] for r in await conn.fetch(PLAIN_COLUMNS, table)]
        listed = ", ".join(f'"{c}"' for c in columns)
        found = await conn.fetch(
            f'SELECT row_to_json(r)::text AS row FROM (SELECT {listed} FROM "{table}" '
            f"WHERE tenant_id = $1 ORDER BY {listed}) r",
            tenant_id,
        )
        if found:
            rows[table] = [json.loads(r["row"]) for r in found]
    return rows


def _insert_order(tables: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """Parents before children (foreign keys), otherwise alphabetical."""
    ordered: list[str] = []
    remaining = sorted(tables)
    while remaining:
        ready = [t for t in remaining
                 if not any(c == t and p in remaining and p != t for c, p in edges)]  # fmt: skip
        if not ready:
            raise ValueError(f"foreign keys form a cycle among {remaining}")
        ordered += ready
        remaining = [t for t in remaining if t not in ready]
    return ordered


async def load_rows(conn: asyncpg.Connection, rows: dict[str, list[Any]]) -> dict[str, int]:
    """Insert captured rows as they were (ids included), then move every identity
    sequence past them; returns rows inserted per table. In the caller's transaction."""
    edges = [(r["child"], r["parent"]) for r in await conn.fetch(FOREIGN_KEYS)]
    inserted: dict[str, int] = {}
    for table in _insert_order(list(rows), edges):
        columns = sorted({key for row in rows[table] for key in row})
        listed = ", ".join(f'"{c}"' for c in columns)
        status = await conn.execute(
            f'INSERT INTO "{table}" ({listed}) OVERRIDING SYSTEM VALUE '
            f'SELECT {listed} FROM json_populate_recordset(NULL::"{table}", $1::text::json)',
            json.dumps(rows[table]),
        )
        inserted[table] = int(status.rsplit(" ", 1)[1])
        for column in columns:
            sequence = await conn.fetchval("SELECT pg_get_serial_sequence($1, $2)", table, column)
            if sequence is not None:
                await conn.execute(
                    f'SELECT setval($1, (SELECT max("{column}") FROM "{table}"))', sequence
                )
    return inserted


def _decode(value: bytes | None) -> dict[str, Any]:
    """A message value as the fixture keeps it: its text when UTF-8, else base64."""
    if value is None:
        return {"null": True}
    try:
        return {"text": value.decode()}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(value).decode()}


def encode_value(stored: dict[str, Any]) -> bytes | None:
    """The captured value, byte for byte."""
    if stored.get("null"):
        return None
    if "text" in stored:
        return str(stored["text"]).encode()
    return base64.b64decode(stored["base64"])


async def _committed(admin: AIOKafkaAdminClient, prefix: str) -> dict[TopicPartition, int]:
    """The furthest offset any of the services' groups committed, per partition."""
    committed: dict[TopicPartition, int] = {}
    for role in CONSUMER_ROLES:
        for tp, meta in (await admin.list_consumer_group_offsets(f"{prefix}{role}")).items():
            committed[tp] = max(committed.get(tp, 0), meta.offset)
    return committed


async def _read_ranges(consumer: AIOKafkaConsumer, ranges: dict[TopicPartition, tuple[int, int]],
                       timeout_s: float = 30) -> list[Any]:  # fmt: skip
    """The records in ``[start, end)`` of each partition, by partition then offset."""
    wanted = {tp: span for tp, span in ranges.items() if span[0] < span[1]}
    if not wanted:
        return []
    consumer.assign(list(wanted))
    for tp, (start, _end) in wanted.items():
        consumer.seek(tp, start)
    records: dict[TopicPartition, list[Any]] = {tp: [] for tp in wanted}
    deadline = asyncio.get_running_loop().time() + timeout_s
    while any(len(records[tp]) < end - start for tp, (start, end) in wanted.items()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"Kafka did not return {wanted} within {timeout_s} s")
        for tp, batch in (await consumer.getmany(timeout_ms=500)).items():
            records[tp] += [r for r in batch if r.offset < wanted[tp][1]]
    return [r for tp in sorted(wanted) for r in records[tp]]


async def pending_messages(bootstrap: str, prefix: str) -> list[dict[str, Any]]:
    """Messages on the input topics past every group's committed offset, in offset order."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = create_consumer(bootstrap, group_id=None)
    await admin.start()
    await consumer.start()
    try:
        committed = await _committed(admin, prefix)
        described = await admin.describe_topics([f"{prefix}{s}" for s in INPUT_TOPICS])
        partitions = {d["topic"]: sorted(p["partition"] for p in d["partitions"])
                      for d in described}  # fmt: skip
        tps = [TopicPartition(name, p) for name, parts in partitions.items() for p in parts]
        ends = await consumer.end_offsets(tps) if tps else {}
        spans = {tp: (committed.get(tp, 0), ends[tp]) for tp in tps}
        return [
            {"topic": record.topic.removeprefix(prefix),
             "key": record.key.decode() if record.key is not None else None,
             "value": _decode(record.value),
             "headers": [[k, v.decode()] for k, v in record.headers]}
            for record in await _read_ranges(consumer, spans)
        ]  # fmt: skip
    finally:
        await consumer.stop()
        await admin.close()


def tenant_of(message: dict[str, Any]) -> str | None:
    try:
        body = json.loads(message["value"].get("text", "null"))
    except json.JSONDecodeError:
        return None
    return body.get("tenantId") if isinstance(body, dict) else None
