"""Wire shapes of the tenant's secrets table (``/secrets``): values go in, never out."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, SecretStr

from sluice_api.schemas.common import OperatorRequest, WireModel

# What sluice_secrets.refs.NAME_RE accepts: safe as a file name and an env suffix.
SECRET_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


class SecretPut(OperatorRequest):
    """Create or replace a secret; ``value`` is write-only (never returned or logged)."""

    value: SecretStr = Field(
        min_length=1, max_length=65536, json_schema_extra={"writeOnly": True},
        description="the secret itself (at most 64 KiB); no API answer ever returns it",
    )  # fmt: skip
    description: str | None = Field(default=None, max_length=500)


class SecretPublic(WireModel):
    """Everything about a stored secret but its value; ``ref`` is how a step names it."""

    name: str
    ref: str = Field(description='{"secretRef": <ref>} in an action\'s args')
    description: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class SecretList(WireModel):
    items: list[SecretPublic]
