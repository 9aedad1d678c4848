"""The outbox relay: publishes committed outbox rows to Kafka.

Loop: wait for a ``sluice_outbox`` notification or the poll interval (the
backstop for a missed notification, e.g. while the LISTEN connection was
being re-established), then drain: claim up to ``batch_size`` unsent rows
with ``FOR UPDATE SKIP LOCKED`` in id order, send them all, await every ack,
stamp ``sent_at``, commit, repeat while batches come back full.

Delivery is at least once: a relay killed after sending but before its
commit leaves the rows unsent and locked only by a dead session, so the next
claim re-sends them; consumers drop the repeats by envelope id. Several
relays may run: SKIP LOCKED hands each a disjoint batch. (Between relays,
two batches of the same key can then be published out of id order;
consumers of Sluice topics do not rely on cross-message order: commands are
idempotent and fenced by the run's seq.)

Rows are stamped rather than deleted: a sent row answers "was this message
published, and when" for the retention window, and the partial index on
unsent rows keeps the claim as cheap as with deletes. ``prune_sent`` deletes
old sent rows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaProducer
from sluice_messaging.producer import OutgoingMessage, publish_many

from sluice_storage.outbox import NOTIFY_CHANNEL, ClaimedRow, claim_batch, mark_sent
from sluice_storage.pool import transaction

log = logging.getLogger(__name__)

# 500 rows per claim: one Kafka produce round per partition and one UPDATE;
# large enough that per-batch overhead (~2 DB round trips + acks) is amortised,
# small enough that a crash re-sends at most 500 messages.
DEFAULT_BATCH_SIZE = 500
# 1 s backstop poll: a lost notification delays a message by at most 1 s.
DEFAULT_POLL_INTERVAL_S = 1.0
BatchHook = Callable[[list[ClaimedRow]], Awaitable[None]]


@dataclass
class RelayStats:
    batches: int = 0
    relayed: int = 0
    busy_seconds: float = 0.0
    failures: int = 0

    @property
    def rows_per_second(self) -> float:
        return self.relayed / self.busy_seconds if self.busy_seconds else 0.0


def to_outgoing(row: ClaimedRow) -> OutgoingMessage:
    headers = [(name, value.encode()) for name, value in row.headers.items()]
    key = row.key.encode() if row.key is not None else None
    return OutgoingMessage(row.topic, row.payload.encode(), key, headers)


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
        after_publish: BatchHook | None = None,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        # Test seam: runs after the acks, before the commit (where a crash duplicates).
        self._after_publish = after_publish
        self._wakeup = asyncio.Event()
        self.stats = RelayStats()

    async def relay_batch(self) -> int:
        """Claim, publish and mark one batch; returns how many rows it sent."""
        started = time.perf_counter()
        async with transaction(self._pool) as conn:
            rows = await claim_batch(conn, self._batch_size)
            if not rows:
                return 0
            await publish_many(self._producer, [to_outgoing(r) for r in rows])
            if self._after_publish is not None:
                await self._after_publish(rows)
            await mark_sent(conn, [r.id for r in rows])
        self.stats.batches += 1
        self.stats.relayed += len(rows)
        self.stats.busy_seconds += time.perf_counter() - started
        return len(rows)

    async def drain(self) -> int:
        """Relay until a batch comes back short (nothing more is waiting)."""
        total = 0
        while True:
            sent = await self.relay_batch()
            total += sent
            if sent < self._batch_size:
                return total

    async def _drain_or_back_off(self) -> None:
        """A broker or database outage must not end the relay: log, wait, retry.

        The failed batch's transaction rolled back, so its rows are simply
        claimed again on the next round.
        """
        try:
            await self.drain()
        except Exception:
            self.stats.failures += 1
            log.exception("outbox relay round failed; retrying in %.1f s", self._poll_interval_s)
            await asyncio.sleep(self._poll_interval_s)

    def _notified(self, *_args: object) -> None:
        self._wakeup.set()

    def wake(self) -> None:
        """Relay now: a writer in this process just committed outbox rows.

        Saves the wait for the next poll (``WF_RELAY_POLL_S``) on every hop without
        NOTIFY's commit-time lock; wake-ups during a round coalesce into one more round.
        """
        self._wakeup.set()

    async def _wait_for_work(self, stop: asyncio.Event) -> None:
        """Until a notification, ``stop``, or the poll interval: whichever comes first."""
        waiters = [asyncio.create_task(self._wakeup.wait()), asyncio.create_task(stop.wait())]
        try:
            await asyncio.wait(
                waiters, timeout=self._poll_interval_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
        self._wakeup.clear()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Relay until ``stop`` is set (or the task is cancelled)."""
        stop = stop or asyncio.Event()
        async with self._pool.acquire() as listen_conn:
            await listen_conn.add_listener(NOTIFY_CHANNEL, self._notified)
            try:
                while not stop.is_set():
                    await self._drain_or_back_off()
                    await self._wait_for_work(stop)
            finally:
                await listen_conn.remove_listener(NOTIFY_CHANNEL, self._notified)
        log.info("outbox relay stopped after %d rows", self.stats.relayed)
