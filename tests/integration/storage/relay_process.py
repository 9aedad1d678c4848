"""An outbox relay in its own process, for the crash test (run as a script).

``--stall-after N``: after publishing (and getting acks for) batch N, print
STALLED and hang before committing: the moment where ``kill -9`` makes the
batch be sent again by the next relay.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import signal
import sys

from sluice_engine.relay import OutboxRelay
from sluice_messaging.producer import create_producer
from sluice_storage import create_pool
from sluice_storage.outbox import ClaimedRow


def say(line: str) -> None:
    print(line, flush=True)


async def main(args: argparse.Namespace) -> None:
    pool = await create_pool(args.dsn, max_size=2)
    producer = functools.partial(create_producer, args.bootstrap)
    batches = 0

    async def after_publish(rows: list[ClaimedRow]) -> None:
        nonlocal batches
        batches += 1
        say(f"BATCH {batches} {rows[0].id}-{rows[-1].id}")
        if batches == args.stall_after:
            say("STALLED")
            await asyncio.Event().wait()  # hang until killed

    relay = OutboxRelay(pool, producer, batch_size=args.batch_size, after_publish=after_publish)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    say("READY")
    try:
        await relay.run(stop)
    finally:
        say(f"RELAYED {relay.stats.relayed} rows at {relay.stats.rows_per_second:.0f} rows/s")
        await pool.close()  # run() closed the relay's producer


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--stall-after", type=int, default=0)
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
