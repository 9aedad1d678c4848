"""UI metadata shared by node types and actions (the designer's palette)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, JsonValue

from workflow_core.definitions.base import WireModel


class UiMetadata(WireModel):
    label: str = Field(min_length=1)
    category: str = Field(min_length=1)
    description: str = Field(min_length=1)
    icon: str = "box"
    examples: list[dict[str, JsonValue]] = Field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
