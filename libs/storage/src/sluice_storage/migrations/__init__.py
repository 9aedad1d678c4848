"""Numbered SQL migrations (``sql/NNNN_name.sql``) and the runner that applies them."""

from sluice_storage.migrations.files import Migration, load_migrations
from sluice_storage.migrations.runner import (
    AppliedMigration,
    MigrationStatus,
    applied_migrations,
    status,
    upgrade,
)

__all__ = [
    "AppliedMigration",
    "Migration",
    "MigrationStatus",
    "applied_migrations",
    "load_migrations",
    "status",
    "upgrade",
]
