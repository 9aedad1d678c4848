"""Process-wide resources of the interpreter: pool, engine, DLQ, background tasks.

Two objects, so nothing is half-built: a ``Service`` is what exists before the
worker's event loop runs (settings, metrics, the handler table); its
``ensure_started()`` opens everything else once, inside the worker's loop (never
at import time, never bound to a loop before Faust starts it), and returns the
``Runtime`` every message handler receives, whose fields are all there. The
outbox relay and the DLQ publisher each own a Kafka producer and replace it
after a refused send, so a message Kafka refuses on one path never breaks the
other's sends.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
from sluice_config import Settings
from sluice_engine import (
    ActionHandlers,
    ActionServices,
    EngineContext,
    ExecutorConfig,
    load_plugins,
)
from sluice_engine.relay import OutboxRelay
from sluice_engine.run_metrics import RunMetrics
from sluice_messaging.dlq import DeadLetterPublisher, SourceRecord
from sluice_messaging.probe import PROBE_TIMEOUT_S, KafkaProbe
from sluice_messaging.producer import create_producer
from sluice_messaging.security import kafka_client_options
from sluice_messaging.topics import Topics
from sluice_secrets import build_resolver
from sluice_storage import PgDeadLetterSink, create_pool, database_problem
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
    """What a message handler needs, all of it open (built by ``Service.ensure_started``,
    or by a test on its own pool and topics)."""

    settings: Settings
    role: str
    topics: Topics
    pool: asyncpg.Pool
    engine: EngineContext
    dlq: DeadLetterPublisher
    handlers: ActionHandlers = field(default_factory=ActionHandlers)
    metrics: Metrics = field(default_factory=Metrics)
    progress: Progress = field(default_factory=Progress)
    owner: str = "interpreter"  # the executor's lease owner
    relay: OutboxRelay | None = None  # None: rows wait for another process's relay
    kafka_probe: KafkaProbe | None = None  # None: readiness does not ask Kafka
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @property
    def executor_config(self) -> ExecutorConfig:
        lease = timedelta(seconds=self.settings.action_lease_s)
        return ExecutorConfig(owner=self.owner, lease=lease)

    def wake_relay(self) -> None:
        """After a commit that wrote outbox rows: relay them without waiting for the poll."""
        if self.relay is not None:
            self.relay.wake()

    def spawn(self, name: str, coro: Coroutine[Any, Any, Any]) -> None:
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
        log.warning("dead-lettering %s@%s/%s: %s", record.topic, record.partition,
                    record.offset, reason)  # fmt: skip
        await self.dlq.send(record, reason)
        self.metrics.dead_letters.labels(agent).inc()

    async def readiness(self) -> dict[str, bool]:
        """Does each dependency answer now: PostgreSQL (``SELECT 1``,
        ``sluice_storage.database_problem``) and Kafka (a metadata request,
        ``KafkaProbe``), asked at once, so the answer comes within one probe timeout
        (0.8 s), not two."""

        async def kafka_answers() -> bool:
            return self.kafka_probe is None or await self.kafka_probe.answers()

        problem, kafka = await asyncio.gather(
            database_problem(self.pool, PROBE_TIMEOUT_S), kafka_answers()
        )
        return {"postgres": problem is None, "kafka": kafka}

    async def relay_forever(self, relay: OutboxRelay) -> None:
        """The relay, restarted after a failure (Kafka or PostgreSQL briefly away)."""
        while not self.stop_event.is_set():
            try:
                await relay.run(self.stop_event)
            except Exception:  # logged and retried: unsent rows stay in the outbox
                log.exception("outbox relay failed; restarting in %.0f s", RELAY_RESTART_S)
                await asyncio.sleep(RELAY_RESTART_S)

    async def stop(self) -> None:
        """Background tasks end (the relay finishes its round and closes its producer, the
        job poller waits for running jobs), then the DLQ producer flushes and closes, then
        the pool closes. Tasks still running after ``STOP_GRACE_S`` are cancelled (their
        work is redone after a restart)."""
        self.stop_event.set()
        await self._finish_tasks()
        await self.dlq.close()
        if self.kafka_probe is not None:
            await self.kafka_probe.close()
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


class RuntimeStoppingError(RuntimeError):
    """The service is stopping: nothing may start its runtime any more."""


def action_services(settings: Settings, pool: asyncpg.Pool) -> ActionServices:
    """Secrets (SPEC 15) and the tenants' private networks, for every handler."""
    return ActionServices(
        secrets=build_resolver(settings, pool),
        private_networks={t: tuple(n) for t, n in settings.http_allow_networks.items()},
    )


@dataclass
class Service:
    """The interpreter (or executor) process before and after its runtime starts."""

    settings: Settings
    role: str
    topics: Topics
    metrics: Metrics = field(default_factory=Metrics)
    progress: Progress = field(default_factory=Progress)
    handlers: ActionHandlers = field(default_factory=ActionHandlers)
    runtime: Runtime | None = None
    stopped: bool = False
    _lock: asyncio.Lock | None = None

    @classmethod
    def build(cls, settings: Settings, role: str) -> Service:
        return cls(settings=settings, role=role, topics=Topics.from_prefix(settings.topic_prefix))

    async def ensure_started(self) -> Runtime:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.stopped:
                raise RuntimeStoppingError(f"the {self.role} runtime is shutting down")
            if self.runtime is None:
                self.runtime = await self._start()
            return self.runtime

    async def start_unless_stopping(self) -> Runtime | None:
        """The runtime, or None when a stop (SIGTERM) came first: for the app's tasks and
        agents, for which a start made moot by the stop is no crash (a task that crashed
        during shutdown left the Faust worker hanging instead of exiting)."""
        try:
            return await self.ensure_started()
        except RuntimeStoppingError:
            return None

    async def _start(self) -> Runtime:
        settings = self.settings
        if not settings.kafka_bootstrap_servers:
            raise RuntimeError("WF_KAFKA_BOOTSTRAP_SERVERS is not set")
        bootstrap = settings.kafka_bootstrap_servers
        security = kafka_client_options(settings)
        registry = create_registry()
        load_plugins(settings.plugins, registry, self.handlers)
        registry.freeze()
        self.handlers.freeze()
        pool = await create_pool(settings, max_size=POOL_SIZE, lean_release=True)
        engine = EngineContext(
            registry=registry,
            topics=self.topics,
            notify_outbox=settings.outbox_notify,
            inline_handlers=self.handlers,  # pure actions run inside the advance
            action_services=action_services(settings, pool),
            metrics=RunMetrics(self.metrics.registry),
        )
        # Letters go one at a time (each awaits its ack): lingering would only delay them.
        dlq = DeadLetterPublisher(
            lambda: create_producer(bootstrap, linger_ms=0, **security), self.topics.dlq,
            PgDeadLetterSink(pool),
        )  # fmt: skip
        await dlq.producer.get()  # fail start-up, not the first poison message
        self.metrics.registry.register(DeadLetterCollector(dlq))
        relay = OutboxRelay(  # its own producer: it replaces it after a refused batch
            pool,
            lambda: create_producer(bootstrap, **security),
            poll_interval_s=settings.relay_poll_s,
        )
        self.metrics.registry.register(RelayCollector(relay))
        rt = Runtime(
            settings=settings, role=self.role, topics=self.topics, pool=pool, engine=engine,
            dlq=dlq, handlers=self.handlers, metrics=self.metrics, progress=self.progress,
            owner=owner_name(self.role), relay=relay,
            kafka_probe=KafkaProbe(bootstrap, **security),
        )  # fmt: skip
        rt.spawn("outbox-relay", rt.relay_forever(relay))
        log.info("%s runtime started (plugins: %r)", self.role, settings.plugins)
        return rt

    async def readiness(self) -> dict[str, bool]:
        """Each dependency's answer; all False before the runtime started."""
        if self.runtime is None:
            return {"postgres": False, "kafka": False}
        return await self.runtime.readiness()

    async def stop(self) -> None:
        """Clean shutdown, once (a runtime that never started has nothing to close)."""
        if self.stopped:
            return
        self.stopped = True
        if self.runtime is not None:
            await self.runtime.stop()
