"""Create Sluice's topics, idempotently, with explicit partition counts.

The broker never auto-creates topics (``auto.create.topics.enable=false``), so
this is the one place topics come from: ``sluice dev``, the test fixtures and
the ``sluice topics create`` command (the Helm chart's and the compose
file's set-up job) all call :func:`ensure_topics`. Running it again is
harmless: existing topics are kept, and a topic with fewer partitions than asked
is grown (Kafka cannot shrink one, so a larger count is left as it is).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from sluice_messaging.topics import Topics

_NO_ERROR = 0


async def ensure_topics(
    bootstrap: str,
    topics: Topics | Iterable[str],
    partitions: int,
    *,
    replication_factor: int = 1,
    timeout_s: float = 30.0,
    client_options: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """Make sure every topic exists with at least ``partitions`` partitions and a
    leader for each; returns the partition count of each topic afterwards.
    ``client_options``: security settings (``security.kafka_client_options``)."""
    names = list(topics.all() if isinstance(topics, Topics) else topics)
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=int(timeout_s * 1000),
        **dict(client_options or {}),
    )
    await admin.start()
    try:
        await _create_missing(admin, names, partitions, replication_factor)
        counts = await _wait_for_leaders(admin, names, 1, timeout_s)
        short = {name: partitions for name, count in counts.items() if count < partitions}
        if short:
            await _grow(admin, short)
            counts = await _wait_for_leaders(admin, names, partitions, timeout_s)
        return counts
    finally:
        await admin.close()


async def _create_missing(
    admin: AIOKafkaAdminClient, names: list[str], partitions: int, replication_factor: int
) -> None:
    requests = [NewTopic(name, partitions, replication_factor) for name in names]
    response = await admin.create_topics(requests)
    for topic, code, *message in response.topic_errors:
        if code not in (_NO_ERROR, TopicAlreadyExistsError.errno):
            raise for_code(code)(f"could not create topic {topic}: {message}")


async def _grow(admin: AIOKafkaAdminClient, wanted: Mapping[str, int]) -> None:
    await admin.create_partitions({name: NewPartitions(count) for name, count in wanted.items()})


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, names: list[str], at_least: int, timeout_s: float
) -> dict[str, int]:
    """Creation returns before every partition has a leader; a producer that
    starts right away would see LEADER_NOT_AVAILABLE, so wait until it cannot
    (and, after growing, until metadata shows ``at_least`` partitions)."""
    deadline = time.monotonic() + timeout_s
    while True:
        described = await admin.describe_topics(names)
        counts = _led_partition_counts(described)
        if set(counts) == set(names) and min(counts.values(), default=at_least) >= at_least:
            return counts
        if time.monotonic() > deadline:
            missing = sorted(set(names) - set(counts))
            raise KafkaError(f"topics without a leader after {timeout_s:.0f} s: {missing}")
        await asyncio.sleep(0.1)


def _led_partition_counts(described: list[dict[str, Any]]) -> dict[str, int]:
    """Partition count per topic whose metadata is complete (no error, every
    partition led); topics still settling are left out."""
    counts: dict[str, int] = {}
    for topic in described:
        parts = topic.get("partitions", [])
        if topic.get("error_code") == _NO_ERROR and parts and all(p["leader"] >= 0 for p in parts):
            counts[topic["topic"]] = len(parts)
    return counts
