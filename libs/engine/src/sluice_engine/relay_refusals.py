"""Publishing a claimed batch when Kafka may not take every row of it.

``publish_rows`` sends the batch and sorts its rows into sent and refused;
when a failure is transient it raises ``RelayRoundError`` instead, the caller's
transaction rolls back and the whole batch is retried after the back-off.

1. A row whose key or headers cannot become a Kafka record is refused at once.
2. The rest go out together (``send_each``); all acknowledged is the common case.
3. A failed send that reached the broker may have broken the idempotent
   producer's sequence (``sluice_messaging.renewable``): the producer is replaced.
4. Any transient failure: raise.
5. Otherwise every failure looks like a refusal, but the broker fails a whole
   produce request for one bad record, so each failed row is sent again
   alone, in id order. An unknown topic is refused only if the cluster says it
   does not exist (no resend: the metadata wait alone takes request_timeout_ms).

A refused row gets ``failed_at`` and ``last_error`` (the claim skips it from
then on) and a dead letter in the same transaction, filed under its tenant
with partition -1 and the outbox row id as offset (it never had a Kafka
position), so operators see it in ``GET /dead-letters`` and can requeue it
once its cause is fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
from sluice_messaging.delivery import SendFailure, send_each, send_one, topic_missing
from sluice_messaging.dlq import MAX_REASON_CHARS, DeadLetter
from sluice_messaging.producer import OutgoingMessage
from sluice_messaging.renewable import RenewableProducer
from sluice_storage.dead_letters import mirror_dead_letter
from sluice_storage.errors import StorageError
from sluice_storage.outbox import ClaimedRow, mark_refused

log = logging.getLogger(__name__)
NEVER_PUBLISHED_PARTITION = -1  # a refused row's dead letter: offset = outbox row id


class RelayRoundError(StorageError):
    """A transient failure: the round rolls back and is retried; ``row_ids`` failed."""

    code = "RELAY_ROUND_FAILED"

    def __init__(self, reason: str, row_ids: Sequence[int]) -> None:
        super().__init__(reason, row_ids=list(row_ids))
        self.reason = reason
        self.row_ids = list(row_ids)


@dataclass
class Settlement:
    sent: list[int] = field(default_factory=list)
    refused: list[tuple[ClaimedRow, str]] = field(default_factory=list)


def to_outgoing(row: ClaimedRow) -> OutgoingMessage:
    headers = [(name, value.encode()) for name, value in row.headers.items()]
    key = row.key.encode() if row.key is not None else None
    return OutgoingMessage(row.topic, row.payload.encode(), key, headers)


def _convertible(
    rows: Sequence[ClaimedRow], settled: Settlement
) -> list[tuple[ClaimedRow, OutgoingMessage]]:
    """The rows that make valid records, with them; the others are refused (a header
    that is not a string, say: ``headers`` is jsonb and a requeue may write anything)."""
    good = []
    for row in rows:
        try:
            good.append((row, to_outgoing(row)))
        except (AttributeError, TypeError, UnicodeError) as exc:
            settled.refused.append((row, f"not a valid Kafka record: {type(exc).__name__}: {exc}"))
    return good


async def publish_rows(producer: RenewableProducer, rows: Sequence[ClaimedRow]) -> Settlement:
    """Send ``rows``; every row ends up sent or refused, or ``RelayRoundError`` is raised."""
    settled = Settlement()
    records = _convertible(rows, settled)
    outcomes = await send_each(await producer.get(), [message for _, message in records])
    failed = [(row, f) for (row, _), f in zip(records, outcomes, strict=True) if f is not None]
    settled.sent = [row.id for (row, _), f in zip(records, outcomes, strict=True) if f is None]
    if not failed:
        return settled
    if any(f.needs_new_producer for _, f in failed):
        await producer.renew()
    # After a refusal, the producer's broken sequence fails later batches of the
    # same partition too: those rows are suspects to retry alone, not a reason to
    # retry the round (which would hit the same refusal again, forever).
    refusal = any(f.refused or f.unknown_topic for _, f in failed)
    transient = [f for _, f in failed if not _suspect(f, refusal)]
    if transient:
        raise RelayRoundError(transient[0].describe(), [row.id for row, _ in failed])
    for row, failure in failed:
        await _isolate(producer, row, failure, settled)
    return settled


def _suspect(failure: SendFailure, refusal_in_round: bool) -> bool:
    return (
        failure.refused or failure.unknown_topic or (refusal_in_round and failure.producer_broken)
    )


async def _isolate(
    producer: RenewableProducer, row: ClaimedRow, first: SendFailure, settled: Settlement
) -> None:
    """Convict or clear one suspect row on its own."""
    if first.unknown_topic:
        if not await topic_missing(await producer.get(), row.topic):
            raise RelayRoundError(first.describe(), [row.id])
        settled.refused.append((row, f"topic {row.topic!r} does not exist: {first.describe()}"))
        return
    failure = await send_one(await producer.get(), to_outgoing(row))
    if failure is not None and failure.needs_new_producer:
        await producer.renew()
    if failure is None:
        settled.sent.append(row.id)
    elif failure.refused:
        settled.refused.append((row, failure.describe()))
    else:
        raise RelayRoundError(failure.describe(), [row.id])


def _letter(row: ClaimedRow, reason: str) -> DeadLetter:
    headers = [(name, str(value).encode()) for name, value in row.headers.items()]
    return DeadLetter(
        tenant_id=row.tenant_id, source_topic=row.topic,
        partition=NEVER_PUBLISHED_PARTITION, offset=row.id,
        key=row.key.encode() if row.key is not None else None,
        value=row.payload.encode(), reason=reason, headers=headers,
    )  # fmt: skip


async def file_refused(conn: asyncpg.Connection, row: ClaimedRow, why: str) -> None:
    """Stop retrying the row and file it with the dead letters (the caller's transaction)."""
    reason = f"Kafka refused outbox row {row.id}: {why}"[:MAX_REASON_CHARS]
    log.error("outbox row %d (tenant %s, topic %s) refused, filed as a dead letter: %s",
              row.id, row.tenant_id, row.topic, why)  # fmt: skip
    await mark_refused(conn, row.id, reason)
    await mirror_dead_letter(conn, _letter(row, reason))
