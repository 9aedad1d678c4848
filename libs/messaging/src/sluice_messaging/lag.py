"""Consumer lag: how far each consumer group's committed offsets trail the topics' ends.

Read from outside the group (an admin client for the committed offsets, a
group-less consumer for the end offsets), so any process can report it and a
group that stopped consuming still shows its growing lag.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from sluice_messaging.consumer import create_consumer


async def read_consumer_lag(
    bootstrap_servers: str, groups: Iterable[str], **options: Any
) -> dict[tuple[str, str], int]:
    """``consumer_lag`` with clients of its own (``options``: security settings)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **options)
    consumer = create_consumer(bootstrap_servers, group_id=None, **options)
    await admin.start()
    try:
        await consumer.start()
        try:
            return await consumer_lag(admin, consumer, groups)
        finally:
            await consumer.stop()
    finally:
        await admin.close()


async def consumer_lag(
    admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, groups: Iterable[str]
) -> dict[tuple[str, str], int]:
    """(group, topic) -> messages not yet committed, summed over the topic's partitions.

    A group with no committed offset on a partition counts nothing there (it
    starts at the earliest offset, which retention may have moved).
    """
    lag: dict[tuple[str, str], int] = {}
    for group in groups:
        committed = await admin.list_consumer_group_offsets(group)
        if not committed:
            continue
        ends = await consumer.end_offsets(list(committed))
        for tp, meta in committed.items():
            behind = max(0, ends.get(tp, 0) - meta.offset) if meta.offset >= 0 else 0
            lag[(group, tp.topic)] = lag.get((group, tp.topic), 0) + behind
    return lag
