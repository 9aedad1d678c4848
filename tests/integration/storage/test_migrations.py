"""Migrations: from empty, re-run no-op, checksum guard, failure rollback, concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from sluice_storage import MigrationError, status, upgrade
from sluice_storage.migrations import load_migrations
from sluice_storage.migrations.files import packaged_directory

pytestmark = pytest.mark.integration
FreshDatabase = Callable[[], Awaitable[str]]


def _copy_packaged(target: Path) -> Path:
    target.mkdir()
    for migration in load_migrations():
        (target / f"{migration.label}.sql").write_text(migration.sql)
    return target


async def _versions(dsn: str) -> list[int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
        return [r["version"] for r in rows]
    finally:
        await conn.close()


async def test_upgrade_applies_every_migration_from_empty(fresh_database: FreshDatabase) -> None:
    dsn = await fresh_database()
    lines: list[str] = []
    applied = await upgrade(dsn, progress=lines.append)
    expected = [m.version for m in load_migrations()]
    assert [m.version for m in applied] == expected
    assert await _versions(dsn) == expected
    assert any(line.startswith("applied  0001_") for line in lines)
    states = {s.state for s in await status(dsn)}
    assert states == {"applied"}


async def test_upgrade_rerun_is_a_noop(fresh_database: FreshDatabase) -> None:
    dsn = await fresh_database()
    await upgrade(dsn)
    lines: list[str] = []
    assert await upgrade(dsn, progress=lines.append) == []
    assert lines == [f"schema is up to date at version {load_migrations()[-1].version:04d}"]


async def test_status_lists_pending_before_upgrade(fresh_database: FreshDatabase) -> None:
    dsn = await fresh_database()
    rows = await status(dsn)
    assert [r.state for r in rows] == ["pending"] * len(load_migrations())


async def test_changed_checksum_of_applied_file_is_refused(
    fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    dsn = await fresh_database()
    folder = _copy_packaged(tmp_path / "sql")
    await upgrade(dsn, directory=folder)
    first = sorted(folder.iterdir())[0]
    first.write_text(first.read_text() + "\n-- edited after the fact\n")
    with pytest.raises(MigrationError, match=r"0001_\w+ was changed after it was applied") as info:
        await upgrade(dsn, directory=folder)
    assert info.value.code == "MIGRATION_CHECKSUM_MISMATCH"
    assert "checksum-mismatch" in {s.state for s in await status(dsn, directory=folder)}


async def test_failed_migration_rolls_back_and_keeps_version(
    fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    dsn = await fresh_database()
    folder = _copy_packaged(tmp_path / "sql")
    await upgrade(dsn, directory=folder)
    before = await _versions(dsn)
    (folder / "0900_broken.sql").write_text(
        "CREATE TABLE half_done (x int);\nSELECT * FROM no_such_table;\n"
    )
    with pytest.raises(MigrationError, match="0900_broken failed and was rolled back") as info:
        await upgrade(dsn, directory=folder)
    assert info.value.code == "MIGRATION_FAILED"
    assert await _versions(dsn) == before
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT to_regclass('half_done')") is None
    finally:
        await conn.close()


async def test_concurrent_upgrades_apply_each_migration_once(
    fresh_database: FreshDatabase,
) -> None:
    dsn = await fresh_database()
    results = await asyncio.gather(*(upgrade(dsn) for _ in range(4)))
    applied_counts = sorted(len(r) for r in results)
    assert applied_counts == [0, 0, 0, len(load_migrations())]
    assert await _versions(dsn) == [m.version for m in load_migrations()]


def test_misnamed_sql_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_bad.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"not named NNNN_name\.sql"):
        load_migrations(tmp_path)


def test_migrations_are_packaged_with_the_library() -> None:
    names = sorted(entry.name for entry in packaged_directory().iterdir())
    assert names[0].startswith("0001_")
    assert names[-1] == f"{load_migrations()[-1].label}.sql"
