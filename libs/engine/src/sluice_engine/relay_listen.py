"""The relay's LISTEN connection, kept alive.

Notifications arrive only on the connection that LISTENs. When it drops (a
database restart or failover, ``pg_terminate_backend``, a cut connection),
asyncpg calls its termination listeners and nothing more arrives; the relay
used to carry on with its backstop poll alone, for good. ``NotifyListener``
holds a pooled connection LISTENing on ``sluice_outbox``; when it drops, it
wakes the relay (notifications may have been missed meanwhile), then takes a
fresh connection and LISTENs again: at once the first time, then backing off
from 0.1 s doubling to 30 s while the database stays away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg
from sluice_storage.outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)
# 0.1 s doubling to 30 s: a restart that takes ~10 s costs about 8 attempts;
# a long outage one attempt per 30 s. The poll keeps relaying meanwhile.
RELISTEN_FIRST_S = 0.1
RELISTEN_MAX_S = 30.0
DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


async def _first_of(*events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class NotifyListener:
    def __init__(self, pool: asyncpg.Pool, on_notify: Callable[[], None]) -> None:
        self._pool = pool
        self._on_notify = on_notify
        self.listens = 0  # LISTENs established, the first one included
        self.drops = 0
        self.backend_pid: int | None = None  # of the LISTENing connection, while there is one

    def _notified(self, *_args: object) -> None:
        self._on_notify()

    async def run(self, stop: asyncio.Event) -> None:
        """LISTEN until ``stop``, re-establishing the connection whenever it drops."""
        delay = RELISTEN_FIRST_S
        while not stop.is_set():
            try:
                async with self._pool.acquire() as conn:
                    await self._listen(conn, stop)
                delay = RELISTEN_FIRST_S  # it worked until it dropped: try again at once
                if stop.is_set():
                    return
            except DB_ERRORS as exc:
                log.warning("outbox relay: cannot LISTEN (%r); retrying in %.1f s", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, RELISTEN_MAX_S)

    async def _listen(self, conn: asyncpg.Connection, stop: asyncio.Event) -> None:
        """Until ``stop`` or the connection drops; UNLISTENs if it is still open."""
        dropped = asyncio.Event()

        def on_drop(_conn: object) -> None:
            dropped.set()

        conn.add_termination_listener(on_drop)
        try:
            await conn.add_listener(NOTIFY_CHANNEL, self._notified)
            self.listens += 1
            self.backend_pid = conn.get_server_pid()
            await _first_of(stop, dropped)
        finally:
            self.backend_pid = None
            # A dropped connection is already back in the pool (asyncpg detaches it)
            # and cannot be touched; a live one UNLISTENs before it goes back.
            if not dropped.is_set():
                conn.remove_termination_listener(on_drop)
                await conn.remove_listener(NOTIFY_CHANNEL, self._notified)
        if dropped.is_set():
            self.drops += 1
            log.warning("outbox relay: LISTEN connection dropped; listening again")
            self._on_notify()  # notifications sent while it was down are lost: look now
