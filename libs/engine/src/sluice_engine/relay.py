"""The outbox relay: publishes committed outbox rows to Kafka.

Loop: wait for a ``sluice_outbox`` notification, an in-process ``wake()`` or
the poll interval (the backstop for a missed notification), then drain: claim
up to ``batch_size`` pending rows with ``FOR UPDATE SKIP LOCKED`` in id order,
send them all, await every ack, stamp ``sent_at``, commit, repeat while
batches come back full.

Delivery is at least once: a relay killed after sending but before its
commit leaves the rows unsent and locked only by a dead session, so the next
claim re-sends them; consumers drop the repeats by envelope id. Several
relays may run: SKIP LOCKED hands each a disjoint batch. (Between relays,
two batches of the same key can then be published out of id order;
consumers of Sluice topics do not rely on cross-message order: commands are
idempotent and fenced by the run's seq.)

Failures come in two kinds (``sluice_messaging.delivery``). A transient one
(broker away, timeouts, leader moves) rolls the round back; the rows count a
failed attempt (``attempts``, ``last_error``) and the round is retried after
the poll interval, doubled per failure up to 2 s, as long as it takes (one
warning line per round, no traceback). A row Kafka refuses for good (larger
than the topic's ``max.message.bytes``, a topic that does not exist, an
invalid header) is found by sending the failed rows again one at a time,
then marked refused (``failed_at``) and filed as a dead letter, in the same
transaction that marks its neighbours sent: it no longer blocks the rows
behind it (``relay_refusals``). The relay owns its producer and replaces it
after a failed batch (``sluice_messaging.renewable``), and keeps its LISTEN
connection alive across drops (``relay_listen``).

Rows are stamped rather than deleted: a sent row answers "was this message
published, and when" for the retention window, and the partial index on
pending rows keeps the claim as cheap as with deletes. ``prune_sent`` deletes
old sent rows; refused rows stay until an operator deals with them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType

import asyncpg
from sluice_messaging.renewable import ProducerFactory, RenewableProducer
from sluice_storage.outbox import ClaimedRow, claim_batch, mark_sent, note_failed_attempt
from sluice_storage.pool import transaction

from sluice_engine.relay_listen import DB_ERRORS, NotifyListener
from sluice_engine.relay_refusals import (
    RelayRoundError,
    Settlement,
    file_refused,
    publish_rows,
)
from sluice_engine.transient import transient_cause

log = logging.getLogger(__name__)

# 500 rows per claim: one Kafka produce round per partition and one UPDATE;
# large enough that per-batch overhead (~2 DB round trips + acks) is amortised,
# small enough that a crash re-sends at most 500 messages.
DEFAULT_BATCH_SIZE = 500
# 1 s backstop poll: a lost notification delays a message by at most 1 s.
DEFAULT_POLL_INTERVAL_S = 1.0
# After a failed round the relay waits the poll interval, doubled for every further
# failure up to 2 s: an outage of PostgreSQL or Kafka costs a handful of rounds (and
# log lines) a second at first, then one every 2 s, and the relay is back within 2 s
# of the dependency.
MAX_BACKOFF_S = 2.0
LISTENER_STOP_S = 5.0  # an UNLISTEN is one round trip; a stuck one is cancelled
BatchHook = Callable[[list[ClaimedRow]], Awaitable[None]]


@dataclass
class RelayStats:
    batches: int = 0
    relayed: int = 0
    busy_seconds: float = 0.0
    failures: int = 0  # rounds that failed and were retried
    refused: int = 0  # rows Kafka refused for good (now dead letters)

    @property
    def rows_per_second(self) -> float:
        return self.relayed / self.busy_seconds if self.busy_seconds else 0.0


class OutboxRelay:
    """Relays the outbox with its own producer, made by ``producer_factory`` (unstarted).

    ``run`` stops the producer when it returns; a caller that only calls
    ``drain`` closes the relay itself (``await relay.close()`` or ``async with``).
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        producer_factory: ProducerFactory,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
        after_publish: BatchHook | None = None,
    ) -> None:
        self._pool = pool
        self.producer = RenewableProducer(producer_factory, "outbox relay")
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._backoff_s = poll_interval_s  # doubles per failed round, up to MAX_BACKOFF_S
        # Test seam: runs after the acks, before the commit (where a crash duplicates).
        self._after_publish = after_publish
        self._wakeup = asyncio.Event()
        self.listener = NotifyListener(pool, self.wake)
        self.stats = RelayStats()

    async def __aenter__(self) -> OutboxRelay:
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop the producer (it flushes first)."""
        await self.producer.close()

    async def relay_batch(self) -> int:
        """Claim, publish and settle one batch; returns how many rows it claimed."""
        started = time.perf_counter()
        async with transaction(self._pool) as conn:
            rows = await claim_batch(conn, self._batch_size)
            if not rows:
                return 0
            settled = await self._publish(rows)
            if self._after_publish is not None:
                await self._after_publish(rows)
            await mark_sent(conn, settled.sent)
            for row, why in settled.refused:
                await file_refused(conn, row, why)
        self.stats.batches += 1
        self.stats.relayed += len(settled.sent)
        self.stats.refused += len(settled.refused)
        self.stats.busy_seconds += time.perf_counter() - started
        return len(rows)

    async def _publish(self, rows: list[ClaimedRow]) -> Settlement:
        """``publish_rows``; any failure (the producer cannot even start, say) counts
        against the claimed rows."""
        try:
            return await publish_rows(self.producer, rows)
        except RelayRoundError:
            raise
        except Exception as exc:
            raise RelayRoundError(f"{type(exc).__name__}: {exc}", [r.id for r in rows]) from exc

    async def drain(self) -> int:
        """Relay until a batch comes back short (nothing more is waiting); rows claimed."""
        total = 0
        while True:
            claimed = await self.relay_batch()
            total += claimed
            if claimed < self._batch_size:
                return total

    async def _drain_or_back_off(self) -> None:
        """A broker or database outage must not end the relay: log, wait, retry.

        The failed batch's transaction rolled back, so its rows are simply
        claimed again on the next round.
        """
        try:
            await self.drain()
            self._backoff_s = self._poll_interval_s
        except Exception as exc:
            self.stats.failures += 1
            delay, self._backoff_s = self._backoff_s, min(self._backoff_s * 2, MAX_BACKOFF_S)
            expected = isinstance(exc, RelayRoundError) or transient_cause(exc) is not None
            if expected:  # an outage (broker or database away): one line per round
                log.warning("outbox relay round failed (%s); retrying in %.2f s", exc, delay)
            else:
                log.exception("outbox relay round failed; retrying in %.2f s", delay)
            if isinstance(exc, RelayRoundError):
                await self._count_attempt(exc)
            await asyncio.sleep(delay)

    async def _count_attempt(self, failure: RelayRoundError) -> None:
        """Best effort (the database may be what failed): a row that keeps failing shows."""
        with contextlib.suppress(*DB_ERRORS):
            async with transaction(self._pool) as conn:
                await note_failed_attempt(conn, failure.row_ids, failure.reason)

    def wake(self) -> None:
        """Relay now: a writer in this process just committed outbox rows (or a
        notification came). Saves the wait for the next poll (``WF_RELAY_POLL_S``)
        without NOTIFY's commit-time lock; wake-ups during a round coalesce into one
        more round."""
        self._wakeup.set()

    async def _wait_for_work(self, stop: asyncio.Event) -> None:
        """Until a wake-up, ``stop``, or the poll interval: whichever comes first."""
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
        """Relay until ``stop`` is set (or the task is cancelled), then close the producer."""
        stop = stop or asyncio.Event()
        done = asyncio.Event()  # ends the listener however run() ends (even cancelled)
        listening = asyncio.create_task(self.listener.run(done))
        try:
            while not stop.is_set():
                await self._drain_or_back_off()
                await self._wait_for_work(stop)
        finally:
            done.set()  # the listener UNLISTENs and gives its connection back
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(listening, LISTENER_STOP_S)
            await self.close()
        log.info("outbox relay stopped after %d rows", self.stats.relayed)
