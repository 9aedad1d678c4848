"""The message handlers, independent of Faust: a polled batch of records in.

Each record is handled on its own: a message that cannot be parsed or applied
goes to the DLQ with the reason and the batch goes on. Infrastructure trouble
(the database restarting, a deadlock) is retried in place instead: the
message is fine, and dead-lettering it would lose a command. Dead-lettering
is retried the same way, and only for such trouble: a letter Kafka refuses for
good (too large once headed) is published reduced by ``DeadLetterPublisher``,
so no message can hold an agent up forever.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from opentelemetry.trace import SpanKind
from sluice_engine import apply_command, command_of, command_span, route_event
from sluice_engine.transient import TRANSIENT_ERRORS
from sluice_messaging import EnvelopeError, decode, parse_event_message
from sluice_storage import NewEvent, transaction
from sluice_telemetry import work_span
from workflow_core.interpreter.commands import Command

from sluice_interpreter.runtime import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")

# Back off 0.1 s doubling to 5 s: a PostgreSQL restart (~1-3 s) costs a few
# retries; a longer outage keeps retrying while /healthz reports the stall.
RETRY_FIRST_S = 0.1
RETRY_MAX_S = 5.0
# 16 runs advanced at once per batch: each advance is ~8 database round trips
# (~2-4 ms); 16 in flight keep PostgreSQL busy without exhausting the pool
# (WF pool max 30: 16 lanes + executor handlers + relay).
PARALLEL_LANES = 16


@dataclass(frozen=True)
class Record:
    """A consumed Kafka record (what the DLQ and the handlers need)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    trace: Mapping[str, str] = field(default_factory=dict)  # its traceparent, if any


async def retrying(work: Callable[[], Awaitable[T]], what: str) -> T:
    delay = RETRY_FIRST_S
    while True:
        try:
            return await work()
        except TRANSIENT_ERRORS as exc:
            log.warning("%s: transient %r, retrying in %.1f s", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)


def lanes(records: Sequence[Record]) -> list[list[Record]]:
    """Records grouped by Kafka key, each group in offset order.

    Commands are keyed by run id (events by their key), so one lane is one
    run: lanes run concurrently, the records of one lane strictly in order.
    """
    grouped: dict[bytes | None, list[Record]] = {}
    for record in records:
        grouped.setdefault(record.key, []).append(record)
    return list(grouped.values())


async def in_lanes(records: Sequence[Record], handle: Callable[[Record], Awaitable[None]]) -> None:
    """Handle a polled batch: runs in parallel (bounded), each run's records in order."""
    slots = asyncio.Semaphore(PARALLEL_LANES)

    async def lane(group: list[Record]) -> None:
        async with slots:
            for record in group:
                await handle(record)

    await asyncio.gather(*(lane(group) for group in lanes(records)))


@dataclass(frozen=True)
class DecodedCommand:
    record: Record
    tenant_id: str
    run_id: str
    command: Command


async def decode_command(rt: Runtime, record: Record) -> DecodedCommand | None:
    """The command in ``record``, or None after dead-lettering an unreadable one."""
    try:
        envelope = decode(record.value)
        command = command_of(envelope)
        if envelope.run_id is None:
            raise ValueError("a run command needs runId")
    except (EnvelopeError, ValueError) as exc:
        await dead_letter(rt, "advance", record, f"invalid run command: {exc}")
        return None
    return DecodedCommand(record, envelope.tenant_id, str(envelope.run_id), command)


async def apply_one(rt: Runtime, item: DecodedCommand) -> None:
    """One command in its own transaction: transient trouble retried, anything else DLQ."""
    pool, engine = rt.pool, rt.engine

    async def work() -> str:
        async with transaction(pool) as conn:
            applied = await apply_command(conn, engine, item.tenant_id, item.run_id, item.command)
        return applied.outcome

    with command_span(item.command, item.tenant_id, item.run_id, item.record.trace):
        try:
            outcome = await retrying(work, f"command {item.command.command_id}")
        except Exception as exc:  # anything else: this message cannot be applied
            await dead_letter(rt, "advance", item.record, f"{type(exc).__name__}: {exc}")
            return
    rt.metrics.messages.labels("advance", outcome).inc()


async def handle_events(rt: Runtime, records: Sequence[Record]) -> None:
    await in_lanes(records, lambda record: _handle_event(rt, record))


async def _handle_event(rt: Runtime, record: Record) -> None:
    pool, engine = rt.pool, rt.engine
    try:
        inbound = parse_event_message(record.value)
    except EnvelopeError as exc:
        await dead_letter(rt, "router", record, f"invalid event: {exc}")
        return
    event = NewEvent(
        event_id=inbound.message_id or uuid.uuid4(), event_name=inbound.event_name,
        correlation_key=inbound.correlation_key, payload=inbound.payload,
        received_at=engine.clock(), idempotency_key=inbound.idempotency_key, source="kafka",
        kafka_position=(record.topic, record.partition, record.offset),
    )  # fmt: skip

    async def work() -> bool:
        async with transaction(pool) as conn:
            routed = await route_event(conn, engine, inbound.tenant_id, event)
        return routed.duplicate

    attributes = {"sluice.event": inbound.event_name}
    with work_span("route event", parent=record.trace, tenant=inbound.tenant_id,
                   kind=SpanKind.CONSUMER, attributes=attributes):  # fmt: skip
        try:
            duplicate = await retrying(work, f"event {event.event_id}")
        except Exception as exc:
            await dead_letter(rt, "router", record, f"{type(exc).__name__}: {exc}")
            return
    rt.metrics.messages.labels("router", "duplicate" if duplicate else "routed").inc()


async def dead_letter(rt: Runtime, agent: str, record: Record, reason: str) -> None:
    rt.metrics.messages.labels(agent, "dead-lettered").inc()
    await retrying(lambda: rt.dead_letter(agent, record, reason), "dead-lettering")
