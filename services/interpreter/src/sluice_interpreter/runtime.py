"""Process-wide resources of the interpreter: pool, engine, DLQ, background tasks.

Created lazily on first use inside the worker's event loop (never at import
time, never bound to a loop before Faust starts it). The outbox relay and the
DLQ publisher each own a Kafka producer and replace it after a refused send,
so a message Kafka refuses on one path never breaks the other's sends.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
from sluice_config import Settings
from sluice_engine import ActionHandlers, EngineContext, ExecutorConfig, load_plugins
from sluice_messaging.dlq import DeadLetterPublisher, SourceRecord
from sluice_messaging.producer import create_producer
from sluice_messaging.security import kafka_client_options
from sluice_messaging.topics import Topics
from sluice_storage import OutboxRelay, PgDeadLetterSink, create_pool
from workflow_core.registry import create_registry

from sluice_interpreter.metrics import DeadLetterCollector, Metrics, Progress, RelayCollector

log = logging.getLogger(__name__)
RELAY_RESTART_S = 1.0
# At shutdown: the relay's last round and running action jobs get this long
# (a job's handler, e.g. an SMTP send, usually takes well under 10 s; one that
# is cut off runs again when its lease expires).
STOP_GRACE_S = 10.0
# 16 advance lanes + up to 16 router lanes share it with executor handlers and the relay.
POOL_SIZE = 40


def owner_name(role: str) -> str:
    """Unique per process: a restarted executor never mistakes an old lease for its own."""
    return f"{role}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@dataclass
class Runtime:
    settings: Settings
    role: str
    topics: Topics
    metrics: Metrics = field(default_factory=Metrics)
    progress: Progress = field(default_factory=Progress)
    handlers: ActionHandlers = field(default_factory=ActionHandlers)
    started: bool = False
    stopped: bool = False
    _lock: asyncio.Lock | None = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    pool: asyncpg.Pool | None = None
    engine: EngineContext | None = None
    dlq: DeadLetterPublisher | None = None
    stop_event: asyncio.Event | None = None
    relay: OutboxRelay | None = None
    _owner: str = ""

    @classmethod
    def build(cls, settings: Settings, role: str) -> Runtime:
        return cls(settings=settings, role=role, topics=Topics.from_prefix(settings.topic_prefix))

    @property
    def executor_config(self) -> ExecutorConfig:
        lease = timedelta(seconds=self.settings.action_lease_s)
        return ExecutorConfig(owner=self._owner, lease=lease)

    async def ensure_started(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.stopped:
                raise RuntimeError(f"the {self.role} runtime is shutting down")
            if not self.started:
                await self._start()
                self.started = True

    async def _start(self) -> None:
        settings = self.settings
        registry = create_registry()
        load_plugins(settings.plugins, registry, self.handlers)
        registry.freeze()
        self.handlers.freeze()
        self._owner = owner_name(self.role)
        self.engine = EngineContext(
            registry=registry,
            topics=self.topics,
            notify_outbox=settings.outbox_notify,
            inline_handlers=self.handlers,  # pure actions run inside the advance
        )
        self.pool = await create_pool(settings, max_size=POOL_SIZE, lean_release=True)
        assert settings.kafka_bootstrap_servers is not None
        bootstrap = settings.kafka_bootstrap_servers
        security = kafka_client_options(settings)
        # Letters go one at a time (each awaits its ack): lingering would only delay them.
        self.dlq = DeadLetterPublisher(
            lambda: create_producer(bootstrap, linger_ms=0, **security), self.topics.dlq,
            PgDeadLetterSink(self.pool),
        )  # fmt: skip
        await self.dlq.producer.get()  # fail start-up, not the first poison message
        self.metrics.registry.register(DeadLetterCollector(self.dlq))
        self.stop_event = asyncio.Event()
        relay = OutboxRelay(  # its own producer: it replaces it after a refused batch
            self.pool,
            lambda: create_producer(bootstrap, **security),
            poll_interval_s=settings.relay_poll_s,
        )
        self.relay = relay
        self.metrics.registry.register(RelayCollector(relay))
        self.spawn("outbox-relay", self._relay_forever(relay))
        log.info("%s runtime started (plugins: %r)", self.role, settings.plugins)

    async def _relay_forever(self, relay: OutboxRelay) -> None:
        """The relay, restarted after a failure (Kafka or PostgreSQL briefly away)."""
        assert self.stop_event is not None
        while not self.stop_event.is_set():
            try:
                await relay.run(self.stop_event)
            except Exception:  # logged and retried: unsent rows stay in the outbox
                log.exception("outbox relay failed; restarting in %.0f s", RELAY_RESTART_S)
                await asyncio.sleep(RELAY_RESTART_S)

    def wake_relay(self) -> None:
        """After a commit that wrote outbox rows: relay them without waiting for the poll."""
        if self.relay is not None:
            self.relay.wake()

    def spawn(self, name: str, coro: Any) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        task.add_done_callback(lambda t: self._task_done(name, t))
        self._tasks.append(task)

    def _task_done(self, name: str, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("background task %s crashed: %r", name, exc, exc_info=exc)
            self.progress.crashed[name] = repr(exc)

    async def dead_letter(self, agent: str, record: SourceRecord, reason: str) -> None:
        assert self.dlq is not None
        log.warning("dead-lettering %s@%s/%s: %s", record.topic, record.partition,
                    record.offset, reason)  # fmt: skip
        await self.dlq.send(record, reason)
        self.metrics.dead_letters.labels(agent).inc()

    async def ready(self) -> bool:
        if not self.started or self.pool is None:
            return False
        try:
            async with self.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
        return True

    async def stop(self) -> None:
        """Clean shutdown, once: background tasks end (the relay finishes its round and
        closes its producer, the job poller waits for running jobs), then the DLQ
        producer flushes and closes, then the pool closes. Tasks still running after
        ``STOP_GRACE_S`` are cancelled (their work is redone after a restart)."""
        if self.stopped:
            return
        self.stopped = True
        if self.stop_event is not None:
            self.stop_event.set()
        await self._finish_tasks()
        if self.dlq is not None:
            await self.dlq.close()
        if self.pool is not None:
            try:  # close() waits for every connection to come back; a stuck one must not hang us
                await asyncio.wait_for(self.pool.close(), STOP_GRACE_S)
            except TimeoutError:
                log.warning("pool not closed within %.0f s: terminated", STOP_GRACE_S)
                self.pool.terminate()
        log.info("%s runtime stopped", self.role)

    async def _finish_tasks(self) -> None:
        if not self._tasks:
            return
        _done, late = await asyncio.wait(self._tasks, timeout=STOP_GRACE_S)
        for task in late:
            log.warning("background task %r still running at shutdown: cancelled", task)
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=STOP_GRACE_S)
