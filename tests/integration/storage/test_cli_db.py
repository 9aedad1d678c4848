"""``sluice db upgrade`` / ``sluice db status`` against a real database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from click.testing import CliRunner
from sluice_cli.commands.db import command as db
from sluice_storage.migrations import load_migrations

pytestmark = pytest.mark.integration
FreshDatabase = Callable[[], Awaitable[str]]


@pytest.fixture
async def empty_dsn(fresh_database: FreshDatabase) -> str:
    return await fresh_database()


def test_db_upgrade_prints_progress_and_applied_versions(empty_dsn: str) -> None:
    runner = CliRunner()
    first = runner.invoke(db, ["upgrade", "--database-url", empty_dsn])
    again = runner.invoke(db, ["upgrade", "--database-url", empty_dsn])
    labels = [m.label for m in load_migrations()]
    assert first.exit_code == 0, first.output
    assert f"applying {labels[0]} ..." in first.output
    assert f"applied: {', '.join(labels)}" in first.output
    assert again.exit_code == 0
    assert "applied: none (already up to date)" in again.output


def test_db_status_shows_pending_then_applied(empty_dsn: str) -> None:
    runner = CliRunner()
    before = runner.invoke(db, ["status", "--database-url", empty_dsn])
    runner.invoke(db, ["upgrade", "--database-url", empty_dsn])
    after = runner.invoke(db, ["status", "--database-url", empty_dsn])
    count = len(load_migrations())
    assert before.exit_code == 0, before.output
    assert f"0 applied, {count} pending" in before.output
    assert f"{count} applied, 0 pending" in after.output


def test_db_upgrade_unreachable_database_fails_with_reason() -> None:
    result = CliRunner().invoke(
        db, ["upgrade", "--database-url", "postgresql://nobody@127.0.0.1:9/none"]
    )
    assert result.exit_code == 1
    assert "sluice db: error:" in result.output
