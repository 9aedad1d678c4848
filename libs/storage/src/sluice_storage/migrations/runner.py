"""Apply migrations: forward-only, one transaction per file, under an advisory lock.

``upgrade`` takes a session-level advisory lock, so concurrent upgrades (two
pods starting, a Helm job racing ``sluice dev``) run one after the other; the
second finds nothing to do. A file whose checksum differs from the one
recorded when it was applied stops everything: the schema no longer matches
the code's idea of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib.abc import Traversable
from pathlib import Path

import asyncpg

from sluice_storage.errors import MigrationError
from sluice_storage.migrations.files import Migration, load_migrations

# Fixed, arbitrary key of the migration lock (any constant unique to this use will do).
LOCK_KEY = 0x3A6B_1F0C_52D4_9E17
Progress = Callable[[str], None]

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)"""


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str
    applied_at: datetime


@dataclass(frozen=True)
class MigrationStatus:
    version: int
    name: str
    state: str  # applied | pending | checksum-mismatch | unknown
    applied_at: datetime | None


async def applied_migrations(conn: asyncpg.Connection) -> dict[int, AppliedMigration]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return {}
    rows = await conn.fetch("SELECT version, name, checksum, applied_at FROM schema_migrations")
    return {r["version"]: AppliedMigration(**dict(r)) for r in rows}


def verify_checksums(files: list[Migration], applied: dict[int, AppliedMigration]) -> None:
    for migration in files:
        done = applied.get(migration.version)
        if done is not None and done.checksum != migration.checksum:
            raise MigrationError(
                f"migration {migration.label} was changed after it was applied "
                f"(recorded sha256 {done.checksum[:12]}..., file {migration.checksum[:12]}...); "
                "add a new migration instead of editing an applied one",
                code="MIGRATION_CHECKSUM_MISMATCH",
            )


async def _apply(conn: asyncpg.Connection, migration: Migration) -> None:
    try:
        async with conn.transaction():
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
    except asyncpg.PostgresError as exc:
        raise MigrationError(
            f"migration {migration.label} failed and was rolled back: {type(exc).__name__}: {exc}",
            code="MIGRATION_FAILED",
        ) from exc


async def _upgrade_locked(
    conn: asyncpg.Connection, files: list[Migration], progress: Progress
) -> list[Migration]:
    await conn.execute(_CREATE_TABLE)
    applied = await applied_migrations(conn)
    verify_checksums(files, applied)
    pending = [m for m in files if m.version not in applied]
    if not pending:
        progress(f"schema is up to date at version {max(applied, default=0):04d}")
    for migration in pending:
        started = time.monotonic()
        progress(f"applying {migration.label} ...")
        await _apply(conn, migration)
        progress(f"applied  {migration.label} in {(time.monotonic() - started) * 1000:.0f} ms")
    return pending


async def upgrade(
    dsn: str,
    *,
    directory: Traversable | Path | None = None,
    progress: Progress | None = None,
    until: int | None = None,
) -> list[Migration]:
    """Apply every pending migration (``until``: only those numbered up to it, as a
    database written by an older release has them); returns those applied (empty: no-op)."""
    files = [m for m in load_migrations(directory) if until is None or m.version <= until]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        try:
            return await _upgrade_locked(conn, files, progress or (lambda _line: None))
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
    finally:
        await conn.close()


def _state_of(migration: Migration, done: AppliedMigration | None) -> str:
    if done is None:
        return "pending"
    return "applied" if done.checksum == migration.checksum else "checksum-mismatch"


async def status(dsn: str, *, directory: Traversable | Path | None = None) -> list[MigrationStatus]:
    """Every known version with its state, plus applied versions this build lacks."""
    files = load_migrations(directory)
    conn = await asyncpg.connect(dsn)
    try:
        applied = await applied_migrations(conn)
    finally:
        await conn.close()
    rows = [
        MigrationStatus(
            m.version,
            m.name,
            _state_of(m, applied.get(m.version)),
            getattr(applied.get(m.version), "applied_at", None),
        )
        for m in files
    ]
    known = {m.version for m in files}
    rows += [
        MigrationStatus(a.version, a.name, "unknown", a.applied_at)
        for a in applied.values()
        if a.version not in known
    ]
    return sorted(rows, key=lambda r: r.version)
