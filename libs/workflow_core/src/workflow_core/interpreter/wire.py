"""Base of the interpreter's wire models: camelCase JSON that round-trips exactly.

RunState is stored as jsonb and commands/effects travel over Kafka, so every
model dumps by alias (``model_dump(mode="json")`` gives camelCase keys) and
validates from either the alias or the field name.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CoreModel(BaseModel):
    """Mutable wire model (RunState and its parts); the interpreter copies before changing."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )


class FrozenModel(CoreModel):
    """Immutable wire model: commands and effects are facts once created."""

    model_config = ConfigDict(frozen=True)


def iso(moment: datetime) -> str:
    """The envelope's time format: UTC, ISO 8601, ``Z`` suffix (as pydantic writes it)."""
    text = moment.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
