"""Shared pydantic configuration for wire models: camelCase on the wire."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """A model whose JSON form uses camelCase keys and rejects unknown keys.

    ``dump`` gives back the document as the author wrote it: only the fields
    that were set, so parse-then-dump is stable (defaults are not injected).
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)
