"""Live run updates: one Kafka consumer per API process, fanned out to SSE subscribers.

The hub reads every partition of ``wf.run-updates`` (no consumer group: each API
process sees everything, nothing is committed) into one bounded ring shared by
all subscribers; a subscriber is a position, not a queue.

Positions. A position is the next offset of every partition, for example
``(57, 0, 12)`` (written ``57.0.12``), and is the SSE event id: the id of an
event is the position just after it. Positions only grow, component by
component, so ``Last-Event-ID`` resumes exactly: what follows is every update
whose offset is at or past the position's entry for its partition. Updates of
one run share a partition (the topic is keyed by run id), so they arrive in the
order the interpreter committed them. Offsets are the same for every API
process, so a position from one resumes on another.

Falling behind. The ring holds the last ``RING_CAPACITY`` updates. A subscriber
whose position is older than the ring (it reconnects after a while, the API
restarted, or it was too slow to read while the ring turned over) is caught up
from Kafka itself with a short-lived consumer, as long as the gap is at most
``MAX_CATCH_UP`` records; beyond that (or when Kafka no longer has them) it gets
a ``resync`` event carrying the current position: refetch what you show, then
carry on from here. Memory per process is the ring, whatever the number of
subscribers or how slow they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from sluice_messaging.consumer import create_consumer
from sluice_messaging.envelope import decode
from sluice_messaging.errors import EnvelopeError

log = logging.getLogger(__name__)

# 10,000 updates: ~50 s of the 200 updates/s a busy tenant produces, about 5 MB of
# small JSON bodies; older positions are caught up from Kafka instead.
RING_CAPACITY = 10_000
# A reconnect more than 50,000 updates behind gets a resync: replaying that many
# events into a browser costs more than refetching one page of runs.
MAX_CATCH_UP = 50_000
POLL_MS = 500

Position = tuple[int, ...]


class PositionError(ValueError):
    """A Last-Event-ID that is not a position this API wrote."""


def format_position(position: Position) -> str:
    return ".".join(str(offset) for offset in position)


def parse_position(text: str, partitions: int) -> Position | None:
    """The position in ``text``; ``None`` when it was written for another partition
    count (the topic grew: the subscriber resyncs); ``PositionError`` if malformed."""
    parts = text.strip().split(".")
    if not all(part.isdigit() for part in parts) or len(parts) > 10_000:
        raise PositionError(f"Last-Event-ID {text[:80]!r} is not a position like '57.0.12'")
    if len(parts) != partitions:
        return None
    return tuple(int(part) for part in parts)


@dataclass(frozen=True)
class RunUpdate:
    """One message of ``wf.run-updates``, as the stream sends it."""

    seq: int  # order of arrival in this process
    partition: int
    offset: int
    tenant_id: str
    run_id: str | None
    data: str  # the JSON of the SSE ``data`` line


@dataclass(frozen=True)
class Sent:
    """What a subscription yields: ``ready`` (first, with the starting position),
    ``update`` or ``resync``. Heartbeats are the HTTP layer's (FastAPI's SSE
    response writes a comment line after 15 s without an event)."""

    event: str
    position: Position
    data: str = "{}"


def _update_data(raw: bytes | None) -> tuple[str, str | None, str] | None:
    try:
        envelope = decode(raw)
    except EnvelopeError as exc:
        log.warning("run update skipped: %s", exc)
        return None
    run_id = str(envelope.run_id) if envelope.run_id else envelope.body.get("runId")
    body = {**envelope.body, "runId": run_id, "type": envelope.type,
            "occurredAt": envelope.occurred_at.isoformat()}  # fmt: skip
    return envelope.tenant_id, run_id, json.dumps(body, separators=(",", ":"))


class RunUpdateHub:
    """Started on the first subscription (an API that never streams never connects)."""

    def __init__(self, bootstrap_servers: str, topic: str, *, capacity: int = RING_CAPACITY,
                 max_catch_up: int = MAX_CATCH_UP) -> None:  # fmt: skip
        self.bootstrap_servers, self.topic = bootstrap_servers, topic
        self.capacity, self.max_catch_up = capacity, max_catch_up
        self._ring: deque[RunUpdate] = deque()
        self._seq = itertools.count()
        self._position: list[int] = []
        self._floor: list[int] = []  # the ring has every update at or past floor[p]
        self._changed = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.catch_ups = self.resyncs = 0

    @property
    def position(self) -> Position:
        return tuple(self._position)

    async def start(self) -> None:
        async with self._lock:
            if self._task is not None:
                return
            consumer = create_consumer(self.bootstrap_servers, group_id=None)
            await consumer.start()
            try:
                partitions = await _partitions(consumer, self.topic)
                await consumer.seek_to_end(*partitions)
                self._position = [await consumer.position(tp) for tp in partitions]
            except BaseException:
                await consumer.stop()
                raise
            self._floor = list(self._position)
            self._consumer = consumer
            self._task = asyncio.create_task(self._pump(consumer), name="run-update-hub")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def _pump(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                batches = await consumer.getmany(timeout_ms=POLL_MS)
            except asyncio.CancelledError:
                raise
            except Exception:  # Kafka away: aiokafka reconnects; keep the hub alive
                log.exception("run update hub: fetch failed; retrying")
                await asyncio.sleep(1.0)
                continue
            for tp, records in batches.items():
                for record in records:
                    self._append(tp.partition, record.offset, record.value)
            if batches:
                self._changed.set()
                self._changed = asyncio.Event()

    def _append(self, partition: int, offset: int, raw: bytes | None) -> None:
        self._position[partition] = offset + 1
        decoded = _update_data(raw)
        if decoded is None:
            return
        if len(self._ring) >= self.capacity:
            evicted = self._ring.popleft()
            self._floor[evicted.partition] = evicted.offset + 1
        tenant_id, run_id, data = decoded
        self._ring.append(RunUpdate(next(self._seq), partition, offset, tenant_id, run_id, data))

    async def subscribe(
        self, tenant_id: str, run_id: str | None, since: Position | None
    ) -> AsyncIterator[Sent]:
        """Updates of ``tenant_id`` (of one run when ``run_id``) after ``since`` (None: now)."""
        await self.start()
        position = list(since if since is not None else self._position)
        yield Sent("ready", tuple(position))
        cursor = 0
        while True:
            if any(p < f for p, f in zip(position, self._floor, strict=True)):
                async for sent in self._catch_up(position, tenant_id, run_id):
                    yield sent
                cursor = 0  # rescan the ring; offsets below the position are skipped
            first = self._ring[0].seq if self._ring else cursor
            pending = list(itertools.islice(self._ring, max(0, cursor - first), None))
            changed = self._changed
            for update in pending:
                cursor = update.seq + 1
                if update.offset < position[update.partition]:
                    continue
                position[update.partition] = update.offset + 1
                if update.tenant_id == tenant_id and (run_id is None or update.run_id == run_id):
                    yield Sent("update", tuple(position), update.data)
            await changed.wait()

    async def _catch_up(
        self, position: list[int], tenant_id: str, run_id: str | None
    ) -> AsyncIterator[Sent]:
        """Read ``[position[p], floor[p])`` of the partitions behind the ring from Kafka
        (advancing ``position`` in place), or resync when the gap is too large or gone."""
        ends = {p: f for p, f in enumerate(self._floor) if position[p] < f}
        gap = sum(end - position[p] for p, end in ends.items())
        consumer = create_consumer(self.bootstrap_servers, group_id=None)
        await consumer.start()
        try:
            parts = [TopicPartition(self.topic, p) for p in ends]
            consumer.assign(parts)
            kept = await consumer.beginning_offsets(parts)
            if gap > self.max_catch_up or any(kept[tp] > position[tp.partition] for tp in parts):
                self.resyncs += 1
                position[:] = self._position
                yield Sent("resync", tuple(position), json.dumps({"missed": gap}))
                return
            self.catch_ups += 1
            for tp in parts:
                consumer.seek(tp, position[tp.partition])
            async for sent in _read_until(consumer, ends, position, tenant_id, run_id):
                yield sent
        finally:
            await consumer.stop()


async def _read_until(
    consumer: AIOKafkaConsumer,
    ends: dict[int, int],
    position: list[int],
    tenant_id: str,
    run_id: str | None,
) -> AsyncIterator[Sent]:
    """Records of each assigned partition up to ``ends[p]`` (exclusive), as updates."""
    remaining = set(consumer.assignment())
    while remaining:
        batches = await consumer.getmany(*remaining, timeout_ms=POLL_MS)
        for tp, records in batches.items():
            for record in records:
                p = tp.partition
                if not position[p] <= record.offset < ends[p]:
                    continue
                position[p] = record.offset + 1
                decoded = _update_data(record.value)
                if decoded and decoded[0] == tenant_id and run_id in (None, decoded[1]):
                    yield Sent("update", tuple(position), decoded[2])
        for tp in list(remaining):  # offsets may have gaps: go by the fetch position
            if await consumer.position(tp) >= ends[tp.partition]:
                position[tp.partition] = max(position[tp.partition], ends[tp.partition])
                remaining.discard(tp)


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """Subscribe without a group (every partition is ours) and wait for the assignment."""
    consumer.subscribe([topic])
    for _ in range(100):  # metadata arrives within a few polls; ~10 s at most
        found = consumer.assignment()
        if found:
            return sorted(found, key=lambda tp: tp.partition)
        await asyncio.sleep(0.1)
    raise RuntimeError(f"topic {topic} does not exist or has no partitions")
