"""JSON parameters holding NaN or Infinity are refused before anything is sent, by name.

The codec raises ``StorageError``; asyncpg wraps every codec error in
``asyncpg.DataError`` and keeps ours as the cause and in the message.
"""

from __future__ import annotations

import math
import uuid

import asyncpg
import pytest
from sluice_messaging.dlq import DeadLetter
from sluice_storage import StorageError, mirror_dead_letter, transaction

pytestmark = pytest.mark.integration


async def test_non_finite_number_in_a_json_parameter_is_refused_naming_its_place(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.DataError) as caught:
            await conn.fetchval("SELECT $1::jsonb", {"payload": {"a": [1, math.inf]}})
    assert isinstance(caught.value.__cause__, StorageError)
    assert str(caught.value.__cause__) == (
        "cannot store this JSON value: payload.a.1: Infinity is not a JSON number"
    )
    assert "payload.a.1: Infinity is not a JSON number" in str(caught.value)


async def test_refused_parameter_rolls_its_transaction_back(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    insert = """INSERT INTO dead_letters (tenant_id, id, topic, "partition", "offset",
                    payload, headers, reason)
                VALUES ($1, $2, 't', $3, 0, $4, '{}', 'r')"""

    async def two_inserts() -> None:
        async with transaction(pool) as conn:
            await conn.execute(insert, tenant_id, uuid.uuid4(), 0, {"vars": {"x": 1}})
            await conn.execute(insert, tenant_id, uuid.uuid4(), 1, {"vars": {"x": math.nan}})

    with pytest.raises(asyncpg.DataError, match=r"vars\.x: NaN is not a JSON number"):
        await two_inserts()
    async with pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM dead_letters WHERE tenant_id = $1", tenant_id
        )
    assert count == 0  # the first insert went with the second


async def test_dead_letter_holding_nan_is_mirrored_without_a_display_form(
    pool: asyncpg.Pool, tenant_id: str
) -> None:
    value = b'{"tenantId": "%s", "body": {"payload": {"a": NaN}}}' % tenant_id.encode()
    letter = DeadLetter(tenant_id, "wf.events", 0, 7, b"k", value, "invalid event: NaN")
    async with pool.acquire() as conn:
        assert await mirror_dead_letter(conn, letter)
        row = await conn.fetchrow(
            "SELECT value, payload, reason FROM dead_letters WHERE tenant_id = $1", tenant_id
        )
    assert (row["value"], row["payload"], row["reason"]) == (value, None, "invalid event: NaN")


async def test_finite_json_still_round_trips(pool: asyncpg.Pool) -> None:
    value = {"x": 1.5, "int": 10**40, "text": "NaN Infinity", "list": [-0.25, None]}
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT $1::jsonb", value) == value
