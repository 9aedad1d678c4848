"""Connection pool factory and the transaction helper.

Every connection gets JSON codecs so ``jsonb``/``json`` columns read and
write plain Python objects (dicts, lists, numbers, strings, None).

``after_commit`` defers a callback until the enclosing ``transaction`` has
committed, and drops it when the transaction rolls back: counters of committed
work (runs started and ended, steps, actions) count each thing once, although a
batch that fails is rolled back and applied again one command at a time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import asyncpg
from sluice_config import Settings
from workflow_core.json_rules import first_violation

from sluice_storage.errors import StorageError

log = logging.getLogger(__name__)
Connection = asyncpg.Connection
Pool = asyncpg.Pool

# A readiness probe answers well inside a Kubernetes probe's timeout (1 s default).
PROBE_TIMEOUT_S = 0.8
# What a probe reads as "the database does not answer" (any database error counts).
UNREACHABLE = (OSError, asyncpg.InterfaceError, asyncpg.InternalClientError, asyncpg.PostgresError)
# 10 connections: measured here, 16 connections reach ~6k step transactions/s,
# far above what one service instance needs; PostgreSQL's default
# max_connections=100 then serves ~10 service instances.
DEFAULT_MAX_SIZE = 10


def _dumps(value: Any) -> str:
    """Compact JSON for a json/jsonb parameter; NaN and Infinity refused by name.

    ``allow_nan=False`` costs nothing (one flag on the C encoder) and turns
    PostgreSQL's syntax error about the whole document (after a round trip)
    into one naming the place, before anything is sent. asyncpg wraps every
    codec error in ``asyncpg.DataError`` ("invalid input for query argument
    $2: ... (<our message>)"); the ``StorageError`` is its ``__cause__``.
    """
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        found = first_violation(value)
        if found is None:  # another ValueError (a circular reference, say)
            raise
        raise StorageError(f"cannot store this JSON value: {found.describe()}") from exc


async def init_connection(conn: asyncpg.Connection) -> None:
    """Register the JSON codecs (also usable on a bare ``asyncpg.connect``)."""
    for type_name in ("jsonb", "json"):
        await conn.set_type_codec(
            type_name, encoder=_dumps, decoder=json.loads, schema="pg_catalog"
        )


async def connect(dsn: str) -> asyncpg.Connection:
    """A single connection with the codecs (for LISTEN, scripts and tests)."""
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    return conn


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's reset query (its open transaction is still rolled back)."""


def rows_affected(status: str) -> int:
    """The row count of a command tag such as ``DELETE 3`` or ``UPDATE 0``."""
    return int(status.rsplit(" ", 1)[-1])


async def create_pool(
    settings: Settings | str,
    *,
    min_size: int = 1,
    max_size: int = DEFAULT_MAX_SIZE,
    lean_release: bool = False,
) -> asyncpg.Pool:
    """A started pool for ``settings.database_url`` (its calls bounded by
    ``WF_DATABASE_COMMAND_TIMEOUT_S`` / ``WF_DATABASE_CONNECT_TIMEOUT_S``), or for a DSN
    string (scripts, benchmarks, tests: asyncpg's defaults).

    ``lean_release``: skip asyncpg's reset query (``pg_advisory_unlock_all(); CLOSE
    ALL; UNLISTEN *; RESET ALL``) on every release, one round trip per transaction
    (a quarter of all statements in the runs benchmark). Only for code that leaves
    no session state on a pooled connection: no session advisory locks, cursors
    outside a transaction, LISTEN without UNLISTEN, or SET (transaction-scoped
    locks and SET LOCAL are fine). asyncpg still rolls back an open transaction.
    """
    dsn = settings if isinstance(settings, str) else settings.database_url
    if not dsn:
        raise StorageError("no database configured: set WF_DATABASE_URL or run `sluice dev`")
    # A service's pool (Settings) bounds every call; a script's or a test's (a DSN) keeps
    # asyncpg's defaults: no statement limit (a bench seeds a million rows in one), 60 s.
    command_timeout = None if isinstance(settings, str) else settings.database_command_timeout_s
    connect_timeout = 60.0 if isinstance(settings, str) else settings.database_connect_timeout_s
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        reset=_keep_session if lean_release else None,
        # bounded calls (WF_DATABASE_COMMAND_TIMEOUT_S, WF_DATABASE_CONNECT_TIMEOUT_S)
        command_timeout=command_timeout,
        timeout=connect_timeout,
    )
    if pool is None:  # asyncpg types it Optional; it is only None for a non-awaited pool
        raise StorageError("could not create the connection pool")
    return pool


async def database_problem(
    pool: asyncpg.Pool | None, timeout_s: float = PROBE_TIMEOUT_S
) -> str | None:
    """None when the database answers ``SELECT 1`` within ``timeout_s``, else why not:
    every service's ``/readyz``. It answers within ``timeout_s`` whatever the network
    does: the probe runs as a task of its own that is left to finish in the
    background (asyncpg shields a connection's release, which on a lost connection
    waits for its cancel request, up to the command timeout)."""
    if pool is None:
        return "the database pool is not open"
    probe = asyncio.ensure_future(_select_one(pool))
    _probes.add(probe)
    probe.add_done_callback(_forget_probe)
    done, _pending = await asyncio.wait({probe}, timeout=timeout_s)
    if not done:
        probe.cancel()
        return f"the database does not answer within {timeout_s} s"
    failure = probe.exception()
    if failure is None:
        return None
    if isinstance(failure, UNREACHABLE):
        return f"the database does not answer: {failure!r}"
    raise failure


async def _select_one(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.fetchval("SELECT 1")


_probes: set[asyncio.Future[None]] = set()  # probes left running: kept until they end


def _forget_probe(probe: asyncio.Future[None]) -> None:
    _probes.discard(probe)
    if not probe.cancelled():
        probe.exception()  # retrieved: a late failure is no "never retrieved" warning


_committed: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "sluice_after_commit", default=None
)


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the enclosing ``transaction`` commits; never if it rolls back.

    Outside a ``transaction`` (a test's own connection) the callback is dropped:
    only work this helper committed is ever reported.
    """
    pending = _committed.get()
    if pending is not None:
        pending.append(callback)


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection inside one transaction: commit on success, roll back on error."""
    pending: list[Callable[[], None]] = []
    token = _committed.set(pending)
    try:
        async with pool.acquire() as conn, conn.transaction():
            yield conn
    finally:
        _committed.reset(token)
    for callback in pending:  # only reached after the commit
        try:
            callback()
        except Exception:  # an observer's bug must not fail committed work
            log.exception("after-commit callback failed")
