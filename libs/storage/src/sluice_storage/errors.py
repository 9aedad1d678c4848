"""Storage errors, under the one ``SluiceError`` root."""

from __future__ import annotations

from workflow_core.errors import SluiceError


class StorageError(SluiceError):
    code = "STORAGE_ERROR"


class MigrationError(StorageError):
    """A migration could not be loaded, verified or applied."""

    code = "MIGRATION_ERROR"


class InvalidCursorError(StorageError):
    """A pagination cursor that this server did not produce (or for another list)."""

    code = "INVALID_CURSOR"


class InvalidTenantError(StorageError):
    code = "INVALID_TENANT"
