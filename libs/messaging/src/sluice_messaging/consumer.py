"""A plain Kafka consumer for readers outside Faust (the API's live run updates).

The interpreter consumes through Faust (``sluice_interpreter``) and drops
redelivered commands by id in PostgreSQL (``applied_commands``); this helper
only builds the client.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer


def create_consumer(
    bootstrap_servers: str, *topics: str, group_id: str | None, **overrides: Any
) -> AIOKafkaConsumer:
    """An unstarted consumer: manual commits, start from the earliest offset.
    ``group_id=None``: no group, nothing committed; assign partitions yourself."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
    }
    options.update(overrides)
    return AIOKafkaConsumer(*topics, **options)
