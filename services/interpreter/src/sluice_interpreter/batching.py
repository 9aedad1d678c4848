"""Advancing a polled batch of commands in a few transactions, a few statements each.

The batch is split into lanes (one per run, in offset order) and the lanes are
dealt into chunks of about ``CHUNK`` commands, at most ``MAX_CHUNKS``
(``sluice_engine.grouping``, the one grouping primitive); each
chunk is ONE transaction applied by ``sluice_engine.apply_commands`` (one
statement locks the chunk's runs and records the command ids, one writes all
their histories, outbox messages and run updates), and the chunks run
concurrently so PostgreSQL's work on one overlaps the core's on another. A
run's commands keep their order. If anything in a chunk fails, its
transaction rolls back and the chunk is applied again one command per
transaction, so one poison message only dead-letters itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sluice_engine import PendingCommand, apply_commands
from sluice_engine.grouping import Grouping, deal, together_else_each
from sluice_storage import transaction

from sluice_interpreter.handling import DecodedCommand, Record, apply_one, decode_command
from sluice_interpreter.runtime import Runtime

log = logging.getLogger(__name__)
# ~100 commands per transaction: ~50-100 ms of the core's work, two statements
# and one WAL flush for all of them; up to 4 chunks in flight keep PostgreSQL
# and the event loop busy at the same time under load.
CHUNK = 100
MAX_CHUNKS = 4
ADVANCE = Grouping(max_size=CHUNK, max_groups=MAX_CHUNKS)


async def handle_command_batch(rt: Runtime, records: Sequence[Record]) -> None:
    decoded = [await decode_command(rt, record) for record in records]
    items = [item for item in decoded if item is not None]
    groups = deal(items, ADVANCE, key=lambda item: item.run_id)
    await asyncio.gather(*(_apply_group(rt, group) for group in groups))


async def _apply_group(rt: Runtime, group: list[DecodedCommand]) -> None:
    async def together(items: Sequence[DecodedCommand]) -> list[None]:
        pending = [PendingCommand(i.tenant_id, i.run_id, i.command, i.record.trace) for i in items]
        async with transaction(rt.pool) as conn:
            applied = await apply_commands(conn, rt.engine, pending)
        for outcome in applied:
            rt.metrics.messages.labels("advance", outcome.outcome).inc()
        return [None for _ in applied]

    # rolled back: one by one (retries, DLQ for poison)
    await together_else_each(group, together, lambda item: apply_one(rt, item),
                             what="advancing commands")  # fmt: skip
