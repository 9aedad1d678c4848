"""The interpreter as a Faust app, built in a factory (never at import time).

Roles: ``interpreter`` (advance agent on run-commands, event router on
events, and the action executor unless ``WF_EXECUTOR_APART``) on :8002, or
``executor`` (the action executor alone) on :8004. Every agent runs with
``concurrency=1`` (Faust can commit offsets past an unfinished message
otherwise) and scales by partitions. No Faust tables: PostgreSQL is the only
state. Topics are created up front, so Faust may not declare any.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sluice_config import Settings
from sluice_messaging.security import kafka_ssl_context
from sluice_telemetry import headers_of

from sluice_interpreter.accepting import accept_requests
from sluice_interpreter.batching import handle_command_batch
from sluice_interpreter.fetching import ShortPollTransport
from sluice_interpreter.handling import Record, handle_events
from sluice_interpreter.jobs import JobRunner
from sluice_interpreter.runtime import Runtime, Service

log = logging.getLogger(__name__)

# Up to 500 records per batch, waiting at most 20 ms for a batch to fill: at
# high load batches fill at once; at low load a message waits <= 20 ms.
BATCH_MAX = 500
BATCH_WITHIN_S = 0.02
# A killed instance's partitions move after 6 s (the broker's minimum; Kafka's default is 45 s,
# faust's 60 s): a crashed instance's partitions must not stall for a minute.
SESSION_TIMEOUT_S = 6.0
HEARTBEAT_S = 2.0

Handler = Callable[[Runtime, Sequence[Record]], Awaitable[Any]]


def broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap.split(",") if server.strip()]


def _faust_dir(settings: Settings) -> Path:
    """Faust keeps a (here empty: no tables) data directory per app id: under the
    cache, not in whatever directory the worker was started from. Faust creates only
    the last level."""
    parent = settings.cache_dir / "faust"
    parent.mkdir(parents=True, exist_ok=True)
    return parent


def broker_credentials(settings: Settings) -> Any:
    """Faust's form of the Kafka security settings (``WF_KAFKA_SECURITY_PROTOCOL``...):
    the same values ``sluice_messaging.security`` gives the relay's producers."""
    context = kafka_ssl_context(settings)
    if settings.kafka_security_protocol.startswith("SASL"):
        password = settings.kafka_sasl_password
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=password.get_secret_value() if password else None,
            ssl_context=context,
            mechanism=settings.kafka_sasl_mechanism,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def _faust_app(settings: Settings, role: str, port: int) -> faust.App:
    assert settings.kafka_bootstrap_servers, "WF_KAFKA_BOOTSTRAP_SERVERS is not set"
    app = faust.App(
        f"{settings.topic_prefix}{role}",
        broker=broker_urls(settings.kafka_bootstrap_servers),
        broker_credentials=broker_credentials(settings),
        topic_partitions=settings.topic_partitions,
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=SESSION_TIMEOUT_S,
        broker_heartbeat_interval=HEARTBEAT_S,
        producer_acks=-1,
        web_port=port,
        web_bind="0.0.0.0",
        web_host=settings.api_host,
        autodiscover=False,
        store="memory://",
        datadir=str(_faust_dir(settings) / "{conf.name}-data"),
    )
    app.transport = ShortPollTransport(app.conf.broker_consumer, app)
    return app


def create_app(settings: Settings, role: str = "interpreter") -> tuple[faust.App, Service]:
    if role not in ("interpreter", "executor"):
        raise ValueError(f"unknown role {role!r}: interpreter or executor")
    port = settings.interpreter_port if role == "interpreter" else settings.executor_port
    app = _faust_app(settings, role, port)
    service = Service.build(settings, role)
    if role == "interpreter":
        _agent(app, service, service.topics.run_commands, "advance", handle_command_batch)
        _agent(app, service, service.topics.events, "router", handle_events)
    if role == "executor" or not settings.executor_apart:
        _executor(app, service)
    _pages(app, service)

    @app.task  # type: ignore[untyped-decorator]  # faust is untyped
    async def start_runtime() -> None:
        await service.start_unless_stopping()

    # Sent by the app's stop (SIGTERM, SIGINT, a test's app.stop()) once its consumer
    # has stopped and the agents have finished their batches: the relay publishes
    # what they committed, then producers and pool close.
    # mode types handlers with mypy_extensions' NamedArg, which no async def matches.
    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def stop_runtime(_app: faust.App, **_kwargs: Any) -> None:
        await service.stop()

    return app, service


def _records(events: Sequence[Any]) -> list[Record]:
    return [_record(e.message) for e in events]


def _record(m: Any) -> Record:
    return Record(m.topic, m.partition, m.offset, m.key, m.value, headers_of(m.headers))


def _agent(app: faust.App, service: Service, topic_name: str, name: str, handler: Handler) -> None:
    topic = app.topic(topic_name, key_serializer="raw", value_serializer="raw")

    async def agent(stream: Any) -> AsyncIterator[None]:
        rt = await service.start_unless_stopping()
        if rt is None:
            return
        try:
            async for events in stream.take_events(BATCH_MAX, within=BATCH_WITHIN_S):
                with rt.progress.batch(name, rt.metrics):
                    await handler(rt, _records(events))
                rt.wake_relay()
                yield None
        except Exception as exc:  # never die silently: /healthz reports it, the pod restarts
            log.exception("agent %s crashed", name)
            rt.progress.crashed[name] = repr(exc)
            raise

    agent.__name__ = f"{name}_agent"
    app.agent(topic, name=f"sluice.{name}", concurrency=1, sink=None)(agent)


def _executor(app: faust.App, service: Service) -> None:
    runners: list[JobRunner] = []  # one, made once the runtime exists

    def runner(rt: Runtime) -> JobRunner:
        if not runners:
            runners.append(JobRunner(rt))
        return runners[0]

    async def accept(rt: Runtime, records: Sequence[Record]) -> None:
        runner(rt).submit(await accept_requests(rt, records))

    _agent(app, service, service.topics.action_requests, "executor", accept)

    @app.task  # type: ignore[untyped-decorator]  # faust is untyped
    async def poll_jobs() -> None:
        rt = await service.start_unless_stopping()
        if rt is None:
            return
        rt.spawn("job-poller", runner(rt).poll(rt.stop_event))


def _pages(app: faust.App, rt: Service) -> None:
    @app.page("/healthz")
    async def healthz(view: Any, request: Any) -> Any:
        problems = rt.progress.stuck(rt.settings.stuck_after_s)
        body = {"status": "stuck" if problems else "ok", "role": rt.role, "problems": problems}
        return view.json(body, status=503 if problems else 200)

    @app.page("/readyz")
    async def readyz(view: Any, request: Any) -> Any:
        answers = await rt.readiness()  # PostgreSQL and Kafka: both needed to make progress
        ready = all(answers.values())
        body = {"ready": ready, "role": rt.role, **answers}
        return view.json(body, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics(view: Any, request: Any) -> Any:
        text = generate_latest(rt.metrics.registry).decode()
        return view.text(text, content_type=CONTENT_TYPE_LATEST.split(";")[0])
