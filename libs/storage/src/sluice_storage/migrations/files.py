"""Migration files: ``NNNN_name.sql``, ordered by number, checksummed.

Pure: reading the directory and hashing; nothing touches the database here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from sluice_storage.errors import MigrationError

FILE_PATTERN = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


def packaged_directory() -> Traversable:
    """The SQL files shipped inside the ``sluice_storage`` wheel."""
    return resources.files("sluice_storage.migrations") / "sql"


def load_migrations(directory: Traversable | Path | None = None) -> list[Migration]:
    """Every ``NNNN_name.sql`` in ``directory`` (default: packaged), by version."""
    root = directory if directory is not None else packaged_directory()
    found: dict[int, Migration] = {}
    for entry in root.iterdir():
        match = FILE_PATTERN.match(entry.name)
        if match is None:
            if entry.name.endswith(".sql"):
                raise MigrationError(f"migration file {entry.name!r} is not named NNNN_name.sql")
            continue
        migration = Migration(int(match["version"]), match["name"], entry.read_text("utf-8"))
        if migration.version in found:
            other = found[migration.version].label
            raise MigrationError(f"two migrations share version {migration.version}: {other}")
        found[migration.version] = migration
    return [found[v] for v in sorted(found)]
